"""Kind and shape inference: abstract values of every IR value from those of the params.

This is what specialization stands on (DESIGN §5a): knowing that two operands have the
same shape lets a pass drop an `unbroadcast`; knowing a value is a Python float lets code
stay scalar. A kind that cannot be inferred is `None`, and every pass treats `None` as
"could be anything", so the generic compilation (all params `None`) stays correct.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from ..ir import Const, Function, Op, Operand, Region, Value, is_absent
from ..ir.prims import (
    BINARY_OPS, COMPARE_OPS, callable_of, over_sequence, carried_args, draws, elementwise_ufunc, loop_inits,
    packed_prim, raises,
)
from ..ir.types import Array, Kind, ListKind, Scalar, SliceKind, TupleKind, join, kind_of, promote

Rule = Callable[[Op, list[Kind]], Kind]


def _kind(x: Operand) -> Kind:
    return kind_of(x.value) if isinstance(x, Const) else x.kind


def _is_none(x: Operand) -> bool:
    return isinstance(x, Const) and x.value is None


def _const(x: Operand) -> Any:
    return x.value if isinstance(x, Const) else None


def _dtype(k: Kind) -> str | None:
    return k.dtype if isinstance(k, (Scalar, Array)) else None


def _shape(k: Kind) -> tuple | None:
    if isinstance(k, Scalar):
        return ()
    if isinstance(k, Array):
        return k.shape
    return None


def _array(shape: tuple | None, dtype: str, ndim: int | None = None) -> Kind:
    """A scalar for shape (), else an array of that shape (or of rank `ndim`)."""
    if shape == () or (shape is None and ndim == 0):
        return Scalar(dtype)
    if shape is None:
        return Array(ndim, dtype) if ndim is not None else None
    return Array(len(shape), dtype, tuple(shape))


def broadcast(kinds: Sequence[Kind], dtype: str | None = None) -> Kind:
    """The kind of an elementwise operation on operands of these kinds."""
    if any(not isinstance(k, (Scalar, Array)) for k in kinds):
        return None
    out = dtype
    if out is None:
        out = kinds[0].dtype
        for k in kinds[1:]:
            out = promote(out, k.dtype)
    shapes = [_shape(k) for k in kinds]
    ndim = max(0 if isinstance(k, Scalar) else k.ndim for k in kinds)
    if any(s is None for s in shapes):
        known = [s for s in shapes if s is not None]
        try:
            joined = np.broadcast_shapes(*known) if known else None
        except ValueError:
            return None
        if joined is not None and len(joined) == ndim and 1 not in joined:
            return _array(joined, out)  # (an operand of another shape would be an error)
        return _array(None, out, ndim)
    try:
        return _array(np.broadcast_shapes(*shapes), out)
    except ValueError:
        return None


def _float_of(dtype: str) -> str:
    return dtype if dtype in ("float", "complex") else "float"


def _binary(op: Op, kinds: list[Kind]) -> Kind:
    if op.prim == "matmul":
        return _matmul(op, kinds)
    out = broadcast(kinds)
    if out is not None and op.prim == "truediv":
        return broadcast(kinds, _float_of(out.dtype))
    return out


def _compare(op: Op, kinds: list[Kind]) -> Kind:
    return broadcast(kinds, "bool")


def _unary_same(op: Op, kinds: list[Kind]) -> Kind:
    return kinds[0]


def _ufunc(op: Op, kinds: list[Kind]) -> Kind:
    """NumPy ufuncs: elementwise; transcendental ones turn integers into floats."""
    out = broadcast(kinds)
    if out is None:
        return None
    fn = callable_of(op.prim)
    try:
        with np.errstate(all="ignore"):  # the probe's value is not the point, its dtype is
            probe = fn(*[np.ones((), dtype=_np_dtype(k.dtype)) for k in kinds])
        dtype = kind_of(np.asarray(probe)).dtype
    except (TypeError, ValueError):
        return None
    return broadcast(kinds, dtype)


def _np_dtype(dtype: str) -> Any:
    return {"bool": bool, "int": np.int64, "float": np.float64, "complex": np.complex128}[dtype]


def _math(op: Op, kinds: list[Kind]) -> Kind:
    if all(isinstance(k, Scalar) for k in kinds):
        return Scalar("bool" if op.prim.startswith("math.is") else "float")
    return None


def _reduction(op: Op, kinds: list[Kind]) -> Kind:
    x = kinds[0]
    if not isinstance(x, (Scalar, Array)):
        return None
    axis = op.attrs.get("axis", _const(op.inputs[1]) if len(op.inputs) > 1 else None)
    keepdims = op.attrs.get("keepdims", False)
    dtype = _float_of(x.dtype) if op.prim in ("np.mean", "np.var", "np.std") else x.dtype
    if isinstance(x, Scalar):
        return Scalar(dtype)
    if axis is None:
        return _array((1,) * x.ndim if keepdims else (), dtype)
    axes = {a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
    if x.shape is None:
        return _array(None, dtype, x.ndim if keepdims else x.ndim - len(axes))
    shape = tuple(
        1 if i in axes else n for i, n in enumerate(x.shape) if keepdims or i not in axes
    )
    return _array(shape, dtype)


def _matmul(op: Op, kinds: list[Kind]) -> Kind:
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
        return _array(None, dtype, ndim)
    xs = (1,) + x.shape if x.ndim == 1 else x.shape
    ys = y.shape + (1,) if y.ndim == 1 else y.shape
    if xs[-1] != ys[-2]:
        return None
    try:
        stack = np.broadcast_shapes(xs[:-2], ys[:-2])
    except ValueError:
        return None
    shape = stack + (xs[-2],) * (x.ndim > 1) + (ys[-1],) * (y.ndim > 1)
    return _array(shape, dtype)


def _transpose(op: Op, kinds: list[Kind]) -> Kind:
    x = kinds[0]
    axes = _const(op.inputs[1]) if len(op.inputs) > 1 else op.attrs.get("axes")
    if len(op.inputs) > 1 and not isinstance(op.inputs[1], Const):
        return None  # axes known only at run time
    if isinstance(x, Scalar):
        return x
    if not isinstance(x, Array):
        return None
    if x.shape is None:
        return Array(x.ndim, x.dtype)
    try:
        return Array(x.ndim, x.dtype, np.transpose(np.empty(x.shape), axes).shape)
    except (ValueError, TypeError):
        return None


def _arange(op: Op, kinds: list[Kind]) -> Kind:
    bounds = [_const(x) for x in op.inputs]
    if op.attrs or not bounds or any(not isinstance(b, (int, float)) or isinstance(b, bool) for b in bounds):
        return None
    probe = np.arange(*bounds)
    return _array(probe.shape, kind_of(probe).dtype)


def _shape_of(op: Op, kinds: list[Kind]) -> Kind:
    shape = _shape(kinds[0])
    return TupleKind((Scalar("int"),) * len(shape)) if shape is not None else None


def _int(op: Op, kinds: list[Kind]) -> Kind:
    return Scalar("int")


def _like(op: Op, kinds: list[Kind]) -> Kind:
    return kinds[0]


def _unbroadcast(op: Op, kinds: list[Kind]) -> Kind:
    g, x = kinds
    if g is None or x is None:
        return None
    return _array(_shape(x), _dtype(g), getattr(x, "ndim", 0))


def _broadcast_to(op: Op, kinds: list[Kind]) -> Kind:
    shape = _const(op.inputs[1])
    shape = (shape,) if isinstance(shape, int) and not isinstance(shape, bool) else shape
    if not isinstance(shape, tuple) or _dtype(kinds[0]) is None:
        return None
    return _array(shape, _dtype(kinds[0]))


def _reshape(op: Op, kinds: list[Kind]) -> Kind:
    shape = _const(op.inputs[1]) if len(op.inputs) > 1 else op.attrs.get("shape", op.attrs.get("newshape"))
    shape = (shape,) if isinstance(shape, int) and not isinstance(shape, bool) else shape
    if not isinstance(shape, tuple) or _dtype(kinds[0]) is None:
        return None
    if -1 in shape:  # the missing length, from the size
        size = _shape(kinds[0])
        try:
            shape = np.empty(size).reshape(shape).shape if size is not None else None
        except ValueError:
            return None
    return _array(shape, _dtype(kinds[0])) if shape is not None else None


def _expand_dims(op: Op, kinds: list[Kind]) -> Kind:
    axis = _const(op.inputs[1]) if len(op.inputs) > 1 else op.attrs.get("axis")
    shape = _shape(kinds[0])
    if shape is None or not isinstance(axis, int):
        return None
    shape = list(shape)
    shape.insert(axis % (len(shape) + 1), 1)
    return _array(tuple(shape), kinds[0].dtype)


def _atleast_2d(op: Op, kinds: list[Kind]) -> Kind:
    shape = _shape(kinds[0])
    if shape is None:
        return None
    return _array(((1,) * (2 - len(shape)) + shape) if len(shape) < 2 else shape, kinds[0].dtype)


def _ravel(op: Op, kinds: list[Kind]) -> Kind:
    shape = _shape(kinds[0])
    return _array((int(np.prod(shape)),), kinds[0].dtype) if shape is not None else None


def _squeeze(op: Op, kinds: list[Kind]) -> Kind:
    shape = _shape(kinds[0])
    axis = _const(op.inputs[1]) if len(op.inputs) > 1 else op.attrs.get("axis")
    if shape is None:
        return None
    try:
        return _array(np.squeeze(np.empty(shape), axis).shape, kinds[0].dtype)
    except (ValueError, TypeError):
        return None


def _atleast_1d(op: Op, kinds: list[Kind]) -> Kind:
    shape = _shape(kinds[0])
    return _array(shape or (1,), kinds[0].dtype) if shape is not None else None


def _moved_axes(move: Callable[[np.ndarray, Any, Any], np.ndarray]) -> Callable[[Op, list[Kind]], Kind]:
    """np.moveaxis(x, source, destination), np.swapaxes(x, axis1, axis2): the shape,
    where the axes are known at compile time."""

    def infer(op: Op, kinds: list[Kind]) -> Kind:
        shape = _shape(kinds[0])
        first, second = (_const(x) for x in op.inputs[1:3]) if len(op.inputs) == 3 else (None, None)
        if shape is None or first is None or second is None:
            return None
        return _array(move(np.empty(shape), first, second).shape, kinds[0].dtype)

    return infer


def _eye(op: Op, kinds: list[Kind]) -> Kind:
    """np.eye(n) and np.eye(n, m, k) (k may be known only at run time): float n x m."""
    n = _const(op.inputs[0]) if op.inputs else None
    m = _const(op.inputs[1]) if len(op.inputs) > 1 else n
    if op.attrs or len(op.inputs) > 3 or not isinstance(n, int) or not isinstance(m, int):
        return None
    return _array((n, m), "float")


def _zip(op: Op, kinds: list[Kind]) -> Kind:
    if all(isinstance(k, ListKind) for k in kinds):
        return ListKind(TupleKind(tuple(k.item for k in kinds)))
    return None


def _outer(op: Op, kinds: list[Kind]) -> Kind:
    x, y = (_shape(k) for k in kinds)
    if x is None or y is None:
        return None
    return _array((int(np.prod(x)), int(np.prod(y))), promote(kinds[0].dtype, kinds[1].dtype))


def _joined(op: Op, kinds: list[Kind]) -> Kind:
    """`np.stack`, `np.concatenate`, ...: what NumPy makes of arrays of these kinds (of
    length-1 axes where a shape is not known: then only the rank and dtype are)."""
    if not kinds or any(_dtype(k) is None or not isinstance(k, (Scalar, Array)) for k in kinds):
        return None
    shapes = [_shape(k) for k in kinds]
    known = all(shape is not None for shape in shapes)
    probes = tuple(np.empty(shape if known else (1,) * k.ndim if isinstance(k, Array) else (), _np_dtype(k.dtype))
                   for shape, k in zip(shapes, kinds))
    try:
        made = callable_of(op.prim)(probes, **op.attrs)
    except Exception:  # noqa: BLE001 - shapes that do not join: NumPy says so at run time
        return None
    return _array(made.shape if known else None, kind_of(made).dtype, made.ndim)


def _array_of(op: Op, kinds: list[Kind]) -> Kind:
    """`np.array(x)`: an array like `x`; of a tuple of numbers, a vector."""
    (x,) = kinds if len(kinds) == 1 else (None,)
    if isinstance(x, TupleKind):
        items = [k for k in x.items if isinstance(k, Scalar)]
        if len(items) != len(x.items) or not items:
            return None
        dtype = items[0].dtype
        for k in items[1:]:
            dtype = promote(dtype, k.dtype)
        return Array(1, dtype, (len(items),))
    return x if not op.attrs else None


def _creation(op: Op, kinds: list[Kind], dtype: Any = float) -> Kind:
    """np.zeros / np.ones / np.empty of a constant shape: float arrays (or `dtype`),
    unless a dtype says otherwise."""
    shape = _const(op.inputs[0]) if op.inputs else op.attrs.get("shape")
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, tuple):
        return None
    dtype = op.attrs.get("dtype", dtype)
    try:
        return _array(shape, kind_of(np.zeros((), dtype=dtype)).dtype)
    except TypeError:
        return None


def _full(op: Op, kinds: list[Kind]) -> Kind:
    """np.full(shape, value): of the value's dtype, unless a dtype says otherwise."""
    if len(kinds) != 2 or not isinstance(kinds[1], (Scalar, Array)):
        return _creation(op, kinds) if "dtype" in op.attrs and len(kinds) == 2 else None
    fill = _dtype(kinds[1])
    return _creation(op, kinds, {"bool": bool, "int": int, "float": float, "complex": complex}.get(fill, object))


