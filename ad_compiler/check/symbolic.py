"""The symbolic baseline: the primal's IR as a SymPy expression, differentiated by
`sympy.diff` and evaluated at the same point; and the size of that derivative, against
which the emitted code's size is compared (the expression swell AD avoids).

Covered: float arguments, and float arrays as NumPy arrays of SymPy expressions (NumPy
does the broadcasting, products, sums and indexing; an array not differentiated is fixed
at its value, and so is an int argument); straight-line code; `cond` as `Piecewise`;
`for` loops with bounds known at that point, unrolled; the operators and the math/NumPy
elementwise functions SymPy knows. Anything else raises `NoSymbolicBaseline` with the
reason, and without SymPy installed the reason says how to install it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

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
            if isinstance(value, np.ndarray) and value.dtype.kind in "fi":
                return value.astype(object)
            if value is None or isinstance(value, (tuple, slice)):
                return value  # an index, a shape, an axis
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
        arrays = any(isinstance(a, np.ndarray) for a in args)
        structural = self.structural(op, args, name)
        if structural is not _NONE:
            return structural
        if arrays and prim in ("lt", "le", "gt", "ge", "not_", "eq", "ne"):
            raise NoSymbolicBaseline(f"{prim} of arrays has no symbolic form here")
        if arrays and (name in _FUNCTIONS or name in _ELEMENTWISE_EXTRA):
            return np.vectorize(lambda *xs: self.apply(op, list(xs)), otypes=[object])(*args)
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

    def structural(self, op: Op, args: list[Any], name: str) -> Any:
        """Array operations on object arrays of SymPy expressions (NumPy does the
        bookkeeping: broadcasting, products, sums, indexing)."""
        prim = op.prim
        if prim in ("matmul", "np.matmul", "np.dot"):
            return np.asarray(args[0], dtype=object) @ np.asarray(args[1], dtype=object)
        if name in ("sum", "mean") and prim.startswith("np."):
            x = np.asarray(args[0], dtype=object)
            axis = op.attrs.get("axis", args[1] if len(args) > 1 else None)
            total = np.sum(x, axis=axis, keepdims=op.attrs.get("keepdims", False))
            if name == "mean":
                total = total / (x.size // max(1, np.size(total)))
            return total.item() if isinstance(total, np.ndarray) and total.ndim == 0 else total
        if prim == "transpose" or name == "transpose":
            return np.transpose(args[0], *args[1:], **op.attrs)
        if prim == "getitem":
            index = _index(args[1])
            value = args[0][index]
            return value
        if prim == "setitem":
            array = np.array(args[0], dtype=object)
            array[_index(args[1])] = args[2]
            return array
        if name in ("zeros", "ones") and prim.startswith("np."):
            shape = args[0] if args else op.attrs.get("shape")
            return np.full(shape, self.sp.Float(0.0 if name == "zeros" else 1.0), dtype=object)
        if name in ("zeros_like", "ones_like"):
            return np.full(np.shape(args[0]), self.sp.Float(0.0 if name == "zeros_like" else 1.0), dtype=object)
        if name == "shape":
            return np.shape(args[0])
        if prim == "len":
            return len(args[0])
        if name == "size":
            return int(np.size(args[0]))
        if prim == "tuple":
            return tuple(args)
        if prim == "slice":
            return slice(*[None if a is None else int(a) for a in args])
        return _NONE

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
        bounds = [self.operand(env, b) for b in op.inputs[:3]]
        if not all(isinstance(b, (int, self.sp.Integer)) for b in bounds):
            raise NoSymbolicBaseline("a for loop whose bounds are not known at compile time")
        start, stop, step = (int(b) for b in bounds)
        body = op.regions[0]
        carried = [self.operand(env, x) for x in op.inputs[3:]]
        for i in range(start, stop, step):
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
    """The derivative of `f` w.r.t. the arguments at `argnums`, by SymPy (raises
    `NoSymbolicBaseline` saying why not, outside the covered subset). An array argument
    differentiated is an array of symbols; one that is not is fixed at its value, so
    `evaluate` is right at that value of it only."""
    sp = _sympy()
    fn: Function = lower(f)
    kinds = [kind_of(a) for a in args]
    infer_kinds(fn, kinds)
    env: dict[Value, Any] = {}
    wrt: list[Any] = []  # per differentiated argument: its symbol, or array of symbols
    other: list[int] = []  # float numbers not differentiated: symbols too, given when evaluated
    for i, (p, a, k) in enumerate(zip(fn.params, args, kinds)):
        if isinstance(k, Scalar):
            env[p] = sp.Symbol(p.name, real=True) if k.dtype == "float" else sp.Integer(int(a))
            if k.dtype == "float" and i not in argnums:
                other.append(i)
        elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
            if i in argnums:
                names = [f"{p.name}_{'_'.join(map(str, ix))}" for ix in np.ndindex(a.shape)]
                env[p] = np.array([sp.Symbol(n, real=True) for n in names], dtype=object).reshape(a.shape)
            else:
                env[p] = a.astype(object)
        else:
            raise NoSymbolicBaseline(f"argument {p.name} is neither a number nor a float array")
    for i in argnums:
        wrt.append(env[fn.params[i]])
    (expression,) = _Converter(sp).region(env, fn.body)
    if isinstance(expression, np.ndarray):
        if expression.size != 1:
            raise NoSymbolicBaseline("the function does not return a number")
        expression = expression.reshape(()).item()
    derivatives = [
        np.vectorize(lambda s: sp.diff(expression, s), otypes=[object])(w) if isinstance(w, np.ndarray)
        else sp.diff(expression, w) for w in wrt
    ]
    flat_symbols = [s for w in wrt for s in (w.ravel() if isinstance(w, np.ndarray) else [w])]
    flat = [d for part in derivatives for d in (part.ravel() if isinstance(part, np.ndarray) else [part])]
    compiled = sp.lambdify(flat_symbols + [env[fn.params[i]] for i in other], flat, modules="math")

    def evaluate(*values: Any) -> list[Any]:
        inputs = [v for i in argnums for v in np.ravel(values[i]).tolist()]
        inputs += [float(values[i]) for i in other]
        results = iter(float(v) for v in compiled(*inputs))
        out: list[Any] = []
        for i in argnums:
            if isinstance(values[i], np.ndarray):
                out.append(np.array([next(results) for _ in range(values[i].size)]).reshape(values[i].shape))
            else:
                out.append(next(results))
        return out

    return SymbolicDerivative(flat_symbols, expression, flat, evaluate)


def _index(index: Any) -> Any:
    """An index of object arrays: SymPy integers (an unrolled loop's counter) as ints."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    return int(index) if hasattr(index, "is_Integer") and index.is_Integer else index


_NONE = object()
_ELEMENTWISE_EXTRA = frozenset({
    "log1p", "expm1", "log2", "log10", "square", "arctan2", "atan2", "hypot", "maximum",
    "minimum", "fmax", "fmin", "negative", "positive", "add", "subtract", "multiply",
    "divide", "power",
})
