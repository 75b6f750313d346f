"""Every registered derivative rule, checked against central differences.

One table, one generic test (in the manner of JAX's grad test specs): each entry names a
callable, how many operands it takes and the interval its operands are drawn from. The
callable is reached through a closure, which the frontend resolves at compile time, so one
small function per arity exercises every prim. A test also fails if a prim with a rule is
missing from the table.
"""

from __future__ import annotations

import math
import operator
import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

from ad_compiler import grad
from ad_compiler.ad.rules import RULES
from ad_compiler.ir.prims import prim_of
from tests.numeric import numeric_grad


@dataclass(frozen=True)
class Spec:
    fn: Callable[..., Any]
    arity: int = 1
    lo: float = 0.2
    hi: float = 0.9
    scalar_only: bool = False

    @property
    def id(self) -> str:
        return prim_of(self.fn)


SPECS = [
    *(Spec(f, 2) for f in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow)),
    *(Spec(f, 2) for f in (np.add, np.subtract, np.multiply, np.divide, np.power, np.logaddexp)),
    *(Spec(f, 2) for f in (np.arctan2, np.hypot)),
    Spec(math.pow, 2, scalar_only=True),
    Spec(math.atan2, 2, scalar_only=True),
    Spec(math.hypot, 2, scalar_only=True),
    *(Spec(f) for f in (operator.neg, operator.pos, np.negative, np.positive, np.square, np.reciprocal)),
    *(Spec(f) for f in (np.sin, np.cos, np.tan, np.exp, np.expm1, np.log, np.log1p, np.log2, np.log10)),
    *(Spec(f) for f in (np.sqrt, np.tanh, np.sinh, np.cosh, np.arctan, np.arcsin, np.arccos)),
    *(Spec(f) for f in (np.arcsinh, np.arctanh, np.abs, np.fabs, np.degrees, np.radians, np.exp2, np.cbrt)),
    Spec(np.arccosh, lo=1.2, hi=2.0),
    *(Spec(f, scalar_only=True) for f in (math.sin, math.cos, math.tan, math.exp, math.expm1, math.log)),
    *(Spec(f, scalar_only=True) for f in (math.log1p, math.log2, math.log10, math.sqrt, math.tanh)),
    *(Spec(f, scalar_only=True) for f in (math.sinh, math.cosh, math.atan, math.asin, math.acos)),
    *(Spec(f, scalar_only=True) for f in (math.asinh, math.atanh, math.fabs, math.degrees, math.radians)),
    *(Spec(f, scalar_only=True) for f in (math.erf, math.erfc)),
    *(Spec(getattr(math, f), scalar_only=True) for f in ("exp2", "cbrt") if hasattr(math, f)),
    Spec(math.acosh, lo=1.2, hi=2.0, scalar_only=True),
]
STRUCTURAL = {  # prims tested elsewhere: reductions, products, shape ops (tests/corpus.py)
    "np.sum", "np.mean", "matmul", "np.matmul", "np.dot", "transpose", "np.transpose",
    "np.reshape", "np.expand_dims", "np.squeeze", "np.ravel", "np.atleast_1d",
    "np.atleast_2d", "np.broadcast_to", "np.outer",
}

WEIGHTS = np.array([0.7, -1.3, 2.1])


def unary_array(f):
    def apply(x):
        return np.sum(f(x) * WEIGHTS)

    return apply


def binary_array(f):
    def apply(x, y):
        return np.sum(f(x, y) * WEIGHTS)

    return apply


def unary_scalar(f):
    def apply(x):
        return f(x) * 1.7

    return apply


def binary_scalar(f):
    def apply(x, y):
        return f(x, y) * 1.7

    return apply


def _arguments(spec: Spec, scalar: bool) -> tuple:
    rng = np.random.default_rng(zlib.crc32(spec.id.encode()))
    draw = (lambda: float(rng.uniform(spec.lo, spec.hi))) if scalar else (
        lambda: rng.uniform(spec.lo, spec.hi, size=3)
    )
    return tuple(draw() for _ in range(spec.arity))


CASES = [(spec, scalar) for spec in SPECS for scalar in ((True,) if spec.scalar_only else (True, False))]


@pytest.mark.parametrize(
    "spec, scalar", CASES, ids=[f"{s.id}-{'scalar' if k else 'array'}" for s, k in CASES]
)
def test_rule_matches_central_differences(spec: Spec, scalar: bool) -> None:
    if scalar:
        f = (unary_scalar if spec.arity == 1 else binary_scalar)(spec.fn)
    else:
        f = (unary_array if spec.arity == 1 else binary_array)(spec.fn)
    args = _arguments(spec, scalar)
    argnums = tuple(range(spec.arity))
    result = grad(f, argnums=argnums)(*args)
    for i in argnums:
        expected = numeric_grad(f, args, i)
        np.testing.assert_allclose(result[i], expected, rtol=1e-6, atol=1e-9, err_msg=spec.id)


def test_every_rule_is_in_the_table() -> None:
    covered = {s.id for s in SPECS} | STRUCTURAL
    assert sorted(set(RULES.prims()) - covered) == []
