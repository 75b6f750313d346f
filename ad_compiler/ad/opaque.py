"""Code run as written on a differentiated path: refused, naming what was called.

A call the compiler runs as written (`ir.prims.OPAQUE`: any callable without a rule or
source, a method of an object, an attribute read, an f-string) has no derivative. It may
read differentiated values only where nothing it computes reaches a result: `print(loss)`
and a stopping test `np.linalg.norm(g) < tol` are exact, since their results carry no
derivative anyway; `y = my_c_function(x)` on the way to the result is not, and is a
located error. A call that may change a differentiated array in place (`x.sort()`,
`rng.shuffle(x)`, `out=`) is refused wherever it is.
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..errors import NoDerivativeError
from ..ir import Function, Op, Value, walk_ops
from ..ir.prims import OPAQUE
from ..passes.activity import useful_values, varied_values
from .kinds import differentiable

_MUTATING_METHODS = frozenset({
    "sort", "fill", "put", "resize", "partition", "itemset", "setfield", "shuffle",
    "append", "extend", "insert", "update", "clear", "pop", "remove", "setflags", "__setitem__",
})
"""Methods that change the object they are called on."""

_MUTATING_FUNCTIONS = frozenset({
    "shuffle", "copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis",
})
"""Functions that change an array passed to them."""

_ADVICE = (
    "a call the compiler cannot differentiate may only use values that do not depend on "
    "the differentiated arguments: compute what it needs from data only, or pass "
    "ad_compiler.stop_gradient(...) of the value to use it as a constant"
)


def check_written(fn: Function, wrt: Sequence[Value], is_zero: Callable[[Op], bool]) -> None:
    """Raise NoDerivativeError at the first opaque op on a path from `wrt` to a result
    (or changing a differentiated array in place). `is_zero(op)`: the op passes no
    derivative through (the rules' zero prims, which include the opaque ones)."""
    stops = lambda op: is_zero(op) and op.prim not in OPAQUE  # noqa: E731 - opaque ops pass dependence here
    varied = varied_values(fn, wrt, stops)
    useful = useful_values(fn, stops, control=False)
    names = ", ".join(f"'{p.name}'" for p in wrt)
    for op in walk_ops(fn.body):
        if op.prim not in OPAQUE:
            continue
        reads = [x for x in op.inputs if isinstance(x, Value) and x in varied and differentiable(x)]
        if not reads:
            continue
        what = _what(op)
        own = next((x for x in reads if x in wrt), None)
        value = next((x.name for x in reads if x.name), None)
        if own is not None:
            uses = f"'{own.name}', a differentiated argument"
        else:
            uses = f"'{value}', which depends on {names}" if value else f"a value that depends on {names}"
        if _mutates(op, reads):
            raise _located(fn, op, f"{what} may change {uses}, in place, which the "
                           "derivative cannot follow; compute a new value instead (np.sort(x), "
                           "rng.permutation(x))")
        if op.attrs.get("refused") and any(r in useful and differentiable(r) for r in op.results):
            raise _located(fn, op, f"cannot differentiate through {what}: it reads {uses}, and its code cannot "
                           f"be compiled, so it would run as written: {op.attrs['refused']}; rewrite that code "
                           f"as this says, and {what} is compiled and differentiated with the rest")
        if any(r in useful and differentiable(r) for r in op.results):  # (a bool carries none)
            why = op.attrs.get("why")
            reason = f" ({why})" if why else ""
            raise _located(fn, op, f"cannot differentiate through {what}{reason}: it reads {uses}, "
                           f"and its result reaches what is differentiated; {_ADVICE}{_rule_advice(op)}")


def _rule_advice(op: Op) -> str:
    """For a call of a function (not a method), how to give it a derivative."""
    if op.prim != "call" or "method" in op.attrs or "callee" not in op.attrs:
        return ""
    callee = op.attrs["callee"]
    return (f"; or, if {callee} is differentiable, give it derivative rules: @ad_compiler.defvjp({callee}) "
            f"and @ad_compiler.defjvp({callee})")


def _what(op: Op) -> str:
    if op.prim == "getattr":
        return f"the attribute .{op.attrs['name']}"
    if op.prim == "fstring":
        return "an f-string"
    return f"'{op.attrs.get('callee', '?')}'"


def _mutates(op: Op, reads: list[Value]) -> bool:
    if op.prim != "call":
        return False
    if "out" in op.attrs.get("keywords", ()):
        return True
    method = op.attrs.get("method")
    if method is not None:
        return (method in _MUTATING_METHODS and op.inputs[0] in reads) or method in _MUTATING_FUNCTIONS
    return op.attrs.get("callee", "").rpartition(".")[2] in _MUTATING_FUNCTIONS


def _located(fn: Function, op: Op, message: str) -> NoDerivativeError:
    return NoDerivativeError.at(message, op.loc, fn)
