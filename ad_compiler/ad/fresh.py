"""Fresh arrays and lists that the code run per seed writes into.

A derivative split at its seeds runs some ops once and the rest once per seed (a unit
direction of a Jacobian's loop, a call of a pullback). An array or list made fresh and
then written by the per-seed part (an element write, a push, a loop carrying it) must be
made per seed too, with the views taken of it: made once, every seed would write into
the same one (the tangent tape of a loop growing over all the directions).
"""

from __future__ import annotations

from ..ir import Op
from ..primitives import PRIMITIVES
from ..passes.activity import region_reads


def made_per_seed(ops: list[Op], during: set[int]) -> set[int]:
    """The positions in `ops` of the allocations (and the views of them) that must join
    the per-seed ops at positions `during`: what per-seed ops write, and only they read."""
    written = {
        x for k in during for i, x in enumerate(ops[k].inputs)
        if ops[k].regions or (i == 0 and ops[k].prim in ("setitem", "push"))
    }
    moved = set(during)
    for k in reversed(range(len(ops))):  # readers first: an array made from one moves it too
        op = ops[k]
        if k in moved or not PRIMITIVES.get(op.prim).allocates:
            continue
        chain, frontier = [k], set(op.results)
        for j in range(k + 1, len(ops)):  # the views of it
            record = PRIMITIVES.get(ops[j].prim)
            if j not in moved and record.view and len(ops[j].inputs) > record.viewed and \
                    ops[j].inputs[record.viewed] in frontier:
                chain.append(j)
                frontier.update(ops[j].results)
        readers = {j for j, other in enumerate(ops) if region_reads(other) & frontier} - set(chain)
        if frontier & written and readers <= moved:
            moved.update(chain)
    return moved - during
