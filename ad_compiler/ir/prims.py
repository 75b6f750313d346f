"""The prims of Python syntax and control flow.

An op's `prim` is a string. Operators take the names of the `operator` module (`add`,
`mul`, `truediv`, `neg`, `lt`, ...); library calls are qualified (`np.sin`, `math.exp`),
builtins are bare (`abs`, `max`); a few structural prims have their own names (`tuple`,
`getitem`, `transpose`, `unbroadcast`, and the control-flow ops `cond`, `for_range`,
`for_each`, `while`). What the compiler knows about each prim that is not syntax (traits,
kinds, derivatives) is its record in `ad_compiler.primitives`.
"""

from __future__ import annotations

import ast
import sys
from typing import Any


from .core import Const, Op, Operand, Region, Value

BINARY_OPS: dict[str, type[ast.operator]] = {
    "add": ast.Add,
    "sub": ast.Sub,
    "mul": ast.Mult,
    "truediv": ast.Div,
    "floordiv": ast.FloorDiv,
    "mod": ast.Mod,
    "pow": ast.Pow,
    "matmul": ast.MatMult,
}
UNARY_OPS: dict[str, type[ast.unaryop]] = {"neg": ast.USub, "pos": ast.UAdd, "not_": ast.Not}
COMPARE_OPS: dict[str, type[ast.cmpop]] = {
    "lt": ast.Lt,
    "le": ast.LtE,
    "gt": ast.Gt,
    "ge": ast.GtE,
    "eq": ast.Eq,
    "ne": ast.NotEq,
    "is_": ast.Is,
    "is_not": ast.IsNot,
}
OPERATOR_PRIMS = {**BINARY_OPS, **UNARY_OPS, **COMPARE_OPS}


LOOP_HEAD: dict[str, int] = {"for_range": 3, "for_each": 1, "while": 0}
"""Loop prims: how many leading inputs are not the initial carried values (start, stop and
step; the iterable). The body's arguments are the index or item (none for `while`), then
the carried values; a `while` test region takes the carried values alone."""


def loop_inits(loop: Op) -> list[Operand]:
    """The initial values of a loop's carried values."""
    return loop.inputs[LOOP_HEAD[loop.prim]:]


def carried_args(loop: Op, region: Region) -> list[Value]:
    """The arguments of one of a loop's regions that are its carried values."""
    return region.args[0 if loop.prim == "while" else 1:]


def list_length(x: Operand, producers: dict[Value, Op]) -> int | None:
    """How many items a list holds, where its making says so whatever the values: a list
    display, an item pushed onto a list of known length, or a counted loop with constant
    bounds whose body pushes the same number of items onto it at every step, at its own
    level (none in a branch). None where that is not known here."""
    maker = producers.get(x) if isinstance(x, Value) else None
    if maker is None:
        return None
    if maker.prim == "list":
        return len(maker.inputs)
    if maker.prim == "push":
        before = list_length(maker.inputs[0], producers)
        return before + 1 if before is not None else None
    if maker.prim != "for_range" or not all(isinstance(b, Const) and type(b.value) is int for b in maker.inputs[:3]):
        return None
    start, stop, step = (b.value for b in maker.inputs[:3])
    if step == 0:
        return None
    k = maker.results.index(x)
    body = maker.regions[-1]
    arg, pushed, per_step = carried_args(maker, body)[k], body.yields[k], 0
    at_top = {r: op for op in body.ops for r in op.results}
    while pushed is not arg:
        push = at_top.get(pushed) if isinstance(pushed, Value) else None
        if push is None or push.prim != "push":
            return None
        pushed, per_step = push.inputs[0], per_step + 1
    before = list_length(loop_inits(maker)[k], producers)
    return before + per_step * len(range(start, stop, step)) if before is not None else None

_SIZED = {"standard_normal": 0, "random": 0, "random_sample": 0, "standard_cauchy": 0,
          "standard_exponential": 0, "exponential": 1, "normal": 2, "uniform": 2, "laplace": 2,
          "logistic": 2, "gumbel": 2, "beta": 2, "gamma": 2}


def draws(cls: Any) -> dict[str, int | None]:
    """The draws of a random generator class whose shapes the compiler knows, empty for
    another class (kind inference reads it; the frontend guards the generator's class, or
    for a method bound to one, such as `np.random.randn`, the method): per method, the
    position of its `size` parameter, or None where the shape is the arguments themselves
    (`randn(3, 2)`). Float draws only: a call with `dtype=` or `out=` has no known kind.
    The classes are looked up only here, so that `import ad_compiler` does not import
    `numpy.random`: before it is imported, no object is of them."""
    random = sys.modules.get("numpy.random")
    if random is not None and cls is random.RandomState:
        return {**_SIZED, "randn": None, "rand": None}
    if random is not None and cls is random.Generator:
        return _SIZED
    return {}


OPAQUE = frozenset({"call", "getattr", "fstring"})
"""Prims that run the user's Python as written: a call of any callable (`call`; a method
call when it has a `method` attr), an attribute read (`getattr`), an f-string. They have
no derivative: activity analysis must prove that none is on a differentiated path."""

EFFECTS = frozenset({"call", "raise", "assert"})
"""Prims whose effects the program can see (a call may print, draw a random number,
append to a list; `raise` and `assert` may stop it). Such an op runs exactly once where
the user's code ran it: it is never removed, merged with another, or run again."""


PURE_TESTS = (isinstance, issubclass, callable)
"""Builtins run as written that only answer a question about their arguments: their
calls (marked `test` by the frontend) have no effects, and their value is a bool."""


def has_effects(op: Op) -> bool:
    """Whether an op, or an op of its regions, has effects (see EFFECTS)."""
    if op.prim == "call" and op.attrs.get("test"):
        return False
    if op.prim in EFFECTS:
        return True
    return any(has_effects(inner) for region in op.regions for inner in region.ops)


def raises(region: Region) -> bool:
    """Whether a region always ends by raising (its yields are never used)."""
    return bool(region.ops) and region.ops[-1].prim == "raise"


SEQUENCE = "*"
"""Suffix of a prim that takes one sequence of arrays (a `packed` primitive, see
`ad_compiler.primitives`) applied to one sequence known only at run time, its single
operand (`np.stack*(hs)` is `np.stack(hs)` of a list grown in a loop, or of an array)."""


def over_sequence(prim: str) -> str:
    """The prim of `prim` (a packed one) applied to one run-time sequence."""
    return prim + SEQUENCE


def packed_prim(prim: str) -> str:
    """The packed prim a prim is applied to one sequence of (else `prim`)."""
    return prim[:-len(SEQUENCE)] if prim.endswith(SEQUENCE) else prim


LISTS = frozenset({"list", "push", "pop", "items", "zeros_items", "add_items"})
"""Prims on run-time lists (a tape, or a list the program grows in a loop): `list(a, b)`
is the display `[a, b]`; `push(xs, v)` is xs with v appended (written `xs.append(v)`
where nothing reads the old list again); `pop(xs)` gives xs without its last item and
that item (`v = xs.pop()`); `items(x)` is `list(x)`, the items of an array along its
first axis or a copy of a list; `zeros_items(xs)` and `add_items(a, b)` are the zeros
and sums of lists item by item (adjoints of lists: runtime helpers)."""
