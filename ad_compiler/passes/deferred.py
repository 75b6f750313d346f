"""Calls whose IR depends on their operands' kinds, made once those are known: a `vmap`
called inside a function being lowered is a `deferred` op holding how to compile it
(`attrs["compile"]`, given the operands' kinds), which this pass replaces by the IR
compiled for the kinds inference found, inlined where it is called (as the frontend
splices the IR of a derivative called inside a function, which needs no kinds)."""

from __future__ import annotations

from ..errors import CompileError, UnsupportedError
from ..ir import Function, Op, Operand, Region, Value
from ..ir.clone import inline, substitute
from .infer import kind_of_operand

DEFERRED = "deferred"


def run(fn: Function) -> bool:
    """Inline every deferred call of `fn` (its kinds inferred); True if there was one."""
    mapping: dict[Value, Operand] = {}
    changed = _region(fn, fn.body, mapping)
    if changed:
        fn.body.yields = substitute(fn.body.ops, fn.body.yields, mapping)
    return changed


def _region(fn: Function, region: Region, mapping: dict[Value, Operand]) -> bool:
    changed = False
    ops: list[Op] = []
    for op in region.ops:
        for sub in op.regions:
            if _region(fn, sub, mapping):
                sub.yields = substitute(sub.ops, sub.yields, mapping)
                changed = True
        if op.prim != DEFERRED:
            ops.append(op)
            continue
        kinds = tuple(kind_of_operand(x) for x in op.inputs)
        line = fn.line_text(op.loc) if op.loc is not None else None
        where = (op.loc.file, op.loc.line, op.loc.col, line) if op.loc is not None else ()
        if any(k is None for k in kinds):
            raise UnsupportedError(f"{op.attrs['name']} is compiled for the kinds and shapes of its arguments, which "
                                   "are not known here: call the function that calls it with arrays", *where)
        try:
            callee = op.attrs["compile"](kinds)
        except CompileError as err:
            raise type(err)(f"{op.attrs['name']} here: {err.message}", *where) from None
        (returned,) = inline(callee, op.inputs, ops, op.loc)
        mapping[op.result] = returned
        changed = True
    region.ops = ops
    return changed
