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

import numpy as np

from ...runtime import add_at, kept_writes
from .registry import defjvp, defvjp, defzero


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
