"""Shapes while lowering, for code whose structure follows an array's shape.

A function that calls itself is unrolled where values known at compile time decide its
base case (`lower._Lowerer._recursion`); a list is known item by item where its length
is (`lists.py`). When that depends on an argument's shape (`n = A.shape[0]; if n == 1:
...`, a determinant by minors; `hs = [state[i] for i in range(state.shape[0])]` whose
items are then assigned), the first lowering says so (`ShapesNeeded`) and the function
is lowered again for the arguments' kinds (`lower_user(..., kinds=...)`, per kinds, by
the API):
each value whose shape is known then has a *probe*, a zero NumPy value of its shape and
dtype, computed op by op by running the op's NumPy function on its operands' probes, and
a question about a shape (`x.shape`, `np.ndim(x)`, `len(x)`) is answered with a
constant. Ops without a NumPy function (code run as written, draws), ops of unknown
operands (a loop's carried values) and failures give no probe: the question then stays
a run-time op, as in any other lowering.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..ir import prims
from ..primitives import PRIMITIVES
from ..ir.core import Const, Op, Operand, Value
from ..errors import UnsupportedError
from ..ir.types import Array, Scalar

class ShapesNeeded(UnsupportedError):
    """Raised by a lowering without the arguments' shapes that was asked to say so, where
    they may decide what it could not: a recursion that did not end where it was
    unrolled, an item assigned in a list whose length follows a shape. Lowered again for
    their kinds, that code may be known here."""


_DTYPES = {"float": np.float64, "int": np.int64, "bool": np.bool_, "complex": np.complex128}


def probe_of(kind: Any) -> Any:
    """The probe of a value of this kind (None: its shape is not known)."""
    dtype = _DTYPES.get(getattr(kind, "dtype", None))
    if dtype is None:
        return None
    if isinstance(kind, Scalar):
        return dtype(0)
    if isinstance(kind, Array) and kind.shape is not None:
        return np.zeros(kind.shape, dtype)
    return None


def _value(x: Operand, probes: dict[Value, Any]) -> Any:
    if isinstance(x, Const):
        return x.value
    return probes.get(x, _MISSING)


_MISSING = object()


def answer(prim: str, inputs: list[Operand], probes: dict[Value, Any]) -> Const | None:
    """A shape query on a value with a probe, answered (None: not such a query)."""
    record = PRIMITIVES.get(prim)
    if not record.shape_query or len(inputs) != 1:
        return None
    value = _value(inputs[0], probes)
    if value is _MISSING:
        return None
    try:
        return Const(record.fn(value))
    except TypeError:  # (len of a number: NumPy's error at run time)
        return None


def run(op: Op, probes: dict[Value, Any]) -> None:
    """The probe of an op's result, where its NumPy function runs on its operands' probes."""
    if len(op.results) != 1 or op.regions or op.prim in prims.OPAQUE or op.prim in prims.EFFECTS:
        return
    if op.prim == "tuple":
        items = [_value(x, probes) for x in op.inputs]
        if all(item is not _MISSING for item in items):
            probes[op.result] = tuple(items)
        return
    fn = PRIMITIVES.callable(op.prim)
    values = [_value(x, probes) for x in op.inputs]
    if fn is None or any(v is _MISSING for v in values):
        return
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = fn(*PRIMITIVES.arguments(op.prim, values), **op.attrs)
    except Exception:  # noqa: BLE001 - no probe: the shape stays unknown
        return
    if isinstance(result, np.ndarray):
        probes[op.result] = np.zeros_like(result)
    elif isinstance(result, (bool, int, float, complex, np.generic)):
        probes[op.result] = type(result)(0)
