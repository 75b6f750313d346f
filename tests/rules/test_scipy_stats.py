"""The rules of scipy.stats' distributions (`primitives/scipy_stats.py`) in four modes
against central differences (`tests/rules/checks.py`); operands passed by keyword and
left out; the conventions at the edges of the supports; the refused derivatives of CDFs
in a shape parameter; and a Student-t regression written as a user would.

The table's operands are drawn from [0.2, 0.9]: the calls move them into each
distribution's support (`x + 1` above `loc`, a simplex for dirichlet, a positive definite
covariance), so that central differences see a smooth function.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from scipy.stats import dirichlet, multivariate_normal, t

from ad_compiler import grad, jacfwd
from ad_compiler.errors import CompileError, NoDerivativeError
from tests.numeric import numeric_grad
from tests.rules.checks import Spec, family_tests

METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
DENSITIES = ("logpdf", "pdf")
DISCRETE = ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")


def method_calls(name, methods, template):
    """A function per method of distribution `name`, calling it as `template` does (the
    table's `Spec.call`; the compiler reads the method through the closure)."""
    return {method: template(getattr(getattr(scipy.stats, name), method)) for method in methods}


# ---- location-scale families without a shape parameter ----

def inside(f):
    """x + 1 is above loc (expon's support), scale + 0.5 away from 0."""
    def inside_call(x, loc, scale):
        return f(x + 1.0, loc, scale + 0.5)
    return inside_call


def spread(f):
    """uniform: loc - 1 < x < loc + scale + 1.5."""
    def spread_call(x, loc, scale):
        return f(x, loc - 1.0, scale + 2.5)
    return spread_call


def keywords(f):
    def keywords_call(x, s):
        return f(x + 1.0, scale=s + 0.5)
    return keywords_call


def two_operands(f):
    def two_operands_call(x, loc):
        return f(x + 1.0, loc)
    return two_operands_call


def one_operand(f):
    def one_operand_call(x):
        return f(x + 1.0)
    return one_operand_call


PLAIN = ("norm", "expon", "laplace", "logistic", "cauchy")
CALLS = {name: method_calls(name, METHODS, inside) for name in PLAIN}
CALLS["uniform"] = method_calls("uniform", METHODS, spread)
KEYWORDS = {name: method_calls(name, METHODS, keywords) for name in ("norm", "logistic")}
TWO = method_calls("cauchy", METHODS, two_operands)
ONE = method_calls("laplace", METHODS, one_operand)

LOCATION_SCALE = [
    *(Spec(getattr(getattr(scipy.stats, name), m), 3, call=CALLS[name][m]) for name in CALLS for m in METHODS),
    *(Spec(getattr(scipy.stats.norm, m), 3, call=CALLS["norm"][m], shapes=((2, 3), (3,), ())) for m in METHODS),
    *(Spec(getattr(scipy.stats.expon, m), 3, call=CALLS["expon"][m], shapes=((3,), (2, 1), ())) for m in METHODS),
    *(Spec(getattr(scipy.stats.uniform, m), 3, call=CALLS["uniform"][m], shapes=((), (3,), (2, 3)))
      for m in METHODS),
    *(Spec(getattr(getattr(scipy.stats, name), m), 2, call=KEYWORDS[name][m]) for name in KEYWORDS for m in METHODS),
    *(Spec(getattr(scipy.stats.cauchy, m), 2, call=TWO[m]) for m in METHODS),
    *(Spec(getattr(scipy.stats.laplace, m), 1, call=ONE[m]) for m in METHODS),
]


# ---- t, gamma, lognorm (one shape parameter) and beta (two) ----

def shape_first(f):
    """The shape parameter first (the second-order check is along the first operand)."""
    def shape_first_call(shape, x, scale):
        return f(x + 1.0, shape + 1.0, 0.4, scale + 0.5)
    return shape_first_call


def shape_loc(f):
    def shape_loc_call(x, shape, loc):
        return f(x + 1.0, shape + 1.0, loc=loc, scale=1.3)
    return shape_loc_call


def fixed_shape(f):
    """The shape parameter a constant: x, loc and scale differentiated."""
    def fixed_shape_call(x, loc, scale):
        return f(x + 1.0, 2.5, loc, scale=scale + 0.5)
    return fixed_shape_call


def shapes_first(f):
    def shapes_first_call(a, b, x):
        return f(x, a + 0.5, b + 1.0)
    return shapes_first_call


def beta_located(f):
    """x inside (loc - 1, loc - 1 + scale + 2)."""
    def beta_located_call(x, loc, scale):
        return f(x, 1.5, 2.5, loc - 1.0, scale + 2.0)
    return beta_located_call


ONE_SHAPE = ("t", "gamma", "lognorm")
REFUSED = {"t", "gamma", "beta"}
"""Distributions whose CDFs have no derivative in closed form in their shape parameters."""


def in_shapes(name, method):
    """Whether the method has a derivative in the shape parameters."""
    return method in DENSITIES or name not in REFUSED


SHAPE_CALLS = {name: method_calls(name, [m for m in METHODS if in_shapes(name, m)], shape_first)
               for name in ONE_SHAPE}
SHAPE_LOC = {name: method_calls(name, DENSITIES, shape_loc) for name in ONE_SHAPE}
FIXED = {name: method_calls(name, METHODS, fixed_shape) for name in ONE_SHAPE}
BETA_SHAPES = method_calls("beta", DENSITIES, shapes_first)
BETA_LOCATED = method_calls("beta", METHODS, beta_located)


SHAPED = [
    *(Spec(getattr(getattr(scipy.stats, name), m), 3, call=SHAPE_CALLS[name][m])
      for name in ONE_SHAPE for m in SHAPE_CALLS[name]),
    *(Spec(getattr(getattr(scipy.stats, name), m), 3, call=SHAPE_LOC[name][m], shapes=((2, 3), (3,), ()))
      for name in ONE_SHAPE for m in DENSITIES),
    *(Spec(getattr(getattr(scipy.stats, name), m), 3, call=FIXED[name][m])
      for name in ONE_SHAPE for m in METHODS),
    *(Spec(getattr(scipy.stats.beta, m), 3, call=BETA_SHAPES[m]) for m in DENSITIES),
    *(Spec(getattr(scipy.stats.beta, m), 3, call=BETA_LOCATED[m]) for m in METHODS),
]


# ---- poisson and binom: along mu and p ----

K = np.array([0.0, 2.0, 5.0])
N = np.array([6, 7, 9])


def poisson_counts(f):
    def poisson_counts_call(mu):
        return f(K, 3 * mu)
    return poisson_counts_call


def poisson_shifted(f):
    """A shift loc (an int), and one rate for every count."""
    def poisson_shifted_call(mu):
        return f(K + 1, 4 * mu, loc=1)
    return poisson_shifted_call


def binom_counts(f):
    def binom_counts_call(p):
        return f(K, N, p)
    return binom_counts_call


def binom_shifted(f):
    def binom_shifted_call(p):
        return f(K + 2, 8, p, 2)
    return binom_shifted_call


POISSON = method_calls("poisson", DISCRETE, poisson_counts)
POISSON_SHIFTED = method_calls("poisson", DISCRETE, poisson_shifted)
BINOM = method_calls("binom", DISCRETE, binom_counts)
BINOM_SHIFTED = method_calls("binom", DISCRETE, binom_shifted)

COUNTS = [
    *(Spec(getattr(scipy.stats.poisson, m), 1, call=POISSON[m], shapes=((3,),)) for m in DISCRETE),
    *(Spec(getattr(scipy.stats.poisson, m), 1, call=POISSON_SHIFTED[m], shapes=((),)) for m in DISCRETE),
    *(Spec(getattr(scipy.stats.binom, m), 1, call=BINOM[m], shapes=((3,),)) for m in DISCRETE),
    *(Spec(getattr(scipy.stats.binom, m), 1, call=BINOM_SHIFTED[m], shapes=((),)) for m in DISCRETE),
]


# ---- dirichlet and multivariate_normal ----

def simplex(f):
    """A point (or the columns of x) on the simplex."""
    def simplex_call(u, alpha):
        return f(u / np.sum(u, axis=0), alpha + 0.5)
    return simplex_call


def implied(f):
    """K - 1 components: SciPy makes the last one."""
    def implied_call(u, alpha):
        return f(u[:2] / np.sum(u, axis=0), alpha)
    return implied_call


def covariance(f):
    """A positive definite covariance made from A."""
    def covariance_call(x, mean, a):
        return f(x, mean, a @ a.T + np.eye(np.shape(a)[0]))
    return covariance_call


def lower_triangle(f):
    """The covariance itself, not symmetric: SciPy reads its lower triangle."""
    def lower_triangle_call(c, x, mean):
        return f(x, mean, c + 2.0 * np.eye(3))
    return lower_triangle_call


def number_cov(f):
    """One dimension (x a vector of points), a number for the covariance."""
    def number_cov_call(x, mean, c):
        return f(x, mean, c + 1.0)
    return number_cov_call


def diagonal_cov(f):
    def diagonal_cov_call(x, mean, c):
        return f(x, mean=mean, cov=c + 0.5)
    return diagonal_cov_call


def keyword_cov(f):
    """The mean left at None (zeros) and the covariance given by keyword."""
    def keyword_cov_call(x, a):
        return f(x, cov=a @ a.T + np.eye(2))
    return keyword_cov_call


def default_mean(f):
    def default_mean_call(x):
        return f(x)
    return default_mean_call


SIMPLEX = method_calls("dirichlet", DENSITIES, simplex)
IMPLIED = method_calls("dirichlet", DENSITIES, implied)
MVN = {template.__name__: method_calls("multivariate_normal", DENSITIES, template)
       for template in (covariance, lower_triangle, number_cov, diagonal_cov, keyword_cov, default_mean)}

MULTIVARIATE = [
    *(Spec(getattr(dirichlet, m), 2, call=SIMPLEX[m], shapes=((3,), (3,)), known_shape=False) for m in DENSITIES),
    *(Spec(getattr(dirichlet, m), 2, call=SIMPLEX[m], shapes=((3, 2), (3,)), known_shape=False) for m in DENSITIES),
    *(Spec(getattr(dirichlet, m), 2, call=IMPLIED[m], shapes=((3, 4), (3,)), known_shape=False) for m in DENSITIES),
    *(Spec(getattr(multivariate_normal, m), 3, call=MVN["covariance"][m], shapes=((3,), (3,), (3, 3)))
      for m in DENSITIES),
    *(Spec(getattr(multivariate_normal, m), 3, call=MVN["covariance"][m], shapes=((4, 2), (2,), (2, 2)))
      for m in DENSITIES),
    *(Spec(getattr(multivariate_normal, m), 3, call=MVN["covariance"][m], shapes=((2, 1, 3), (3,), (3, 3)))
      for m in DENSITIES),
    *(Spec(getattr(multivariate_normal, m), 3, call=MVN["lower_triangle"][m], shapes=((3, 3), (2, 3), (3,)))
      for m in DENSITIES),
    *(Spec(getattr(multivariate_normal, m), 3, call=MVN["number_cov"][m], shapes=((4,), (), ())) for m in DENSITIES),
    *(Spec(getattr(multivariate_normal, m), 3, call=MVN["diagonal_cov"][m], shapes=((2, 3), (3,), (3,)))
      for m in DENSITIES),
    *(Spec(getattr(multivariate_normal, m), 2, call=MVN["keyword_cov"][m], shapes=((3, 2), (2, 2)))
      for m in DENSITIES),
    *(Spec(getattr(multivariate_normal, m), 1, call=MVN["default_mean"][m], shapes=((4,),)) for m in DENSITIES),
]

SPECS = LOCATION_SCALE + SHAPED + COUNTS + MULTIVARIATE

test_reverse, test_forward, test_batched, test_second_order = family_tests(SPECS)


MODES = ("reverse", "forward")


def one_sided(f, x, h=1e-7):
    """The slope of f from the left of x and from its right."""
    return (f(x) - f(x - h)) / h, (f(x + h) - f(x)) / h


# ---- the edges of the supports ----

def uniform_logpdf_sum(x, loc, scale):
    return np.sum(scipy.stats.uniform.logpdf(x, loc, scale))


def uniform_cdf_sum(x, loc, scale):
    return np.sum(scipy.stats.uniform.cdf(x, loc, scale))


@pytest.mark.parametrize("mode", MODES)
def test_uniform_at_the_edges_of_its_support_has_the_slopes_from_inside(mode: str) -> None:
    """SciPy's uniform density is 1 / scale on the closed interval [loc, loc + scale]:
    at either edge the derivatives are those from inside (logpdf: 0 in x and loc,
    -1 / scale in scale; cdf: 1 / scale in x)."""
    loc, scale = 0.5, 2.0
    edges = np.array([0.5, 2.5])
    bx, bloc, bscale = grad(uniform_logpdf_sum, argnums=(0, 1, 2), mode=mode)(edges, loc, scale)
    np.testing.assert_array_equal(bx, [0.0, 0.0])
    assert (bloc, bscale) == (0.0, -1.0)
    bx = grad(uniform_cdf_sum, mode=mode)(edges, loc, scale)
    lower = one_sided(lambda v: scipy.stats.uniform.cdf(v, loc, scale), 0.5)[1]
    upper = one_sided(lambda v: scipy.stats.uniform.cdf(v, loc, scale), 2.5)[0]
    np.testing.assert_allclose(bx, [lower, upper], rtol=1e-6)


def expon_logpdf_sum(x, loc, scale):
    return np.sum(scipy.stats.expon.logpdf(x, loc, scale))


def expon_pdf_sum(x, loc, scale):
    return np.sum(scipy.stats.expon.pdf(x, loc, scale))


def expon_logcdf_sum(x, loc, scale):
    return np.sum(scipy.stats.expon.logcdf(x, loc, scale))


def gamma_logpdf_sum(x, a, scale):
    return np.sum(scipy.stats.gamma.logpdf(x, a, scale=scale))


def lognorm_pdf_sum(x, s, scale):
    return np.sum(scipy.stats.lognorm.pdf(x, s, scale=scale))


def beta_logpdf_sum(x, a, b):
    return np.sum(scipy.stats.beta.logpdf(x, a, b))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args", [
    (expon_logpdf_sum, (np.array([-1.0, 0.7]), 0.0, 1.5)),
    (expon_pdf_sum, (np.array([-1.0, 0.7]), 0.0, 1.5)),
    (expon_logcdf_sum, (np.array([-1.0, 0.7]), 0.0, 1.5)),
    (gamma_logpdf_sum, (np.array([-1.0, 0.7]), 2.5, 1.5)),
    (lognorm_pdf_sum, (np.array([-1.0, 0.7]), 0.8, 1.5)),
    (beta_logpdf_sum, (np.array([-0.5, 0.7]), 2.5, 1.5)),
])
def test_outside_the_support_every_slope_is_zero(f, args, mode: str) -> None:
    """Where logpdf (or logcdf) is -inf and pdf is 0 on an interval, the derivatives are 0,
    not NaN (the first element); inside, central differences (the second)."""
    grads = grad(f, argnums=(0, 1, 2), mode=mode)(*args)
    assert grads[0][0] == 0.0
    inside = (args[0][1:],) + args[1:]
    for i, g in enumerate(grad(f, argnums=(0, 1, 2), mode=mode)(*inside)):
        np.testing.assert_allclose(g, numeric_grad(f, inside, i), rtol=1e-6)
    assert all(np.all(np.isfinite(g)) for g in grads)


