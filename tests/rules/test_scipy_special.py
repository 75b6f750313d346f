"""The rules of SciPy's special functions (`primitives/scipy_special.py`, with `np.i0`,
`math.gamma` and `math.lgamma`, whose slopes are SciPy's), in four modes against central
differences (`tests/rules/checks.py`); their conventions at the edges of their domains
(xlogy at x == 0, entropies at 0, Bessel functions at 0, log_ndtr's far tail), against
formulas or mpmath; the refused logsumexp(return_sign=True); and two programs written as
a user would: a Gaussian mixture's negative log-likelihood with a Wishart prior whose
degrees of freedom are learned (logsumexp, multigammaln), and a logistic regression
(expit, log_expit).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.special as special
from scipy.special import expit, log_expit, logsumexp, multigammaln

import ad_compiler
from ad_compiler import grad, hessian, jacfwd, jvp
from ad_compiler.errors import NoDerivativeError
from tests.numeric import numeric_grad
from tests.rules.checks import Spec, family_tests

ORDERS = np.array([0, 1, 3])


def polygamma_call(x):
    return special.polygamma(2, x)


def polygamma_orders(x):
    return special.polygamma(ORDERS, x)


def jv_orders(x):
    return special.jv(ORDERS + 0.5, x)


def yv_orders(x):
    return special.yv(ORDERS + 0.5, x)


def iv_orders(x):
    return special.iv(ORDERS + 0.5, x)


def ive_orders(x):
    return special.ive(ORDERS + 0.5, x)


def kv_orders(x):
    return special.kv(ORDERS + 0.5, x)


def kve_orders(x):
    return special.kve(ORDERS + 0.5, x)


def jn_orders(x):
    return special.jn(ORDERS, x)


def yn_orders(x):
    return special.yn(ORDERS, x)


def gammainc_shape(x):
    return special.gammainc(2.5, x)


def gammaincc_shapes(x):
    return special.gammaincc(ORDERS + 0.7, x)


def multigammaln_call(a):
    return special.multigammaln(a + 1.5, 4)


def zeta_call(x, q):
    return special.zeta(x + 1.2, q)


def riemann_zeta(x):
    return special.zeta(x + 1.5)


def softmax_rows(x):
    return special.softmax(x, axis=1)


def softmax_last(x):
    return special.softmax(x, axis=-1)


def softmax_axes(x):
    return special.softmax(x, axis=(0, 2))


def log_softmax_columns(x):
    return special.log_softmax(x, axis=0)


def logsumexp_rows(x):
    return special.logsumexp(x, axis=1)


def logsumexp_positional_axis(x):
    return special.logsumexp(x, -1)


def logsumexp_keepdims(x):
    return special.logsumexp(x, axis=0, keepdims=True)


def logsumexp_axes(x):
    return special.logsumexp(x, axis=(0, 2))


def logsumexp_weights(a, b):
    return special.logsumexp(a, b=b)


def logsumexp_weights_axis(a, b):
    return special.logsumexp(a, axis=1, b=b)


def logsumexp_weights_positional(a, b):
    return special.logsumexp(a, 0, b, keepdims=True)


SPECS = [
    Spec(special.expit, lo=-2.0, hi=2.0),
    Spec(special.expit, shapes=((2, 3),), lo=-2.0, hi=2.0),
    Spec(special.logit),
    Spec(special.log_expit, lo=-3.0, hi=3.0),
    Spec(special.softplus, lo=-3.0, hi=3.0),
    Spec(special.gammaln),
    Spec(special.gammaln, lo=-0.9, hi=-0.1),  # log |gamma|, where gamma < 0
    Spec(special.gammaln, shapes=((2, 3),), lo=1.0, hi=4.0),
    Spec(special.loggamma, lo=0.5, hi=3.0),
    Spec(special.gamma, lo=0.5, hi=3.0),
    Spec(special.gamma, lo=-0.9, hi=-0.1),
    Spec(special.digamma),
    Spec(special.polygamma, call=polygamma_call),
    Spec(special.polygamma, call=polygamma_orders, shapes=((3,),)),
    Spec(special.polygamma, call=polygamma_orders, shapes=((2, 3),)),
    *(Spec(getattr(special, name), call=globals()[f"{name}_orders"], shapes=((3,),), lo=0.5, hi=2.0)
      for name in ("jv", "yv", "iv", "ive", "kv", "kve", "jn", "yn")),
    Spec(special.ive, call=ive_orders, shapes=((2, 3),), lo=-2.0, hi=-0.5),
    Spec(special.gammainc, call=gammainc_shape, lo=0.5, hi=3.0),
    Spec(special.gammaincc, call=gammaincc_shapes, shapes=((2, 3),), lo=0.5, hi=3.0),
    Spec(special.rgamma, lo=0.5, hi=3.0),
    Spec(special.rgamma, lo=-0.9, hi=-0.1),
    Spec(special.multigammaln, call=multigammaln_call),
    Spec(special.multigammaln, call=multigammaln_call, shapes=((2, 3),)),
    Spec(special.erf, lo=-1.0, hi=1.0),
    Spec(special.erfc, lo=-1.0, hi=1.0),
    Spec(special.erfinv, lo=-0.9, hi=0.9),
    Spec(special.erfcinv, lo=0.1, hi=1.9),
    Spec(special.erfi, lo=-1.0, hi=1.0),
    Spec(special.erfcx, lo=-1.0, hi=2.0),
    Spec(special.dawsn, lo=-2.0, hi=2.0),
    Spec(special.wrightomega, lo=-2.0, hi=2.0),
    Spec(special.ndtr, lo=-2.0, hi=2.0),
    Spec(special.log_ndtr, lo=-4.0, hi=2.0),
    Spec(special.ndtri, lo=0.05, hi=0.95),
    Spec(special.xlogy, 2),
    Spec(special.xlogy, 2, shapes=((2, 3), (3,))),
    Spec(special.xlog1py, 2),
    Spec(special.xlog1py, 2, shapes=((), (2, 3))),
    Spec(special.betaln, 2),
    Spec(special.betaln, 2, shapes=((2, 1), (3,))),
    Spec(special.beta, 2),
    Spec(special.poch, 2),
    Spec(special.entr),
    Spec(special.rel_entr, 2),
    Spec(special.rel_entr, 2, shapes=((2, 3), (3,))),
    Spec(special.kl_div, 2),
    Spec(special.zeta, 2, call=zeta_call),
    Spec(special.zeta, 2, call=zeta_call, shapes=((3,), (2, 1))),
    Spec(special.zeta, call=riemann_zeta),
    Spec(special.i0, lo=-2.0, hi=2.0),
    Spec(special.i1, lo=-2.0, hi=2.0),
    Spec(special.i0e),
    Spec(special.i0e, lo=-2.0, hi=-0.1),
    Spec(special.i1e),
    Spec(special.i1e, lo=-2.0, hi=-0.1),
    Spec(special.j0, lo=-3.0, hi=3.0),
    Spec(special.j1, lo=-3.0, hi=3.0),
    Spec(special.y0, lo=0.2, hi=3.0),
    Spec(special.y1, lo=0.2, hi=3.0),
    Spec(special.k0, lo=0.2, hi=3.0),
    Spec(special.k1, lo=0.2, hi=3.0),
    Spec(special.k0e, lo=0.2, hi=3.0),
    Spec(special.k1e, lo=0.2, hi=3.0),
    Spec(special.exp1),
    Spec(special.expi),
    Spec(special.expi, lo=-2.0, hi=-0.2),
    Spec(special.expm1, lo=-1.0, hi=1.0),
    Spec(special.log1p),
    Spec(special.exp2),
    Spec(special.exp10),
    Spec(special.cbrt),
    Spec(special.cosm1, lo=-1.0, hi=1.0),
    Spec(special.sindg, lo=10.0, hi=80.0),
    Spec(special.cosdg, lo=10.0, hi=80.0),
    Spec(special.tandg, lo=10.0, hi=80.0),
    Spec(special.cotdg, lo=10.0, hi=80.0),
    Spec(special.softmax, shapes=((3,),)),
    Spec(special.softmax, shapes=((2, 3),)),
    Spec(special.softmax, call=softmax_rows, shapes=((2, 3),)),
    Spec(special.softmax, call=softmax_last, shapes=((3, 2),)),
    Spec(special.softmax, call=softmax_axes, shapes=((2, 3, 2),)),
    Spec(special.log_softmax, shapes=((2, 3),)),
    Spec(special.log_softmax, call=log_softmax_columns, shapes=((2, 3),)),
    Spec(special.logsumexp, shapes=((3,),)),
    Spec(special.logsumexp, shapes=((2, 3),)),
    Spec(special.logsumexp, call=logsumexp_rows, shapes=((2, 3),)),
    Spec(special.logsumexp, call=logsumexp_positional_axis, shapes=((3, 2),)),
    Spec(special.logsumexp, call=logsumexp_keepdims, shapes=((2, 3),)),
    Spec(special.logsumexp, call=logsumexp_axes, shapes=((2, 3, 2),)),
    Spec(special.logsumexp, 2, call=logsumexp_weights, shapes=((2, 3), (2, 3))),
    Spec(special.logsumexp, 2, call=logsumexp_weights_axis, shapes=((2, 3), (3,))),
    Spec(special.logsumexp, 2, call=logsumexp_weights_positional, shapes=((3,), (2, 3))),
    Spec(np.i0, lo=-2.0, hi=2.0),
    Spec(math.gamma, scalar_only=True, lo=0.5, hi=3.0),
    Spec(math.lgamma, scalar_only=True),
    Spec(math.lgamma, scalar_only=True, lo=-0.9, hi=-0.1),
]


test_reverse, test_forward, test_batched, test_second_order = family_tests(SPECS)

MODES = ("reverse", "forward")


# --- conventions at the edges -----------------------------------------------------------


ZERO_FIRST = np.array([0.0, 0.0, 2.0])


def xlogy_in_y(y):
    return np.sum(special.xlogy(ZERO_FIRST, y))


def xlog1py_in_y(y):
    return np.sum(special.xlog1py(ZERO_FIRST, y - 1.0))


def xlogy_sum(x, y):
    return np.sum(special.xlogy(x, y) + special.xlog1py(x, y - 1.0))


@pytest.mark.parametrize("mode", MODES)
def test_xlogy_slope_in_y_is_zero_where_x_is_zero(mode: str) -> None:
    """xlogy(0, y) = 0 for every y: its y-slope is 0 there, even at y = 0 (JAX: NaN)."""
    y = np.array([0.0, 3.0, 4.0])
    np.testing.assert_array_equal(grad(xlogy_in_y, mode=mode)(y), [0.0, 0.0, 0.5])
    np.testing.assert_array_equal(grad(xlog1py_in_y, mode=mode)(y), [0.0, 0.0, 0.5])


def test_xlogy_slope_in_x_is_log_y_infinite_at_zero() -> None:
    """(Reverse mode: forward mode's directions would multiply the infinite slope by 0.)"""
    bx, by = grad(xlogy_sum, argnums=(0, 1))(ZERO_FIRST, np.array([0.0, 3.0, 4.0]))
    np.testing.assert_allclose(bx, [-2 * np.inf, 2 * np.log(3.0), 2 * np.log(4.0)], rtol=1e-14)
    np.testing.assert_array_equal(by, [0.0, 0.0, 1.0])


def entropy_sum(x):
    return np.sum(special.entr(x))


def rel_entr_sum(x, y):
    return np.sum(special.rel_entr(x, y))


def kl_div_sum(x, y):
    return np.sum(special.kl_div(x, y))


@pytest.mark.parametrize("mode", MODES)
def test_entropies_at_zero_and_outside_their_domain_as_jax(mode: str) -> None:
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(grad(entropy_sum, mode=mode)(np.array([-1.0, 1.0])), [0.0, -1.0])
        assert grad(entropy_sum)(np.array([0.0])) == np.inf
        x, y = np.array([0.0, 1.0, -1.0]), np.array([2.0, 2.0, 1.0])
        bx, by = grad(rel_entr_sum, argnums=(0, 1), mode=mode)(x, y)
        np.testing.assert_allclose(bx, [0.0, np.log(0.5) + 1.0, 0.0])
        np.testing.assert_allclose(by, [0.0, -0.5, 0.0])
        bx, by = grad(kl_div_sum, argnums=(0, 1), mode=mode)(x, y)
        np.testing.assert_allclose(bx, [-1.0, np.log(0.5), -1.0])
        np.testing.assert_allclose(by, [1.0, 0.5, 1.0])


def i1_of(x):
    return special.i1(x)


def j1_of(x):
    return special.j1(x)


def i1e_of(x):
    return special.i1e(x)


@pytest.mark.parametrize("mode", MODES)
def test_bessel_functions_of_order_one_at_zero(mode: str) -> None:
    """I1 = x/2 + x^3/16 + ..., J1 = x/2 - x^3/16 + ...: slope 1/2, third derivative
    +-3/8; i1e = exp(-|x|) I1 has slope 1/2 at 0 too."""
    assert grad(i1_of, mode=mode)(0.0) == 0.5
    assert grad(j1_of, mode=mode)(0.0) == 0.5
    assert grad(i1e_of, mode=mode)(0.0) == 0.5
    assert hessian(i1_of)(0.0) == 0.0
    assert grad(grad(grad(i1_of)))(0.0) == pytest.approx(0.375)
    assert grad(grad(grad(j1_of)))(0.0) == pytest.approx(-0.375)


def log_ndtr_of(x):
    return special.log_ndtr(x)


@pytest.mark.parametrize("mode", MODES)
def test_log_ndtr_slope_is_finite_far_in_the_left_tail(mode: str) -> None:
    """pdf / cdf at x = -30, where both underflow; against mpmath."""
    for x in (-30.0, -5.0, 3.0):
        expected = float(mpmath.npdf(x) / mpmath.ncdf(x))
        assert grad(log_ndtr_of, mode=mode)(x) == pytest.approx(expected, rel=1e-12)


def zeta_of(x, q):
    return special.zeta(x, q)


def test_zeta_slopes_against_mpmath() -> None:
    """Along x, no closed form: the Euler-Maclaurin derivative, to 1e-14 of mpmath's."""
    for x, q in ((1.2, 0.3), (2.0, 1.0), (2.5, 0.05), (7.0, 3.0), (30.0, 1.5), (1.01, 2.0)):
        bx, bq = grad(zeta_of, argnums=(0, 1))(x, q)
        assert bx == pytest.approx(float(mpmath.zeta(x, q, derivative=1)), rel=1e-14)
        assert bq == pytest.approx(float(mpmath.diff(lambda t: mpmath.zeta(x, t), q)), rel=1e-12)


def logsumexp_signed(x):
    value, sign = special.logsumexp(x, return_sign=True)
    return value


@pytest.mark.parametrize("mode", MODES)
def test_logsumexp_with_return_sign_is_refused(mode: str) -> None:
    with pytest.raises(NoDerivativeError, match="return_sign"):
        grad(logsumexp_signed, mode=mode)(np.array([0.5, 1.0]))


def lgamma_of(x):
    return math.lgamma(x) + special.gammaln(x)


def test_emitted_code_calls_scipy_through_special() -> None:
    d = grad(lgamma_of)
    assert d(0.7) == pytest.approx(2 * special.digamma(0.7))
    assert "special.digamma(x)" in d.source


# --- programs ---------------------------------------------------------------------------

STRICT_LOWER = np.tril(np.ones((2, 2)), -1)
EYE = np.eye(2)
POINTS = np.array([[0.3, -0.2], [1.1, 0.4], [-0.7, 0.9], [0.2, 1.5], [-1.2, -0.4]])


def gmm_objective(alphas, means, log_diags, lowers, dof):
    """The negative log-likelihood of POINTS under a mixture of K Gaussians, each of
    precision Q_k Q_k^T with Q_k lower triangular (log-diagonal `log_diags[k]`, below it
    `lowers[k]`), plus a Wishart prior on the precisions whose degrees of freedom
    `p + 1 + dof^2` are learned (the prior's normalizer has multigammaln of them)."""
    n, p = POINTS.shape
    k = alphas.shape[0]
    q = np.exp(log_diags)[:, :, None] * EYE + lowers * STRICT_LOWER
    diffs = POINTS[None, :, :] - means[:, None, :]
    z = np.matmul(diffs, np.transpose(q, (0, 2, 1)))
    logits = alphas[:, None] + np.sum(log_diags, axis=1)[:, None] - 0.5 * np.sum(z * z, axis=2)
    likelihood = np.sum(logsumexp(logits, axis=0)) - n * logsumexp(alphas) - 0.5 * n * p * np.log(2 * np.pi)
    m = dof * dof
    degrees = p + 1 + m
    gamma = 1.5
    frobenius = np.sum(np.exp(log_diags) ** 2) + np.sum((lowers * STRICT_LOWER) ** 2)
    normalizer = degrees * p * (np.log(gamma) - 0.5 * np.log(2.0)) - multigammaln(0.5 * degrees, p)
    prior = 0.5 * gamma * gamma * frobenius - m * np.sum(log_diags) - k * normalizer
    return -likelihood + prior


def gmm_arguments():
    rng = np.random.default_rng(7)
    return (rng.normal(size=3), rng.normal(size=(3, 2)), 0.3 * rng.normal(size=(3, 2)),
            rng.normal(size=(3, 2, 2)), 1.3)


@pytest.mark.parametrize("mode", MODES)
def test_gaussian_mixture_with_a_wishart_prior(mode: str) -> None:
    args = gmm_arguments()
    argnums = tuple(range(len(args)))
    grads = grad(gmm_objective, argnums=argnums, mode=mode)(*args)
    for i in argnums:
        np.testing.assert_allclose(grads[i], numeric_grad(gmm_objective, args, i), rtol=1e-6, atol=1e-8)


def test_gaussian_mixture_hessian_in_the_degrees_of_freedom() -> None:
    """Second order through multigammaln (trigamma) and logsumexp."""
    args = gmm_arguments()
    expected = numeric_grad(grad(gmm_objective, argnums=4), args, 4)
    assert hessian(gmm_objective, argnums=4)(*args) == pytest.approx(expected, rel=1e-6)
    assert grad(grad(gmm_objective, argnums=4), argnums=4)(*args) == pytest.approx(expected, rel=1e-6)


FEATURES = np.array([[0.5, -1.2, 0.3], [1.5, 0.2, -0.7], [-0.3, 0.8, 1.1], [0.9, -0.4, -1.6]])
LABELS = np.array([1.0, 0.0, 1.0, 1.0])


def logistic_loss(w, b):
    """The mean cross-entropy of a logistic regression, written with log_expit (stable in
    both tails), plus an L2 penalty."""
    z = FEATURES @ w + b
    return -np.mean(LABELS * log_expit(z) + (1 - LABELS) * log_expit(-z)) + 0.05 * np.sum(w * w)


@pytest.mark.parametrize("mode", MODES)
def test_logistic_regression(mode: str) -> None:
    w, b = np.array([0.4, -0.7, 1.2]), 0.3
    bw, bb = grad(logistic_loss, argnums=(0, 1), mode=mode)(w, b)
    residual = expit(FEATURES @ w + b) - LABELS  # the textbook gradient
    np.testing.assert_allclose(bw, FEATURES.T @ residual / 4 + 0.1 * w, rtol=1e-12)
    assert bb == pytest.approx(np.mean(residual), rel=1e-12)
    np.testing.assert_allclose(bw, numeric_grad(logistic_loss, (w, b), 0), rtol=1e-7)


def test_logistic_regression_hessian() -> None:
    w, b = np.array([0.4, -0.7, 1.2]), 0.3
    p = expit(FEATURES @ w + b)
    expected = FEATURES.T @ (FEATURES * (p * (1 - p))[:, None]) / 4 + 0.1 * np.eye(3)
    np.testing.assert_allclose(hessian(logistic_loss)(w, b), expected, rtol=1e-10)
    np.testing.assert_allclose(jacfwd(grad(logistic_loss))(w, b), expected, rtol=1e-10)


def test_logistic_regression_far_in_the_tails() -> None:
    """log_expit keeps the gradient exact where expit rounds to 0 or 1."""
    w, b = np.array([40.0, -30.0, 20.0]), 0.0
    bw, bb = grad(logistic_loss, argnums=(0, 1))(w, b)
    residual = expit(FEATURES @ w + b) - LABELS
    np.testing.assert_allclose(bw, FEATURES.T @ residual / 4 + 0.1 * w, rtol=1e-12)
    assert np.all(np.isfinite(bw))


def jvp_of_softmax(x):
    return special.softmax(x, axis=1)


def test_softmax_tangent_sums_to_zero() -> None:
    x = np.array([[0.5, 1.0, -1.0], [2.0, 0.0, 0.3]])
    out, tangent = jvp(jvp_of_softmax, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(np.sum(tangent, axis=1), 0.0, atol=1e-15)


def symbolic_program(x, y):
    return (special.expit(x) * special.xlogy(y, x) + special.log_ndtr(x) + special.kl_div(x, y)
            + special.softplus(y) + np.sinc(x) + np.logaddexp2(x, y) + np.float_power(x, y))


def gammaln_program(x):
    return special.gammaln(x) * 2.0


def test_symbolic_check_agrees_where_sympy_has_the_function() -> None:
    """The SymPy counterparts, differentiated by SymPy (`ad_compiler.check`); a function
    whose derivative the check cannot evaluate (gammaln: polygamma) has none, so the check
    says so rather than failing."""
    report = ad_compiler.check(symbolic_program, 0.7, 0.4, argnums=(0, 1))
    assert report.ok
    for rows in report.arguments.values():
        (row,) = [r for r in rows if r.method == "symbolic"]
        assert row.ok and row.rel_error < 1e-14
    rows = ad_compiler.check(gammaln_program, 0.7).arguments["x"]
    (row,) = [r for r in rows if r.method == "symbolic"]
    assert row.value is None and "no symbolic form" in row.reason
