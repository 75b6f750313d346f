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
from ad_compiler.errors import NoDerivativeError
from ad_compiler.ir.prims import prim_of
from tests.numeric import numeric_grad


def where_call(c, x, y):
    return np.where(c > 0.55, x, y)


def clip_call(lo, x, hi):
    return np.clip(x, lo - 0.2, hi + 0.1)  # with the table's draws: above, inside, below


@dataclass(frozen=True)
class Spec:
    fn: Callable[..., Any]
    arity: int = 1
    lo: float = 0.2
    hi: float = 0.9
    scalar_only: bool = False
    call: Callable[..., Any] | None = None  # called in place of fn (np.where's condition)

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
    # selection (ad/rules/select.py): operands drawn independently never tie
    *(Spec(f, 2) for f in (np.maximum, np.minimum, np.fmax, np.fmin)),
    *(Spec(f, 2, scalar_only=True) for f in (max, min)),
    Spec(abs, lo=-0.9, hi=-0.2, scalar_only=True),
    Spec(float, scalar_only=True),
    Spec(np.where, 3, call=where_call),
    Spec(np.clip, 3, call=clip_call),
    *(Spec(f) for f in (np.max, np.amax, np.min, np.amin)),
]
STRUCTURAL = {  # prims tested elsewhere: reductions, products, shape ops (tests/corpus.py),
    "np.sum", "np.mean", "matmul", "np.matmul", "np.dot", "transpose", "np.transpose",
    "np.reshape", "np.expand_dims", "np.squeeze", "np.ravel", "np.atleast_1d",
    "np.atleast_2d", "np.broadcast_to", "np.outer",
    "getitem", "setitem",  # indexing (tests/test_indexing.py)
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


def ternary_array(f):
    def apply(x, y, z):
        return np.sum(f(x, y, z) * WEIGHTS)

    return apply


def ternary_scalar(f):
    def apply(x, y, z):
        return f(x, y, z) * 1.7

    return apply


APPLY = {
    (1, True): unary_scalar, (2, True): binary_scalar, (3, True): ternary_scalar,
    (1, False): unary_array, (2, False): binary_array, (3, False): ternary_array,
}


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
    f = APPLY[spec.arity, scalar](spec.call or spec.fn)
    args = _arguments(spec, scalar)
    argnums = tuple(range(spec.arity))
    result = grad(f, argnums=argnums)(*args)
    for i in argnums:
        expected = numeric_grad(f, args, i)
        np.testing.assert_allclose(result[i], expected, rtol=1e-6, atol=1e-9, err_msg=spec.id)


def test_every_rule_is_in_the_table() -> None:
    covered = {s.id for s in SPECS} | STRUCTURAL
    assert sorted(set(RULES.prims()) - covered) == []


# ---- ties and selection (ad/rules/select.py), with JAX's conventions ----

TIES = np.array([1.0, 2.0, 3.0])
TIES2 = np.array([1.0, 2.0])


def maximum_of(x, y):
    return np.maximum(x, y) * 1.7


def minimum_of(x, y):
    return np.minimum(x, y) * 1.7


def fmax_of(x, y):
    return np.fmax(x, y) * 1.7


def fmin_of(x, y):
    return np.fmin(x, y) * 1.7


def builtin_max_of(x, y):
    return max(x, y) * 1.7


def builtin_min_of(x, y):
    return min(x, y) * 1.7


@pytest.mark.parametrize(
    "f", [maximum_of, minimum_of, fmax_of, fmin_of, builtin_max_of, builtin_min_of],
    ids=lambda f: f.__name__,
)
def test_maximum_and_minimum_split_g_at_a_tie(f) -> None:
    bx, by = grad(f, argnums=(0, 1))(0.4, 0.4)
    assert (bx, by) == (0.85, 0.85)
    assert isinstance(bx, float) and isinstance(by, float)
    bx, by = grad(f, argnums=(0, 1))(0.3, 0.4)
    assert sorted((bx, by)) == [0.0, 1.7]


def maximum_sum(x, y):
    return np.sum(np.maximum(x, y) * TIES)


def test_maximum_ties_elementwise_and_broadcast() -> None:
    x = np.array([0.5, 0.2, 0.9])
    bx, by = grad(maximum_sum, argnums=(0, 1))(x, np.array([0.5, 0.3, 0.1]))
    np.testing.assert_array_equal(bx, [0.5, 0.0, 3.0])
    np.testing.assert_array_equal(by, [0.5, 2.0, 0.0])
    bx, by = grad(maximum_sum, argnums=(0, 1))(x, 0.5)  # y broadcast: its cotangent summed
    np.testing.assert_array_equal(bx, [0.5, 0.0, 3.0])
    assert by == 0.5 + 2.0


def fmax_nan(x, y):
    return np.sum(np.fmax(x, y))


def test_fmax_passes_g_to_the_number_beside_a_nan() -> None:
    bx, by = grad(fmax_nan, argnums=(0, 1))(np.array([np.nan, 1.0]), np.array([2.0, np.nan]))
    np.testing.assert_array_equal(bx, [0.0, 1.0])
    np.testing.assert_array_equal(by, [1.0, 0.0])


def builtin_abs_of(x):
    return abs(x) * 1.7


def np_abs_of(x):
    return np.abs(x) * 1.7


@pytest.mark.parametrize("f", [builtin_abs_of, np_abs_of], ids=lambda f: f.__name__)
def test_abs_has_derivative_zero_at_zero(f) -> None:
    assert grad(f)(0.0) == 0.0
    assert grad(f)(-0.5) == -1.7
    assert grad(f)(0.5) == 1.7


def integer_valued(x):
    return int(x) + round(x) + round(x, 1) + float(x) * 2.0


def test_int_and_round_have_derivative_zero_and_float_one() -> None:
    assert grad(integer_valued)(1.3) == 2.0


def where_sum(x, y):
    return np.sum(np.where(x > 0.5, x * x, y) * TIES)


def test_where_selects_the_cotangent() -> None:
    x = np.array([0.2, 0.7, 0.9])
    bx, by = grad(where_sum, argnums=(0, 1))(x, np.array([1.0, 1.0, 1.0]))
    np.testing.assert_allclose(bx, [0.0, 2 * 0.7 * 2.0, 2 * 0.9 * 3.0])
    np.testing.assert_array_equal(by, [1.0, 0.0, 0.0])
    bx, by = grad(where_sum, argnums=(0, 1))(x, 1.0)  # y broadcast: its cotangent summed
    assert by == 1.0


def clip_sum(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) * TIES)


