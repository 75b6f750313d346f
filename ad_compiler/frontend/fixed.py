"""What the lowered program itself fixes, whatever its arguments: which values are Python
ints (and a lower bound for each), and the rank of arrays. The views check (`views.py`)
reads it to tell a copy from a view (`y[0]` of a vector is a number) and disjoint regions
from overlapping ones (`H[t]` and `H[t + 1]`). One lowered IR serves every signature, so
where an argument decides, nothing is known (None)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from ..primitives import PRIMITIVES
from ..ir.core import Const, Function, Op, Operand, Region, Value
from ..ir.prims import LOOP_HEAD, carried_args, loop_inits
from .environment import Guard

Sym = Union[None, str, Value]
"""What a bound counts from: None (the start of the axis), "end" (its end: negative
constants), or an integer value of the program (a loop index, a length)."""

END = "end"


@dataclass(frozen=True)
class Bound:
    sym: Sym
    c: int


_INT_RESULTS = frozenset({"len", "np.size", "np.ndim", "int", "math.floor", "math.ceil", "math.trunc"})
_NONNEGATIVE = frozenset({"len", "np.size", "np.ndim"})
_INT_ARITHMETIC = frozenset({"add", "sub", "mul", "floordiv", "mod", "neg", "pos", "abs", "max", "min"})
_SCALAR_RESULTS = frozenset({"float", "int", "len", "np.size", "np.ndim"})
_SHAPED = frozenset({"np.zeros", "np.ones", "np.empty", "np.full"})
_LIKE = frozenset({"np.zeros_like", "np.ones_like", "np.empty_like", "np.full_like", "np.copy",
                   "np.asarray", "transpose", "np.transpose", "np.negative", "np.conj"})


class Fixed:
    """Which values are Python ints (and their lower bounds), and the rank of arrays, as far
    as the program fixes them; None where an argument decides."""

    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self.producer: dict[Value, Op] = {}
        self.rank: dict[Value, Optional[int]] = {}
        self.ints: set[Value] = set()
        self.lower: dict[Value, int] = {}
        self.first = True  # the first pass: a loop's carried values are as they enter it
        for round_ in range(20):  # loops: until the carried values settle
            before = (dict(self.rank), set(self.ints), dict(self.lower))
            self._region(fn.body)
            self.first = False
            if round_ > 0 and (self.rank, self.ints, self.lower) == before:
                break

    # queries
    def rank_of(self, x: Operand) -> Optional[int]:
        if isinstance(x, Const):
            v = x.value
            if isinstance(v, (bool, int, float, complex, np.generic)):
                return 0
            return v.ndim if isinstance(v, np.ndarray) else None
        return self.rank.get(x)

    def is_int(self, x: Operand) -> bool:
        if isinstance(x, Const):
            v = x.value
            return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
        return x in self.ints

    def linear(self, x: Operand) -> Optional[Bound]:
        """An integer as sym + constant, looking through `+` and `-` of constants."""
        if isinstance(x, Const):
            return Bound(None, int(x.value)) if self.is_int(x) else None
        if x not in self.ints:
            return None
        op = self.producer.get(x)
        if op is not None and op.prim in ("add", "sub") and len(op.inputs) == 2:
            a, b = op.inputs
            if self.is_int(b) and isinstance(b, Const):
                inner = self.linear(a)
                if inner is not None:
                    return Bound(inner.sym, inner.c + (b.value if op.prim == "add" else -b.value))
            if op.prim == "add" and isinstance(a, Const) and self.is_int(a):
                inner = self.linear(b)
                if inner is not None:
                    return Bound(inner.sym, inner.c + a.value)
        if op is not None and op.prim == "pos" and len(op.inputs) == 1:
            return self.linear(op.inputs[0])
        return Bound(x, 0)

    def lower_of(self, sym: Sym) -> Optional[int]:
        if sym is None:
            return 0
        if isinstance(sym, Value):
            return self.lower.get(sym)
        return None

    # inference
    def _region(self, region: Region) -> None:
        for op in region.ops:
            for r in op.results:
                self.producer[r] = op
            if op.prim == "cond":
                for sub in op.regions:
                    self._region(sub)
                for k, r in enumerate(op.results):
                    ys = [sub.yields[k] for sub in op.regions if k < len(sub.yields)]
                    self._set(r, ys)
            elif op.prim in LOOP_HEAD:
                self._loop(op)
            elif len(op.results) == 1:
                self._op(op)

    def _set(self, v: Value, sources: list[Operand]) -> None:
        ranks = {self.rank_of(s) for s in sources}
        self.rank[v] = ranks.pop() if len(ranks) == 1 else None
        if sources and all(self.is_int(s) for s in sources):
            self.ints.add(v)
        else:
            self.ints.discard(v)

    def _loop(self, op: Op) -> None:
        body = op.regions[-1]
        inits = loop_inits(op)
        for region in op.regions:
            for k, arg in enumerate(carried_args(op, region)):
                self._set(arg, [inits[k]] if self.first else [inits[k], body.yields[k]])
                self._counter(arg, inits[k], body.yields[k], carried_args(op, body)[k])
        if op.prim == "for_range":
            index = body.args[0]
            self.ints.add(index)
            self.rank[index] = 0
            start, stop, step = op.inputs[:3]
            if isinstance(step, Const) and self.is_int(step):
                if step.value > 0 and isinstance(start, Const) and self.is_int(start):
                    self.lower[index] = start.value
                elif step.value < 0 and isinstance(stop, Const) and self.is_int(stop):
                    self.lower[index] = stop.value + 1
        elif op.prim == "for_each":
            item = body.args[0]
            r = self.rank_of(op.inputs[0])
            self.rank[item] = r - 1 if r else None
        for region in op.regions:
            self._region(region)
        for k, r in enumerate(op.results):
            self._set(r, [inits[k], body.yields[k]])

    def _counter(self, arg: Value, init: Operand, step: Operand, current: Value) -> None:
        """A carried integer that never decreases (`k = k + 1`, a counter `exits` made of a
        for loop with a break) is at least what it starts from."""
        self.lower.pop(arg, None)
        moved = self.linear(step) if not self.first else Bound(current, 0)
        start = self.linear(init)
        if arg not in self.ints or moved is None or start is None or moved.sym is not current or moved.c < 0:
            return
        lower = self.lower_of(start.sym)
        if lower is not None:
            self.lower[arg] = lower + start.c

    def _op(self, op: Op) -> None:
        (r,) = op.results
        prim, xs = op.prim, op.inputs
        record = PRIMITIVES.get(prim)
        ranks = [self.rank_of(x) for x in xs]
        self.ints.discard(r)
        rank: Optional[int] = None
        if prim in _INT_RESULTS or (prim == "round" and len(xs) == 1):
            self.ints.add(r)
            rank = 0
            if prim in _NONNEGATIVE:
                self.lower[r] = 0
        elif prim == "getitem" and isinstance(xs[0], Value) and self._is_shape(xs[0]) and self.is_int(xs[1]):
            self.ints.add(r)
            self.lower[r] = 0
            rank = 0
        elif prim in _INT_ARITHMETIC and xs and all(self.is_int(x) for x in xs):
            self.ints.add(r)
            rank = 0
        elif record.elementwise:
            rank = max(ranks) if xs and None not in ranks else None
        elif prim.startswith("math.") or prim in _SCALAR_RESULTS:
            rank = 0
        elif record.product and len(xs) == 2:
            rank = {(1, 1): 0, (2, 1): 1, (1, 2): 1, (2, 2): 2}.get((ranks[0], ranks[1]))
        elif record.reduces:
            if len(xs) == 1 and op.attrs.get("axis") is None and not op.attrs.get("keepdims"):
                rank = 0
        elif prim in _SHAPED:
            rank = self._shape_rank(xs[0]) if xs else None
        elif prim in _LIKE:
            rank = ranks[0] if xs else None
        elif prim in ("np.array",) and xs:
            rank = self._array_rank(xs[0])
        elif prim in ("np.arange", "np.linspace", "np.ravel"):
            rank = 1
        elif prim in ("np.eye", "np.identity", "np.outer"):
            rank = 2
        elif prim == "np.reshape" and len(xs) == 2:
            rank = self._shape_rank(xs[1])
        elif prim == "np.expand_dims" and ranks and ranks[0] is not None and len(xs) == 2 and self.is_int(xs[1]):
            rank = ranks[0] + 1
        elif prim in ("np.atleast_1d", "np.atleast_2d", "np.atleast_3d") and len(xs) == 1 and ranks[0] is not None:
            rank = max(int(prim[-2]), ranks[0])
        elif prim == "getitem" and len(xs) == 2:
            rank = self._getitem_rank(xs[0], xs[1])
        elif prim == "setitem":
            rank = ranks[0]
        self.rank[r] = rank

    def _is_shape(self, x: Value) -> bool:
        op = self.producer.get(x)
        return op is not None and op.prim == "np.shape"

    def _shape_rank(self, shape: Operand) -> Optional[int]:
        if isinstance(shape, Const):
            v = shape.value
            if isinstance(v, tuple):
                return len(v)
            return 1 if self.is_int(shape) else None
        if self.is_int(shape):
            return 1
        op = self.producer.get(shape)
        if op is not None and op.prim == "tuple":
            return len(op.inputs)
        if op is not None and op.prim == "np.shape":
            return self.rank_of(op.inputs[0])
        return None

    def _array_rank(self, x: Operand) -> Optional[int]:
        if isinstance(x, Const):
            try:
                return np.ndim(x.value)
            except Exception:  # noqa: BLE001
                return None
        op = self.producer.get(x)
        if op is not None and op.prim == "tuple":
            items = {self.rank_of(i) for i in op.inputs}
            return 1 + items.pop() if len(items) == 1 and None not in items else None
        return self.rank_of(x)

    def parts(self, index: Operand) -> list[tuple[str, Any]]:
        """An index as its parts: ("int", Bound), ("slice", (lo, hi, step)), ("none",),
        ("ellipsis",), ("array",) (an integer array or mask: a copy), ("unknown",)."""
        if isinstance(index, Const) and isinstance(index.value, tuple):
            items: list[Operand] = [Const(v) for v in index.value]
        else:
            op = self.producer.get(index) if isinstance(index, Value) else None
            items = list(op.inputs) if op is not None and op.prim == "tuple" else [index]
        return [self._part(item) for item in items]

    def _part(self, x: Operand) -> tuple[str, Any]:
        if isinstance(x, Const):
            v = x.value
            if v is None:
                return ("none", None)
            if v is Ellipsis:
                return ("ellipsis", None)
            if isinstance(v, slice):
                return ("slice", tuple(Const(b) for b in (v.start, v.stop, v.step)))
            if isinstance(v, np.ndarray):
                if v.ndim == 0 and np.issubdtype(v.dtype, np.integer):
                    return ("int", Bound(None, int(v)))
                return ("array", None)
            if self.is_int(x):
                return ("int", Bound(None, int(v)))
            return ("unknown", None)
        op = self.producer.get(x)
        if op is not None and op.prim == "slice":
            return ("slice", tuple(op.inputs) + (Const(None),) * (3 - len(op.inputs)))
        if self.is_int(x):
            return ("int", self.linear(x))
        rank = self.rank_of(x)
        if rank is not None and rank >= 1:
            return ("array", None)
        if op is not None and op.prim == "external" and self._index_array(op):
            return ("array", None)
        return ("unknown", None)

    def _index_array(self, op: Op) -> bool:
        """A module-level integer array or mask used as an index (`y[IDX]`): a copy while the
        name holds it, so the IR assumes it does (an `is` guard: rebinding the name lowers
        the function again, and checks it again)."""
        ref = op.attrs.get("ref")
        try:
            obj = ref.read()
        except Exception:  # noqa: BLE001 - unreadable now: nothing is known of it
            return False
        if not (isinstance(obj, np.ndarray) and obj.ndim >= 1 and obj.dtype.kind in "iub"):
            return False
        if not any(g.ref is ref and g.test == "is" for g in self.fn.guards):
            self.fn.guards.append(Guard(ref, "is", obj))
        return True

    def _getitem_rank(self, x: Operand, index: Operand) -> Optional[int]:
        rank = self.rank_of(x)
        if rank is None:
            return None
        parts = self.parts(index)
        kinds = [p[0] for p in parts]
        if "array" in kinds or "unknown" in kinds or kinds.count("ellipsis") > 1:
            return None
        used = kinds.count("int") + kinds.count("slice")
        if used > rank:
            return None
        return rank - kinds.count("int") + kinds.count("none")

    def copies(self, op: Op) -> bool:
        """Whether a `getitem` copies (a scalar, or an integer-array or mask index)."""
        x, index = op.inputs[0], op.inputs[1]
        if isinstance(x, Const) and not isinstance(x.value, np.ndarray):
            return True  # an item of a tuple of constants: no memory of an array
        parts = self.parts(index)
        kinds = [p[0] for p in parts]
        if "array" in kinds:
            return True
        rank = self.rank_of(x)
        return rank is not None and all(k == "int" for k in kinds) and len(kinds) == rank

    def maybe_scalar(self, op: Op) -> bool:
        """A `getitem` with integer parts only, of an array whose rank the program does not fix."""
        kinds = [p[0] for p in self.parts(op.inputs[1])]
        return all(k == "int" for k in kinds) and self.rank_of(op.inputs[0]) is None


