"""An array a loop writes element by element, from an initial value it may not change,
is copied once before the loop rather than at every write.

Emitted code writes `y[i] = v` in place only into memory nothing else can see (see
`codegen/inplace.py`); a loop whose carried array starts as a value read again after the
loop (or one the function did not make) must leave that value as it is, so each
iteration copied the whole array to change one element: O(n) per write, O(n^2) per loop
(the reverse sweep of an ODE right-hand side written with `z[i] = ...`). One copy before
the loop gives the loop an array of its own, which every iteration then writes in place.
"""

from __future__ import annotations

from ..ir import Function, Op, Region, Value, walk_ops
from ..ir.prims import LOOP_HEAD, carried_args, loop_inits
from ..ir.types import Array
from ..primitives import PRIMITIVES
from .rewrite import count_uses


def _written_in_place(body: Region, arg: Value, y: object) -> bool:
    """Whether the body yields `arg` changed by element writes (a chain of `setitem`)."""
    producers = {r: op for op in body.ops for r in op.results}
    current = y
    while isinstance(current, Value) and current is not arg:
        op = producers.get(current)
        if op is None or op.prim != "setitem":
            return False
        current = op.inputs[0]
    return current is arg and y is not arg


def _made_here(value: Value, producers: dict[Value, Op], carriers: dict[Value, tuple[Op, int]],
               uses: dict[Value, int], visiting: frozenset[Value] = frozenset()) -> bool:
    """Whether `value` is an array this function made: fresh, or written or carried
    from one (what a loop hands out is its carried value, made from its initial one),
    or a loop's carried argument read once, whose initial value, read by the loop
    alone, and every iteration's are (the array a backward loop carries into the one
    nested loop that adds into it)."""
    maker = producers.get(value)
    while maker is not None and (maker.prim == "setitem" or maker.prim in LOOP_HEAD):
        value = maker.inputs[0] if maker.prim == "setitem" else loop_inits(maker)[maker.results.index(value)]
        maker = producers.get(value) if isinstance(value, Value) else None
    if maker is None and value in carriers:  # (assumed while it is being checked: the loop checks itself)
        loop, k = carriers[value]
        inner = visiting | {value}
        init, y = loop_inits(loop)[k], loop.regions[-1].yields[k]
        alone = uses.get(value) == 1 and uses.get(init) == 1
        return value in visiting or alone and all(isinstance(x, Value) and _made_here(x, producers, carriers, uses, inner)
                                                  for x in (init, y))
    return maker is not None and PRIMITIVES.get(maker.prim).fresh


def _after_definition(region: Region, value: Value) -> int:
    """Where a copy of `value` goes: just after the op of `region` that makes it, or at
    the region's start where it comes from outside (the loop's header keeps the spelling
    it had: `for i in reversed(range(n))`)."""
    return next((at + 1 for at, op in enumerate(region.ops) if value in op.results), 0)


def _copy_before(fn: Function, region: Region, uses: dict[Value, int], producers: dict[Value, Op],
                 carriers: dict[Value, tuple[Op, int]]) -> bool:
    changed = False
    for loop in list(region.ops):
        for sub in loop.regions:
            changed |= _copy_before(fn, sub, uses, producers, carriers)
        if loop.prim not in LOOP_HEAD:
            continue
        body = loop.regions[-1]
        head = len(loop.inputs) - len(loop_inits(loop))
        for k, (arg, init, y) in enumerate(zip(carried_args(loop, body), loop_inits(loop), body.yields)):
            if not isinstance(init, Value) or not isinstance(init.kind, Array) or not _written_in_place(body, arg, y):
                continue
            if uses.get(init) == 1 and _made_here(init, producers, carriers, uses):
                continue  # (the loop's own already)
            copy = Value(None, init.kind)
            fn.derived_names[copy] = ("", arg)  # (named as the loop's array)
            region.ops.insert(_after_definition(region, init), Op("np.copy", [init], [copy], loc=loop.loc))
            loop.inputs[head + k] = copy
            uses[copy] = 1
            changed = True
    return changed


def run(fn: Function) -> bool:
    """Copy once, before its loop, every array a loop writes in place and does not own."""
    producers = {r: op for op in walk_ops(fn.body) for r in op.results}
    carriers = {arg: (op, k) for op in walk_ops(fn.body) if op.prim in LOOP_HEAD
                for k, arg in enumerate(carried_args(op, op.regions[-1]))}
    return _copy_before(fn, fn.body, count_uses(fn), producers, carriers)
