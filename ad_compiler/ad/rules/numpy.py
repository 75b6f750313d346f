"""VJP and JVP rules of NumPy's reductions and linear algebra.

Reductions broadcast the cotangent back over the reduced axes with `np.broadcast_to` (a
view, free until used; passes fold it into the arithmetic that consumes it). Products have
a rule per operand rank, chosen when ranks are known, and a general rule for any rank <= 2.

A JVP applies the op itself (or its transpose) to the tangent. In batched mode (`batch`
is 1) a tangent has a leading axis of directions: an axis given as a non-negative number
moves one place, a whole-array reduction keeps the leading axis, a reshape keeps it in
front of the result's shape, and products are written so that matmul broadcasts the
tangents' leading axis as a stack axis. Batched shapes are written from `(np.shape(dx)[0],)`
(the directions) and the primal shapes, not with -1: once shapes are known they fold to
constants, so the tangents' shapes stay known to what runs over them (a Jacobian of a
Jacobian). Each JVP follows its VJP.
"""

from __future__ import annotations

import operator

import numpy as np

from ...frontend import compile_time
from .registry import defjvp, defvjp


@compile_time
def batch_axis(axis, batch):
    """`axis` (an int, a tuple of them or None) of an array as the axis of its tangent,
    which has `batch` leading axes: non-negative axes shift, negative ones stay."""
    if isinstance(axis, (tuple, list)):
        return tuple(batch_axis(a, batch) for a in axis)
    if axis is None or axis < 0:
        return axis
    return axis + batch


@compile_time
def inverse_permutation(axes):
    """The axes that undo `np.transpose(x, axes)`, as a tuple of ints."""
    return tuple(int(a) for a in np.argsort(axes))


def reduce_tangent(t, ans, x, axis, keepdims, batch, mean=False):
    """`np.sum(t, axis, keepdims=keepdims)` (`np.mean` with `mean`) of a tangent `t` of
    `x`'s shape after its batch axes: a whole-array reduction keeps the batch axis and
    gives `ans`'s shape."""
    if batch and axis is None:
        directions = (np.shape(t)[0],)
        t = np.reshape(t, directions + (np.size(x),))
        t = np.mean(t, axis=1) if mean else np.sum(t, axis=1)
        return np.reshape(t, directions + np.shape(ans))
    if axis is None and not keepdims:  # as a person writes it: no default arguments
        return np.mean(t) if mean else np.sum(t)
    if mean:
        return np.mean(t, axis=batch_axis(axis, batch), keepdims=keepdims)
    return np.sum(t, axis=batch_axis(axis, batch), keepdims=keepdims)


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


@defvjp("transpose", broadcasting=False)
def transpose_vjp(g, ans, x):
    return g.T


@defjvp("transpose", broadcasting=False)
def transpose_jvp(dx, ans, x, *, batch=0):
    """Batched: all axes reversed, then the batch axis (last) put back in front."""
    if batch:
        return np.moveaxis(dx.T, -1, 0)
    return dx.T


@defvjp(np.transpose, broadcasting=False)
def np_transpose_vjp(g, ans, x, axes=None):
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, inverse_permutation(axes))


@defjvp(np.transpose, broadcasting=False)
def np_transpose_jvp(dx, ans, x, axes=None, *, batch=0):
    if batch and axes is None:
        return np.moveaxis(np.transpose(dx), -1, 0)
    if batch:
        return np.transpose(dx, (0,) + batch_axis(axes, 1))
    return np.transpose(dx, axes)


@defvjp(np.array, np.asarray, np.copy, broadcasting=False)
def copy_vjp(g, ans, x, dtype=None):
    return g


@defjvp(np.array, np.asarray, np.copy, broadcasting=False)
def copy_jvp(dx, ans, x, dtype=None, *, batch=0):
    return dx


@defvjp(np.moveaxis, broadcasting=False)
def moveaxis_vjp(g, ans, x, source, destination):
    return np.moveaxis(g, destination, source)


@defjvp(np.moveaxis, broadcasting=False)
def moveaxis_jvp(dx, ans, x, source, destination, *, batch=0):
    return np.moveaxis(dx, batch_axis(source, batch), batch_axis(destination, batch))


@defvjp(np.swapaxes, broadcasting=False)
def swapaxes_vjp(g, ans, x, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@defjvp(np.swapaxes, broadcasting=False)
def swapaxes_jvp(dx, ans, x, axis1, axis2, *, batch=0):
    return np.swapaxes(dx, batch_axis(axis1, batch), batch_axis(axis2, batch))


@defvjp(np.reshape, np.expand_dims, np.squeeze, np.ravel, np.atleast_1d, np.atleast_2d,
        broadcasting=False)
def reshape_vjp(g, ans, x, arg=None):
    return np.reshape(g, np.shape(x))


@defjvp(np.reshape, np.expand_dims, np.squeeze, np.ravel, np.atleast_1d, np.atleast_2d,
        broadcasting=False)
def reshape_jvp(dx, ans, x, arg=None, *, batch=0):
    """The tangent takes the result's shape, after its batch axis."""
    if batch:
        return np.reshape(dx, (np.shape(dx)[0],) + np.shape(ans))
    return np.reshape(dx, np.shape(ans))


@defvjp(np.broadcast_to, broadcasting=True)
def broadcast_to_vjp(g, ans, x, shape):
    return g, None  # (the shape may be a run-time value)


@defjvp(np.broadcast_to, broadcasting=True)
def broadcast_to_jvp(dx, ans, x, shape):
    """`dx` arrives broadcast to the result's shape (a broadcasting rule's tangent)."""
    return dx


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(2, 2))
def matmul_vjp_2_2(g, ans, x, y):
    return g @ y.T, x.T @ g


