"""Functions along an axis that depend on the elements' positions or order: running sums
and products (np.cumsum, np.cumprod, their nan and `cumulative_` forms), products
(np.prod, np.nanprod: the running products before and after each element), differences
(np.diff, np.ediff1d), sorting (np.sort) and the reductions that pick elements by order
(np.median, np.ptp, np.nanmax, np.nanmin).

Products are differentiated without dividing by the operand, so exactly where it has
zeros, and to every order: the derivative of a product over a range is a sum of
products over ranges, computed by the linear recurrence `h[i] = a[i] h[i-1] + b[i]`
(`recurrence`: recursive doubling, log2(n) steps of products and sums, as JAX's
associative scan), whose own derivatives are recurrences again.

np.diff's `prepend=` and `append=` (np.ediff1d's `to_begin=`, `to_end=`) are constants
given by keyword, without derivative; the rules refuse them by position.

Sorting and the order statistics follow JAX: the cotangent goes back through the
permutation of a stable sort (tied elements keep their order); the median is the mean of
the middle one or two elements of that order; the max and min reductions share `g` among
tied elements (select.py's rule, which the nan forms reuse: a NaN never equals the result).
"""

from __future__ import annotations

import numpy as np

from .helpers import batch_axis, reduce_tangent, supported
from .indexing import positions
from .kinds import by_probing
from .reads import are_ids
from .record import PRIMITIVES, compile_time, defjvp, defvjp, primitive
from .reductions import counted, expanded, reduction_kind
from .select import max_jvp, max_vjp  # (the nan forms' rules, and np.ptp's weights)

NO_VALUE = np._NoValue
"""NumPy's default for a parameter not given (np.diff's prepend and append)."""


def _as_numpy(op, *operands):
    """The op run by NumPy, on probes of its operands (for `by_probing`)."""
    return PRIMITIVES.callable(op.prim)(*operands, **op.attrs)


along_kind = by_probing(_as_numpy, exact=False)
"""The result of NumPy on probes: its rank is known whenever its operands' are."""

CUMULATIVE = [np.cumsum, np.cumprod, np.nancumsum, np.nancumprod]
if hasattr(np, "cumulative_sum"):  # (NumPy 2.1)
    CUMULATIVE += [np.cumulative_sum, np.cumulative_prod]
primitive(*CUMULATIVE, np.diff, np.ediff1d, np.sort, infer=along_kind, fresh=True)
primitive(np.cumsum, np.nancumsum, linear=True)  # (not np.diff: a constant prepend= makes it affine)
primitive(np.cumsum, methods=("cumsum",))
primitive(np.cumprod, methods=("cumprod",))
for _fn, _name in ((np.cumsum, "cumulative_sum"), (np.prod, "prod"), (np.argmax, "argmax"), (np.argmin, "argmin"),
                   (np.any, "any"), (np.all, "all"), (np.sort, "sort"), (np.argsort, "argsort")):
    primitive(_fn, array_api=_name)  # (their names in the Array API standard)
primitive(np.prod, np.nanprod, np.median, np.ptp, np.nanmax, np.nanmin, infer=reduction_kind, reduces=True)
primitive(np.prod, methods=("prod",))
primitive(*CUMULATIVE, np.diff, np.sort, np.argsort, np.argmax, np.argmin, np.any, np.all, np.count_nonzero,
          flattens=True)
primitive(np.argsort, np.argmax, np.argmin, np.any, np.all, np.count_nonzero, infer=along_kind)


def diff_reads(a, n=1, axis=-1, **ends):
    """Element k of np.diff along `axis` reads elements k to k + n there (the sparsity
    analysis's `reads`; with prepend= or append=: not said)."""
    if ends or not are_ids(a) or a.ndim == 0 or not isinstance(n, int):
        return None
    a = np.asarray(a)
    kept = max(a.shape[axis] - n, 0)
    return np.stack([np.take(a, np.arange(j, j + kept), axis=axis) for j in range(n + 1)], axis=-1)


primitive(np.diff, reads=diff_reads)


# --- positions along an axis ------------------------------------------------------


@compile_time
def along(axis, where):
    """The index that applies `where` (a slice) along `axis` and takes every element of
    the other axes (`[:, where]` for axis 1, `[..., where, :]` for axis -2)."""
    if axis < 0:
        return (Ellipsis, where) + (slice(None),) * (-axis - 1)
    return (slice(None),) * axis + (where,) if axis else where


