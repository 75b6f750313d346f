"""Common-subexpression elimination: an op equal to an earlier visible one (same prim,
operands and attributes) reuses its result. That is safe for pure prims, not for
allocations, which stay apart so that each can be written into in place, nor for ops with
effects (two draws of a random number are two numbers).

"Visible" follows the regions: an op may reuse a result of its own region or of an
enclosing one, never one computed inside a nested region (a loop body or a branch).
"""

from __future__ import annotations

from collections import ChainMap

from ..ir import Function, Op, Operand, Region, Value
from ..ir.prims import EFFECTS
from ..primitives import PRIMITIVES


def _key(op: Op) -> tuple | None:
    if op.regions or len(op.results) != 1 or PRIMITIVES.get(op.prim).allocates or op.prim in EFFECTS:
        return None
    try:
        attrs = tuple(sorted(op.attrs.items()))
        hash(attrs)
    except TypeError:
        return None
    return (op.prim, tuple(op.inputs), attrs)


def _resolve(subst: dict[Value, Operand], x: Operand) -> Operand:
    return subst.get(x, x) if isinstance(x, Value) else x


def _region(region: Region, seen: ChainMap, subst: dict[Value, Operand]) -> bool:
    changed = False
    kept: list[Op] = []
    for op in region.ops:
        op.inputs = [_resolve(subst, x) for x in op.inputs]
        for sub in op.regions:
            changed |= _region(sub, seen.new_child(), subst)
        key = _key(op)
        if key is not None and key in seen:
            subst[op.result] = seen[key]
            changed = True
            continue
        if key is not None:
            seen[key] = op.result
        kept.append(op)
    region.ops = kept
    region.yields = [_resolve(subst, y) for y in region.yields]
    return changed


def run(fn: Function) -> bool:
    """Merge repeated computations in `fn`; True if any was merged."""
    return _region(fn.body, ChainMap(), {})
