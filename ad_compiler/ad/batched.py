"""Indexing in batched forward mode: `dx[:, i]` and `dy[:, i] = dv`.

With a batch axis in front, an index must skip it. When the index's structure is known (a
constant, an int, a slice, or a tuple of those) the transform writes the index with a
leading `:`; otherwise the rules of `getitem` and `setitem` (which handle any index, by
flat positions) run instead.
"""

from __future__ import annotations

import numpy as np

from ..ir import Const, Loc, Op, Operand, Value
from ..ir.types import Array, Scalar
from .kinds import shape_of


class BatchedIndexing:
    """The `Forward` methods for indexing with a batch axis (mixed into `forward.Forward`)."""

    def _batched_indexing(self, op: Op, tangents: list[Operand | None]) -> Operand | None:
        """`x[i]` and `y[i] = v` on tangents with a batch axis: `dx[:, i]`, `dy[:, i] = dv`,
        when the index's structure is known (a constant, an int, a slice, a tuple of
        those); otherwise None, and the rule (which handles any index) runs."""
        index = self._batched_index(op.inputs[1], op.loc)
        if index is None:
            return None
        if op.prim == "getitem":
            taken = op.inputs[1]
            if isinstance(taken, Value) and isinstance(taken.kind, Array) and taken.kind.dtype == "int":
                # (`dx[:, i]` of an array `i` would lay the batch axis out second in memory)
                return self.emit("np.take", [self.full(op.inputs[0], op.loc), taken], op.loc, axis=len(self.batch))
            return self.emit("getitem", [self.full(op.inputs[0], op.loc), index], op.loc)
        y, _, v = op.inputs
        dy, dv = tangents[0], tangents[2]
        if dv is not None:
            rank, shape = self._indexed_rank(y, op.inputs[1]), shape_of(v)
            if rank is None or shape is None:
                return None
            if len(shape) < rank:
                dv = self.emit("np.reshape", [dv, Const(self.batch + (1,) * (rank - len(shape)) + shape)], op.loc)
        start = dy if dy is not None else self.zeros(y, op.loc)
        return self.emit("setitem", [start, index, Const(0.0) if dv is None else dv], op.loc)

    def _batched_index(self, index: Operand, loc: Loc | None) -> Operand | None:
        everything = Const(slice(None))
        if isinstance(index, Const):
            items = index.value if isinstance(index.value, tuple) else (index.value,)
            if any(not isinstance(i, (int, slice, type(None), type(Ellipsis))) for i in items):
                return None
            return Const((slice(None),) + items)
        kind, producer = index.kind, self.producers.get(index)
        if (isinstance(kind, Scalar) and kind.dtype == "int") or (producer is not None and producer.prim == "slice") \
                or (isinstance(kind, Array) and kind.dtype in ("int", "bool")):
            return self.emit("tuple", [everything, index], loc)
        if producer is not None and producer.prim == "tuple" and not _arrays_apart(producer.inputs):
            return self.emit("tuple", [everything, *producer.inputs], loc)
        return None

    def _indexed_rank(self, y: Operand, index: Operand) -> int | None:
        """The rank of `y[index]`, from `y`'s shape and the index's structure."""
        shape = shape_of(y)

        def probe(i: Operand):
            if isinstance(i, Const):
                return i.value
            producer = self.producers.get(i)
            if producer is not None and producer.prim == "slice":
                return slice(None)
            if producer is not None and producer.prim == "tuple":
                return tuple(probe(item) for item in producer.inputs)
            if isinstance(i.kind, Array) and i.kind.shape is not None:  # (an array of ints or a mask: its rank)
                return np.zeros(i.kind.shape, dtype=bool if i.kind.dtype == "bool" else np.intp)
            if isinstance(i.kind, Scalar) and i.kind.dtype == "int":
                return 0  # a run-time int
            raise TypeError("an index of a kind not known here")

        try:
            return np.empty(shape)[probe(index)].ndim if shape is not None else None
        except (IndexError, TypeError, ValueError):
            return None


def _arrays_apart(items: list[Operand]) -> bool:
    """Whether an index's arrays (and the ints beside them) are not next to each other:
    NumPy then puts their axes first, before a batch axis written in front of them."""
    def advanced(x: Operand) -> str:
        kind = x.kind if not isinstance(x, Const) else None
        value = x.value if isinstance(x, Const) else None
        if isinstance(kind, Array) or isinstance(value, (np.ndarray, list)):
            return "array"
        if isinstance(kind, Scalar) and kind.dtype == "int":
            return "int"
        if isinstance(value, int) and not isinstance(value, bool):
            return "int"
        return ""

    kinds = [advanced(x) for x in items]
    if "array" not in kinds:
        return False
    at = [k for k, kind in enumerate(kinds) if kind]
    return at != list(range(at[0], at[-1] + 1))
