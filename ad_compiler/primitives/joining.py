"""Joining and splitting: `np.stack`, `np.concatenate`, `np.vstack`, `np.hstack` (and
`np.array` of a list, which the frontend writes as a stack), `np.append`,
`np.column_stack`, `np.dstack`, `np.row_stack`; `np.split`, `np.array_split`,
`np.hsplit`, `np.vsplit`, `np.dsplit`, `np.unstack`.

The joining functions take one sequence of arrays: they are `packed` primitives, whose
operands are the sequence's items (or, where it is known only at run time, the sequence
itself: `over_sequence`). A rule takes the items as `*arrays`, a JVP their tangents as one
sequence `darrays` (zero tangents made explicit: each item's place in the result needs
its zeros). Each join is NumPy's concatenation of its items made alike (`np.vstack`
joins `np.atleast_2d(a)` along axis 0, `np.column_stack` vectors as columns along axis
1), and one pair of functions gives both forms' rules: a VJP cuts the cotangent back
into the items' pieces along the joined axis, at offsets read from the items' shapes
(numbers once shapes are known), each reshaped to its item's shape; a batched JVP joins
the items' tangents made alike after their directions.

A splitting function's result is a list of arrays (views): its kind is a list
(`ListKind`), so the compiler reads it as a run-time list — `a, b = np.split(x, 2)` and
`np.split(x, [1, 3])[1]` read items — and its cotangent is the list of the items'
cotangents (zeros for an item not read), which the VJP joins back; its tangent is the
list of the items' tangents.
"""

from __future__ import annotations

import numpy as np

from ..ir import Op, Value
from ..ir.prims import list_length, over_sequence, packed_prim
from ..ir.types import Array, ListKind, Scalar, kind_of
from .helpers import batch_axis
from .kinds import NUMPY_DTYPES, array_kind, dtype_of, operand_kind, shape_of
from .rearranging import by_values
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
    """`np.stack(hs)` of a run-time list: as of its items where their number is known
    here (the items of an array of known shape, `np.column_stack(x)`; a list a counted
    loop appends to at every step); else as of two items of its items' kind, of a length
    not known here."""
    (sequence,) = kinds
    item = sequence.item if isinstance(sequence, ListKind) else None
    if not isinstance(item, (Scalar, Array)):
        return None
    maker = producers.get(op.inputs[0]) if isinstance(op.inputs[0], Value) else None
    array = operand_kind(maker.inputs[0]) if maker is not None and maker.prim == "items" else None
    if isinstance(array, Array) and array.shape is not None and array.shape[0] > 0:
        return joined_kind(Op(packed_prim(op.prim), [], [], op.attrs), [item] * array.shape[0], producers)
    length = list_length(op.inputs[0], producers)
    if length:
        return joined_kind(Op(packed_prim(op.prim), [], [], op.attrs), [item] * length, producers)
    joined = joined_kind(Op(packed_prim(op.prim), [], [], op.attrs), [item, item], producers)
    if not isinstance(joined, Array):
        return None
    return array_kind(None, joined.dtype, joined.ndim)


primitive(np.block, refused="np.block is not supported: join the blocks with np.concatenate, each row of blocks "
                             "along axis 1, then the rows along axis 0")


def packed(fn, over_sequence_refused="", **traits):
    """Define `fn`, which takes one sequence of arrays, as a packed primitive (its operands
    the items) and its form over one run-time sequence (refused with the advice
    `over_sequence_refused`, if given)."""
    (record,) = primitive(fn, packed=True, **{"infer": joined_kind, "fresh": True, **traits})
    primitive(over_sequence(record.name), arity=1, infer=joined_sequence_kind, fresh=True,
              refused=over_sequence_refused, additive=record.additive)
    return record.name


