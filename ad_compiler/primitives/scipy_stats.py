"""scipy.stats distributions: the densities, mass functions and distribution functions of
norm, t, gamma, beta, lognorm, expon, laplace, logistic, cauchy, uniform, poisson, binom,
dirichlet and multivariate_normal.

A user calls them as bound methods of SciPy's distribution objects (`norm.logpdf(x,
loc=mu, scale=s)`); the records name their operands (`operands`), so that `loc=` and
`scale=` are run-time operands in their places, defaults filled in.

The continuous ones are location-scale families: with `z = (x - loc) / scale`,
`logpdf(x) = l(z) - log(scale)` for the standard log-density `l` of each distribution
(its `standard` function below gives `dl/dz`, `1 + z dl/dz` and `dl/d(shape)`), and
`cdf(x) = F(z)`, whose derivatives in x, loc and scale are the density's (times 1, -1,
-z). Each rule computes the partial derivatives of the result with respect to its
operands, elementwise (`*_partials`): a VJP multiplies them by the cotangent, a JVP sums
them times the tangents. Conventions: outside a distribution's support (where `logpdf`
is -inf and `pdf` 0, or `logcdf` -inf) every partial is 0; uniform's density is SciPy's,
constant on the closed interval, so at an edge the slopes are those from inside; at
laplace's kink (x == loc) the subgradient 0, as `abs`.

The derivative of a CDF with respect to a shape parameter has no closed form for t (df),
gamma (a) and beta (a, b): their JVP rules take no tangent for it, and their VJP rules
call `helpers.no_derivative` where it is active, so both modes refuse that operand (and
only that one) at compile time. lognorm's CDF has one: `-pdf_norm(u) u / s`.

The discrete ones are differentiated in their real parameter (poisson's `mu`, binom's
`p`); `k`, `n` and the integer shift `loc` are counts, in which the result is piecewise
constant: their derivative is 0 (as np.floor's), in both modes.

multivariate_normal reads the lower triangle of `cov` (SciPy's `eigh(lower=True)`): the
slope in `cov` is on that triangle, 0 above the diagonal, which is what a covariance
built symmetric (`A @ A.T`) gets by the chain rule.

A call passes only the operands before the last one it gives (`norm.logpdf(x, mu)`), and
a VJP rule returns one cotangent per operand passed: each VJP is registered once per
operand count (`dtypes=(None,) * n` matches n operands of any dtype), and returns the
first n cotangents (`given`).
"""

from __future__ import annotations

import inspect

import numpy as np
import scipy.special
import scipy.stats

from .helpers import no_derivative
from .kinds import array_kind, broadcast, by_probing
from .record import PRIMITIVES, defjvp, defvjp, primitive
from ..ir.types import Array, Scalar

REQUIRED = inspect.Parameter.empty


def float_broadcast(op, kinds, producers):
    """An elementwise function of the distribution's operands: their broadcast, of floats."""
    return broadcast(kinds, "float")


def given(n, cotangents):
    """The cotangents of the first `n` operands (one alone, not in a tuple): those of the
    operands the call passes."""
    if n == 1:
        return cotangents[0]
    return tuple(cotangents[k] for k in range(n))


# ---- the standard log-densities l(z; shapes): (dl/dz, 1 + z dl/dz, (dl/d(shape), ...)) ----

def norm_standard(z, shapes):
    return -z, 1 - z * z, ()


def expon_standard(z, shapes):
    inside = z >= 0
    return np.where(inside, -1.0, 0.0), np.where(inside, 1 - z, 0.0), ()


def laplace_standard(z, shapes):
    """At the kink z = 0 the subgradient 0, as `abs` has it."""
    return -np.sign(z), 1 - np.abs(z), ()


def logistic_standard(z, shapes):
    slope = np.tanh(z / 2)
    return -slope, 1 - z * slope, ()


def cauchy_standard(z, shapes):
    zz = z * z
    return -2 * z / (1 + zz), (1 - zz) / (1 + zz), ()


def uniform_standard(z, shapes):
    """Constant on the closed interval [0, 1] (SciPy's pdf is 1 at both edges): at an edge,
    the derivatives from inside."""
    return np.zeros_like(z), np.where(np.logical_and(z >= 0, z <= 1), 1.0, 0.0), ()


