"""Constant folding and algebraic identities that hold for every input.

This is what keeps inlined rules from leaving `1.0 * y`, `0 + x` or `x ** 1` behind: the
seed cotangent is the constant 1.0, and rules are written for the general case. Only
identities true for any shape and dtype are used here (`x * 1 -> x`, never `x * 0 -> 0`,
which would lose a shape); identities that need kinds live in `specialize`.
"""

from __future__ import annotations

import numbers
from typing import Any

from ..ir import Const, Function, Op, Operand, Value
from ..ir.prims import callable_of
from .rewrite import const, rewrite

_FOLDABLE_TYPES = (numbers.Number, str, type(None), tuple)


def _literal(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_literal(v) for v in value)
    return isinstance(value, _FOLDABLE_TYPES) and not hasattr(value, "shape")


def _evaluate(op: Op) -> Operand | None:
    """All operands constant: compute the result now (Python scalars and tuples only)."""
    if not all(isinstance(x, Const) and _literal(x.value) for x in op.inputs):
        return None
    fn = callable_of(op.prim)
    if fn is None or not all(_literal(v) for v in op.attrs.values()):
        return None
    try:
        value = fn(*[x.value for x in op.inputs], **op.attrs)
    except Exception:  # noqa: BLE001 - an op that fails stays, to fail at run time
        return None
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    return Const(value) if _literal(value) else None


def _producer(x: Operand, producers: dict[Value, Op]) -> Op | None:
    return producers.get(x) if isinstance(x, Value) else None


class _Identities:
    """Local rewrites; `producers` maps each value to the op that made it."""

    def __init__(self) -> None:
        self.producers: dict[Value, Op] = {}

    def new(self, added: list[Op], prim: str, inputs: list[Operand], like: Op) -> Value:
        result = Value()
        op = Op(prim, inputs, [result], loc=like.loc)
        added.append(op)
        self.producers[result] = op
        return result

    def __call__(self, op: Op, added: list[Op]) -> Operand | None:
        out = _evaluate(op)
        if out is None:
            method = getattr(self, "_" + op.prim, None)
            out = method(op, *op.inputs, added) if method and not op.attrs else None
        if out is None:
            self.producers[op.result] = op
        return out

    def _neg_of(self, x: Operand) -> Operand | None:
        """The operand whose negation `x` is, if `x` is visibly a negation."""
        if isinstance(x, Const) and isinstance(x.value, numbers.Number) and not isinstance(x.value, bool):
            return Const(-x.value)
        p = _producer(x, self.producers)
        return p.inputs[0] if p is not None and p.prim == "neg" else None

    def _add(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        if const(y) == 0 and not isinstance(const(y), bool):
            return x
        if const(x) == 0 and not isinstance(const(x), bool):
            return y
        p = _producer(x, self.producers)
        if x is y and p is not None and p.prim == "mul":
            c, z = _split_const(p)
            if c is not None:  # c*z + c*z -> (2c)*z
                return self.new(added, "mul", [Const(2 * c), z], op)
        if isinstance(y, Value) and (neg := self._neg_of(y)) is not None:
            return self.new(added, "sub", [x, neg], op)
        if isinstance(x, Value) and (neg := self._neg_of(x)) is not None and isinstance(y, Value):
            return self.new(added, "sub", [y, neg], op)
        return None

    def _sub(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        if const(y) == 0 and not isinstance(const(y), bool):
            return x
        if const(x) == 0 and not isinstance(const(x), bool):
            return self.new(added, "neg", [y], op)
        if isinstance(y, Value) and (neg := self._neg_of(y)) is not None:
            return self.new(added, "add", [x, neg], op)
        return None

    def _mul(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        for a, b in ((x, y), (y, x)):
            if const(b) == 1 and not isinstance(const(b), bool):
                return a
            if const(b) == -1 and not isinstance(const(b), bool):
                return self.new(added, "neg", [a], op)
        # neg(a) * b -> neg(a * b): the sign moves outward, where it meets other signs
        for a, b in ((x, y), (y, x)):
            p = _producer(a, self.producers)
            if p is not None and p.prim == "neg":
                inner = self.new(added, "mul", [p.inputs[0], b] if a is x else [b, p.inputs[0]], op)
                return self.new(added, "neg", [inner], op)
        # c1 * (c2 * z) -> (c1 * c2) * z
        for a, b in ((x, y), (y, x)):
            p = _producer(b, self.producers)
            if isinstance(a, Const) and p is not None and p.prim == "mul":
                c, z = _split_const(p)
                if c is not None and _literal(a.value):
                    return self.new(added, "mul", [Const(a.value * c), z], op)
        return None

    def _truediv(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        if const(y) == 1 and not isinstance(const(y), bool):
            return x
        p = _producer(x, self.producers)
        if p is not None and p.prim == "neg":
            inner = self.new(added, "truediv", [p.inputs[0], y], op)
            return self.new(added, "neg", [inner], op)
        return None

    def _pow(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        if const(y) == 1 and not isinstance(const(y), bool):
            return x
        if const(y) == 2 and not isinstance(const(y), bool):
            return self.new(added, "mul", [x, x], op)
        return None

    def _neg(self, op: Op, x: Operand, added: list[Op]) -> Operand | None:
        p = _producer(x, self.producers)
        if p is not None and p.prim == "neg":
            return p.inputs[0]
        if p is not None and p.prim == "sub":
            return self.new(added, "sub", [p.inputs[1], p.inputs[0]], op)
        return None


def _split_const(op: Op) -> tuple[Any, Operand] | tuple[None, None]:
    a, b = op.inputs
    if isinstance(a, Const) and _literal(a.value) and isinstance(b, Value):
        return a.value, b
    if isinstance(b, Const) and _literal(b.value) and isinstance(a, Value):
        return b.value, a
    return None, None


def run(fn: Function) -> bool:
    """Fold constants and apply identities throughout `fn`; True if anything changed."""
    return rewrite(fn, _Identities())
