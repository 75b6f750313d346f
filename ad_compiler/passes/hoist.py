"""Loop-invariant code motion: what a loop's body computes from values from outside the
loop alone is computed once, before the loop.

`h / 2` in an integrator's step, `W.T` or `np.exp(log_rates)` in a recurrent step: the
same value at every iteration. Before the loop it runs once, and a reverse sweep finds it
outside the loop instead of recording it at every step.

Only from loops that surely run (a known positive trip count) and have no effects, and
only ops at the body's own level (not in a branch that may not run): the op runs
anyway, in the first iteration, and nothing else it could run before or after can
see the difference. Not ops that run the user's code as written, nor arrays the loop
writes into (their every iteration starts from the value before it), nor iterators
(each loop over one consumes it). Views are (`W.T`, an LSTM cell's `weight[0:b]`): one
costs little to make, but a loop makes it at every step, and a reverse sweep then
records it at every step and gives its adjoint an array of zeros of the whole weight at
every step; taken once, its adjoint is one sum carried by the reverse loop (an LSTM's
gradient took half the time).
"""

from __future__ import annotations

from ..ir import Function, Op, Region, Value, walk_ops
from ..ir.prims import LISTS, LOOP_HEAD, OPAQUE, has_effects
from ..primitives import PRIMITIVES
from . import trips

_WRITES = ("setitem", "add_at")


def _written(body: Region) -> set[Value]:
    """The values ops of the body update (their first operand), nested regions included."""
    return {op.inputs[0] for op in walk_ops(body) if (op.prim in _WRITES or op.prim in LISTS) and op.inputs
            and isinstance(op.inputs[0], Value)}


def _hoist(loop: Op, producers: dict[Value, Op]) -> list[Op]:
    """Take the invariant ops out of the loop's body; returns them, in order."""
    body = loop.regions[-1]
    inside = set(body.args) | {r for op in body.ops for r in op.results}
    written = _written(body)
    moved: list[Op] = []
    for op in list(body.ops):
        if op.regions or op.prim in OPAQUE or op.prim in LISTS or op.prim in _WRITES or op.prim == "external" \
                or PRIMITIVES.get(op.prim).iterator \
                or len(op.results) != 1 or op.result in written:
            continue
        if any(isinstance(x, Value) and x in inside for x in op.inputs):
            continue
        body.ops.remove(op)
        inside.discard(op.result)
        moved.append(op)
    return moved


def _region(region: Region, producers: dict[Value, Op]) -> bool:
    changed = False
    for op in list(region.ops):
        for sub in op.regions:
            changed |= _region(sub, producers)
        if op.prim in LOOP_HEAD and op.prim != "while" and not has_effects(op) and trips.runs(op, producers):
            moved = _hoist(op, producers)
            if moved:
                at = region.ops.index(op)
                region.ops[at:at] = moved
                changed = True
    return changed


def run(fn: Function) -> bool:
    """Move the invariant ops of every loop that surely runs before it; True if any."""
    producers = {r: op for op in walk_ops(fn.body) for r in op.results}
    return _region(fn.body, producers)
