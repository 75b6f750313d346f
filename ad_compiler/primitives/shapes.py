"""Functions that rearrange an array's elements without computing: transposes, reshapes,
axes moved, added or removed, broadcasting, and the copies and conversions (`np.array`,
`np.copy`, `np.asarray`, `x.astype`, `x.flatten()`).

Most return a view of their operand (trait `view`), which is what lets codegen write in
place only where no view is live and the frontend refuse a read of a stale view. A VJP
applies the inverse rearrangement to the cotangent; a JVP the same one to the tangent,
after its batch axis. A reshape in Fortran order ('F') is undone in Fortran order; the
orders that depend on memory layout ('A', 'K') are refused. `np.broadcast_arrays` gives a
list of views, read as a run-time list, as a split's (`joining.py`).

A conversion to integers or bools has a derivative of 0 (its result carries none); to
another float dtype (float32), its derivative is 1, and tangents and cotangents pass on
in the precision they have (not rounded to the result's).
"""

from __future__ import annotations

import numpy as np

from .helpers import batch_axis, inverse_permutation, supported
from .joining import one_or_tuple
from .kinds import array_kind, broadcast, const, dtype_of, same_kind, shape_of, static
from ..ir import Const
from .rearranging import by_values
from .record import PRIMITIVES, compile_time, defbatch, defjvp, defvjp, primitive
from ..ir.types import Array, ListKind, Scalar, TupleKind, dtype_name, join, promote


def transpose_kind(op, kinds, producers):
    """`x.T`, `np.transpose(x, axes)` where the axes are known at compile time."""
    x = kinds[0]
    if len(op.inputs) > 1 and not isinstance(op.inputs[1], Const):
        return None  # axes known only at run time
    axes = static(op, 1, "axes")
    if isinstance(x, Scalar):
        return x
    if not isinstance(x, Array):
        return None
    if x.shape is None:
        return Array(x.ndim, x.dtype)
    try:
        return Array(x.ndim, x.dtype, np.transpose(np.empty(x.shape), axes).shape)
    except (ValueError, TypeError):
        return None


def _shape_argument(value):
    return (value,) if isinstance(value, int) and not isinstance(value, bool) else value


def reshape_kind(op, kinds, producers):
    shape = _shape_argument(const(op.inputs[1]) if len(op.inputs) > 1
                            else op.attrs.get("shape", op.attrs.get("newshape")))
    if not isinstance(shape, tuple) or dtype_of(kinds[0]) is None:
        return None
    if -1 in shape:  # the missing length, from the size
        size = shape_of(kinds[0])
        try:
            shape = np.empty(size).reshape(shape).shape if size is not None else None
        except ValueError:
            return None
    return array_kind(shape, dtype_of(kinds[0])) if shape is not None else None


def broadcast_to_kind(op, kinds, producers):
    shape = _shape_argument(const(op.inputs[1]))
    if not isinstance(shape, tuple) or dtype_of(kinds[0]) is None:
        return None
    return array_kind(shape, dtype_of(kinds[0]))


def expand_dims_kind(op, kinds, producers):
    """np.expand_dims(x, axis), axis an int or a tuple of them."""
    shape = shape_of(kinds[0])
    if shape is None:
        return None
    try:
        return array_kind(np.expand_dims(np.empty(shape), static(op, 1, "axis")).shape, kinds[0].dtype)
    except (ValueError, TypeError):
        return None


def atleast_kind(op, kinds, producers):
    """np.atleast_1d / 2d / 3d of one operand: NumPy's shape for a probe of its shape."""
    shape = shape_of(kinds[0])
    if shape is None or len(op.inputs) != 1:
        return None
    made = {"np.atleast_1d": np.atleast_1d, "np.atleast_2d": np.atleast_2d, "np.atleast_3d": np.atleast_3d}
    return array_kind(made[op.prim](np.empty(shape)).shape, kinds[0].dtype)


def ravel_kind(op, kinds, producers):
    shape = shape_of(kinds[0])
    return array_kind((int(np.prod(shape)),), kinds[0].dtype) if shape is not None else None


def squeeze_kind(op, kinds, producers):
    shape = shape_of(kinds[0])
    if shape is None:
        return None
    try:
        return array_kind(np.squeeze(np.empty(shape), static(op, 1, "axis")).shape, kinds[0].dtype)
    except (ValueError, TypeError):
        return None