def _list(op: Op, kinds: list[Kind]) -> Kind:
    """A list display: empty, or of the join of its items' kinds."""
    return ListKind(functools.reduce(join, kinds)) if kinds else ListKind(empty=True)


def _items(op: Op, kinds: list[Kind], producers: dict) -> Kind:
    """`list(x)`: the items of an array along its first axis, or those of a list; of a
    list stacked along axis 0 (`np.stack(hs)`, a length not known here), the list's."""
    (x,) = kinds
    if isinstance(x, ListKind):
        return x
    maker = producers.get(op.inputs[0]) if isinstance(op.inputs[0], Value) else None
    if maker is not None and maker.prim == over_sequence("np.stack") and maker.attrs.get("axis", 0) == 0:
        listed = _kind(maker.inputs[0])
        item = listed.item if isinstance(listed, ListKind) else None
        if isinstance(item, Array) and isinstance(x, Array):
            return ListKind(Array(item.ndim, x.dtype, item.shape))
        if isinstance(item, Scalar) and isinstance(x, Array):
            return ListKind(Scalar(x.dtype))
    return _items_of(x)


def _items_of(x: Kind) -> Kind:
    """The items of an array along its first axis (of an unknown value: a list of them)."""
    if isinstance(x, Array) and x.ndim >= 1:
        return ListKind(_array(x.shape[1:] if x.shape is not None else None, x.dtype, x.ndim - 1))
    return ListKind()


