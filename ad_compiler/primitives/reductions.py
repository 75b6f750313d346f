"""Reductions by sums: np.sum, np.mean, np.var, np.std, their nan forms (np.nansum,
np.nanmean, np.nanvar, np.nanstd: a NaN is left out) and np.average. (Products and the
reductions that pick elements by order, np.prod, np.median, np.ptp, np.nanmax, ..., are
in `cumulative.py`; np.max and np.min in `select.py`.)

A VJP broadcasts the cotangent back over the reduced axes (`expanded`, then
`np.broadcast_to` or a product: views and arithmetic, no copy); a JVP reduces the tangent
as the op reduces its operand (`helpers.reduce_tangent`). The nonlinear ones are a sum of
the elements' changes weighed: the VJP is `g` times the weights, the JVP the reduction of
the tangent times them, one weights function per op.

The spread reductions follow NumPy's arguments: `ddof` or `correction`, and a given
`mean=` (a constant: the deviations are from it). The standard deviation's derivative is
0 where it is 0 (every element equal: one element, say), not JAX's NaN: there `x - mean`
is 0 too, and with one element the deviation does not change at all. `where=` masks are
refused.
"""

from __future__ import annotations

import inspect

import numpy as np

from ..errors import NoDerivativeError
from ..runtime import _run
from .helpers import reduce_tangent, supported
from .kinds import array_kind, float_of, static
from .record import compile_time, defjvp, defvjp, primitive
from ..ir.types import Array, Scalar

unbroadcast = _run("unbroadcast")

FLOAT_RESULTS = {"np.mean", "np.var", "np.std", "np.nanmean", "np.nanvar", "np.nanstd", "np.average", "np.median"}


def reduction_kind(op, kinds, producers):
    """A reduction over `axis` (all axes by default), the reduced axes kept as 1 with
    `keepdims`; means, spreads and medians of integers are floats."""
    x = kinds[0]
    if not isinstance(x, (Scalar, Array)):
        return None
    axis = static(op, 1, "axis")
    keepdims = op.attrs.get("keepdims", False)
    dtype = float_of(x.dtype) if op.prim in FLOAT_RESULTS else x.dtype
    if isinstance(x, Scalar):
        return Scalar(dtype)
    if axis is None:
        return array_kind((1,) * x.ndim if keepdims else (), dtype)
    axes = {a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
    if x.shape is None:
        return array_kind(None, dtype, x.ndim if keepdims else x.ndim - len(axes))
    shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape) if keepdims or i not in axes)
    return array_kind(shape, dtype)


def average_kind(op, kinds, producers):
    """np.average without `returned`: a mean of floats."""
    return None if op.attrs.get("returned") else reduction_kind(op, kinds, producers)


primitive(np.sum, np.mean, infer=reduction_kind, linear=True, reduces=True)
primitive(np.sum, methods=("sum",))
primitive(np.mean, methods=("mean",))
primitive(np.sum, array_api="sum")
primitive(np.mean, array_api="mean")
primitive(np.var, infer=reduction_kind, reduces=True, methods=("var",))
primitive(np.std, infer=reduction_kind, reduces=True, methods=("std",))
primitive(np.nansum, np.nanmean, np.nanvar, np.nanstd, infer=reduction_kind, reduces=True)
primitive(np.average, infer=average_kind, reduces=True,
          operands=(("a", inspect.Parameter.empty), ("axis", None), ("weights", None)))


def expanded(g, axis, keepdims):
    """A reduction's result (or cotangent) with its reduced axes back, of length 1."""
    if axis is not None and not keepdims:
        return np.expand_dims(g, axis)
    return g


# --- sums and means ---------------------------------------------------------------


@defvjp(np.sum, broadcasting=False)
def sum_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):
    supported(where is True, "np.sum with where= has no derivative rule: sum np.where(mask, x, 0) instead")
    return np.broadcast_to(expanded(g, axis, keepdims), np.shape(x))


