"""Products: `@` (np.matmul) and np.dot of every rank up to stacks of matrices, np.outer.

A rule per operand rank, chosen when ranks are known (plain `g @ y.T` for matrices), and
a general rule for any rank <= 2. Batched JVPs are written so that matmul broadcasts the
tangents' leading axis as a stack axis.
"""

from __future__ import annotations

import operator

import numpy as np

from .kinds import array_kind, broadcast, shape_of
from .record import defjvp, defvjp, primitive
from ..ir.types import Array, Scalar, promote


def matmul_kind(op, kinds, producers):
    """`x @ y` as NumPy does it: vectors promoted and their axis dropped again, stacks of
    matrices broadcast (np.dot only up to matrices: above, it is another product)."""
    x, y = kinds
    if not isinstance(x, Array) or not isinstance(y, Array):
        if op.prim == "np.dot" and (isinstance(x, Scalar) or isinstance(y, Scalar)):
            return broadcast(kinds)
        return None
    if op.prim == "np.dot" and (x.ndim > 2 or y.ndim > 2):
        return None
    dtype = promote(x.dtype, y.dtype)
    if x.shape is None or y.shape is None:
        ndim = max(x.ndim, y.ndim) if min(x.ndim, y.ndim) >= 2 else x.ndim + y.ndim - 2
        return array_kind(None, dtype, ndim)
    xs = (1,) + x.shape if x.ndim == 1 else x.shape
    ys = y.shape + (1,) if y.ndim == 1 else y.shape
    if xs[-1] != ys[-2]:
        return None
    try:
        stack = np.broadcast_shapes(xs[:-2], ys[:-2])
    except ValueError:
        return None
    shape = stack + (xs[-2],) * (x.ndim > 1) + (ys[-1],) * (y.ndim > 1)
    return array_kind(shape, dtype)


def outer_kind(op, kinds, producers):
    x, y = (shape_of(k) for k in kinds)
    if x is None or y is None:
        return None
    return array_kind((int(np.prod(x)), int(np.prod(y))), promote(kinds[0].dtype, kinds[1].dtype))


primitive("matmul", np.matmul, np.dot, arity=2, infer=matmul_kind, linear=True, fresh=True, product=True)
primitive(np.dot, methods=("dot",))
primitive(np.outer, arity=2, infer=outer_kind, linear=True, fresh=True)


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