def _zeros_items(op: Op, kinds: list[Kind]) -> Kind:
    """`zeros_items(xs, lead)`: a list of float zeros of its items' shapes, lead axes first."""
    listed = kinds[0]
    lead = _const(op.inputs[1]) if len(op.inputs) > 1 else ()
    item = listed.item if isinstance(listed, ListKind) else None
    if not isinstance(item, (Scalar, Array)) or not isinstance(lead, tuple):
        return ListKind(empty=True) if isinstance(listed, ListKind) and listed.empty else ListKind()
    shape = _shape(item)
    dtype = promote(item.dtype, "float")
    return ListKind(_array(None if shape is None else lead + shape, dtype, len(lead) + (item.ndim if isinstance(item, Array) else 0)))


def _joined_sequence(op: Op, kinds: list[Kind]) -> Kind:
    """`np.stack(hs)` of a run-time list: as of two items of its items' kind (a length
    not known here)."""
    (sequence,) = kinds
    item = sequence.item if isinstance(sequence, ListKind) else None
    if not isinstance(item, (Scalar, Array)):
        return None
    joined = _joined(Op(packed_prim(op.prim), [], [], op.attrs), [item, item])
    if not isinstance(joined, Array):
        return None
    return _array(None, joined.dtype, joined.ndim)