def joining_rules(fn, pieces, tangent, sequence_pieces=None):
    """The rules of a packed primitive, of items known here and of one run-time sequence,
    from `pieces(g, ans, arrays, axis)`, the list of the items' cotangents (of a run-time
    sequence, `sequence_pieces`' if given), and `tangent(darrays, ans, arrays, axis,
    batch)`, the result's tangent (`axis` is that of np.stack and np.concatenate; other
    joins have none)."""
    sequence_pieces = sequence_pieces or pieces
    prim = packed(fn, additive=True, moves=(0,))  # (a join: `vmap` joins the batched items)

    def vjp(g, ans, *arrays, axis=0, dtype=None):
        return one_or_tuple(pieces(g, ans, arrays, axis))

    def jvp(darrays, ans, *arrays, axis=0, dtype=None, batch=0):
        return tangent(darrays, ans, arrays, axis, batch)

    def sequence_vjp(g, ans, arrays, axis=0, dtype=None):
        return sequence_pieces(g, ans, arrays, axis)

    def sequence_jvp(darrays, ans, arrays, axis=0, dtype=None, batch=0):
        return tangent(darrays, ans, arrays, axis, batch)

    defvjp(prim, broadcasting=False)(vjp)
    defjvp(prim, broadcasting=False)(jvp)
    defvjp(over_sequence(prim), broadcasting=False)(sequence_vjp)
    defjvp(over_sequence(prim), broadcasting=False)(sequence_jvp)


def one_or_tuple(pieces):
    if len(pieces) == 1:
        return pieces[0]
    return tuple(pieces)


def cut(g, arrays, axis, joined, reshaped=True):
    """`g` cut along `axis` into consecutive pieces, one per item `a`, as long as
    `joined(a)` (the item as it is joined: `np.atleast_2d(a)` for np.vstack) along the
    axis, each reshaped to the item's shape (not `reshaped`: items joined as they are,
    whose pieces have their shapes): the items' cotangents, as a list."""
    start = 0
    pieces = []
    for a in arrays:
        stop = start + np.shape(joined(a))[axis]
        piece = along(g, start, stop, axis)
        pieces.append(np.reshape(piece, np.shape(a)) if reshaped else piece)
        start = stop
    return pieces


def along(g, start, stop, axis):
    """`g` from `start` to `stop` along `axis` (a constant), as the index a person writes:
    `g[:, start:stop]`, `g[..., start:stop]` (axis -1); past three axes, by moving it."""
    if axis == 0:
        return g[start:stop]
    if axis == 1:
        return g[:, start:stop]
    if axis == 2:
        return g[:, :, start:stop]
    if axis == -1:
        return g[..., start:stop]
    if axis == -2:
        return g[..., start:stop, :]
    if axis == -3:
        return g[..., start:stop, :, :]
    return np.moveaxis(np.moveaxis(g, axis, 0)[start:stop], 0, axis)


def joined_tangent(darrays, arrays, axis, joined, batch):
    """The batched tangent of a join of the items `joined(a)` along `axis`: each item's
    tangent as `joined` would make it, after its directions, then joined."""
    return np.concatenate([np.reshape(d, (np.shape(d)[0],) + np.shape(joined(a))) for d, a in zip(darrays, arrays)],
                          axis=batch_axis(axis, batch))


def as_is(a):
    return a


def as_column(a):
    """An item as np.column_stack joins it: a vector (or a number) as a column."""
    return a if np.ndim(a) >= 2 else np.reshape(a, (-1, 1))


def stack_pieces(g, ans, arrays, axis):
    moved = g if axis == 0 else np.moveaxis(g, axis, 0)
    return [moved[k] for k in range(len(arrays))]


def stacked_items(g, ans, arrays, axis):
    """(of a run-time sequence: the list of the cotangent's items along the axis)"""
    return list(g if axis == 0 else np.moveaxis(g, axis, 0))


def stack_tangent(darrays, ans, arrays, axis, batch):
    return np.stack(darrays, axis=batch_axis(axis, batch))


def concatenate_pieces(g, ans, arrays, axis):
    """(axis None: of the items' flattened elements)"""
    if axis is None:
        return cut(g, arrays, 0, np.ravel)
    return cut(g, arrays, axis, as_is, reshaped=False)


def concatenate_tangent(darrays, ans, arrays, axis, batch):
    if axis is None and batch:
        return joined_tangent(darrays, arrays, 0, np.ravel, batch)
    return np.concatenate(darrays, axis=batch_axis(axis, batch))