def reverse(v, axis):
    return v[along(axis, slice(None, None, -1))]


def shifted(v, axis, fill):
    """`v` moved one place on along `axis`, `fill` in the first place."""
    s = np.full_like(v, fill)
    s[along(axis, slice(1, None))] = v[along(axis, slice(None, -1))]
    return s


def recurrence(b, a, axis):
    """`h` with `h[i] = a[i] * h[i-1] + b[i]` along `axis` (`h[-1] = 0`): the affine maps
    `h -> a[i] h + b[i]` composed by recursive doubling (after the step of `d`, each
    place holds the composition of the `2d` maps ending there; a map before the first
    is `h -> 0`). The axis is moved first, for slices by a run-time `d`."""
    if axis != 0:
        b, a = np.moveaxis(b, axis, 0), np.moveaxis(a, axis, 0)
    n = np.shape(b)[0]
    d = 1
    while d < n:
        b_before, a_before = np.zeros_like(b), np.zeros_like(a)
        b_before[d:], a_before[d:] = b[:-d], a[:-d]
        b, a = b + a * b_before, a * a_before
        d = 2 * d
    if axis != 0:
        b = np.moveaxis(b, 0, axis)
    return b


def flat(t, x, batch):
    """A tangent of `x` flattened after its batch axis (as NumPy flattens for axis=None)."""
    if batch:
        return np.reshape(t, (np.shape(t)[0], np.size(x)))
    return np.ravel(t)


# --- running sums -----------------------------------------------------------------


def cumsum_back(g, axis):
    """The cotangent of a running sum: at each place, the sum of `g` there and after."""
    return reverse(np.cumsum(reverse(g, axis), axis=axis), axis)


@defvjp(np.cumsum, broadcasting=False)
def cumsum_vjp(g, ans, x, axis=None, dtype=None, out=None):
    if axis is None:
        return np.reshape(cumsum_back(g, 0), np.shape(x))
    return cumsum_back(g, axis)


def cumsum_forward(dx, x, axis, batch):
    if axis is None:
        return np.cumsum(flat(dx, x, batch), axis=-1)
    return np.cumsum(dx, axis=batch_axis(axis, batch))


@defjvp(np.cumsum, broadcasting=False)
def cumsum_jvp(dx, ans, x, axis=None, dtype=None, out=None, *, batch=0):
    return cumsum_forward(dx, x, axis, batch)


@defvjp(np.nancumsum, broadcasting=False)
def nancumsum_vjp(g, ans, x, axis=None, dtype=None, out=None):
    """A NaN counts as 0: no cotangent."""
    return np.where(np.isnan(x), 0.0, cumsum_vjp(g, ans, x, axis))


@defjvp(np.nancumsum, broadcasting=False)
def nancumsum_jvp(dx, ans, x, axis=None, dtype=None, out=None, *, batch=0):
    return cumsum_forward(np.where(np.isnan(x), 0.0, dx), x, axis, batch)


# --- running products -------------------------------------------------------------


def cumprod_back(g, ans, x, axis):
    """The cotangent of `ans = cumprod(x)` along `axis`: at `j`, the sum over `i >= j` of
    `g[i]` times the product of `x[:i+1]` but `x[j]`, that is `ans[j-1] s[j]` with
    `s[j] = g[j] + x[j+1] s[j+1]` (a recurrence run backwards)."""
    s = reverse(recurrence(reverse(g, axis), shifted(reverse(x, axis), axis, 0.0), axis), axis)
    return shifted(ans, axis, 1.0) * s


def cumprod_forward(dx, ans, x, axis, batch):
    """The tangent of `ans = cumprod(x)` along `axis`: `t[i] = x[i] t[i-1] + ans[i-1] dx[i]`.
    Batched, `x` and `ans` gain a leading axis of length 1, so that one axis number serves
    all."""
    if axis is None:
        dx, x, axis = flat(dx, x, batch), np.ravel(x), -1
    before = shifted(ans, axis, 1.0)
    if batch:
        return recurrence(dx * before[None], x[None], batch_axis(axis, 1))
    return recurrence(dx * before, x, axis)


