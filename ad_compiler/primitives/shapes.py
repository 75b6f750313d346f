"""Functions that rearrange an array's elements without computing: transposes, reshapes,
axes moved, added or removed, broadcasting, and the copies (`np.array`, `np.copy`).

Most return a view of their operand (trait `view`), which is what lets codegen write in
place only where no view is live and the frontend refuse a read of a stale view. A VJP
applies the inverse rearrangement to the cotangent; a JVP the same one to the tangent,
after its batch axis.
"""

from __future__ import annotations

import numpy as np

from .helpers import batch_axis, inverse_permutation
from .kinds import array_kind, const, dtype_of, same_kind, shape_of, static
from ..ir import Const
from .record import PRIMITIVES, defjvp, defvjp, primitive
from ..ir.types import Array, Scalar, TupleKind, promote


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
    axis = static(op, 1, "axis")
    shape = shape_of(kinds[0])
    if shape is None or not isinstance(axis, int):
        return None
    shape = list(shape)
    shape.insert(axis % (len(shape) + 1), 1)
    return array_kind(tuple(shape), kinds[0].dtype)


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
    return array_kind(PRIMITIVES.callable(op.prim)(np.empty(shape), first, second).shape, kinds[0].dtype)


def array_of_kind(op, kinds, producers):
    """`np.array(x)`: an array like `x`; of a tuple of numbers, a vector."""
    (x,) = kinds if len(kinds) == 1 else (None,)
    if isinstance(x, TupleKind):
        items = [k for k in x.items if isinstance(k, Scalar)]
        if len(items) != len(x.items) or not items:
            return None
        dtype = items[0].dtype
        for k in items[1:]:
            dtype = promote(dtype, k.dtype)
        return Array(1, dtype, (len(items),))
    return x if not op.attrs else None


VIEW = dict(view=True, linear=True)
primitive("transpose", arity=1, infer=transpose_kind, **VIEW)
primitive(np.transpose, infer=transpose_kind, methods=("transpose",), **VIEW)
primitive(np.reshape, infer=reshape_kind, methods=("reshape",), **VIEW)
primitive(np.ravel, infer=ravel_kind, methods=("ravel",), **VIEW)
primitive(np.squeeze, infer=squeeze_kind, **VIEW)
primitive(np.expand_dims, infer=expand_dims_kind, **VIEW)
primitive(np.atleast_1d, np.atleast_2d, np.atleast_3d, infer=atleast_kind, **VIEW)
primitive(np.moveaxis, np.swapaxes, infer=moved_axes_kind, **VIEW)
primitive(np.swapaxes, methods=("swapaxes",))
primitive(np.broadcast_to, infer=broadcast_to_kind, **VIEW)
primitive(np.asarray, infer=same_kind, view=True)
primitive(np.copy, infer=same_kind, allocates=True, fresh=True)
primitive(np.array, infer=array_of_kind, allocates=True, fresh=True)
for _view in (np.matrix_transpose if hasattr(np, "matrix_transpose") else None, np.asanyarray,
              np.ascontiguousarray, np.asfortranarray, np.require, np.asarray_chkfinite, np.real_if_close, np.real,
              np.imag, np.flip, np.fliplr, np.flipud, np.rot90, np.diagonal, np.diag, np.trim_zeros, np.split,
              np.array_split, np.hsplit, np.vsplit, np.dsplit, getattr(np, "unstack", None)):
    if _view is not None:
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


@defvjp(np.array, np.asarray, np.copy, broadcasting=False)
def copy_vjp(g, ans, x, dtype=None):
    return g


@defjvp(np.array, np.asarray, np.copy, broadcasting=False)
def copy_jvp(dx, ans, x, dtype=None, *, batch=0):
    return dx


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


@defvjp(np.reshape, np.expand_dims, np.squeeze, np.ravel, np.atleast_1d, np.atleast_2d,
        broadcasting=False)
def reshape_vjp(g, ans, x, arg=None):
    return np.reshape(g, np.shape(x))


@defjvp(np.reshape, np.expand_dims, np.squeeze, np.ravel, np.atleast_1d, np.atleast_2d,
        broadcasting=False)
def reshape_jvp(dx, ans, x, arg=None, *, batch=0):
    """The tangent takes the result's shape, after its batch axis."""
    if batch:
        return np.reshape(dx, (np.shape(dx)[0],) + np.shape(ans))
    return np.reshape(dx, np.shape(ans))


@defvjp(np.broadcast_to, broadcasting=True)
def broadcast_to_vjp(g, ans, x, shape):
    return g, None  # (the shape may be a run-time value)


@defjvp(np.broadcast_to, broadcasting=True)
def broadcast_to_jvp(dx, ans, x, shape):
    """`dx` arrives broadcast to the result's shape (a broadcasting rule's tangent)."""
    return dx
