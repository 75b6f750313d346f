"""Which values `vmap` batches: those that depend on a mapped argument (as activity
analysis finds the values that depend on a differentiated one), through branches and
loops to a fixed point.

A value's *spec* says whether it has a batch axis in front: a bool, or for a tuple one
spec per item (a function returning `(mean, count)` may batch the mean only). A value
without an entry is not batched. What reads only a shape of its operand (np.shape,
np.zeros_like) gives the same value for every example, and is not batched; a branch on
a batched test, or a loop whose test is batched, batches everything it yields.
"""

from __future__ import annotations

from typing import Union

from ..ir import Const, Op, Operand, Region, Value
from ..ir.prims import LOOP_HEAD, carried_args, loop_inits
from ..ir.types import ListKind, TupleKind
from ..primitives import PRIMITIVES

Spec = Union[bool, tuple]
"""Whether a value has a batch axis in front: a bool, or one spec per item of a tuple."""


def batched(spec: Spec) -> bool:
    """Whether any part of a value has a batch axis."""
    return any(batched(s) for s in spec) if isinstance(spec, tuple) else spec


def whole(kind: object, on: bool = True) -> Spec:
    """The spec of a value of `kind` every part of which is batched (or none)."""
    if isinstance(kind, TupleKind):
        return tuple(whole(k, on) for k in kind.items)
    return on


def join(a: Spec, b: Spec) -> Spec:
    """The spec of a value that is sometimes `a`, sometimes `b` (branches, iterations)."""
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return tuple(join(x, y) for x, y in zip(a, b))
    if isinstance(a, tuple) or isinstance(b, tuple):
        return batched(a) or batched(b)
    return a or b


def item_spec(spec: Spec, index: Operand) -> Spec:
    """The spec of `t[index]` of a tuple of spec `spec` (a run-time index: any item's)."""
    if not isinstance(spec, tuple):
        return spec
    if isinstance(index, Const) and isinstance(index.value, int) and -len(spec) <= index.value < len(spec):
        return spec[index.value]
    parts = set(spec)
    return parts.pop() if len(parts) == 1 else batched(spec)


class Analysis:
    """The specs of a function's values, given those of its parameters."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.specs: dict[Value, Spec] = {}

    def of(self, x: Operand) -> Spec:
        return self.specs.get(x, False) if isinstance(x, Value) else False

    def set(self, value: Value, spec: Spec) -> None:
        if batched(spec):
            self.specs[value] = spec
        else:
            self.specs.pop(value, None)

    def region(self, region: Region) -> None:
        for op in region.ops:
            if op.prim == "cond":
                self._cond(op)
            elif op.prim in LOOP_HEAD:
                self._loop(op)
            else:
                for result, spec in zip(op.results, self.results(op)):
                    self.set(result, spec)

    def results(self, op: Op) -> list[Spec]:
        """The specs of a plain op's results."""
        specs = [self.of(x) for x in op.inputs]
        if not any(batched(s) for s in specs):
            return [False] * len(op.results)
        record = PRIMITIVES.get(op.prim)
        if record.shape_query:
            return [False]
        if record.reads_shape_only and not any(batched(s) for s in specs[1:]) and self.size > 0:
            return [False]  # (computed from the first example: the same for all)
        kind = op.inputs[0].kind if isinstance(op.inputs[0], Value) else None
        if op.prim == "tuple":
            return [tuple(specs)]
        if op.prim == "getitem" and isinstance(kind, TupleKind) and not batched(specs[1]):
            return [item_spec(specs[0], op.inputs[1])]
        if op.prim == "zip":
            return [tuple(specs)]
        if op.prim == "pop":
            return [specs[0], specs[0]]
        return [whole(r.kind) for r in op.results]

    def _cond(self, op: Op) -> None:
        for region in op.regions:
            self.region(region)
        if batched(self.of(op.inputs[0])):
            for r in op.results:
                self.set(r, whole(r.kind))
            return
        for k, r in enumerate(op.results):
            spec: Spec = False
            for region in op.regions:
                spec = join(spec, self.of(region.yields[k]))
            self.set(r, spec)

    def _loop(self, op: Op) -> None:
        body = op.regions[-1]
        inits = loop_inits(op)
        state = [self.of(x) for x in inits]
        if op.prim == "for_each":
            self.set(body.args[0], self.element(op.inputs[0]))
        while True:
            for region in op.regions:
                for arg, spec in zip(carried_args(op, region), state):
                    self.set(arg, spec)
                self.region(region)
            new = [join(s, self.of(y)) for s, y in zip(state, body.yields)]
            if op.prim == "while" and batched(self.of(op.regions[0].yields[0])):
                new = [whole(r.kind) for r in op.results]  # each example runs its own trips
            if new == state:
                break
            state = new
        for r, spec in zip(op.results, state):
            self.set(r, spec)

    def element(self, iterable: Operand) -> Spec:
        """The spec of the items a `for` loop takes from `iterable`."""
        spec = self.of(iterable)
        if isinstance(spec, tuple):  # zip(a, b): pairs
            return spec
        kind = iterable.kind if isinstance(iterable, Value) else None
        if isinstance(kind, ListKind):
            return whole(kind.item, spec)
        return spec