@defjvp(np.sum, broadcasting=False)
def sum_jvp(dx, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True, *, batch=0):
    supported(where is True, "np.sum with where= has no derivative rule: sum np.where(mask, x, 0) instead")
    return reduce_tangent(dx, ans, x, axis, keepdims, batch)


def mean_back(g, ans, x, axis, keepdims):
    """`g` shared equally by the elements each result averages."""
    if axis is None:
        g = g / np.size(x)
    else:
        g = g / (np.size(x) / np.size(ans))
    return np.broadcast_to(expanded(g, axis, keepdims), np.shape(x))


@defvjp(np.mean, broadcasting=False)
def mean_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    supported(where is True, "np.mean with where= has no derivative rule")
    return mean_back(g, ans, x, axis, keepdims)


@defjvp(np.mean, broadcasting=False)
def mean_jvp(dx, ans, x, axis=None, dtype=None, out=None, keepdims=False, *, where=True, batch=0):
    supported(where is True, "np.mean with where= has no derivative rule")
    return reduce_tangent(dx, ans, x, axis, keepdims, batch, mean=True)


def counted(x):
    """Where `x` is not NaN (the elements the nan reductions count), as 0 and 1."""
    return np.where(np.isnan(x), 0.0, 1.0)


@defvjp(np.nansum, broadcasting=False)
def nansum_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):
    supported(where is True, "np.nansum with where= has no derivative rule")
    return expanded(g, axis, keepdims) * counted(x)


@defjvp(np.nansum, broadcasting=False)
def nansum_jvp(dx, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True, *, batch=0):
    supported(where is True, "np.nansum with where= has no derivative rule")
    return reduce_tangent(dx * counted(x), ans, x, axis, keepdims, batch)


def nanmean_weights(x, axis):
    """1 / the count of numbers reduced together, 0 at a NaN."""
    kept = counted(x)
    return kept / np.sum(kept, axis=axis, keepdims=True)


@defvjp(np.nanmean, broadcasting=False)
def nanmean_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    supported(where is True, "np.nanmean with where= has no derivative rule")
    return expanded(g, axis, keepdims) * nanmean_weights(x, axis)


@defjvp(np.nanmean, broadcasting=False)
def nanmean_jvp(dx, ans, x, axis=None, dtype=None, out=None, keepdims=False, *, where=True, batch=0):
    supported(where is True, "np.nanmean with where= has no derivative rule")
    return reduce_tangent(dx * nanmean_weights(x, axis), ans, x, axis, keepdims, batch)


def average_operands(operands):
    """np.average's `a, axis, weights` from its operands (a sequence: how many were
    passed, and which are constants, is known while lowering)."""
    return operands[0], operands[1] if len(operands) > 1 else None, operands[2] if len(operands) > 2 else None


def laid(t, w, a, axis, batch):
    """np.average's weights `w` (or their tangent `t`, after its batch axis) shaped to
    broadcast against `a`: as given when of its shape, else a vector along `axis`, between
    axes of length 1 (counted by arithmetic on ranks, which folds once they are known)."""
    if axis is None:
        return t
    vector = np.ndim(a) - np.ndim(w)  # (0, or the axes a vector lacks)
    before = axis % np.ndim(a) * (vector > 0)
    directions = (np.shape(t)[0],) if batch else ()
    return np.reshape(t, directions + (1,) * before + np.shape(w) + (1,) * (vector - before))


@defvjp(np.average, broadcasting=False)
def average_vjp(g, ans, *operands, returned=False, keepdims=False):
    """`sum(a w) / sum(w)`: `w / sum(w)` for `a`, `(a - average) / sum(w)` for `w`."""
    supported(len(operands) < 4 and not returned, "np.average with returned= (a tuple result) has no derivative "
              "rule: compute the sum of the weights apart")
    a, axis, weights = average_operands(operands)
    if len(operands) < 3:
        return mean_back(g, ans, a, axis, keepdims)
    w = laid(weights, weights, a, axis, 0)
    g = expanded(g, axis, keepdims) / np.sum(w, axis=axis, keepdims=True)
    bw = unbroadcast(g * (a - expanded(ans, axis, keepdims)), w)  # (the transpose of `laid`)
    return g * w, None, np.reshape(bw, np.shape(weights))


