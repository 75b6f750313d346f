"""The rules of NumPy's elementwise functions and the `math` functions of
`primitives/ufuncs.py`, in four modes against central differences
(`tests/rules/checks.py`), and their conventions: sinc at 0, copysign's signs, nextafter's
slope, nan_to_num's replaced entries, math.dist at a coincidence, the functions without
a derivative and the refused ones (tuple results).
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from ad_compiler import grad, hessian, jacfwd, jvp
from ad_compiler.errors import NoDerivativeError
from tests.numeric import numeric_grad
from tests.rules.checks import Spec, family_tests

EXPONENTS = np.array([1, -2, 3])


def copysign_call(x, y):
    """Both signs vary over the draws: x - 0.55 and y - 0.55 lie in (-0.35, 0.35)."""
    return np.copysign(x - 0.55, y - 0.55)


def math_copysign_call(x, y):
    return math.copysign(x - 0.55, y - 0.55)


def ldexp_call(x):
    return np.ldexp(x, EXPONENTS)


def ldexp_scalar(x):
    return np.ldexp(x, -3)


def math_ldexp_call(x):
    return math.ldexp(x, 5)


def remainder_call(x, y):
    """Away from the jumps: (x + 2) / (y + 2) lies in (0.75, 1.35), where the nearest
    integer is 1."""
    return math.remainder(x + 2.0, y + 2.0)


def sinc_both_sides(x):
    return np.sinc(2.0 * x - 0.9)


def nan_to_num_keywords(x):
    return np.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-2.0)


SPECS = [
    Spec(np.logaddexp2, 2),
    Spec(np.logaddexp2, 2, shapes=((2, 3), (3,))),
    Spec(np.logaddexp2, 2, shapes=((), (2, 3))),
    Spec(np.float_power, 2),
    Spec(np.float_power, 2, shapes=((3,), (2, 1))),
    Spec(np.rad2deg),
    Spec(np.rad2deg, shapes=((2, 3),)),
    Spec(np.deg2rad),
    Spec(np.deg2rad, shapes=((3, 2),)),
    Spec(np.copysign, 2, call=copysign_call),
    Spec(np.copysign, 2, call=copysign_call, shapes=((2, 3), (3,))),
    Spec(np.nextafter, 2),
    Spec(np.nextafter, 2, shapes=((2, 3), ())),
    Spec(np.ldexp, call=ldexp_call, shapes=((3,),)),
    Spec(np.ldexp, call=ldexp_call, shapes=((2, 3),)),
    Spec(np.ldexp, call=ldexp_scalar),
    Spec(np.sinc, lo=-0.9, hi=0.9),
    Spec(np.sinc, call=sinc_both_sides, shapes=((2, 3),)),
    Spec(np.nan_to_num),
    Spec(np.nan_to_num, call=nan_to_num_keywords, shapes=((2, 3),)),
    Spec(math.copysign, 2, call=math_copysign_call, scalar_only=True),
    Spec(math.nextafter, 2, scalar_only=True),
    Spec(math.ldexp, call=math_ldexp_call, scalar_only=True),
    Spec(math.remainder, 2, call=remainder_call, scalar_only=True),
    Spec(math.dist, 2, shapes=((3,), (3,))),
    Spec(math.dist, 2, shapes=((2,), (2,))),
]


test_reverse, test_forward, test_batched, test_second_order = family_tests(SPECS)

MODES = ("reverse", "forward")


# --- sinc at 0 ---------------------------------------------------------------------------


def sinc_of(x):
    return np.sinc(x) * 1.7


def sinc_sum(x):
    return np.sum(np.sinc(x))


@pytest.mark.parametrize("mode", MODES)
def test_sinc_at_zero_has_slope_zero_and_its_curvature(mode: str) -> None:
    """sinc(x) = 1 - pi^2 x^2 / 6 + pi^4 x^4 / 120 - ...: slope 0, second derivative
    -pi^2 / 3 and third 0 at 0, as JAX's Maclaurin rule gives them (JAX gives NaN from
    the closed form, ad_compiler picks the Taylor branch at x == 0)."""
    assert grad(sinc_of, mode=mode)(0.0) == 0.0
    np.testing.assert_array_equal(grad(sinc_sum, mode=mode)(np.array([0.0, 0.5, -1.0]))[0], 0.0)
    assert hessian(sinc_of)(0.0) == pytest.approx(-1.7 * math.pi ** 2 / 3, rel=1e-12)
    assert grad(grad(grad(sinc_of)))(0.0) == 0.0
    # beside 0, the closed form, against central differences of the second derivative
    h = hessian(sinc_of)
    assert h(1e-3) == pytest.approx(numeric_grad(grad(sinc_of), (1e-3,), 0), rel=1e-6)


def test_sinc_at_zero_warns_nothing() -> None:
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(grad(sinc_sum)(np.zeros(3)), np.zeros(3))


# --- copysign, nextafter, ldexp ------------------------------------------------------------


def copysign_sum(x, y):
    return np.sum(np.copysign(x, y) * np.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("mode", MODES)
def test_copysign_slope_is_the_product_of_signs_and_zero_at_zero(mode: str) -> None:
    x = np.array([0.5, -0.5, 0.0])
    y = np.array([-2.0, -2.0, 3.0])
    bx, by = grad(copysign_sum, argnums=(0, 1), mode=mode)(x, y)
    np.testing.assert_array_equal(bx, [-1.0, 2.0, 0.0])
    np.testing.assert_array_equal(by, [0.0, 0.0, 0.0])
    bx, by = grad(copysign_sum, argnums=(0, 1), mode=mode)(x, -0.0)  # the sign of -0.0 counts
    np.testing.assert_array_equal(bx, [-1.0, 2.0, 0.0])
    assert by == 0.0


def nextafter_of(x, y):
    return np.nextafter(x, y) * 1.7


@pytest.mark.parametrize("mode", MODES)
def test_nextafter_moves_x_by_an_ulp_so_its_slope_is_one(mode: str) -> None:
    for x, y in ((0.3, 1.0), (0.3, -1.0), (0.3, 0.3)):
        bx, by = grad(nextafter_of, argnums=(0, 1), mode=mode)(x, y)
        assert (bx, by) == (1.7, 0.0)
        assert bx == pytest.approx(numeric_grad(nextafter_of, (x, y), 0), rel=1e-9)


def ldexp_sum(x):
    return np.sum(np.ldexp(x, EXPONENTS))


def test_ldexp_cotangent_is_exact() -> None:
    np.testing.assert_array_equal(grad(ldexp_sum)(np.array([0.1, 0.2, 0.3])), [2.0, 0.25, 8.0])
    assert "np.ldexp(1.0, EXPONENTS)" in grad(ldexp_sum).source


# --- nan_to_num -------------------------------------------------------------------------


def nan_to_num_sum(x):
    return np.sum(np.nan_to_num(x, nan=5.0) * np.array([1.0, 2.0, 3.0, 4.0]))


@pytest.mark.parametrize("mode", MODES)
def test_nan_to_num_passes_g_where_finite_and_zero_where_replaced(mode: str) -> None:
    x = np.array([0.5, np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(grad(nan_to_num_sum, mode=mode)(x), [1.0, 0.0, 0.0, 0.0])


def nan_to_num_in_place(x):
    return np.sum(np.nan_to_num(x * 2.0, copy=False))


@pytest.mark.parametrize("mode", MODES)
def test_nan_to_num_in_place_is_refused(mode: str) -> None:
    with pytest.raises(NoDerivativeError, match="copy=False"):
        grad(nan_to_num_in_place, mode=mode)(np.array([0.5, 1.0]))


def test_nan_to_num_tangent_is_zero_where_replaced() -> None:
    x = np.array([0.5, np.nan, -2.0])
    out, tangent = jvp(np.nan_to_num, (x,), (np.array([1.0, 1.0, 1.0]),))
    np.testing.assert_array_equal(tangent, [1.0, 0.0, 1.0])


# --- math ---------------------------------------------------------------------------------


def dist_of(p, q):
    return math.dist(p, q) * 1.7


@pytest.mark.parametrize("mode", MODES)
def test_dist_at_a_coincidence_is_zero(mode: str) -> None:
    p = np.array([0.5, -1.0])
    bp, bq = grad(dist_of, argnums=(0, 1), mode=mode)(p, p.copy())
    np.testing.assert_array_equal(bp, [0.0, 0.0])
    np.testing.assert_array_equal(bq, [0.0, 0.0])
    bp, bq = grad(dist_of, argnums=(0, 1), mode=mode)(p, np.array([3.5, 3.0]))
    np.testing.assert_allclose(bp, [-0.6 * 1.7, -0.8 * 1.7])
    np.testing.assert_allclose(bq, [0.6 * 1.7, 0.8 * 1.7])


def dist_of_tuples(x, y):
    return math.dist((x, 2.0 * y), (y, x))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_dist_of_tuples(mode: str) -> None:
    """Under a batch of directions a tuple's tangents are laid out item by item (each with
    the directions), not as a vector's: the forward rule of tuples sums over the items."""
    args = (0.3, 0.5)
    got = grad(dist_of_tuples, argnums=(0, 1), mode=mode)(*args)
    for i in (0, 1):
        assert got[i] == pytest.approx(numeric_grad(dist_of_tuples, args, i), rel=1e-7)
    assert jacfwd(dist_of_tuples)(*args) == pytest.approx(numeric_grad(dist_of_tuples, args, 0), rel=1e-7)


