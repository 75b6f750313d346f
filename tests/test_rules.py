"""The rules of the operators, math functions, reductions, shapes, products, indexing,
joining and selection, checked against central differences in four modes (reverse,
forward, batched forward, second order: `tests/rules/checks.py`), and tests of their
conventions at ties and bounds. The families added since have their tables in
`tests/rules/`. A test fails if a prim with a rule is in no table, or if a prim has a VJP
rule but no JVP rule.
"""

from __future__ import annotations

import importlib
import math
import operator
from pathlib import Path

import numpy as np
import pytest

from ad_compiler import grad
from ad_compiler.ad.rules import RULES
from ad_compiler.errors import NoDerivativeError
from ad_compiler.primitives import fused
from ad_compiler.primitives import PRIMITIVES
from ad_compiler.runtime import add_at
from tests.numeric import numeric_grad
from tests.rules.checks import Spec, family_tests


def where_call(c, x, y):
    return np.where(c > 0.55, x, y)


def clip_call(lo, x, hi):
    return np.clip(x, lo - 0.2, hi + 0.1)  # with the table's draws: above, inside, below


def clip_keywords_call(x):
    return np.clip(x, min=0.4, max=0.7)


def sum_axis(x):
    return np.sum(x, axis=1)


def sum_axes_keepdims(x):
    return np.sum(x, axis=(0, 2), keepdims=True)


def var_axis_ddof(x):
    return np.var(x, axis=1, ddof=1)


def std_keepdims(x):
    return np.std(x, axis=0, keepdims=True)


def mean_axis(x):
    return np.mean(x, axis=0)


def mean_negative_axes(x):
    return np.mean(x, axis=(-1, 0))


def transpose_attribute(x):
    return x.T


def transpose_axes(x):
    return np.transpose(x, axes=(2, 0, 1))


def transpose_positional_axes(x):
    return np.transpose(x, (2, 0, 1))


def moveaxis_call(x):
    return np.moveaxis(x, 0, -1)


def moveaxis_tuples(x):
    return np.moveaxis(x, (0, 1), (2, 0))


def stack_call(x, y):
    return np.stack([x, y * 2.0], axis=1)


def stack_rows(x):
    return np.stack([v * v for v in x], axis=1)


def concatenate_rows(x):
    return np.concatenate([np.sin(v) for v in x])


def vstack_rows(x):
    return np.vstack([v * 2.0 for v in x])


def hstack_columns(x):
    return np.hstack([v[:, None] * v[0] for v in x])


def array_call(x, y):
    return np.array([x, y * x, [0.5, 1.5, 2.5]])


def concatenate_call(x, y):
    return np.concatenate((x, np.sin(y)), axis=-1)


def concatenate_flat(x, y):
    return np.concatenate([x, y], axis=None)


def vstack_call(x, y):
    return np.vstack([x, y])


def hstack_call(x, y):
    return np.hstack((x, y, x[0]))


def hstack_matrices(x, y):
    return np.hstack((x, y))


def swapaxes_call(x):
    return np.swapaxes(x, 0, -1)


def swapaxes_method(x):
    return x.swapaxes(2, 1)


def reshape_call(x):
    return np.reshape(x, shape=(3, 2))


def expand_dims_call(x):
    return np.expand_dims(x, axis=1)


def atleast_1d_scaled(x, y):
    return np.atleast_1d(x) * y


def broadcast_call(x):
    return np.broadcast_to(x, (2, 3))


def max_axis(x):
    return np.max(x, axis=1)


def amin_axis_keepdims(x):
    return np.amin(x, axis=0, keepdims=True)


def max_initial_rows(x):
    return np.max(x, axis=-1, initial=0.5)


def getitem_row(x):
    return x[1]


def getitem_slices(x):
    return x[1:, None, 0]


def getitem_ellipsis(x):
    return x[..., 1]


def getitem_loop(x):
    """A run-time index (the loop counter)."""
    s = 0.0
    for i in range(3):
        s = s + x[i] * x[2 - i]
    return s


def getitem_loop_rows(x):
    s = np.zeros(3)
    for i in range(2):
        s = s + x[i, :] * float(i + 1)
    return s