@defjvp(np.average, broadcasting=False)
def average_jvp(doperands, ans, *operands, returned=False, keepdims=False, batch=0):
    supported(len(operands) < 4 and not returned, "np.average with returned= (a tuple result) has no derivative "
              "rule: compute the sum of the weights apart")
    a, axis, weights = average_operands(operands)
    if len(operands) < 3:
        return reduce_tangent(doperands[0], ans, a, axis, keepdims, batch, mean=True)
    w = laid(weights, weights, a, axis, 0)
    change = doperands[0] * w + laid(doperands[2], weights, a, axis, batch) * (a - expanded(ans, axis, keepdims))
    return reduce_tangent(change / np.sum(w, axis=axis, keepdims=True), ans, a, axis, keepdims, batch)


# --- spreads ----------------------------------------------------------------------


@compile_time
def degrees_lost(ddof, correction, where):
    """NumPy's `ddof`, or its other name `correction` (`where=` refused here, at the call)."""
    if where is not True:
        raise NoDerivativeError("np.var and np.std with where= have no derivative rule")
    return ddof if correction is None else correction


def deviations(x, axis, mean):
    """`x` minus its mean over `axis` (or minus the `mean=` given)."""
    if mean is not None:
        return x - mean
    if axis is None:
        return x - np.mean(x)
    return x - np.mean(x, axis=axis, keepdims=True)


def nan_deviations(x, axis, mean):
    """`deviations` of the numbers (0 at a NaN)."""
    if mean is None:
        mean = np.nanmean(x, axis=axis, keepdims=True)
    return np.where(np.isnan(x), 0.0, x - mean)


def var_weights(deviation, count):
    """`2 (x - mean) / (n - ddof)`; an array divided, so that `n - ddof` = 0 gives NaN
    (as NumPy's variance), not a ZeroDivisionError."""
    return 2.0 * deviation / count


def std_weights(deviation, count, std):
    """The square root's: `(x - mean) / ((n - ddof) std)`, 0 where the std is 0 (each
    `x - mean` is 0 there), not 0 / 0."""
    return deviation / (count * np.where(std == 0, 1.0, std))


def spread_weights(x, ans, axis, ddof, keepdims, mean, std):
    """The weights of np.var (np.std with `std`): `n` the number of elements each result
    reduces."""
    count = np.size(x) / np.size(ans) - ddof
    if std:
        return std_weights(deviations(x, axis, mean), count, expanded(ans, axis, keepdims))
    return var_weights(deviations(x, axis, mean), count)


def nan_spread_weights(x, ans, axis, ddof, keepdims, mean, std):
    """`spread_weights` of the numbers: `n` counts them, a NaN weighs 0."""
    count = np.sum(counted(x), axis=axis, keepdims=True) - ddof
    if std:
        return std_weights(nan_deviations(x, axis, mean), count, expanded(ans, axis, keepdims))
    return var_weights(nan_deviations(x, axis, mean), count)


def _spread_rules(prim, weights, std):
    """The rules of np.var (np.std with `std`) and their nan forms, of one signature."""

    @defvjp(prim, broadcasting=False)
    def spread_vjp(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None,
                   correction=None):
        ddof = degrees_lost(ddof, correction, where)
        return expanded(g, axis, keepdims) * weights(x, ans, axis, ddof, keepdims, mean, std)

    @defjvp(prim, broadcasting=False)
    def spread_jvp(dx, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None,
                   correction=None, batch=0):
        ddof = degrees_lost(ddof, correction, where)
        return reduce_tangent(dx * weights(x, ans, axis, ddof, keepdims, mean, std), ans, x, axis, keepdims, batch)


_spread_rules(np.var, spread_weights, False)
_spread_rules(np.std, spread_weights, True)
_spread_rules(np.nanvar, nan_spread_weights, False)
_spread_rules(np.nanstd, nan_spread_weights, True)
