"""Reductions: np.sum, np.mean, np.var, np.std (the max and min reductions choose among
elements: `select.py`).

A VJP broadcasts the cotangent back over the reduced axes with `np.broadcast_to` (a view,
free until used; passes fold it into the arithmetic that consumes it); a JVP reduces the
tangent as the op reduces its operand (`helpers.reduce_tangent`).
"""

from __future__ import annotations

import numpy as np

from .helpers import reduce_tangent
from .kinds import array_kind, float_of, static
from .record import defjvp, defvjp, primitive
from ..ir.types import Array, Scalar


def reduction_kind(op, kinds, producers):
    """A reduction over `axis` (all axes by default), the reduced axes kept as 1 with
    `keepdims`; the mean, variance and deviation of integers are floats."""
    x = kinds[0]
    if not isinstance(x, (Scalar, Array)):
        return None
    axis = static(op, 1, "axis")
    keepdims = op.attrs.get("keepdims", False)
    dtype = float_of(x.dtype) if op.prim in ("np.mean", "np.var", "np.std") else x.dtype
    if isinstance(x, Scalar):
        return Scalar(dtype)
    if axis is None:
        return array_kind((1,) * x.ndim if keepdims else (), dtype)
    axes = {a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
    if x.shape is None:
        return array_kind(None, dtype, x.ndim if keepdims else x.ndim - len(axes))
    shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape) if keepdims or i not in axes)
    return array_kind(shape, dtype)


primitive(np.sum, np.mean, infer=reduction_kind, linear=True, reduces=True)
primitive(np.sum, methods=("sum",))
primitive(np.mean, methods=("mean",))
primitive(np.var, infer=reduction_kind, reduces=True, methods=("var",))
primitive(np.std, infer=reduction_kind, reduces=True, methods=("std",))
primitive(np.prod, infer=reduction_kind, reduces=True, methods=("prod",))


@defvjp(np.sum, broadcasting=False)
def sum_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


@defjvp(np.sum, broadcasting=False)
def sum_jvp(dx, ans, x, axis=None, dtype=None, out=None, keepdims=False, *, batch=0):
    return reduce_tangent(dx, ans, x, axis, keepdims, batch)


@defvjp(np.mean, broadcasting=False)
def mean_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    if axis is None:
        g = g / np.size(x)
    else:
        g = g / (np.size(x) / np.size(ans))
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


@defjvp(np.mean, broadcasting=False)
def mean_jvp(dx, ans, x, axis=None, dtype=None, out=None, keepdims=False, *, batch=0):
    return reduce_tangent(dx, ans, x, axis, keepdims, batch, mean=True)


def centered(x, axis):
    """`x` minus its mean over `axis`, broadcast back (for the rules of var and std)."""
    if axis is None:
        return x - np.mean(x)
    return x - np.mean(x, axis=axis, keepdims=True)


@defvjp(np.var, broadcasting=False)
def var_vjp(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """`2 (x - mean) / (n - ddof)`, `n` the number of elements each result averages."""
    n = np.size(x) / np.size(ans)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return g * (2.0 / (n - ddof)) * centered(x, axis)


@defjvp(np.var, broadcasting=False)
def var_jvp(dx, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, batch=0):
    n = np.size(x) / np.size(ans)
    return reduce_tangent(dx * centered(x, axis), ans, x, axis, keepdims, batch) * (2.0 / (n - ddof))


@defvjp(np.std, broadcasting=False)
def std_vjp(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """The square root of `np.var`'s: `(x - mean) / ((n - ddof) std)`; 0 where the std
    is 0 (every element equal, so each `x - mean` is 0: one element, say), not 0 / 0."""
    n = np.size(x) / np.size(ans)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
    return g * centered(x, axis) / ((n - ddof) * np.where(ans == 0, 1.0, ans))


@defjvp(np.std, broadcasting=False)
def std_jvp(dx, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, batch=0):
    n = np.size(x) / np.size(ans)
    spread = np.where(ans == 0, 1.0, ans)  # (as in std_vjp)
    return reduce_tangent(dx * centered(x, axis), ans, x, axis, keepdims, batch) / ((n - ddof) * spread)