def getitem_loop_slices(x):
    s = np.zeros(2)
    for i in range(3):
        s = s + x[i:i + 2] * x[i]
    return s


def getitem_loop_ellipsis(x):
    s = np.zeros(2)
    for i in range(3):
        s = s + x[..., i] * float(i + 1)
    return s


def setitem_row(y, v):
    z = y * 1.0
    z[1] = v
    return z


def setitem_ellipsis(y, v):
    z = y * 1.0
    z[..., 0] = v
    return z


def setitem_loop(y, v):
    """Run-time indices: each row is the one written before it, times v."""
    z = y * 1.0
    for i in range(1, 3):
        z[i] = z[i - 1] * v
    return z


def setitem_scalar(y, v):
    z = y * 1.0
    z[0, 1] = v * v
    return z


REPEATS = np.array([2, 0, 0])
"""An index that selects position 0 twice."""


def getitem_repeats(x):
    return x[REPEATS]


def getitem_repeated_rows(x):
    return x[REPEATS, 1:]


def setitem_repeats(y, v):
    """y[0] keeps v[2], the last value written there: v[1] has no influence."""
    z = y * 1.0
    z[REPEATS] = v
    return z


def add_at_repeats(a, v):
    return add_at(a, REPEATS, v)


def add_at_rows(a, v):
    """A repeated row, v broadcast to each row selected."""
    return add_at(a, REPEATS, v)


def add_at_once(a, v):
    """An index that selects each position once: specialization writes it plainly."""
    return add_at(a, (REPEATS[:2], 1), v)


def mod_call(x, y):
    """Away from the jumps: (x + 3) / -(y + 2.2) lies in (-1.7, -1), where the floor
    (-2) and the truncation (-1) differ."""
    return (x + 3.0) % -(y + 2.2)


def remainder_call(x, y):
    return np.remainder(x + 3.0, -(y + 2.2))


def fmod_call(x, y):
    return np.fmod(x + 3.0, -(y + 2.2))


def math_fmod_call(x, y):
    return math.fmod(x + 3.0, -(y + 2.2))


