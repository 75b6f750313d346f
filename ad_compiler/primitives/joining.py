"""Joining and splitting: `np.stack`, `np.concatenate`, `np.vstack`, `np.hstack` (and
`np.array` of a list, which the frontend writes as a stack), `np.append`,
`np.column_stack`, `np.dstack`, `np.row_stack`; `np.split`, `np.array_split`,
`np.hsplit`, `np.vsplit`, `np.dsplit`, `np.unstack`.

The joining functions' operands are the items of one sequence (`ir.prims.PACKED`): a rule
takes them as `*arrays`, a JVP their tangents as one sequence `darrays` (zero tangents
made explicit: each item's place in the result needs its zeros). A VJP cuts the cotangent
back into the items' pieces: along the joined axis at offsets read from the items' shapes
(numbers once shapes are known), then reshaped to each item's shape where joining added
axes.

A splitting function's result is a list of arrays (views): its kind is a list
(`ListKind`), so the compiler reads it as a run-time list — `a, b = np.split(x, 2)` and
`np.split(x, [1, 3])[1]` read items — and its cotangent is the list of the items'
cotangents (zeros for an item not read), which the VJP joins back; its tangent is the
list of the items' tangents.
"""

from __future__ import annotations

import numpy as np

from ..ir import Op
from ..ir.prims import PACKED, over_sequence, packed_prim
from ..ir.types import Array, ListKind, Scalar, kind_of
from .helpers import batch_axis, supported
from .indexing import positions
from .kinds import NUMPY_DTYPES, array_kind, dtype_of, shape_of
from .rearranging import by_values, gathered, scattered
from .record import PRIMITIVES, defjvp, defvjp, defzero, primitive


def joined_kind(op, kinds, producers):
    """`np.stack`, `np.concatenate`, ...: what NumPy makes of arrays of these kinds (of
    length-1 axes where a shape is not known: then only the rank and dtype are)."""
    if not kinds or any(dtype_of(k) is None or not isinstance(k, (Scalar, Array)) for k in kinds):
        return None
    shapes = [shape_of(k) for k in kinds]
    known = all(shape is not None for shape in shapes)
    probes = tuple(np.empty(shape if known else (1,) * k.ndim if isinstance(k, Array) else (), NUMPY_DTYPES[k.dtype])
                   for shape, k in zip(shapes, kinds))
    try:
        made = PRIMITIVES.callable(packed_prim(op.prim))(probes, **op.attrs)
    except Exception:  # noqa: BLE001 - shapes that do not join: NumPy says so at run time
        return None
    return array_kind(made.shape if known else None, kind_of(made).dtype, made.ndim)


def joined_sequence_kind(op, kinds, producers):
    """`np.stack(hs)` of a run-time list: as of two items of its items' kind (a length
    not known here)."""
    (sequence,) = kinds
    item = sequence.item if isinstance(sequence, ListKind) else None
    if not isinstance(item, (Scalar, Array)):
        return None
    joined = joined_kind(Op(packed_prim(op.prim), [], [], op.attrs), [item, item], producers)
    if not isinstance(joined, Array):
        return None
    return array_kind(None, joined.dtype, joined.ndim)


primitive(np.block, refused="np.block is not supported: join the blocks with np.concatenate, each row of blocks "
                             "along axis 1, then the rows along axis 0")

for _prim in sorted(PACKED):
    primitive(_prim, infer=joined_kind, fresh=True)
    primitive(over_sequence(_prim), arity=1, infer=joined_sequence_kind, fresh=True)


def _pieces(g, arrays, axis, shapes):
    """`g` cut along `axis` into consecutive pieces of the lengths `shapes[k][axis]`,
    each reshaped to the shape of `arrays[k]`."""
    moved = g if axis == 0 else np.moveaxis(g, axis, 0)
    start = 0
    pieces = []
    for k in range(len(arrays)):
        stop = start + shapes[k][axis]
        piece = moved[start:stop]
        piece = piece if axis == 0 else np.moveaxis(piece, 0, axis)
        pieces.append(np.reshape(piece, np.shape(arrays[k])))
        start = stop
    return one_or_tuple(pieces)