@defvjp(np.cumprod, broadcasting=False)
def cumprod_vjp(g, ans, x, axis=None, dtype=None, out=None):
    if axis is None:
        return np.reshape(cumprod_back(g, ans, np.ravel(x), 0), np.shape(x))
    return cumprod_back(g, ans, x, axis)


@defjvp(np.cumprod, broadcasting=False)
def cumprod_jvp(dx, ans, x, axis=None, dtype=None, out=None, *, batch=0):
    return cumprod_forward(dx, ans, x, axis, batch)


@defvjp(np.nancumprod, broadcasting=False)
def nancumprod_vjp(g, ans, x, axis=None, dtype=None, out=None):
    """A NaN counts as 1: no cotangent."""
    nan = np.isnan(x)
    return np.where(nan, 0.0, cumprod_vjp(g, ans, np.where(nan, 1.0, x), axis))


@defjvp(np.nancumprod, broadcasting=False)
def nancumprod_jvp(dx, ans, x, axis=None, dtype=None, out=None, *, batch=0):
    nan = np.isnan(x)
    return cumprod_forward(np.where(nan, 0.0, dx), ans, np.where(nan, 1.0, x), axis, batch)


if hasattr(np, "cumulative_sum"):

    def initial_off(g, axis, include_initial):
        """The cotangent without the place `include_initial` puts first (of no operand)."""
        if include_initial:
            return g[along(axis, slice(1, None))]
        return g

    @defvjp(np.cumulative_sum, broadcasting=False)
    def cumulative_sum_vjp(g, ans, x, *, axis=None, dtype=None, out=None, include_initial=False):
        axis = -1 if axis is None else axis  # (left out for a vector only)
        return cumsum_back(initial_off(g, axis, include_initial), axis)

    @defjvp(np.cumulative_sum, broadcasting=False)
    def cumulative_sum_jvp(dx, ans, x, *, axis=None, dtype=None, out=None, include_initial=False, batch=0):
        return np.cumulative_sum(dx, axis=batch_axis(-1 if axis is None else axis, batch),
                                 include_initial=include_initial)

    @defvjp(np.cumulative_prod, broadcasting=False)
    def cumulative_prod_vjp(g, ans, x, *, axis=None, dtype=None, out=None, include_initial=False):
        axis = -1 if axis is None else axis
        return cumprod_back(initial_off(g, axis, include_initial), initial_off(ans, axis, include_initial), x, axis)

    @defjvp(np.cumulative_prod, broadcasting=False)
    def cumulative_prod_jvp(dx, ans, x, *, axis=None, dtype=None, out=None, include_initial=False, batch=0):
        axis = -1 if axis is None else axis
        t = cumprod_forward(dx, initial_off(ans, axis, include_initial), x, axis, batch)
        if include_initial:  # (the initial 1 is constant)
            return np.concatenate([np.zeros_like(t[along(batch_axis(axis, batch), slice(0, 1))]), t],
                                  axis=batch_axis(axis, batch))
        return t


# --- products -----------------------------------------------------------------------


@compile_time
def axes_of(axis):
    return axis if isinstance(axis, tuple) else (axis,)


@compile_time
def last_axes(axis):
    """Where `np.moveaxis` puts the axes of the tuple `axis` to make them the last ones."""
    return tuple(range(-len(axis), 0))


def merged(x, axis):
    """`x` with the axes a reduction over `axis` reduces made one (`merged_axis`): the
    last, for several; `x` flattened, for None."""
    if axis is None:
        return np.ravel(x)
    if len(axes_of(axis)) == 1:
        return x
    moved = np.moveaxis(x, axis, last_axes(axis))
    return np.reshape(moved, np.shape(moved)[:-len(axis)] + (-1,))


def unmerged(w, x, axis):
    """`w`, in the shape of `merged(x, axis)`, back in the shape of `x`."""
    if axis is None:
        return np.reshape(w, np.shape(x))
    if len(axes_of(axis)) == 1:
        return w
    moved = np.moveaxis(x, axis, last_axes(axis))
    return np.moveaxis(np.reshape(w, np.shape(moved)), last_axes(axis), axis)


@compile_time
def merged_axis(axis):
    """The axis of `merged(x, axis)` that holds the reduced elements."""
    if axis is None:
        return 0
    return axes_of(axis)[0] if len(axes_of(axis)) == 1 else -1


