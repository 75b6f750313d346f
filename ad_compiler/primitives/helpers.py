"""Functions that rule bodies share. They are lowered and inlined with the rules that call
them (or, marked `compile_time`, run while lowering, on constants).

In batched forward mode (`batch` is 1) a tangent has a leading axis of directions: an
axis given as a non-negative number moves one place, a whole-array reduction keeps the
leading axis. Batched shapes are written from `(np.shape(dx)[0],)` (the directions) and
the primal shapes, not with -1: once shapes are known they fold to constants, so the
tangents' shapes stay known to what runs over them (a Jacobian of a Jacobian).
"""

from __future__ import annotations

import numpy as np

from ..errors import NoBatchingError, NoDerivativeError
from .record import compile_time


@compile_time
def supported(ok, message):
    """Refuse, while lowering and at the call, what a rule does not differentiate (a static
    argument it has no derivative for, `where=`, `overwrite_a=True`)."""
    if not ok:
        raise NoDerivativeError(message)


@compile_time
def no_derivative(message):
    """Refuse, while lowering, a derivative a rule cannot give: a VJP rule that declares the
    keyword-only parameter `active` (which operands the derivative flows into) calls this
    for an active operand it has no derivative for, rather than return None (which says
    the derivative is zero). A JVP rule refuses an operand by taking no tangent for it."""
    supported(False, message)


@compile_time
def no_batching(message):
    """Decline, while lowering a batching rule, a case it does not cover (`vmap` then maps
    the op by the primitive's traits, or one call per example)."""
    raise NoBatchingError(message)


@compile_time
def after_batch(k):
    """The index putting `k` axes of length 1 after a leading batch axis: `x[after_batch(2)]`
    is `x[:, None, None]`, which lines a batched operand's axes up with those of a value
    `k` ranks higher (the batch axis must not meet one of its axes)."""
    return (slice(None),) + (None,) * k


@compile_time
def most(*numbers):
    """The largest of constants (ranks), while lowering."""
    return max(numbers)


def lifted(x, k):
    """`x`, whose batch axis is in front, with `k` axes of length 1 after it."""
    if k:
        return x[after_batch(k)]
    return x


def raised(x, k):
    """`x`, of no batch axis, with `k` axes of length 1 in front (one rank with the
    batched operands it meets, where NumPy reads an operand by its rank)."""
    if k:
        return x[(None,) * k]
    return x


def batch_axis_at_run_time(axis, batch):
    """`batch_axis` of an int or None known only at run time."""
    if axis is None or axis < 0:
        return axis
    return axis + batch


@compile_time(run_time=batch_axis_at_run_time)
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


def lift(t, x, ndim):
    """A batched tangent `t` of `x` (its directions first), with length-1 axes after the
    directions so that its stack axes line up with those of a value of rank `ndim` (what
    broadcasts against it: the directions must not meet a stack axis of the other)."""
    return np.reshape(t, (np.shape(t)[0],) + (1,) * (ndim - np.ndim(x)) + np.shape(x))


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
    if keepdims:
        return np.mean(t, axis=batch_axis(axis, batch), keepdims=True) if mean else \
            np.sum(t, axis=batch_axis(axis, batch), keepdims=True)
    return np.mean(t, axis=batch_axis(axis, batch)) if mean else np.sum(t, axis=batch_axis(axis, batch))
