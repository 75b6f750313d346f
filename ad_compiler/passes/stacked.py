"""Sums of matrix products across a loop's iterations become one product after it.

The reverse sweep of `h = np.tanh(W @ h + U @ x)` adds `np.outer(dz, h)` into `bW` at
every step: T rank-1 updates of a whole matrix, each reading and writing all of it. A
person stacks the steps' vectors and does one matrix product after the loop,
`dZ.T @ H`: the same sum (in another order), one BLAS call, the matrix written once.
This pass does that for any loop that adds such terms into a carried accumulator and
reads it nowhere else: each term's factors are collected in lists the loop grows, and the
loop's result is the accumulator's other terms plus one product of the stacked factors.

The terms: `np.outer(a, b)` of vectors (`stack(a).T @ stack(b)`), and `X @ Y` of matrices
(`concatenate(X, axis=1) @ concatenate(Y)`; `concatenate(a).T @ ...` where X is `a.T`).
A loop that may run no iteration keeps its sum: stacking nothing is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Const, Function, Op, Operand, Region, Value, walk_ops
from ..ir.clone import substitute
from ..ir.prims import LOOP_HEAD, carried_args, loop_inits, over_sequence
from ..ir.types import Array, ListKind
from . import trips
from .rewrite import count_uses


_ZEROS = ("np.zeros_like", "np.zeros")


@dataclass
class _Term:
    """A product added into an accumulator each iteration: `left @ right`, where the
    steps' lefts are joined along `left_axis` (transposed after, if `transposed`) and
    the rights stacked along axis 0."""

    add: Op
    chained: Value
    left: Value
    right: Value
    joined: str
    left_axis: int
    transposed: bool


def _matrix(x: Operand, ndim: int) -> bool:
    return isinstance(x, Value) and isinstance(x.kind, Array) and x.kind.ndim == ndim and x.kind.shape is not None


def _term(add: Op, chained: Value, addend: Operand, producers: dict[Value, Op], uses: dict[Value, int]) -> _Term | None:
    """The product `addend` is, if it is one this pass can stack, made in the body and
    read only by the accumulation."""
    op = producers.get(addend) if isinstance(addend, Value) else None
    if op is None or uses.get(addend) != 1:
        return None
    if op.prim == "np.outer" and not op.attrs and all(_matrix(x, 1) for x in op.inputs):
        return _Term(add, chained, op.inputs[0], op.inputs[1], "np.stack", 0, True)
    if op.prim == "matmul" and all(_matrix(x, 2) for x in op.inputs):
        left, right = op.inputs
        flipped = producers.get(left)
        if flipped is not None and flipped.prim == "transpose" and len(flipped.inputs) == 1 \
                and _matrix(flipped.inputs[0], 2):
            return _Term(add, chained, flipped.inputs[0], right, "np.concatenate", 0, True)
        return _Term(add, chained, left, right, "np.concatenate", 1, False)
    return None


def _terms(loop: Op, k: int, producers: dict[Value, Op], uses: dict[Value, int]) -> list[_Term]:
    """The stackable terms the body adds into carried value `k`, when the accumulator is
    read by nothing but its chain of additions."""
    body = loop.regions[-1]
    acc, end = carried_args(loop, body)[k], body.yields[k]
    top = {id(op) for op in body.ops}
    terms: list[_Term] = []
    current, last = acc, None
    while current is not end:
        if uses.get(current) != 1:
            return []
        add = next((op for op in body.ops if current in op.inputs), None)
        if add is None or add.prim != "add" or id(add) not in top or add.inputs.count(current) != 1:
            return []
        addend = add.inputs[1] if add.inputs[0] is current else add.inputs[0]
        if isinstance(addend, Value) and addend.kind != acc.kind:
            return []  # (a term broadcast into the accumulator)
        term = _term(add, current, addend, producers, uses)
        if term is not None:
            terms.append(term)
        current, last = add.result, add
    return terms if last is not None and uses.get(end) == 1 else []


def _reassociate(loop: Op, k: int, producers: dict[Value, Op], uses: dict[Value, int]) -> None:
    """`acc + (p + q)` as `(acc + p) + q`, where the sum adds a stackable term: a step's
    contributions to an adjoint are summed before they are added into it (`bU_1 =
    np.outer(dz, x) + np.outer(dz, y)`; `bU += bU_1`), and each should be a term."""
    body = loop.regions[-1]
    acc, end = carried_args(loop, body)[k], body.yields[k]
    current = acc
    while current is not end and uses.get(current) == 1:
        add = next((op for op in body.ops if current in op.inputs), None)
        if add is None or add.prim != "add" or add.inputs.count(current) != 1:
            return
        addend = add.inputs[1] if add.inputs[0] is current else add.inputs[0]
        inner = producers.get(addend) if isinstance(addend, Value) else None
        if inner is not None and inner.prim == "add" and inner in body.ops and uses.get(addend) == 1 \
                and all(isinstance(x, Value) and x.kind == acc.kind for x in inner.inputs) \
                and any(_term(add, current, x, producers, uses) for x in inner.inputs):
            p, q = inner.inputs
            body.ops.remove(inner)
            body.ops.insert(body.ops.index(add), inner)
            inner.inputs, add.inputs = [current, p], [addend, q]
            continue  # (from the same accumulator: `p` may be a sum too)
        current = add.result


class _Stacks:
    """The values a loop's terms read, each stacked over the iterations after the loop
    (a factor of two terms once): a list the loop grows, or, for `a[i]` of an outer
    array at the counter, the rows of `a` the loop visits, read again in its order."""

    def __init__(self, fn: Function, loop: Op, counts: range | None, producers: dict[Value, Op],
                 before: list[Op], after: list[Op]) -> None:
        self.fn, self.loop, self.counts, self.producers = fn, loop, counts, producers
        self.before, self.after = before, after
        self.inside = {r for op in walk_ops(loop.regions[-1]) for r in op.results}
        self.inside |= {a for op in [loop, *walk_ops(loop.regions[-1])] for region in op.regions for a in region.args}
        self.made: dict[tuple, Value] = {}
        self.first: Value | None = None
        """The first list collected (its length is the loop's trip count)."""

    def of(self, item: Value, joined: str, axis: int) -> Value:
        key = (item, joined, axis)
        if key not in self.made:
            rows = self._rows(item) if joined == "np.stack" and self.counts is not None else None
            self.made[key] = rows if rows is not None else self._collected(item, joined, axis)
        return self.made[key]

    def _rows(self, item: Value) -> Value | None:
        read = self.producers.get(item)
        counter = self.loop.regions[-1].args[0]
        if read is not None and read.prim == "getitem" and isinstance(read.inputs[0], Value) \
                and isinstance(read.inputs[0].kind, ListKind) and read.inputs[0] not in self.inside:
            return self._listed_rows(read.inputs[0], read.inputs[1])
        if read is None or read.prim != "getitem" or read.inputs[1] is not counter \
                or not isinstance(read.inputs[0], Value) or read.inputs[0] in self.inside:
            return None
        array, counts = read.inputs[0], self.counts
        shape = array.kind.shape if isinstance(array.kind, Array) else None
        if shape is None or counts.start < 0 or counts.stop < -1:
            return None
        whole = len(counts) == shape[0] and abs(counts.step) == 1
        if whole and counts.step == 1:
            return array
        rows = Value()
        stop = None if counts.stop < 0 or whole else counts.stop
        start = None if whole else counts.start
        self.after.append(Op("getitem", [array, Const(slice(start, stop, None if counts.step == 1 else counts.step))],
                             [rows], loc=self.loop.loc))
        return rows

    def _listed_rows(self, listed: Value, index: Operand) -> Value | None:
        """The items of an outer list the loop reads at its counter, or at its counter
        less a constant (a tape of states, `passes/states.py`), in the loop's order,
        stacked."""
        counter = self.loop.regions[-1].args[0]
        shift = self.producers.get(index) if isinstance(index, Value) else None
        if index is counter:
            offset = 0
        elif shift is not None and shift.prim == "sub" and shift.inputs[0] is counter \
                and isinstance(shift.inputs[1], Const) and type(shift.inputs[1].value) is int:
            offset = shift.inputs[1].value
        else:
            return None
        read = range(self.counts.start - offset, self.counts.stop - offset, self.counts.step)
        if not read or min(read) < 0:
            return None
        stop = read[-1] + read.step
        visited = slice(None if read.start == 0 and read.step > 0 else read.start, stop if stop >= 0 else None, None if read.step == 1 else read.step)
        rows, stacked = Value(), Value()
        self.after.append(Op("getitem", [listed, Const(visited)], [rows], loc=self.loop.loc))
        self.after.append(Op(over_sequence("np.stack"), [rows], [stacked], loc=self.loop.loc))
        return stacked

    def _collected(self, item: Value, joined: str, axis: int) -> Value:
        filled = self._pushed(item) or self._grown(item)
        self.first = self.first or filled
        stacked = Value()
        attrs = {"axis": axis} if joined == "np.concatenate" else {}
        self.after.append(Op(over_sequence(joined), [filled], [stacked], attrs, loc=self.loop.loc))
        return stacked

    def _pushed(self, item: Value) -> Value | None:
        """The loop's result that is a list of `item` already (a tape of it alone)."""
        body = self.loop.regions[-1]
        for arg, init, y, result in zip(carried_args(self.loop, body), loop_inits(self.loop), body.yields,
                                        self.loop.results):
            push, start = self.producers.get(y), self.producers.get(init)
            if push is not None and push.prim == "push" and push.inputs == [arg, item] and push in body.ops \
                    and start is not None and start.prim == "list" and not start.inputs:
                return result
        return None

    def _grown(self, item: Value) -> Value:
        """A new list the loop grows by `item`; the loop's result that holds it."""
        body, hint = self.loop.regions[-1], self.fn.hint(item)
        name = hint + "s" if hint else None
        empty, arg, pushed, filled = Value(name), Value(name), Value(name), Value(name)
        self.before.append(Op("list", [], [empty], loc=self.loop.loc))
        body.ops.append(Op("push", [arg, item], [pushed], loc=self.loop.loc))
        body.args.append(arg)
        body.yields.append(pushed)
        self.loop.inputs.append(empty)
        self.loop.results.append(filled)
        return filled


def _stack(fn: Function, loop: Op, k: int, terms: list[_Term], stacks: _Stacks, producers: dict[Value, Op]) -> tuple[Value, Operand]:
    """Rewrite carried value `k`: its terms leave the loop, as one product each after
    it; returns the value that replaces the loop's result (the first product itself
    where the accumulator starts from zeros and gets nothing else), and the value the
    sum has without terms."""
    body = loop.regions[-1]
    skipped: dict[Value, Operand] = {}  # the chain skips the addition of each term
    for term in terms:
        skipped[term.add.result] = skipped.get(term.chained, term.chained)
        body.ops.remove(term.add)
    body.yields = substitute(body.ops, body.yields, skipped)
    init = loop_inits(loop)[k]
    zeros = isinstance(init, Value) and init in producers and producers[init].prim in _ZEROS
    started = not (zeros and body.yields[k] is carried_args(loop, body)[k])
    total: Value | None = loop.results[k] if started else None
    for term in terms:
        left = stacks.of(term.left, term.joined, term.left_axis)
        right = stacks.of(term.right, term.joined, 0)
        product, summed, after = Value(), Value(), stacks.after
        if term.transposed:
            flipped = Value()
            after.append(Op("transpose", [left], [flipped], loc=loop.loc))
            left = flipped
        after.append(Op("matmul", [left, right], [product], loc=loop.loc))
        if total is not None:
            after.append(Op("add", [total, product], [summed], loc=loop.loc))
        total = summed if total is not None else product
    fn.derived_names[total] = ("", loop.results[k])  # (`bW`, as the loop's result was)
    return total, (loop.results[k] if started else init)


def _rewrite(fn: Function, region: Region, producers: dict[Value, Op]) -> bool:
    changed = False
    for loop in list(region.ops):
        for sub in loop.regions:
            changed |= _rewrite(fn, sub, producers)
        if loop.prim not in LOOP_HEAD:
            continue
        counts = trips.counts(loop, producers)
        if counts is not None and not counts:
            continue  # (no iteration: nothing to stack)
        uses = count_uses(fn)
        before: list[Op] = []
        after: list[Op] = []
        replaced: dict[Value, Operand] = {}
        empty: list[Operand] = []
        stacks = _Stacks(fn, loop, counts, producers, before, after)
        for k in range(len(loop_inits(loop))):
            _reassociate(loop, k, producers, uses)
            terms = _terms(loop, k, producers, uses)
            if terms:
                replaced[loop.results[k]], none = _stack(fn, loop, k, terms, stacks, producers)
                empty.append(none)
        if not replaced:
            continue
        if counts is None:  # stacking the terms of no iteration is an error: only where there are some
            guard, replaced = _guarded(fn, loop, stacks.first, after, replaced, empty)
            after[:] = [guard]
        at = region.ops.index(loop)
        region.ops[at + 1:at + 1] = after
        region.ops[at:at] = before
        rest = region.ops[region.ops.index(loop) + 1 + len(after):]
        region.yields = substitute(rest, region.yields, replaced)
        changed = True
    return changed


def _guarded(fn: Function, loop: Op, listed: Value, after: list[Op], totals: dict[Value, Operand],
             empty: list[Operand]) -> tuple[Op, dict[Value, Operand]]:
    """The products after a loop whose trip count only the run knows, in a branch taken
    where the loop ran (`listed`, a list it grew, is not empty); the other branch yields
    what the sums were before any term (the loop's result, or its zeros). Returns the
    branch and what replaces each loop result."""
    results = [Value() for _ in totals]
    for result, old in zip(results, totals):
        fn.derived_names[result] = ("", old)
    regions = [Region([], list(after), list(totals.values())), Region([], [], list(empty))]
    return Op("cond", [listed], results, {}, regions, loc=loop.loc), dict(zip(totals, results))


def run(fn: Function) -> bool:
    """Move every stackable sum of products out of its loop; True if one was."""
    producers = {r: op for op in walk_ops(fn.body) for r in op.results}
    return _rewrite(fn, fn.body, producers)
