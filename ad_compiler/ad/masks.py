"""NaN-safe reverse sweeps: cotangents known to be zero where a condition does not hold.

`np.where(c, a, b)` hands `a` the cotangent `where(c, g, 0)`, zero where `c` is False.
If `a = np.sqrt(x)` and `x < 0` there, sqrt's rule multiplies that zero by
`0.5 / sqrt(x)`, a NaN: the branch that was not taken poisons the gradient (as in JAX
and autograd). So the reverse sweep remembers, for a cotangent, a *mask*: a condition
outside which it is exactly zero. A rule applied to a masked cotangent is masked again
(`np.where(c, g * d, 0.0)`) unless it computes from `g` and finite constants alone,
which cannot turn a zero into a NaN; the mask follows the cotangent to an operand while
it still describes each of the operand's elements. The derivative is then the
derivative of the branch that produced the value (docs/nan-safe.md).

Masks start where a cotangent is made by `np.where(c, g, 0.0)` or `np.where(c, 0.0, g)`:
the rules of `np.where` and of a boolean mask times a value (`(x > 0) * y`). An
elementwise rule reads a masked cotangent's unmasked operand, since it masks what it
computes anyway: `np.where(c, 1.0 / (2 * np.sqrt(x)), 0.0)`, as a person writes it, not
a `where` of a `where`. Nested choices (`np.where(c, a, np.where(d, b, e))`, `np.select`)
give a mask of several conditions, all of which must hold. A scalar is masked by a
conditional expression, which keeps it a float (`np.where` would make it a 0-d array).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..ir import Const, Loc, Op, Operand, Region, Value
from ..primitives import PRIMITIVES
from ..ir.types import Array, Kind, ListKind, Scalar, TupleKind


@dataclass(frozen=True)
class Term:
    """One condition of a mask: the cotangent is zero wherever `cond` is not `holds`."""

    cond: Operand
    holds: bool


Mask = tuple[Term, ...]
"""Conditions that must all hold where a cotangent is not zero."""


class Masking:
    """The masks known in one scope of a reverse sweep: of each masked cotangent, its
    mask and, where it was made by masking, what was masked (its *bare* value)."""

    def __init__(self) -> None:
        self.masks: dict[Operand, Mask] = {}
        self.bare: dict[Operand, Operand] = {}

    def incoming(self, g: Operand, elementwise: bool) -> tuple[Mask | None, Operand]:
        """The mask of `g` that an op's rule must keep (any mask, for an elementwise op;
        a scalar one, which says all of `g` is zero, for any op) and what the rule reads:
        for an elementwise op, `g`'s bare value, since its results are masked anyway."""
        mask = self.masks.get(g)
        if mask is None or not (elementwise or all(_is_scalar(t) for t in mask)):
            return None, g
        return mask, (self.bare.get(g, g) if elementwise else g)

    def outgoing(
        self, mask: Mask | None, g: Operand, read: Operand, ct: Operand, kind: Kind,
        rule_ops: list[Op], ops: list[Op], loc: Loc | None,
    ) -> tuple[Operand, Mask | None]:
        """A rule's cotangent `ct` (of `kind`, computed by `rule_ops` from `read`, which
        stands for `g`), masked where it must be, appended to `ops`, and its mask."""
        made = _origin(ct, rule_ops)
        if made is not None:  # the rule masked it: `np.where(c, g, 0.0)`
            term, inner = made
            own = (mask or ()) + (term,)
            if mask is None and self.masks.get(inner) is None:
                self.bare[ct] = inner
                self.masks[ct] = own
                return ct, own
            ct, own = inner, _merge(own, self.masks.get(inner, ()))
        elif mask is None or (read is g and _safe(ct, g, rule_ops)):
            if mask is not None:
                self.masks[ct] = mask
            return ct, mask
        elif isinstance(kind, (ListKind, TupleKind)):  # (np.where would make an array of it: left bare)
            return ct, None
        else:
            own = mask
        masked = _apply(own, ct, kind, ops, loc)  # the branch not taken adds no NaN
        self.bare[masked] = ct
        self.masks[masked] = own
        return masked, own

    def summed(self, mask: Mask, ct: Operand, reduced: Value, x: Value, ops: list[Op], loc: Loc | None) -> None:
        """`reduced`, `ct` summed to `x`'s shape, keeps `mask` (which covers `x`); its bare
        value is `ct`'s summed too (the mask is constant along the summed axes)."""
        self.masks[reduced] = mask
        if ct in self.bare:
            self.bare[reduced] = Value()
            ops.append(Op("unbroadcast", [self.bare[ct], x], [self.bare[reduced]], loc=loc))

    def added(self, total: Value, a: Operand, b: Operand) -> None:
        """`total = a + b` is zero where both are."""
        if a in self.masks and self.masks.get(a) == self.masks.get(b):
            self.masks[total] = self.masks[a]


def _merge(a: Mask, b: Mask) -> Mask:
    return a + tuple(t for t in b if t not in a)


def _zero(x: Operand) -> bool:
    return isinstance(x, Const) and type(x.value) in (int, float) and x.value == 0