def made_alike(fn, axis, alike):
    """The pieces and the tangent of `fn`, which joins its items made alike by `alike`
    (np.atleast_2d for np.vstack) along `axis`."""

    def pieces(g, ans, arrays, _):
        return cut(g, arrays, axis, alike)

    def tangent(darrays, ans, arrays, _, batch):
        if batch:
            return joined_tangent(darrays, arrays, axis, alike, batch)
        return fn(darrays)

    return pieces, tangent


def hstack_pieces(g, ans, arrays, axis):
    """Along axis 0 if the items are vectors (or numbers), else along axis 1."""
    return cut(g, arrays, 0 if np.ndim(ans) == 1 else 1, np.atleast_1d)


def hstack_tangent(darrays, ans, arrays, axis, batch):
    """(np.concatenate's axis must be a constant: a branch for each, in generic code)"""
    if not batch:
        return np.hstack(darrays)
    if np.ndim(ans) == 1:
        return joined_tangent(darrays, arrays, 0, np.atleast_1d, batch)
    return joined_tangent(darrays, arrays, 1, np.atleast_1d, batch)


joining_rules(np.stack, stack_pieces, stack_tangent, stacked_items)
joining_rules(np.concatenate, concatenate_pieces, concatenate_tangent)
primitive(np.stack, array_api="stack")  # (the Array API standard's names; of a run-time sequence too)
primitive(np.concatenate, array_api="concat")
joining_rules(np.vstack, *made_alike(np.vstack, 0, np.atleast_2d))
joining_rules(np.hstack, hstack_pieces, hstack_tangent)
joining_rules(np.column_stack, *made_alike(np.column_stack, 1, as_column))
joining_rules(np.dstack, *made_alike(np.dstack, 2, np.atleast_3d))
if hasattr(np, "row_stack"):  # (deprecated since NumPy 2.0: np.vstack)
    joining_rules(np.row_stack, *made_alike(np.vstack, 0, np.atleast_2d))


# ---- np.append: np.concatenate of two (flattened, without an axis) ----

primitive(np.append, infer=by_values(np.append, data=(0, 1)), fresh=True, additive=True, moves=(0, 1))


@defvjp(np.append, broadcasting=False)
def append_vjp(g, ans, arr, values, axis=None):
    return one_or_tuple(concatenate_pieces(g, ans, (arr, values), axis))


@defjvp(np.append, broadcasting=False)
def append_jvp(darr, dvalues, ans, arr, values, axis=None, *, batch=0):
    return concatenate_tangent((darr, dvalues), ans, (arr, values), axis, batch)


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
    primitive(_prim, infer=pieces_kind(_prim), view=True, moves=(0,))


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
    primitive(np.unstack, infer=pieces_kind(np.unstack, lost=1), view=True, moves=(0,))

    @defvjp(np.unstack, broadcasting=False)
    def unstack_vjp(g, ans, x, axis=0):
        return np.stack(g, axis=axis)

    @defjvp(np.unstack, broadcasting=False)
    def unstack_jvp(dx, ans, x, axis=0, *, batch=0):
        return np.unstack(dx, axis=batch_axis(axis, batch))


defzero("zeros_items")


# ---- NumPy's index tricks, as the joins they are ----

def r_(*items):
    """`np.r_[a, b, ...]` of arrays and numbers: joined along the first axis, a number as a
    vector of one."""
    return np.concatenate([np.atleast_1d(item) for item in items])


def c_(*items):
    """`np.c_[a, b, ...]` of arrays and numbers: joined along the last axis, a vector as a
    column, a number as a 1 x 1 matrix."""
    return np.concatenate([np.reshape(item, (-1, 1)) if np.ndim(item) == 1 else np.atleast_2d(item)
                           for item in items], axis=-1)


def index_trick(obj):
    """The function an object indexed to join its index's items computes (`np.r_`,
    `np.c_`), or None."""
    if obj is np.r_:
        return r_
    if obj is np.c_:
        return c_
    return None
