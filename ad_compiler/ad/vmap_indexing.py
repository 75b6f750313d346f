"""vmap of indexing: `x[i]` and `y[i] = v` with a batch axis.

An index that is the same for every example skips the batch axis (`x[:, i]`, as batched
forward mode writes a tangent's: `batched.BatchedIndexing`). An index that differs
between examples (`x[i]` for each example's `i`) picks each example's row as well: the
batch axis is indexed by `np.arange(size)` beside it, so that NumPy's advanced indexing
pairs each example with its own index. Where NumPy would place the indexed axes
differently once the batch axis is indexed too (integer arrays after a slice), they are
moved back; a write of that kind is refused, as is an index of a different number of
elements per example (a boolean mask that depends on the mapped arguments).
"""

from __future__ import annotations

import numpy as np

from ..ir import Const, Op, Operand
from ..ir.types import Array, Scalar, SliceKind
from .batched import BatchedIndexing
from .kinds import shape_of
from .vmap_analysis import Spec, batched


def _item_kind(x: Operand, producers: dict) -> tuple[str, int] | None:
    """What an index item is for NumPy: ("int", 0), ("array", axes it consumes),
    ("slice", 1), ("none", 0), ("ellipsis", 0); None if not known here."""
    if isinstance(x, Const):
        v = x.value
        if v is None:
            return "none", 0
        if v is Ellipsis:
            return "ellipsis", 0
        if isinstance(v, slice):
            return "slice", 1
        if isinstance(v, (bool, np.bool_)):
            return None
        if isinstance(v, (int, np.integer)):
            return "int", 0
        if isinstance(v, (np.ndarray, list, tuple)):
            a = np.asarray(v)
            return "array", a.ndim if a.dtype == bool else 1
        return None
    kind = x.kind
    if isinstance(kind, SliceKind) or (x in producers and producers[x].prim == "slice"):
        return "slice", 1
    if isinstance(kind, Scalar) and kind.dtype == "int":
        return "int", 0
    if isinstance(kind, Array) and kind.dtype in ("int", "bool"):
        return "array", kind.ndim if kind.dtype == "bool" else 1
    return None


def _apart(kinds: list[tuple[str, int]]) -> bool:
    """Whether an index's advanced items (arrays, and the ints beside them) are not
    next to each other: NumPy then puts their axes first."""
    advanced = [i for i, (k, _) in enumerate(kinds) if k in ("int", "array")]
    return advanced != list(range(advanced[0], advanced[-1] + 1))


def _block_place(kinds: list[tuple[str, int]], rank: int) -> int | None:
    """Where NumPy puts the axes of an index's advanced items in the result: after the
    axes of the items before them where they are next to each other, first otherwise;
    None where there are no arrays (ints alone are basic indexing)."""
    if not any(k == "array" for k, _ in kinds):
        return None
    if _apart(kinds):
        return 0
    advanced = [i for i, (k, _) in enumerate(kinds) if k in ("int", "array")]
    consumed = sum(n if k == "array" else 1 for k, n in kinds if k in ("int", "array", "slice"))
    place = 0
    for k, _ in kinds[:advanced[0]]:
        place += rank - consumed if k == "ellipsis" else 1
    return place


def _index_rank(x: Operand) -> int:
    """The rank an advanced index item gives its axes in one example: an int's 0, an
    integer array's its own, a mask's 1 (the positions it selects)."""
    kind = x.kind if not isinstance(x, Const) else None
    value = np.asarray(x.value) if isinstance(x, Const) else None
    if (kind is not None and getattr(kind, "dtype", None) == "bool") or (value is not None and value.dtype == bool):
        return 1
    return len(shape_of(x) or ())