def remainder_of(x):
    return math.remainder(x, 0.75) * 1.7


@pytest.mark.parametrize("mode", MODES)
def test_math_remainder_slope_of_the_divisor_is_minus_the_quotient(mode: str) -> None:
    """remainder(x, y) = x - n y with n = round(x / y): here n = 3 (2.4 / 0.75 = 3.2)."""
    def in_y(y):
        return math.remainder(2.4, y)

    assert grad(remainder_of, mode=mode)(2.4) == pytest.approx(1.7)
    assert grad(in_y, mode=mode)(0.75) == pytest.approx(-3.0)


# --- no derivative, and refused -------------------------------------------------------------


def piecewise_constant(x):
    return np.sum(x * 2.0 + np.spacing(x) + np.around(x, 1) + np.isposinf(x) + np.isneginf(x))


N = np.array([6, 5, 3])


def integers(x):
    return np.sum(x * (np.gcd(N, 4) + np.lcm(N, 2) + np.bitwise_and(N, 1) + np.left_shift(N, 1)))


def math_piecewise_constant(x):
    return x * 2.0 + math.ulp(x) + math.isnan(x) + math.isclose(x, 0.5) + math.factorial(3)


@pytest.mark.parametrize("mode", MODES)
def test_piecewise_constant_functions_pass_no_derivative(mode: str) -> None:
    np.testing.assert_array_equal(grad(piecewise_constant, mode=mode)(np.array([0.25, 1.5])), [2.0, 2.0])
    factors = [2 + 6 + 0 + 12, 1 + 10 + 1 + 10, 1 + 6 + 1 + 6]  # gcd, lcm, and, shift of 6, 5, 3
    np.testing.assert_array_equal(grad(integers, mode=mode)(np.zeros(3)), factors)
    assert grad(math_piecewise_constant, mode=mode)(0.3) == 2.0


