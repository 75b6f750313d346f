"""Abstract values: what the compiler knows about a value without running the program.

They are the `kind` of IR values after specialization (DESIGN §5a): a Python scalar, an
ndarray of known rank and dtype (and shape where the arguments fix it), or a tuple.
`None` as a kind means "unknown": code for it must work for any input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np


@dataclass(frozen=True)
class Scalar:
    """A Python (or NumPy) scalar; dtype is 'bool', 'int', 'float' or 'complex'."""

    dtype: str

    def __str__(self) -> str:
        return self.dtype


@dataclass(frozen=True)
class Array:
    """An ndarray; shape is a tuple of ints when known, else None."""

    ndim: int
    dtype: str
    shape: Optional[tuple] = None

    def __str__(self) -> str:
        dims = ",".join(map(str, self.shape)) if self.shape is not None else f"ndim={self.ndim}"
        return f"{self.dtype}[{dims}]"


@dataclass(frozen=True)
class TupleKind:
    items: tuple

    def __str__(self) -> str:
        return "(" + ", ".join(str(k) for k in self.items) + ")"


@dataclass(frozen=True)
class SliceKind:
    """A slice object (`x[i:j]` with run-time bounds, taken apart or kept on a tape)."""

    def __str__(self) -> str:
        return "slice"


@dataclass(frozen=True)
class ListKind:
    """A Python list (a loop's tape): `item` is the kind of its entries; an empty list
    has no entries yet and joins with any."""

    item: Any = None
    empty: bool = False

    def __str__(self) -> str:
        return "[]" if self.empty else f"[{self.item}]"


Kind = Union[Scalar, Array, TupleKind, ListKind, SliceKind, None]


def join(a: Kind, b: Kind) -> Kind:
    """What is known of a value that is sometimes of kind `a`, sometimes of kind `b`
    (the two branches of an if, a loop's first and later iterations)."""
    if a == b:
        return a
    if isinstance(a, ListKind) and isinstance(b, ListKind):
        if a.empty or b.empty:
            return b if a.empty else a
        return ListKind(join(a.item, b.item))
    if isinstance(a, TupleKind) and isinstance(b, TupleKind) and len(a.items) == len(b.items):
        return TupleKind(tuple(join(x, y) for x, y in zip(a.items, b.items)))
    if isinstance(a, Array) and isinstance(b, Array) and a.ndim == b.ndim and a.dtype == b.dtype:
        return Array(a.ndim, a.dtype, None)
    if isinstance(a, Scalar) and isinstance(b, Scalar):  # an int that becomes a float, say
        return Scalar(promote(a.dtype, b.dtype))
    return None

_SCALAR_DTYPES = {bool: "bool", int: "int", float: "float", complex: "complex"}
_RANK = {"bool": 0, "int": 1, "float": 2, "complex": 3}


def kind_of(x: Any) -> Kind:
    """The abstract value of a concrete argument (used as the specialization key)."""
    if isinstance(x, (bool, np.bool_)):
        return Scalar("bool")
    if isinstance(x, (int, np.integer)):
        return Scalar("int")
    if isinstance(x, (float, np.floating)):
        return Scalar("float")
    if isinstance(x, (complex, np.complexfloating)):
        return Scalar("complex")
    if isinstance(x, np.ndarray):
        return Array(x.ndim, dtype_name(x.dtype), tuple(x.shape))
    if isinstance(x, tuple):
        return TupleKind(tuple(kind_of(i) for i in x))
    if isinstance(x, slice):
        return SliceKind()
    if foreign_array(x):
        return Array(len(x.shape), dtype_name(x.dtype), tuple(x.shape))
    return None


_ARRAY_LIBRARIES = frozenset({"dask", "cupy", "torch", "jax", "jaxlib"})
"""The libraries whose arrays the array-api backend's code runs on, besides NumPy."""


def foreign_array(x: Any) -> bool:
    """An array of another library (dask.array, CuPy, PyTorch): of a type one of them
    defines, with a shape and a dtype. It has a kind, as an ndarray has; only a backend
    that `takes` it runs on it, and a call with one is dispatched by the general path
    (which reads its shape), never by its type alone."""
    return type(x).__module__.partition(".")[0] in _ARRAY_LIBRARIES and hasattr(x, "shape") and hasattr(x, "dtype")


def dtype_name(dtype: Any) -> str:
    """Collapse a NumPy dtype (or another library's: `torch.float64`) to the scalar dtype
    names above."""
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        text = str(dtype)
        kind = next((k for name, k in (("complex", "c"), ("float", "f"), ("uint", "u"), ("int", "i"), ("bool", "b"))
                     if name in text), "O")
    return {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}.get(kind, "object")


def promote(a: str, b: str) -> str:
    """The result dtype of arithmetic on two dtypes (Python's and NumPy's rules agree here)."""
    if a not in _RANK or b not in _RANK:
        return "object"
    return a if _RANK[a] >= _RANK[b] else b


def is_scalar(kind: Kind) -> bool:
    return isinstance(kind, Scalar)


def is_float_like(kind: Kind) -> bool:
    """True for kinds whose values carry derivatives (float or complex)."""
    return isinstance(kind, (Scalar, Array)) and kind.dtype in ("float", "complex")
