"""Primitive names: the one table that ties Python callables, IR prims and Python syntax.

An op's `prim` is a string. Operators take the names of the `operator` module (`add`,
`mul`, `truediv`, `neg`, `lt`, ...); library calls are qualified (`np.sin`, `math.exp`), builtins are bare (`abs`, `max`);
a few structural prims have their own names (`tuple`, `getitem`, `transpose`,
`unbroadcast`, and the control-flow ops `cond`, `for_range`, `for_each`, `while`).
The frontend, the rule registry and codegen all look names up here, so they agree.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
import sys
from typing import Any, Callable

import numpy as np

from .core import Op, Operand, Region, Value

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

MODULES = {"np": np, "math": math}

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


ALLOCATIONS = frozenset({
    "np.zeros", "np.zeros_like", "np.ones", "np.ones_like", "np.full", "np.full_like",
    "np.empty", "np.empty_like", "np.array", "np.copy", "list", "reversed",
})
"""Prims that return a new object (and so are never merged: each may be written into, or,
for an iterator, consumed)."""

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


VIEWS = frozenset({
    "getitem", "transpose", "np.transpose", "np.matrix_transpose", "np.reshape", "np.ravel",
    "np.squeeze", "np.expand_dims", "np.moveaxis", "np.rollaxis", "np.swapaxes",
    "np.broadcast_to", "np.atleast_1d", "np.atleast_2d", "np.atleast_3d",
    "np.asarray", "np.asanyarray", "np.ascontiguousarray", "np.asfortranarray", "np.require",
    "np.asarray_chkfinite", "np.real_if_close", "np.real", "np.imag",
    "np.flip", "np.fliplr", "np.flipud", "np.rot90", "np.diagonal", "np.diag", "np.trim_zeros",
    "np.split", "np.array_split", "np.hsplit", "np.vsplit", "np.dsplit", "np.unstack",
})
"""Prims whose result may share memory with their first operand: NumPy returns a view of it
(`x[1:3]`, `x.T`, `np.reshape`, ...), the operand itself (`np.asarray` of an array), or a
sequence of views (`np.split`). An element write into either is seen through the other in
NumPy, while in the IR `setitem` makes a new value; so codegen writes in place only where
no view is live (`codegen/plan.py`), a Jacobian's row keeps the views of an array it writes
(`ad/split.py`), and the frontend refuses a program that reads a view (or its base) after
such a write changed it (`frontend/views.py`). `getitem` is a view only for basic indexing
that leaves an array: an integer or boolean array index, or one that selects a scalar,
copies (each user of this table makes that exception where it can tell)."""

BUILTINS: dict[str, Callable[..., Any]] = {
    name: getattr(builtins, name) for name in ("abs", "min", "max", "float", "int", "len", "round", "slice")
}
"""Python builtins the compiler knows; their prim is the bare name (`abs`)."""


def _operator_prims() -> dict[int, str]:
    return {id(getattr(operator, name)): name for name in OPERATOR_PRIMS}


def _library_prims() -> dict[int, str]:
    """The callables NumPy and `math` define, by id. Read from the modules' namespaces, not
    `dir`: getting each name `dir(np)` lists would import the submodules NumPy loads
    lazily (`numpy.f2py`, `numpy.testing`, ...), which are not callables and would make
    `import ad_compiler` several times slower than `import numpy`."""
    table: dict[int, str] = {}
    for alias, module in MODULES.items():
        names = vars(module)
        for name in sorted(names):
            if name.startswith("_"):
                continue
            obj = names[name]
            if not callable(obj) or isinstance(obj, type):
                continue
            canonical = getattr(obj, "__name__", name)
            if names.get(canonical) is not obj:
                canonical = name
            table.setdefault(id(obj), f"{alias}.{canonical}")
    return table


_BY_ID: dict[int, str] = {
    **_library_prims(),
    **_operator_prims(),
    **{id(fn): name for name, fn in BUILTINS.items()},
}


def prim_of(fn: Any) -> str | None:
    """The prim name of a callable the compiler knows (np.*, math.*, operator.*, and the
    runtime helpers, which carry theirs as `__adc_prim__`), else None."""
    if isinstance(fn, str):
        return fn
    marked = getattr(fn, "__adc_prim__", None)  # a runtime helper (`add_at`)
    if isinstance(marked, str):
        return marked
    return _BY_ID.get(id(fn))


PACKED = frozenset({"np.stack", "np.concatenate", "np.vstack", "np.hstack"})
"""Prims that take one sequence of arrays (`np.stack((a, b), axis=0)`): in the IR its
items are the op's operands, so each has its own derivative; `arguments` packs them."""

SEQUENCE = "*"
"""Suffix of a PACKED prim applied to one sequence known only at run time, its single
operand (`np.stack*(hs)` is `np.stack(hs)` of a list grown in a loop, or of an array)."""


def over_sequence(prim: str) -> str:
    """The prim of `prim` (a PACKED one) applied to one run-time sequence."""
    return prim + SEQUENCE


def packed_prim(prim: str) -> str:
    """The PACKED prim a prim is, or is applied to one sequence of (else `prim`)."""
    return prim[:-len(SEQUENCE)] if prim.endswith(SEQUENCE) and prim[:-len(SEQUENCE)] in PACKED else prim


LISTS = frozenset({"list", "push", "pop", "items", "zeros_items", "add_items"})
"""Prims on run-time lists (a tape, or a list the program grows in a loop): `list(a, b)`
is the display `[a, b]`; `push(xs, v)` is xs with v appended (written `xs.append(v)`
where nothing reads the old list again); `pop(xs)` gives xs without its last item and
that item (`v = xs.pop()`); `items(x)` is `list(x)`, the items of an array along its
first axis or a copy of a list; `zeros_items(xs)` and `add_items(a, b)` are the zeros
and sums of lists item by item (adjoints of lists: runtime helpers)."""


def arguments(prim: str, values: list[Any]) -> list[Any]:
    """The positional arguments a prim's callable takes for these operand values."""
    return [tuple(values)] if prim in PACKED else list(values)


def callable_of(prim: str) -> Callable[..., Any] | None:
    """The Python callable that computes a prim, for constant folding; None if structural."""
    if prim in OPERATOR_PRIMS:
        return getattr(operator, prim)
    if prim in BUILTINS:
        return BUILTINS[prim]
    if prim != packed_prim(prim):
        return callable_of(packed_prim(prim))
    alias, _, name = prim.partition(".")
    if alias in MODULES and name:
        return getattr(MODULES[alias], name, None)
    if prim == "tuple":
        return lambda *items: tuple(items)
    if prim == "getitem":
        return operator.getitem
    return None


def elementwise_ufunc(prim: str) -> bool:
    """A NumPy ufunc applied element by element (`np.matmul` is a generalized ufunc, with
    a core signature: not one)."""
    fn = callable_of(prim)
    return isinstance(fn, np.ufunc) and fn.signature is None


def broadcasting(prim: str) -> bool:
    """An operator or ufunc of several operands, applied element by element to them
    broadcast against each other (`@` and `np.matmul` are products, not this)."""
    if prim in BINARY_OPS:
        return prim != "matmul"
    return elementwise_ufunc(prim) and callable_of(prim).nin > 1
