"""VJP rules of Python's arithmetic operators and of the elementwise math functions,
for `math.*` and their `np.*` counterparts alike (one rule body serves both namespaces:
`ns` is resolved when the rule is lowered).

The rule contract (see `registry`): `rule(g, ans, *operands, **static)` returns one
cotangent per operand, in the operand's broadcast shape; the transform unbroadcasts.
"""

from __future__ import annotations

import math
import operator
from types import ModuleType

import numpy as np

from .registry import defvjp, defzero


@defvjp(operator.add, np.add)
def add_vjp(g, ans, x, y):
    return g, g


@defvjp(operator.sub, np.subtract)
def sub_vjp(g, ans, x, y):
    return g, -g


@defvjp(operator.mul, np.multiply)
def mul_vjp(g, ans, x, y):
    return g * y, g * x


@defvjp(operator.truediv, np.divide)
def truediv_vjp(g, ans, x, y):
    bx = g / y
    return bx, -bx * ans


@defvjp(operator.pow, np.power, math.pow)
def pow_vjp(g, ans, x, y):
    return g * y * x ** (y - 1), g * ans * np.log(x)


@defvjp(operator.neg, np.negative)
def neg_vjp(g, ans, x):
    return -g


@defvjp(operator.pos, np.positive)
def pos_vjp(g, ans, x):
    return g


@defvjp(np.square)
def square_vjp(g, ans, x):
    return 2 * g * x


@defvjp(np.reciprocal)
def reciprocal_vjp(g, ans, x):
    return -g * ans * ans


@defvjp(np.logaddexp)
def logaddexp_vjp(g, ans, x, y):
    return g * np.exp(x - ans), g * np.exp(y - ans)


def _elementwise(ns: ModuleType, atan, asin, acos, fabs) -> None:
    """The rules of the functions `math` and NumPy share, for namespace `ns`."""

    @defvjp(ns.sin)
    def sin_vjp(g, ans, x):
        return g * ns.cos(x)

    @defvjp(ns.cos)
    def cos_vjp(g, ans, x):
        return -g * ns.sin(x)

    @defvjp(ns.tan)
    def tan_vjp(g, ans, x):
        return g * (1 + ans * ans)

    @defvjp(ns.exp)
    def exp_vjp(g, ans, x):
        return g * ans

    @defvjp(ns.expm1)
    def expm1_vjp(g, ans, x):
        return g * (ans + 1)

    @defvjp(ns.log)
    def log_vjp(g, ans, x):
        return g / x

    @defvjp(ns.log1p)
    def log1p_vjp(g, ans, x):
        return g / (1 + x)

    @defvjp(ns.log2)
    def log2_vjp(g, ans, x):
        return g / (x * 0.6931471805599453)

    @defvjp(ns.log10)
    def log10_vjp(g, ans, x):
        return g / (x * 2.302585092994046)

    @defvjp(ns.sqrt)
    def sqrt_vjp(g, ans, x):
        return g / (2 * ans)

    @defvjp(ns.tanh)
    def tanh_vjp(g, ans, x):
        return g * (1 - ans * ans)

    @defvjp(ns.sinh)
    def sinh_vjp(g, ans, x):
        return g * ns.cosh(x)

    @defvjp(ns.cosh)
    def cosh_vjp(g, ans, x):
        return g * ns.sinh(x)

    @defvjp(atan)
    def atan_vjp(g, ans, x):
        return g / (1 + x * x)

    @defvjp(asin)
    def asin_vjp(g, ans, x):
        return g / ns.sqrt(1 - x * x)

    @defvjp(acos)
    def acos_vjp(g, ans, x):
        return -g / ns.sqrt(1 - x * x)

    @defvjp(fabs)
    def abs_vjp(g, ans, x):
        return g * np.sign(x)


_elementwise(np, np.arctan, np.arcsin, np.arccos, np.abs)
_elementwise(math, math.atan, math.asin, math.acos, math.fabs)

defzero(
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.is_, operator.is_not, operator.not_, operator.floordiv, operator.mod,
    np.sign, np.floor, np.ceil, np.round, np.shape, np.size, np.ndim,
    np.ones_like, np.zeros_like, np.full_like, np.empty_like,
    math.floor, math.ceil,
)