def one_or_tuple(pieces):
    if len(pieces) == 1:
        return pieces[0]
    return tuple(pieces)


@defvjp(np.stack, broadcasting=False)
def stack_vjp(g, ans, *arrays, axis=0, dtype=None):
    moved = g if axis == 0 else np.moveaxis(g, axis, 0)
    return one_or_tuple([moved[k] for k in range(len(arrays))])


@defjvp(np.stack, broadcasting=False)
def stack_jvp(darrays, ans, *arrays, axis=0, dtype=None, batch=0):
    return np.stack(darrays, axis=batch_axis(axis, batch))


def concatenated_pieces(g, arrays, axis):
    """The cotangents of the items of `np.concatenate(arrays, axis)` (axis None: of
    their flattened elements)."""
    if axis is None:
        return _pieces(g, arrays, 0, [(np.size(a),) for a in arrays])
    return _pieces(g, arrays, axis, [np.shape(a) for a in arrays])


@defvjp(np.concatenate, broadcasting=False)
def concatenate_vjp(g, ans, *arrays, axis=0, dtype=None):
    return concatenated_pieces(g, arrays, axis)


def _concatenate_tangent(darrays, arrays, axis, batch):
    """The JVP of `np.concatenate` of the items `arrays` (a tuple, or a run-time list)."""
    if axis is None and batch:
        return np.concatenate([np.reshape(d, (np.shape(d)[0], np.size(a))) for d, a in zip(darrays, arrays)],
                              axis=1)
    return np.concatenate(darrays, axis=batch_axis(axis, batch))


@defjvp(np.concatenate, broadcasting=False)
def concatenate_jvp(darrays, ans, *arrays, axis=0, dtype=None, batch=0):
    return _concatenate_tangent(darrays, arrays, axis, batch)


@defvjp(np.vstack, broadcasting=False)
def vstack_vjp(g, ans, *arrays):
    return _pieces(g, arrays, 0, [np.shape(np.atleast_2d(a)) for a in arrays])


def _vstack_tangent(darrays, arrays, batch):
    """The JVP of `np.vstack` of the items `arrays` (a tuple, or a run-time list)."""
    if batch:
        return np.concatenate([np.reshape(d, (np.shape(d)[0],) + np.shape(np.atleast_2d(a)))
                               for d, a in zip(darrays, arrays)], axis=1)
    return np.vstack(darrays)


@defjvp(np.vstack, broadcasting=False)
def vstack_jvp(darrays, ans, *arrays, batch=0):
    return _vstack_tangent(darrays, arrays, batch)


@defvjp(np.hstack, broadcasting=False)
def hstack_vjp(g, ans, *arrays):
    # joined along axis 0 if the items are vectors (or numbers), else along axis 1: known
    # at run time in generic code, so each piece chooses (the pieces stay one per item)
    flat = np.ndim(ans) == 1
    start = 0
    pieces = []
    for a in arrays:
        stop = start + (np.size(a) if flat else np.shape(a)[1])
        pieces.append(np.reshape(g[start:stop] if flat else g[:, start:stop], np.shape(a)))
        start = stop
    return one_or_tuple(pieces)


def _hstack_tangent(darrays, ans, arrays, batch):
    """The JVP of `np.hstack` of the items `arrays` (a tuple, or a run-time list)."""
    if not batch:
        return np.hstack(darrays)
    if np.ndim(ans) == 1:
        return np.concatenate([np.reshape(d, (np.shape(d)[0],) + np.shape(np.atleast_1d(a)))
                               for d, a in zip(darrays, arrays)], axis=1)
    return np.concatenate(darrays, axis=2)


@defjvp(np.hstack, broadcasting=False)
def hstack_jvp(darrays, ans, *arrays, batch=0):
    return _hstack_tangent(darrays, ans, arrays, batch)


# ---- of one sequence known only at run time (`np.stack(hs)` of a list grown in a loop) ----
# The operand is the list; its adjoint is a list of the items' adjoints, its tangent the
# list of the items' tangents.