def divmod_remainder(x):
    q, r = np.divmod(x, 0.7)
    return r


def modf_fraction(x):
    fraction, whole = np.modf(x)
    return fraction


def frexp_mantissa(x):
    mantissa, exponent = np.frexp(x)
    return mantissa


def math_modf_fraction(x):
    return math.modf(x)[0]


def math_frexp_mantissa(x):
    return math.frexp(x)[0]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, prim", [
    (divmod_remainder, "np.divmod"), (modf_fraction, "np.modf"), (frexp_mantissa, "np.frexp"),
    (math_modf_fraction, "math.modf"), (math_frexp_mantissa, "math.frexp"),
], ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_functions_with_a_tuple_result_are_refused(f, prim: str, mode: str) -> None:
    with pytest.raises(NoDerivativeError, match=prim):
        grad(f, mode=mode)(1.3)


NEEDS_SCIPY = """
import math
import numpy as np
from ad_compiler import grad

def i0_sum(x):
    return np.sum(np.i0(x))

def lgamma_of(x):
    return math.lgamma(x)

def gamma_of(x):
    return math.gamma(x)

for f, x in ((i0_sum, np.array([0.5, 1.5])), (lgamma_of, 0.5), (gamma_of, 0.5)):
    for mode in ("reverse", "forward"):
        try:
            grad(f, mode=mode)(x)
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
"""


def test_i0_and_gamma_refuse_until_scipy_is_imported(tmp_path) -> None:
    """Their slopes are SciPy's special functions; in a program that never imports SciPy
    they refuse, saying so (`tests/rules/test_scipy_special.py` checks them with SciPy)."""
    script = tmp_path / "needs_scipy.py"
    script.write_text(NEEDS_SCIPY)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    lines = run.stdout.splitlines()
    assert len(lines) == 6
    for line, name in zip(lines, ("np.i0", "np.i0", "math.lgamma", "math.lgamma", "math.gamma", "math.gamma")):
        assert line.startswith("NoDerivativeError") and f"import scipy before differentiating {name}" in line