def _origin(ct: Operand, ops: list[Op]) -> tuple[Term, Operand] | None:
    """The condition of a cotangent made, among `ops`, by `np.where` with a zero branch,
    and what it masks."""
    maker = next((op for op in reversed(ops) if ct in op.results), None)
    if maker is None or maker.prim != "np.where" or len(maker.inputs) != 3:
        return None
    cond, then, other = maker.inputs
    if _zero(other) and not _zero(then):
        return Term(cond, True), then
    if _zero(then) and not _zero(other):
        return Term(cond, False), other
    return None


def _shape(kind: Kind) -> tuple | None:
    if isinstance(kind, Scalar):
        return ()
    if isinstance(kind, Array):
        return () if kind.ndim == 0 else kind.shape
    return None


def _kind(x: Operand) -> Kind:
    return x.kind if isinstance(x, Value) else None


def _is_scalar(term: Term) -> bool:
    return isinstance(term.cond, Const) or _shape(_kind(term.cond)) == ()


def covers(mask: Mask, x: Value, makers: Callable[[], dict[Value, Op]]) -> bool:
    """Whether each condition of the mask describes each element of `x` (broadcasts to
    `x`'s shape without enlarging it): by the shapes where they are known, else when both
    have the shape of one value (`x > 0` and `np.sqrt(x)`; `makers` gives the primal's ops)."""
    return all(_covers(term, x, makers) for term in mask)


def _covers(term: Term, x: Value, makers: Callable[[], dict[Value, Op]]) -> bool:
    if _is_scalar(term):
        return True
    cond, shape = _shape(_kind(term.cond)), _shape(x.kind)
    if cond is not None and shape is not None:
        try:
            return np.broadcast_shapes(cond, shape) == shape
        except ValueError:
            return False
    return _same_shape_as(term.cond, makers()) is _same_shape_as(x, makers())


def _same_shape_as(x: Operand, makers: dict[Value, Op]) -> Operand:
    """The value whose shape `x` has by construction: up through elementwise ops whose
    array operands all have that shape (the others scalar constants)."""
    op = makers.get(x) if isinstance(x, Value) else None
    if op is None or op.regions or op.attrs:
        return x
    if not PRIMITIVES.get(op.prim).elementwise:
        return x
    arrays = [y for y in op.inputs if not (isinstance(y, Const) and np.ndim(y.value) == 0)]
    roots = {id(root): root for root in (_same_shape_as(y, makers) for y in arrays)}
    return next(iter(roots.values())) if len(roots) == 1 else x


def elementwise(prim: str) -> bool:
    """Whether a prim's cotangents are, element by element, those of its result: an
    elementwise prim's (whose rule may broadcast its operands). A rule that broadcasts
    operands of another prim (np.cross, np.einsum, np.inner of stacks) mixes elements."""
    if prim in INDEXED_WRITES:  # (the value written has `g[index]`: not `g`'s shape)
        return False
    return PRIMITIVES.get(prim).elementwise


INDEXED_WRITES = frozenset({"setitem", "add_at"})
"""Writes at an index: their rules broadcast the value written to `y[index]`, but its
cotangent is `g[index]`, not `g` element by element."""


def _safe(ct: Operand, g: Operand, ops: list[Op]) -> bool:
    """Whether `ct` is computed, among `ops`, from `g` and finite constants alone (a sign,
    a constant factor): zero where `g` is zero, with no mask."""
    makers = {r: op for op in ops for r in op.results}
    todo, seen = [ct], set()
    while todo:
        x = todo.pop()
        if isinstance(x, Const):
            if not (type(x.value) in (int, float) and math.isfinite(x.value)):
                return False
            continue
        if x is g or x in seen:
            continue
        seen.add(x)
        maker = makers.get(x)
        if maker is None or maker.regions:
            return False
        todo.extend(maker.inputs)
    return True


def _apply(mask: Mask, ct: Operand, kind: Kind, ops: list[Op], loc: Loc | None) -> Value:
    """`np.where(c, ct, 0.0)` for the conjunction `c` of the mask's conditions, appended
    to `ops`; for a scalar (`ct` of `kind`), `ct if c else 0.0`."""
    cond: Operand | None = None
    for term in mask:
        part = term.cond
        if not term.holds and len(mask) > 1:
            part = _emit(ops, "np.logical_not", [part], loc)
        cond = part if cond is None else _emit(ops, "np.logical_and", [cond, part], loc)
    holds = mask[0].holds if len(mask) == 1 else True
    branches = [ct, Const(0.0)] if holds else [Const(0.0), ct]
    if all(isinstance(_kind(t.cond), Scalar) for t in mask) and isinstance(kind, Scalar):
        regions = [Region(yields=[branch]) for branch in branches]
        return _emit(ops, "cond", [cond], loc, regions)
    return _emit(ops, "np.where", [cond, *branches], loc)


def _emit(ops: list[Op], prim: str, inputs: list[Operand], loc: Loc | None, regions: list[Region] | None = None) -> Value:
    result = Value()
    ops.append(Op(prim, inputs, [result], regions=regions or [], loc=loc))
    return result
