"""Tuples through control flow become their items: a branch or a loop that hands out or
carries a tuple of known length hands out or carries each item instead (scalar
replacement of aggregates).

Differentiation sees a value per item, and every `t[0]` after the branch reads an item
directly once `fold` has met `getitem(tuple(a, b), 0)`. Without it a tuple leaving an `if`
or carried by a loop would get one adjoint for the whole tuple, which NumPy would read as
an array.
"""

from __future__ import annotations

from ..errors import UnsupportedError
from ..ir import Const, Function, Op, Operand, Region, Value, absent, is_absent
from ..ir.prims import LOOP_HEAD, carried_args, raises
from ..ir.types import Array, Kind, Scalar, TupleKind, is_float_like
from .infer import kind_of_operand as _kind


def run(fn: Function) -> bool:
    """Split every tuple of known length that a `cond` hands out or a loop carries;
    True if any was split."""
    return _region(fn, fn.body)


def _region(fn: Function, region: Region) -> bool:
    changed = False
    i = 0
    while i < len(region.ops):
        op = region.ops[i]
        for sub in op.regions:
            changed |= _region(fn, sub)
        before: list[Op] = []
        after: list[Op] = []
        if op.prim == "cond":
            _check_mixed(fn, op)
            changed |= _split_cond(op, after)
        elif op.prim in LOOP_HEAD:
            changed |= _split_loop(op, before, after)
        region.ops[i:i + 1] = before + [op] + after
        i += len(before) + 1 + len(after)
    return changed


def _items(kind: Kind) -> tuple[Kind, ...] | None:
    return kind.items if isinstance(kind, TupleKind) else None


def _parts(x: Operand, n: int, ops: list[Op]) -> list[Operand]:
    """The `n` items of the tuple `x`, read by ops appended to `ops`."""
    if is_absent(x):  # (a branch that does not make the tuple has none of its items)
        return [absent() for _ in range(n)]
    if isinstance(x, Const) and x.value is None:  # (a loop's `_value` before it returns one)
        return [Const(None) for _ in range(n)]
    if isinstance(x, Const):
        return [Const(item) for item in x.value]
    parts: list[Operand] = []
    for j in range(n):
        kind = x.kind.items[j] if isinstance(x.kind, TupleKind) else None
        part = Value(kind=kind)
        ops.append(Op("getitem", [x, Const(j)], [part]))
        parts.append(part)
    return parts


def _check_mixed(fn: Function, op: Op) -> None:
    """A value that is a tuple of numbers on one path and a number or an array on another
    has no derivative of one shape: refused where the paths meet (it would be taken for
    an array)."""
    completing = [region for region in op.regions if not raises(region)]
    for k in range(len(op.results)):
        kinds = [_kind(region.yields[k]) for region in completing]
        tuples = [kind for kind in kinds if isinstance(kind, TupleKind)]
        if tuples and any(isinstance(kind, (Scalar, Array)) for kind in kinds) and any(map(_has_floats, tuples)):
            raise UnsupportedError.at(
                "this value is a tuple on one path and a number or an array on another (a "
                "function returning a tuple here and a number there, say); make every path "
                "give a tuple of the same length", op.loc, fn)


def _has_floats(kind: Kind) -> bool:
    if isinstance(kind, TupleKind):
        return any(map(_has_floats, kind.items))
    return kind is None or is_float_like(kind)


def _fresh(items: tuple[Kind, ...]) -> list[Value]:
    return [Value(kind=kind) for kind in items]


def _split_cond(op: Op, after: list[Op]) -> bool:
    changed = False
    for k in reversed(range(len(op.results))):  # (splitting one leaves those before it in place)
        items = _items(op.results[k].kind)
        if items is None:
            continue
        for region in op.regions:
            parts = _parts(region.yields[k], len(items), region.ops)
            region.yields[k:k + 1] = parts
        _split_result(op, k, items, after)
        changed = True
    return changed


def _split_loop(op: Op, before: list[Op], after: list[Op]) -> bool:
    head = LOOP_HEAD[op.prim]
    changed = False
    for k in reversed(range(len(op.results))):
        kinds = [op.results[k].kind] + [carried_args(op, region)[k].kind for region in op.regions]
        items = _items(kinds[0])
        if items is None or any(_items(kind) is None or len(_items(kind)) != len(items) for kind in kinds):
            continue
        op.inputs[head + k:head + k + 1] = _parts(op.inputs[head + k], len(items), before)
        offset = len(op.regions[0].args) - len(carried_args(op, op.regions[0]))
        for region in op.regions:
            old = region.args[offset + k]
            new = _fresh(items)
            region.args[offset + k:offset + k + 1] = new
            region.ops.insert(0, Op("tuple", list(new), [old], loc=op.loc))
        body = op.regions[-1]
        body.yields[k:k + 1] = _parts(body.yields[k], len(items), body.ops)
        _split_result(op, k, items, after)
        changed = True
    return changed


def _split_result(op: Op, k: int, items: tuple[Kind, ...], after: list[Op]) -> None:
    """Result `k` of `op` becomes one result per item; a `tuple` op after it makes the
    old result again for its readers (`fold` then takes it apart)."""
    old = op.results[k]
    new = _fresh(items)
    op.results[k:k + 1] = new
    after.insert(0, Op("tuple", list(new), [old], loc=op.loc))