def poisson_logpmf_sum(mu):
    return np.sum(scipy.stats.poisson.logpmf(np.array([-1.0, 2.5, 3.0]), mu))


def poisson_logcdf_sum(mu):
    return np.sum(scipy.stats.poisson.logcdf(np.array([-1.0, 2.5, 3.0]), mu))


@pytest.mark.parametrize("mode", MODES)
def test_poisson_off_its_support_and_between_the_integers(mode: str) -> None:
    """logpmf is -inf off the integers (slope 0); logcdf is -inf below 0 (slope 0) and
    constant between integers (cdf(2.5) is cdf(2))."""
    mu = 1.7
    np.testing.assert_allclose(grad(poisson_logpmf_sum, mode=mode)(mu), 3.0 / mu - 1, rtol=1e-12)
    expected = numeric_grad(lambda m: np.sum(scipy.stats.poisson.logcdf(np.array([2.0, 3.0]), m)), (mu,), 0)
    np.testing.assert_allclose(grad(poisson_logcdf_sum, mode=mode)(mu), expected, rtol=1e-6)


def laplace_logpdf(x, loc):
    return scipy.stats.laplace.logpdf(x, loc)


@pytest.mark.parametrize("mode", MODES)
def test_laplace_at_its_kink_takes_the_subgradient_zero(mode: str) -> None:
    """At x == loc the one-sided slopes are +1 and -1: 0 between them, as `abs` has it."""
    assert grad(laplace_logpdf, argnums=(0, 1), mode=mode)(0.3, 0.3) == (0.0, 0.0)


