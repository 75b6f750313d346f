"""A loop reads a float64 array's items as Python floats, where that changes nothing.

Arithmetic on NumPy scalars costs several times what it costs on Python floats: Horner's
`acc = acc * x + c` runs three times faster over `coeffs.tolist()` than over `coeffs`. A
float64 scalar and a Python float hold the same double, and `+`, `-`, `*`, comparisons,
the functions of `math` and NumPy's ufuncs give the same values on both (the records'
`floats` trait). What differs: where they raise (`/ 0` and `% 0` raise
ZeroDivisionError on Python floats, `**` OverflowError), which no record claims; and
promotion: NumPy takes a Python float in the precision of what it meets (a float32
stays float32), where a float64 scalar makes the result float64.

So a loop that reads a 1-d float array item by item (`for c in coeffs`, `coeffs[i]`),
running at least half as many times as it has items, reads it from its `tolist()` when
every value made from the items meets only operations the same on Python floats, and
everything else they meet is an integer, a Python number or float64. Kinds say "float", not which precision, so what the compiler
cannot prove is checked once, before the loop, where the emitted text says so:

    coeffs = coeffs.tolist() if coeffs.dtype == np.float64 and isinstance(x, float) else coeffs

Where the check fails, the loop reads the array as before. A value made from the items
is a Python float where it was a float64 (the same number, of kind float). Runs after
the last transform: a further transform starts from the IR before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Const, Function, Op, Operand, Region, Value
from ..ir.prims import LOOP_HEAD, carried_args
from ..ir.types import Array, Kind, Scalar, TupleKind, kind_of
from ..primitives import PRIMITIVES, primitive
from . import trips

FLOATS = "floats"
"""`floats(*arrays, *checked, arrays=n)`: the `n` arrays' `tolist()` where they and
each of `checked` are float64 (an array's dtype; a scalar is a Python float or a
float64), else the arrays themselves."""

primitive(FLOATS, shares=True)


@dataclass
class _Use:
    """Where a value is read: by op `user` as operand `k`, or yielded as yield `k` of
    `region`, owned by op `owner` (None: the function returns it)."""

    user: Op | None
    k: int
    region: Region | None = None
    owner: Op | None = None


@dataclass
class _Function:
    """What the pass reads of a function: producers, uses, and each region's owner."""

    producers: dict[Value, Op] = field(default_factory=dict)
    uses: dict[Value, list[_Use]] = field(default_factory=dict)
    carried: dict[Value, tuple[Operand, Operand]] = field(default_factory=dict)
    """A loop's carried region argument -> its initial value and its yield."""
    branches: dict[Value, list[Operand]] = field(default_factory=dict)
    """A `cond`'s result -> what each branch yields for it."""

    def read(self, region: Region, owner: Op | None) -> None:
        for op in region.ops:
            for k, x in enumerate(op.inputs):
                if isinstance(x, Value):
                    self.uses.setdefault(x, []).append(_Use(op, k))
            for r in op.results:
                self.producers[r] = op
            for sub in op.regions:
                self.read(sub, op)
            if op.prim in LOOP_HEAD:
                self._carry(op)
            if op.prim == "cond":
                for k, r in enumerate(op.results):
                    self.branches[r] = [sub.yields[k] for sub in op.regions]
        for k, y in enumerate(region.yields):
            if isinstance(y, Value):
                self.uses.setdefault(y, []).append(_Use(None, k, region, owner))

    def _carry(self, loop: Op) -> None:
        body = loop.regions[-1]
        inits = loop.inputs[LOOP_HEAD[loop.prim]:]
        for region in loop.regions:
            for arg, init, y in zip(carried_args(loop, region), inits, body.yields):
                self.carried[arg] = (init, y)


