"""Fresh arrays and lists that the code run per seed writes into.

A derivative split at its seeds runs some ops once and the rest once per seed (a unit
direction of a Jacobian's loop, a call of a pullback). An array or list made fresh and
then written by the per-seed part (an element write, a push, a loop carrying it) must be
made per seed too, with the views taken of it: made once, every seed would write into
the same one (the tangent tape of a loop growing over all the directions).
"""

from __future__ import annotations

from ..ir import Op, Value
from ..primitives import PRIMITIVES
from ..passes.activity import region_reads


def made_per_seed(ops: list[Op], during: set[int]) -> set[int]:
    """The positions in `ops` of the allocations (and the views of them) that must join
    the per-seed ops at positions `during`: what per-seed ops write, and only they read."""
    written = {
        x for k in during for i, x in enumerate(ops[k].inputs)
        if ops[k].regions or (i == 0 and ops[k].prim in ("setitem", "push"))
    }
    readers_of: dict[Value, list[int]] = {}  # (found once: asked per allocation, it was quadratic)
    viewers_of: dict[Value, list[int]] = {}
    for j, op in enumerate(ops):
        for x in region_reads(op):
            readers_of.setdefault(x, []).append(j)
        record = PRIMITIVES.get(op.prim)
        if record.view and len(op.inputs) > record.viewed and isinstance(op.inputs[record.viewed], Value):
            viewers_of.setdefault(op.inputs[record.viewed], []).append(j)
    moved = set(during)
    for k in reversed(range(len(ops))):  # readers first: an array made from one moves it too
        op = ops[k]
        if k in moved or not PRIMITIVES.get(op.prim).allocates:
            continue
        chain, frontier, todo = {k}, set(op.results), list(op.results)
        while todo:  # the views of it
            for j in viewers_of.get(todo.pop(), ()):
                if j not in moved and j not in chain:
                    chain.add(j)
                    frontier.update(ops[j].results)
                    todo.extend(ops[j].results)
        readers = {j for x in frontier for j in readers_of.get(x, ())} - chain
        if frontier & written and readers <= moved:
            moved.update(chain)
    return moved - during
