"""Kind and shape inference: abstract values of every IR value from those of the params.

This is what specialization stands on (DESIGN §5a): knowing that two operands have the
same shape lets a pass drop an `unbroadcast`; knowing a value is a Python float lets code
stay scalar. A kind that cannot be inferred is `None`, and every pass treats `None` as
"could be anything", so the generic compilation (all params `None`) stays correct. Each
op's kind comes from its primitive's kind rule (`ad_compiler.primitives`); this pass
walks the regions, joining the kinds of branches and finding loops' fixpoints.
"""

from __future__ import annotations

import functools
from typing import Sequence

from ..ir import Const, Function, Op, Operand, Region, Value, is_absent
from ..ir.prims import carried_args, loop_inits, raises
from ..ir.types import Kind, ListKind, Scalar, join, kind_of
from ..primitives import PRIMITIVES
from ..primitives.kinds import broadcast


def _kind(x: Operand) -> Kind:
    return kind_of(x.value) if isinstance(x, Const) else x.kind


def _is_none(x: Operand) -> bool:
    return isinstance(x, Const) and x.value is None


def _infer_op(op: Op, producers: dict) -> Kind:
    """The kind of an op's one result, by its primitive's kind rule."""
    rule = PRIMITIVES.get(op.prim).infer
    if rule is None:
        return None
    try:
        return rule(op, [_kind(x) for x in op.inputs], producers)
    except (ValueError, TypeError, IndexError):  # (operands NumPy refuses, in a branch that may never run)
        return None


_MAX_FIXPOINT_ROUNDS = 4


def _infer_cond(op: Op, producers: dict) -> None:
    for sub in op.regions:
        _infer_region(sub, producers)
    completing = [region for region in op.regions if not raises(region)] or op.regions
    for k, result in enumerate(op.results):
        kinds = [_kind(region.yields[k]) for region in completing if not is_absent(region.yields[k])]
        result.kind = None if not kinds else kinds[0] if len(kinds) == 1 else join(*kinds)


def _infer_loop(op: Op, producers: dict) -> None:
    """Carried values start with their initial kinds; a body that changes one (a scalar
    that becomes an array, an array that grows) makes it unknown, until nothing changes.
    One that starts as None (`_value` before a loop that may return it, a variable the
    loop defines) has the kind the body gives it: None is only read where the loop ran
    no iteration, and then as None."""
    body = op.regions[-1]
    carried = carried_args(op, body)
    inits = loop_inits(op)
    kinds = [_kind(x) for x in inits]
    unset = {k for k, x in enumerate(inits) if isinstance(x, Const) and x.value is None}
    if op.prim == "for_range":
        body.args[0].kind = Scalar("int")
    elif op.prim == "for_each":
        iterable = _kind(op.inputs[0])
        body.args[0].kind = iterable.item if isinstance(iterable, ListKind) else None
    for _ in range(_MAX_FIXPOINT_ROUNDS):
        for region in op.regions:
            for arg, kind in zip(region.args[len(region.args) - len(carried):], kinds):
                arg.kind = kind
            _infer_region(region, producers)
        joined = [_set_kind(y, carried[k], producers) if k in unset else join(kind, _kind(y))
                  for k, (kind, y) in enumerate(zip(kinds, body.yields))]
        unset = {k for k in unset if _is_none(body.yields[k])}  # (still None: kept as it is)
        if joined == kinds:
            break
        kinds = joined
    else:
        kinds = [None] * len(kinds)
        for region in op.regions:
            for arg in region.args[len(region.args) - len(carried):]:
                arg.kind = None
            _infer_region(region, producers)
    for result, kind in zip(op.results, kinds):
        result.kind = kind


def _set_kind(y: Operand, arg: Value, producers: dict) -> Kind:
    """The kind a carried value that starts as None is given by the body yielding `y`:
    that of the values it may be other than the carried value itself, kept as it is
    (`_value = (a, b) if found else _value`), when they agree."""
    kinds: list[Kind] = []
    todo = [y]
    while todo:
        x = todo.pop()
        op = producers.get(x) if isinstance(x, Value) else None
        if x is arg or _is_none(x):
            continue
        if op is not None and op.prim == "cond" and not is_absent(x):
            k = op.results.index(x)
            todo += [region.yields[k] for region in op.regions if not raises(region)]
        else:
            kinds.append(_kind(x))
    return functools.reduce(join, kinds) if kinds else None


def _infer_region(region: Region, producers: dict) -> None:
    for op in region.ops:
        if op.prim == "cond":
            _infer_cond(op, producers)
            producers.update((r, op) for r in op.results)
        elif op.regions:
            _infer_loop(op, producers)
            producers.update((r, op) for r in op.results)
        elif len(op.results) == 1:
            op.result.kind = _infer_op(op, producers)
            producers[op.result] = op
        elif op.prim == "pop":  # the list without its last item, and that item
            listed = _kind(op.inputs[0])
            op.results[0].kind = listed if isinstance(listed, ListKind) else ListKind()
            op.results[1].kind = listed.item if isinstance(listed, ListKind) else None
            producers.update((r, op) for r in op.results)


def infer_kinds(fn: Function, param_kinds: Sequence[Kind] | None = None) -> Function:
    """Set the kind of every value of `fn` (params from `param_kinds` when given)."""
    if param_kinds is not None:
        for p, k in zip(fn.params, param_kinds):
            p.kind = k
    _infer_region(fn.body, {})
    return fn


def kind_of_operand(x: Operand) -> Kind:
    return _kind(x)


__all__ = ["broadcast", "infer_kinds", "kind_of_operand"]