def t_standard(z, shapes):
    (df,) = shapes
    zz = z * z
    dz = -(df + 1) * z / (df + zz)
    ddf = 0.5 * (scipy.special.digamma((df + 1) / 2) - scipy.special.digamma(df / 2) - 1 / df
                 - np.log1p(zz / df) - z * dz / df)
    return dz, 1 + z * dz, (ddf,)


def gamma_standard(z, shapes):
    """On the open support z > 0 (at 0 the density is 0 or infinite, but for a = 1)."""
    (a,) = shapes
    inside = z > 0
    dz = np.where(inside, (a - 1) / z - 1, 0.0)
    da = np.where(inside, np.log(np.where(inside, z, 1.0)) - scipy.special.digamma(a), 0.0)
    return dz, np.where(inside, a - z, 0.0), (da,)


def beta_standard(z, shapes):
    a, b = shapes
    inside = np.logical_and(z > 0, z < 1)
    z = np.where(inside, z, 0.5)  # (what is outside is not used: no log of a negative)
    dz = (a - 1) / z - (b - 1) / (1 - z)
    both = scipy.special.digamma(a + b)
    da = np.log(z) - scipy.special.digamma(a) + both
    db = np.log1p(-z) - scipy.special.digamma(b) + both
    return np.where(inside, dz, 0.0), np.where(inside, 1 + z * dz, 0.0), (np.where(inside, da, 0.0),
                                                                          np.where(inside, db, 0.0))


def lognorm_standard(z, shapes):
    (s,) = shapes
    inside = z > 0
    u = np.log(np.where(inside, z, 1.0)) / s
    dz = np.where(inside, -(1 + u / s) / z, 0.0)
    return dz, np.where(inside, -u / s, 0.0), (np.where(inside, (u * u - 1) / s, 0.0),)


def no_shapes(z, shapes, scale):
    """A CDF without shape parameters."""
    return ()


def lognorm_cdf_shapes(z, shapes, scale):
    """dF/ds over the density: F = Phi(u) with u = log(z) / s, so dF/ds = -phi(u) u / s,
    and the density is phi(u) / (s z scale)."""
    (s,) = shapes
    u = np.log(np.where(z > 0, z, 1.0)) / s
    return (-u * z * scale,)


# ---- the partials of a result: (weight, d/dx, d/dscale, (d/dshape, ...)), each times weight;
# d/dloc is -d/dx ----

def density_partials(standard, log):
    """Of logpdf (`log`) or pdf, whose derivatives are pdf times logpdf's."""

    def partials(ans, logpdf, x, shapes, loc, scale):
        z = (x - loc) / scale
        dz, dls, dshapes = standard(z, shapes)
        return 1.0 if log else ans, dz / scale, -dls / scale, dshapes

    return partials


def distribution_partials(cdf_shapes, method):
    """Of cdf, sf, logcdf or logsf (`method`): the density at x times (1, -z, dF/dshape
    over the density)."""

    def partials(ans, logpdf, x, shapes, loc, scale):
        z = (x - loc) / scale
        return density_weight(method, logpdf, ans), 1.0, -z, cdf_shapes(z, shapes, scale)

    return partials


def density_weight(method, logdensity, ans):
    """The factor of dF in the derivative of `method` (`logdensity`: F's log-density or
    log-mass): 1, -1, 1 / F, -1 / (1 - F), times the density, from logarithms (no
    underflow in the tails); 0 off the support, where logcdf or logsf is -inf too."""
    if method == "cdf":
        return np.exp(logdensity)
    if method == "sf":
        return -np.exp(logdensity)
    ratio = np.exp(logdensity - np.where(logdensity > -np.inf, ans, 0.0))
    return ratio if method == "logcdf" else -ratio


# ---- the rules of location-scale families with 0, 1 or 2 shape parameters ----

def location_scale(prim, dist, partials, refused):
    """(No shape parameter: nothing is `refused`.)"""

    @defjvp(prim)
    def location_scale_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
        w, slope, pscale, _ = partials(ans, dist.logpdf(x, loc, scale), x, (), loc, scale)
        return w * ((dx - dloc) * slope + dscale * pscale)

    for n in (1, 2, 3):
        location_scale_vjp(prim, dist, partials, n)


