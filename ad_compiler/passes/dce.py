"""Dead-code elimination: drop ops none of whose results is used (every prim is pure)."""

from __future__ import annotations

from ..ir import Function, Region, Value


def _region(region: Region, live: set[Value]) -> bool:
    changed = False
    live.update(y for y in region.yields if isinstance(y, Value))
    kept = []
    for op in reversed(region.ops):
        if not any(r in live for r in op.results):
            changed = True
            continue
        kept.append(op)
        for sub in op.regions:
            changed |= _region(sub, live)
        live.update(x for x in op.inputs if isinstance(x, Value))
    region.ops = kept[::-1]
    return changed


def run(fn: Function) -> bool:
    """Remove dead ops from `fn`; True if any was removed."""
    return _region(fn.body, set())
