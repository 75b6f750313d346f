"""The symbolic baseline: the primal's IR as a SymPy expression, differentiated by
`sympy.diff` and evaluated at the same point; and the size of that derivative, against
which the emitted code's size is compared (the expression swell AD avoids).

Covered: float arguments, and float arrays as NumPy arrays of SymPy expressions (NumPy
does the broadcasting, products, sums and indexing; an array not differentiated is fixed
at its value, and so is an int argument); straight-line code; `cond` as `Piecewise`;
`for` loops with bounds known at that point, unrolled; the operators and the math/NumPy
elementwise functions SymPy knows. Anything else raises `NoSymbolicBaseline` with the
reason, and without SymPy installed the reason says how to install it.

Given a `Budget` (`limits`), the conversion, the derivative and its compilation count the
operations they build and watch the clock between steps, raising `LimitReached` past a
limit. Sums and matrix products add each entry's terms in one `Add` (NumPy's reduction of
an object array would rebuild the partial sum at every term: quadratic, and one step too
long to interrupt).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..frontend import lower
from ..ir import Const, Function, Op, Operand, Region, Value
from ..ir.types import Scalar, kind_of
from ..passes.infer import infer_kinds
from ..primitives import PRIMITIVES
from .limits import UNLIMITED, Budget

INSTALL_HINT = 'SymPy is not installed: pip install "ad_compiler[symbolic]" (or pip install sympy)'


class NoSymbolicBaseline(Exception):
    """The function is outside what the symbolic baseline covers (the message says why)."""


def _sympy() -> Any:
    try:
        import sympy
    except ImportError:
        raise NoSymbolicBaseline(INSTALL_HINT) from None
    return sympy


FUNCTION = "the function's SymPy expression"
DERIVATIVE = "SymPy's derivative"
"""What passed the operations limit, in its reason."""
_CONVERTING = "converting the function"
"""Where the clock stopped the baseline, in its reason."""


class Sizes:
    """Operations of SymPy expressions, counted as `sympy.count_ops` counts a tree (an
    operation of n arguments, n - 1; a shared subexpression once per use), but in time
    linear in the distinct subexpressions: each one's count is remembered."""

    def __init__(self) -> None:
        self._memo: dict[Any, int] = {}

    def of(self, value: Any) -> int:
        """The operations of an expression, or of every entry of an array of them."""
        if isinstance(value, np.ndarray):
            return sum(self.of(v) for v in value.flat) if value.dtype == object else 0
        if not hasattr(value, "args") or not hasattr(value, "func"):
            return 0  # a number, a shape, an index
        memo, stack = self._memo, [value]
        while stack:
            node = stack[-1]
            if node in memo:
                stack.pop()
                continue
            pending = [a for a in node.args if a not in memo]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            own = max(1, len(node.args) - 1) if node.args else 0
            memo[node] = own + sum(memo[a] for a in node.args)
        return memo[value]


