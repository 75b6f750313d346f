"""How many times a loop runs, where the IR says: its counter's values (`range(...)`
with constant bounds) or the length of the array it iterates over."""

from __future__ import annotations

from ..ir import Const, Op, Operand, Value
from ..ir.types import Array


def counter_bounds(loop: Op, producers: dict[Value, Op]) -> tuple[list[Operand], bool] | None:
    """What a loop's counter is computed from, `[start, stop, step]` (as `range` takes
    them, in full), and whether it takes those values backwards: a `for_range`, or a
    `for_each` over `range(...)` or `reversed(range(...))`; None for another loop."""
    if loop.prim == "for_range":
        return list(loop.inputs[:3]), False
    if loop.prim != "for_each":
        return None
    iterable = producers.get(loop.inputs[0]) if isinstance(loop.inputs[0], Value) else None
    backwards = iterable is not None and iterable.prim == "reversed"
    if backwards:
        iterable = producers.get(iterable.inputs[0]) if isinstance(iterable.inputs[0], Value) else None
    if iterable is None or iterable.prim != "range":
        return None
    bounds = list(iterable.inputs)
    return {1: [Const(0), *bounds, Const(1)], 2: [*bounds, Const(1)], 3: bounds}[len(bounds)], backwards


def counts(loop: Op, producers: dict[Value, Op]) -> range | None:
    """The values a loop's counter takes, in order, when they are known constants."""
    found = counter_bounds(loop, producers)
    if found is None or not all(isinstance(b, Const) and type(b.value) is int for b in found[0]):
        return None
    values = range(*(b.value for b in found[0]))
    return values[::-1] if found[1] else values


def runs(loop: Op, producers: dict[Value, Op]) -> bool:
    """Whether the loop surely runs at least once: a counter with known values, or an
    array of known length iterated over."""
    values = counts(loop, producers)
    if values is not None:
        return len(values) > 0
    if loop.prim == "for_each":
        kind = loop.inputs[0].kind if isinstance(loop.inputs[0], Value) else None
        return isinstance(kind, Array) and kind.shape is not None and kind.shape[0] > 0
    return False
