"""Reverse mode over regions: branches and loops (DESIGN §5).

A `cond` is reversed by a `cond` on the same predicate whose branches recompute what the
branch computed (its values are not visible outside it) and then run the branch's
reverse sweep; each hands out its contributions to the values it read from outside.

A loop is reversed by a loop over a tape, newest entry first. The forward loop records,
each iteration, exactly the values its reverse body reads (to-be-recorded analysis: found
by building the reverse body first and looking at what it reads); a `while` loop's tape
also counts its trips. The reverse loop carries the adjoints of the loop-carried values
and accumulates those of the values the body read from outside (weights, inputs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..ir import Const, Op, Operand, Region, Value
from ..ir.clone import copy_ops, substitute

if TYPE_CHECKING:
    from .reverse import Adjoints

LOOPS = ("for_range", "for_each", "while")


def _is(x: Operand, number: int) -> bool:
    return isinstance(x, Const) and x.value == number and not isinstance(x.value, bool)


def _defined(region: Region) -> set[Value]:
    """The values a region defines at its own level: its arguments and its ops' results."""
    return set(region.args) | {r for op in region.ops for r in op.results}


def _reads(ops: list[Op], yields: list[Operand]) -> list[Value]:
    """Every value read by `ops` (nested regions included) and `yields`, in order."""
    found: list[Value] = []
    seen: set[Value] = set()

    def visit(x: Operand) -> None:
        if isinstance(x, Value) and x not in seen:
            seen.add(x)
            found.append(x)

    def walk(ops: list[Op], yields: list[Operand]) -> None:
        for op in ops:
            for x in op.inputs:
                visit(x)
            for region in op.regions:
                walk(region.ops, region.yields)
        for y in yields:
            visit(y)

    walk(ops, yields)
    return found