class _Converter:
    def __init__(self, sympy: Any, budget: Budget, sizes: Sizes) -> None:
        self.sp = sympy
        self.budget = budget
        self.sizes = sizes

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
            for result in results:
                self.budget.size(FUNCTION, self.sizes.of(result))
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
        self.budget.tick(_CONVERTING)
        name = prim.split(".", 1)[-1]
        arrays = any(isinstance(a, np.ndarray) for a in args)
        structural = self.structural(op, args, name)
        if structural is not _NONE:
            return structural
        record = PRIMITIVES.get(prim)
        if arrays and not record.differentiable:
            raise NoSymbolicBaseline(f"{prim} of arrays has no symbolic form here")
        if record.sympy is None:
            raise NoSymbolicBaseline(f"{prim} has no symbolic form here")
        if arrays:  # elementwise: one operation per entry, beside its operands' entries
            sizes = [self.entry_sizes(a) for a in args]
            shape = np.broadcast_shapes(*(s.shape for s in sizes))
            self.budget.size(FUNCTION, sum(np.broadcast_to(s, shape).sum() for s in sizes) + int(np.prod(shape)))
            return np.vectorize(lambda *xs: self.apply(op, list(xs)), otypes=[object])(*args)
        form = record.sympy
        return getattr(sp, form)(*args) if isinstance(form, str) else form(sp, *args)

    def structural(self, op: Op, args: list[Any], name: str) -> Any:
        """Array operations on object arrays of SymPy expressions (NumPy does the
        bookkeeping: broadcasting, products, sums, indexing)."""
        prim = op.prim
        if prim in ("matmul", "np.matmul", "np.dot"):
            return self.matmul(args[0], args[1])
        if name in ("sum", "mean") and prim.startswith("np."):
            x = np.asarray(args[0], dtype=object)
            axis = op.attrs.get("axis", args[1] if len(args) > 1 else None)
            total = self.total(x, axis, op.attrs.get("keepdims", False))
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

    def entry_sizes(self, value: Any) -> np.ndarray:
        """The operations of each entry of an array, or of a scalar as a 0-d array (ints of
        an object array: a tree's count can pass 2**63)."""
        if not isinstance(value, np.ndarray):
            return np.array(self.sizes.of(value), dtype=object)
        if value.dtype != object or not value.size:
            return np.zeros(value.shape, dtype=object)
        return np.asarray(np.frompyfunc(self.sizes.of, 1, 1)(value), dtype=object)

    def total(self, x: np.ndarray, axis: Any, keepdims: bool) -> Any:
        """`np.sum(x, axis, keepdims)` of an object array, each entry one `Add`."""
        axes = tuple(range(x.ndim)) if axis is None else tuple(
            int(a) % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
        kept = [a for a in range(x.ndim) if a not in axes]
        kept_shape = tuple(x.shape[a] for a in kept)
        terms = np.transpose(x, kept + list(axes)).reshape(kept_shape + (-1,))
        total = np.empty(kept_shape, dtype=object)
        for index in np.ndindex(kept_shape):
            self.budget.tick(_CONVERTING)
            total[index] = self.sp.Add(*terms[index])
        if keepdims:
            total = total.reshape(tuple(1 if a in axes else n for a, n in enumerate(x.shape)))
        return total

    def matmul(self, a: Any, b: Any) -> Any:
        """`a @ b` of object arrays, NumPy's rules for 1-d operands and batches, each entry
        one `Add` of its products; refused before it is built if it would pass the limit."""
        a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
        if a.ndim == 0 or b.ndim == 0:
            raise NoSymbolicBaseline("matmul of a number has no symbolic form here")
        left = a[None, :] if a.ndim == 1 else a
        right = b[:, None] if b.ndim == 1 else b
        (k, n), m = left.shape[-2:], right.shape[-1]
        if right.shape[-2] != n:
            raise NoSymbolicBaseline(f"matmul of shapes {a.shape} and {b.shape}")
        batch = np.broadcast_shapes(left.shape[:-2], right.shape[:-2])
        shape = batch + (k, m)
        left, right = np.broadcast_to(left, batch + (k, n)), np.broadcast_to(right, batch + (n, m))
        # each entry of `left` is in m entries of the product, each of `right` in k
        operands = m * self.entry_sizes(left).sum() + k * self.entry_sizes(right).sum()
        self.budget.size(FUNCTION, operands + int(np.prod(shape)) * max(1, 2 * n - 1))
        product = np.empty(shape, dtype=object)
        for index in np.ndindex(shape):
            self.budget.tick(_CONVERTING)
            *outer, i, j = index
            product[index] = self.sp.Add(*[left[(*outer, i, t)] * right[(*outer, t, j)] for t in range(n)])
        if a.ndim == 1:
            product = product[..., 0, :]
        if b.ndim == 1:
            product = product[..., 0]
        return product.item() if product.ndim == 0 else product

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

    def size(self, cse: bool = False, budget: Budget | None = None) -> int:
        """Operation count of the derivatives (`sympy.count_ops`), raw or after `cse`;
        `budget` (default: none) is watched between entries (raw) or before `cse`."""
        sp = _sympy()
        budget = budget or Budget(UNLIMITED)
        if not cse:
            total = 0
            for done, d in enumerate(self.derivatives):
                budget.tick(f"counting the derivative's operations, {_done(done, self.derivatives)}")
                total += sp.count_ops(d)
            return total
        budget.tick("before finding common subexpressions")
        replacements, reduced = sp.cse(self.derivatives)
        return sum(sp.count_ops(e) for _, e in replacements) + sum(sp.count_ops(e) for e in reduced)


def symbolic_derivative(f: Callable[..., Any], args: Sequence[Any], argnums: Sequence[int],
                        budget: Budget | None = None) -> SymbolicDerivative:
    """The derivative of `f` w.r.t. the arguments at `argnums`, by SymPy (raises
    `NoSymbolicBaseline` saying why not, outside the covered subset, and `LimitReached`
    past a limit of `budget`; default: none). An array argument differentiated is an array
    of symbols; one that is not is fixed at its value, so `evaluate` is right at that value
    of it only."""
    sp = _sympy()
    budget = budget or Budget(UNLIMITED)
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
    sizes = Sizes()
    (expression,) = _Converter(sp, budget, sizes).region(env, fn.body)
    if isinstance(expression, np.ndarray):
        if expression.size != 1:
            raise NoSymbolicBaseline("the function does not return a number")
        expression = expression.reshape(()).item()
    flat_symbols = [s for w in wrt for s in (w.ravel() if isinstance(w, np.ndarray) else [w])]
    flat, total = [], 0
    for done, symbol in enumerate(flat_symbols):
        budget.tick(f"differentiating, {_done(done, flat_symbols)}")
        flat.append(sp.diff(expression, symbol))
        total += sizes.of(flat[-1])
        budget.size(DERIVATIVE, total)
    inputs = flat_symbols + [env[fn.params[i]] for i in other]
    compiled = []  # per entry: the positions of the inputs it reads, and its function of them
    for done, d in enumerate(flat):
        budget.tick(f"compiling the derivative, {_done(done, flat)}")
        free = d.free_symbols
        used = [j for j, s in enumerate(inputs) if s in free]
        compiled.append((used, sp.lambdify([inputs[j] for j in used], d, modules=["math", "mpmath"])))

    def evaluate(*values: Any) -> list[Any]:
        given = [v for i in argnums for v in np.ravel(values[i]).tolist()]
        given += [float(values[i]) for i in other]
        try:
            results = iter([float(g(*[given[j] for j in used])) for used, g in compiled])
        except (NameError, TypeError, ValueError, ZeroDivisionError) as err:  # (a function neither module has)
            raise NoSymbolicBaseline(f"SymPy's derivative cannot be evaluated here ({err})") from None
        out: list[Any] = []
        for i in argnums:
            if isinstance(values[i], np.ndarray):
                out.append(np.array([next(results) for _ in range(values[i].size)]).reshape(values[i].shape))
            else:
                out.append(next(results))
        return out

    return SymbolicDerivative(flat_symbols, expression, flat, evaluate)


def _done(done: int, entries: Sequence[Any]) -> str:
    return f"{done:,} of {len(entries):,} entries done"


def _index(index: Any) -> Any:
    """An index of object arrays: SymPy integers (an unrolled loop's counter) as ints."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    return int(index) if hasattr(index, "is_Integer") and index.is_Integer else index


_NONE = object()
