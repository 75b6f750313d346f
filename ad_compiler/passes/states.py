"""A loop's carried value is taped once, as the list of its states.

Reverse mode tapes, each step, what the reverse body reads: for `h = np.tanh(W @ h + x)`
both the state the step starts from and the one it makes, `tape.append((h, h_1))`, so
every state is kept twice and each entry is a tuple built and taken apart again. The
state one step makes is the state the next starts from: this pass keeps the states once,
`hs = [h0]`, `hs.append(h_1)`, and the reverse body of step `t` reads `hs[t]` and
`hs[t + 1]`. A list, not a preallocated array: the compiler knows an array is float, not
its precision, and a list keeps each state as it was made.

Counted loops only (`for_range` with step 1, reversed by a loop that reads `tape[i]`):
there the reverse body's index says which step an entry is. Runs after the last
transform, before tapes are pruned again.
"""

from __future__ import annotations

from ..ir import Const, Function, Op, Operand, Region, Value, walk_ops
from ..ir.clone import substitute
from ..ir.prims import carried_args, loop_inits


def _is_one(x: Operand) -> bool:
    return isinstance(x, Const) and x.value == 1 and type(x.value) is int


def _tapes(loop: Op, producers: dict[Value, Op]) -> list[tuple[int, Op]]:
    """The loop's tapes: carried values started as `[]` and pushed a tuple each step (the
    position of each, and the tuple)."""
    body = loop.regions[-1]
    found = []
    for k, (arg, init, y) in enumerate(zip(carried_args(loop, body), loop_inits(loop), body.yields)):
        start, push = producers.get(init), producers.get(y)
        if start is None or start.prim != "list" or start.inputs or push is None or push.prim != "push":
            continue
        entry = producers.get(push.inputs[1]) if isinstance(push.inputs[1], Value) else None
        if push.inputs[0] is arg and push in body.ops and entry is not None and entry.prim == "tuple":
            found.append((k, entry))
    return found


def _reads(fn: Function, tape: Value) -> list[tuple[Op, Region, list[Op]]] | None:
    """Where the tape is read: each `tape[i]` (with its region and its items read by
    constant index), or None if the tape or an entry is read any other way."""
    found = []
    if any(tape in region.yields for region in _regions(fn.body)):
        return None  # (handed on whole: a residual the pullback reads)
    for region in _regions(fn.body):
        for op in region.ops:
            if tape not in op.inputs:
                continue
            if op.prim != "getitem" or op.inputs[0] is not tape or op.inputs[1] is tape:
                return None
            entry = op.result
            users = [o for o in walk_ops(fn.body) if entry in o.inputs]
            yielded = any(entry in r.yields for r in _regions(fn.body))
            if yielded or any(o.prim != "getitem" or o.inputs[0] is not entry or not isinstance(o.inputs[1], Const)
                              for o in users):
                return None
            found.append((op, region, users))
    return found


def _regions(region: Region):
    yield region
    for op in region.ops:
        for sub in op.regions:
            yield from _regions(sub)


def _pair(loop: Op, entry: Op) -> tuple[int, int, int] | None:
    """A carried value whose state before the step and state after are both in the
    entry: (its position among the carried values, and the two items' indices)."""
    body = loop.regions[-1]
    for j, (arg, y) in enumerate(zip(carried_args(loop, body), body.yields)):
        if isinstance(y, Value) and arg in entry.inputs and y in entry.inputs and arg is not y:
            return j, entry.inputs.index(arg), entry.inputs.index(y)
    return None


def _keep_states(fn: Function, region: Region, loop: Op, j: int, items: tuple[int, int], entry: Op,
                 reads: list[tuple[Op, Region, list[Op]]]) -> None:
    """Tape carried value `j` as the list of its states; each read of the two items reads
    it at the step and the step after."""
    body = loop.regions[-1]
    arg, made, init = carried_args(loop, body)[j], body.yields[j], loop_inits(loop)[j]
    name = (fn.hint(arg) or "state") + "s"
    first, threaded, pushed, states = Value(name), Value(name), Value(name), Value(name)
    region.ops.insert(region.ops.index(loop), Op("list", [init], [first], loc=loop.loc))
    body.ops.append(Op("push", [threaded, made], [pushed], loc=loop.loc))
    body.args.append(threaded)
    body.yields.append(pushed)
    loop.inputs.append(first)
    loop.results.append(states)
    before, after = items
    replaced: dict[Value, Operand] = {}
    kept = [k for k in range(len(entry.inputs)) if k not in items]
    for read, where, users in reads:
        position = read.inputs[1]
        next_position, now, then = Value(), Value(arg.name), Value(arg.name)
        at = where.ops.index(read) + 1
        where.ops[at:at] = [Op("getitem", [states, position], [now], loc=read.loc),
                            Op("add", [position, Const(1)], [next_position], loc=read.loc),
                            Op("getitem", [states, next_position], [then], loc=read.loc)]
        for user in users:
            index = user.inputs[1].value
            if index in items:
                replaced[user.result] = now if index == before else then
            else:
                user.inputs[1] = Const(kept.index(index))
    for sub in _regions(fn.body):
        sub.ops = [o for o in sub.ops if o.prim != "getitem" or o.result not in replaced]
    fn.body.yields = substitute(fn.body.ops, fn.body.yields, replaced)
    entry.inputs = [x for k, x in enumerate(entry.inputs) if k not in items]


def _visit(fn: Function, region: Region, producers: dict[Value, Op]) -> bool:
    changed = False
    for loop in list(region.ops):
        for sub in loop.regions:
            changed |= _visit(fn, sub, producers)
        if loop.prim != "for_range" or not _is_one(loop.inputs[2]):
            continue
        for k, entry in _tapes(loop, producers):
            while True:  # (each carried value whose two states the entry holds)
                reads = _reads(fn, loop.results[k])
                pair = _pair(loop, entry) if reads else None
                if pair is None:
                    break
                _keep_states(fn, region, loop, pair[0], pair[1:], entry, reads)
                changed = True
    return changed


def run(fn: Function) -> bool:
    """Tape each carried value both of whose states a step tapes as the list of its
    states; True if one was."""
    producers = {r: op for op in walk_ops(fn.body) for r in op.results}
    return _visit(fn, fn.body, producers)
