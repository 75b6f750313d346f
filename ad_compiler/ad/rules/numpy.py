"""VJP rules of NumPy's reductions and linear algebra.

Reductions broadcast the cotangent back over the reduced axes with `np.broadcast_to` (a
view, free until used; passes fold it into the arithmetic that consumes it). Products have
a rule per operand rank, chosen when ranks are known, and a general rule for any rank <= 2.
"""

from __future__ import annotations

import operator

import numpy as np

from .registry import defvjp


@defvjp(np.sum, broadcasting=False)
def sum_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


@defvjp(np.mean, broadcasting=False)
def mean_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    if axis is None:
        g = g / np.size(x)
    else:
        g = g / (np.size(x) / np.size(ans))
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


@defvjp("transpose", broadcasting=False)
def transpose_vjp(g, ans, x):
    return g.T


@defvjp(np.transpose, broadcasting=False)
def np_transpose_vjp(g, ans, x, axes=None):
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort(axes))


@defvjp(np.reshape, np.expand_dims, np.squeeze, np.ravel, np.atleast_1d, np.atleast_2d,
        broadcasting=False)
def reshape_vjp(g, ans, x, arg=None):
    return np.reshape(g, np.shape(x))


@defvjp(np.broadcast_to, broadcasting=True)
def broadcast_to_vjp(g, ans, x, shape):
    return g


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(2, 2))
def matmul_vjp_2_2(g, ans, x, y):
    return g @ y.T, x.T @ g


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(2, 1))
def matmul_vjp_2_1(g, ans, x, y):
    return np.outer(g, y), x.T @ g


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(1, 2))
def matmul_vjp_1_2(g, ans, x, y):
    return y @ g, np.outer(x, g)


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(1, 1))
def matmul_vjp_1_1(g, ans, x, y):
    return g * y, g * x


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False)
def matmul_vjp(g, ans, x, y):
    """Any ranks <= 2: promote vectors to a row (x) and a column (y), as matmul does."""
    x2 = np.atleast_2d(x)
    y2 = np.atleast_2d(y.T).T
    g2 = np.reshape(g, (np.size(x2, 0), np.size(y2, 1)))
    return np.reshape(g2 @ y2.T, np.shape(x)), np.reshape(x2.T @ g2, np.shape(y))


@defvjp(np.outer, broadcasting=False)
def outer_vjp(g, ans, x, y):
    """np.outer flattens its operands: the cotangents take their shapes back."""
    return np.reshape(g @ np.ravel(y), np.shape(x)), np.reshape(np.ravel(x) @ g, np.shape(y))