def _range(op: Op, kinds: list[Kind]) -> Kind:
    return ListKind(Scalar("int"))


def _push(op: Op, kinds: list[Kind]) -> Kind:
    tape, entry = kinds
    return join(tape, ListKind(entry)) if isinstance(tape, ListKind) else ListKind()


def _add_items(op: Op, kinds: list[Kind]) -> Kind:
    return join(*kinds) if all(isinstance(k, ListKind) for k in kinds) else ListKind()


def _where(op: Op, kinds: list[Kind]) -> Kind:
    """np.where(c, a, b): the broadcast of all three, with the dtype of a and b."""
    if len(kinds) != 3:
        return None
    shape_kind = broadcast(kinds)
    value_kind = broadcast(kinds[1:])
    return broadcast([shape_kind], value_kind.dtype) if shape_kind and value_kind else None


def _clip(op: Op, kinds: list[Kind]) -> Kind:
    """np.clip(x, lo, hi): the broadcast of the operands, a bound of None left out."""
    if len(kinds) != 3:
        return None
    return broadcast([k for k, x in zip(kinds, op.inputs) if not (isinstance(x, Const) and x.value is None)])


def _to_float(op: Op, kinds: list[Kind]) -> Kind:
    return Scalar("float")


def _tuple(op: Op, kinds: list[Kind]) -> Kind:
    return TupleKind(tuple(kinds))


