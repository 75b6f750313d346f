"""Functions that make arrays from shapes (np.zeros, np.eye, np.arange, the `_like` ones)
and read shapes (np.shape, np.size, np.ndim). None has a derivative: what they make does
not depend differentiably on their operands."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..ir.types import Array, Scalar, TupleKind, kind_of
from .kinds import NUMPY_DTYPES, array_kind, const, dtype_of, int_kind, shape_of
from .helpers import supported
from .record import defjvp, defvjp, defzero, primitive


def creation_kind(op, kinds, producers, dtype=float):
    """np.zeros / np.ones / np.empty of a constant shape: float arrays (or `dtype`),
    unless a dtype says otherwise."""
    shape = const(op.inputs[0]) if op.inputs else op.attrs.get("shape")
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, tuple):
        return None
    try:
        return array_kind(shape, kind_of(np.zeros((), dtype=op.attrs.get("dtype", dtype))).dtype)
    except TypeError:
        return None


def full_kind(op, kinds, producers):
    """np.full(shape, value): of the value's dtype, unless a dtype says otherwise."""
    if len(kinds) != 2 or not isinstance(kinds[1], (Scalar, Array)):
        return creation_kind(op, kinds, producers) if "dtype" in op.attrs and len(kinds) == 2 else None
    fill = {"bool": bool, "int": int, "float": float, "complex": complex}.get(kinds[1].dtype, object)
    return creation_kind(op, kinds, producers, fill)


def _dtype_named(op, default):
    """The dtype name of what an op with only a `dtype=` keyword makes (None: another
    keyword, or a dtype NumPy refuses)."""
    if set(op.attrs) - {"dtype"}:
        return None
    try:
        return kind_of(np.zeros((), dtype=op.attrs.get("dtype", default))).dtype
    except TypeError:
        return None


def eye_kind(op, kinds, producers):
    """np.eye(n) and np.eye(n, m, k) (k may be known only at run time): float n x m,
    unless a dtype says otherwise."""
    n = const(op.inputs[0]) if op.inputs else None
    m = const(op.inputs[1]) if len(op.inputs) > 1 else n
    dtype = _dtype_named(op, float)
    if dtype is None or len(op.inputs) > 3 or not isinstance(n, int) or not isinstance(m, int):
        return None
    return array_kind((n, m), dtype)


def arange_kind(op, kinds, producers):
    """np.arange of constant bounds: its length, and its dtype (the bounds' or a
    `dtype=`'s)."""
    bounds = [const(x) for x in op.inputs]
    if not bounds or any(not isinstance(b, (int, float)) or isinstance(b, bool) for b in bounds):
        return None
    made = np.arange(*bounds)
    dtype = _dtype_named(op, made.dtype)
    return array_kind(made.shape, dtype) if dtype is not None else None


def linspace_kind(op, kinds, producers):
    """np.linspace(start, stop, num) of ends of known shapes and a known num: what NumPy
    makes of ends of those shapes; not with `retstep=True` (a tuple)."""
    num = const(op.inputs[2]) if len(op.inputs) > 2 else op.attrs.get("num", 50)
    ends = kinds[:2]
    shapes = [shape_of(k) for k in ends]
    if len(ends) != 2 or any(shape is None or dtype_of(k) is None for shape, k in zip(shapes, ends)) \
            or type(num) is not int or op.attrs.get("retstep"):
        return None
    probes = [np.zeros(shape, NUMPY_DTYPES[dtype_of(k)]) for shape, k in zip(shapes, ends)]
    keywords = {k: v for k, v in op.attrs.items() if k != "num"}
    try:
        made = np.linspace(*probes, num, **keywords)
    except (TypeError, ValueError):
        return None
    return array_kind(made.shape, kind_of(made).dtype)


def like_kind(op, kinds, producers):
    """np.zeros_like(x) and its kin (np.full_like's fill is its second operand): the
    kind of `x`, in the dtype an argument names."""
    kind = kinds[0] if kinds else None
    fill = 2 if op.prim == "np.full_like" else 1
    if not isinstance(kind, (Scalar, Array)) or len(op.inputs) > fill or set(op.attrs) - {"dtype"}:
        return None
    if "dtype" not in op.attrs:
        return kind
    try:
        dtype = kind_of(np.zeros((), dtype=op.attrs["dtype"])).dtype
    except TypeError:
        return None
    return replace(kind, dtype=dtype)


def shape_kind(op, kinds, producers):
    shape = shape_of(kinds[0])
    return TupleKind((Scalar("int"),) * len(shape)) if shape is not None else None


MADE = dict(allocates=True, fresh=True)
primitive(np.zeros, np.ones, np.empty, infer=creation_kind, **MADE)
primitive(np.full, infer=full_kind, **MADE)
primitive(np.zeros_like, np.ones_like, np.empty_like, np.full_like, infer=like_kind, reads_shape_only=True, **MADE)
primitive(np.eye, infer=eye_kind, fresh=True)
primitive(np.arange, infer=arange_kind, fresh=True)
primitive(np.linspace, infer=linspace_kind, fresh=True)
primitive(np.shape, infer=shape_kind, reads_shape_only=True, shape_query=True, attributes=("shape",))
primitive(np.size, infer=int_kind, reads_shape_only=True, shape_query=True, attributes=("size",))
primitive(np.ndim, infer=int_kind, reads_shape_only=True, shape_query=True, attributes=("ndim",))
primitive("len", reads_shape_only=True, shape_query=True)
for _fn in (np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.eye,
            np.arange, np.linspace):
    primitive(_fn, array_api=_fn.__name__)  # (the Array API standard's names are NumPy's)
defzero(np.shape, np.size, np.ndim, np.ones_like, np.zeros_like, np.full_like, np.empty_like)


_LINSPACE_AXIS = ("np.linspace is differentiated with its samples along axis 0; move the axis after: "
                  "np.moveaxis(np.linspace(start, stop, num), 0, axis)")


def _shares(num, endpoint, ndim):
    """Each sample's share of `stop` (1 - it: of `start`), along the first of `ndim` axes."""
    w = np.linspace(0.0, 1.0, num) if endpoint else np.linspace(0.0, 1.0, num, endpoint=False)
    if ndim > 1:
        w = np.reshape(w, (-1,) + (1,) * (ndim - 1))
    return w


@defvjp(np.linspace, broadcasting=True)
def linspace_vjp(g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """The samples are start (1 - w) + stop w, w = np.linspace(0, 1, num): each end's
    cotangent is g weighted by its share, summed over the samples (then over the axes
    its end was broadcast along, as for any broadcasting rule)."""
    supported(axis == 0 and not retstep, _LINSPACE_AXIS)
    w = _shares(num, endpoint, np.ndim(ans))
    return np.sum(g * (1.0 - w), axis=0), np.sum(g * w, axis=0)


@defjvp(np.linspace, broadcasting=True)
def linspace_jvp(dstart, dstop, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    supported(axis == 0 and not retstep, _LINSPACE_AXIS)
    w = _shares(num, endpoint, np.ndim(ans))
    return dstart * (1.0 - w) + dstop * w