@defvjp(over_sequence("np.stack"), broadcasting=False)
def stack_sequence_vjp(g, ans, arrays, axis=0, dtype=None):
    return list(g if axis == 0 else np.moveaxis(g, axis, 0))


@defjvp(over_sequence("np.stack"), broadcasting=False)
def stack_sequence_jvp(darrays, ans, arrays, axis=0, dtype=None, batch=0):
    return np.stack(darrays, axis=batch_axis(axis, batch))


@defvjp(over_sequence("np.concatenate"), broadcasting=False)
def concatenate_sequence_vjp(g, ans, arrays, axis=0, dtype=None):
    flat = axis is None
    moved = np.ravel(g) if flat else g if axis == 0 else np.moveaxis(g, axis, 0)
    pieces = []
    start = 0
    for a in arrays:
        stop = start + (np.size(a) if flat else np.shape(a)[axis])
        piece = moved[start:stop]
        pieces.append(np.reshape(piece, np.shape(a)) if flat or axis == 0 else np.moveaxis(piece, 0, axis))
        start = stop
    return pieces


@defjvp(over_sequence("np.concatenate"), broadcasting=False)
def concatenate_sequence_jvp(darrays, ans, arrays, axis=0, dtype=None, batch=0):
    return _concatenate_tangent(darrays, arrays, axis, batch)


@defvjp(over_sequence("np.vstack"), broadcasting=False)
def vstack_sequence_vjp(g, ans, arrays):
    pieces = []
    start = 0
    for a in arrays:
        stop = start + np.shape(np.atleast_2d(a))[0]
        pieces.append(np.reshape(g[start:stop], np.shape(a)))
        start = stop
    return pieces


@defjvp(over_sequence("np.vstack"), broadcasting=False)
def vstack_sequence_jvp(darrays, ans, arrays, batch=0):
    return _vstack_tangent(darrays, arrays, batch)


@defvjp(over_sequence("np.hstack"), broadcasting=False)
def hstack_sequence_vjp(g, ans, arrays):
    flat = np.ndim(ans) == 1
    pieces = []
    start = 0
    for a in arrays:
        stop = start + (np.size(a) if flat else np.shape(a)[1])
        pieces.append(np.reshape(g[start:stop] if flat else g[:, start:stop], np.shape(a)))
        start = stop
    return pieces


@defjvp(over_sequence("np.hstack"), broadcasting=False)
def hstack_sequence_jvp(darrays, ans, arrays, batch=0):
    return _hstack_tangent(darrays, ans, arrays, batch)


# ---- np.append: np.concatenate of two (flattened, without an axis) ----

primitive(np.append, infer=by_values(np.append, data=(0, 1)), fresh=True)


@defvjp(np.append, broadcasting=False)
def append_vjp(g, ans, arr, values, axis=None):
    return concatenated_pieces(g, (arr, values), axis)


@defjvp(np.append, broadcasting=False)
def append_jvp(darr, dvalues, ans, arr, values, axis=None, *, batch=0):
    return _concatenate_tangent((darr, dvalues), (arr, values), axis, batch)


# ---- joining functions the frontend does not take apart ----
# np.column_stack, np.dstack and np.row_stack are not PACKED: their one operand is an
# array whose items along the first axis are joined (`np.column_stack([a, b])` is of
# `np.stack([a, b])`: items of one shape), or a tuple of arrays (`np.column_stack((a,
# b))`). Where each element of the result comes from is the function applied to the
# operand's positions; of a tuple, those of the array NumPy makes of it, so its items must
# share a shape (else NumPy says so at run time). A tuple's tangent is a tuple of batched
# tangents, which batched forward mode does not gather from: refused there.