def norm_logcdf(x):
    return scipy.stats.norm.logcdf(x)


def norm_logsf(x):
    return scipy.stats.norm.logsf(x)


@pytest.mark.parametrize("mode", MODES)
def test_log_distribution_functions_far_in_the_tails(mode: str) -> None:
    """d logcdf / dx = pdf / cdf, which tends to -x far left: computed from logarithms, it
    does not underflow to 0 / 0."""
    for x in (-40.0, -200.0):
        slope = grad(norm_logcdf, mode=mode)(x)
        assert slope == pytest.approx(-x - 1 / x + 2 / x ** 3, rel=1e-6)
        assert grad(norm_logsf, mode=mode)(-x) == pytest.approx(-slope, rel=1e-12)


# ---- derivatives refused ----

def t_cdf_sum(x, df):
    return np.sum(scipy.stats.t.cdf(x, df))


def gamma_sf_sum(x, a):
    return np.sum(scipy.stats.gamma.sf(x, a, scale=2.0))


def beta_logcdf_sum(x, a):
    return np.sum(scipy.stats.beta.logcdf(x, a, 2.0))


@pytest.mark.parametrize("f, args", [(t_cdf_sum, (np.array([0.3, -1.0]), 3.5)),
                                     (gamma_sf_sum, (np.array([0.3, 1.0]), 2.5)),
                                     (beta_logcdf_sum, (np.array([0.3, 0.6]), 2.5))])
