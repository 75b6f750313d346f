"""SciPy's special functions (`scipy.special`), and the NumPy and `math` functions whose
slopes are special functions NumPy lacks (`np.i0`, `math.gamma`, `math.lgamma`). Defined
when SciPy is first seen (`primitives.__init__`); emitted code calls them through
`import scipy.special as special` (`special.gammaln(x)`).

Elementwise functions are given by their slopes (`ufuncs.elementwise_rules` and
`binary_rules`); zeta, softmax, log_softmax and logsumexp have rules of their own.

Conventions, as JAX's `jax.scipy.special` where it has the function:

- `xlogy(x, y)`: `log(y)` for x; `x / y` for y, 0 where x == 0 (xlogy(0, y) is 0 for
  every y; JAX gives NaN at (0, 0)); `xlog1py` likewise.
- `entr(x)`: `-(log(x) + 1)` (+inf at 0), 0 for x < 0 (where entr is -inf).
- `rel_entr(x, y)`: `log(x / y) + 1` and `-x / y` where both are positive, else 0 (JAX's
  `where`); `kl_div` is `rel_entr(x, y) - x + y`, so its slopes are those minus 1 and
  plus 1 everywhere.
- `i1`, `j1`, `i1e` at 0 (a division by x elsewhere): Taylor polynomials, right to the
  third derivative for i1 and j1; `i0e` at 0 (a kink of exp(-|x|)): `sign(0) = 0`, the
  mean of the one-sided slopes, as JAX's.
- `polygamma(n, x)`, `multigammaln(a, d)`: no derivative along the integers n and d.
- Bessel functions of order v (`jv`, `yv`, `iv`, `kv`, `ive`, `kve`, `jn`, `yn`) and the
  regularized incomplete gamma functions (`gammainc(a, x)`, `gammaincc`): along x only
  (their slopes in v and a have no closed form: refused there).
- `zeta(x, q)`: along q, `-x zeta(x + 1, q)`; along x, which has no closed form, the
  derivative of the Euler-Maclaurin sum `zeta_slope` (JAX's `_zeta_series_expansion`).
- `logsumexp(a, axis, b)`: along a and the weights b; `return_sign=True` (a tuple
  result) is refused.
"""

from __future__ import annotations

import math
from inspect import Parameter

import numpy as np
import scipy.special as special

from ..errors import NoDerivativeError
from ..runtime import _run
from .helpers import batch_axis, reduce_tangent
from .kinds import broadcast, float_of, is_none, ufunc_kind
from .record import compile_time, defjvp, defvjp, defzero, primitive
from .reductions import reduction_kind
from .ufuncs import binary_rules, elementwise_rules, nonzero

unbroadcast = _run("unbroadcast")

_SYMPY = {
    "expit": lambda sp, x: 1 / (1 + sp.exp(-x)),
    "logit": lambda sp, x: sp.log(x / (1 - x)),
    "log_expit": lambda sp, x: -sp.log(1 + sp.exp(-x)),
    "softplus": lambda sp, x: sp.log(1 + sp.exp(x)),
    "erf": "erf", "erfc": "erfc", "erfi": "erfi",
    "erfcx": lambda sp, x: sp.exp(x ** 2) * sp.erfc(x),
    "ndtr": lambda sp, x: (1 + sp.erf(x / sp.sqrt(2))) / 2,
    "log_ndtr": lambda sp, x: sp.log((1 + sp.erf(x / sp.sqrt(2))) / 2),
    "xlogy": lambda sp, x, y: x * sp.log(y), "xlog1py": lambda sp, x, y: x * sp.log(1 + y),
    "entr": lambda sp, x: -x * sp.log(x), "rel_entr": lambda sp, x, y: x * sp.log(x / y),
    "kl_div": lambda sp, x, y: x * sp.log(x / y) - x + y,
    "exp1": lambda sp, x: sp.expint(1, x), "expi": "Ei",
    "expm1": lambda sp, x: sp.exp(x) - 1, "log1p": lambda sp, x: sp.log(1 + x),
    "exp2": lambda sp, x: 2 ** x, "exp10": lambda sp, x: 10 ** x, "cbrt": lambda sp, x: x ** sp.Rational(1, 3),
    "cosm1": lambda sp, x: sp.cos(x) - 1,
    "sindg": lambda sp, x: sp.sin(sp.pi * x / 180), "cosdg": lambda sp, x: sp.cos(sp.pi * x / 180),
    "tandg": lambda sp, x: sp.tan(sp.pi * x / 180), "cotdg": lambda sp, x: sp.cot(sp.pi * x / 180),
}
"""The SymPy counterparts (a SymPy function's name, or the expression of SymPy and the
arguments) of the functions whose derivatives the symbolic check can evaluate: it
lambdifies them for the `math` module, which has no polygamma, inverse error function,
Bessel or zeta function (the gamma, Bessel and zeta families have none here)."""

