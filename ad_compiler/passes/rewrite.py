"""The walk every local rewriting pass shares: visit ops in program order, let a rule
replace an op's result by another operand, and substitute it in all later uses."""

from __future__ import annotations

import numbers
from typing import Callable

from ..ir import Const, Function, Op, Operand, Region, Value, walk_ops

Simplifier = Callable[[Op, list[Op]], "Operand | None"]
"""A rule: given an op (inputs already substituted) and the list new ops may be appended
to (they are placed before it), return the operand that replaces its result, or None."""


def _resolve(subst: dict[Value, Operand], x: Operand) -> Operand:
    while isinstance(x, Value) and x in subst:
        x = subst[x]
    return x


def _keep_name(fn: Function, old: Value, new: Operand, uses: dict[Value, int]) -> None:
    """A replacement without a name of its own, used nowhere else (it was made only to
    compute what it replaces), takes over the name of what it replaces."""
    if not isinstance(new, Value) or new.name or new in fn.derived_names or uses.get(new, 0) > 1:
        return
    new.name = old.name
    if old in fn.derived_names:
        fn.derived_names[new] = fn.derived_names[old]


def _region(
    fn: Function,
    region: Region,
    simplify: Simplifier,
    subst: dict[Value, Operand],
    uses: dict[Value, int],
) -> bool:
    changed = False
    ops: list[Op] = []
    for op in region.ops:
        op.inputs = [_resolve(subst, x) for x in op.inputs]
        for sub in op.regions:
            changed |= _region(fn, sub, simplify, subst, uses)
        added: list[Op] = []
        replacement = simplify(op, added) if len(op.results) == 1 else None
        ops.extend(added)
        if replacement is None:
            ops.append(op)
            continue
        subst[op.result] = replacement
        _keep_name(fn, op.result, replacement, uses)
        if isinstance(replacement, Value):
            uses[replacement] = uses.get(replacement, 0) + uses.get(op.result, 0)
        changed = True
    region.ops = ops
    region.yields = [_resolve(subst, y) for y in region.yields]
    return changed


def count_uses(fn: Function) -> dict[Value, int]:
    """How many times each value is read (by ops, by the regions that yield it, and by
    the returned values)."""
    uses: dict[Value, int] = {}
    for op in walk_ops(fn.body):
        for x in op.inputs + [y for region in op.regions for y in region.yields]:
            if isinstance(x, Value):
                uses[x] = uses.get(x, 0) + 1
    for y in fn.body.yields:
        if isinstance(y, Value):
            uses[y] = uses.get(y, 0) + 1
    return uses


def rewrite(fn: Function, simplify: Simplifier, uses: dict[Value, int] | None = None) -> bool:
    """Apply `simplify` to every op of `fn`; True if anything changed.

    `uses`, when given, is filled with the use counts and kept up to date as results are
    replaced, for rules that may only rewrite a value read once. Counts of values whose
    readers were removed stay high: such rules then just do less."""
    counts = count_uses(fn)
    if uses is None:
        uses = counts
    else:
        uses.clear()
        uses.update(counts)
    return _region(fn, fn.body, simplify, {}, uses)


def const(x: Operand) -> object:
    """The value of a constant number or tuple operand, else a marker nothing equals."""
    if isinstance(x, Const) and isinstance(x.value, (numbers.Number, tuple)):
        if not hasattr(x.value, "shape"):
            return x.value
    return _NOT_CONST


_NOT_CONST = object()
