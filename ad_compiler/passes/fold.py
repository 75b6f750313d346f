"""Constant folding and algebraic identities that hold for every input.

This is what keeps inlined rules from leaving `1.0 * y`, `0 + x` or `x ** 1` behind: the
seed cotangent is the constant 1.0, and rules are written for the general case. Only
identities true for any shape and dtype are used here (`x * 1 -> x`, never `x * 0 -> 0`,
which would lose a shape); identities that need kinds live in `specialize`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..ir import Const, Function, Op, Operand, Value
from ..ir.prims import packed_prim
from ..primitives import PRIMITIVES
from ..ir.types import Scalar
from .infer import kind_of_operand
from .rewrite import const, rewrite

_FOLDABLE_TYPES = (numbers.Number, str, type(None), tuple, slice)


def _literal(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_literal(v) for v in value)
    if isinstance(value, slice):  # (an index's part: `g[0:1]` rather than `t = slice(0, 1, None); g[t]`)
        return all(_literal(v) for v in (value.start, value.stop, value.step))
    if value is Ellipsis:
        return True
    return isinstance(value, _FOLDABLE_TYPES) and not hasattr(value, "shape")


def compute(prim: str, values: list[Any], attrs: dict[str, Any]) -> Any:
    """What an op of `prim` computes from these operand values, by its callable (raises
    what it raises; LookupError for a prim without one)."""
    fn = PRIMITIVES.callable(prim)
    if fn is None:
        raise LookupError(f"{prim} has no callable")
    return fn(*PRIMITIVES.arguments(prim, values), **attrs)


def _evaluate(op: Op) -> Operand | None:
    """All operands constant: compute the result now (Python scalars and tuples only)."""
    if not all(isinstance(x, Const) and _literal(x.value) for x in op.inputs):
        return None
    if PRIMITIVES.callable(op.prim) is None or not all(_literal(v) for v in op.attrs.values()):
        return None
    try:
        value = compute(op.prim, [x.value for x in op.inputs], op.attrs)
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
        self.uses: dict[Value, int] = {}

    def _factor(self, x: Operand) -> tuple[Any, Operand] | None:
        """(c, z) if `x` is `c * z` or `-z` (c = -1) for a constant number c."""
        p = _producer(x, self.producers)
        if p is not None and p.prim == "neg":
            return -1, p.inputs[0]
        if p is not None and p.prim == "mul":
            c, z = _split_const(p)
            if c is not None and isinstance(c, numbers.Number):
                return c, z
        return None

    def _scaled(self, x: Operand) -> tuple[Any, Operand] | None:
        """`_factor(x)` for an `x` read once: its factor may move to the user of `x`,
        toward the root, where factors meet and fold, or (see `specialize`) reach the
        small side of a matrix product. (Were `x` read twice, moving would duplicate.)"""
        return self._factor(x) if self.uses.get(x, 0) == 1 else None

    def _scale(self, added: list[Op], c: Any, z: Operand, like: Op) -> Value:
        if c == -1:
            return self.new(added, "neg", [z], like)
        return self.new(added, "mul", [Const(c), z], like)

    def new(
        self, added: list[Op], prim: str, inputs: list[Operand], like: Op, attrs: dict | None = None
    ) -> Value:
        result = Value()
        op = Op(prim, inputs, [result], dict(attrs or {}), loc=like.loc)
        added.append(op)
        self.producers[result] = op
        return result

    def __call__(self, op: Op, added: list[Op]) -> Operand | None:
        out = _evaluate(op)
        if out is None and op.prim == "np.select":
            out = self._select(op, added)
        if out is None and op.prim != packed_prim(op.prim) and len(op.inputs) == 1:
            out = self._known_sequence(op, added)
        if out is None:
            method = getattr(self, "_" + op.prim.replace(".", "_"), None)
            out = method(op, *op.inputs, added) if method and not op.attrs else None
        if out is None and PRIMITIVES.get(op.prim).reduces and PRIMITIVES.get(op.prim).linear and len(op.inputs) == 1:
            out = self._reduce_scaled(op, added)
        if out is None:
            self.producers[op.result] = op
        return out

    def _slice(self, op: Op, *bounds_and_added: Any) -> Operand | None:
        """`slice(0, 14, None)` of constants (bounds a shape decided, folded since) is the
        constant slice: an index the kinds see through, so shapes stay known."""
        bounds = bounds_and_added[:-1]
        if all(isinstance(b, Const) and (b.value is None or type(b.value) is int) for b in bounds):
            return Const(slice(*(b.value for b in bounds)))
        return None

    def _getitem(self, op: Op, x: Operand, index: Operand, added: list[Op]) -> Operand | None:
        """`(a, b)[1]` is `b`: a tuple made here is taken apart without being built."""
        p = _producer(x, self.producers)
        if p is not None and p.prim == "tuple" and isinstance(index, Const) and type(index.value) is int:
            if -len(p.inputs) <= index.value < len(p.inputs):
                return p.inputs[index.value]
        return None

    def _select(self, op: Op, added: list[Op]) -> Operand | None:
        """`np.select((c0, c1), (a0, a1), d)` is `np.where(c0, a0, np.where(c1, a1, d))`:
        the same values, dtype and shape (the first condition that holds chooses), and
        `np.where` is differentiated without NaN from the choices not taken."""
        if set(op.attrs) - {"default"} or len(op.inputs) + len(op.attrs) > 3:
            return None
        default = op.inputs[2] if len(op.inputs) == 3 else Const(op.attrs.get("default", 0))
        conds, choices = (_producer(x, self.producers) for x in op.inputs[:2])
        if conds is None or choices is None or {conds.prim, choices.prim} != {"tuple"}:
            return None
        if not conds.inputs or len(conds.inputs) != len(choices.inputs):
            return None
        out = default
        for cond, choice in reversed(list(zip(conds.inputs, choices.inputs))):
            out = self.new(added, "np.where", [cond, choice, out], op)
        return out

    def _known_sequence(self, op: Op, added: list[Op]) -> Operand | None:
        """`np.stack(xs)` of a run-time list made here, by a display and appends (a
        loop unrolled), is `np.stack` of its items: each with its own derivative."""
        items: list[Operand] = []
        p = _producer(op.inputs[0], self.producers)
        while p is not None and p.prim == "push":
            items.append(p.inputs[1])
            p = _producer(p.inputs[0], self.producers)
        if p is None or p.prim != "list" or not (items or p.inputs):
            return None
        return self.new(added, packed_prim(op.prim), list(p.inputs) + items[::-1], op, op.attrs)

    def _reduce_scaled(self, op: Op, added: list[Op]) -> Operand | None:
        """sum(c * z) -> c * sum(z): a sum is linear, and after it the factor meets
        fewer elements."""
        scaled = self._scaled(op.inputs[0])
        if scaled is None:
            return None
        reduced = self.new(added, op.prim, [scaled[1]], op, op.attrs)
        return self._scale(added, scaled[0], reduced, op)

    def _neg_of(self, x: Operand, added: list[Op], like: Op) -> Operand | None:
        """An operand equal to `-x`, if `x` is visibly a negation (`-z`, a negative
        constant, or a negative constant times z read only here)."""
        if isinstance(x, Const) and isinstance(x.value, numbers.Number) and not isinstance(x.value, bool):
            return Const(-x.value)
        p = _producer(x, self.producers)
        if p is not None and p.prim == "neg":
            return p.inputs[0]
        scaled = self._scaled(x)
        if scaled is not None and isinstance(scaled[0], numbers.Real) and scaled[0] < 0:  # (not a complex factor)
            return self._scale(added, -scaled[0], scaled[1], like)
        return None

    def _add(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        if _equals(y, 0):
            return x
        if _equals(x, 0):
            return y
        if x is y and isinstance(x, Value):  # z + z -> 2 * z, where the 2 can meet other factors
            return self.new(added, "mul", [Const(2), x], op)
        if self._swapped_products(x, y):  # a * b + b * a (the tangent of x * x) -> 2 * (a * b)
            return self.new(added, "mul", [Const(2), x], op)
        twice = _producer(x, self.producers)
        if twice is not None and twice.prim == "add" and self.uses.get(x, 0) == 1 and isinstance(y, Value) \
                and y in twice.inputs and twice.inputs[0] is not twice.inputs[1]:
            # (a + t) + t -> a + 2 * t: an adjoint that gets one contribution twice
            other = twice.inputs[1] if twice.inputs[0] is y else twice.inputs[0]
            return self.new(added, "add", [other, self.new(added, "mul", [Const(2), y], op)], op)
        common = self._common_factor(op, x, y, added)
        if common is not None:
            return common
        if isinstance(y, Value) and (neg := self._neg_of(y, added, op)) is not None:
            return self.new(added, "sub", [x, neg], op)
        if isinstance(x, Value) and isinstance(y, Value) and (neg := self._neg_of(x, added, op)) is not None:
            return self.new(added, "sub", [y, neg], op)
        return None

    def _swapped_products(self, x: Operand, y: Operand) -> bool:
        px, py = _producer(x, self.producers), _producer(y, self.producers)
        return (
            px is not None and py is not None and px.prim == py.prim == "mul"
            and px.inputs[0] is py.inputs[1] and px.inputs[1] is py.inputs[0]
        )

    def _common_factor(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        """c*a + c*b -> c*(a + b) (and for -): one multiplication instead of two."""
        sx, sy = self._scaled(x), self._scaled(y)
        if sx is None or sy is None or sx[0] not in (sy[0], -sy[0]):
            return None
        prim = op.prim if sx[0] == sy[0] else {"add": "sub", "sub": "add"}[op.prim]
        inner = self.new(added, prim, [sx[1], sy[1]], op)
        return self._scale(added, sx[0], inner, op)

    def _sub(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        if _equals(y, 0):
            return x
        if _equals(x, 0):
            return self.new(added, "neg", [y], op)
        common = self._common_factor(op, x, y, added)
        if common is not None:
            return common
        if isinstance(y, Value) and (neg := self._neg_of(y, added, op)) is not None:
            return self.new(added, "add", [x, neg], op)
        return None

    def _mul(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        for a, b in ((x, y), (y, x)):
            if _equals(b, 1) or _equals(b, -1):
                a = self._as_float_if(b, a, added, op)
                if a is None:
                    continue
                return a if _equals(b, 1) else self.new(added, "neg", [a], op)
        # a / (u * v) * u -> a / v: a factor of a divisor cancels
        for a, b in ((x, y), (y, x)):
            p = _producer(a, self.producers)
            q = _producer(p.inputs[1], self.producers) if p is not None and p.prim == "truediv" else None
            if q is not None and q.prim == "mul" and b in q.inputs:  # (Consts compare by value)
                other = q.inputs[1 - q.inputs.index(b)]
                return self.new(added, "truediv", [p.inputs[0], other], op)
        # c1 * (c2 * z) -> (c1 * c2) * z, and c * -z -> (-c) * z
        for a, b in ((x, y), (y, x)):
            factor = self._factor(b)
            if isinstance(a, Const) and isinstance(a.value, numbers.Number) and factor is not None:
                return self._scale(added, a.value * factor[0], factor[1], op)
        # (c * a) * b -> c * (a * b): the factor moves outward
        for a, b in ((x, y), (y, x)):
            scaled = self._scaled(a)
            if scaled is not None and not isinstance(b, Const):
                c, z = scaled
                inner = self.new(added, "mul", [z, b] if a is x else [b, z], op)
                return self._scale(added, c, inner, op)
        return None

    def _as_float_if(self, one: Operand, x: Operand, added: list[Op], op: Op) -> Operand | None:
        """`x`, as the product with the constant `one` (1 or -1) would have it: an int
        times 1.0 (or divided by 1) is a float (`float(x)`); None where that cannot be said
        plainly (an int array)."""
        kind = kind_of_operand(x)
        floats = isinstance(one.value, float) or op.prim == "truediv"
        if not floats or getattr(kind, "dtype", None) not in ("int", "bool"):
            return x
        if isinstance(kind, Scalar):
            return self.new(added, "float", [x], op)
        return None

    def _truediv(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        if _equals(y, 1):
            return self._as_float_if(y, x, added, op)
        scaled = self._scaled(x)
        if scaled is not None:  # (c * a) / y -> c * (a / y)
            inner = self.new(added, "truediv", [scaled[1], y], op)
            return self._scale(added, scaled[0], inner, op)
        return None

    def _pow(self, op: Op, x: Operand, y: Operand, added: list[Op]) -> Operand | None:
        if _equals(y, 1):
            return x
        if _equals(y, 2):
            return self.new(added, "mul", [x, x], op)
        return None

    def _same_shape(self, x: Operand) -> Operand | None:
        """An earlier operand of the same shape as `x`: the operand of a one-operand ufunc
        (`np.log(p)` has the shape of `p`), or of an elementwise op on one operand twice."""
        p = _producer(x, self.producers)
        if p is None or p.attrs:
            return None
        if len(p.inputs) == 1 and _shape_preserving(p.prim):
            return p.inputs[0]
        if len(p.inputs) == 2 and _elementwise_binary(p.prim):
            a, b = p.inputs
            if a is b or _number(b):
                return a
            if _number(a):
                return b  # (`100.0 * y` has the shape of `y`)
        return None

    def _unbroadcast(self, op: Op, g: Operand, x: Operand, added: list[Op]) -> Operand | None:
        """Only the shape of `x` matters: ask an operand of the same shape, so that `x`
        need not be computed just for its shape. A number summed to the shape of a whole
        reduction (a 0-d result) is the number."""
        p = _producer(x, self.producers)
        if isinstance(g, Const) and np.ndim(g.value) == 0 and p is not None and _whole_reduction(p):
            return g
        same = self._same_shape(x)
        return None if same is None else self.new(added, "unbroadcast", [g, same], op)

    def _np_broadcast_to(self, op: Op, x: Operand, shape: Operand, added: list[Op]) -> Operand | None:
        """`np.broadcast_to(x, 3)` is `np.broadcast_to(x, (3,))`: shapes are tuples from
        here on (rules add batch axes to them)."""
        return self._shape_as_tuple(op, x, shape, added)

    def _np_reshape(self, op: Op, x: Operand, shape: Operand, added: list[Op]) -> Operand | None:
        return self._shape_as_tuple(op, x, shape, added)

    def _shape_as_tuple(self, op: Op, x: Operand, shape: Operand, added: list[Op]) -> Operand | None:
        if isinstance(shape, Const) and type(shape.value) is int:
            return self.new(added, op.prim, [x, Const((shape.value,))], op)
        return None

    def _np_shape(self, op: Op, x: Operand, added: list[Op]) -> Operand | None:
        """The shape of `x` from its operands' where `x` is computed only for its shape
        (generic code seeding a sum): `np.shape(a + b)` is the broadcast of theirs."""
        same = self._same_shape(x)
        if same is not None:
            return self.new(added, "np.shape", [same], op)
        p = _producer(x, self.producers)
        if p is None or p.attrs or len(p.inputs) != 2 or not _elementwise_binary(p.prim) or self.uses.get(x) != 1:
            return None
        arrays = [y for y in p.inputs if not _number(y)]
        shapes = [self.new(added, "np.shape", [y], op) for y in arrays]
        return shapes[0] if len(shapes) == 1 else self.new(added, "np.broadcast_shapes", shapes, op)

    def _neg(self, op: Op, x: Operand, added: list[Op]) -> Operand | None:
        p = _producer(x, self.producers)
        if p is not None and p.prim == "neg":
            return p.inputs[0]
        if p is not None and p.prim == "sub":
            return self.new(added, "sub", [p.inputs[1], p.inputs[0]], op)
        if p is not None and p.prim == "mul":
            c, z = _split_const(p)
            if c is not None and isinstance(c, numbers.Number):
                return self._scale(added, -c, z, op)
        return None


def _whole_reduction(op: Op) -> bool:
    """A reduction over every axis, without keepdims: its result is 0-d, whatever its operand."""
    return PRIMITIVES.get(op.prim).reduces and len(op.inputs) == 1 and op.attrs.get("axis") is None \
        and not op.attrs.get("keepdims", False) and set(op.attrs) <= {"axis", "keepdims", "dtype"}


def _number(x: Operand) -> bool:
    return isinstance(x, Const) and np.ndim(x.value) == 0


def _elementwise_binary(prim: str) -> bool:
    record = PRIMITIVES.get(prim)
    return record.broadcasting and record.arity == 2


def _shape_preserving(prim: str) -> bool:
    record = PRIMITIVES.get(prim)
    return record.elementwise and record.arity == 1 and record.fresh


def _equals(x: Operand, number: int) -> bool:
    """True if `x` is a numeric constant equal to `number` (bools do not count)."""
    value = const(x)
    return value == number and not isinstance(value, bool)


def _split_const(op: Op) -> tuple[Any, Operand] | tuple[None, None]:
    a, b = op.inputs
    if isinstance(a, Const) and _literal(a.value) and isinstance(b, Value):
        return a.value, b
    if isinstance(b, Const) and _literal(b.value) and isinstance(a, Value):
        return b.value, a
    return None, None


def run(fn: Function) -> bool:
    """Fold constants and apply identities throughout `fn`; True if anything changed."""
    identities = _Identities()
    return rewrite(fn, identities, identities.uses)
