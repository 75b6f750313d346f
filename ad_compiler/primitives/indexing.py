"""VJP and JVP rules of indexing: reading an element or slice, and writing one.

An index is an int, a slice, None, `...`, an array of ints or bools, or a tuple of them.
An integer array may select a position more than once (`x[[2, 0, 0]]`), so the rules are
written for that case: the cotangent of a read is *added* at the index (`add_at`, which
is `np.add.at`: every selected value lands, where `bx[index] = g` would keep one), and of
the values a write `y[index] = v` stores, only those it keeps (the last one at each
position, `kept_writes`) get a cotangent. Specialization (`passes/specialize.py`) turns
both back into plain code where the index selects each position at most once (ints,
slices, `None`, `...`, a boolean mask, or a constant integer array without repeats), so
`x[i]`, `x[1:]` and `x[:, 0]` still scatter with one assignment into zeros.

A JVP indexes the tangent as the op indexes its operand. In batched mode the index must
apply after the tangent's batch axis, and it may be a run-time value (a loop counter), of
any of the forms above: moving the batch axis last would do but for `...`, which would
then reach it. So the rules index an array of the positions of `x`'s elements instead
(`positions(x)[index]`: the flat positions the index selects, in the result's shape), and
gather or scatter those positions of the tangent flattened to `(directions, elements)`.
Shapes are written as `np.shape` gives them, which folds to a constant once shapes are
known, so that the tangents' shapes stay known to what runs over them (a Jacobian of a
Jacobian): the gathered elements are written into zeros of the result's shape, as shape
inference cannot follow a gather.
"""

from __future__ import annotations

import copy
import operator

import numpy as np

from ..ir import Const
from ..ir.types import Array, ListKind, Scalar, SliceKind, TupleKind, join, promote
from ..runtime import add_at, kept_writes
from .kinds import array_kind, const
from .reads import are_ids
from .record import defjvp, defvjp, defzero, primitive

_UNKNOWN = object()
_LONG = 1 << 20
"""The length of each axis of the probe that finds the rank of an index into an array of
unknown shape (any index a program writes is in range)."""


def _probe(x, producers):
    """A concrete index with the structure of `x` (run-time ints and integer arrays become
    zeros; a run-time slice becomes `:`, a boolean mask all true, with `exact` False: the
    count it selects is not known), to let NumPy compute the result's shape."""
    if isinstance(x, Const):
        return x.value, True
    kind = x.kind
    if isinstance(kind, Scalar) and kind.dtype == "int":
        return 0, True
    if isinstance(kind, Scalar) and kind.dtype == "bool":
        return True, False  # (`y[c]` adds an axis, of length 1 or 0)
    if isinstance(kind, Array) and kind.dtype == "bool" and kind.shape is not None:
        return np.ones(kind.shape, dtype=bool), False
    if isinstance(kind, TupleKind) and all(isinstance(k, Scalar) and k.dtype == "int" for k in kind.items):
        return (0,) * len(kind.items), True  # a tuple of run-time ints (recorded on a tape)
    if isinstance(kind, Array) and kind.dtype == "int" and kind.shape is not None:
        return np.zeros(kind.shape, dtype=np.intp), True  # an integer array: its shape is the result's
    op = producers.get(x)
    if op is not None and op.prim == "slice":
        return slice(None), False
    if op is not None and op.prim == "tuple":
        parts = [_probe(item, producers) for item in op.inputs]
        if any(p is _UNKNOWN for p in parts):
            return _UNKNOWN
        return tuple(p for p, _ in parts), all(exact for _, exact in parts)
    return _UNKNOWN


def getitem_kind(op, kinds, producers):
    base = kinds[0]
    index = const(op.inputs[1])
    if isinstance(base, TupleKind) and isinstance(index, int):
        n = len(base.items)  # (out of range: a branch that never runs, `np.shape(x)[1]` of a vector)
        return base.items[index] if -n <= index < n else None
    if isinstance(base, ListKind):
        return base.item
    probe = _probe(op.inputs[1], producers)
    if not isinstance(base, Array) or probe is _UNKNOWN:
        return None
    if base.shape is None:  # (its rank: of a probe with long axes, of no memory)
        try:
            wide = np.lib.stride_tricks.as_strided(np.empty(1), (_LONG,) * base.ndim, (0,) * base.ndim)
            return array_kind(None, base.dtype, wide[probe[0]].ndim)
        except (IndexError, TypeError, ValueError):
            return None
    try:
        shape = np.empty(base.shape)[probe[0]].shape
    except (IndexError, TypeError, ValueError):
        return None
    return array_kind(shape if probe[1] else None, base.dtype, len(shape))


def setitem_kind(op, kinds, producers):
    if isinstance(kinds[0], ListKind):  # (an adjoint of a list, written item by item)
        return join(kinds[0], ListKind(kinds[2]))
    return kinds[0]