def rows_joined_rules(prim, join):
    """The rules of `prim`, which joins the items of its operand as `join` does."""

    def vjp(g, ans, tup):
        return scattered(g, tup, join(positions(tup)))

    def jvp(dtup, ans, tup, *, batch=0):
        if batch:
            return gathered(dtup, tup, join(positions(tup)), batch)
        return join(dtup)

    refusal = (f"batched forward mode (jacfwd, hessian) of {prim} of a tuple of arrays is not supported; pass "
               f"a list of arrays of one shape: {prim}([a, b])")

    def tuple_jvp(dtup, ans, tup, *, batch=0):
        """Of a tuple (or, in generic code, of an array: unbatched there)."""
        if batch:
            supported(False, refusal)
        return join(dtup)

    primitive(prim, infer=by_values(join), linear=True, fresh=True)
    defvjp(prim, broadcasting=False)(vjp)
    for dtypes in (("float",), ("complex",)):
        defjvp(prim, broadcasting=False, dtypes=dtypes)(jvp)
    defjvp(prim, broadcasting=False)(tuple_jvp)


rows_joined_rules("np.column_stack", np.column_stack)
rows_joined_rules("np.dstack", np.dstack)
if hasattr(np, "row_stack"):
    rows_joined_rules("np.row_stack", np.vstack)


# ---- splitting: a list of views ----

def pieces_kind(fn, lost=0):
    """The kind of a split: a list, of the pieces' kind where the shapes and the indices
    are known, else of arrays of the operand's rank less `lost` (np.unstack's 1)."""
    known = by_values(fn)

    def infer(op, kinds, producers):
        x = kinds[0]
        found = known(op, kinds, producers)
        if isinstance(found, ListKind):
            return found
        return ListKind(array_kind(None, x.dtype, x.ndim - lost) if isinstance(x, Array) else None)

    return infer


for _prim in (np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit):
    primitive(_prim, infer=pieces_kind(_prim), view=True)


@defvjp(np.split, np.array_split, broadcasting=False)
def split_vjp(g, ans, x, indices_or_sections, axis=0):
    return np.concatenate(g, axis=axis)


@defjvp(np.split, broadcasting=False)
def split_jvp(dx, ans, x, indices_or_sections, axis=0, *, batch=0):
    return np.split(dx, indices_or_sections, axis=batch_axis(axis, batch))


@defjvp(np.array_split, broadcasting=False)
def array_split_jvp(dx, ans, x, indices_or_sections, axis=0, *, batch=0):
    return np.array_split(dx, indices_or_sections, axis=batch_axis(axis, batch))


@defvjp(np.hsplit, broadcasting=False)
def hsplit_vjp(g, ans, x, indices_or_sections):
    return np.hstack(g)


@defjvp(np.hsplit, broadcasting=False)
def hsplit_jvp(dx, ans, x, indices_or_sections, *, batch=0):
    """Along axis 1, or 0 for a vector: after the batch axis, 2 or 1 (a number once the
    rank is known, as it is in batched mode)."""
    if batch:
        return np.split(dx, indices_or_sections, min(np.ndim(x), 2))
    return np.hsplit(dx, indices_or_sections)


@defvjp(np.vsplit, broadcasting=False)
def vsplit_vjp(g, ans, x, indices_or_sections):
    return np.concatenate(g, axis=0)


@defjvp(np.vsplit, broadcasting=False)
def vsplit_jvp(dx, ans, x, indices_or_sections, *, batch=0):
    return np.split(dx, indices_or_sections, axis=batch)


@defvjp(np.dsplit, broadcasting=False)
def dsplit_vjp(g, ans, x, indices_or_sections):
    return np.concatenate(g, axis=2)


@defjvp(np.dsplit, broadcasting=False)
def dsplit_jvp(dx, ans, x, indices_or_sections, *, batch=0):
    return np.split(dx, indices_or_sections, axis=2 + batch)


if hasattr(np, "unstack"):
    primitive(np.unstack, infer=pieces_kind(np.unstack, lost=1), view=True)

    @defvjp(np.unstack, broadcasting=False)
    def unstack_vjp(g, ans, x, axis=0):
        return np.stack(g, axis=axis)

    @defjvp(np.unstack, broadcasting=False)
    def unstack_jvp(dx, ans, x, axis=0, *, batch=0):
        return np.unstack(dx, axis=batch_axis(axis, batch))


defzero("zeros_items")
