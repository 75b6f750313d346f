"""Terms of a derivative that cancel, cancelled: `(1 - y) * p + y * (p - 1)` is `p - y`.

Rules are written one primitive at a time, so the adjoint of a sum of terms is the sum of
each term's adjoint, and what cancels between them (`y * p` above, from the two log
terms of a cross-entropy) is computed and then subtracted. Here an expression of `+`, `-`,
`*` and numbers is expanded into its monomials and written again where that takes fewer
operations, which happens only where monomials cancel or merge.

Only values the derivative alone reads are rewritten: never the function's own values
(the result, what decides a branch, an index, a count), which are computed as the source
computes them. Derivatives change in rounding only, as they do between two association
orders of the same sum; cancelled terms are exact.
"""

from __future__ import annotations

import numbers
from typing import Iterable

from ..ir import Const, Function, Op, Operand, Region, Value, walk_ops
from ..ir.prims import LOOP_HEAD
from ..ir.types import Array, Scalar
from .infer import kind_of_operand
from ..primitives.kinds import broadcast
from .rewrite import count_uses

_TERMS = 16
"""The most monomials an expansion may have (beyond, the operand is taken as it is)."""

Monomial = tuple[int, ...]
"""The atoms multiplied, by index, sorted."""
Polynomial = dict[Monomial, float]

_ARITHMETIC = ("add", "sub", "mul", "neg")


def _float(x: Operand) -> bool:
    kind = kind_of_operand(x)
    return isinstance(kind, (Scalar, Array)) and kind.dtype == "float"


def _number(x: Operand) -> bool:
    return isinstance(x, Const) and isinstance(x.value, numbers.Real) and not isinstance(x.value, bool)


def _product(a: Polynomial, b: Polynomial) -> Polynomial:
    out: Polynomial = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            m = tuple(sorted(ma + mb))
            out[m] = out.get(m, 0) + ca * cb
    return out


def _sum(a: Polynomial, b: Polynomial, sign: float) -> Polynomial:
    out = dict(a)
    for m, c in b.items():
        out[m] = out.get(m, 0) + sign * c
    return out


class _Expansion:
    """Expansions over one function: `atoms` are the operands taken as they are."""

    def __init__(self, producers: dict[Value, Op], uses: dict[Value, int]) -> None:
        self.producers, self.uses = producers, uses
        self.atoms: list[Operand] = []

    def atom(self, x: Operand) -> Polynomial:
        index = next((i for i, a in enumerate(self.atoms) if a is x), None)
        if index is None:
            index = len(self.atoms)
            self.atoms.append(x)
        return {(index,): 1}

    def of(self, x: Operand) -> Polynomial:
        if _number(x):
            return {(): x.value}
        op = self.producers.get(x) if isinstance(x, Value) else None
        if op is None or op.prim not in _ARITHMETIC or op.attrs or not _float(x):
            return self.atom(x)
        parts = [self.of(y) for y in op.inputs]
        if op.prim == "neg":
            out = {m: -c for m, c in parts[0].items()}
        elif op.prim == "mul":
            out = _product(*parts)
        else:
            out = _sum(parts[0], parts[1], 1 if op.prim == "add" else -1)
        out = {m: c for m, c in out.items() if c != 0}
        return out if 0 < len(out) <= _TERMS else self.atom(x)

    def freed(self, x: Operand, root: bool = False) -> int:
        """The operations computing `x` that its one reader rewritten leaves dead."""
        op = self.producers.get(x) if isinstance(x, Value) else None
        if op is None or op.prim not in _ARITHMETIC or op.attrs or not (root or self.uses.get(x, 0) == 1):
            return 0
        return 1 + sum(self.freed(y) for y in op.inputs)


def _cost(poly: Polynomial) -> int:
    """Operations to compute `poly` as `_written` writes it."""
    scale = _common(poly)
    terms = [(m, c / scale) for m, c in poly.items()]
    ops = len(terms) - 1 + (scale != 1)
    for m, c in terms:
        ops += max(len(m) - 1, 0) + (abs(c) != 1 and len(m) > 0)
    if all(c < 0 for _, c in terms):
        ops += 1
    return ops


def _common(poly: Polynomial) -> float:
    """The magnitude every coefficient shares, factored out (1 if they differ)."""
    sizes = {abs(c) for c in poly.values()}
    return sizes.pop() if len(sizes) == 1 else 1