def location_scale_vjp(prim, dist, partials, n):
    @defvjp(prim, dtypes=(None,) * n)
    def location_scale_vjp(g, ans, x, loc=0.0, scale=1.0):
        w, slope, pscale, _ = partials(ans, dist.logpdf(x, loc, scale), x, (), loc, scale)
        gx = g * w * slope
        return given(n, (gx, -gx, g * w * pscale))


def one_shape(prim, dist, partials, refused):
    """`refused`: no derivative in the shape parameter (forward mode refuses it, and there
    is no VJP: see the module's docstring)."""
    if refused:
        @defjvp(prim)
        def one_shape_refused_jvp(dx, dloc, dscale, ans, x, shape, loc=0.0, scale=1.0):
            w, slope, pscale, _ = partials(ans, dist.logpdf(x, shape, loc, scale), x, (shape,), loc, scale)
            return w * ((dx - dloc) * slope + dscale * pscale)

    else:
        @defjvp(prim)
        def one_shape_jvp(dx, dshape, dloc, dscale, ans, x, shape, loc=0.0, scale=1.0):
            w, slope, pscale, pshapes = partials(ans, dist.logpdf(x, shape, loc, scale), x, (shape,), loc, scale)
            return w * ((dx - dloc) * slope + dshape * pshapes[0] + dscale * pscale)

    for n in (2, 3, 4):
        one_shape_vjp(prim, dist, partials, n, refused)


def refusal(prim, shapes):
    """What a rule refusing the shape parameters (`dist.shapes`: "a, b") says."""
    name = PRIMITIVES.name_of(prim)
    names = [f"'{s}'" for s in shapes.split(", ")]
    what = f"parameter {names[0]}" if len(names) == 1 else f"parameters {' and '.join(names)}"
    return (f"{name} has no derivative in its shape {what} in closed form; pass it as a constant "
            "(ad_compiler.stop_gradient) or differentiate with respect to the others")


def one_shape_vjp(prim, dist, partials, n, refused):
    message = refusal(prim, dist.shapes)

    @defvjp(prim, dtypes=(None,) * n)
    def one_shape_vjp(g, ans, x, shape, loc=0.0, scale=1.0, *, active=()):
        if refused and active[1]:
            no_derivative(message)
        w, slope, pscale, pshapes = partials(ans, dist.logpdf(x, shape, loc, scale), x, (shape,), loc, scale)
        gw = g * w
        gx = gw * slope
        if refused:
            return given(n, (gx, None, -gx, gw * pscale))
        return given(n, (gx, gw * pshapes[0], -gx, gw * pscale))


def two_shapes(prim, dist, partials, refused):
    if refused:
        @defjvp(prim)
        def two_shapes_refused_jvp(dx, dloc, dscale, ans, x, a, b, loc=0.0, scale=1.0):
            w, slope, pscale, _ = partials(ans, dist.logpdf(x, a, b, loc, scale), x, (a, b), loc, scale)
            return w * ((dx - dloc) * slope + dscale * pscale)

    else:
        @defjvp(prim)
        def two_shapes_jvp(dx, da, db, dloc, dscale, ans, x, a, b, loc=0.0, scale=1.0):
            w, slope, pscale, pshapes = partials(ans, dist.logpdf(x, a, b, loc, scale), x, (a, b), loc, scale)
            return w * ((dx - dloc) * slope + da * pshapes[0] + db * pshapes[1] + dscale * pscale)

    for n in (3, 4, 5):
        two_shapes_vjp(prim, dist, partials, n, refused)


def two_shapes_vjp(prim, dist, partials, n, refused):
    message = refusal(prim, dist.shapes)

    @defvjp(prim, dtypes=(None,) * n)
    def two_shapes_vjp(g, ans, x, a, b, loc=0.0, scale=1.0, *, active=()):
        if refused and (active[1] or active[2]):
            no_derivative(message)
        w, slope, pscale, pshapes = partials(ans, dist.logpdf(x, a, b, loc, scale), x, (a, b), loc, scale)
        gw = g * w
        gx = gw * slope
        if refused:
            return given(n, (gx, None, None, -gx, gw * pscale))
        return given(n, (gx, gw * pshapes[0], gw * pshapes[1], -gx, gw * pscale))