def test_cdf_in_a_shape_parameter_is_refused(f, args) -> None:
    """The CDFs of t, gamma and beta have no closed-form derivative in df, a, b: both modes
    refuse that operand, and only it (the slope in x is that of central differences)."""
    for mode in MODES:
        bx = grad(f, mode=mode)(*args)
        np.testing.assert_allclose(bx, numeric_grad(f, args, 0), rtol=1e-6, err_msg=mode)
    with pytest.raises(NoDerivativeError, match="operand 1 of scipy.stats.* has no derivative with respect to it"):
        grad(f, argnums=1, mode="forward")(*args)
    with pytest.raises(NoDerivativeError, match="no derivative in its shape parameter"):
        grad(f, argnums=1)(*args)


def poisson_in_k(k):
    return np.sum(scipy.stats.poisson.pmf(k, 2.0) + scipy.stats.binom.cdf(k, 6, 0.3) + 0.5 * k)


@pytest.mark.parametrize("mode", MODES)
def test_a_count_has_derivative_zero(mode: str) -> None:
    """k, n and loc of poisson and binom are counts, in which the result is piecewise
    constant: a derivative of 0, as np.floor's (here only `0.5 * k` has a slope)."""
    np.testing.assert_array_equal(grad(poisson_in_k, mode=mode)(np.array([1.0, 2.0])), [0.5, 0.5])


