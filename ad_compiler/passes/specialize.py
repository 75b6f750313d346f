"""Simplifications that need kinds (DESIGN §5a): what shapes make redundant.

With the shapes of the arguments known, most broadcasting bookkeeping of the derivative
disappears: `unbroadcast(g, x)` is `g` when the shapes already agree, `np.broadcast_to`
of a cotangent folds into the arithmetic that consumes it, shape queries become
constants, and reshapes/transposes that change nothing go. Values of unknown kind are
never touched, so generic code keeps every call it needs.
"""

from __future__ import annotations

import math

from ..ir import Const, Function, Op, Operand, Value
from ..ir.prims import BINARY_OPS, callable_of
from ..ir.types import Array, Scalar
from .infer import broadcast, kind_of_operand
from .rewrite import rewrite

import numpy as np


def _shape(x: Operand) -> tuple | None:
    kind = kind_of_operand(x)
    if isinstance(kind, Scalar):
        return ()
    if isinstance(kind, Array):
        return kind.shape
    return None


def _ndim(x: Operand) -> int | None:
    kind = kind_of_operand(x)
    if isinstance(kind, Scalar):
        return 0
    if isinstance(kind, Array):
        return kind.ndim
    return None


def _elementwise(prim: str) -> bool:
    return (prim in BINARY_OPS and prim != "matmul") or (
        isinstance(callable_of(prim), np.ufunc) and callable_of(prim).nin == 2
    )


class _Specializer:
    def __init__(self) -> None:
        self.producers: dict[Value, Op] = {}

    def __call__(self, op: Op, added: list[Op]) -> Operand | None:
        if _elementwise(op.prim):
            self._unbroadcast_operands(op)
        out = self._simplify(op)
        if out is None and op.prim == "unbroadcast":
            out = self._reduce(op, added)
        if out is None and op.prim == "np.sum":
            out = self._sum_of_broadcast(op, added)
        if out is None:
            self.producers[op.result] = op
        return out

    def _new(self, added: list[Op], prim: str, inputs: list[Operand], like: Op, **attrs) -> Value:
        result = Value()
        op = Op(prim, inputs, [result], attrs, loc=like.loc)
        added.append(op)
        self.producers[result] = op
        return result

    def _reduce(self, op: Op, added: list[Op]) -> Operand | None:
        """`unbroadcast(g, x)` with both shapes known is the one `np.sum` it stands for:
        over the leading axes `x` lacks, and (keeping them) over its axes of length 1."""
        g, x = op.inputs
        gshape, xshape = _shape(g), _shape(x)
        if gshape is None or xshape is None or len(gshape) < len(xshape):
            return None
        lead = len(gshape) - len(xshape)
        ones = tuple(
            lead + i for i, n in enumerate(xshape) if n == 1 and gshape[lead + i] != 1
        )
        if not xshape:
            return self._new(added, "np.sum", [g], op)
        if not ones:
            axis = lead - 1 if lead == 1 else tuple(range(lead))
            return self._new(added, "np.sum", [g], op, axis=axis)
        axis = ones[0] if len(ones) == 1 else ones
        kept = self._new(added, "np.sum", [g], op, axis=axis, keepdims=True)
        if lead == 0:
            return kept
        summed = self._new(added, "np.sum", [kept], op, axis=lead - 1 if lead == 1 else tuple(range(lead)))
        return summed

    def _sum_of_broadcast(self, op: Op, added: list[Op]) -> Operand | None:
        """The sum of a number broadcast to a shape is the number times the size."""
        (x,) = op.inputs if len(op.inputs) == 1 else (None,)
        p = self.producers.get(x) if isinstance(x, Value) else None
        if op.attrs or p is None or p.prim != "np.broadcast_to":
            return None
        value, shape = p.inputs
        if _shape(value) != () or not isinstance(shape, Const):
            return None
        return self._new(added, "mul", [value, Const(math.prod(shape.value))], op)

    def _unbroadcast_operands(self, op: Op) -> None:
        """`broadcast_to(s, shape) * y` is `s * y` when broadcasting `s` against `y`
        gives the same result shape: the view was never needed (so for `expand_dims`
        of leading axes, which broadcasting adds anyway)."""
        result = _shape(op.result)
        if result is None:
            return
        for i, x in enumerate(op.inputs):
            p = self.producers.get(x) if isinstance(x, Value) else None
            if p is None or p.prim not in ("np.broadcast_to", "np.expand_dims"):
                continue
            others = [kind_of_operand(y) for j, y in enumerate(op.inputs) if j != i]
            narrowed = broadcast([kind_of_operand(p.inputs[0])] + others)
            if narrowed is not None and _shape_of_kind(narrowed) == result:
                op.inputs[i] = p.inputs[0]

    def _simplify(self, op: Op) -> Operand | None:
        prim, inputs = op.prim, op.inputs
        if prim == "unbroadcast":
            g, x = inputs
            same = _shape(g) is not None and _shape(g) == _shape(x)
            return g if same else None
        if prim == "np.broadcast_to":
            g, shape = inputs
            return g if isinstance(shape, Const) and _shape(g) == shape.value else None
        if prim == "np.reshape" and len(inputs) == 2 and not op.attrs:
            v, shape = inputs
            return v if isinstance(shape, Const) and _shape(v) == shape.value else None
        if prim == "np.atleast_2d" and len(inputs) == 1:
            return inputs[0] if (_ndim(inputs[0]) or 0) >= 2 else None
        if prim in ("transpose", "np.transpose") and len(inputs) == 1 and not op.attrs:
            return self._transpose(inputs[0])
        if prim == "np.shape" and _shape(inputs[0]) is not None:
            return Const(_shape(inputs[0]))
        if prim == "np.size" and _shape(inputs[0]) is not None:
            shape = _shape(inputs[0])
            if len(inputs) == 1:
                return Const(math.prod(shape))
            axis = inputs[1].value if isinstance(inputs[1], Const) else None
            return Const(shape[axis]) if isinstance(axis, int) else None
        if prim == "np.ndim" and _ndim(inputs[0]) is not None:
            return Const(_ndim(inputs[0]))
        if prim == "np.zeros_like" and isinstance(kind_of_operand(inputs[0]), Scalar):
            return Const(0.0)
        if prim == "getitem" and inputs[1] == Const(()) and _scalar_or_array(inputs[0]):
            return inputs[0]  # x[()] only turns a 0-d array into a scalar
        return None

    def _transpose(self, x: Operand) -> Operand | None:
        if _ndim(x) is not None and _ndim(x) <= 1:
            return x
        p = self.producers.get(x) if isinstance(x, Value) else None
        if p is not None and p.prim in ("transpose", "np.transpose") and not p.attrs and len(p.inputs) == 1:
            return p.inputs[0]
        return None


def _scalar_or_array(x: Operand) -> bool:
    kind = kind_of_operand(x)
    return isinstance(kind, Scalar) or (isinstance(kind, Array) and kind.ndim > 0)


def _shape_of_kind(kind) -> tuple | None:
    if isinstance(kind, Scalar):
        return ()
    return kind.shape if isinstance(kind, Array) else None


def run(fn: Function) -> bool:
    """Apply the kind-based simplifications to `fn`; True if anything changed."""
    return rewrite(fn, _Specializer())
