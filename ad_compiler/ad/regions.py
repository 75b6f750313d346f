"""Reverse mode over regions: branches and loops (DESIGN §5).

A `cond` is reversed by a `cond` on the same predicate whose branches recompute what the
branch computed (its values are not visible outside it) and then run the branch's
reverse sweep; each hands out its contributions to the values it read from outside. A
branch with effects (a call run as written: a random draw, a print) is never run again:
its reverse sweep reads the values of the forward branch, which hands them out.

A loop is reversed by a loop over a tape, newest entry first. The forward loop records,
each iteration, exactly the values its reverse body reads (to-be-recorded analysis: found
by building the reverse body first and looking at what it reads); a `while` loop's tape
also counts its trips. The reverse loop carries the adjoints of the loop-carried values
and accumulates those of the values the body read from outside (weights, inputs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..ir import Const, Op, Operand, Region, Value, absent
from ..ir.clone import copy_ops, substitute
from ..ir.prims import carried_args, has_effects, loop_inits
from ..ir.types import Array, ListKind, Scalar
from .checkpoint import RECOMPUTE

if TYPE_CHECKING:
    from .reverse import Adjoints


def adding(primal: Value) -> str:
    """The prim that adds two adjoints of `primal`: item by item for a list."""
    return "add_items" if isinstance(primal.kind, ListKind) else "add"

LOOPS = ("for_range", "for_each", "while")
ADJOINT_PREFIX = "b"
"""`bx` is the adjoint of `x` (Griewank's notation, as in Tangent)."""


@dataclass
class _Reverse:
    """A backward iteration under construction (see `RegionSweep._reverse_body`)."""

    ops: list[Op]
    seeds: list[Value]
    steps: list[Operand]
    outers: list[Value]
    accumulators: list[Value]
    totals: list[Value]


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


def _hand_out(op: Op, k: int, value: Value) -> Value:
    """`value`, made in branch `k` of `op`, as a new result of `op`."""
    result = Value(value.name, value.kind)
    op.results.append(result)
    for j, region in enumerate(op.regions):
        region.yields.append(value if j == k else absent())
    return result


_ARITHMETIC = ("add", "sub", "mul", "truediv", "floordiv", "mod", "neg", "pow")


def _read_again(body: Region, needed: list[Value], local: set[Value], counter: Value) -> list[Op]:
    """The ops of a counted loop's body that compute, from its counter and values from
    outside the loop, values its reverse body needs: reads of outer arrays (`xs[i]`,
    `y[i - 1]`, `A[0, j]`), the arithmetic of their indices, and numbers computed from outer ones
    (`h / 2`, the same at every step). The reverse body runs them again rather than
    reading them from a tape (in the order of the body); they ran in the forward loop,
    so they do not raise."""
    producers = {r: o for o in body.ops for r in o.results}
    known: dict[Value, bool] = {}

    def cheap(x: Operand) -> bool:
        if not isinstance(x, Value) or x is counter or x not in local:
            return True
        if x not in known:
            known[x] = False  # (while it is being looked at)
            p = producers.get(x)
            read = p is not None and p.prim == "getitem" and isinstance(p.inputs[0], Value) \
                and p.inputs[0] not in local and isinstance(p.inputs[0].kind, Array)
            number = p is not None and p.prim in _ARITHMETIC and isinstance(x.kind, Scalar) and not p.attrs
            index = p is not None and p.prim == "tuple" and all(isinstance(i.kind if isinstance(i, Value) else 0, (Scalar, int))
                                                                for i in p.inputs)
            known[x] = (read or number or index) and all(cheap(i) for i in p.inputs[1 if read else 0:])
        return known[x]

    chosen = {v for v in needed if v in producers and cheap(v)}
    todo = list(chosen)
    while todo:  # (with the index arithmetic the reads need)
        for x in producers[todo.pop()].inputs:
            if isinstance(x, Value) and x in producers and x not in chosen:
                chosen.add(x)
                todo.append(x)
    return [o for o in body.ops if any(r in chosen for r in o.results)]


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
        if has_effects(op):
            self._cond_handing_out(op)
            return
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
        self._reverse_cond(op, branches, [None] * len(branches))

    def _cond_handing_out(self, op: Op) -> None:
        """A branch with effects is not run again: its reverse sweep reads the forward
        branch's own values (a loop in it records its tape there), handed out as new
        results of the forward `cond` (the branch not taken hands out None)."""
        grads = [self.adjoints.current(r) for r in op.results]
        branches = []
        for region in op.regions:
            backward: list[Op] = []
            adjoints, sweep = self._sub_sweep(backward, _defined(region))
            for y, g in zip(region.yields, grads):
                if g is not None and self.is_active(y):
                    adjoints.add(y, g, set(), op.loc)
            sweep.run(region.ops)
            branches.append((backward, adjoints))
        self._reverse_cond(op, branches, list(op.regions))

    def _reverse_cond(self, op: Op, branches: list, forward: list[Region | None]) -> None:
        """The reverse `cond` from each branch's reverse ops and adjoints; where `forward`
        names the branch they read, what they read of it is handed out first."""
        outers: list[Value] = []
        for _, adjoints in branches:
            outers += [v for v in adjoints.outer if v not in outers]
        if not outers:
            return
        regions = []
        for k, ((ops, adjoints), region) in enumerate(zip(branches, forward)):
            yields = [adjoints.outer.get(v) or adjoints.zeros(v, op.loc) for v in outers]
            if region is not None:
                made = _defined(region)
                handed = {v: _hand_out(op, k, v) for v in _reads(ops, yields) if v in made}
                yields = substitute(ops, yields, handed)
            regions.append(Region([], ops, yields))
        results = [Value() for _ in outers]
        self.adjoints.ops.append(Op("cond", [op.inputs[0]], results, {}, regions, loc=op.loc))
        for v, r in zip(outers, results):
            self.adjoints.add(v, r, {r}, op.loc)

    # ---- loops ----

    def loop(self, op: Op) -> None:
        body = op.regions[-1]
        carried = carried_args(op, body)
        inits = list(loop_inits(op))
        active = [k for k, arg in enumerate(carried) if self.is_active(arg) or self.is_active(op.results[k])]
        reverse = self._reverse_body(op, body, [carried[k] for k in active], [body.yields[k] for k in active],
                                     [op.results[k] for k in active])
        region, source = self._backward_region(op, body, reverse)

        start = [self.adjoints.current(op.results[k]) or self.adjoints.zeros(op.results[k], op.loc) for k in active]
        start += [self.adjoints.current(v) or self.adjoints.starting(v, op.loc) for v in reverse.outers]
        backwards = Value()
        self.adjoints.ops.append(Op("reversed", [source], [backwards], loc=op.loc))
        results = [Value() for _ in start]
        self.adjoints.ops.append(Op("for_each", [backwards, *start], results, {}, [region], loc=op.loc))
        for v, r in zip(reverse.outers, results[len(active):]):
            self.adjoints.replace(v, r)  # the accumulation started from the current adjoint
        for k, r in zip(active, results):
            base = inits[k] if isinstance(inits[k], Value) else op.results[k]
            self.fn.derived_names[r] = (ADJOINT_PREFIX, base)
            if self.is_active(inits[k]):
                self.adjoints.add(inits[k], r, {r}, op.loc)

    def _reverse_body(self, op: Op, body: Region, args: list[Value], yields: list[Operand],
                      results: list[Value]) -> "_Reverse":
        """One backward iteration, built against the forward body's own values: seeded
        with the adjoints of the yields, it hands back those of the carried arguments
        (`steps`) and adds to the accumulators of the outer values the body read."""
        ops: list[Op] = []
        adjoints, sweep = self._sub_sweep(ops, _defined(body))
        adjoints.seeds = {}
        adjoints.carried_on = bool(op.attrs.get(RECOMPUTE))  # (a segment: one loop, reversed whole)
        seeds = [Value() for _ in args]
        for seed, y, result in zip(seeds, yields, results):
            self.fn.derived_names[seed] = (ADJOINT_PREFIX, result)
            if self.is_active(y):
                adjoints.add(y, seed, set(), op.loc)
        sweep.run(body.ops)
        steps = [adjoints.of.get(arg) or adjoints.zeros(arg, op.loc) for arg in args]
        outers = list(adjoints.outer)
        accumulators, totals = [], []
        for v in outers:
            if v in adjoints.seeds:  # (added into in place: the total is the list itself)
                accumulators.append(adjoints.seeds[v])
                totals.append(adjoints.outer[v])
                continue
            acc, total = Value(), Value()
            self.fn.derived_names[acc] = (ADJOINT_PREFIX, v)
            ops.append(Op(adding(v), [acc, adjoints.outer[v]], [total], loc=op.loc))
            accumulators.append(acc)
            totals.append(total)
        return _Reverse(ops, seeds, steps, outers, accumulators, totals)

    def _backward_region(self, op: Op, body: Region, reverse: "_Reverse") -> tuple[Region, Value]:
        """The backward loop's body, reading what it needs of the forward body from a tape
        (recorded by the forward loop), and what it iterates: the tape, or the counter's
        range counted down again (a counter is not recorded)."""
        local = _defined(body)  # now with the tapes of nested loops, which are read too
        order = {v: i for i, v in enumerate(list(body.args) + [r for o in body.ops for r in o.results])}
        needed = sorted((v for v in _reads(reverse.ops, reverse.steps + reverse.totals) if v in local), key=order.get)
        counted = op.prim == "for_range" and _is(op.inputs[2], 1)
        index = body.args[0] if counted else None
        if index is not None and index in needed:
            needed.remove(index)
        again = _read_again(body, needed, local, index) if counted else []
        recomputed = {r for o in again for r in o.results}
        needed = [v for v in needed if v not in recomputed]
        if op.attrs.pop(RECOMPUTE, False):  # a checkpointed segment: run again from what it carried in
            again, needed = list(body.ops), [a for a in carried_args(op, body) if a is not index]
        tape = self._record(op, body, needed) if needed or not counted else None

        item = Value(index.name if counted else "entry")
        entry, unpack = item, []
        if counted and tape is not None:  # the entry of step i of range(start, stop) is tape[i - start]
            entry, position = Value("entry"), item
            if not _is(op.inputs[0], 0):
                position = Value()
                unpack.append(Op("sub", [item, op.inputs[0]], [position], loc=op.loc))
            unpack.append(Op("getitem", [tape, position], [entry], loc=op.loc))
        unpacked: dict[Value, Operand] = {v: Value(v.name) for v in needed}
        if counted:
            unpacked[index] = item
        unpack += [Op("getitem", [entry, Const(j)], [unpacked[v]], loc=op.loc) for j, v in enumerate(needed)]
        unpack += copy_ops(again, unpacked)
        yields = substitute(reverse.ops, reverse.steps + reverse.totals, unpacked)
        region = Region([item, *reverse.seeds, *reverse.accumulators], unpack + reverse.ops, yields)
        if not counted:
            return region, tape
        steps = Value()
        bounds = op.inputs[1:2] if _is(op.inputs[0], 0) else op.inputs[:2]
        self.adjoints.ops.append(Op("range", list(bounds), [steps], loc=op.loc))
        return region, steps

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