def add_at_kind(op, kinds, producers):
    """`add_at(a, index, v)`: `a`'s shape, in the dtype of `a + v`."""
    a, v = kinds[0], kinds[2]
    if isinstance(a, Array) and isinstance(v, (Scalar, Array)):
        return Array(a.ndim, promote(a.dtype, v.dtype), a.shape)
    return a


def kept_writes_kind(op, kinds, producers):
    """`kept_writes(y, index)`: floats in the shape of `y[index]`."""
    read = getitem_kind(op, kinds, producers)
    if isinstance(read, Scalar):
        return Scalar("float")
    return Array(read.ndim, "float", read.shape) if isinstance(read, Array) else None


def assigned(y, index, v):
    """What `setitem(y, index, v)` stands for: `y` with `y[index] = v`, a new array (or
    list) of which `y` knows nothing (emitted code writes in place where `y` is dead)."""
    y = copy.copy(y)
    y[index] = v
    return y


primitive("getitem", fn=operator.getitem, arity=2, infer=getitem_kind, view=True, linear=True, moves=(0,))
primitive("setitem", fn=assigned, arity=3, infer=setitem_kind, takes_scalar_zero=True, fresh=True, additive=True,
          moves=(0, 2))
def add_at_reads(a, index, v):
    """Element k of `add_at(a, index, v)` reads `a[k]` and every element of `v` added at k
    (the sparsity analysis's `reads`)."""
    if not are_ids(a):
        return None
    a = np.asarray(a)
    at = np.arange(a.size).reshape(a.shape)[index]
    added = np.broadcast_to(np.asarray(v) if are_ids(v) else 0, at.shape).ravel()
    at = at.ravel()
    order = np.argsort(at, kind="stable")
    at, added = at[order], added[order]
    counts = np.bincount(at, minlength=a.size)
    table = np.zeros((a.size, 1 + int(counts.max(initial=0))), dtype=np.int64)
    table[:, 0] = a.reshape(-1)
    table[at, 1 + np.arange(at.size) - (np.cumsum(counts) - counts)[at]] = added
    return table.reshape(a.shape + (-1,))


primitive(add_at, arity=3, infer=add_at_kind, fresh=True, additive=True, reads=add_at_reads)
primitive(kept_writes, arity=2, infer=kept_writes_kind)
primitive("slice", infer=lambda op, kinds, producers: SliceKind())


def positions(x):
    """The flat position of each element of `x`, in `x`'s shape."""
    return np.reshape(np.arange(np.size(x)), np.shape(x))


@defvjp("getitem", broadcasting=False)
def getitem_vjp(g, ans, x, index):
    return add_at(np.zeros_like(x), index, g), None


@defjvp("getitem", broadcasting=False)
def getitem_jvp(dx, ans, x, index, *, batch=0):
    if batch:
        directions = (np.shape(dx)[0],)
        dans = np.zeros(directions + np.shape(ans))  # a shape inference knows
        dans[...] = np.reshape(dx, directions + (np.size(x),))[:, positions(x)[index]]
        return dans
    return dx[index]


@defvjp("setitem", broadcasting=True)
def setitem_vjp(g, ans, y, index, v):
    bv = g[index] * kept_writes(g, index)  # (g has y's shape)
    g[index] = 0.0  # a new value of g: written in place only where no one else reads g
    return g, None, bv


@defjvp("setitem", broadcasting=False)
def setitem_jvp(dy, dv, ans, y, index, v, *, batch=0):
    """`dy` with `dv` written at `index` (a zero `dv` arrives as 0.0). Not a broadcasting
    rule, unlike `setitem_vjp`: `dv` broadcasts to `y[index]`, not to the result. Batched:
    the positions' axes first, the directions last, so that `dv` (its batch axis moved
    last too) broadcasts against them as `v` against `y[index]`."""
    if batch:
        directions = (np.shape(dy)[0],)
        flat = np.moveaxis(np.reshape(dy, directions + (np.size(y),)), 0, -1)
        flat[positions(y)[index]] = np.moveaxis(dv, 0, -1)
        return np.reshape(np.moveaxis(flat, -1, 0), directions + np.shape(y))
    dy[index] = dv
    return dy


@defvjp("add_at", broadcasting=True)
def add_at_vjp(g, ans, a, index, v):
    return g, None, g[index]


@defjvp("add_at", broadcasting=False)
def add_at_jvp(da, dv, ans, a, index, v, *, batch=0):
    """Batched: as `setitem_jvp`, on the flat positions with the directions last."""
    if batch:
        directions = (np.shape(dv)[0],)
        flat = np.moveaxis(np.reshape(da, directions + (np.size(a),)), 0, -1)
        flat = add_at(flat, positions(a)[index], np.moveaxis(dv, 0, -1))
        return np.reshape(np.moveaxis(flat, -1, 0), directions + np.shape(a))
    return add_at(da, index, dv)


defzero("slice", kept_writes)
