"""Tape pruning: a loop records only what its reverse loop still reads.

Reverse mode builds each tape entry from the reverse body as first generated; after
folding and specialization much of it is no longer read (a shape now known, an
`unbroadcast` gone). This pass drops the entries' unread items and renumbers the reads,
so that the forward loop neither keeps them alive nor copies arrays to keep them.
"""

from __future__ import annotations

from ..ir import Const, Function, Op, Region, Value, walk_ops


def _producers(fn: Function) -> dict[Value, Op]:
    return {r: op for op in walk_ops(fn.body) for r in op.results}


def _prune(backward: Op, producers: dict[Value, Op]) -> bool:
    iterable = producers.get(backward.inputs[0])
    if iterable is None or iterable.prim != "reversed":
        return False
    loop = producers.get(iterable.inputs[0])
    if loop is None or not loop.regions:
        return False
    body = loop.regions[-1]
    tape_index = loop.results.index(iterable.inputs[0])
    push = producers.get(body.yields[tape_index])
    entry = producers.get(push.inputs[1]) if push is not None and push.prim == "push" else None
    if entry is None or entry.prim != "tuple":
        return False
    region: Region = backward.regions[0]
    item = region.args[0]
    reads = [op for op in region.ops if op.prim == "getitem" and op.inputs[0] is item]
    used = sorted({op.inputs[1].value for op in reads})
    if used == list(range(len(entry.inputs))):
        return False
    renumber = {old: new for new, old in enumerate(used)}
    entry.inputs = [entry.inputs[j] for j in used]
    for op in reads:
        op.inputs[1] = Const(renumber[op.inputs[1].value])
    return True


def run(fn: Function) -> bool:
    """Prune every tape of `fn`; True if any entry lost items."""
    producers = _producers(fn)
    changed = False
    for op in list(walk_ops(fn.body)):
        if op.prim == "for_each":
            changed |= _prune(op, producers)
    return changed
