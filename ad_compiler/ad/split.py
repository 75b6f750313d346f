"""Splitting a derivative at its seeds: the ops that run once (the primal, the forward
sweep) and the ops that run for each seed (a unit direction of a Jacobian's loop, the
cotangent a pullback is called with)."""

from __future__ import annotations

from ..ir import Op, Value
from ..passes.activity import region_reads
from ..primitives import PRIMITIVES
from .fresh import made_per_seed
from .unmix import unmix


def split_at_seeds(ops: list[Op], seeds: set[Value]) -> tuple[list[Op], list[Op]]:
    """The ops that do not depend on `seeds` (run once) and those that do (run per seed,
    a row of a Jacobian or a call of a pullback).
    Iterators are consumed by one loop, so `reversed` and `zip` stay with the row (and
    `range`, which costs nothing to make again). So does a fresh array or list the row
    writes into (`fresh`)."""
    ops = unmix(list(ops), set(seeds))  # a loop with effects and tangents: two loops
    dependent = set(seeds)
    during: set[int] = set()
    for k, op in enumerate(ops):
        if PRIMITIVES.get(op.prim).iterator or op.prim == "range" or region_reads(op) & dependent:
            dependent.update(op.results)
            during.add(k)
    during |= made_per_seed(ops, during)
    return [op for k, op in enumerate(ops) if k not in during], [op for k, op in enumerate(ops) if k in during]

