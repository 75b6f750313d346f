"""vmap over branches and loops.

A branch on a test that is the same for every example stays a branch, each side yielding
its values with the batch axes the result has (a side that does not depend on the mapped
arguments broadcasts). A branch on a batched test becomes both sides, run for every
example, and `np.where` choosing each example's: only where both sides are safe to run
for the examples that do not take them (no effects, nothing that may raise), otherwise
refused; a side that raises (`if x < 0: raise ...`) raises if any example takes it, as
the loop over examples would at the first that does. A loop carries batched values as it carries any; its trip count must be the
same for every example, except that a `while` whose test is batched runs until every
example's test fails, each example's values kept once its own does (JAX's semantics),
under the same condition of safety.
"""

from __future__ import annotations

from ..ir import Const, Op, Operand, Region, Value, is_absent, walk_ops
from ..ir.clone import copy_ops
from ..ir.prims import LOOP_HEAD, carried_args, has_effects, loop_inits, raises
from ..ir.types import ListKind, TupleKind
from ..primitives import PRIMITIVES
from .kinds import shape_of
from .vmap_analysis import Spec, batched


class RegionBatching:
    """The `Vmap` methods for ops with regions (mixed into `vmap.Vmap`)."""

    # ---- branches ----

    def cond(self, op: Op) -> None:
        if batched(self.spec(op.inputs[0])):
            self._select(op)
            return
        op.inputs = [self.get(x) for x in op.inputs]
        for region in op.regions:
            ops = self.run(region.ops)
            saved, self.out = self.out, ops
            region.yields = [self.conformed(y, self.spec(r), op.loc) for y, r in zip(region.yields, op.results)]
            region.ops, self.out = self.out, saved
        op.results = [self._result(r) for r in op.results]
        self.out.append(op)

    def _result(self, r: Value) -> Value:
        """The result of a region op standing for `r` (a new value where it is batched)."""
        if not batched(self.spec(r)):
            return r
        made = self.fresh(r)
        self.values[r] = made
        return made

    def _select(self, op: Op) -> None:
        """Both sides of a branch on a batched test, and each example's results chosen."""
        stops = [raises(region) for region in op.regions]
        if any(stops) and not all(stops):
            self._raise_if_any(op, stops.index(True))
            return
        self._check_safe(op.regions, op, "a branch on a test that differs between examples")
        test = self.get(op.inputs[0])
        sides = []
        for region in op.regions:
            self.out.extend(self.run(region.ops))
            sides.append([(y, self.get(y)) for y in region.yields])
        for k, r in enumerate(op.results):
            (yes_primal, yes), (no_primal, no) = sides[0][k], sides[1][k]
            if is_absent(yes) or is_absent(no) or yes is no:
                self.bind(r, no if is_absent(yes) else yes)
                continue
            self.bind(r, self._chosen(op, r, test, yes_primal, no_primal))

    def _raise_if_any(self, op: Op, side: int) -> None:
        """A branch on a batched test whose side `side` raises (`if x < 0: raise ...`): it
        raises if any example takes that side, as the loop over examples would (at the
        first that does), and otherwise runs the other side for every example."""
        raising, other = op.regions[side], op.regions[1 - side]
        self._check_safe([other], op, "a branch on a test that differs between examples")
        if any(batched(self.spec(x)) for inner in walk_ops(raising) for x in inner.inputs):
            raise self._error(op.loc, "this branch raises for the examples whose test says so, with an exception "
                                      "made from their values: vmap raises once for the batch; make the "
                                      "exception from values that do not depend on the mapped arguments")
        test = self.get(op.inputs[0])
        if side == 1:
            test = self.emit("np.logical_not", [test], op.loc)
        taken = self.emit("np.any", [test], op.loc)
        self.out.append(Op("cond", [taken], [], {}, [Region([], self.run(raising.ops), []), Region()], loc=op.loc))
        self.out.extend(self.run(other.ops))
        for r, y in zip(op.results, other.yields):
            self.bind(r, self.conformed(y, self.spec(r), op.loc))

    def _chosen(self, op: Op, r: Value, test: Operand, yes: Operand, no: Operand) -> Operand:
        """`np.where(test, yes, no)` of each example, the test given the result's rank."""
        kind = r.kind
        if isinstance(kind, TupleKind):
            items = []
            for j, item_kind in enumerate(kind.items):
                picks = [self._item(self.get(x), x, j, op) for x in (yes, no)]
                item = Value(kind=item_kind)
                items.append(self._where(op, item, test, *picks))
            return self.emit("tuple", items, op.loc)
        if isinstance(kind, ListKind) or shape_of(r) is None:
            raise self._error(op.loc, "vmap of a branch on a test that differs between examples chooses each "
                                      "example's values with np.where, which needs arrays or numbers of known "
                                      "shapes; this branch gives a list or a value of unknown shape")
        return self._where(op, r, test, (self.get(yes), self.spec(yes)), (self.get(no), self.spec(no)))

    def _item(self, value: Operand, primal: Operand, j: int, op: Op) -> tuple[Operand, Spec]:
        spec = self.spec(primal)
        item_spec = spec[j] if isinstance(spec, tuple) else spec
        return self.emit("getitem", [value, Const(j)], op.loc), item_spec

    def _where(self, op: Op, r: Value, test: Operand, yes: tuple[Operand, Spec], no: tuple[Operand, Spec]) -> Operand:
        shape = shape_of(r)
        if shape is None:
            raise self._error(op.loc, "vmap needs the shape of every value; this one's is not known")
        lifted = self.lifted(test, len(shape), op.loc)
        return self.emit("np.where", [lifted, yes[0], no[0]], op.loc)

    def _check_safe(self, regions: list[Region], op: Op, what: str) -> None:
        """Refuse running `regions` for every example when some would not run them: an
        op with effects, one that may raise (a singular matrix), an index that depends on
        the mapped arguments (out of range for an example that does not take this path)."""
        for region in regions:
            for inner in walk_ops(region):
                reason = None
                if has_effects(inner):
                    reason = "has effects (a call, a raise, an assert), which would run for every example"
                elif PRIMITIVES.get(inner.prim).raises:
                    reason = f"calls {inner.prim}, which may raise for the values of examples that do not take it"
                elif inner.prim in ("getitem", "setitem", "add_at") and batched(self.spec(inner.inputs[1])):
                    reason = ("indexes with a value that depends on the mapped arguments, which may be out of "
                              "range for the examples that do not take it")
                if reason is not None:
                    loc = inner.loc or op.loc
                    raise self._error(loc, f"vmap runs {what} for every example and chooses each one's result, "
                                           f"but this {reason}: compute it outside the branch (clamp an index with "
                                           "np.clip, make a matrix safe with np.where), or map the function in a "
                                           "loop")

    # ---- loops ----

    def loop(self, op: Op) -> None:
        head = op.inputs[:LOOP_HEAD[op.prim]]
        if op.prim == "for_range" and any(batched(self.spec(x)) for x in head):
            raise self._error(op.loc, "the number of iterations of this loop depends on the mapped arguments: "
                                      "vmap needs the same for every example; loop to the largest count and "
                                      "stop each example's updates with np.where")
        if op.prim == "while" and batched(self.spec(op.regions[0].yields[0])):
            self._masked_while(op)
            return
        body = op.regions[-1]
        carried = carried_args(op, body)
        inits = [self.conformed(x, self.spec(arg), op.loc) for x, arg in zip(loop_inits(op), carried)]
        head = [self.get(x) for x in head]
        if op.prim == "for_each":
            head[0] = self._iterable(op, head[0])
            item = body.args[0]
            if batched(self.spec(item)):
                body.args[0] = self._result(item)
        for region in op.regions:
            offset = len(region.args) - len(carried)
            region.args[offset:] = [self._result(arg) for arg in region.args[offset:]]
            ops = self.run(region.ops)
            saved, self.out = self.out, ops
            if region is body:
                region.yields = [self.conformed(y, self.spec(arg), op.loc) for y, arg in zip(region.yields, carried)]
            else:
                region.yields = [self.get(y) for y in region.yields]
            region.ops, self.out = self.out, saved
        op.inputs = head + inits
        op.results = [self._result(r) for r in op.results]
        self.out.append(op)

    def _iterable(self, op: Op, iterable: Operand) -> Operand:
        """What a `for` loop iterates, batched: an array's rows along the axis after the
        batch axis (a list's or a zip's items are batched as they are)."""
        primal = op.inputs[0]
        kind = primal.kind if isinstance(primal, Value) else None
        if not batched(self.spec(primal)) or isinstance(kind, (ListKind, TupleKind)) or isinstance(
                self.spec(primal), tuple):
            return iterable
        return self.emit("np.moveaxis", [iterable, Const(1), Const(0)], op.loc)

    def _masked_while(self, op: Op) -> None:
        """A `while` whose test differs between examples: it runs while any example's test
        holds, and each example's values change only while its own does (the test is
        computed again at the top of the body, on the values the iteration starts with)."""
        test_region, body = op.regions
        self._check_safe(op.regions, op, "a loop whose test differs between examples")
        mapping: dict[Value, Operand] = dict(zip(test_region.args, body.args))
        again = copy_ops(test_region.ops, mapping)  # (before the test's own ops are mapped)
        (test,) = test_region.yields
        still = mapping.get(test, test) if isinstance(test, Value) else test
        for old, new in mapping.items():
            if old in self.analysis.specs and isinstance(new, Value):
                self.analysis.specs.setdefault(new, self.analysis.specs[old])
        carried = carried_args(op, body)
        op.inputs = [self.conformed(x, self.spec(arg), op.loc) for x, arg in zip(loop_inits(op), carried)]
        test_region.args = [self._result(arg) for arg in test_region.args]
        ops = self.run(test_region.ops)
        saved, self.out = self.out, ops
        test_region.yields = [self.emit("np.any", [self.get(test)], op.loc)]
        test_region.ops, self.out = self.out, saved
        body.args = [self._result(arg) for arg in body.args]
        ops = self.run(again + body.ops)
        saved, self.out = self.out, ops
        body.yields = [self._where(op, arg, self.get(still), (self.conformed(y, self.spec(arg), op.loc), True),
                                   (self.get(arg), True))
                       for y, arg in zip(body.yields, carried)]
        body.ops, self.out = self.out, saved
        op.results = [self._result(r) for r in op.results]
        self.out.append(op)