class RegionSweep:
    """The `Sweep` methods for ops with regions (mixed into `reverse.Sweep`)."""

    def region_op(self, op: Op) -> None:
        if not any(self.adjoints.current(r) is not None for r in op.results):
            return
        if op.prim == "cond":
            self.cond(op)
        elif op.prim in LOOPS:
            self.loop(op)
        else:
            raise ValueError(f"reverse mode: no rule for the region op {op.prim}")

    def _sub_sweep(self, ops: list[Op], local: set[Value]) -> tuple["Adjoints", object]:
        adjoints = type(self.adjoints)(self.fn, ops, local)
        return adjoints, type(self)(self.fn, self.active, adjoints, self.rules)

    # ---- branches ----

    def cond(self, op: Op) -> None:
        grads = [self.adjoints.current(r) for r in op.results]
        branches = []
        for region in op.regions:
            mapping: dict[Value, Operand] = {}
            ops = copy_ops(region.ops, mapping)
            copies = {mapping[v] for v in _defined(region) if v in mapping}
            self.active |= {new for old, new in mapping.items() if old in self.active}  # nested too
            adjoints, sweep = self._sub_sweep(ops, copies)
            for y, g in zip(region.yields, grads):
                y = mapping.get(y, y) if isinstance(y, Value) else y
                if g is not None and self.is_active(y):
                    adjoints.add(y, g, set(), op.loc)
            sweep.run(ops)
            branches.append((ops, adjoints))
        outers: list[Value] = []
        for _, adjoints in branches:
            outers += [v for v in adjoints.outer if v not in outers]
        if not outers:
            return
        regions = []
        for ops, adjoints in branches:
            yields = [adjoints.outer.get(v) or adjoints.zeros(v, op.loc) for v in outers]
            regions.append(Region([], ops, yields))
        results = [Value() for _ in outers]
        self.adjoints.ops.append(Op("cond", [op.inputs[0]], results, {}, regions, loc=op.loc))
        for v, r in zip(outers, results):
            self.adjoints.add(v, r, {r}, op.loc)

    # ---- loops ----

    def loop(self, op: Op) -> None:
        body = op.regions[-1]
        first = 0 if op.prim == "while" else 1
        carried = body.args[first:]
        inits = list(op.inputs[len(op.inputs) - len(carried):])
        active = [k for k, arg in enumerate(carried) if self.is_active(arg) or self.is_active(op.results[k])]

        # the reverse body, built first against the forward body's own values
        reverse_ops: list[Op] = []
        local = _defined(body)
        adjoints, sweep = self._sub_sweep(reverse_ops, local)
        seeds = [Value() for _ in active]
        for k, seed in zip(active, seeds):
            self.fn.derived_names[seed] = ("b", op.results[k])
            y = body.yields[k]
            if self.is_active(y):
                adjoints.add(y, seed, set(), op.loc)
        sweep.run(body.ops)
        steps = [adjoints.of.get(carried[k]) or adjoints.zeros(carried[k], op.loc) for k in active]
        outers = list(adjoints.outer)
        accumulators = [Value() for _ in outers]
        totals = []
        for v, acc in zip(outers, accumulators):
            self.fn.derived_names[acc] = ("b", v)
            total = Value()
            reverse_ops.append(Op("add", [acc, adjoints.outer[v]], [total], loc=op.loc))
            totals.append(total)

        # what the reverse body reads of the forward body is recorded on a tape (the
        # body now includes the tapes of loops nested in it, which are read too)
        local = _defined(body)
        order = {v: i for i, v in enumerate(list(body.args) + [r for o in body.ops for r in o.results])}
        needed = sorted((v for v in _reads(reverse_ops, steps + totals) if v in local), key=order.get)
        counted = op.prim == "for_range" and _is(op.inputs[0], 0) and _is(op.inputs[2], 1)
        index = body.args[0] if counted else None
        if index is not None and index in needed:  # the counter is counted again, not recorded
            needed.remove(index)
        tape = self._record(op, body, needed) if needed or not counted else None

        item = Value(index.name if counted else "entry")
        entry = item
        unpack: list[Op] = []
        if counted and tape is not None:
            entry = Value("entry")
            unpack.append(Op("getitem", [tape, item], [entry], loc=op.loc))
        unpacked = {v: Value(v.name) for v in needed}
        unpacked.update({index: item} if counted else {})
        unpack += [Op("getitem", [entry, Const(j)], [unpacked[v]], loc=op.loc) for j, v in enumerate(needed)]
        yields = substitute(reverse_ops, steps + totals, unpacked)
        region = Region([item, *seeds, *accumulators], unpack + reverse_ops, yields)

        start = [self.adjoints.current(op.results[k]) or self.adjoints.zeros(op.results[k], op.loc) for k in active]
        start += [self.adjoints.current(v) or self.adjoints.zeros(v, op.loc) for v in outers]
        backwards, steps_taken = Value(), Value()
        if counted:
            self.adjoints.ops.append(Op("range", [op.inputs[1]], [steps_taken], loc=op.loc))
        self.adjoints.ops.append(Op("reversed", [steps_taken if counted else tape], [backwards], loc=op.loc))
        results = [Value() for _ in start]
        self.adjoints.ops.append(Op("for_each", [backwards, *start], results, {}, [region], loc=op.loc))
        for v, r in zip(outers, results[len(active):]):
            self.adjoints.replace(v, r)  # the accumulation started from the current adjoint
        for k, r in zip(active, results):
            self.fn.derived_names[r] = ("b", inits[k]) if isinstance(inits[k], Value) else ("b", op.results[k])
            if self.is_active(inits[k]):
                self.adjoints.add(inits[k], r, {r}, op.loc)

    def _record(self, op: Op, body: Region, needed: list[Value]) -> Value:
        """Thread a tape through the forward loop: each iteration appends the values in
        `needed` (as a tuple). Returns the filled tape, the loop's new last result."""
        empty, arg, filled, pushed, entry = Value("tape"), Value("tape"), Value("tape"), Value("tape"), Value()
        self.forward.insert(self.forward.index(op), Op("list", [], [empty], loc=op.loc))
        # recorded as soon as the values exist (a carried value before it is updated)
        made = {r: i for i, o in enumerate(body.ops) for r in o.results}
        at = max((made[v] + 1 for v in needed if v in made), default=0)
        body.ops[at:at] = [
            Op("tuple", list(needed), [entry], loc=op.loc),
            Op("push", [arg, entry], [pushed], loc=op.loc),
        ]
        body.args.append(arg)
        body.yields.append(pushed)
        if op.prim == "while":
            op.regions[0].args.append(Value("tape"))
        op.inputs.append(empty)
        op.results.append(filled)
        return filled
