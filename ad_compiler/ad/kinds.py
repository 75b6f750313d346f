"""What the transforms read of kinds: a value's shape, and whether it can have a
derivative at all (known ints and bools cannot)."""

from __future__ import annotations

from ..ir import Operand, Value
from ..ir.types import Array, Kind, ListKind, Scalar, SliceKind, TupleKind, kind_of


def shape_of(x: Operand) -> tuple | None:
    """The shape of a value or constant (() for a scalar), None where not known."""
    kind = x.kind if isinstance(x, Value) else kind_of(x.value)
    if isinstance(kind, Scalar):
        return ()
    if isinstance(kind, Array):
        return kind.shape
    return None


def differentiable(v: Value) -> bool:
    """Whether a value can have a tangent or an adjoint: not a known int or bool, nor a
    tuple of only those (an index `(i, 0)`), nor a list of only those (a reverse sweep's
    tape of loop indices)."""
    return _may_carry_floats(v.kind)


def _may_carry_floats(kind: Kind) -> bool:
    if isinstance(kind, TupleKind):
        return any(_may_carry_floats(k) for k in kind.items)
    if isinstance(kind, ListKind):
        return _may_carry_floats(kind.item)  # an empty list's entries are not known yet
    if isinstance(kind, SliceKind):
        return False
    return getattr(kind, "dtype", None) not in ("int", "bool")