def others(x, axis):
    """For each element of `x`, the product of the others reduced with it: the running
    product before it times the one after it, exact where `x` has zeros."""
    m, along_m = merged(x, axis), merged_axis(axis)
    before = shifted(np.cumprod(m, axis=along_m), along_m, 1.0)
    after = reverse(shifted(np.cumprod(reverse(m, along_m), axis=along_m), along_m, 1.0), along_m)
    return unmerged(before * after, x, axis)


def product_weights(x, axis, initial):
    if initial == 1:
        return others(x, axis)
    return initial * others(x, axis)


def nanprod_weights(x, axis, initial):
    """A NaN counts as 1, and has no derivative."""
    return counted(x) * product_weights(np.where(np.isnan(x), 1.0, x), axis, initial)


def product_rules(fn, weights):
    """The rules of a product reduction: the cotangent and the tangent weighted, element by
    element, by `weights(x, axis, initial)` (the product of the others)."""
    refusal = f"np.{fn.__name__} with where= has no derivative rule"

    def vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=1, where=True):
        supported(where is True, refusal)
        return expanded(g, axis, keepdims) * weights(x, axis, initial)

    def jvp(dx, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=1, where=True, *, batch=0):
        supported(where is True, refusal)
        return reduce_tangent(dx * weights(x, axis, initial), ans, x, axis, keepdims, batch)

    defvjp(fn, broadcasting=False)(vjp)
    defjvp(fn, broadcasting=False)(jvp)


product_rules(np.prod, product_weights)
product_rules(np.nanprod, nanprod_weights)


# --- differences --------------------------------------------------------------------


@compile_time
def given(edge):
    return edge is not NO_VALUE and edge is not None


@compile_time
def edge_length(edge, axis):
    """How many places along `axis` np.diff's `prepend` or `append` takes (0: none)."""
    if not given(edge):
        return 0
    return 1 if np.ndim(edge) == 0 else np.shape(edge)[axis]


@compile_time
def edge_shape(edge):
    return np.shape(edge)


@compile_time
def between(axis, start, end):
    """The index that leaves out `start` places at the start along `axis` and `end` at
    the end (of an operand extended by np.diff's `prepend` and `append`)."""
    return along(axis, slice(start, -end if end else None))


def zeros_edge(t, edge, axis, batch):
    """Zeros in the place of np.diff's `prepend` or `append` (a number, broadcast, or a
    tuple), for the tangent `t`."""
    if edge_shape(edge) == ():
        return np.zeros_like(t[along(axis, slice(0, 1))])
    if batch:
        return np.zeros((np.shape(t)[0],) + edge_shape(edge))
    return np.zeros(edge_shape(edge))


def diff_back(g, n, axis):
    """The transpose of `n` differences along `axis`: minus the difference of `g` with a
    zero at each end, `n` times."""
    if n == 0:
        return g
    return diff_back(-np.diff(g, axis=axis, prepend=0.0, append=0.0), n - 1, axis)


@defvjp(np.diff, broadcasting=False)
def diff_vjp(g, ans, x, n=1, axis=-1, *, prepend=NO_VALUE, append=NO_VALUE):
    """Of the transposed differences, the places of `prepend` and `append` cut off."""
    g = diff_back(g, n, axis)
    if given(prepend) or given(append):
        return g[between(axis, edge_length(prepend, axis), edge_length(append, axis))]
    return g


@defjvp(np.diff, broadcasting=False)
def diff_jvp(dx, ans, x, n=1, axis=-1, *, prepend=NO_VALUE, append=NO_VALUE, batch=0):
    """The difference of the tangent extended by zeros (constant `prepend` and `append`)."""
    axis = batch_axis(axis, batch)
    if given(prepend):
        dx = np.concatenate([zeros_edge(dx, prepend, axis, batch), dx], axis=axis)
    if given(append):
        dx = np.concatenate([dx, zeros_edge(dx, append, axis, batch)], axis=axis)
    return np.diff(dx, n=n, axis=axis)


@defvjp(np.ediff1d, broadcasting=False)
def ediff1d_vjp(g, ans, x, *, to_end=None, to_begin=None):
    """np.diff's, of the flattened operand; `to_begin` and `to_end` are cut off."""
    g = g[between(0, edge_size(to_begin), edge_size(to_end))]
    return np.reshape(diff_back(g, 1, 0), np.shape(x))


