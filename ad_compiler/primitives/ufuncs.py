"""NumPy's elementwise functions beyond `arithmetic` and `select`, the functions of `math`
without a rule there, and the rule makers every elementwise function given by its slopes
shares (SciPy's too: `scipy_special`).

A slope is the derivative of the result with respect to one operand, written once as a
function of the operands and the result: `elementwise_rules` makes the VJP (`g * slope`)
and the JVP (`dx * slope`) from it, so the two modes cannot disagree.

Conventions, after JAX where it has the function:

- `np.copysign(x, y)`: `sign(x) * sign(result)` for x (0 at x = 0, as `abs`), none for y
  (piecewise constant in y).
- `np.nextafter(x, y)` is `x` moved by one ulp: slope 1 for x, none for y (JAX's
  maintainers' reading; central differences agree). `np.spacing` and `math.ulp` are
  piecewise constant: no derivative.
- `np.nan_to_num(x)`: `g` where x is finite, 0 where NaN or an infinity was replaced
  (jnp.nan_to_num is a `where`); `copy=False` (x written in place) is refused.
- `np.sinc` at 0: slope 0, and its second and third derivatives right there too (the
  slope's Taylor polynomial at 0 is the branch taken at x == 0), as JAX's Maclaurin rule.
- `math.dist(p, q)` at p == q: 0 (the least subgradient), not 0 / 0.
- `np.ldexp(x, n)`, `np.float_power`, `math.remainder`: exact (n is an integer, the
  quotient of `remainder` is locally constant).

Refused (no rule): functions with a tuple result (`np.divmod`, `np.modf`, `np.frexp`,
`math.modf`, `math.frexp`): write `np.floor_divide` and `np.remainder`, `x - np.trunc(x)`.
The slopes of `np.i0`, `math.gamma` and `math.lgamma` are Bessel and digamma functions
NumPy lacks: their rules come with SciPy's (`scipy_special`), and until SciPy is imported
these refuse, saying so.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import NoDerivativeError
from .arithmetic import pow_jvp, pow_vjp
from .kinds import bool_broadcast, float_kind, math_kind, same_kind, ufunc_kind
from .record import compile_time, defjvp, defvjp, defzero, primitive


def elementwise_rules(fn, slope):
    """The VJP and JVP of a function of one operand whose derivative is
    `slope(x, ans)`."""

    @defvjp(fn)
    def vjp(g, ans, x):
        return g * slope(x, ans)

    @defjvp(fn)
    def jvp(dx, ans, x):
        return dx * slope(x, ans)


def binary_rules(fn, slopes, along=(0, 1)):
    """The VJP and JVP of a function of two operands whose partial derivatives are
    `slopes(x, y, ans)` (a pair), or, with `along` one operand's position, whose
    derivative along that operand is `slopes(x, y, ans)` and along the other none (an
    integer, or an argument the result is piecewise constant in)."""

    @defvjp(fn)
    def vjp(g, ans, x, y):
        if along == (0,):
            return g * slopes(x, y, ans), None
        if along == (1,):
            return None, g * slopes(x, y, ans)
        sx, sy = slopes(x, y, ans)
        return g * sx, g * sy

    @defjvp(fn)
    def jvp(dx, dy, ans, x, y):
        if along == (0,):
            return dx * slopes(x, y, ans)
        if along == (1,):
            return dy * slopes(x, y, ans)
        sx, sy = slopes(x, y, ans)
        return dx * sx + dy * sy


@compile_time
def needs_scipy(name):
    raise NoDerivativeError(f"the derivative of {name} is a special function of SciPy's: import scipy before "
                            f"differentiating {name}")


def scipy_rules(fn, name):
    """Rules for `fn` that refuse until SciPy is imported (`scipy_special` replaces them)."""

    @defvjp(fn)
    def vjp(g, ans, x):
        return needs_scipy(name)

    @defjvp(fn)
    def jvp(dx, ans, x):
        return needs_scipy(name)


def linear_rules(fn):
    """The VJP and JVP of a linear function of one operand: the function itself, of the
    cotangent or the tangent."""

    @defvjp(fn)
    def vjp(g, ans, x):
        return fn(g)

    @defjvp(fn)
    def jvp(dx, ans, x):
        return fn(dx)


def nonzero(x):
    """x with its zeros replaced by 1: a denominator where the branch taken at 0 is
    another (no 0 / 0 warning from the branch not taken)."""
    return np.where(x == 0, 1.0, x)


primitive(np.sinc, np.i0, arity=1, elementwise=True, fresh=True, infer=ufunc_kind)
primitive(np.nan_to_num, elementwise=True, fresh=True, infer=same_kind)
primitive(np.rad2deg, np.deg2rad, linear=True)
primitive(np.around, elementwise=True, infer=same_kind)
primitive(np.isposinf, np.isneginf, elementwise=True, infer=bool_broadcast)
primitive(math.remainder, math.copysign, math.nextafter, math.ldexp, arity=2, elementwise=True, infer=math_kind)
primitive(math.copysign, over_arrays="np.copysign")  # (not math.remainder: IEEE's, not np.remainder's)
primitive(math.nextafter, over_arrays="np.nextafter")
primitive(math.ldexp, over_arrays="np.ldexp")
primitive(math.dist, arity=2, infer=float_kind)
for _names, _sympy in (
    ((np.logaddexp2,), lambda sp, x, y: sp.log(2 ** x + 2 ** y, 2)),
    ((np.float_power,), lambda sp, x, y: x ** y),
    ((np.rad2deg,), lambda sp, x: x * 180 / sp.pi),
    ((np.deg2rad,), lambda sp, x: x * sp.pi / 180),
    ((np.sinc,), lambda sp, x: sp.sinc(sp.pi * x)),
    ((np.ldexp, math.ldexp), lambda sp, x, n: x * 2 ** n),
    ((np.nan_to_num,), lambda sp, x: x),
):
    primitive(*_names, sympy=_sympy)
for _fn, _name in ((np.abs, "abs"), (np.sign, "sign"), (np.logaddexp, "logaddexp"), (np.reciprocal, "reciprocal"),
                   (np.rint, "round")):
    primitive(_fn, array_api=_name)  # (their names in the Array API standard)


def logaddexp2_slopes(x, y, ans):
    return np.exp2(x - ans), np.exp2(y - ans)


def copysign_slope(x, y, ans):
    return np.sign(x) * np.sign(ans)


def nextafter_slope(x, y, ans):
    return 1.0


def ldexp_slope(x, n, ans):
    return np.ldexp(1.0, n)


def remainder_slopes(x, y, ans):
    """`math.remainder(x, y)` is `x - n * y`, n the integer nearest x / y."""
    return 1.0, -np.round((x - ans) / y)


def sinc_slope(x, ans):
    """`(cos(pi x) - sinc(x)) / x`; at 0, its Taylor polynomial `-pi^2/3 x + pi^4/30 x^3`,
    which is 0 there with the slope's own first and second derivatives."""
    return np.where(x == 0, x * (-3.289868133696453 + 3.2469697011334144 * x * x),
                    (np.cos(3.141592653589793 * x) - ans) / nonzero(x))


