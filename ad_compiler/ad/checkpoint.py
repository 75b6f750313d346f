"""Checkpointing: the reverse sweep of a long loop recomputes it segment by segment
rather than recording every step (`grad(f, checkpoint="sqrt")`).

A counted loop `for i in range(a, b)` of n = b - a steps is cut into segments of k steps:

    for s in range(ceil(n / k)):
        for i in range(a + s * k, min(a + s * k + k, b)):
            ...the body...

and the outer loop is marked to be reversed by recomputation (`RECOMPUTE`, read by
`regions.py`): its forward pass records only the values the loop carries into each
segment, and its reverse body runs that segment forward again, recording the segment's
steps, then the segment's reverse sweep. The tape holds n / k states and one segment's
k steps at a time: O(sqrt(n)) for k = sqrt(n) (the √T schedule; Griewank's binomial
schedule would trade more recomputation for less memory), for one more forward pass.
Second order works as for any loop: the outer transform differentiates these loops.

Only loops without effects are cut (a print or a random draw must run once); only the
outermost counted loops (what runs inside a segment is recomputed with it).
"""

from __future__ import annotations

import math
from typing import Union

from ..ir import Const, Function, Op, Operand, Region, Value
from ..ir.prims import has_effects, loop_inits

RECOMPUTE = "recompute"
"""The attribute of a loop reversed by running its body again from the carried values
recorded at each iteration's start, instead of recording what its reverse body reads."""

Policy = Union[str, int]
"""`"sqrt"` (segments of about sqrt(n) steps) or a segment length."""


def _is(x: Operand, number: int) -> bool:
    return isinstance(x, Const) and type(x.value) is int and x.value == number


class _Builder:
    def __init__(self, ops: list[Op], loop: Op) -> None:
        self.ops, self.loc = ops, loop.loc

    def __call__(self, prim: str, *inputs: Operand, name: str | None = None) -> Value:
        result = Value(name)
        self.ops.append(Op(prim, list(inputs), [result], loc=self.loc))
        return result


def _length(policy: Policy, start: Operand, stop: Operand, emit: _Builder) -> tuple[Operand, Operand]:
    """The segment length and the number of segments, constants where the bounds are."""
    if isinstance(start, Const) and isinstance(stop, Const):
        n = max(stop.value - start.value, 0)
        k = policy if isinstance(policy, int) else max(1, math.isqrt(n))
        return Const(k), Const(-(-n // k))
    n = stop if _is(start, 0) else emit("sub", stop, start)
    if isinstance(policy, int):
        k: Operand = Const(policy)
    else:
        k = emit("max", Const(1), emit("int", emit("np.sqrt", n)), name="segment")
    count = emit("floordiv", emit("add", n, emit("sub", k, Const(1))), k)
    return k, count


def _segmented(loop: Op, policy: Policy) -> list[Op]:
    """The ops that replace a counted loop: its segments' bounds and the two loops."""
    start, stop, _ = loop.inputs[:3]
    body = loop.regions[-1]
    ops: list[Op] = []
    emit = _Builder(ops, loop)
    k, count = _length(policy, start, stop, emit)
    segment = Value("segment")
    carried = [Value(arg.name, arg.kind) for arg in body.args[1:]]
    inner_ops: list[Op] = []
    inner = _Builder(inner_ops, loop)
    offset = inner("mul", segment, k)
    low = offset if _is(start, 0) else inner("add", start, offset)
    high = inner("min", inner("add", low, k), stop)
    results = [Value(r.name, r.kind) for r in loop.results]
    inner_ops.append(Op("for_range", [low, high, Const(1), *carried], results, {}, [body], loc=loop.loc))
    outer = Op("for_range", [Const(0), count, Const(1), *loop_inits(loop)], loop.results, {RECOMPUTE: True},
               [Region([segment, *carried], inner_ops, list(results))], loc=loop.loc)
    return ops + [outer]


def segment_loops(fn: Function, policy: Policy) -> None:
    """Cut every outermost counted loop of `fn` without effects into segments whose
    reverse sweep recomputes them (in place)."""
    ops: list[Op] = []
    for op in fn.body.ops:
        cut = op.prim == "for_range" and _is(op.inputs[2], 1) and loop_inits(op) and not has_effects(op)
        ops += _segmented(op, policy) if cut else [op]
    fn.body.ops = ops