def moved_axes_kind(op, kinds, producers):
    """np.moveaxis(x, source, destination), np.swapaxes(x, axis1, axis2): the shape,
    where the axes are known at compile time."""
    shape = shape_of(kinds[0])
    first, second = (const(x) for x in op.inputs[1:3]) if len(op.inputs) == 3 else (None, None)
    if shape is None or first is None or second is None:
        return None
    try:
        moved = PRIMITIVES.callable(op.prim)(np.empty(shape), first, second)
    except (ValueError, TypeError, IndexError):  # (axes out of range: NumPy says so at run time)
        return None
    return array_kind(moved.shape, kinds[0].dtype)


def array_of_kind(op, kinds, producers):
    """`np.array(x)`: an array like `x` (of the dtype asked for); of a tuple of numbers,
    a vector. Of a run-time list (a Jacobian's columns, `ad.jacobian`), the list's kind:
    the transforms read it as that list (forward mode: `ad.forward`)."""
    x = kinds[0] if kinds else None
    if isinstance(x, ListKind) and len(kinds) == 1 and not op.attrs:
        return x
    if isinstance(x, TupleKind) and len(kinds) == 1 and not op.attrs:
        items = [k for k in x.items if isinstance(k, Scalar)]
        if len(items) != len(x.items) or not items:
            return None
        dtype = items[0].dtype
        for k in items[1:]:
            dtype = promote(dtype, k.dtype)
        return Array(1, dtype, (len(items),))
    return converted_kind(op, kinds, producers)


def converted_kind(op, kinds, producers):
    """`np.asarray(x, dtype)`, `x.astype(dtype)`, ...: `x` in the dtype asked for, with at
    least `ndmin` axes (np.ascontiguousarray: 1)."""
    x = kinds[0]
    dtype = static(op, 1, "dtype")
    if not isinstance(x, (Scalar, Array)) or (len(op.inputs) > 1 and not isinstance(op.inputs[1], Const)):
        return None
    try:
        name = x.dtype if dtype is None else dtype_name(dtype)
    except TypeError:
        return None
    ndmin = 1 if op.prim in ("np.ascontiguousarray", "np.asfortranarray") else op.attrs.get("ndmin", 0)
    shape = shape_of(x)
    if shape is None:
        return Array(max(x.ndim, ndmin), name)
    return array_kind((1,) * (ndmin - len(shape)) + shape, name)


def broadcast_arrays_kind(op, kinds, producers):
    """A list of the operands broadcast against each other, each in its dtype."""
    joined = broadcast(kinds)
    if joined is None:
        return ListKind()
    items = [array_kind(shape_of(joined), k.dtype, getattr(joined, "ndim", 0)) for k in kinds]
    item = items[0]
    for k in items[1:]:
        item = join(item, k)
    return ListKind(item)


def rollaxis_kind(op, kinds, producers):
    shape = shape_of(kinds[0])
    axis, start = static(op, 1, "axis"), static(op, 2, "start", 0)
    if shape is None or axis is None or start is None:
        return None
    try:
        return array_kind(np.rollaxis(np.empty(shape), axis, start).shape, kinds[0].dtype)
    except (ValueError, TypeError):
        return None


VIEW = dict(view=True, linear=True, moves=(0,))
primitive("transpose", fn=np.transpose, arity=1, infer=transpose_kind, **VIEW)
primitive(np.transpose, infer=transpose_kind, methods=("transpose",), spread=True, **VIEW)
primitive(np.reshape, infer=reshape_kind, methods=("reshape",), spread=True, **VIEW)
primitive(np.ravel, infer=ravel_kind, methods=("ravel",), **VIEW)
primitive(np.squeeze, infer=squeeze_kind, methods=("squeeze",), **VIEW)
primitive(np.expand_dims, infer=expand_dims_kind, **VIEW)
primitive(np.atleast_1d, np.atleast_2d, np.atleast_3d, arity=1, infer=atleast_kind, **VIEW)
primitive(np.moveaxis, np.swapaxes, infer=moved_axes_kind, **VIEW)
primitive(np.swapaxes, methods=("swapaxes",))
primitive(np.rollaxis, infer=rollaxis_kind, **VIEW)
primitive(np.broadcast_to, infer=broadcast_to_kind, **VIEW)
primitive(np.broadcast_arrays, infer=broadcast_arrays_kind, view=True)
if hasattr(np, "matrix_transpose"):
    primitive(np.matrix_transpose, infer=by_values(np.matrix_transpose), **VIEW)