SPECS = [
    *(Spec(f, 2) for f in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow)),
    *(Spec(f, 2) for f in (np.add, np.subtract, np.multiply, np.divide, np.power, np.logaddexp)),
    *(Spec(f, 2) for f in (np.arctan2, np.hypot)),
    Spec(operator.mod, 2, call=mod_call),
    Spec(np.remainder, 2, call=remainder_call),  # also np.mod
    Spec(np.fmod, 2, call=fmod_call),
    Spec(math.fmod, 2, call=math_fmod_call, scalar_only=True),
    Spec(np.multiply, 2, shapes=((2, 3), (3,))),  # broadcast: the tangents too
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
    Spec(np.maximum, 2, shapes=((2, 3), (3,))),
    *(Spec(f, 2, scalar_only=True) for f in (max, min)),
    Spec(abs, lo=-0.9, hi=-0.2, scalar_only=True),
    Spec(float, scalar_only=True),
    Spec(np.where, 3, call=where_call),
    Spec(np.where, 3, call=where_call, shapes=((2, 3), (2, 3), (3,))),
    Spec(np.clip, 3, call=clip_call),
    Spec(np.clip, call=clip_keywords_call, shapes=((2, 3),), known_shape=False, batched=False),
    *(Spec(f) for f in (np.max, np.amax, np.min, np.amin)),
    Spec(np.max, call=max_axis, shapes=((2, 3),)),
    Spec(np.amin, call=amin_axis_keepdims, shapes=((2, 3),)),
    Spec(np.max, call=max_initial_rows, shapes=((2, 3),)),
    # reductions and shapes (ad/rules/numpy.py)
    Spec(np.sum, shapes=((2, 3),)),
    Spec(np.sum, call=sum_axis, shapes=((2, 3),)),
    Spec(np.sum, call=sum_axes_keepdims, shapes=((2, 3, 2),)),
    Spec(np.mean, shapes=((2, 3),)),
    Spec(np.var, shapes=((2, 3),)),
    Spec(np.var, call=var_axis_ddof, shapes=((2, 3),)),
    Spec(np.std, shapes=((4,),)),
    Spec(np.std, call=std_keepdims, shapes=((3, 2),)),
    Spec(np.mean, call=mean_axis, shapes=((2, 3),)),
    Spec(np.mean, call=mean_negative_axes, shapes=((2, 3, 2),)),
    Spec("transpose", call=transpose_attribute, shapes=((2, 3),)),
    Spec("transpose", call=transpose_attribute, shapes=((2, 3, 2),)),
    Spec(np.transpose, shapes=((2, 3),)),
    Spec(np.transpose, call=transpose_axes, shapes=((2, 3, 2),), known_shape=False),
    Spec(np.transpose, call=transpose_positional_axes, shapes=((2, 3, 2),)),
    Spec(np.moveaxis, call=moveaxis_call, shapes=((2, 3),)),
    Spec(np.moveaxis, call=moveaxis_tuples, shapes=((2, 3, 4),)),
    Spec(np.swapaxes, call=swapaxes_call, shapes=((2, 3),)),
    Spec(np.array, shapes=((2, 3),)),
    Spec(np.asarray, shapes=((3,),)),
    Spec(np.copy, shapes=((3, 2),)),
    Spec(np.stack, 2, call=stack_call, shapes=((2, 3), (2, 3))),
    Spec(np.stack, 2, call=array_call, shapes=((3,), (3,))),
    Spec(np.concatenate, 2, call=concatenate_call, shapes=((2, 3), (2, 1))),
    Spec("np.stack*", call=stack_rows, shapes=((3, 2),), known_shape=False),
    Spec("np.concatenate*", call=concatenate_rows, shapes=((3, 2),), known_shape=False),
    Spec("np.vstack*", call=vstack_rows, shapes=((3, 2),), known_shape=False),
    Spec("np.hstack*", call=hstack_columns, shapes=((3, 2, 2),), known_shape=False),
    Spec(np.concatenate, 2, call=concatenate_flat, shapes=((2, 2), (3,))),
    Spec(np.vstack, 2, call=vstack_call, shapes=((3,), (2, 3))),
    Spec(np.hstack, 2, call=hstack_call, shapes=((2,), (3,))),
    Spec(np.hstack, 2, call=hstack_matrices, shapes=((2, 1), (2, 3))),
    Spec(np.swapaxes, call=swapaxes_method, shapes=((2, 3, 4),)),
    Spec(np.reshape, call=reshape_call, shapes=((2, 3),), known_shape=False),
    Spec(np.expand_dims, call=expand_dims_call, shapes=((2, 3),)),
    Spec(np.squeeze, shapes=((3, 1),)),
    Spec(np.ravel, shapes=((2, 3),)),
    Spec(np.atleast_1d, shapes=((),)),
    Spec(np.atleast_1d, 2, call=atleast_1d_scaled, shapes=((), (2,))),
    Spec(np.atleast_2d, shapes=((3,),)),
    Spec(np.broadcast_to, call=broadcast_call, shapes=((3,),)),
    Spec(np.broadcast_to, call=broadcast_call, shapes=((2, 1),)),
    # products: a rule per rank pair, and the general one for stacks of matrices
    Spec(operator.matmul, 2, shapes=((2, 3), (3, 2))),
    Spec(operator.matmul, 2, shapes=((2, 3), (3,))),
    Spec(operator.matmul, 2, shapes=((3,), (3, 2))),
    Spec(operator.matmul, 2, shapes=((3,), (3,))),
    Spec(np.matmul, 2, shapes=((2, 3), (3, 2))),
    Spec(np.matmul, 2, shapes=((2, 2, 3), (3, 2))),
    Spec(np.matmul, 2, shapes=((2, 3), (4, 3, 2))),
    Spec(np.matmul, 2, shapes=((3,), (2, 3, 2))),
    Spec(np.matmul, 2, shapes=((2, 2, 3), (3,))),
    Spec(np.matmul, 2, shapes=((2, 1, 2, 3), (3,))),
    Spec(np.matmul, 2, shapes=((3,), (2, 2, 3, 2))),
    Spec(np.dot, 2, shapes=((2, 3), (3,))),
    Spec(np.dot, 2, shapes=((3,), (3,))),
    Spec(np.outer, 2, shapes=((3,), (2,))),
    Spec(np.outer, 2, shapes=((2, 2), (3,))),
    # indexing (ad/rules/indexing.py)
    Spec("getitem", call=getitem_row, shapes=((2, 3),)),
    Spec("getitem", call=getitem_slices, shapes=((3, 2),)),
    Spec("getitem", call=getitem_ellipsis, shapes=((2, 3),)),
    Spec("getitem", call=getitem_loop, shapes=((3,),)),
    Spec("getitem", call=getitem_loop_rows, shapes=((2, 3),)),
    Spec("getitem", call=getitem_loop_slices, shapes=((4,),), known_shape=False, batched=False),
    Spec("getitem", call=getitem_loop_ellipsis, shapes=((2, 3),)),
    # (the setitem calls write into their argument: a gradient of one is not spliced into a function)
    Spec("setitem", 2, call=setitem_row, shapes=((3, 2), (2,)), smooth=False),
    Spec("setitem", 2, call=setitem_ellipsis, shapes=((2, 3), (2,)), smooth=False),
    Spec("setitem", 2, call=setitem_loop, shapes=((3, 2), (2,)), smooth=False),
    Spec("setitem", 2, call=setitem_scalar, shapes=((2, 3), ()), smooth=False),
    Spec("getitem", call=getitem_repeats, shapes=((3,),)),
    Spec("getitem", call=getitem_repeated_rows, shapes=((3, 3),)),
    Spec("setitem", 2, call=setitem_repeats, shapes=((4,), (3,)), smooth=False),
    Spec("add_at", 2, call=add_at_repeats, shapes=((3,), (3,))),
    Spec("add_at", 2, call=add_at_rows, shapes=((3, 2), (2,))),
    Spec("add_at", 2, call=add_at_once, shapes=((3, 2), (2,))),
    # the fused logistic functions (primitives/fused.py), called by their own names (the
    # fuzzer writes them as users spell them, tests/fuzz/expressions.py)
    Spec(fused.logistic, lo=-3.0, hi=3.0),
    Spec(fused.log_logistic, lo=-3.0, hi=3.0, shapes=((2, 3),)),
    Spec(fused.log1m_logistic, lo=-3.0, hi=3.0),
]