@defjvp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(2, 2))
def matmul_jvp_2_2(dx, dy, ans, x, y):
    return dx @ y + x @ dy


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(2, 1))
def matmul_vjp_2_1(g, ans, x, y):
    return np.outer(g, y), x.T @ g


@defjvp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(2, 1))
def matmul_jvp_2_1(dx, dy, ans, x, y, *, batch=0):
    if batch:  # a stack of vectors dy: each row times x.T
        return dx @ y + dy @ x.T
    return dx @ y + x @ dy


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(1, 2))
def matmul_vjp_1_2(g, ans, x, y):
    return y @ g, np.outer(x, g)


@defjvp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(1, 2))
def matmul_jvp_1_2(dx, dy, ans, x, y):
    return dx @ y + x @ dy


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(1, 1))
def matmul_vjp_1_1(g, ans, x, y):
    return g * y, g * x


@defjvp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(1, 1))
def matmul_jvp_1_1(dx, dy, ans, x, y, *, batch=0):
    if batch:
        return dx @ y + dy @ x
    return dx @ y + x @ dy


def matmul_vjp_stacks(g, ans, x, y):
    """Stacks of matrices (a batched tangent meeting a matrix, in a derivative of a
    derivative): matmul broadcasts the stack axes as arithmetic broadcasts, so, as a
    broadcasting rule, each cotangent is summed back over the stack axes its operand
    lacks. (np.dot is another product above matrices: not registered.)"""
    return g @ np.swapaxes(y, -1, -2), np.swapaxes(x, -1, -2) @ g


for _ranks in [(a, b) for a in (2, 3, 4) for b in (2, 3, 4) if (a, b) != (2, 2)]:
    defvjp(operator.matmul, np.matmul, broadcasting=True, ranks=_ranks)(matmul_vjp_stacks)


def _stack_vector_rules(rank: int) -> None:
    """A stack of matrices times a vector, and a vector times a stack (rank 3 or 4): the
    vector's cotangent sums over the stack."""
    stack = tuple(range(rank - 1))
    around = tuple(range(rank - 2)) + (rank - 1,)

    @defvjp(operator.matmul, np.matmul, broadcasting=False, ranks=(rank, 1))
    def matmul_vjp_stack_vector(g, ans, x, y):
        gx = np.expand_dims(g, -1)
        return gx * y, np.sum(x * gx, axis=stack)

    @defvjp(operator.matmul, np.matmul, broadcasting=False, ranks=(1, rank))
    def matmul_vjp_vector_stack(g, ans, x, y):
        gy = np.expand_dims(g, -2)
        return np.sum(y * gy, axis=around), np.expand_dims(x, -1) * gy


_stack_vector_rules(3)
_stack_vector_rules(4)


@defvjp(np.dot, broadcasting=False, max_rank=2)  # above matrices, np.dot is another product
@defvjp(operator.matmul, np.matmul, broadcasting=False)
def matmul_vjp(g, ans, x, y):
    """Any ranks <= 2: promote vectors to a row (x) and a column (y), as matmul does."""
    x2 = np.atleast_2d(x)
    y2 = np.atleast_2d(y.T).T
    g2 = np.reshape(g, (np.size(x2, 0), np.size(y2, 1)))
    return np.reshape(g2 @ y2.T, np.shape(x)), np.reshape(x2.T @ g2, np.shape(y))


@defjvp(np.dot, broadcasting=False, max_rank=2)
@defjvp(operator.matmul, np.matmul, broadcasting=False)
def matmul_jvp(dx, dy, ans, x, y, *, batch=0):
    """Any ranks (np.dot: up to 2, as its VJP; above, it is not matmul). Batched (ranks
    are then known, so only stacks of matrices come here): vectors promoted as matmul
    promotes them, and each tangent's batch axis put in front of all the stack axes."""
    if batch:
        x2 = np.atleast_2d(x)
        y2 = np.atleast_2d(y.T).T
        rank = max(np.ndim(x2), np.ndim(y2))
        dx2 = np.reshape(dx, (np.shape(dx)[0],) + (1,) * (rank - np.ndim(x2)) + np.shape(x2))
        dy2 = np.reshape(dy, (np.shape(dy)[0],) + (1,) * (rank - np.ndim(y2)) + np.shape(y2))
        t = dx2 @ y2 + x2 @ dy2
        return np.reshape(t, (np.shape(t)[0],) + np.shape(ans))
    return dx @ y + x @ dy


@defvjp(np.outer, broadcasting=False)
def outer_vjp(g, ans, x, y):
    """np.outer flattens its operands: the cotangents take their shapes back."""
    return np.reshape(g @ np.ravel(y), np.shape(x)), np.reshape(np.ravel(x) @ g, np.shape(y))


@defjvp(np.outer, broadcasting=False)
def outer_jvp(dx, dy, ans, x, y, *, batch=0):
    """Batched: each direction's outer product, by broadcasting a column by a row."""
    if batch:
        return np.reshape(dx, (np.shape(dx)[0],) + (np.size(x), 1)) * np.ravel(y) + \
            np.reshape(x, (np.size(x), 1)) * np.reshape(dy, (np.shape(dy)[0],) + (1, np.size(y)))
    return np.outer(dx, y) + np.outer(x, dy)
