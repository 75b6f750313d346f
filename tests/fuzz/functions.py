"""The grammar's functions inside functions, one rule each (see `gen`): a nested `def`
closing over the function's variables, a lambda held in a variable or called where it
is written, a function passed to another, a function calling itself to a constant depth,
and `grad` of a nested def or lambda called inside. Their bodies are expressions over their
parameters and what they close over; nothing they return aliases an argument (`* 1.0`)."""

from __future__ import annotations

from .gen import EXPR_DEPTH, FLOATS, Gen, atom, expression, statement
from .scope import Arr, Expr, Scope, Shape


def _body(g: Gen, s: Scope, param: str, shape: Shape, ret: Shape) -> str:
    """An expression of shape `ret` over `param` (of `shape`) and the enclosing names,
    that uses `param`."""
    inner = s.copy()
    inner.bind(param, Arr(shape), frozenset())
    for _ in range(4):
        e = g.expr(inner, ret, EXPR_DEPTH - 1)
        if param in e.text:
            return e.text
    return f"{atom(param)} * {g.pick(FLOATS)} + {atom(g.expr(inner, ret, 0).text)}" if shape == ret else \
        f"np.sum({param}) * {g.pick(FLOATS)} + {atom(g.expr(inner, ret, 0).text)}"


@statement(0.5)
def nested_def(g: Gen, s: Scope, depth: int) -> list[str]:
    """`def fN(a): return e(a, enclosing names)`, called twice (the second time after a
    name it reads may have changed: closures read when called)."""
    shape, ret = g.shape(), g.shape()
    name, param, out = g.fresh("fn"), g.fresh("a"), g.fresh("v")
    body = _body(g, s, param, shape, ret)
    first, second = g.expr(s, shape, 1), g.expr(s, shape, 1)
    s.bind(out, Arr(ret), g.root() if ret else frozenset())
    return [f"def {name}({param}):", f"    return ({body}) * 1.0",
            f"{out} = {name}({first.text}) + {name}({second.text}) * {g.pick(FLOATS)}"]


@statement(0.4)
def held_lambda(g: Gen, s: Scope, depth: int) -> list[str]:
    """A lambda in a variable, maybe with a default, called by another name too."""
    shape, ret = g.shape(), g.shape()
    name, alias, param, out = g.fresh("lam"), g.fresh("lam"), g.fresh("a"), g.fresh("v")
    body = _body(g, s, param, shape, ret)
    default = g.chance(0.4)
    head = f"lambda {param}, k={g.pick(FLOATS)}:" if default else f"lambda {param}:"
    call, first = g.expr(s, shape, 1), g.expr(s, shape, 1)
    second = f"{alias}({call.text}, k=0.5)" if default else f"{alias}({call.text})"
    s.bind(out, Arr(ret), g.root() if ret else frozenset())
    return [f"{name} = {head} ({body}) * {'k' if default else '1.0'}", f"{alias} = {name}",
            f"{out} = {name}({first.text}) - {second}"]


@expression(0.2)
def lambda_call(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    """`(lambda a: e(a))(x)`: a lambda called where it is written."""
    arg_shape = g.shape()
    param = g.fresh("a")
    body = _body(g, s, param, arg_shape, shape)
    arg = g.expr(s, arg_shape, depth - 1)
    return Expr(f"(lambda {param}: ({body}) * 1.0)({arg.text})", g.root() if shape else frozenset())


@statement(0.3)
def passed_function(g: Gen, s: Scope, depth: int) -> list[str]:
    """A function given to another defined here, which calls it: `apply(fn, x)`."""
    shape = g.shape()
    inner, outer, param, fparam, out = g.fresh("fn"), g.fresh("fn"), g.fresh("a"), g.fresh("f"), g.fresh("v")
    body = _body(g, s, param, shape, shape)
    arg = g.expr(s, shape, 1)
    s.bind(out, Arr(shape), g.root() if shape else frozenset())
    return [f"def {inner}({param}):", f"    return ({body}) * 1.0",
            f"def {outer}({fparam}, b):", f"    return {fparam}({fparam}(b) * 0.5)",
            f"{out} = {outer}({inner}, {arg.text})"]


@statement(0.2)
def recursive_def(g: Gen, s: Scope, depth: int) -> list[str]:
    """`def recN(a, n)` calling itself down to `n == 0`, called with a constant depth
    (unrolled call by call)."""
    shape = g.shape()
    name, param, out = g.fresh("rec"), g.fresh("a"), g.fresh("v")
    body = _body(g, s, param, shape, shape)
    arg = g.expr(s, shape, 1)
    s.bind(out, Arr(shape), g.root() if shape else frozenset())
    return [f"def {name}({param}, n):", "    if n == 0:", f"        return {atom(param)} * 1.0",
            f"    return ({body}) * {g.pick(FLOATS)} + {name}({atom(param)} * 0.5, n - 1) * {g.pick(FLOATS)}",
            f"{out} = {name}({arg.text}, {g.rng.randint(1, 3)})"]


@statement(0.15)
def inner_grad(g: Gen, s: Scope, depth: int) -> list[str]:
    """`grad` of a nested def or a lambda closing over the function's variables, called
    inside it (its derivative is spliced and differentiated through)."""
    shape = g.shape()
    name, param, out = g.fresh("fn"), g.fresh("a"), g.fresh("v")
    body = _body(g, s, param, shape, ())
    arg = g.expr(s, shape, 1)
    s.bind(out, Arr(shape), g.root() if shape else frozenset())
    if g.chance(0.5):
        return [f"{out} = grad(lambda {param}: ({body}) * 1.0)({arg.text}) * {g.pick(FLOATS)}"]
    return [f"def {name}({param}):", f"    return ({body}) * 1.0",
            f"{out} = grad({name})({arg.text}) * {g.pick(FLOATS)}"]