_UNKNOWN = object()


def _probe(x: Operand, producers: dict) -> Any:
    """A concrete index with the structure of `x` (run-time ints and integer arrays become
    zeros; a run-time slice becomes `:`, a boolean mask all true, with `exact` False: the
    count it selects is not known), to let NumPy compute the result's shape."""
    if isinstance(x, Const):
        return x.value, True
    kind = x.kind
    if isinstance(kind, Scalar) and kind.dtype == "int":
        return 0, True
    if isinstance(kind, Scalar) and kind.dtype == "bool":
        return True, False  # (`y[c]` adds an axis, of length 1 or 0)
    if isinstance(kind, Array) and kind.dtype == "bool" and kind.shape is not None:
        return np.ones(kind.shape, dtype=bool), False
    if isinstance(kind, TupleKind) and all(isinstance(k, Scalar) and k.dtype == "int" for k in kind.items):
        return (0,) * len(kind.items), True  # a tuple of run-time ints (recorded on a tape)
    if isinstance(kind, Array) and kind.dtype == "int" and kind.shape is not None:
        return np.zeros(kind.shape, dtype=np.intp), True  # an integer array: its shape is the result's
    op = producers.get(x)
    if op is not None and op.prim == "slice":
        return slice(None), False
    if op is not None and op.prim == "tuple":
        parts = [_probe(item, producers) for item in op.inputs]
        if any(p is _UNKNOWN for p in parts):
            return _UNKNOWN
        return tuple(p for p, _ in parts), all(exact for _, exact in parts)
    return _UNKNOWN


def _getitem(op: Op, kinds: list[Kind], producers: dict) -> Kind:
    base = kinds[0]
    index = _const(op.inputs[1])
    if isinstance(base, TupleKind) and isinstance(index, int):
        n = len(base.items)  # (out of range: a branch that never runs, `np.shape(x)[1]` of a vector)
        return base.items[index] if -n <= index < n else None
    if isinstance(base, ListKind):
        return base.item
    probe = _probe(op.inputs[1], producers)
    if not isinstance(base, Array) or base.shape is None or probe is _UNKNOWN:
        return None
    try:
        shape = np.empty(base.shape)[probe[0]].shape
    except (IndexError, TypeError, ValueError):
        return None
    return _array(shape if probe[1] else None, base.dtype, len(shape))


def _setitem(op: Op, kinds: list[Kind]) -> Kind:
    if isinstance(kinds[0], ListKind):  # (an adjoint of a list, written item by item)
        return join(kinds[0], ListKind(kinds[2]))
    return kinds[0]


def _add_at(op: Op, kinds: list[Kind]) -> Kind:
    """`add_at(a, index, v)`: `a`'s shape, in the dtype of `a + v`."""
    a, v = kinds[0], kinds[2]
    if isinstance(a, Array) and isinstance(v, (Scalar, Array)):
        return Array(a.ndim, promote(a.dtype, v.dtype), a.shape)
    return a


def _kept_writes(op: Op, kinds: list[Kind], producers: dict) -> Kind:
    """`kept_writes(y, index)`: floats in the shape of `y[index]`."""
    read = _getitem(op, kinds, producers)
    if isinstance(read, Scalar):
        return Scalar("float")
    return Array(read.ndim, "float", read.shape) if isinstance(read, Array) else None