test_reverse, test_forward, test_batched, test_second_order = family_tests(SPECS)


def every_spec() -> list[Spec]:
    """The tables of every family: this module's and those of `tests/rules/test_*.py`."""
    found = list(SPECS)
    for path in sorted((Path(__file__).parent / "rules").glob("test_*.py")):
        found += importlib.import_module(f"tests.rules.{path.stem}").SPECS
    return found


def built_in(prims: list[str]) -> set[str]:
    """The prims among these whose rules the package defines (not a test's own)."""
    return {p for p in prims
            if all((r.fn.__module__ or "").startswith("ad_compiler.primitives") for r in PRIMITIVES.get(p).vjps)}


def test_every_rule_is_in_a_table() -> None:
    covered = {s.prim for s in every_spec()}
    assert sorted(built_in(RULES.prims()) - covered) == []
    assert sorted(built_in(RULES.jvp_prims()) - covered) == []


def test_every_prim_with_a_vjp_rule_has_a_jvp_rule() -> None:
    assert sorted(built_in(RULES.prims()) - set(RULES.jvp_prims())) == []



def mod_by_constant(x):
    return x % 1.0


def mod_of_constant(x):
    return 5.0 % x


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f", [mod_by_constant, mod_of_constant])
def test_mod_with_a_constant_operand(f, mode: str) -> None:
    """`x % 1.0` has slope 1 and `5.0 % x` slope -floor(5 / x) (was 0: `mod` had no
    derivative)."""
    for x in (0.3, 1.7, -0.4):  # away from the jumps
        assert grad(f, mode=mode)(x) == pytest.approx(numeric_grad(f, (x,), 0), rel=1e-6)


# ---- ties and selection (ad/rules/select.py), with JAX's conventions, in both modes ----