binary_rules(np.logaddexp2, logaddexp2_slopes)
binary_rules(np.copysign, copysign_slope, along=(0,))
binary_rules(math.copysign, copysign_slope, along=(0,))
binary_rules(np.nextafter, nextafter_slope, along=(0,))
binary_rules(math.nextafter, nextafter_slope, along=(0,))
binary_rules(np.ldexp, ldexp_slope, along=(0,))
binary_rules(math.ldexp, ldexp_slope, along=(0,))
binary_rules(math.remainder, remainder_slopes)
elementwise_rules(np.sinc, sinc_slope)
linear_rules(np.rad2deg)
linear_rules(np.deg2rad)
scipy_rules(np.i0, "np.i0")
scipy_rules(math.gamma, "math.gamma")
scipy_rules(math.lgamma, "math.lgamma")
defvjp(np.float_power)(pow_vjp)
defjvp(np.float_power)(pow_jvp)


@compile_time
def refuse_in_place(copy):
    if not copy:
        raise NoDerivativeError("np.nan_to_num(x, copy=False) replaces x's NaNs in x itself, which the derivative "
                                "reads: differentiate np.nan_to_num(x), which copies")


@defvjp(np.nan_to_num)
def nan_to_num_vjp(g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    refuse_in_place(copy)
    return np.where(np.isfinite(x), g, 0.0)


@defjvp(np.nan_to_num)
def nan_to_num_jvp(dx, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    refuse_in_place(copy)
    return np.where(np.isfinite(x), dx, 0.0)


@defvjp(math.dist)
def dist_vjp(g, ans, p, q):
    """`(p - q) / dist` and its opposite; 0 where p == q."""
    bp = g * np.subtract(p, q) / (ans + (ans == 0))
    return bp, -bp


@defjvp(math.dist, ranks=(1, 1))
def dist_jvp(dp, dq, ans, p, q):
    """Of vectors (a batch of directions leads)."""
    return np.sum((dp - dq) * np.subtract(p, q), axis=-1) / (ans + (ans == 0))


@defjvp(math.dist)
def dist_jvp_points(dp, dq, ans, p, q, *, batch=0):
    """Of points of unknown rank or tuples of numbers. Batched (where ranks are known, so
    of tuples), each item's tangent has the directions: they come last in the array of the
    items' tangents."""
    if batch:
        return np.sum(np.subtract(dp, dq) * np.expand_dims(np.subtract(p, q), -1), axis=0) / (ans + (ans == 0))
    return np.sum(np.subtract(dp, dq) * np.subtract(p, q)) / (ans + (ans == 0))


defzero(
    np.spacing, math.ulp, np.around, np.isposinf, np.isneginf, np.isnat, np.iscomplexobj, np.isrealobj,
    np.isscalar, math.isnan, math.isinf, math.isfinite, math.isclose,
    # integers in, integers out
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift, np.gcd, np.lcm,
    math.factorial, math.comb, math.perm, math.gcd, math.lcm, math.isqrt,
)
if hasattr(np, "bitwise_count"):
    defzero(np.bitwise_count)
