"""Common-subexpression elimination: an op equal to an earlier visible one (same prim,
operands and attributes) reuses its result. Every prim is pure, so this is always safe."""

from __future__ import annotations

from ..ir import Function, Op, Operand
from .rewrite import rewrite


def _key(op: Op) -> tuple | None:
    if op.regions or len(op.results) != 1:
        return None
    try:
        attrs = tuple(sorted(op.attrs.items()))
        hash(attrs)
    except TypeError:
        return None
    return (op.prim, tuple(op.inputs), attrs)


def run(fn: Function) -> bool:
    """Merge repeated computations in `fn`; True if any was merged."""
    seen: dict[tuple, Operand] = {}

    def simplify(op: Op, added: list[Op]) -> Operand | None:
        key = _key(op)
        if key is None:
            return None
        if key in seen:
            return seen[key]
        seen[key] = op.result
        return None

    return rewrite(fn, simplify)
