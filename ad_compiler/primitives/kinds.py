"""What the kind rules of primitives share: reading operands' kinds, making result kinds,
and the generic rules (elementwise, same as the operand, an int, ...).

A kind rule (`record.KindRule`) answers with None where it cannot tell, and every pass
treats None as "could be anything", so a rule may always give up.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..ir import Const, Op, Operand
from ..ir.types import Array, Kind, Scalar, kind_of, promote


def operand_kind(x: Operand) -> Kind:
    return kind_of(x.value) if isinstance(x, Const) else x.kind


def is_none(x: Operand) -> bool:
    return isinstance(x, Const) and x.value is None


def const(x: Operand) -> Any:
    """The value of a constant operand (None for a run-time one)."""
    return x.value if isinstance(x, Const) else None


def static(op: Op, position: int, name: str, default: Any = None) -> Any:
    """A static parameter given by position (a constant operand) or by keyword (an attr)."""
    if len(op.inputs) > position:
        return const(op.inputs[position])
    return op.attrs.get(name, default)


def dtype_of(k: Kind) -> str | None:
    return k.dtype if isinstance(k, (Scalar, Array)) else None


def shape_of(k: Kind) -> tuple | None:
    if isinstance(k, Scalar):
        return ()
    if isinstance(k, Array):
        return k.shape
    return None


def array_kind(shape: tuple | None, dtype: str, ndim: int | None = None) -> Kind:
    """A scalar for shape (), else an array of that shape (or of rank `ndim`)."""
    if shape == () or (shape is None and ndim == 0):
        return Scalar(dtype)
    if shape is None:
        return Array(ndim, dtype) if ndim is not None else None
    return Array(len(shape), dtype, tuple(shape))


def broadcast_shapes(*shapes: tuple) -> tuple:
    """np.broadcast_shapes of known shapes (ValueError where they do not broadcast), in
    Python: kind inference asks it of every elementwise op, most often of equal shapes,
    where NumPy's (which builds arrays to ask) took most of the time."""
    first = shapes[0]
    if all(s == first for s in shapes):
        return tuple(map(int, first))
    ndim = max(len(s) for s in shapes)
    out = [1] * ndim
    for s in shapes:
        for i, n in enumerate(s, ndim - len(s)):
            if n != out[i]:
                if out[i] != 1 and n != 1:
                    raise ValueError(f"shapes {shapes} do not broadcast")
                out[i] = n if out[i] == 1 else out[i]
    return tuple(map(int, out))


def broadcast(kinds: Sequence[Kind], dtype: str | None = None) -> Kind:
    """The kind of an elementwise operation on operands of these kinds."""
    if any(not isinstance(k, (Scalar, Array)) for k in kinds):
        return None
    out = dtype
    if out is None:
        out = kinds[0].dtype
        for k in kinds[1:]:
            out = promote(out, k.dtype)
    shapes = [shape_of(k) for k in kinds]
    ndim = max(0 if isinstance(k, Scalar) else k.ndim for k in kinds)
    if any(s is None for s in shapes):
        known = [s for s in shapes if s is not None]
        try:
            joined = broadcast_shapes(*known) if known else None
        except ValueError:
            return None
        if joined is not None and len(joined) == ndim and 1 not in joined:
            return array_kind(joined, out)  # (an operand of another shape would be an error)
        return array_kind(None, out, ndim)
    try:
        return array_kind(broadcast_shapes(*shapes), out)
    except ValueError:
        return None


def float_of(dtype: str) -> str:
    return dtype if dtype in ("float", "complex") else "float"


NUMPY_DTYPES = {"bool": bool, "int": np.int64, "float": np.float64, "complex": np.complex128}


def probe_of(k: Kind) -> np.ndarray | None:
    """A zero array of kind `k` (length-1 axes where the shape is not known), for NumPy
    to compute a result's shape and dtype from; None for a kind that is not an array."""
    if not isinstance(k, (Scalar, Array)):
        return None
    shape = shape_of(k)
    return np.zeros(shape if shape is not None else (1,) * k.ndim, NUMPY_DTYPES[k.dtype])


def by_probing(fn: Callable[..., Any], *, exact: bool = True) -> Callable[[Op, list[Kind], dict], Kind]:
    """A kind rule that runs `fn(op, *probes)` (NumPy on zero arrays of the operands'
    kinds) and reads the result's kind: exact when every shape is known, else only its
    rank (and only if `exact` is False: a rule whose rank depends on the lengths says
    exact=True and gives up). Static parameters come from the op (`static`)."""

    def infer(op: Op, kinds: list[Kind], producers: dict) -> Kind:
        probes = [probe_of(k) if not isinstance(x, Const) else x.value for k, x in zip(kinds, op.inputs)]
        known = all(shape_of(k) is not None for k, x in zip(kinds, op.inputs) if not isinstance(x, Const))
        if any(p is None for p, x in zip(probes, op.inputs) if not isinstance(x, Const)) or (exact and not known):
            return None
        try:
            with np.errstate(all="ignore"):
                made = np.asarray(fn(op, *probes))
        except Exception:  # noqa: BLE001 - operands NumPy refuses: it says so at run time
            return None
        return array_kind(made.shape if known else None, kind_of(made).dtype, made.ndim)

    return infer


def ufunc_kind(op: Op, kinds: list[Kind], producers: dict) -> Kind:
    """NumPy ufuncs: elementwise; transcendental ones turn integers into floats."""
    out = broadcast(kinds)
    if out is None:
        return None
    from .record import PRIMITIVES  # (record imports this module)

    fn = PRIMITIVES.callable(op.prim)
    try:
        with np.errstate(all="ignore"):  # the probe's value is not the point, its dtype is
            made = fn(*[np.ones((), dtype=NUMPY_DTYPES[k.dtype]) for k in kinds])
        dtype = kind_of(np.asarray(made)).dtype
    except (TypeError, ValueError):
        return None
    return broadcast(kinds, dtype)


def math_kind(op: Op, kinds: list[Kind], producers: dict) -> Kind:
    """`math.*` of numbers: a float (a bool for the tests `math.isnan`, ...)."""
    if all(isinstance(k, Scalar) for k in kinds):
        return Scalar("bool" if op.prim.startswith("math.is") else "float")
    return None


def same_kind(op: Op, kinds: list[Kind], producers: dict) -> Kind:
    """The kind of the first operand."""
    return kinds[0]


def int_kind(op: Op, kinds: list[Kind], producers: dict) -> Kind:
    return Scalar("int")


def float_kind(op: Op, kinds: list[Kind], producers: dict) -> Kind:
    return Scalar("float")


def bool_broadcast(op: Op, kinds: list[Kind], producers: dict) -> Kind:
    """A comparison: the operands broadcast, of bools."""
    return broadcast(kinds, "bool")
