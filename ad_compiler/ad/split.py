"""Splitting a derivative at its seeds: the ops that run once (the primal, the forward
sweep) and the ops that run for each seed (a unit direction of a Jacobian's loop, the
cotangent a pullback is called with)."""

from __future__ import annotations

from ..ir import Op, Value
from ..ir.prims import ALLOCATIONS, VIEWS
from ..passes.activity import region_reads
from .unmix import unmix


def split_at_seeds(ops: list[Op], seeds: set[Value]) -> tuple[list[Op], list[Op]]:
    """The ops that do not depend on `seeds` (run once) and those that do (run per seed,
    a row of a Jacobian or a call of a pullback).
    Iterators are consumed by one loop, so `reversed` and `zip` stay with the row (and
    `range`, which costs nothing to make again). So does
    a fresh array (or list) the row may write into (an element write, a push, a loop
    carrying it), with the views taken of it: each row needs its own."""
    ops = unmix(list(ops), set(seeds))  # a loop with effects and tangents: two loops
    dependent = set(seeds)
    during: set[int] = set()
    for k, op in enumerate(ops):
        if op.prim in ("reversed", "zip", "range") or region_reads(op) & dependent:
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
            if j not in during and ops[j].prim in VIEWS and ops[j].inputs[0] in frontier:
                chain.append(j)
                frontier.update(ops[j].results)
        readers = {j for j, other in enumerate(ops) if region_reads(other) & frontier} - set(chain)
        if frontier & written and readers <= during:
            during.update(chain)
    return [op for k, op in enumerate(ops) if k not in during], [op for k, op in enumerate(ops) if k in during]

