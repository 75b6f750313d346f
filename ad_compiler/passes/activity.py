"""Activity analysis: which values need adjoints.

A value is *varied* if it depends on a differentiated input and *useful* if an output
depends on it; only values that are both (active) get adjoints (DESIGN §5). Ops for which
`stops(op)` holds (comparisons, shapes, ...) pass no dependence through. The result is
data; nothing is written onto the IR.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ..ir import Function, Op, Region, Value, walk_ops
from ..ir.prims import carried_args, loop_inits


def region_reads(op: Op) -> set[Value]:
    """Values an op depends on: its inputs and whatever its regions read from outside."""
    reads = {x for x in op.inputs if isinstance(x, Value)}
    for region in op.regions:
        reads.update(y for y in region.yields if isinstance(y, Value))
        for inner in walk_ops(region):
            reads.update(x for x in inner.inputs if isinstance(x, Value))
            for sub in inner.regions:  # a nested branch may hand out an outer value as it is
                reads.update(y for y in sub.yields if isinstance(y, Value))
    return reads


def _varied(region: Region, varied: set[Value], stops: Callable[[Op], bool]) -> None:
    for op in region.ops:
        if not stops(op) and region_reads(op) & varied:
            varied.update(op.results)
            for sub in op.regions:
                varied.update(sub.args)
                _varied(sub, varied, stops)


def _useful(region: Region, useful: set[Value], stops: Callable[[Op], bool], control: bool = True) -> None:
    useful.update(y for y in region.yields if isinstance(y, Value))
    for op in reversed(region.ops):
        if not stops(op) and any(r in useful for r in op.results):
            if not control and op.regions:
                _data_through(op, useful, stops)
                continue
            for sub in op.regions:
                _useful(sub, useful, stops, control)
            useful.update(x for x in op.inputs if isinstance(x, Value))


def _data_through(op: Op, useful: set[Value], stops: Callable[[Op], bool]) -> None:
    """What a branch or loop's useful results depend on through data: the yields at their
    positions only (a test's value handed out beside them is not), the initial values of
    the carried values they need, to a fixed point. A test or a trip count decides which
    path runs; no derivative flows through it."""
    wanted = {k for k, r in enumerate(op.results) if r in useful}
    if op.prim == "cond":
        for sub in op.regions:
            _data_useful(sub, useful, stops, wanted)
        return
    body, inits = op.regions[-1], loop_inits(op)
    while True:
        _data_useful(body, useful, stops, wanted)
        more = {k for k, arg in enumerate(carried_args(op, body)) if arg in useful} - wanted
        if not more:
            break
        wanted |= more
    useful.update(inits[k] for k in wanted if isinstance(inits[k], Value))
    if op.prim == "for_each" and isinstance(op.inputs[0], Value):
        useful.add(op.inputs[0])  # the items are data


def _data_useful(region: Region, useful: set[Value], stops: Callable[[Op], bool], wanted: set[int]) -> None:
    useful.update(y for k, y in enumerate(region.yields) if k in wanted and isinstance(y, Value))
    _useful(Region(region.args, region.ops, []), useful, stops, control=False)


def varied_values(
    fn: Function, wrt: Iterable[Value], stops: Callable[[Op], bool]
) -> set[Value]:
    """The values of `fn` that depend on `wrt` (those that may have a nonzero tangent)."""
    varied = set(wrt)
    _varied(fn.body, varied, stops)
    return varied


def useful_values(fn: Function, stops: Callable[[Op], bool], control: bool = True) -> set[Value]:
    """The values of `fn` its returned values depend on; without `control`, only through
    data (not through the tests of branches and loops, nor loop bounds)."""
    useful: set[Value] = set()
    _useful(fn.body, useful, stops, control)
    return useful


def active_values(
    fn: Function, wrt: Iterable[Value], stops: Callable[[Op], bool]
) -> set[Value]:
    """The values of `fn` that are varied by `wrt` and useful to its returned values."""
    varied = varied_values(fn, wrt, stops)
    useful: set[Value] = set()
    _useful(fn.body, useful, stops)
    return varied & useful