primitive(np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray, infer=converted_kind, view=True, moves=(0,))
primitive(np.copy, infer=same_kind, allocates=True, fresh=True, methods=("copy",))
for _fn, _name in ((np.transpose, "permute_dims"), (np.reshape, "reshape"), (np.squeeze, "squeeze"),
                   (np.expand_dims, "expand_dims"), (np.moveaxis, "moveaxis"), (np.broadcast_to, "broadcast_to"),
                   (np.broadcast_arrays, "broadcast_arrays"), (np.asarray, "asarray"), (np.copy, "asarray"),
                   (np.array, "asarray")):
    primitive(_fn, array_api=_name)  # (their names in the Array API standard; np.copy's copies, `allocates`)
primitive(np.array, infer=array_of_kind, allocates=True, fresh=True, methods=("astype",))
primitive(np.ndarray.flatten, name="np.ndarray.flatten", infer=ravel_kind, methods=("flatten",), allocates=True,
          fresh=True, linear=True)
if hasattr(np, "astype"):  # (x.astype(...) is np.array(x, ...): np.astype takes its dtype by position only)
    primitive(np.astype, infer=converted_kind, allocates=True, fresh=True)
for _view in (np.require, np.asarray_chkfinite, np.real_if_close, np.real, np.imag, np.diagonal, np.diag,
              np.trim_zeros):
    primitive(_view, view=True)


@defvjp("transpose", broadcasting=False)
def transpose_vjp(g, ans, x):
    return g.T


@defjvp("transpose", broadcasting=False)
def transpose_jvp(dx, ans, x, *, batch=0):
    """Batched: all axes reversed, then the batch axis (last) put back in front."""
    if batch:
        return np.moveaxis(dx.T, -1, 0)
    return dx.T


@compile_time
def batched_axes(axes, rank):
    """np.transpose's `axes` (None: reversed) of an array of `rank` axes with a batch
    axis in front, which stays in front."""
    if axes is None:
        axes = tuple(range(rank - 1, -1, -1))
    return (0,) + tuple(a % rank + 1 for a in axes)


@defbatch("transpose", np.transpose)
def transpose_batch(x, axes=None, *, batched, ranks):
    """Each example transposed: a matrix's two axes swapped, as a person writes it."""
    if ranks[0] < 2:
        return x
    if ranks[0] == 2 and axes is None:
        return np.swapaxes(x, 1, 2)
    return np.transpose(x, batched_axes(axes, ranks[0]))


@defvjp(np.transpose, broadcasting=False)
def np_transpose_vjp(g, ans, x, axes=None):
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, inverse_permutation(axes))


@defjvp(np.transpose, broadcasting=False)
def np_transpose_jvp(dx, ans, x, axes=None, *, batch=0):
    if batch and axes is None:
        return np.moveaxis(np.transpose(dx), -1, 0)
    if batch:
        return np.transpose(dx, (0,) + batch_axis(axes, 1))
    return np.transpose(dx, axes)


@defvjp(np.moveaxis, broadcasting=False)
def moveaxis_vjp(g, ans, x, source, destination):
    return np.moveaxis(g, destination, source)


@defjvp(np.moveaxis, broadcasting=False)
def moveaxis_jvp(dx, ans, x, source, destination, *, batch=0):
    return np.moveaxis(dx, batch_axis(source, batch), batch_axis(destination, batch))


