"""Functions that move, repeat, drop or pick an array's elements: np.tile, np.repeat,
np.flip (np.fliplr, np.flipud), np.rot90, np.roll, np.pad, np.delete, np.insert, np.take,
np.take_along_axis.

Each element of the result is an element of an operand (or a constant: a pad's), so each
function is linear in its operands. A VJP sends each cotangent element back to the element
it came from, adding where one element went to several places (a tile, a repeat, an edge
pad: `np.add.at` semantics, `add_at`). Where a rule has no closed form, it finds where each
element came from by applying the function itself to the operand's flat positions
(`taken = np.pad(positions(x), 2, mode="edge")`: exact for every index and mode NumPy
accepts) and scatters the cotangent there (`scattered`); its JVP gathers the tangent from
there (`gathered`, after the batch axis in batched mode).

Static parameters (reps, shifts, pad widths, axes) are constants. A count or an index
operand may be a run-time value (`np.take(x, i)` in a loop), and has no derivative.
"""

from __future__ import annotations

import numpy as np

from ..ir import Const, Value
from ..ir.types import Array, ListKind, Scalar, join, kind_of
from ..runtime import add_at
from .helpers import batch_axis, no_derivative, supported
from .indexing import positions
from .kinds import array_kind, probe_of, same_kind, shape_of, static
from .record import compile_time, defjvp, defvjp, primitive

# ---- kinds ----

RUN_TIME = object()
"""The value of an operand known only at run time."""


def static_value(x, producers):
    """The value of an operand known while compiling: a constant, or an array the frontend
    made of a list of constants (`np.take(x, [0, 2])`); else RUN_TIME."""
    if isinstance(x, Const):
        return x.value
    made = producers.get(x) if isinstance(x, Value) else None
    if made is not None and made.prim in ("np.array", "np.asarray") and all(isinstance(y, Const) for y in made.inputs):
        return np.array(*[y.value for y in made.inputs], **made.attrs)
    return RUN_TIME


def by_values(fn, data=(0,)):
    """A kind rule running `fn(*operands, **attrs)` on zero arrays of the shapes of the
    operands at positions `data` and on the values of the others (the counts, indices,
    widths the result's shape depends on): None where one of those is known only at run
    time, or a data operand's shape is unknown."""

    def infer(op, kinds, producers):
        args = []
        for k, (x, kind) in enumerate(zip(op.inputs, kinds)):
            value = probe_of(kind) if k in data and not isinstance(x, Const) else static_value(x, producers)
            if value is None and k in data or value is RUN_TIME or k in data and shape_of(kind) is None:
                return None
            args.append(value)
        try:
            with np.errstate(all="ignore"):
                made = fn(*args, **op.attrs)
        except Exception:  # noqa: BLE001 - operands NumPy refuses: it says so at run time
            return None
        if isinstance(made, (list, tuple)):
            return sequence_kind(made)
        made = np.asarray(made)
        return array_kind(made.shape, kind_of(made).dtype)

    return infer


def sequence_kind(arrays):
    """A list of arrays (np.split's): a list whose item is the join of the arrays' kinds
    (their shape where they share one). The compiler reads such a result as a run-time
    list: an item read from it is one item, and its adjoint is a list of the items'."""
    item = None
    for k, a in enumerate(arrays):
        item = kind_of(np.asarray(a)) if k == 0 else join(item, kind_of(np.asarray(a)))
    return ListKind(item) if arrays else ListKind(empty=True)


def counted(fn, axis_at, data=(0,)):
    """The kind rule of `fn`, which keeps the operand's axes (or, without an axis, makes
    a vector) but whose lengths depend on counts or indices: NumPy's, else, where those
    are known only at run time (an array read from outside, say), the rank alone."""
    known = by_values(fn, data)

    def infer(op, kinds, producers):
        x = kinds[0]
        found = known(op, kinds, producers)
        if found is not None or not isinstance(x, (Scalar, Array)):
            return found
        return Array(1 if static(op, axis_at, "axis") is None else x.ndim, x.dtype)

    return infer