SHAPES = {0: location_scale, 1: one_shape, 2: two_shapes}

CONTINUOUS = {
    # name: (its standard log-density's partials, its CDF's shape partials; None: none in closed form)
    "norm": (norm_standard, no_shapes),
    "expon": (expon_standard, no_shapes),
    "laplace": (laplace_standard, no_shapes),
    "logistic": (logistic_standard, no_shapes),
    "cauchy": (cauchy_standard, no_shapes),
    "uniform": (uniform_standard, no_shapes),
    "t": (t_standard, None),
    "gamma": (gamma_standard, None),
    "lognorm": (lognorm_standard, lognorm_cdf_shapes),
    "beta": (beta_standard, None),
}


def _continuous(name, standard, cdf_shapes):
    dist = getattr(scipy.stats, name)
    PRIMITIVES.define_freezing(dist)
    shapes = dist.shapes.split(", ") if dist.shapes else []
    operands = (("x", REQUIRED), *((s, REQUIRED) for s in shapes), ("loc", 0.0), ("scale", 1.0))
    for method in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
        prim = getattr(dist, method)
        primitive(prim, name=f"scipy.stats.{name}.{method}", operands=operands, elementwise=True,
                  broadcasting=True, fresh=True, infer=float_broadcast)
        if method in ("logpdf", "pdf"):
            partials, refused = density_partials(standard, method == "logpdf"), False
        else:
            partials, refused = distribution_partials(cdf_shapes or no_shapes, method), cdf_shapes is None
        SHAPES[len(shapes)](prim, dist, partials, refused)


for _name, (_standard, _cdf_shapes) in CONTINUOUS.items():
    _continuous(_name, _standard, _cdf_shapes)


# ---- poisson and binom: derivatives in mu and p ----

def poisson_partial(method):
    """d/dmu of `method`: logpmf (k - loc) / mu - 1 (0 off the support, where it is -inf),
    pmf that times pmf; the distribution functions through cdf(k) = sum of pmf(j) over
    j <= floor(k - loc), whose derivative is -pmf(floor(k - loc))."""

    def partial(ans, k, mu, loc):
        if method == "logpmf":
            return np.where(ans > -np.inf, (k - loc) / mu - 1, 0.0)
        if method == "pmf":
            return ans * ((k - loc) / mu - 1)
        return -density_weight(method, scipy.stats.poisson.logpmf(np.floor(k - loc), mu), ans)

    return partial


def binom_partial(method):
    """d/dp of `method`: logpmf k / p - (n - k) / (1 - p) (k - loc for k), pmf that times
    pmf; the distribution functions through d cdf(k; n, p) / dp = -n pmf(floor(k); n - 1, p)."""

    def partial(ans, k, n, p, loc):
        if method == "logpmf":
            return np.where(ans > -np.inf, (k - loc) / p - (n - k + loc) / (1 - p), 0.0)
        if method == "pmf":
            return ans * ((k - loc) / p - (n - k + loc) / (1 - p))
        return -n * density_weight(method, scipy.stats.binom.logpmf(np.floor(k - loc), n - 1, p), ans)

    return partial


def poisson_rules(prim, partial):
    @defjvp(prim)
    def poisson_jvp(dk, dmu, dloc, ans, k, mu, loc=0):
        return dmu * partial(ans, k, mu, loc)

    for n in (2, 3):
        poisson_vjp(prim, partial, n)


def poisson_vjp(prim, partial, n):
    @defvjp(prim, dtypes=(None,) * n)
    def poisson_vjp(g, ans, k, mu, loc=0):
        return given(n, (None, g * partial(ans, k, mu, loc), None))


def binom_rules(prim, partial):
    @defjvp(prim)
    def binom_jvp(dk, dn, dp, dloc, ans, k, n, p, loc=0):
        return dp * partial(ans, k, n, p, loc)

    for count in (3, 4):
        binom_vjp(prim, partial, count)