for _name in ("softplus", "polygamma", "zeta", "multigammaln", "softmax", "log_softmax", "logsumexp", "digamma"):
    # (named as `scipy.special` has them: functions of its private modules, a ufunc named psi)
    primitive(getattr(special, _name), name=f"scipy.special.{_name}")
for _name, _sympy in _SYMPY.items():
    primitive(getattr(special, _name), sympy=_sympy)
primitive(special.softplus, special.polygamma, special.zeta, elementwise=True, fresh=True, infer=ufunc_kind)
primitive(special.softplus, arity=1)
primitive(special.polygamma, broadcasting=True, arity=2)
primitive(special.zeta, broadcasting=True)


def float_like_first(op, kinds, producers):
    """The first operand's shape, of floats (softmax, multigammaln)."""
    return broadcast(kinds[:1], float_of(kinds[0].dtype)) if kinds and hasattr(kinds[0], "dtype") else None


def logsumexp_kind(op, kinds, producers):
    """A reduction of `a` broadcast against the weights `b`, when given."""
    weighed = kinds[:1] if len(kinds) < 3 or is_none(op.inputs[2]) else [kinds[0], kinds[2]]
    shape = broadcast(weighed, "float")
    return reduction_kind(op, [shape], producers) if shape is not None else None


primitive(special.softmax, special.log_softmax, infer=float_like_first, fresh=True)
primitive(special.multigammaln, arity=2, elementwise=True, infer=float_like_first, fresh=True)
primitive(special.logsumexp, infer=logsumexp_kind, reduces=True, fresh=True,
          operands=(("a", Parameter.empty), ("axis", None), ("b", None)))
defzero(special.gammasgn, special.round)


# --- slopes of functions of one operand (x, and the result ans) ---------------------

def expit_slope(x, ans):
    return ans * (1 - ans)


def logit_slope(x, ans):
    return 1 / (x * (1 - x))


def log_expit_slope(x, ans):
    return special.expit(-x)


def softplus_slope(x, ans):
    return special.expit(x)


def digamma_slope(x, ans):
    """Of log|gamma| (gammaln, loggamma, math.lgamma)."""
    return special.digamma(x)


def gamma_slope(x, ans):
    return ans * special.digamma(x)


def trigamma_slope(x, ans):
    return special.polygamma(1, x)


def erf_slope(x, ans):
    return 1.1283791670955126 * np.exp(-x * x)  # 2 / sqrt(pi)


def erfc_slope(x, ans):
    return -1.1283791670955126 * np.exp(-x * x)


def erfinv_slope(x, ans):
    return 0.886226925452758 * np.exp(ans * ans)  # sqrt(pi) / 2


def erfcinv_slope(x, ans):
    return -0.886226925452758 * np.exp(ans * ans)


def erfi_slope(x, ans):
    return 1.1283791670955126 * np.exp(x * x)


def erfcx_slope(x, ans):
    return 2 * x * ans - 1.1283791670955126


def dawsn_slope(x, ans):
    return 1 - 2 * x * ans


def rgamma_slope(x, ans):
    return -ans * special.digamma(x)  # (rgamma is 1 / gamma)


def wrightomega_slope(x, ans):
    return ans / (1 + ans)  # (w + log w = x)


def ndtr_slope(x, ans):
    return 0.3989422804014327 * np.exp(-0.5 * x * x)  # 1 / sqrt(2 pi)


def log_ndtr_slope(x, ans):
    """The normal density over ndtr, as one exponential: finite far in the left tail."""
    return np.exp(-0.5 * x * x - ans - 0.9189385332046727)  # log(sqrt(2 pi))


def ndtri_slope(x, ans):
    return 2.5066282746310002 * np.exp(0.5 * ans * ans)  # sqrt(2 pi)


def entr_slope(x, ans):
    return np.where(x < 0, 0.0, -(np.log(x) + 1))


def i0_slope(x, ans):
    return special.i1(x)


def i1_slope(x, ans):
    """`i0(x) - i1(x) / x`; at 0, `1/2 + 3/16 x^2`."""
    return np.where(x == 0, 0.5 + 0.1875 * x * x, special.i0(x) - ans / nonzero(x))


