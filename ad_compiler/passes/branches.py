"""A branch whose test is a constant is the branch taken: `cond(True) {a} {b}` becomes the
ops of `a`, its results that region's yields. A branch whose two sides are empty and give
the same values is those values, whatever its test (a rule's `axis if axis < 0 else axis
+ batch` with `batch` 0).

Tests become constants where specialization answers them (`if np.ndim(w) == 0:` once `w`
is known to be a float): without this pass, emitted code kept `if True:` and the kinds
after the branch joined both sides' (so stayed unknown).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..ir import Const, Function, Op, Operand, Region, Value, is_absent
from ..ir.prims import raises


def _taken(op: Op) -> Region | None:
    """The region a `cond` with a constant test runs, if it completes normally."""
    if op.prim != "cond" or len(op.regions) != 2:
        return None
    if _alike(*op.regions):
        return op.regions[0]
    if not isinstance(op.inputs[0], Const):
        return None
    test = op.inputs[0].value
    if not isinstance(test, (bool, numbers.Number, np.bool_, np.number)) or isinstance(test, complex):
        return None
    region = op.regions[0] if test else op.regions[1]
    if region.args or raises(region) or any(is_absent(y) for y in region.yields):
        return None
    return region


def _alike(a: Region, b: Region) -> bool:
    """Two sides of a branch without ops that give the same values."""
    return not a.ops and not b.ops and not a.args and len(a.yields) == len(b.yields) and all(
        _same(x, y) for x, y in zip(a.yields, b.yields))


def _same(x: Operand, y: Operand) -> bool:
    if is_absent(x) or is_absent(y):
        return False
    if isinstance(x, Const) and isinstance(y, Const):
        return type(x.value) is type(y.value) and isinstance(x.value, (int, float, str, type(None))) \
            and x.value == y.value
    return x is y


def _splice(fn: Function, region: Region, subst: dict[Value, Operand]) -> bool:
    changed = False
    ops: list[Op] = []
    for op in region.ops:
        taken = _taken(op)
        if taken is None:
            ops.append(op)
            for sub in op.regions:
                changed |= _splice(fn, sub, subst)
            continue
        changed |= _splice(fn, taken, subst)
        ops.extend(taken.ops)
        for result, y in zip(op.results, taken.yields):
            subst[result] = y
            if isinstance(y, Value) and result in fn.derived_names and y not in fn.derived_names:
                fn.derived_names[y] = fn.derived_names[result]  # (`bw` stays `bw`)
        changed = True
    region.ops = ops
    return changed


def _resolve(x: Operand, subst: dict[Value, Operand]) -> Operand:
    while isinstance(x, Value) and x in subst:
        x = subst[x]
    return x


def _substitute(region: Region, subst: dict[Value, Operand]) -> None:
    for op in region.ops:
        op.inputs = [_resolve(x, subst) for x in op.inputs]
        for sub in op.regions:
            _substitute(sub, subst)
    region.yields = [_resolve(y, subst) for y in region.yields]


def run(fn: Function) -> bool:
    """Replace every branch with a constant test by the branch taken; True if any."""
    subst: dict[Value, Operand] = {}
    if not _splice(fn, fn.body, subst):
        return False
    _substitute(fn.body, subst)
    return True
