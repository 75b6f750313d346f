"""Copying IR: a whole function, or a function's body spliced into another region (inlining)."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from .core import Function, Loc, Op, Operand, Region, Value


class _Copier:
    def __init__(self, mapping: dict[Value, Operand], loc: Loc | None, names: bool = True) -> None:
        self.map = mapping
        self.loc = loc
        self.names = names

    def operand(self, x: Operand) -> Operand:
        return self.map.get(x, x) if isinstance(x, Value) else x

    def fresh(self, v: Value) -> Value:
        new = Value(v.name if self.names else "", v.kind)
        self.map[v] = new
        return new

    def op(self, op: Op) -> Op:
        inputs = [self.operand(x) for x in op.inputs]
        regions = [self.region(r) for r in op.regions]
        results = [self.fresh(r) for r in op.results]
        loc = self.loc if self.loc is not None else op.loc
        return Op(op.prim, inputs, results, dict(op.attrs), regions, loc)

    def region(self, region: Region) -> Region:
        args = [self.fresh(a) for a in region.args]
        ops = [self.op(op) for op in region.ops]
        return Region(args, ops, [self.operand(y) for y in region.yields])


def clone_function(fn: Function) -> Function:
    """A deep copy with fresh values, so passes may rewrite it without touching `fn`."""
    copier = _Copier({}, None)
    params = [copier.fresh(p) for p in fn.params]
    body = copier.region(fn.body)
    derived = {  # (an entry of a value no op makes any more is kept: a chain of names may pass through it)
        copier.map.get(v, v): (prefix, copier.map.get(base, base))
        for v, (prefix, base) in fn.derived_names.items()
    }
    return replace(fn, params=params, body=body, derived_names=derived)


def inline(
    fn: Function, args: Sequence[Operand], into: list[Op], loc: Loc | None = None
) -> list[Operand]:
    """Append a copy of `fn`'s body to `into`, its params bound to `args`; return what it
    returns. With `loc`, every copied op is attributed to that source location. The
    copies carry no names: `fn`'s variable names mean nothing where it is inlined."""
    if len(args) != len(fn.params):
        raise ValueError(f"{fn.name} takes {len(fn.params)} arguments, got {len(args)}")
    copier = _Copier(dict(zip(fn.params, args)), loc, names=False)
    into.extend(copier.op(op) for op in fn.body.ops)
    return [copier.operand(y) for y in fn.body.yields]


__all__ = ["clone_function", "copy_ops", "inline", "substitute"]


def copy_ops(ops: list[Op], mapping: dict[Value, Operand]) -> list[Op]:
    """Copies of `ops` with fresh results (recorded in `mapping`, which also renames the
    operands they read): to recompute a region's values where its own are not visible."""
    copier = _Copier(mapping, None)
    return [copier.op(op) for op in ops]


def substitute(ops: list[Op], yields: list[Operand], mapping: dict[Value, Operand]) -> list[Operand]:
    """Replace every use of a key of `mapping` in `ops` (nested regions included) and in
    `yields`; returns the new yields."""

    def swap(x: Operand) -> Operand:
        return mapping.get(x, x) if isinstance(x, Value) else x

    for op in ops:
        op.inputs = [swap(x) for x in op.inputs]
        for region in op.regions:
            region.yields = substitute(region.ops, region.yields, mapping)
    return [swap(y) for y in yields]
