"""Loop-carried values the loop never changes: a body that yields a carried value back
as it came (the adjoint of a loop's accumulator is 1.0 in every iteration) carries its
initial value, so every use of it, inside the loop and after, reads that value instead.
The slot, read by nothing then, is dropped by `dce`."""

from __future__ import annotations

from ..ir import Function, Operand, Value, walk_ops
from ..ir.clone import substitute
from ..ir.prims import LOOP_HEAD, carried_args, loop_inits


def run(fn: Function) -> bool:
    """Replace the unchanged carried values of every loop by their initial values; True
    if any use was replaced."""
    mapping: dict[Value, Operand] = {}
    for loop in walk_ops(fn.body):
        if loop.prim not in LOOP_HEAD:
            continue
        body = loop.regions[-1]
        for k, init in enumerate(loop_inits(loop)):
            if body.yields[k] is not carried_args(loop, body)[k]:
                continue
            for value in [loop.results[k]] + [carried_args(loop, region)[k] for region in loop.regions]:
                mapping[value] = init
    if not mapping:
        return False
    for key in mapping:  # an initial value may itself be an unchanged carried value
        while isinstance(mapping[key], Value) and mapping[key] in mapping:
            mapping[key] = mapping[mapping[key]]
    before = _reads(fn)
    fn.body.yields = substitute(fn.body.ops, fn.body.yields, mapping)
    return bool(before & mapping.keys())


def _reads(fn: Function) -> set[Value]:
    reads = {y for y in fn.body.yields if isinstance(y, Value)}
    for op in walk_ops(fn.body):
        reads |= {x for x in op.inputs if isinstance(x, Value)}
        for region in op.regions:
            reads |= {y for y in region.yields if isinstance(y, Value)}
    return reads