class IndexBatching(BatchedIndexing):
    """The `Vmap` methods for `getitem` and `setitem` (mixed into `vmap.Vmap`); None where
    another way (the flat positions of the rules, by `Vmap._by_jvp`) is to be taken."""

    def indexing(self, op: Op, inputs: list[Operand], specs: list[Spec]) -> Operand | None:
        if batched(specs[1]):
            return self._by_example(op, inputs, specs)
        items = self._items(op.inputs[1])
        if items is None:
            return None
        kinds = [_item_kind(x, self.producers) for x in items]
        if None in kinds or (any(k == "array" for k, _ in kinds) and _apart(kinds)):
            return None  # (arrays apart: with a batch axis in front NumPy would put their axes before it)
        if all(isinstance(x, Const) and k in ("int", "slice", "none", "ellipsis") for x, (k, _) in zip(items, kinds)):
            index = Const((slice(None),) + tuple(x.value for x in items))
        else:
            index = self.emit("tuple", [Const(slice(None)), *items], op.loc)
        if op.prim == "getitem":
            return self.emit("getitem", [inputs[0], index], op.loc)
        y, _, v = op.inputs
        target = inputs[0] if batched(specs[0]) else self.broadcast(inputs[0], y, False, op.loc)
        value = inputs[2]
        if batched(specs[2]):
            rank, own = self._indexed_rank(y, op.inputs[1]), shape_of(v)
            if rank is None or own is None:
                return None
            value = self.lifted(value, rank - len(own), op.loc)
        return self.emit("setitem", [target, index, value], op.loc)

    def _items(self, index: Operand) -> list[Operand] | None:
        """The items of an index: of a tuple written in the code or a constant; else the
        index as one item."""
        if isinstance(index, Const):
            return [Const(v) for v in index.value] if isinstance(index.value, tuple) else [index]
        producer = self.producers.get(index)
        if producer is not None and producer.prim == "tuple":
            return list(producer.inputs)
        if isinstance(index.kind, Array) or isinstance(index.kind, (Scalar, SliceKind)) or producer is not None:
            return [index]
        return None

    def _by_example(self, op: Op, inputs: list[Operand], specs: list[Spec]) -> Operand:
        """An index that differs between examples: the batch axis indexed by each
        example's number beside it."""
        index = op.inputs[1]
        items = self._items(index)
        kinds = [_item_kind(x, self.producers) for x in items] if items is not None else None
        if kinds is None or None in kinds:
            raise self._error(op.loc, "vmap cannot map this index, which depends on the mapped arguments: an "
                                      "index of ints, integer arrays, slices known here and None is mapped")
        for x, kind in zip(items, kinds):
            if batched(self.spec(x)) and (kind[0] != "int" and (kind[0] != "array" or x.kind.dtype != "int")):
                raise self._error(op.loc, "an index that depends on the mapped arguments selects a different number "
                                          "of elements for each example here (a mask or a slice): vmap needs the "
                                          "same shapes for every example; use np.where instead")
        rank = len(shape_of(op.inputs[0]) or ())
        place = _block_place(kinds, rank)
        depth = max((_index_rank(x) for x, k in zip(items, kinds) if k[0] in ("int", "array")), default=0)
        if op.prim == "getitem" and not batched(specs[0]) and len(items) == 1:
            return self.emit("getitem", [inputs[0], inputs[1]], op.loc)  # rows of x, one per example's index
        x = inputs[0] if batched(specs[0]) else self.broadcast(inputs[0], op.inputs[0], False, op.loc)
        numbers = self.emit("np.arange", [Const(self.size)], op.loc)
        parts = [self.lifted(numbers, depth, op.loc)]
        for item in items:
            own = self.get(item)
            if batched(self.spec(item)):
                own = self.lifted(own, depth - _index_rank(item), op.loc)
            parts.append(own)
        picked = self.emit("tuple", parts, op.loc)
        if op.prim == "getitem":
            result = self.emit("getitem", [x, picked], op.loc)
            if place:  # (NumPy put the indexed axes first: back after the axes before them)
                source = tuple(range(1, 1 + depth))
                result = self.emit("np.moveaxis", [result, Const(source), Const(tuple(p + place for p in source))],
                                   op.loc)
            return result
        if place:
            raise self._error(op.loc, "vmap does not map a write at integer arrays that follow a slice, by an index "
                                      "that depends on the mapped arguments: move the indexed axes first "
                                      "(np.moveaxis)")
        value, v = inputs[2], op.inputs[2]
        if batched(specs[2]):
            read = self._read_rank(op.inputs[0], items)
            if read is None:
                raise self._error(op.loc, "vmap needs the shape of what this index selects; it is not known")
            value = self.lifted(value, read - len(shape_of(v) or ()), op.loc)
        return self.emit("setitem", [x, picked, value], op.loc)

    def _read_rank(self, x: Operand, items: list[Operand]) -> int | None:
        """The rank of one example's `x[items]`, from probes of its shape and the items'."""
        shape = shape_of(x)
        probes = []
        for item in items:
            kind = _item_kind(item, self.producers)
            if isinstance(item, Const):
                probes.append(item.value)
            elif kind[0] == "slice":
                probes.append(slice(None))
            elif kind[0] == "int":
                probes.append(0)
            else:
                own = shape_of(item)
                if own is None:
                    return None
                probes.append(np.zeros(own, dtype=bool if item.kind.dtype == "bool" else np.intp))
        try:
            return np.empty(shape)[tuple(probes)].ndim if shape is not None else None
        except (IndexError, TypeError, ValueError):
            return None
