"""First writes: in a loop over distinct counter values (`range`, forwards or reversed), an
array that starts as zeros and is touched only at the counter (`a[i] += v`) has a zero
there each time, so the increment is an assignment (`a[i] = v`): one read and one
addition fewer per step. (The gradient of Horner's rule w.r.t. its coefficients.)
"""

from __future__ import annotations

from ..ir import Function, Op, Value, walk_ops
from ..ir.prims import carried_args, loop_inits

_ZEROS = ("np.zeros_like", "np.zeros")


def _counts_distinct(loop: Op, producers: dict[Value, Op]) -> bool:
    if loop.prim == "for_range":
        return True
    if loop.prim != "for_each":
        return False
    iterable = producers.get(loop.inputs[0])
    if iterable is not None and iterable.prim == "reversed":
        iterable = producers.get(iterable.inputs[0])
    return iterable is not None and iterable.prim == "range"


def _first_writes(loop: Op, producers: dict[Value, Op]) -> bool:
    body = loop.regions[-1]
    counter = body.args[0]
    carried = carried_args(loop, body)
    inits = loop_inits(loop)
    changed = False
    for k, (array, init) in enumerate(zip(carried, inits)):
        maker = producers.get(init) if isinstance(init, Value) else None
        if maker is None or maker.prim not in _ZEROS:
            continue
        users = [op for op in walk_ops(body) if array in op.inputs]
        write = producers.get(body.yields[k]) if isinstance(body.yields[k], Value) else None
        if write is None or write.prim != "setitem" or write.inputs[0] is not array or write.inputs[1] is not counter:
            continue
        total = producers.get(write.inputs[2]) if isinstance(write.inputs[2], Value) else None
        read = producers.get(total.inputs[0]) if total is not None and total.prim == "add" else None
        if read is None or read.prim != "getitem" or read.inputs[0] is not array or read.inputs[1] is not counter:
            continue
        if set(map(id, users)) != {id(read), id(write)}:
            continue  # touched elsewhere: the slot may not be zero
        write.inputs[2] = total.inputs[1]
        changed = True
    return changed


def run(fn: Function) -> bool:
    """Turn first increments into assignments; True if any was."""
    producers = {r: op for op in walk_ops(fn.body) for r in op.results}
    changed = False
    for op in list(walk_ops(fn.body)):
        if op.regions and _counts_distinct(op, producers):
            changed |= _first_writes(op, producers)
    return changed
