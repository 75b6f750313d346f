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
k steps at a time: O(sqrt(n)) for k = sqrt(n) (the √T schedule), for one more forward pass.

`"log"` is the recursive schedule: each segment's loop is cut again into segments, also
marked, L levels deep, segments of m**(L-1), ..., m, 1 steps with m ** L >= n. The
reverse sweep of a segment runs it forward recording only its sub-segments' starts, and
so on down: L tapes of m entries are alive at once, and each step runs L times forward.
With m <= 4 (L = log4 n), memory and recomputation both grow like log n. Where n is
known only at run time, L is fixed (`RUNTIME_LEVELS`) and m = 1 + n ** (1 / L), computed
then. This is not Griewank's binomial schedule (revolve), whose segments differ in length.

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
"""`"sqrt"` (segments of about sqrt(n) steps), `"log"` (segments of segments, nested
about log n deep) or a segment length."""

FANOUT = 4
"""`"log"`: the most segments a segment is cut into where the trip count is a constant."""

RUNTIME_LEVELS = 4
"""`"log"`: the levels (tapes alive at once) where the trip count is known only at run time."""


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
        k = emit("max", Const(1), emit("int", emit("np.sqrt", emit("max", n, Const(0)))), name="length")
    return k, _count(n, k, emit)


def _root(n: int, levels: int) -> int:
    """The least m with m ** levels >= n (n >= 0)."""
    m = max(1, round(n ** (1 / levels)))
    while m ** levels < n:
        m += 1
    while m > 1 and (m - 1) ** levels >= n:
        m -= 1
    return m


def _nested_lengths(start: Operand, stop: Operand, emit: _Builder) -> tuple[list[Operand], Operand]:
    """The segment lengths of the nested schedule, outermost first, each `parts` times
    the next (the innermost is `parts` steps), and the number of outermost segments."""
    if isinstance(start, Const) and isinstance(stop, Const):
        n = max(stop.value - start.value, 0)
        levels = 1
        while FANOUT ** levels < n:
            levels += 1
        levels = max(levels, 2)
        parts = _root(n, levels)
        lengths: list[Operand] = [Const(parts ** j) for j in range(levels - 1, 0, -1)]
        return lengths, Const(-(-n // lengths[0].value))
    n = stop if _is(start, 0) else emit("sub", stop, start)
    root = emit("pow", emit("max", n, Const(0)), Const(1 / RUNTIME_LEVELS))  # (no steps where stop < start)
    parts: Operand = emit("add", Const(1), emit("int", root), name="parts")
    lengths = [parts]
    for level in range(RUNTIME_LEVELS - 2, 0, -1):
        lengths.insert(0, emit("mul", lengths[0], parts, name="length" if level == 1 else f"length{level}"))
    return lengths, _count(n, lengths[0], emit)


def _count(n: Operand, k: Operand, emit: _Builder) -> Value:
    """The number of segments of `k` steps in `n` steps (at run time)."""
    return emit("floordiv", emit("add", n, emit("sub", k, Const(1))), k, name="segments")


def _cut(loop: Op, lengths: list[Operand], count: Operand, parts: Operand | None, level: int = 1) -> Op:
    """A counted loop as a loop over `count` segments of `lengths[0]` steps, marked to be
    recomputed; each segment's loop is cut again by the rest of `lengths`, into `parts`
    segments each (`level`: how deep, for the counters' names)."""
    start, stop = loop.inputs[:2]
    body = loop.regions[-1]
    k = lengths[0]
    segment = Value("segment" if level == 1 else f"segment{level}")
    carried = [Value(arg.name, arg.kind) for arg in body.args[1:]]
    inner_ops: list[Op] = []
    inner = _Builder(inner_ops, loop)
    offset = inner("mul", segment, k)
    low = offset if _is(start, 0) else inner("add", start, offset)
    high = inner("min", inner("add", low, k), stop)
    results = [Value(r.name, r.kind) for r in loop.results]
    steps = Op("for_range", [low, high, Const(1), *carried], results, {}, [body], loc=loop.loc)
    inner_ops.append(_cut(steps, lengths[1:], parts, parts, level + 1) if len(lengths) > 1 else steps)
    return Op("for_range", [Const(0), count, Const(1), *loop_inits(loop)], loop.results, {RECOMPUTE: True},
              [Region([segment, *carried], inner_ops, list(results))], loc=loop.loc)


def _segmented(loop: Op, policy: Policy) -> list[Op]:
    """The ops that replace a counted loop: its segments' bounds and the loops."""
    start, stop, _ = loop.inputs[:3]
    ops: list[Op] = []
    emit = _Builder(ops, loop)
    if policy == "log":
        lengths, count = _nested_lengths(start, stop, emit)
        parts = lengths[-1]
    else:
        k, count = _length(policy, start, stop, emit)
        lengths, parts = [k], None
    return ops + [_cut(loop, lengths, count, parts)]


def _segment_in(region: Region, policy: Policy) -> None:
    ops: list[Op] = []
    for op in region.ops:
        cut = op.prim == "for_range" and _is(op.inputs[2], 1) and loop_inits(op) and not has_effects(op)
        if op.prim == "cond":
            for branch in op.regions:
                _segment_in(branch, policy)
        ops += _segmented(op, policy) if cut else [op]
    region.ops = ops


def segment_loops(fn: Function, policy: Policy) -> None:
    """Cut every outermost counted loop of `fn` without effects, in branches too, into
    segments whose reverse sweep recomputes them (in place)."""
    _segment_in(fn.body, policy)