def binom_vjp(prim, partial, count):
    @defvjp(prim, dtypes=(None,) * count)
    def binom_vjp(g, ans, k, n, p, loc=0):
        return given(count, (None, None, g * partial(ans, k, n, p, loc), None))


def _discrete(name, partial, rules):
    dist = getattr(scipy.stats, name)
    PRIMITIVES.define_freezing(dist)
    operands = (("k", REQUIRED), *((s, REQUIRED) for s in dist.shapes.split(", ")), ("loc", 0))
    for method in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"):
        prim = getattr(dist, method)
        primitive(prim, name=f"scipy.stats.{name}.{method}", operands=operands, elementwise=True,
                  broadcasting=True, fresh=True, infer=float_broadcast)
        rules(prim, partial(method))


_discrete("poisson", poisson_partial, poisson_rules)
_discrete("binom", binom_partial, binom_rules)


# ---- dirichlet: x with its components along the first axis ----

def dirichlet_kind(op, kinds, producers):
    """One density per point: a number for one point `x` (K,), N numbers for `x` (K, N)."""
    x = kinds[0]
    if not isinstance(x, Array) or x.ndim not in (1, 2):
        return None
    return Scalar("float") if x.ndim == 1 else array_kind(None if x.shape is None else x.shape[1:], "float", 1)


def dirichlet_partials(x, alpha):
    """d logpdf / dx in x's shape, and d logpdf / d alpha of each point ((N, K) or (K,)),
    of x with K components along its first axis, or K - 1: the last is then 1 minus the
    sum of the others (as SciPy reads it), and its partial enters each of them with a minus."""
    points = x.T
    implied = np.shape(x)[0] < np.size(alpha)
    if implied:
        points = np.concatenate([points, 1 - np.sum(points, axis=-1, keepdims=True)], axis=-1)
    d = (alpha - 1) / points
    if implied:
        d = d[..., :-1] - d[..., -1:]
    palpha = np.log(points) - scipy.special.digamma(alpha) + scipy.special.digamma(np.sum(alpha))
    return d.T, palpha


def dirichlet_rules(prim, log):
    """logpdf (`log`) or pdf, whose derivatives are pdf times logpdf's."""

    @defjvp(prim, broadcasting=False)
    def dirichlet_jvp(dx, dalpha, ans, x, alpha, *, batch=0):
        px, palpha = dirichlet_partials(x, alpha)
        tangent = np.sum(dx * px, axis=batch) + dalpha @ palpha.T
        return tangent if log else ans * tangent

    @defvjp(prim, broadcasting=False)
    def dirichlet_vjp(g, ans, x, alpha):
        g = g if log else g * ans
        px, palpha = dirichlet_partials(x, alpha)
        return g * px, np.sum(np.reshape(g, (-1, 1)) * np.reshape(palpha, (-1, np.size(alpha))), axis=0)


PRIMITIVES.define_freezing(scipy.stats.dirichlet)
for _method in ("logpdf", "pdf"):
    _prim = getattr(scipy.stats.dirichlet, _method)
    primitive(_prim, name=f"scipy.stats.dirichlet.{_method}", operands=(("x", REQUIRED), ("alpha", REQUIRED)),
              arity=2, fresh=True, infer=dirichlet_kind)
    dirichlet_rules(_prim, _method == "logpdf")


# ---- multivariate_normal ----

def _mvn_probe(op, x, mean, cov):
    """The result of SciPy on probes of the operands' shapes (a covariance it accepts)."""
    cov = np.eye(len(cov)) if np.ndim(cov) == 2 else np.ones_like(cov)
    return scipy.stats.multivariate_normal.logpdf(x, mean, cov)


def mvn_operands(x, mean, cov, known):
    """SciPy's reading of the operands: the points as the rows of X (n, d), X minus the
    mean (`known`: the mean is an array, a rule for a float mean; else it may be None,
    zeros), the inverse of the covariance matrix, and `lower` and `eye`, which make it
    (`symmetric`). d is the mean's size, else the covariance's."""
    d = max(np.size(mean), np.shape(np.atleast_2d(cov))[0])
    X = np.reshape(x, (-1, d))
    if known:
        R = X - mean
    else:
        R = X if mean is None else X - mean
    eye = np.eye(d)
    lower = np.tri(d)
    return X, R, np.linalg.inv(symmetric(matrix(cov, eye), lower, eye)), lower, eye


