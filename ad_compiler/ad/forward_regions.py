"""Forward mode over regions: branches and loops (DESIGN §5).

A `cond` yields the tangents of its results beside the results (a branch in which a
result's tangent is zero yields explicit zeros). A loop carries the tangents of its
carried values as extra carried values: those that may be nonzero, by the dependence
analysis of `passes.activity`, starting from their inits' tangents (or zeros). A loop
over a sequence that has a tangent (a reverse sweep's tape) iterates both, zipped.
"""

from __future__ import annotations

from ..ir import Const, Op, Region, Value, absent, is_absent
from ..ir.prims import carried_args, loop_inits
from .kinds import differentiable


class RegionTangents:
    """The `Forward` methods for ops with regions (mixed into `forward.Forward`)."""

    def cond(self, op: Op) -> None:
        self.out.append(op)
        branches = [self.run(region.ops) for region in op.regions]
        active = [
            k for k, r in enumerate(op.results)
            if differentiable(r) and any(self.of(region.yields[k]) is not None for region in op.regions)
        ]
        for region, ops in zip(op.regions, branches):
            saved, self.out = self.out, ops
            region.yields += [absent() if is_absent(region.yields[k])  # (a branch that raises: never read)
                              else self.full(region.yields[k], op.loc) or self.zeros(region.yields[k], op.loc)
                              for k in active]
            region.ops, self.out = self.out, saved
        for k in active:
            result = Value()
            op.results.append(result)
            self.set(op.results[k], result, True)

    def loop(self, op: Op) -> None:
        body = op.regions[-1]
        carried = carried_args(op, body)
        inits = loop_inits(op)
        if op.prim == "for_each" and self.of(op.inputs[0]) is not None and differentiable(body.args[0]):
            self._zip(op, body)  # (entries that cannot carry floats have no tangent to take)
        active = [
            k for k, arg in enumerate(carried)
            if differentiable(arg) and (arg in self.varied or self.of(inits[k]) is not None)
        ]
        starts = [self.full(inits[k], op.loc) or self.zeros(inits[k], op.loc) for k in active]
        for region in op.regions:
            offset = len(region.args) - len(carried)
            for k in active:
                arg = Value()
                region.args.append(arg)
                self.set(region.args[offset + k], arg, True)
        # (a while's test region stays as it is: it yields only the test, whose tangent
        # nobody reads; `y[0] and not _break` has one, which would make the loop's decisions
        # seem to depend on the direction)
        ops = self.run(body.ops)
        saved, self.out = self.out, ops
        body.yields += [self.full(body.yields[k], op.loc) or self.zeros(body.yields[k], op.loc) for k in active]
        body.ops, self.out = self.out, saved
        op.inputs += starts
        self.out.append(op)
        for k in active:
            result = Value()
            op.results.append(result)
            self.set(op.results[k], result, True)

    def _zip(self, op: Op, body: Region) -> None:
        """`for x in xs` with a tangent `dxs`: iterate `zip(xs, dxs)`, unpacking the pair."""
        xs = op.inputs[0]
        op.inputs[0] = self.emit("zip", [xs, self.of(xs)], op.loc)
        item, pair, dx = body.args[0], Value("entry"), Value()
        body.args[0] = pair
        dx.kind = item.kind
        body.ops[:0] = [
            Op("getitem", [pair, Const(0)], [item], loc=op.loc),
            Op("getitem", [pair, Const(1)], [dx], loc=op.loc),
        ]
        self.set(item, dx, True)