def i0e_slope(x, ans):
    return special.i1e(x) - np.sign(x) * ans


def i1e_slope(x, ans):
    return np.where(x == 0, 0.5 + 0.1875 * x * x, special.i0e(x) - ans / nonzero(x)) - np.sign(x) * ans


def j0_slope(x, ans):
    return -special.j1(x)


def j1_slope(x, ans):
    """`j0(x) - j1(x) / x`; at 0, `1/2 - 3/16 x^2`."""
    return np.where(x == 0, 0.5 - 0.1875 * x * x, special.j0(x) - ans / nonzero(x))


def y0_slope(x, ans):
    return -special.y1(x)


def y1_slope(x, ans):
    return special.y0(x) - ans / x


def k0_slope(x, ans):
    return -special.k1(x)


def k1_slope(x, ans):
    return -special.k0(x) - ans / x


def k0e_slope(x, ans):
    return ans - special.k1e(x)


def k1e_slope(x, ans):
    return ans - special.k0e(x) - ans / x


def exp1_slope(x, ans):
    return -np.exp(-x) / x


def expi_slope(x, ans):
    return np.exp(x) / x


def expm1_slope(x, ans):
    return ans + 1


def log1p_slope(x, ans):
    return 1 / (1 + x)


def exp2_slope(x, ans):
    return ans * 0.6931471805599453


def exp10_slope(x, ans):
    return ans * 2.302585092994046


def cbrt_slope(x, ans):
    return 1 / (3 * ans * ans)


def cosm1_slope(x, ans):
    return -np.sin(x)


def sindg_slope(x, ans):
    return 0.017453292519943295 * special.cosdg(x)  # pi / 180


def cosdg_slope(x, ans):
    return -0.017453292519943295 * special.sindg(x)


def tandg_slope(x, ans):
    return 0.017453292519943295 * (1 + ans * ans)


def cotdg_slope(x, ans):
    return -0.017453292519943295 * (1 + ans * ans)


for _fn, _slope in (
    (special.expit, expit_slope), (special.logit, logit_slope), (special.log_expit, log_expit_slope),
    (special.softplus, softplus_slope),
    (special.gammaln, digamma_slope), (special.loggamma, digamma_slope), (math.lgamma, digamma_slope),
    (special.gamma, gamma_slope), (math.gamma, gamma_slope), (special.digamma, trigamma_slope),
    (special.erf, erf_slope), (special.erfc, erfc_slope), (special.erfinv, erfinv_slope),
    (special.erfcinv, erfcinv_slope), (special.erfi, erfi_slope), (special.erfcx, erfcx_slope),
    (special.dawsn, dawsn_slope), (special.wrightomega, wrightomega_slope), (special.rgamma, rgamma_slope), (special.ndtr, ndtr_slope), (special.log_ndtr, log_ndtr_slope),
    (special.ndtri, ndtri_slope), (special.entr, entr_slope),
    (special.i0, i0_slope), (np.i0, i0_slope), (special.i1, i1_slope), (special.i0e, i0e_slope),
    (special.i1e, i1e_slope), (special.j0, j0_slope), (special.j1, j1_slope), (special.y0, y0_slope),
    (special.y1, y1_slope), (special.k0, k0_slope), (special.k1, k1_slope), (special.k0e, k0e_slope),
    (special.k1e, k1e_slope), (special.exp1, exp1_slope), (special.expi, expi_slope),
    (special.expm1, expm1_slope), (special.log1p, log1p_slope), (special.exp2, exp2_slope),
    (special.exp10, exp10_slope), (special.cbrt, cbrt_slope), (special.cosm1, cosm1_slope),
    (special.sindg, sindg_slope), (special.cosdg, cosdg_slope), (special.tandg, tandg_slope),
    (special.cotdg, cotdg_slope),
):
    elementwise_rules(_fn, _slope)


# --- slopes of functions of two operands ---------------------------------------------

def xlogy_slopes(x, y, ans):
    return np.log(y), np.where(x == 0, 0.0, x / y)


def xlog1py_slopes(x, y, ans):
    return np.log1p(y), np.where(x == 0, 0.0, x / (1 + y))


def betaln_slopes(a, b, ans):
    both = special.digamma(a + b)
    return special.digamma(a) - both, special.digamma(b) - both


def beta_slopes(a, b, ans):
    sa, sb = betaln_slopes(a, b, ans)
    return ans * sa, ans * sb


def poch_slopes(z, m, ans):
    """poch(z, m) = gamma(z + m) / gamma(z)."""
    after = special.digamma(z + m)
    return ans * (after - special.digamma(z)), ans * after


