"""Returned values are arrays a caller may write to: a read-only broadcast view that
would be returned (the gradient of `np.sum(x)` is a broadcast of one number) becomes a
real array instead. Inside the function, views stay: they are free."""

from __future__ import annotations

from ..ir import Function, Value


def run(fn: Function) -> bool:
    """Turn returned `np.broadcast_to` views into `np.full` arrays; True if any changed."""
    returned = {y for y in fn.body.yields if isinstance(y, Value)}
    for op in fn.body.ops:
        if op.prim == "tuple":
            returned.update(x for x in op.inputs if isinstance(x, Value))
    changed = False
    for op in fn.body.ops:
        if op.prim == "np.broadcast_to" and op.results[0] in returned and len(op.inputs) == 2:
            value, shape = op.inputs
            op.prim, op.inputs = "np.full", [shape, value]
            changed = True
    return changed