_RULES: dict[str, Rule] = {
    **{p: _binary for p in BINARY_OPS},
    **{p: _compare for p in COMPARE_OPS},
    "neg": _unary_same,
    "pos": _unary_same,
    "not_": _compare,
    "np.sum": _reduction,
    "np.mean": _reduction,
    "np.var": _reduction,
    "np.std": _reduction,
    "np.max": _reduction,
    "np.amax": _reduction,
    "np.min": _reduction,
    "np.amin": _reduction,
    "np.ravel": _ravel,
    "np.squeeze": _squeeze,
    "np.atleast_1d": _atleast_1d,
    "np.moveaxis": _moved_axes(np.moveaxis),
    "np.swapaxes": _moved_axes(np.swapaxes),
    "np.eye": _eye,
    "slice": lambda op, kinds: SliceKind(),
    "external": lambda op, kinds: op.attrs.get("kind"),  # set from the cache key (pipeline)
    "stop_gradient": lambda op, kinds: kinds[0],
    "np.arange": _arange,
    "zip": _zip,
    "np.dot": _matmul,
    "np.matmul": _matmul,
    "transpose": _transpose,
    "np.transpose": _transpose,
    "np.shape": _shape_of,
    "np.size": _int,
    "np.ndim": _int,
    "np.ones_like": _like,
    "np.copy": _like,
    "np.array": _array_of,
    "np.stack": _joined,
    "np.concatenate": _joined,
    "np.vstack": _joined,
    "np.hstack": _joined,
    "np.asarray": _like,
    "np.zeros_like": _like,
    "unbroadcast": _unbroadcast,
    "np.broadcast_to": _broadcast_to,
    "np.reshape": _reshape,
    "np.expand_dims": _expand_dims,
    "np.atleast_2d": _atleast_2d,
    "np.outer": _outer,
    "np.zeros": _creation,
    "np.ones": _creation,
    "np.empty": _creation,
    "np.full": _full,
    "list": _list,
    "push": _push,
    "zeros_items": _zeros_items,
    "add_items": _add_items,
    "reversed": _like,
    "range": _range,
    "np.where": _where,
    "np.clip": _clip,
    "abs": _unary_same,
    "min": _binary,
    "max": _binary,
    "float": _to_float,
    "int": _int,
    "len": _int,
    "tuple": _tuple,
    "setitem": _setitem,
    "add_at": _add_at,
}


def _draw(op: Op, kinds: list[Kind], producers: dict) -> Kind:
    """A draw from a random generator of a known class (`ir.prims.draws`): a float array
    of the shape asked for, or a float for a draw of scalar parameters without a size."""
    maker = producers.get(op.inputs[0]) if isinstance(op.inputs[0], Value) else None
    if maker is None or maker.prim != "external":
        return None
    if "method" in op.attrs:  # `rs.randn(3)`, of a generator of a known class
        methods, method = draws(maker.attrs.get("type")), op.attrs["method"]
    else:  # `np.random.randn(3)`: a method of NumPy's own generator, called by name
        known = maker.attrs.get("draws", {})
        methods, method = draws(known.get("type")), known.get("method")
    if method not in methods:
        return None
    names = op.attrs.get("keywords", ())
    inputs, given = op.inputs[1:len(op.inputs) - len(names)], dict(zip(names, op.inputs[len(op.inputs) - len(names):]))
    positional: list[Operand] = []
    for k, x in enumerate(inputs):
        if k in op.attrs.get("starred", ()):
            if not (isinstance(x, Const) and isinstance(x.value, tuple)):
                return None
            positional += [Const(v) for v in x.value]
        else:
            positional.append(x)
    at = methods[method]
    if "dtype" in given or "out" in given:
        return None
    if at is None:
        size = Const(tuple(_const(x) for x in positional)) if positional else Const(None)
    else:
        size = given.get("size", positional[at] if len(positional) > at else Const(None))
        positional = positional[:at]
    shape = _const(size)
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if isinstance(shape, tuple) and all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        return Array(len(shape), "float", shape)
    params = positional + [x for k, x in given.items() if k != "size"]
    if isinstance(size, Const) and size.value is None and all(isinstance(_kind(x), Scalar) for x in params):
        return Scalar("float")
    return None


def _infer_op(op: Op, producers: dict) -> Kind:
    kinds = [_kind(x) for x in op.inputs]
    if op.prim == "call":
        return Scalar("bool") if op.attrs.get("test") else _draw(op, kinds, producers)
    if op.prim == "getitem":
        return _getitem(op, kinds, producers)
    if op.prim == "kept_writes":
        return _kept_writes(op, kinds, producers)
    if op.prim == "items":
        return _items(op, kinds, producers)
    rule = _RULES.get(op.prim)
    if rule is not None:
        return rule(op, kinds)
    if packed_prim(op.prim) != op.prim:
        return _joined_sequence(op, kinds)
    if elementwise_ufunc(op.prim):
        return _ufunc(op, kinds)
    if op.prim.startswith("math."):
        return _math(op, kinds)
    return None