def rel_entr_slopes(x, y, ans):
    inside = np.logical_and(x > 0, y > 0)
    return np.where(inside, np.log(x / y) + 1, 0.0), np.where(inside, -x / y, 0.0)


def kl_div_slopes(x, y, ans):
    sx, sy = rel_entr_slopes(x, y, ans)
    return sx - 1, sy + 1


def polygamma_slope(n, x, ans):
    return special.polygamma(n + 1, x)


def jv_slope(v, x, ans):
    return 0.5 * (special.jv(v - 1, x) - special.jv(v + 1, x))


def yv_slope(v, x, ans):
    return 0.5 * (special.yv(v - 1, x) - special.yv(v + 1, x))


def iv_slope(v, x, ans):
    return 0.5 * (special.iv(v - 1, x) + special.iv(v + 1, x))


def ive_slope(v, x, ans):
    """(ive is iv(v, x) exp(-|x|))"""
    return 0.5 * (special.ive(v - 1, x) + special.ive(v + 1, x)) - np.sign(x) * ans


def kv_slope(v, x, ans):
    return -0.5 * (special.kv(v - 1, x) + special.kv(v + 1, x))


def kve_slope(v, x, ans):
    """(kve is kv(v, x) exp(x))"""
    return ans - 0.5 * (special.kve(v - 1, x) + special.kve(v + 1, x))


def gammainc_slope(a, x, ans):
    """The integrand at x: x^(a-1) e^-x / gamma(a)."""
    return np.exp((a - 1) * np.log(x) - x - special.gammaln(a))


def gammaincc_slope(a, x, ans):
    return -gammainc_slope(a, x, ans)


def multigammaln_slope(a, d, ans):
    """The sum of digamma(a - j / 2) over j < d."""
    return np.sum(special.digamma(np.expand_dims(a, -1) - 0.5 * np.arange(d)), axis=-1)


for _fn, _slopes in (
    (special.xlogy, xlogy_slopes), (special.xlog1py, xlog1py_slopes), (special.betaln, betaln_slopes),
    (special.beta, beta_slopes), (special.poch, poch_slopes), (special.rel_entr, rel_entr_slopes),
    (special.kl_div, kl_div_slopes),
):
    binary_rules(_fn, _slopes)
binary_rules(special.polygamma, polygamma_slope, along=(1,))
for _fn, _slope in (  # (along x: the order v, an integer or a parameter, has none here)
    (special.jv, jv_slope), (special.yv, yv_slope), (special.iv, iv_slope), (special.ive, ive_slope),
    (special.kv, kv_slope), (special.kve, kve_slope), (special.gammainc, gammainc_slope),
    (special.gammaincc, gammaincc_slope),
):
    binary_rules(_fn, _slope, along=(1,))
if special.jn is not special.jv:  # (an alias of jv in SciPy 1.x)
    binary_rules(special.jn, jv_slope, along=(1,))
binary_rules(special.yn, yv_slope, along=(1,))
binary_rules(special.multigammaln, multigammaln_slope, along=(0,))


# --- zeta -------------------------------------------------------------------------------

def zeta_slope(x, q):
    """d zeta(x, q) / dx, from the Euler-Maclaurin sum of zeta(s, q) = sum (q + k)^-s after
    its first 10 terms: the derivative of those terms, of the integral of the rest, of
    half the next, and of 6 Bernoulli corrections, `B_2j / (2j)! (s)_m n^(-s-m)` for
    m = 2j - 1 (the rising factorial `(s)_m = exp(gammaln(s + m) - gammaln(s))`); for
    x > 1, q > 0, to about 1e-15 relative."""
    orders = np.arange(1.0, 12.0, 2.0)
    bernoulli = np.array([1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000])
    s = np.expand_dims(x, -1)
    head = np.expand_dims(q, -1) + np.arange(10.0)
    n = q + 10.0
    log_n = np.log(n)
    power = n ** -x
    tail = n * power * (-log_n / (x - 1) - 1 / (x - 1) ** 2) - 0.5 * log_n * power
    nn = np.expand_dims(n, -1)
    terms = bernoulli * np.exp(special.gammaln(s + orders) - special.gammaln(s)) * nn ** -(s + orders)
    corrections = np.sum(terms * (special.digamma(s + orders) - special.digamma(s) - np.log(nn)), axis=-1)
    return tail + corrections - np.sum(np.log(head) * head ** -s, axis=-1)


