"""Splitting a derivative at its seeds: the ops that run once (the primal, the forward
sweep) and the ops that run for each seed (a unit direction of a Jacobian's loop, the
cotangent a pullback is called with)."""

from __future__ import annotations

from ..errors import NoDerivativeError
from ..ir import Op, Value
from ..ir.prims import ALLOCATIONS, has_effects
from ..passes.activity import region_reads

_ALIASING = frozenset({
    "getitem", "np.reshape", "transpose", "np.transpose", "np.ravel", "np.squeeze",
    "np.expand_dims", "np.moveaxis", "np.broadcast_to", "np.atleast_1d", "np.atleast_2d",
})
"""Prims whose result may share memory with their first operand."""


def split_at_seeds(ops: list[Op], seeds: set[Value]) -> tuple[list[Op], list[Op]]:
    """The ops that do not depend on `seeds` (run once) and those that do (run per seed,
    a row of a Jacobian or a call of a pullback).
    Iterators are consumed by one loop, so `reversed` and `zip` stay with the row (and
    `range`, which costs nothing to make again). So does
    a fresh array (or list) the row may write into (an element write, a push, a loop
    carrying it), with the views taken of it: each row needs its own."""
    dependent = set(seeds)
    during: set[int] = set()
    for k, op in enumerate(ops):
        if op.prim in ("reversed", "zip", "range") or region_reads(op) & dependent:
            if has_effects(op):
                raise _runs_again(op)
            dependent.update(op.results)
            during.add(k)
    written = {
        x for k in during for i, x in enumerate(ops[k].inputs)
        if ops[k].regions or (i == 0 and ops[k].prim in ("setitem", "push"))
    }
    for k in reversed(range(len(ops))):  # readers first: an array made from one moves it too
        op = ops[k]
        if k in during or op.prim not in ALLOCATIONS:
            continue
        chain, frontier = [k], set(op.results)
        for j in range(k + 1, len(ops)):  # the views of it
            if j not in during and ops[j].prim in _ALIASING and ops[j].inputs[0] in frontier:
                chain.append(j)
                frontier.update(ops[j].results)
        readers = {j for j, other in enumerate(ops) if region_reads(other) & frontier} - set(chain)
        if frontier & written and readers <= during:
            during.update(chain)
    return [op for k, op in enumerate(ops) if k not in during], [op for k, op in enumerate(ops) if k in during]


def _runs_again(op: Op) -> NoDerivativeError:
    """A block with code run as written (a print, a random draw) that would run once per
    seed: refused, since it must run once per call."""
    message = ("this block calls code run as written (a print, a random draw, ...) and computes "
               "what each column of the derivative needs, so it would run once per column; move "
               "the call out of the block, before it")
    loc = op.loc
    if loc is None:
        return NoDerivativeError(message)
    return NoDerivativeError(message, loc.file, loc.line, loc.col)