MODES = ("reverse", "forward")
"""`grad(mode="forward")` runs one batched forward pass (a plain one for one scalar): the
JVP rules must weigh the tangents at a tie as the VJP rules share the cotangent."""

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


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "f", [maximum_of, minimum_of, fmax_of, fmin_of, builtin_max_of, builtin_min_of],
    ids=lambda f: f.__name__,
)
def test_maximum_and_minimum_split_g_at_a_tie(f, mode: str) -> None:
    bx, by = grad(f, argnums=(0, 1), mode=mode)(0.4, 0.4)
    assert (bx, by) == (0.85, 0.85)
    assert isinstance(bx, float) and isinstance(by, float)
    bx, by = grad(f, argnums=(0, 1), mode=mode)(0.3, 0.4)
    assert sorted((bx, by)) == [0.0, 1.7]


def maximum_sum(x, y):
    return np.sum(np.maximum(x, y) * TIES)


@pytest.mark.parametrize("mode", MODES)
def test_maximum_ties_elementwise_and_broadcast(mode: str) -> None:
    x = np.array([0.5, 0.2, 0.9])
    bx, by = grad(maximum_sum, argnums=(0, 1), mode=mode)(x, np.array([0.5, 0.3, 0.1]))
    np.testing.assert_array_equal(bx, [0.5, 0.0, 3.0])
    np.testing.assert_array_equal(by, [0.5, 2.0, 0.0])
    bx, by = grad(maximum_sum, argnums=(0, 1), mode=mode)(x, 0.5)  # y broadcast: its cotangent summed
    np.testing.assert_array_equal(bx, [0.5, 0.0, 3.0])
    assert by == 0.5 + 2.0


def fmax_nan(x, y):
    return np.sum(np.fmax(x, y))


@pytest.mark.parametrize("mode", MODES)
def test_fmax_passes_g_to_the_number_beside_a_nan(mode: str) -> None:
    bx, by = grad(fmax_nan, argnums=(0, 1), mode=mode)(np.array([np.nan, 1.0]), np.array([2.0, np.nan]))
    np.testing.assert_array_equal(bx, [0.0, 1.0])
    np.testing.assert_array_equal(by, [1.0, 0.0])


def builtin_abs_of(x):
    return abs(x) * 1.7


def np_abs_of(x):
    return np.abs(x) * 1.7


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [builtin_abs_of, np_abs_of], ids=lambda f: f.__name__)
def test_abs_has_derivative_zero_at_zero(f, mode: str) -> None:
    assert grad(f, mode=mode)(0.0) == 0.0
    assert grad(f, mode=mode)(-0.5) == -1.7
    assert grad(f, mode=mode)(0.5) == 1.7


def integer_valued(x):
    return int(x) + round(x) + round(x, 1) + float(x) * 2.0


@pytest.mark.parametrize("mode", MODES)
def test_int_and_round_have_derivative_zero_and_float_one(mode: str) -> None:
    assert grad(integer_valued, mode=mode)(1.3) == 2.0


def where_sum(x, y):
    return np.sum(np.where(x > 0.5, x * x, y) * TIES)


@pytest.mark.parametrize("mode", MODES)
def test_where_selects_the_cotangent(mode: str) -> None:
    x = np.array([0.2, 0.7, 0.9])
    bx, by = grad(where_sum, argnums=(0, 1), mode=mode)(x, np.array([1.0, 1.0, 1.0]))
    np.testing.assert_allclose(bx, [0.0, 2 * 0.7 * 2.0, 2 * 0.9 * 3.0])
    np.testing.assert_array_equal(by, [1.0, 0.0, 0.0])
    bx, by = grad(where_sum, argnums=(0, 1), mode=mode)(x, 1.0)  # y broadcast: its cotangent summed
    assert by == 1.0


def clip_sum(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) * TIES)


