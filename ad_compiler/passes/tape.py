"""Tape pruning: a loop records only what its reverse loop still reads.

Reverse mode builds each tape entry from the reverse body as first generated; after
folding and specialization much of it is no longer read (a shape now known, an
`unbroadcast` gone). This pass drops the entries' unread items and renumbers the reads,
so that the forward loop neither keeps them alive nor copies arrays to keep them.
"""

from __future__ import annotations

from ..ir import Const, Function, Op, Operand, Region, Value, walk_ops
from ..ir.clone import substitute


def _producers(fn: Function) -> dict[Value, Op]:
    return {r: op for op in walk_ops(fn.body) for r in op.results}


def _pushed(tape: Value, producers: dict[Value, Op], entries: dict[Value, Value]) -> Operand | None:
    """What the forward loop appends to `tape` each iteration (a `tuple` op's result, or a
    single value). `tape` is a loop's result, or, for a loop nested in another, taken from
    the outer tape's entry (follow the outer entry to the inner loop's own tape)."""
    if tape in entries:  # the outer tape records this tape itself
        outer = _pushed(entries[tape], producers, entries)
        return _pushed(outer, producers, entries) if isinstance(outer, Value) else None
    maker = producers.get(tape)
    if maker is not None and maker.prim == "getitem" and maker.inputs[0] in entries:
        outer = _pushed(entries[maker.inputs[0]], producers, entries)
        items = producers.get(outer) if isinstance(outer, Value) else None
        if items is None or items.prim != "tuple" or not isinstance(maker.inputs[1], Const):
            return None
        inner = items.inputs[maker.inputs[1].value]
        return _pushed(inner, producers, entries) if isinstance(inner, Value) else None
    if maker is None or not maker.regions or tape not in maker.results:
        return None
    push = producers.get(maker.regions[-1].yields[maker.results.index(tape)])
    return push.inputs[1] if push is not None and push.prim == "push" else None


def _entry(tape: Value, producers: dict[Value, Op], entries: dict[Value, Value]) -> Op | None:
    pushed = _pushed(tape, producers, entries)
    maker = producers.get(pushed) if isinstance(pushed, Value) else None
    return maker if maker is not None and maker.prim == "tuple" else None


def _entries(backward: Op, producers: dict[Value, Op]) -> dict[Value, Value]:
    """The values of a reverse loop that are tape entries, with their tape: the loop's
    item when it iterates `reversed(tape)`, or `tape[i]` when it counts `i` down."""
    iterable = producers.get(backward.inputs[0])
    if iterable is None or iterable.prim != "reversed":
        return {}
    region: Region = backward.regions[0]
    item = region.args[0]
    source = producers.get(iterable.inputs[0])
    if source is None or source.prim != "range":
        return {item: iterable.inputs[0]}
    shifted = {op.result for op in region.ops if op.prim == "sub" and op.inputs[0] is item}  # (`tape[i - start]`)
    return {
        op.result: op.inputs[0] for op in region.ops
        if op.prim == "getitem" and (op.inputs[1] is item or op.inputs[1] in shifted) and isinstance(op.inputs[0], Value)
    }


def _prune(fn: Function, backward: Op, entry_value: Value, tape: Value, producers: dict[Value, Op],
           entries: dict[Value, Value]) -> bool:
    entry = _entry(tape, producers, entries)
    if entry is None:
        return False
    region: Region = backward.regions[0]
    reads = [op for op in region.ops if op.prim == "getitem" and op.inputs[0] is entry_value
             and isinstance(op.inputs[1], Const)]
    if _uses(region, entry_value) != len(reads):  # the entry is read whole (an index, say): keep it
        return False
    used = sorted({op.inputs[1].value for op in reads})
    if used == list(range(len(entry.inputs))) and len(used) != 1:
        return False
    if len(used) == 1:  # one value a step: record it as itself, not in a tuple
        push = next(o for o in _users(entry.results[0], producers))
        push.inputs[1] = recorded = entry.inputs[used[0]]
        if isinstance(recorded, Value) and fn.hint(recorded):
            fn.derived_names[entry_value] = ("", recorded)  # `for acc in reversed(tape)`
        region.yields = substitute(region.ops, region.yields, {op.result: entry_value for op in reads})
        region.ops = [op for op in region.ops if op not in reads]
        return True
    renumber = {old: new for new, old in enumerate(used)}
    entry.inputs = [entry.inputs[j] for j in used]
    for op in reads:
        op.inputs[1] = Const(renumber[op.inputs[1].value])
    return True


def _uses(region: Region, value: Value) -> int:
    """How many times `value` is read in `region`, nested regions included."""
    count = sum(y is value for y in region.yields)
    for op in walk_ops(region):
        count += sum(x is value for x in op.inputs)
        count += sum(y is value for sub in op.regions for y in sub.yields)
    return count


def _users(value: Value, producers: dict[Value, Op]) -> list[Op]:
    return [op for op in set(producers.values()) if value in op.inputs]


def run(fn: Function) -> bool:
    """Prune every tape of `fn`; True if any entry lost items."""
    producers = _producers(fn)
    backwards = [op for op in walk_ops(fn.body) if op.prim == "for_each"]
    found = {op: _entries(op, producers) for op in backwards}
    entries = {value: tape for table in found.values() for value, tape in table.items()}
    changed = False
    for op, table in found.items():
        for value, tape in table.items():
            changed |= _prune(fn, op, value, tape, producers, entries)
    return changed