@defvjp(special.zeta)
def zeta_vjp(g, ans, *operands):
    """`zeta(x)` is Riemann's zeta, Hurwitz's at q = 1 (the operands as a sequence: its
    length is known while lowering, an operand's absence is not)."""
    if len(operands) == 1:
        return g * zeta_slope(operands[0], 1.0)
    x, q = operands
    return g * zeta_slope(x, q), -g * x * special.zeta(x + 1, q)


@defjvp(special.zeta)
def zeta_jvp(doperands, ans, *operands):
    if len(operands) == 1:
        return doperands[0] * zeta_slope(operands[0], 1.0)
    x, q = operands
    dx, dq = doperands
    return dx * zeta_slope(x, q) - dq * (x * special.zeta(x + 1, q))


# --- softmax, log_softmax, logsumexp ----------------------------------------------------

def sum_keepdims(t, x, axis, batch=0):
    """`np.sum(t, axis, keepdims=True)` of `t`, of `x`'s shape after `batch` leading axes
    of directions: over every axis but those for axis None (without directions, a number,
    which broadcasts as well). Of a number with directions, `t` itself (NumPy takes axis 0
    or -1 of a number: they are not the directions' axis)."""
    if batch and np.ndim(x) == 0:
        return t
    if axis is None and not batch:
        return np.sum(t)
    if axis is None:
        directions = (np.shape(t)[0],)
        total = np.sum(np.reshape(t, directions + (np.size(x),)), axis=1)
        return np.reshape(total, directions + np.shape(np.sum(x, keepdims=True)))
    return np.sum(t, axis=batch_axis(axis, batch), keepdims=True)


@defvjp(special.softmax, broadcasting=False)
def softmax_vjp(g, ans, x, axis=None):
    return ans * (g - sum_keepdims(g * ans, x, axis))


@defjvp(special.softmax, broadcasting=False)
def softmax_jvp(dx, ans, x, axis=None, *, batch=0):
    return ans * (dx - sum_keepdims(dx * ans, x, axis, batch))


@defvjp(special.log_softmax, broadcasting=False)
def log_softmax_vjp(g, ans, x, axis=None):
    return g - np.exp(ans) * sum_keepdims(g, x, axis)


@defjvp(special.log_softmax, broadcasting=False)
def log_softmax_jvp(dx, ans, x, axis=None, *, batch=0):
    return dx - sum_keepdims(dx * np.exp(ans), x, axis, batch)


@compile_time
def refuse_sign(return_sign):
    if return_sign:
        raise NoDerivativeError("scipy.special.logsumexp with return_sign=True returns a tuple, which has no "
                                "derivative rule: differentiate logsumexp of positive weights instead")


def logsumexp_axis(operands):
    """The `axis` of logsumexp's operands `a, axis, b` (a sequence: whether axis and b are
    given is known while lowering, whether b is None when given is not)."""
    return operands[1] if len(operands) > 1 else None


@defvjp(special.logsumexp, broadcasting=False)
def logsumexp_vjp(g, ans, *operands, keepdims=False, return_sign=False):
    """`g` shared by the entries as `b exp(a - ans)` (the softmax of a, weighed); the
    weights b get `exp(a - ans)`."""
    refuse_sign(return_sign)
    a, axis = operands[0], logsumexp_axis(operands)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
    share = g * np.exp(a - ans)
    if len(operands) < 3:
        return share
    b = operands[2]
    share = np.broadcast_to(share, np.broadcast_shapes(np.shape(share), np.shape(b)))
    return unbroadcast(share * b, a), None, unbroadcast(share, b)


@defjvp(special.logsumexp, broadcasting=False)
def logsumexp_jvp(doperands, ans, *operands, keepdims=False, return_sign=False, batch=0):
    refuse_sign(return_sign)
    a, axis = operands[0], logsumexp_axis(operands)
    full = ans
    if axis is not None and not keepdims:
        full = np.expand_dims(ans, axis)
    weight = np.exp(a - full)
    if len(operands) < 3:
        return reduce_tangent(doperands[0] * weight, ans, a, axis, keepdims, batch)
    weighed = operands[2] * weight
    da, db = doperands[0], doperands[2]
    if batch:  # (directions last, so that a, b and their tangents broadcast from the right)
        t = np.moveaxis(np.moveaxis(da, 0, -1) * weighed[..., None] + np.moveaxis(db, 0, -1) * weight[..., None], -1, 0)
    else:
        t = da * weighed + db * weight
    return reduce_tangent(t, ans, weighed, axis, keepdims, batch)
