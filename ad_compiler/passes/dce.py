"""Dead-code elimination: drop ops none of whose results is used (unless they have effects:
a call run as written, a raise), and loop-carried values nothing after the loop reads,
such as the gradient a Hessian's reverse loop carries beside the tangent of it that is
returned."""

from __future__ import annotations

from ..ir import Const, Function, Op, Region, Value, walk_ops
from ..ir.prims import LOOP_HEAD, has_effects


def _region(region: Region, live: set[Value]) -> bool:
    changed = False
    live.update(y for y in region.yields if isinstance(y, Value))
    kept = []
    for op in reversed(region.ops):
        if not any(r in live for r in op.results) and not has_effects(op) or _holds(op):
            changed = True
            continue
        kept.append(op)
        if op.prim in LOOP_HEAD:
            changed |= _prune_carried(op, live)
        for sub in op.regions:
            changed |= _region(sub, live)
        live.update(x for x in op.inputs if isinstance(x, Value))
    region.ops = kept[::-1]
    return changed


def _holds(op: Op) -> bool:
    """An `assert` of a test specialization proved true (`x.shape == (3,)`)."""
    test = op.inputs[0] if op.prim == "assert" else None
    return isinstance(test, Const) and type(test.value) is bool and test.value


def _prune_carried(loop: Op, live: set[Value]) -> bool:
    """Remove carried slots whose result is dead and whose value in the loop feeds only
    slots like it; True if any was removed."""
    first = 0 if loop.prim == "while" else 1  # region args before the carried ones
    n = len(loop.results)
    needed = {k for k, r in enumerate(loop.results) if r in live}
    while True:
        read = _reads(loop, needed)
        more = {k for k in range(n) if k not in needed and any(r.args[first + k] in read for r in loop.regions)}
        if not more:
            break
        needed |= more
    dead = sorted(set(range(n)) - needed, reverse=True)
    head, body = LOOP_HEAD[loop.prim], loop.regions[-1]
    for k in dead:
        del loop.inputs[head + k], loop.results[k], body.yields[k]
        for region in loop.regions:
            del region.args[first + k]
    return bool(dead)


def _reads(loop: Op, needed: set[int]) -> set[Value]:
    """The values the loop's regions read to compute the carried slots `needed` (and,
    for a while loop, its test)."""
    read: set[Value] = set()
    for i, region in enumerate(loop.regions):
        is_body = i == len(loop.regions) - 1
        wanted = {y for k, y in enumerate(region.yields) if not is_body or k in needed}
        read |= {y for y in wanted if isinstance(y, Value)}
        for op in reversed(region.ops):
            if any(r in read for r in op.results) or has_effects(op):  # (an effect reads what it reads)
                read |= {x for x in op.inputs if isinstance(x, Value)}
                for inner in (o for sub in op.regions for o in walk_ops(sub)):
                    read |= {x for x in inner.inputs if isinstance(x, Value)}
                read |= {y for sub in op.regions for y in _nested_yields(sub) if isinstance(y, Value)}
    return read


def _nested_yields(region: Region) -> list:
    """Every yield of a region and of the regions nested in it."""
    yields = list(region.yields)
    for op in walk_ops(region):
        for sub in op.regions:
            yields += sub.yields
    return yields


def run(fn: Function) -> bool:
    """Remove dead ops and dead carried values from `fn`; True if any was removed."""
    return _region(fn.body, set())