primitive(np.tile, infer=by_values(np.tile), linear=True, fresh=True)
primitive(np.repeat, infer=counted(np.repeat, 2), linear=True, fresh=True, methods=("repeat",))
primitive(np.flip, np.fliplr, np.flipud, infer=same_kind, linear=True, view=True)
primitive(np.rot90, infer=by_values(np.rot90), linear=True, view=True)
primitive(np.roll, infer=same_kind, linear=True, fresh=True)
primitive(np.pad, infer=by_values(np.pad), fresh=True)
primitive(np.delete, infer=counted(np.delete, 2), linear=True, fresh=True)
primitive(np.insert, infer=counted(np.insert, 3, data=(0, 2)), fresh=True, additive=True)
primitive(np.take, infer=by_values(np.take, data=(0, 1)), linear=True, fresh=True, methods=("take",))
primitive(np.take_along_axis, infer=by_values(np.take_along_axis, data=(0, 1)), linear=True, fresh=True)
primitive(np.tile, np.repeat, np.flip, np.fliplr, np.flipud, np.rot90, np.roll, np.delete, np.take, np.take_along_axis,
          moves=(0,))
primitive(np.insert, moves=(0, 2))
for _fn in (np.tile, np.repeat, np.flip, np.roll, np.take):
    primitive(_fn, array_api=_fn.__name__)  # (the Array API standard's names are NumPy's)

# ---- helpers the rules share (inlined) ----


def scattered(g, x, taken):
    """The cotangent of `x` for a result whose elements are `np.ravel(x)[taken]`: each
    element of `g` added at the position it was taken from."""
    return np.reshape(add_at(np.zeros(np.size(x)), np.ravel(taken), np.ravel(g)), np.shape(x))


def gathered(dx, x, taken, batch):
    """The tangent of a result whose elements are `np.ravel(x)[taken]`."""
    if batch:
        return np.reshape(dx, (np.shape(dx)[0], np.size(x)))[:, taken]
    return np.ravel(dx)[taken]


# ---- tiles and repeats ----


@compile_time
def tiling(reps):
    """np.tile's repetitions as a tuple of ints, and the axes of copies in the cotangent
    split by `copies` (None if a count is 0: no element is copied)."""
    reps = tuple(int(r) for r in np.atleast_1d(reps))
    if 0 in reps:
        return reps, None
    split = [k for k, r in enumerate(reps) if r > 1]
    return reps, tuple(1 + k + split.index(k) for k in split)