class _Loop:
    """One loop's items read as Python floats: the reads, what they taint, and the
    values the run-time check covers (those the compiler cannot prove float64)."""

    def __init__(self, fn: _Function, loop: Op, visible: set[Value], named: set[Value]) -> None:
        self.fn, self.loop, self.visible, self.named = fn, loop, visible, named
        self.reads = [op for op in _direct_ops(loop.regions[-1]) if self._item(op)]
        self.tainted: dict[Value, None] = {}  # (in the order found: the check's text is the same every run)
        self.checked: list[Value] = []

    def _item(self, op: Op) -> bool:
        """`a[i]` of a 1-d float array from before the loop, at an int: a float; where the
        loop runs at least half as many times as `a` has items (`tolist()` copies them all)."""
        if op.prim != "getitem" or not isinstance(op.inputs[0], Value) or op.inputs[0] not in self.visible \
                or op.inputs[0] not in self.named:  # (an unnamed one would be written three times in the check)
            return False
        array, index = op.inputs[0].kind, _kind(op.inputs[1])
        if not (isinstance(array, Array) and array.ndim == 1 and array.dtype == "float" and array.shape
                and index == Scalar("int") and op.result.kind == Scalar("float")):
            return False
        steps = trips.counts(self.loop, self.fn.producers)
        return steps is not None and 2 * len(steps) >= array.shape[0]

    def provable(self) -> bool:
        """Whether every value made from the items meets only what is the same on Python
        floats, and what else it meets is float64 (proved, or checked at run time)."""
        if not self.reads:
            return False
        work = [op.result for op in self.reads]
        self.tainted.update(dict.fromkeys(work))
        while work:
            value = work.pop()
            for use in self.fn.uses.get(value, []):
                made = self._passed(value, use)
                if made is None:
                    return False
                work += [m for m in made if m not in self.tainted]
                self.tainted.update(dict.fromkeys(made))
        for op in self.reads:
            self._check(op.inputs[0])
        return all(self._partners(value) for value in list(self.tainted))

    def _passed(self, value: Value, use: _Use) -> list[Value] | None:
        """What reading `value` there makes of it that is a Python value where it was a
        NumPy one (empty: nothing), or None where that read may differ."""
        if use.user is None:
            return self._yielded(use)
        op, k = use.user, use.k
        if op.prim == "cond" and k == 0:
            return []  # (a Python float or bool is true where the NumPy one is)
        if op.prim in LOOP_HEAD:
            if k < LOOP_HEAD[op.prim]:
                return None
            return self._carried_from(op, k - LOOP_HEAD[op.prim])
        if op.prim == "tuple":
            return list(op.results)
        if op.prim == "getitem" and isinstance(value.kind, TupleKind):
            return list(op.results) if k == 0 else None
        if op.prim == "setitem" and k == 2 and isinstance(_kind(op.inputs[0]), Array):
            return []  # (an array stores the same number)
        record = PRIMITIVES.get(op.prim)
        if not record.floats or not (value.kind == Scalar("float") or op.prim == "not_" or record.numbers):
            return None
        if record.floats == "alike":
            return []
        return [r for r in op.results if isinstance(r.kind, Scalar)]

    def _yielded(self, use: _Use) -> list[Value] | None:
        owner = use.owner
        if owner is None:
            return []  # (returned: a Python float is a float)
        if owner.prim == "cond":
            return [owner.results[use.k]]
        if owner.prim == "while" and use.region is owner.regions[0]:
            return []  # (the test)
        return self._carried_from(owner, use.k)

    @staticmethod
    def _carried_from(loop: Op, k: int) -> list[Value]:
        """The carried value `k` of a loop, in each region and after it."""
        return [carried_args(loop, region)[k] for region in loop.regions] + [loop.results[k]]

    def _partners(self, value: Value) -> bool:
        """Whether each operand `value` meets in a NumPy operation is float64, an integer
        or a Python number (proved, or added to the run-time check)."""
        for use in self.fn.uses.get(value, []):
            op = use.user
            if op is None or op.prim in LOOP_HEAD or op.prim in ("cond", "tuple", "getitem", "setitem"):
                continue
            if PRIMITIVES.get(op.prim).numbers:
                continue  # (a function of `math` reads every operand as a Python float)
            if not all(self._wide(x, set()) for x in op.inputs if x is not value):
                return False
        return True

    def _wide(self, x: Operand, seen: set[Value]) -> bool:
        """Whether `x` is float64, an integer or a Python number, where the loop's check
        holds (adding to the check what only the run can tell)."""
        if isinstance(x, Const):
            return isinstance(x.value, (bool, int, float))
        kind = x.kind
        if isinstance(kind, (Scalar, Array)) and kind.dtype in ("bool", "int") or x in self.tainted or x in seen:
            return True
        seen.add(x)
        if x in self.visible:
            return self._check(x)
        if x in self.fn.carried:
            return all(self._wide(y, seen) for y in self.fn.carried[x])
        if x in self.fn.branches:
            return all(self._wide(y, seen) for y in self.fn.branches[x])
        op = self.fn.producers.get(x)
        if op is None:
            return False
        record = PRIMITIVES.get(op.prim)
        if op.prim == "getitem" or record.floats == "alike" and not record.numbers:
            return all(self._wide(y, seen) for y in op.inputs if not isinstance(y, Const))
        return record.numbers or record.floats == "same" and all(self._wide(y, seen) for y in op.inputs)

    def _check(self, x: Value) -> bool:
        """Check `x` at run time: a float array's dtype, a float scalar's type."""
        if not isinstance(x.kind, (Scalar, Array)) or x.kind.dtype != "float":
            return False
        if x not in self.checked:
            self.checked.append(x)
        return True

    def rewrite(self, region: Region) -> None:
        """Before the loop, the arrays read as `floats(*arrays, *checked)`; the reads read
        its results."""
        arrays = list(dict.fromkeys(op.inputs[0] for op in self.reads))
        made = {array: Value(array.name, array.kind) for array in arrays}
        checked = arrays + [x for x in self.checked if x not in made]
        at = region.ops.index(self.loop)
        region.ops.insert(at, Op(FLOATS, checked, list(made.values()), {"arrays": len(arrays)}, loc=self.loop.loc))
        for op in self.reads:
            op.inputs[0] = made[op.inputs[0]]


def _kind(x: Operand) -> Kind:
    return x.kind if isinstance(x, Value) else kind_of(x.value)


def _direct_ops(region: Region):
    """The ops of a loop's body, through its branches but not into nested loops."""
    for op in region.ops:
        yield op
        if op.prim == "cond":
            for sub in op.regions:
                yield from _direct_ops(sub)


def _loops(region: Region, visible: set[Value], found: list[tuple[Op, Region, set[Value]]]) -> None:
    """Every loop, with its region and the values defined before it there."""
    visible = visible | set(region.args)
    for op in region.ops:
        if op.prim in LOOP_HEAD:
            found.append((op, region, visible))
        for sub in op.regions:
            _loops(sub, visible, found)
        visible = visible | set(op.results)


def run(fn: Function) -> bool:
    """Read the items of float64 arrays as Python floats where that changes nothing;
    True if a loop does."""
    facts = _Function()
    facts.read(fn.body, None)
    found: list[tuple[Op, Region, set[Value]]] = []
    _loops(fn.body, set(fn.params), found)
    named = {v for v in facts.uses if fn.hint(v)} | set(fn.params)
    chosen = [(plan, region) for loop, region, visible in found
              for plan in [_Loop(facts, loop, visible, named)] if plan.provable()]
    for plan, region in chosen:  # (all decided on the IR as it was)
        plan.rewrite(region)
    return bool(chosen)