# ---- multivariate_normal reads the lower triangle of the covariance ----

def mvn_logpdf(x, mean, cov):
    return np.sum(multivariate_normal.logpdf(x, mean, cov))


@pytest.mark.parametrize("mode", MODES)
def test_multivariate_normal_covariance_slope_is_on_its_lower_triangle(mode: str) -> None:
    """SciPy reads the lower triangle of `cov` (mirrored): the slope is 0 above the
    diagonal, and below it that of both mirrored entries, which is what a covariance
    built symmetric (A @ A.T) gets by the chain rule."""
    x = np.array([[0.3, -0.2, 0.5], [1.0, 0.1, -0.4]])
    mean = np.array([0.1, 0.0, -0.1])
    cov = np.array([[2.0, 0.3, -0.2], [0.4, 1.5, 0.1], [0.1, -0.3, 1.8]])  # (not symmetric)
    bcov = grad(mvn_logpdf, argnums=2, mode=mode)(x, mean, cov)
    np.testing.assert_allclose(bcov, numeric_grad(mvn_logpdf, (x, mean, cov), 2), rtol=1e-6, atol=1e-9)
    assert np.all(bcov[np.triu_indices(3, 1)] == 0.0)


# ---- a user program ----

def student_t_nll(w, s, df, X, y):
    """The negative log-likelihood of a regression with Student-t noise."""
    return -np.sum(t.logpdf(y, df, loc=X @ w, scale=s))