@defvjp(np.swapaxes, broadcasting=False)
def swapaxes_vjp(g, ans, x, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@defjvp(np.swapaxes, broadcasting=False)
def swapaxes_jvp(dx, ans, x, axis1, axis2, *, batch=0):
    return np.swapaxes(dx, batch_axis(axis1, batch), batch_axis(axis2, batch))


def rolled(x, axis, start):
    """np.rollaxis(x, axis, start) as np.moveaxis(x, source, destination), both
    non-negative (numbers once the rank is known)."""
    n = np.ndim(x)
    source = axis
    if axis < 0:
        source = axis + n
    if start < 0:
        start = start + n
    return source, start - (source < start)


@defvjp(np.rollaxis, broadcasting=False)
def rollaxis_vjp(g, ans, x, axis, start=0):
    source, destination = rolled(x, axis, start)
    return np.moveaxis(g, destination, source)


@defjvp(np.rollaxis, broadcasting=False)
def rollaxis_jvp(dx, ans, x, axis, start=0, *, batch=0):
    if batch:
        source, destination = rolled(x, axis, start)
        return np.moveaxis(dx, source + 1, destination + 1)
    return np.rollaxis(dx, axis, start)


if hasattr(np, "matrix_transpose"):
    @defvjp(np.matrix_transpose, broadcasting=False)
    def matrix_transpose_vjp(g, ans, x):
        return np.matrix_transpose(g)

    @defjvp(np.matrix_transpose, broadcasting=False)
    def matrix_transpose_jvp(dx, ans, x, *, batch=0):
        """The last two axes swapped: a batch axis in front is left alone."""
        return np.matrix_transpose(dx)


# ---- reshapes ----


@compile_time
def index_order(order):
    """A reshape's index order, 'C' or 'F'; the orders that follow memory layout are refused."""
    supported(str(order).upper() in ("C", "F"), f"a reshape in order {order!r} has no derivative rule: its element "
              "order depends on the memory layout; use order='C' or 'F'")
    return str(order).upper()


def reordered(t, shape, order, batch):
    """`t` (after `batch` leading axes) reshaped to `shape` in index order `order`. In
    Fortran order the batch axis goes last first: the slowest axis, it stays apart."""
    if order == "F" and batch:
        directions = (np.shape(t)[0],)
        return np.moveaxis(np.reshape(np.moveaxis(t, 0, -1), shape + directions, order="F"), -1, 0)
    if order == "F":
        return np.reshape(t, shape, order="F")
    if batch:
        return np.reshape(t, (np.shape(t)[0],) + shape)
    return np.reshape(t, shape)


@defvjp(np.reshape, broadcasting=False)
def reshape_vjp(g, ans, x, shape=None, order="C", newshape=None, copy=None):
    return reordered(g, np.shape(x), index_order(order), 0)


@defjvp(np.reshape, broadcasting=False)
def reshape_jvp(dx, ans, x, shape=None, order="C", newshape=None, copy=None, *, batch=0):
    return reordered(dx, np.shape(ans), index_order(order), batch)


@defvjp(np.ravel, "np.ndarray.flatten", broadcasting=False)
def ravel_vjp(g, ans, x, order="C"):
    return reordered(g, np.shape(x), index_order(order), 0)


@defjvp(np.ravel, "np.ndarray.flatten", broadcasting=False)
def ravel_jvp(dx, ans, x, order="C", *, batch=0):
    return reordered(dx, np.shape(ans), index_order(order), batch)


@defvjp(np.expand_dims, np.squeeze, np.atleast_1d, np.atleast_2d, np.atleast_3d, broadcasting=False)
def axes_vjp(g, ans, x, axis=None):
    """Axes of length 1 added or removed: the cotangent reshaped back."""
    return np.reshape(g, np.shape(x))


@defjvp(np.expand_dims, np.squeeze, np.atleast_1d, np.atleast_2d, np.atleast_3d, broadcasting=False)
def axes_jvp(dx, ans, x, axis=None, *, batch=0):
    return reordered(dx, np.shape(ans), "C", batch)


# ---- copies and conversions ----


CONVERSIONS = (np.array, np.asarray, np.asanyarray) + ((np.astype,) if hasattr(np, "astype") else ())
CONTIGUOUS = (np.ascontiguousarray, np.asfortranarray)
OF_FLOATS = (("float",), ("complex",), ("float", None), ("complex", None))
"""The operands' dtypes of a conversion whose derivative is the identity once kinds are
known: a float operand converted to integers or bools gives a result without derivative,
which no rule is asked about; converted to floats, the derivative passes on as it is."""


def array_vjp(g, ans, x, dtype=None, order=None, ndmin=0, copy=None):
    """With `ndmin`, length-1 axes added in front: the cotangent reshaped back."""
    if ndmin:
        return np.reshape(g, np.shape(x))
    return g


def array_jvp(dx, ans, x, dtype=None, order=None, ndmin=0, copy=None, *, batch=0):
    if ndmin:
        return reordered(dx, np.shape(ans), "C", batch)
    return dx


def contiguous_vjp(g, ans, x, dtype=None):
    """A number becomes a vector of one element: the cotangent reshaped back."""
    return np.reshape(g, np.shape(x))


def contiguous_jvp(dx, ans, x, dtype=None, *, batch=0):
    return reordered(dx, np.shape(ans), "C", batch)


for _dtypes in OF_FLOATS:
    defvjp(*CONVERSIONS, broadcasting=False, dtypes=_dtypes)(array_vjp)
    defjvp(*CONVERSIONS, broadcasting=False, dtypes=_dtypes)(array_jvp)
    defvjp(*CONTIGUOUS, broadcasting=False, dtypes=_dtypes)(contiguous_vjp)
    defjvp(*CONTIGUOUS, broadcasting=False, dtypes=_dtypes)(contiguous_jvp)

# Where the operand's dtype is not known (generic code), the conversion's dtype decides at
# run time: its derivative is 0 to integers and bools, where 0.5 does not survive it (1.0
# without a dtype: folded away). A dtype given as a class (`dtype=int`) can only be passed
# on to NumPy in a rule's body, not tested.


@defvjp(*CONVERSIONS, broadcasting=False)
def any_array_vjp(g, ans, x, dtype=None, order=None, ndmin=0, copy=None):
    return array_vjp(g, ans, x, ndmin=ndmin) * float(np.asarray(0.5, dtype=dtype) == 0.5)


@defjvp(*CONVERSIONS, broadcasting=False)
def any_array_jvp(dx, ans, x, dtype=None, order=None, ndmin=0, copy=None, *, batch=0):
    if ndmin:
        dx = reordered(dx, np.shape(ans), "C", batch)
    return dx * float(np.asarray(0.5, dtype=dtype) == 0.5)


@defvjp(*CONTIGUOUS, broadcasting=False)
def any_contiguous_vjp(g, ans, x, dtype=None):
    return np.reshape(g, np.shape(x)) * float(np.asarray(0.5, dtype=dtype) == 0.5)


@defjvp(*CONTIGUOUS, broadcasting=False)
def any_contiguous_jvp(dx, ans, x, dtype=None, *, batch=0):
    return reordered(dx, np.shape(ans), "C", batch) * float(np.asarray(0.5, dtype=dtype) == 0.5)


@defvjp(np.copy, broadcasting=False)
def copy_vjp(g, ans, x, order="K", subok=False):
    return g


@defjvp(np.copy, broadcasting=False)
def copy_jvp(dx, ans, x, order="K", subok=False, *, batch=0):
    return dx


# ---- broadcasting ----


@defvjp(np.broadcast_arrays, broadcasting=True)
def broadcast_arrays_vjp(g, ans, *arrays, subok=False):
    """Item k's cotangent, summed down to operand k's shape by the transform."""
    return one_or_tuple([g[k] for k in range(len(arrays))])


@defjvp(np.broadcast_arrays, broadcasting=False)
def broadcast_arrays_jvp(darrays, ans, *arrays, subok=False, batch=0):
    """Each tangent broadcast to the result's shape; batched, first given the result's
    rank (axes of length 1 after the batch axis)."""
    shape = np.shape(ans[0])
    if batch:
        directions = (np.shape(darrays[0])[0],)
        return [np.broadcast_to(np.reshape(d, directions + (1,) * (len(shape) - np.ndim(a)) + np.shape(a)),
                                directions + shape) for d, a in zip(darrays, arrays)]
    return [np.broadcast_to(d, shape) for d in darrays]


@defvjp(np.broadcast_to, broadcasting=True)
def broadcast_to_vjp(g, ans, x, shape):
    return g, None  # (the shape may be a run-time value)


@defjvp(np.broadcast_to, broadcasting=True)
def broadcast_to_jvp(dx, ans, x, shape):
    """`dx` arrives broadcast to the result's shape (a broadcasting rule's tangent)."""
    return dx