_MAX_FIXPOINT_ROUNDS = 4


def _infer_cond(op: Op, producers: dict) -> None:
    for sub in op.regions:
        _infer_region(sub, producers)
    completing = [region for region in op.regions if not raises(region)] or op.regions
    for k, result in enumerate(op.results):
        kinds = [_kind(region.yields[k]) for region in completing if not is_absent(region.yields[k])]
        result.kind = None if not kinds else kinds[0] if len(kinds) == 1 else join(*kinds)


def _infer_loop(op: Op, producers: dict) -> None:
    """Carried values start with their initial kinds; a body that changes one (a scalar
    that becomes an array, an array that grows) makes it unknown, until nothing changes.
    One that starts as None (`_value` before a loop that may return it, a variable the
    loop defines) has the kind the body gives it: None is only read where the loop ran
    no iteration, and then as None."""
    body = op.regions[-1]
    carried = carried_args(op, body)
    inits = loop_inits(op)
    kinds = [_kind(x) for x in inits]
    unset = {k for k, x in enumerate(inits) if isinstance(x, Const) and x.value is None}
    if op.prim == "for_range":
        body.args[0].kind = Scalar("int")
    elif op.prim == "for_each":
        iterable = _kind(op.inputs[0])
        body.args[0].kind = iterable.item if isinstance(iterable, ListKind) else None
    for _ in range(_MAX_FIXPOINT_ROUNDS):
        for region in op.regions:
            for arg, kind in zip(region.args[len(region.args) - len(carried):], kinds):
                arg.kind = kind
            _infer_region(region, producers)
        joined = [_set_kind(y, carried[k], producers) if k in unset else join(kind, _kind(y))
                  for k, (kind, y) in enumerate(zip(kinds, body.yields))]
        unset = {k for k in unset if _is_none(body.yields[k])}  # (still None: kept as it is)
        if joined == kinds:
            break
        kinds = joined
    else:
        kinds = [None] * len(kinds)
        for region in op.regions:
            for arg in region.args[len(region.args) - len(carried):]:
                arg.kind = None
            _infer_region(region, producers)
    for result, kind in zip(op.results, kinds):
        result.kind = kind


def _set_kind(y: Operand, arg: Value, producers: dict) -> Kind:
    """The kind a carried value that starts as None is given by the body yielding `y`:
    that of the values it may be other than the carried value itself, kept as it is
    (`_value = (a, b) if found else _value`), when they agree."""
    kinds: list[Kind] = []
    todo = [y]
    while todo:
        x = todo.pop()
        op = producers.get(x) if isinstance(x, Value) else None
        if x is arg or _is_none(x):
            continue
        if op is not None and op.prim == "cond" and not is_absent(x):
            k = op.results.index(x)
            todo += [region.yields[k] for region in op.regions if not raises(region)]
        else:
            kinds.append(_kind(x))
    return functools.reduce(join, kinds) if kinds else None


def _infer_region(region: Region, producers: dict) -> None:
    for op in region.ops:
        if op.prim == "cond":
            _infer_cond(op, producers)
            producers.update((r, op) for r in op.results)
        elif op.regions:
            _infer_loop(op, producers)
        elif len(op.results) == 1:
            op.result.kind = _infer_op(op, producers)
            producers[op.result] = op
        elif op.prim == "pop":  # the list without its last item, and that item
            listed = _kind(op.inputs[0])
            op.results[0].kind = listed if isinstance(listed, ListKind) else ListKind()
            op.results[1].kind = listed.item if isinstance(listed, ListKind) else None
            producers.update((r, op) for r in op.results)


def infer_kinds(fn: Function, param_kinds: Sequence[Kind] | None = None) -> Function:
    """Set the kind of every value of `fn` (params from `param_kinds` when given)."""
    if param_kinds is not None:
        for p, k in zip(fn.params, param_kinds):
            p.kind = k
    _infer_region(fn.body, {})
    return fn


def kind_of_operand(x: Operand) -> Kind:
    return _kind(x)


__all__ = ["broadcast", "infer_kinds", "kind_of_operand"]
