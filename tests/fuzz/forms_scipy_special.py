"""Calls of SciPy's special functions (`primitives/scipy_special.py`, spelled as a user
who wrote `from scipy import special` would), and of `np.i0`, `math.gamma` and
`math.lgamma`, whose rules are defined with them. Operands are moved into each
function's domain and away from its kinks: `1.0 + x * x` for a positive argument, a
squashed `np.tanh(x)` for one in (-1, 1), `special.expit(x)` for a probability."""

from __future__ import annotations

from .forms import Form, only, same
from .scope import Shape

POSITIVE = "1.0 + {0} * {0}"
"""An operand in [1, inf): gamma functions, Bessel functions of the second kind."""


def unary(name: str, argument: str = "{0}", weight: float = 1.0) -> Form:
    return Form(f"special.{name}({argument})", same(), (f"scipy.special.{name}",), weight=weight)


def binary(name: str, first: str, second: str, weight: float = 1.0) -> Form:
    return Form(f"special.{name}({first}, {second.replace('{0}', '{1}')})", same(2), (f"scipy.special.{name}",),
                weight=weight)


def rows(shape: Shape) -> tuple[Shape, ...] | None:
    """A (rows, 3) operand for a result of `rows` entries (reduced along axis 1)."""
    return ((shape[0], 3),) if len(shape) == 1 else None


FORMS = [
    unary("expit"), unary("log_expit"), unary("softplus"), unary("logit", "special.expit({0})"),
    unary("gammaln", POSITIVE), unary("loggamma", POSITIVE), unary("gamma", "1.0 + 0.5 * np.tanh({0})"),
    unary("digamma", POSITIVE), unary("erf"), unary("erfc"), unary("erfinv", "0.9 * np.tanh({0})"),
    unary("erfcinv", "1.0 + 0.9 * np.tanh({0})"), unary("ndtr"), unary("log_ndtr"),
    unary("ndtri", "special.expit({0})"), unary("entr", "0.1 + {0} * {0}"),
    Form("special.polygamma(1, 1.0 + {0} * {0})", same(), ("scipy.special.polygamma",)),
    Form("special.multigammaln(2.0 + {0} * {0}, 3)", same(), ("scipy.special.multigammaln",)),
    *(Form(f"special.{name}(1.5, 0.5 + {{0}} * {{0}})", same(), (f"scipy.special.{name}",), weight=0.3)
      for name in ("jv", "yv", "iv", "ive", "kv", "kve", "gammainc", "gammaincc")),
    *(Form(f"special.{name}(2, 0.5 + {{0}} * {{0}})", same(), (f"scipy.special.{name}",), weight=0.3)
      for name in ("jn", "yn")),
    binary("xlogy", "{0}", POSITIVE), binary("xlog1py", "{0}", "{0} * {0}"),
    binary("betaln", POSITIVE, POSITIVE), binary("beta", POSITIVE, POSITIVE),
    binary("rel_entr", "0.1 + {0} * {0}", "0.1 + {0} * {0}"), binary("kl_div", "0.1 + {0} * {0}", "0.1 + {0} * {0}"),
    binary("zeta", "2.0 + {0} * {0}", POSITIVE), unary("zeta", "2.0 + {0} * {0}"),
    binary("poch", POSITIVE, "np.tanh({0})", weight=0.5),
    Form("special.softmax({0})", same(), ("scipy.special.softmax",)),
    Form("special.softmax({0}, axis=-1)", same(), ("scipy.special.softmax",)),
    Form("special.log_softmax({0}, axis=0)", lambda shape: (shape,) if shape else None,
         ("scipy.special.log_softmax",)),
    Form("special.logsumexp({0})", only((), (2, 3)), ("scipy.special.logsumexp",)),
    Form("special.logsumexp({0}, axis=1)", rows, ("scipy.special.logsumexp",)),
    Form("special.logsumexp({0}, axis=0, b=1.0 + {1} * {1})", lambda shape: ((2,) + shape, shape) if len(shape) == 1
         else None, ("scipy.special.logsumexp",)),
    unary("i0"), unary("i1"), unary("i0e", POSITIVE), unary("i1e", POSITIVE),
    *(unary(name, weight=0.3) for name in ("erfi", "erfcx", "dawsn", "j0", "j1", "expm1", "exp2", "exp10",
                                          "cbrt", "cosm1", "sindg", "cosdg")),
    *(unary(name, POSITIVE, weight=0.3) for name in ("y0", "y1", "k0", "k1", "k0e", "k1e", "exp1", "expi",
                                                    "log1p", "tandg")),
    unary("cotdg", "45.0 + np.tanh({0})", weight=0.3),
    Form("np.i0({0})", same(), ("np.i0",)),
    Form("math.gamma(1.0 + 0.5 * math.tanh({0}))", only((), ()), ("math.gamma",), weight=0.5),
    Form("math.lgamma(1.0 + {0} * {0})", only((), ()), ("math.lgamma",), weight=0.5),
]