@compile_time
def edge_size(edge):
    """How many places np.ediff1d's `to_begin` or `to_end` takes (0: none)."""
    return np.size(edge) if given(edge) else 0


@defjvp(np.ediff1d, broadcasting=False)
def ediff1d_jvp(dx, ans, x, *, to_end=None, to_begin=None, batch=0):
    """The differences of the tangent, flattened after its batch axis, between zeros."""
    t = np.diff(flat(dx, x, batch), axis=-1)
    directions = (np.shape(dx)[0],) if batch else ()
    if given(to_begin):
        t = np.concatenate([np.zeros(directions + (edge_size(to_begin),)), t], axis=-1)
    if given(to_end):
        t = np.concatenate([t, np.zeros(directions + (edge_size(to_end),))], axis=-1)
    return t


# --- sorting and order statistics -----------------------------------------------------


def sorted_positions(x, axis):
    """The flat position in `x` of each element of `np.sort(x, axis)`, in a stable sort
    (tied elements keep their order, as in JAX's sort)."""
    if axis is None:
        return np.argsort(x, axis=None, kind="stable")
    return np.take_along_axis(positions(x), np.argsort(x, axis=axis, kind="stable"), axis=axis)


@defvjp(np.sort, broadcasting=False)
def sort_vjp(g, ans, x, axis=-1, kind=None, order=None, *, stable=None):
    """`g` put back where each element came from."""
    bx = np.zeros(np.size(x))
    bx[np.ravel(sorted_positions(x, axis))] = np.ravel(g)
    return np.reshape(bx, np.shape(x))


@defjvp(np.sort, broadcasting=False)
def sort_jvp(dx, ans, x, axis=-1, kind=None, order=None, *, stable=None, batch=0):
    """The tangent sorted as `x` is."""
    if batch:
        return flat(dx, x, batch)[:, sorted_positions(x, axis)]
    return np.ravel(dx)[sorted_positions(x, axis)]


def median_weights(x, ans, axis, keepdims):
    """1/2 at each of the two middle elements of a stable sort (1 at the middle one of an
    odd count); NaN for a result that is NaN (a NaN among the elements)."""
    m, along_m = merged(x, axis), merged_axis(axis)
    rank = np.argsort(np.argsort(m, axis=along_m, kind="stable"), axis=along_m, kind="stable")
    n = np.shape(m)[along_m]
    w = unmerged((rank == (n - 1) // 2) / 2.0 + (rank == n // 2) / 2.0, x, axis)
    return np.where(np.isnan(expanded(ans, axis, keepdims)), np.nan, w)


OVERWRITTEN = ("np.median with overwrite_input=True reorders its operand in place, which the derivative cannot "
               "follow: leave the default")


@defvjp(np.median, broadcasting=False)
def median_vjp(g, ans, x, axis=None, out=None, overwrite_input=False, keepdims=False):
    supported(not overwrite_input, OVERWRITTEN)
    return expanded(g, axis, keepdims) * median_weights(x, ans, axis, keepdims)


@defjvp(np.median, broadcasting=False)
def median_jvp(dx, ans, x, axis=None, out=None, overwrite_input=False, keepdims=False, *, batch=0):
    supported(not overwrite_input, OVERWRITTEN)
    return reduce_tangent(dx * median_weights(x, ans, axis, keepdims), ans, x, axis, keepdims, batch)


def ptp_weights(x, axis):
    """np.max's weights minus np.min's (ties shared, as there)."""
    largest = np.max(x, axis=axis, keepdims=True)
    smallest = np.min(x, axis=axis, keepdims=True)
    return (max_vjp(np.ones_like(largest), largest, x, axis, None, True)
            - max_vjp(np.ones_like(smallest), smallest, x, axis, None, True))


@defvjp(np.ptp, broadcasting=False)
def ptp_vjp(g, ans, x, axis=None, out=None, keepdims=False):
    return expanded(g, axis, keepdims) * ptp_weights(x, axis)


@defjvp(np.ptp, broadcasting=False)
def ptp_jvp(dx, ans, x, axis=None, out=None, keepdims=False, *, batch=0):
    return reduce_tangent(dx * ptp_weights(x, axis), ans, x, axis, keepdims, batch)


defvjp(np.nanmax, np.nanmin, broadcasting=False)(max_vjp)
defjvp(np.nanmax, np.nanmin, broadcasting=False)(max_jvp)