class _Writer:
    def __init__(self, atoms: list[Operand], like: Op) -> None:
        self.atoms, self.like, self.ops = atoms, like, []

    def new(self, prim: str, inputs: list[Operand]) -> Value:
        made = Value()
        self.ops.append(Op(prim, inputs, [made], loc=self.like.loc))
        return made

    def term(self, m: Monomial, c: float) -> Operand:
        """|c| times the atoms of `m`."""
        if not m:
            return Const(abs(c))
        out: Operand = self.atoms[m[0]]
        for i in m[1:]:
            out = self.new("mul", [out, self.atoms[i]])
        return out if abs(c) == 1 else self.new("mul", [Const(abs(c)), out])

    def written(self, poly: Polynomial) -> Operand:
        scale = _common(poly)
        terms = [(m, c / scale) for m, c in poly.items()]
        terms.sort(key=lambda t: t[1] < 0)  # (stable: a positive term first, where there is one)
        first_m, first_c = terms[0]
        out = self.term(first_m, first_c)
        if first_c < 0:
            out = self.new("neg", [out])
        for m, c in terms[1:]:
            out = self.new("add" if c > 0 else "sub", [out, self.term(m, c)])
        return out if scale == 1 else self.new("mul", [Const(scale), out])


def decisive(fn: Function) -> set[Value]:
    """The values the function's decisions read, and everything they are computed from:
    the operands of what gives an int or a bool (a comparison, an index, a count, a cast)
    or a value of unknown kind, of effects, the test of a branch and the bounds or the
    sequence of a loop (a loop result read there: all that computes it)."""
    seeds: list[Operand] = []
    producers: dict[Value, Op] = {}
    for op in walk_ops(fn.body):
        for r in op.results:
            producers[r] = op
        if op.prim in LOOP_HEAD:
            seeds.extend(op.inputs[:LOOP_HEAD[op.prim]])
        elif op.prim == "cond":
            seeds.append(op.inputs[0])
        elif not op.results or any(_deciding(r) for r in op.results):
            seeds.extend(op.inputs)
    found: set[Value] = set()
    while seeds:
        x = seeds.pop()
        if isinstance(x, Value) and x not in found:
            found.add(x)
            op = producers.get(x)
            if op is not None:
                seeds.extend(op.inputs)
                seeds.extend(y for region in op.regions for y in region.yields)
    return found


def _deciding(x: Value) -> bool:
    """An int or a bool, or a value of unknown kind."""
    kind = x.kind
    if isinstance(kind, (Scalar, Array)):
        return kind.dtype in ("int", "bool")
    return kind is None


def _region(region: Region, kept: set[Value], expansion: _Expansion) -> bool:
    changed = False
    ops: list[Op] = []
    for op in region.ops:
        for sub in op.regions:
            changed |= _region(sub, kept, expansion)
        written = _rewritten(op, kept, expansion)
        if written is None:
            ops.append(op)
            continue
        new_ops, _ = written
        new_ops[-1].results = [op.result]
        ops.extend(new_ops)
        expansion.producers[op.result] = new_ops[-1]
        changed = True
    region.ops = ops
    return changed


def _rewritten(op: Op, kept: set[Value], expansion: _Expansion) -> tuple[list[Op], Value] | None:
    """The operations computing `op`'s result with its terms cancelled, where fewer."""
    if op.prim not in _ARITHMETIC or op.attrs or op.result in kept or not _float(op.result):
        return None
    expansion.atoms = []
    poly = expansion.of(op.result)
    if list(poly) == [(0,)] or not poly:
        return None
    atoms = [expansion.atoms[i] for m in poly for i in m]
    if not atoms or broadcast([kind_of_operand(a) for a in atoms]) != op.result.kind:
        return None
    if _cost(poly) >= expansion.freed(op.result, root=True):
        return None
    writer = _Writer(expansion.atoms, op)
    if isinstance(writer.written(poly), Value) and writer.ops:
        return writer.ops, op.result
    return None


def run(fn: Function, own: Iterable[Value]) -> bool:
    """Cancel terms in the values of `fn` that only its derivatives read: not in `own`
    (the values of the function differentiated) and deciding nothing."""
    producers = {r: op for op in walk_ops(fn.body) for r in op.results}
    kept = set(own) | decisive(fn)
    return _region(fn.body, kept, _Expansion(producers, count_uses(fn)))
