"""Tape pruning: a loop records only what its reverse loop still reads.

Reverse mode builds each tape entry from the reverse body as first generated; after
folding and specialization much of it is no longer read (a shape now known, an
`unbroadcast` gone). This pass drops the entries' unread items and renumbers the reads,
so that the forward loop neither keeps them alive nor copies arrays to keep them.
"""

from __future__ import annotations

from ..ir import Const, Function, Op, Region, Value, walk_ops
from ..ir.clone import substitute


def _producers(fn: Function) -> dict[Value, Op]:
    return {r: op for op in walk_ops(fn.body) for r in op.results}


def _entry(tape: Value, producers: dict[Value, Op], items: dict[Value, Op]) -> Op | None:
    """The `tuple` op that makes the entries of `tape`: the tape is a loop's result (the
    forward loop pushes the entries), or, for a loop nested in another, an item of the
    outer tape's entry (then follow the outer entry's tuple to the inner loop)."""
    maker = producers.get(tape)
    if maker is not None and maker.prim == "getitem" and maker.inputs[0] in items:
        outer = _entry(_tape_of(items[maker.inputs[0]], producers), producers, items)
        if outer is None or not isinstance(maker.inputs[1], Const):
            return None
        return _entry(outer.inputs[maker.inputs[1].value], producers, items)
    if maker is None or not maker.regions or tape not in maker.results:
        return None
    push = producers.get(maker.regions[-1].yields[maker.results.index(tape)])
    entry = producers.get(push.inputs[1]) if push is not None and push.prim == "push" else None
    return entry if entry is not None and entry.prim == "tuple" else None


def _users(value: Value, producers: dict[Value, Op]) -> list[Op]:
    return [op for op in set(producers.values()) if value in op.inputs]


def _tape_of(backward: Op, producers: dict[Value, Op]) -> Value | None:
    iterable = producers.get(backward.inputs[0])
    return iterable.inputs[0] if iterable is not None and iterable.prim == "reversed" else None


def _prune(backward: Op, producers: dict[Value, Op], items: dict[Value, Op]) -> bool:
    tape = _tape_of(backward, producers)
    entry = _entry(tape, producers, items) if tape is not None else None
    if entry is None:
        return False
    region: Region = backward.regions[0]
    item = region.args[0]
    reads = [op for op in region.ops if op.prim == "getitem" and op.inputs[0] is item]
    used = sorted({op.inputs[1].value for op in reads})
    if used == list(range(len(entry.inputs))) and len(used) != 1:
        return False
    if len(used) == 1:  # one value a step: record it as itself, not in a tuple
        push = next(o for o in _users(entry.results[0], producers))
        push.inputs[1] = recorded = entry.inputs[used[0]]
        if isinstance(recorded, Value) and recorded.name:
            item.name = recorded.name  # `for acc in reversed(tape)`
        region.yields = substitute(region.ops, region.yields, {op.result: item for op in reads})
        region.ops = [op for op in region.ops if op not in reads]
        return True
    renumber = {old: new for new, old in enumerate(used)}
    entry.inputs = [entry.inputs[j] for j in used]
    for op in reads:
        op.inputs[1] = Const(renumber[op.inputs[1].value])
    return True


def run(fn: Function) -> bool:
    """Prune every tape of `fn`; True if any entry lost items."""
    producers = _producers(fn)
    backwards = [op for op in walk_ops(fn.body) if op.prim == "for_each"]
    items = {op.regions[0].args[0]: op for op in backwards}
    changed = False
    for op in backwards:
        changed |= _prune(op, producers, items)
    return changed
