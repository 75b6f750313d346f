"""Unrolling a loop over a range that grows a list, once specialization knows its bounds.

The frontend unrolls a loop over a range whose bounds it knows when the loop grows a list
by an item per iteration (docs/architecture.md, "Lists"): the list is then known item by
item, and so are the shapes of what is computed from it. Bounds fixed by the arguments'
shapes (`for i in range(d)` with `d = x.shape[1]`) are known only here, after the
frontend made the list a run-time one: such a loop is unrolled now, for the same reason
(`np.stack(columns)` of known items has a known shape, so the whole derivative
specializes: no `unbroadcast`, no tape). `fold` then reads the list's items (`np.stack*`
of a list made here is `np.stack` of its items).
"""

from __future__ import annotations

from ..ir import Const, Function, Op, Region, Value, walk_ops
from ..ir.clone import copy_ops, substitute
from ..ir.prims import carried_args, loop_inits, packed_prim
from ..ir.types import Array, ListKind, Scalar, TupleKind
from .trips import counts

MAX_TRIPS = 64
"""The most iterations unrolled (the emitted code holds the body once per iteration)."""
MAX_OPS = 4096
"""The most ops the copies of a body may add up to."""


def _grows_list(loop: Op, rest: list[Op]) -> bool:
    """Whether the loop appends items of shapes not known (they change from one
    iteration to the next) to a list it carries (`columns.append(c)`), which what follows
    takes as one sequence (`np.stack(columns)`): not a tape, which only the reverse sweep
    reads, item by item, nor a list of arrays of known shapes (`hs`, which `stacked`
    gathers the steps of a loop in)."""
    body = loop.regions[-1]
    makers = {r: op for op in body.ops for r in op.results}
    for k, (arg, y) in enumerate(zip(carried_args(loop, body), body.yields)):
        op = makers.get(y) if isinstance(y, Value) else None
        if not isinstance(arg.kind, ListKind) or op is None or op.prim != "push" or op.inputs[0] is not arg \
                or _shaped(loop.results[k].kind.item if isinstance(loop.results[k].kind, ListKind) else None):
            continue
        if any(loop.results[k] in user.inputs and packed_prim(user.prim) != user.prim
               for user in walk_ops(Region([], rest, []))):
            return True
    return False


def _shaped(kind) -> bool:
    """Whether values of `kind` have a known shape (numbers too; tuples of them)."""
    if isinstance(kind, TupleKind):
        return all(_shaped(item) for item in kind.items)
    return isinstance(kind, Scalar) or (isinstance(kind, Array) and kind.shape is not None)


def _size(region: Region) -> int:
    return sum(1 + sum(_size(r) for r in op.regions) for op in region.ops)


def _unrolled(loop: Op, values: range) -> tuple[list[Op], list]:
    """The ops of every iteration, in order, and the values the loop's results are."""
    body = loop.regions[-1]
    current = list(loop_inits(loop))
    ops: list[Op] = []
    for k in values:
        mapping = {body.args[0]: Const(k)}
        mapping.update(zip(carried_args(loop, body), current))
        ops += copy_ops(body.ops, mapping)
        current = [mapping.get(y, y) if isinstance(y, Value) else y for y in body.yields]
    return ops, current


def _region(region: Region, producers: dict[Value, Op]) -> bool:
    changed = False
    for i, op in enumerate(region.ops):
        for sub in op.regions:
            changed |= _region(sub, producers)
        written = op.prim in ("for_range", "for_each") and len(op.regions) == 1 and not op.attrs
        values = counts(op, producers) if written else None  # (not a loop with a note: vmap's, per example)
        if values is None or not 0 < len(values) <= MAX_TRIPS or len(values) * _size(op.regions[0]) > MAX_OPS \
                or not _grows_list(op, region.ops[i + 1:]):
            producers.update((r, op) for r in op.results)
            continue
        ops, results = _unrolled(op, values)
        rest = region.ops[i + 1:]
        region.yields = substitute(rest, region.yields, dict(zip(op.results, results)))
        region.ops = region.ops[:i] + ops + rest
        _region(region, producers)  # (the copies, and what follows, with the loop gone)
        return True
    return changed


def run(fn: Function) -> bool:
    """Unroll the loops that grow a list and whose iterations are now known; True if any."""
    return _region(fn.body, {})
