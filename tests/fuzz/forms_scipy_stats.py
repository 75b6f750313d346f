"""Calls of scipy.stats' distributions (`primitives/scipy_stats.py`), with operands moved
into each support: `1.0 + y * y` for a scale or a shape parameter, `0.1 + x * x` for a
positive x, `0.5 + 0.4 * np.tanh(x)` for one in (0, 1), `exp(x) / sum(exp(x))` for a
point of the simplex; some through a frozen distribution (`norm(mu, s).logpdf(x)`). The
CDFs of t, gamma and beta take a constant shape parameter
(they have no derivative in it); with no VJP rule, reverse mode refuses them (weight
0.2)."""

from __future__ import annotations

from .forms import Form, only, same
from .scope import Shape

METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
DENSITIES = METHODS[:2]
DISCRETE = ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")
SCALE = "1.0 + {2} * {2}"
"""The third operand as a scale (or a second shape parameter)."""
UNIT = "0.5 + 0.4 * np.tanh({0})"


def form(name: str, methods: tuple[str, ...], arguments: str, n: int, weight: float = 0.25) -> list[Form]:
    """`scipy.stats.name.method(arguments)` for each method: elementwise in `n` operands."""
    return [Form(f"scipy.stats.{name}.{method}({arguments})", same(n), (f"scipy.stats.{name}.{method}",),
                 weight=weight) for method in methods]


def columns(shape: Shape) -> tuple[Shape, ...] | None:
    """Points of the 3-simplex as the columns of x (3, n), for a result of n densities."""
    return ((3,) + shape, (3,)) if len(shape) == 1 else None


def rows(shape: Shape) -> tuple[Shape, ...] | None:
    """Points of R^3 as the rows of x (n, 3), for a result of n densities."""
    return (shape + (3,), (3,), (3, 3)) if len(shape) == 1 else None


FORMS = [
    *(f for name in ("norm", "logistic", "cauchy", "laplace")
      for f in form(name, METHODS, f"{{0}}, {{1}}, {SCALE}", 3)),
    *form("expon", METHODS, f"{{1}} + 0.1 + {{0}} * {{0}}, {{1}}, {SCALE}", 3),
    *form("uniform", METHODS, f"{{1}} + ({SCALE}) * ({UNIT}), {{1}}, {SCALE}", 3),
    *form("lognorm", METHODS, f"0.1 + {{0}} * {{0}}, 0.5 + {{1}} * {{1}}, scale={SCALE}", 3),
    *form("t", DENSITIES, f"{{0}}, 1.0 + {{1}} * {{1}}, scale={SCALE}", 3),
    *form("t", METHODS[2:], f"{{0}}, 3.0, {{1}}, {SCALE}", 3, weight=0.2),
    *form("gamma", DENSITIES, f"0.1 + {{0}} * {{0}}, 1.0 + {{1}} * {{1}}, scale={SCALE}", 3),
    *form("gamma", METHODS[2:], "0.1 + {0} * {0}, 2.5, scale=1.0 + {1} * {1}", 2, weight=0.2),
    *form("beta", DENSITIES, f"{UNIT}, 1.0 + {{1}} * {{1}}, {SCALE}", 3),
    *form("beta", METHODS[2:], f"{UNIT}, 2.0, 3.0", 1, weight=0.2),
    *form("poisson", DISCRETE, "2, 1.0 + {0} * {0}", 1),
    *form("poisson", ("logpmf", "cdf"), "np.floor(3.0 * np.abs({1})), 1.0 + {0} * {0}", 2),
    *form("binom", DISCRETE, f"2, 6, {UNIT}", 1),
    *(Form(f"scipy.stats.dirichlet.{method}(np.exp({{0}}) / np.sum(np.exp({{0}})), 1.0 + {{1}} * {{1}})",
           only((), (3,), (3,)), (f"scipy.stats.dirichlet.{method}",), weight=0.5) for method in DENSITIES),
    *(Form(f"scipy.stats.dirichlet.{method}(np.exp({{0}}) / np.sum(np.exp({{0}}), axis=0), 1.0 + {{1}} * {{1}})",
           columns, (f"scipy.stats.dirichlet.{method}",), weight=0.5) for method in DENSITIES),
    *(Form(f"scipy.stats.multivariate_normal.{method}({{0}}, {{1}}, {{2}} @ {{2}}.T + np.eye(3))",
           only((), (3,), (3,), (3, 3)), (f"scipy.stats.multivariate_normal.{method}",), weight=0.5)
      for method in DENSITIES),
    *(Form(f"scipy.stats.multivariate_normal.{method}({{0}}, {{1}}, {{2}} @ {{2}}.T + np.eye(3))", rows,
           (f"scipy.stats.multivariate_normal.{method}",), weight=0.5) for method in DENSITIES),
    # frozen: the parameters given to the distribution, the point to its method
    Form(f"scipy.stats.norm({{1}}, scale={SCALE}).logpdf({{0}})", same(3), ("scipy.stats.norm.logpdf",), weight=0.2),
    Form("scipy.stats.gamma(2.5, scale=1.0 + {1} * {1}).cdf(0.1 + {0} * {0})", same(2), ("scipy.stats.gamma.cdf",),
         weight=0.1),
    Form("scipy.stats.multivariate_normal({1}, {2} @ {2}.T + np.eye(3)).logpdf({0})", rows,
         ("scipy.stats.multivariate_normal.logpdf",), weight=0.2),
]