def copies(r, length):
    """An axis of `length` holding `r` copies, as the axes (copy, element)."""
    if r > 1:
        return (r, length // r)
    return (length,)


@defvjp(np.tile, broadcasting=False)
def tile_vjp(g, ans, x, reps):
    """The copies summed: each tiled axis of `g` split into (copy, element), the copy
    axes summed. The repetitions align with the last axes: the leading ones are flattened
    into one (-1), so the split needs no rank."""
    reps, axes = tiling(reps)
    if axes is None:
        return np.zeros_like(x)
    m = len(reps)
    blocks = (-1,) + tuple(n for k in range(m) for n in copies(reps[k], np.shape(g)[k - m]))
    return np.reshape(np.sum(np.reshape(g, blocks), axis=axes), np.shape(x))


@defjvp(np.tile, broadcasting=False)
def tile_jvp(dx, ans, x, reps, *, batch=0):
    """Batched: the tangent first given the result's rank (axes of length 1 in front), so
    that the repetitions, which align with the last axes, leave its batch axis alone."""
    if batch:
        lead = (np.shape(dx)[0],) + (1,) * (np.ndim(ans) - np.ndim(x))
        return np.tile(np.reshape(dx, lead + np.shape(x)), reps)
    return np.tile(dx, reps)


@defvjp(np.repeat, broadcasting=False)
def repeat_vjp(g, ans, x, repeats, axis=None):
    """Each element's copies summed, by scattering back (the counts may be known only at
    run time, one or one per element)."""
    return scattered(g, x, np.repeat(positions(x), repeats, axis))


@defjvp(np.repeat, broadcasting=False)
def repeat_jvp(dx, ans, x, repeats, axis=None, *, batch=0):
    if batch and axis is None:
        return np.repeat(np.reshape(dx, (np.shape(dx)[0], np.size(x))), repeats, axis=1)
    return np.repeat(dx, repeats, axis=batch_axis(axis, batch))


# ---- flips, rotations, rolls ----


@defvjp(np.flip, broadcasting=False)
def flip_vjp(g, ans, x, axis=None):
    if axis is None:
        return np.flip(g)
    return np.flip(g, axis)


@defjvp(np.flip, broadcasting=False)
def flip_jvp(dx, ans, x, axis=None, *, batch=0):
    """Batched, every axis: all flipped, then the batch axis flipped back."""
    if axis is None and batch:
        return np.flip(np.flip(dx), 0)
    if axis is None:
        return np.flip(dx)
    return np.flip(dx, batch_axis(axis, batch))


@defvjp(np.flipud, broadcasting=False)
def flipud_vjp(g, ans, x):
    return np.flipud(g)


@defjvp(np.flipud, broadcasting=False)
def flipud_jvp(dx, ans, x, *, batch=0):
    return np.flip(dx, batch)


@defvjp(np.fliplr, broadcasting=False)
def fliplr_vjp(g, ans, x):
    return np.fliplr(g)


@defjvp(np.fliplr, broadcasting=False)
def fliplr_jvp(dx, ans, x, *, batch=0):
    return np.flip(dx, 1 + batch)


@defvjp(np.rot90, broadcasting=False)
def rot90_vjp(g, ans, x, k=1, axes=(0, 1)):
    """Rotated back: by -k quarter turns in the same plane."""
    return np.rot90(g, -k, axes)


@defjvp(np.rot90, broadcasting=False)
def rot90_jvp(dx, ans, x, k=1, axes=(0, 1), *, batch=0):
    return np.rot90(dx, k, batch_axis(axes, batch))


@defvjp(np.roll, broadcasting=False)
def roll_vjp(g, ans, x, shift, axis=None):
    """Rolled back by the opposite shift."""
    return np.roll(g, np.negative(shift), axis)


@defjvp(np.roll, broadcasting=False)
def roll_jvp(dx, ans, x, shift, axis=None, *, batch=0):
    """Batched, flattened (no axis): rolled along the flat elements of each direction."""
    if batch and axis is None:
        directions = (np.shape(dx)[0],)
        flat = np.roll(np.reshape(dx, directions + (np.size(x),)), shift, 1)
        return np.reshape(flat, directions + np.shape(x))
    return np.roll(dx, shift, batch_axis(axis, batch))


# ---- pads ----

GATHERING_PADS = ("edge", "reflect", "symmetric", "wrap")
"""np.pad's modes whose pads are copies of elements: their derivatives scatter and gather
through the positions. 'constant' pads with a constant; the statistical modes ('mean',
'maximum', ...), 'linear_ramp', 'empty' and `reflect_type='odd'` are not differentiated."""


def widths_not_known(pad_width, mode, reflect_type):
    no_derivative("np.pad is differentiated with pad widths and a mode known when the function is compiled "
                  "(constants, or the shapes of its arguments); pass them as constants")


@compile_time(run_time=widths_not_known)
def pad_pairs(pad_width, mode, reflect_type):
    """NumPy's pad widths as (True, (before, after)) for one pair for every axis (`2`,
    `(1, 2)`, `((1, 2),)`), else (False, one pair per axis); refuses what the rules do
    not differentiate."""
    supported(mode == "constant" or mode in GATHERING_PADS, f"np.pad with mode={mode!r} has no derivative rule; "
              f"the modes differentiated are 'constant', {', '.join(map(repr, GATHERING_PADS))}")
    supported(reflect_type == "even", "np.pad with reflect_type='odd' has no derivative rule (its pads are not "
              "copies of elements)")
    widths = np.asarray(pad_width, dtype=int)
    every = widths.ndim < 2 or len(widths) == 1
    pairs = np.broadcast_to(widths, (1 if every else len(widths), 2))
    pairs = tuple((int(before), int(after)) for before, after in pairs)
    return (True, pairs[0]) if every else (False, pairs)


@compile_time
def cropping(pair):
    """The slice of a padded axis that holds the array."""
    return slice(pair[0], -pair[1] or None)


@defvjp(np.pad, broadcasting=False)
def pad_vjp(g, ans, x, pad_width, mode="constant", constant_values=0, reflect_type="even"):
    """Constant: the pads cut off. Copying modes: each pad's cotangent added to the element
    it copies. The pad's constant has no derivative."""
    every, pairs = pad_pairs(pad_width, mode, reflect_type)
    if mode != "constant":
        return scattered(g, x, np.pad(positions(x), pad_width, mode=mode))
    if every:
        return g[(cropping(pairs),) * np.ndim(g)]
    return g[tuple(cropping(pair) for pair in pairs)]


@defjvp(np.pad, broadcasting=False)
def pad_jvp(dx, ans, x, pad_width, mode="constant", constant_values=0, reflect_type="even", *, batch=0):
    """The tangent padded with zeros, or with copies as the op pads; batched, the batch
    axis is not padded."""
    every, pairs = pad_pairs(pad_width, mode, reflect_type)
    if mode != "constant":
        return gathered(dx, x, np.pad(positions(x), pad_width, mode=mode), batch)
    if batch and every:
        return np.pad(dx, ((0, 0),) + (pairs,) * np.ndim(x))
    if batch:
        return np.pad(dx, ((0, 0),) + pairs)
    return np.pad(dx, pad_width)


# ---- deleting, inserting, taking ----


@defvjp(np.delete, broadcasting=False)
def delete_vjp(g, ans, arr, obj, axis=None):
    return scattered(g, arr, np.delete(positions(arr), obj, axis))


@defjvp(np.delete, broadcasting=False)
def delete_jvp(darr, ans, arr, obj, axis=None, *, batch=0):
    if batch:
        return gathered(darr, arr, np.delete(positions(arr), obj, axis), batch)
    return np.delete(darr, obj, axis)


def inserted(arr, obj, values, axis):
    """Where each element of `np.insert(arr, obj, values, axis)` comes from: its flat
    position in `arr` (-1 for an inserted one), and in `values` (-1 for one of `arr`'s),
    with NumPy's own broadcasting of `values`."""
    held = np.insert(positions(arr), obj, -1, axis)
    placed = np.insert(np.full(np.shape(arr), -1), obj, positions(values), axis)
    return held, placed


@defvjp(np.insert, broadcasting=False)
def insert_vjp(g, ans, arr, obj, values, axis=None):
    held, placed = inserted(arr, obj, values, axis)
    return scattered(g[held >= 0], arr, held[held >= 0]), None, scattered(g[placed >= 0], values, placed[placed >= 0])


@defjvp(np.insert, broadcasting=False)
def insert_jvp(darr, dvalues, ans, arr, obj, values, axis=None, *, batch=0):
    if batch:
        held, placed = inserted(arr, obj, values, axis)
        return np.where(held >= 0, gathered(darr, arr, held, batch), gathered(dvalues, values, placed, batch))
    return np.insert(darr, obj, dvalues, axis)


@defvjp(np.take, broadcasting=False)
def take_vjp(g, ans, a, indices, axis=None, out=None, mode="raise"):
    """`g` added at the indices taken (an index taken twice gets both), as NumPy reads
    them (mode='wrap' or 'clip')."""
    if axis is None and mode == "raise":
        return np.reshape(add_at(np.zeros(np.size(a)), indices, g), np.shape(a))
    if axis == 0 and mode == "raise":
        return add_at(np.zeros(np.shape(a)), indices, g)
    return scattered(g, a, np.take(positions(a), indices, axis, mode=mode))


@defjvp(np.take, broadcasting=False)
def take_jvp(da, ans, a, indices, axis=None, out=None, mode="raise", *, batch=0):
    if batch and axis is None:
        return np.take(np.reshape(da, (np.shape(da)[0], np.size(a))), indices, axis=1, mode=mode)
    return np.take(da, indices, axis=batch_axis(axis, batch), mode=mode)


@defvjp(np.take_along_axis, broadcasting=False)
def take_along_axis_vjp(g, ans, arr, indices, axis=-1):
    return scattered(g, arr, np.take_along_axis(positions(arr), indices, axis))


@defjvp(np.take_along_axis, broadcasting=False)
def take_along_axis_jvp(darr, ans, arr, indices, axis=-1, *, batch=0):
    if batch:
        return gathered(darr, arr, np.take_along_axis(positions(arr), indices, axis), batch)
    return np.take_along_axis(darr, indices, axis)