def test_clip_at_the_bounds_as_jax() -> None:
    """jnp.clip is minimum(hi, maximum(lo, x)): at a bound x and the bound split g; at
    lo == hi == x, x gets a quarter, lo a quarter and hi half; lo > hi gives g to hi."""
    x = np.array([0.0, 0.5, 1.0])
    bx, blo, bhi = grad(clip_sum, argnums=(0, 1, 2))(x, 0.0, 1.0)
    np.testing.assert_array_equal(bx, [0.5, 2.0, 1.5])
    assert (blo, bhi) == (0.5, 1.5)
    x = np.array([-1.0, 0.5, 2.0])
    bx, blo, bhi = grad(clip_sum, argnums=(0, 1, 2))(x, 0.0, 1.0)
    np.testing.assert_array_equal(bx, [0.0, 2.0, 0.0])
    assert (blo, bhi) == (1.0, 3.0)
    bx, blo, bhi = grad(clip_sum, argnums=(0, 1, 2))(np.array([0.5, 0.5, 0.5]), 0.5, 0.5)
    np.testing.assert_array_equal(bx, [0.25, 0.5, 0.75])
    assert (blo, bhi) == (1.5, 3.0)
    bx, blo, bhi = grad(clip_sum, argnums=(0, 1, 2))(x, 1.0, 0.0)
    np.testing.assert_array_equal(bx, [0.0, 0.0, 0.0])
    assert (blo, bhi) == (0.0, 6.0)


def clip_scalar(x):
    return np.clip(x, 0.0, 1.0) * 1.7


def clip_below(x):
    return np.sum(np.clip(x, None, 1.0) * TIES)


def clip_above(x):
    return np.sum(np.clip(x, 0.0, None) * TIES)


def clip_keywords(x):
    return np.sum(np.clip(x, min=0.0, max=1.0) * TIES)


def clip_mixed(x, lo):
    return np.sum(np.clip(x, lo, max=1.0))


def test_clip_with_constant_none_and_keyword_bounds() -> None:
    assert grad(clip_scalar)(0.0) == 0.85
    assert grad(clip_scalar)(0.5) == 1.7
    assert grad(clip_scalar)(1.5) == 0.0
    x = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(grad(clip_below)(x), [1.0, 2.0, 1.5])
    np.testing.assert_array_equal(grad(clip_above)(x), [0.0, 1.0, 3.0])
    np.testing.assert_array_equal(grad(clip_keywords)(np.array([0.0, 0.5, 2.0])), [0.5, 2.0, 0.0])


def test_clip_with_a_bound_by_position_and_one_by_keyword_is_refused() -> None:
    with pytest.raises(NoDerivativeError, match="np.clip"):
        grad(clip_mixed, argnums=(0, 1))(np.array([0.5]), 0.0)


def max_all(x):
    return np.max(x) * 1.7


def min_all(x):
    return x.min() * 1.7


def max_rows(x):
    return np.sum(np.max(x, axis=1) * TIES2)


def amin_columns(x):
    return np.sum(np.amin(x, axis=0, keepdims=True) * TIES)


def max_initial(x):
    return np.max(x, initial=3.0)


def test_max_reductions_share_g_among_ties() -> None:
    np.testing.assert_allclose(grad(max_all)(np.array([3.0, 1.0, 3.0])), [0.85, 0.0, 0.85])
    np.testing.assert_allclose(grad(min_all)(np.array([1.0, 1.0, 1.0])), [1.7 / 3] * 3)
    x = np.array([[1.0, 5.0, 5.0], [2.0, 0.0, 1.0]])
    np.testing.assert_array_equal(grad(max_rows)(x), [[0.0, 0.5, 0.5], [2.0, 0.0, 0.0]])
    np.testing.assert_array_equal(grad(amin_columns)(x), [[1.0, 0.0, 0.0], [0.0, 2.0, 3.0]])
    assert grad(max_all)(2.0) == 1.7


def test_max_with_initial_as_maximum_of_reduction_and_initial() -> None:
    np.testing.assert_array_equal(grad(max_initial)(np.array([3.0, 1.0])), [0.5, 0.0])
    np.testing.assert_array_equal(grad(max_initial)(np.array([4.0, 1.0])), [1.0, 0.0])
    np.testing.assert_array_equal(grad(max_initial)(np.array([2.0, 1.0])), [0.0, 0.0])