@pytest.mark.parametrize("mode", MODES)
def test_clip_at_the_bounds_as_jax(mode: str) -> None:
    """jnp.clip is minimum(hi, maximum(lo, x)): at a bound x and the bound split g; at
    lo == hi == x, x gets a quarter, lo a quarter and hi half; lo > hi gives g to hi."""
    x = np.array([0.0, 0.5, 1.0])
    bx, blo, bhi = grad(clip_sum, argnums=(0, 1, 2), mode=mode)(x, 0.0, 1.0)
    np.testing.assert_array_equal(bx, [0.5, 2.0, 1.5])
    assert (blo, bhi) == (0.5, 1.5)
    x = np.array([-1.0, 0.5, 2.0])
    bx, blo, bhi = grad(clip_sum, argnums=(0, 1, 2), mode=mode)(x, 0.0, 1.0)
    np.testing.assert_array_equal(bx, [0.0, 2.0, 0.0])
    assert (blo, bhi) == (1.0, 3.0)
    bx, blo, bhi = grad(clip_sum, argnums=(0, 1, 2), mode=mode)(np.array([0.5, 0.5, 0.5]), 0.5, 0.5)
    np.testing.assert_array_equal(bx, [0.25, 0.5, 0.75])
    assert (blo, bhi) == (1.5, 3.0)
    bx, blo, bhi = grad(clip_sum, argnums=(0, 1, 2), mode=mode)(x, 1.0, 0.0)
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


@pytest.mark.parametrize("mode", MODES)
def test_clip_with_constant_none_and_keyword_bounds(mode: str) -> None:
    assert grad(clip_scalar, mode=mode)(0.0) == 0.85
    assert grad(clip_scalar, mode=mode)(0.5) == 1.7
    assert grad(clip_scalar, mode=mode)(1.5) == 0.0
    x = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(grad(clip_below, mode=mode)(x), [1.0, 2.0, 1.5])
    np.testing.assert_array_equal(grad(clip_above, mode=mode)(x), [0.0, 1.0, 3.0])
    np.testing.assert_array_equal(grad(clip_keywords, mode=mode)(np.array([0.0, 0.5, 2.0])), [0.5, 2.0, 0.0])


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


@pytest.mark.parametrize("mode", MODES)
def test_max_reductions_share_g_among_ties(mode: str) -> None:
    np.testing.assert_allclose(grad(max_all, mode=mode)(np.array([3.0, 1.0, 3.0])), [0.85, 0.0, 0.85])
    np.testing.assert_allclose(grad(min_all, mode=mode)(np.array([1.0, 1.0, 1.0])), [1.7 / 3] * 3)
    x = np.array([[1.0, 5.0, 5.0], [2.0, 0.0, 1.0]])
    np.testing.assert_array_equal(grad(max_rows, mode=mode)(x), [[0.0, 0.5, 0.5], [2.0, 0.0, 0.0]])
    np.testing.assert_array_equal(grad(amin_columns, mode=mode)(x), [[1.0, 0.0, 0.0], [0.0, 2.0, 3.0]])
    assert grad(max_all, mode=mode)(2.0) == 1.7


@pytest.mark.parametrize("mode", MODES)
def test_max_with_initial_as_maximum_of_reduction_and_initial(mode: str) -> None:
    np.testing.assert_array_equal(grad(max_initial, mode=mode)(np.array([3.0, 1.0])), [0.5, 0.0])
    np.testing.assert_array_equal(grad(max_initial, mode=mode)(np.array([4.0, 1.0])), [1.0, 0.0])
    np.testing.assert_array_equal(grad(max_initial, mode=mode)(np.array([2.0, 1.0])), [0.0, 0.0])


STACK_MASK = np.array([[[True, False], [False, True]], [[True, True], [False, False]]])
STACK_FACTOR = np.arange(4.0).reshape(2, 2) / 3


def masked_stack_product(x):
    return np.sum(np.where(STACK_MASK, x @ STACK_FACTOR, 0.0))


@pytest.mark.parametrize("mode", MODES)
def test_a_mask_on_a_product_of_stacks_is_not_taken_element_by_element(mode: str) -> None:
    """matmul's rule for stacks broadcasts the stack axes, but its cotangents are not its
    result's element by element: the mask of np.where must not be applied to them."""
    x = np.arange(8.0).reshape(2, 2, 2) / 5
    np.testing.assert_allclose(grad(masked_stack_product, mode=mode)(x), numeric_grad(masked_stack_product, (x,), 0),
                               rtol=1e-7, atol=1e-9)


def test_a_max_of_all_elements_counts_its_ties_without_default_arguments() -> None:
    g = grad(max_all)
    np.testing.assert_allclose(g(np.array([3.0, 1.0, 3.0])), [0.85, 0.0, 0.85])
    assert "np.sum(t" in g.source and "axis=None" not in g.source and "keepdims" not in g.source