def regression_data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([0.5, -1.0, 2.0]) + 0.3 * rng.standard_t(4.0, size=20)
    return (np.array([0.4, -0.8, 1.7]), 0.5, 3.0, X, y)


@pytest.mark.parametrize("mode", MODES)
def test_student_t_regression(mode: str) -> None:
    args = regression_data()
    bw, bs, bdf = grad(student_t_nll, argnums=(0, 1, 2), mode=mode)(*args)
    np.testing.assert_allclose(bw, numeric_grad(student_t_nll, args, 0), rtol=1e-6)
    assert bs == pytest.approx(numeric_grad(student_t_nll, args, 1), rel=1e-6)
    assert bdf == pytest.approx(numeric_grad(student_t_nll, args, 2), rel=1e-6)


def test_student_t_regression_hessian_in_the_weights_and_scale() -> None:
    args = regression_data()
    gradient = grad(student_t_nll, argnums=(0, 1))
    hww, hws = jacfwd(lambda w, s, df, X, y: gradient(w, s, df, X, y)[0], argnums=(0, 1))(*args)
    np.testing.assert_allclose(hww, [numeric_grad(lambda w, *rest: gradient(w, *rest)[0][i], args, 0)
                                     for i in range(3)], rtol=1e-5)
    np.testing.assert_allclose(hws, [numeric_grad(lambda w, s, *rest: gradient(w, s, *rest)[0][i], args, 1)
                                     for i in range(3)], rtol=1e-5)


# ---- frozen distributions: `norm(mu, s).logpdf(x)` is `norm.logpdf(x, mu, s)` ----

def frozen_normal(x, mu, s):
    d = scipy.stats.norm(mu, s)
    return np.sum(d.logpdf(x)) + np.sum(scipy.stats.norm(loc=mu, scale=s).cdf(x * 0.5)) + d.logpdf(mu + 0.1)


def frozen_gamma_and_beta(x, a, b):
    return np.sum(scipy.stats.gamma(a, scale=b).logpdf(x) + scipy.stats.beta(a, b).logpdf(x / 2.0))


def frozen_multivariate(x, mean, cov):
    return np.sum(multivariate_normal(mean, cov @ cov.T + np.eye(2)).logpdf(x)) + dirichlet(mean + 1.0).logpdf(
        np.array([0.3, 0.7]))


FROZEN = [
    (frozen_normal, (np.array([0.3, -0.2, 1.1]), 0.2, 1.3)),
    (frozen_gamma_and_beta, (np.array([0.3, 0.6, 1.1]), 1.7, 0.8)),
    (frozen_multivariate, (np.array([[0.3, -0.2], [0.1, 0.4]]), np.array([0.2, 0.5]),
                           np.array([[1.0, 0.2], [0.1, 0.8]]))),
]


@pytest.mark.parametrize("f, args", FROZEN, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("mode", MODES)
def test_methods_of_frozen_distributions(f, args, mode: str) -> None:
    got = grad(f, argnums=tuple(range(len(args))), mode=mode)(*args)
    for i, arg in enumerate(args):
        np.testing.assert_allclose(got[i], numeric_grad(f, args, i), rtol=1e-6, atol=1e-9)


def frozen_draw(x, seed):
    noise = scipy.stats.norm(0.0, 0.1).rvs(size=3, random_state=seed)
    return np.sum(scipy.stats.norm(0.0, 2.0).logpdf(x + noise))


def test_a_method_of_a_frozen_distribution_without_a_rule_runs_as_written() -> None:
    """`.rvs` draws as SciPy does (once per call), off the differentiated path."""
    x = np.array([0.3, -0.2, 1.1])
    expected = numeric_grad(lambda v: frozen_draw(v, 7), (x,), 0)
    np.testing.assert_allclose(grad(frozen_draw)(x, 7), expected, rtol=1e-6)


def frozen_as_value(x):
    d = scipy.stats.norm(x, 1.0)
    return d


def test_a_frozen_distribution_is_not_a_value() -> None:
    with pytest.raises(CompileError, match="can only have its methods called here"):
        grad(frozen_as_value)(0.5)
