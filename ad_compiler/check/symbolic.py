"""The symbolic baseline: the primal's IR as a SymPy expression, differentiated by
`sympy.diff` and evaluated at the same point; and the size of that derivative, against
which the emitted code's size is compared (the expression swell AD avoids).

Covered: functions of float arguments; straight-line code; `cond` as `Piecewise`;
`for_range` loops with bounds known at compile time, unrolled; the operators and the
math/NumPy elementwise functions SymPy knows. Anything else raises `NoSymbolicBaseline`
with the reason, and without SymPy installed the reason says how to install it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..frontend import lower
from ..ir import Const, Function, Op, Operand, Region, Value
from ..ir.types import Scalar, kind_of
from ..passes.infer import infer_kinds

INSTALL_HINT = 'SymPy is not installed: pip install "ad_compiler[symbolic]" (or pip install sympy)'


class NoSymbolicBaseline(Exception):
    """The function is outside what the symbolic baseline covers (the message says why)."""


def _sympy() -> Any:
    try:
        import sympy
    except ImportError:
        raise NoSymbolicBaseline(INSTALL_HINT) from None
    return sympy


_FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "log", "sqrt": "sqrt",
    "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "arcsin": "asin", "asin": "asin",
    "arccos": "acos", "acos": "acos", "arctan": "atan", "atan": "atan", "arcsinh": "asinh",
    "asinh": "asinh", "arccosh": "acosh", "acosh": "acosh", "arctanh": "atanh",
    "atanh": "atanh", "erf": "erf", "erfc": "erfc", "absolute": "Abs", "fabs": "Abs",
    "abs": "Abs",
}
"""NumPy/math names -> SymPy functions of one argument."""


class _Converter:
    def __init__(self, sympy: Any) -> None:
        self.sp = sympy

    def operand(self, env: dict, x: Operand) -> Any:
        if isinstance(x, Const):
            value = x.value
            if isinstance(value, bool):
                return self.sp.true if value else self.sp.false
            if isinstance(value, (int, float)):
                return self.sp.Integer(value) if isinstance(value, int) else self.sp.Float(value, 17)
            raise NoSymbolicBaseline(f"the constant {value!r} has no symbolic form")
        return env[x]

    def region(self, env: dict, region: Region) -> list[Any]:
        for op in region.ops:
            results = self.op(env, op)
            env.update(zip(op.results, results))
        return [self.operand(env, y) for y in region.yields]

    def op(self, env: dict, op: Op) -> list[Any]:
        if op.prim == "cond":
            return self.cond(env, op)
        if op.prim == "for_range":
            return self.loop(env, op)
        if op.regions:
            raise NoSymbolicBaseline(f"a {op.prim} loop has no bound known at compile time")
        args = [self.operand(env, x) for x in op.inputs]
        return [self.apply(op, args)]

    def apply(self, op: Op, args: list[Any]) -> Any:
        sp, prim = self.sp, op.prim
        name = prim.split(".", 1)[-1]
        binary = {
            "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
            "truediv": lambda a, b: a / b, "pow": lambda a, b: a**b,
            "lt": lambda a, b: sp.Lt(a, b), "le": lambda a, b: sp.Le(a, b),
            "gt": lambda a, b: sp.Gt(a, b), "ge": lambda a, b: sp.Ge(a, b),
        }
        numpy_binary = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "truediv", "power": "pow"}
        if prim in binary and len(args) == 2:
            return binary[prim](*args)
        if name in numpy_binary and len(args) == 2:
            return binary[numpy_binary[name]](*args)
        if prim in ("neg",) or name == "negative":
            return -args[0]
        if prim in ("pos", "float") or name == "positive":
            return args[0]
        if prim == "not_":
            return sp.Not(args[0])
        if name in _FUNCTIONS and len(args) == 1:
            return getattr(sp, _FUNCTIONS[name])(args[0])
        if name == "log1p":
            return sp.log(1 + args[0])
        if name == "expm1":
            return sp.exp(args[0]) - 1
        if name in ("log2", "log10"):
            return sp.log(args[0], 2 if name == "log2" else 10)
        if name == "square":
            return args[0] ** 2
        if name in ("arctan2", "atan2"):
            return sp.atan2(*args)
        if name == "hypot":
            return sp.sqrt(args[0] ** 2 + args[1] ** 2)
        if name in ("maximum", "fmax", "max") and len(args) == 2:
            return sp.Max(*args)
        if name in ("minimum", "fmin", "min") and len(args) == 2:
            return sp.Min(*args)
        raise NoSymbolicBaseline(f"{prim} has no symbolic form here")

    def cond(self, env: dict, op: Op) -> list[Any]:
        predicate = self.operand(env, op.inputs[0])
        then = self.region(dict(env), op.regions[0])
        other = self.region(dict(env), op.regions[1])
        if predicate in (self.sp.true, True):
            return then
        if predicate in (self.sp.false, False):
            return other
        return [self.sp.Piecewise((a, predicate), (b, True)) for a, b in zip(then, other)]

    def loop(self, env: dict, op: Op) -> list[Any]:
        start, stop, step = op.inputs[:3]
        if not all(isinstance(b, Const) and isinstance(b.value, int) for b in (start, stop, step)):
            raise NoSymbolicBaseline("a for loop whose bounds are not known at compile time")
        body = op.regions[0]
        carried = [self.operand(env, x) for x in op.inputs[3:]]
        for i in range(start.value, stop.value, step.value):
            inner = dict(env)
            inner[body.args[0]] = self.sp.Integer(i)
            inner.update(zip(body.args[1:], carried))
            carried = self.region(inner, body)
        return carried


@dataclass
class SymbolicDerivative:
    """The symbolic derivative of a function and what it takes to evaluate it."""

    symbols: list[Any]
    expression: Any
    derivatives: list[Any]
    evaluate: Callable[..., list[float]]

    def size(self, cse: bool = False) -> int:
        """Operation count of the derivatives (`sympy.count_ops`), raw or after `cse`."""
        sp = _sympy()
        if not cse:
            return sum(sp.count_ops(d) for d in self.derivatives)
        replacements, reduced = sp.cse(self.derivatives)
        return sum(sp.count_ops(e) for _, e in replacements) + sum(sp.count_ops(e) for e in reduced)


def symbolic_derivative(f: Callable[..., Any], args: Sequence[Any], argnums: Sequence[int]) -> SymbolicDerivative:
    """The derivative of `f` w.r.t. the arguments at `argnums`, by SymPy, for float
    arguments (raises `NoSymbolicBaseline` saying why not otherwise)."""
    sp = _sympy()
    fn: Function = lower(f)
    kinds = [kind_of(a) for a in args]
    for p, k in zip(fn.params, kinds):
        if not isinstance(k, Scalar):
            raise NoSymbolicBaseline(f"argument {p.name} is not a number (arrays are not covered)")
    infer_kinds(fn, kinds)
    symbols = [sp.Symbol(p.name, real=True) for p in fn.params]
    env: dict[Value, Any] = dict(zip(fn.params, symbols))
    (expression,) = _Converter(sp).region(env, fn.body)
    derivatives = [sp.diff(expression, symbols[i]) for i in argnums]
    compiled = sp.lambdify(symbols, derivatives, modules="math")

    def evaluate(*values: Any) -> list[float]:
        return [float(v) for v in compiled(*values)]

    return SymbolicDerivative(symbols, expression, derivatives, evaluate)