def matrix(cov, eye):
    """The covariance matrix `cov` gives: itself, a number times the identity, or a vector
    on the diagonal."""
    if np.ndim(cov) == 2:
        return cov
    return cov * eye


def symmetric(C, lower, eye):
    """The lower triangle of C (of each matrix of a stack), mirrored: what SciPy reads."""
    low = C * lower
    return low + np.swapaxes(low, -1, -2) - C * eye


def covariance_cotangent(G, cov, lower, eye):
    """The cotangent of `cov` from that of the matrix it makes (`matrix`, then `symmetric`)."""
    G = (G + G.T) * lower - G * eye
    if np.ndim(cov) == 2:
        return G
    return np.sum(np.reshape(G * eye, (-1,) + np.shape(cov)), axis=0)


def directions(t, batch):
    """The batch axes of a tangent: its leading axis of directions in batched mode."""
    if batch:
        return (np.shape(t)[0],)
    return ()


def mvn_rules(prim, log):
    """Of logpdf (`log`) or pdf. A rule for a mean of floats, one for any other (None)."""
    for dtypes in ((None, "float"), (None, "float", None)):
        mvn_jvp(prim, log, True, dtypes)
        mvn_vjp(prim, log, True, dtypes)
    mvn_jvp(prim, log, False, None)
    for n in (1, 2, 3):
        mvn_vjp(prim, log, False, (None,) * n)


def mvn_jvp(prim, log, known, dtypes):
    @defjvp(prim, broadcasting=False, dtypes=dtypes)
    def mvn_jvp(dx, dmean, dcov, ans, x, mean=None, cov=1, allow_singular=False, *, batch=0):
        X, R, Cinv, lower, eye = mvn_operands(x, mean, cov, known)
        S = R @ Cinv
        tx = -np.sum(np.reshape(dx, directions(dx, batch) + np.shape(X)) * S, axis=-1)
        tmean = np.sum(np.reshape(dmean, directions(dmean, batch) + (1, -1)) * S, axis=-1)
        dC = np.reshape(dcov, directions(dcov, batch) + np.shape(np.atleast_2d(cov)))
        dC = symmetric(dC if np.ndim(cov) == 2 else dC * eye, lower, eye)
        tcov = 0.5 * (np.sum((S @ dC) * S, axis=-1) - np.expand_dims(np.sum(Cinv * dC, axis=(-2, -1)), -1))
        shape = np.shape(ans)
        tangent = np.reshape(tx, directions(dx, batch) + shape) + np.reshape(tmean, directions(dmean, batch) + shape) \
            + np.reshape(tcov, directions(dcov, batch) + shape)
        return tangent if log else ans * tangent


def mvn_vjp(prim, log, known, dtypes):
    n = len(dtypes)

    @defvjp(prim, broadcasting=False, dtypes=dtypes)
    def mvn_vjp(g, ans, x, mean=None, cov=1, allow_singular=False):
        X, R, Cinv, lower, eye = mvn_operands(x, mean, cov, known)
        S = R @ Cinv
        gn = np.reshape(g if log else g * ans, (-1, 1))
        gS = gn * S
        G = 0.5 * (gS.T @ S - np.sum(gn) * Cinv)
        gmean = np.sum(np.reshape(np.sum(gS, axis=0), (-1,) + np.shape(mean)), axis=0)
        return given(n, (-np.reshape(gS, np.shape(x)), gmean, covariance_cotangent(G, cov, lower, eye)))


PRIMITIVES.define_freezing(scipy.stats.multivariate_normal)
for _method in ("logpdf", "pdf"):
    _prim = getattr(scipy.stats.multivariate_normal, _method)
    primitive(_prim, name=f"scipy.stats.multivariate_normal.{_method}",
              operands=(("x", REQUIRED), ("mean", None), ("cov", 1)), fresh=True, infer=by_probing(_mvn_probe))
    mvn_rules(_prim, _method == "logpdf")
