"""Products of a matrix the loop does not change with the rows it reads, taken in one
matrix product before the loop: `U @ xs[t]` at every step of `for t in range(T)` is row t
of `xs @ U.T`, one BLAS call instead of T (a recurrent network's inputs, projected once,
as backpropagation through time is written by hand).

One matrix product does not give the bits T matrix-vector products give, so this is done
only in derivatives that return no value of the function (`grad`, a Jacobian; never
`value_and_grad`, `jvp` or `vjp`, whose values are the function's to the bit), and
never to what decides a branch or an index. A gradient's forward sweep may thus differ
from the function's own run in rounding, as its reverse sweep already does.
"""

from __future__ import annotations

from ..ir import Function, Op, Operand, Region, Value
from ..ir.types import Array
from . import trips
from .cancel import decisive


def _matrix(x: Operand) -> bool:
    return isinstance(x, Value) and isinstance(x.kind, Array) and x.kind.ndim == 2 and x.kind.shape is not None


def _projections(loop: Op, steps: range, kept: set[Value]) -> list[tuple[Op, Value, Value, bool]]:
    """(product, matrix, rows, matrix on the left) for each `M @ xs[t]` or `xs[t] @ M` in
    the loop's body, `t` its counter, `xs` and `M` from outside, `xs` read at every row."""
    body = loop.regions[-1]
    counter, inside = body.args[0], {r for op in body.ops for r in op.results}
    rows = {op.result: op.inputs[0] for op in body.ops
            if op.prim == "getitem" and len(op.inputs) == 2 and op.inputs[1] is counter
            and _matrix(op.inputs[0]) and op.inputs[0] not in inside and op.inputs[0].kind.shape[0] == len(steps)}
    found = []
    for op in body.ops:
        if op.prim != "matmul" or op.attrs or op.result in kept:
            continue
        left, right = op.inputs
        if right in rows and _matrix(left) and left not in inside:
            found.append((op, left, rows[right], True))
        elif left in rows and _matrix(right) and right not in inside:
            found.append((op, right, rows[left], False))
    return found


def _region(region: Region, producers: dict[Value, Op], kept: set[Value]) -> bool:
    changed = False
    ops: list[Op] = []
    for op in region.ops:
        for sub in op.regions:
            changed |= _region(sub, producers, kept)
        steps = trips.counts(op, producers) if op.prim == "for_range" else None
        if steps is not None and steps.start == 0 and steps.step == 1 and len(steps) > 1:
            for product, matrix, xs, on_left in _projections(op, steps, kept):
                factor = matrix
                if on_left:
                    factor = Value()
                    ops.append(Op("transpose", [matrix], [factor], loc=product.loc))
                projected = Value()
                ops.append(Op("matmul", [xs, factor], [projected], loc=product.loc))
                product.prim, product.inputs = "getitem", [projected, op.regions[-1].args[0]]
                changed = True
        ops.append(op)
        for r in op.results:
            producers[r] = op
    region.ops = ops
    return changed


def run(fn: Function) -> bool:
    """Project the rows of every counted loop's invariant products before it, in a
    derivative that returns no value of the function (a gradient, a Jacobian): all its
    values are the derivative's, but those that decide something."""
    return _region(fn.body, {}, decisive(fn))
