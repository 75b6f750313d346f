"""The numba backend: the derivative written in the subset numba compiles in nopython mode,
loaded with `numba.njit`.

Where a function is a Python-level loop over small arrays or scalars, the interpreter's
cost per step is most of the NumPy code's time; compiled, the same statements run without
it. The text differs from NumPy's where numba reads Python differently:

- lists (a loop's tape) are arrays made at their final length (`backends/tapes.py`);
- `reversed(range(a, b))` is the range counting down, `range(b - 1, a - 1, -1)`;
- arrays read item by item keep being arrays (NumPy's backend reads their `tolist()`);
- `np.sum` and `np.mean` over axes or with `keepdims` are sums over one axis at a time;
- `np.full(shape, a)` of an array `a` is `np.zeros(shape) + a`;
- the arrays and numbers it reads from outside itself (a global `X`, a closure's `scale`)
  are the compiled function's leading arguments, read at each call as NumPy's code reads
  them (numba would freeze a global's value when it compiles).

The text is compiled when the version is made, for its parameters' kinds (C-contiguous
float64 arrays, float64 / int64 scalars); other layouts and dtypes are compiled by numba
at their first call. What numba cannot take — a list left a list, a name read from outside
that is not an array or a number, an argument that is not one, or a construct numba
refuses — gets a one-line reason (`BackendWarning`) and the NumPy
backend's version of the same derivative, never a traceback from numba.
"""

from __future__ import annotations

import ast
import importlib.util
import warnings
from typing import Any, Callable, Sequence

from ..codegen.emit import Emitted
from ..codegen.load import load
from ..codegen.names_outside import Outside
from ..errors import BackendWarning
from ..ir import Function, Op
from ..ir.clone import clone_function
from ..ir.externals import External
from ..ir.types import Array, Kind, Scalar
from ..passes import dce
from ..passes.infer import infer_kinds
from .base import BACKEND as NUMPY, Backend
from .tapes import lists_to_arrays

_SCALARS = {"float": "float64", "int": "int64", "bool": "boolean", "complex": "complex128"}
"""The numba type a scalar argument of each kind is compiled for."""


class Unfit(Exception):
    """Why numba cannot take this derivative (one line, said before NumPy runs it)."""


class NumbaBackend(Backend):
    name = "numba"
    needs = "NumPy and numba"

    def compile(self, fn: Function, kinds: Sequence[Kind] | None) -> tuple[Function, Emitted, Callable[..., Any]]:
        """The numba-compiled version of `fn`, or, with a warning saying why, NumPy's."""
        if importlib.util.find_spec("numba") is None:
            raise ImportError("backend='numba' needs numba: pip install 'ad_compiler[numba]'")
        work = clone_function(fn)
        try:
            self.finish(work)
            emitted = self.emit(work)
            params = [p.kind for p in work.params]  # (a VJP's and a JVP's take more than the arguments)
            return work, emitted, self.load(emitted, params if kinds is not None and None not in params else None)
        except Unfit as reason:  # (said at the function's first line: the user's, not the compiler's)
            first = min((line for (file, line) in fn.source_lines if file == fn.file), default=1)
            warnings.warn_explicit(f"{fn.name}: numba cannot compile it ({reason}); the NumPy backend's code is "
                                   "used instead", BackendWarning, fn.file, first)
        return NUMPY.compile(fn, kinds)

    def finish(self, fn: Function) -> None:
        left = lists_to_arrays(fn)
        if left:
            line = f" (line {left[0].loc.line})" if left[0].loc is not None else ""
            raise Unfit(f"a list{line} whose length is not known before it grows, or that is read as it grows")
        dce.run(fn)  # (a tuple whose fields are written one by one)
        infer_kinds(fn)

    def call(self, emitter: Any, op: Op, args: list[ast.expr]) -> ast.expr | None:
        if op.prim == "reversed":
            return _counting_down(args[0])
        if op.prim in ("np.sum", "np.mean"):
            return _reduction(op, args[0])
        if op.prim == "np.full" and not op.attrs and isinstance(op.inputs[1].kind, Array) and op.inputs[1].kind.ndim:
            zeros = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "zeros", ast.Load()), [args[0]], [])
            return ast.BinOp(zeros, ast.Add(), args[1])  # (numba fills with a number alone)
        return None

    def load(self, emitted: Emitted, kinds: Sequence[Kind] | None) -> Callable[..., Any]:
        """The function numba compiled. The arrays and numbers it reads from outside itself
        (a global `X`, a closure's `scale`) are passed to it as leading arguments, read at
        each call as the NumPy backend's code reads them: numba would freeze a global's
        value when it compiles."""
        import numba
        from numba.core.errors import NumbaError, NumbaPerformanceWarning

        if emitted.helpers:
            raise Unfit(f"it calls the helper {emitted.helpers[0]!r}")
        reads = _outside_data(emitted)
        text = _taking([name for name, _ in reads], emitted)
        python = load(text, emitted.name, emitted.namespace, Outside(modules=emitted.outside.modules))
        jitted = numba.njit(python)
        if kinds is not None:
            signature = tuple(_numba_type(numba, value.kind) for _, value in reads) + tuple(
                _numba_type(numba, kind) for kind in kinds)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NumbaPerformanceWarning)
                try:
                    jitted.compile(signature)
                except NumbaError as err:
                    raise Unfit(_first_line(err)) from None
        return _guarded(jitted, emitted.name, [emitted.outside.refs[value] for _, value in reads], NumbaError)

    def module_lines(self, emitted: Sequence[Emitted]) -> tuple[list[str], dict[str, str]]:
        compiled = {e.name: "@njit(cache=True)" for e in emitted if e.backend == self.name}
        return (["from numba import njit"] if compiled else []), compiled


def _outside_data(emitted: Emitted) -> list[tuple[str, Any]]:
    """The names of arrays and numbers the text reads from outside itself and their
    values in the IR, in the order of the text; anything else read from outside (a
    module, a function, a list) is what numba cannot take."""
    outside = emitted.outside
    if outside.prims:
        raise Unfit(f"it calls {next(iter(outside.prims))!r} through its module")
    reads: dict[str, Any] = {}
    for value, ref in outside.refs.items():
        spelled = outside.spelled[value]
        if ref.space == "builtin":
            continue
        if not (isinstance(spelled, ast.Name) and isinstance(value.kind, (Array, Scalar))):
            raise Unfit(f"it reads {ast.unparse(spelled)!r}, which is not an array or a number")
        reads.setdefault(spelled.id, value)
    return sorted(reads.items())


def _taking(names: list[str], emitted: Emitted) -> str:
    """The function's text with `names` as its leading parameters."""
    if not names:
        return emitted.source
    header = f"def {emitted.name}("
    start = emitted.source.index(header) + len(header)
    rest = emitted.source[start:]
    joined = ", ".join(names) + ("" if rest.startswith(")") else ", ")
    return emitted.source[:start] + joined + rest


def _guarded(jitted: Any, name: str, reads: list[External], error: type) -> Callable[..., Any]:
    """`jitted` called with the values of what it reads from outside (at each call), and
    whose compilation for new argument types (another layout or dtype) gives a one-line
    error rather than numba's traceback."""

    def run(*args: Any) -> Any:
        try:
            return jitted(*[ref.read() for ref in reads], *args)
        except error as err:
            raise TypeError(f"{name}: numba cannot compile it for these arguments ({_first_line(err)}); "
                            "use backend='numpy'") from None

    run.jitted = jitted  # (numba's dispatcher: its signatures, its inspection)
    return run


def _numba_type(numba: Any, kind: Kind) -> Any:
    if isinstance(kind, Scalar) and kind.dtype in _SCALARS:
        return getattr(numba.types, _SCALARS[kind.dtype])
    if isinstance(kind, Array) and kind.dtype in _SCALARS:
        return numba.types.Array(getattr(numba.types, _SCALARS[kind.dtype]), kind.ndim, "C")
    raise Unfit(f"an argument is {kind or 'of an unknown kind'}, not an array or a number")


def _counting_down(counted: ast.expr) -> ast.expr | None:
    """`reversed(range(a, b))` as `range(b - 1, a - 1, -1)` (constants folded), which
    numba takes; None where the range's step is not 1."""
    if not (isinstance(counted, ast.Call) and isinstance(counted.func, ast.Name) and counted.func.id == "range"):
        return None
    bounds = counted.args
    if len(bounds) == 3 and not (isinstance(bounds[2], ast.Constant) and bounds[2].value == 1):
        return None
    start, stop = (ast.Constant(0), bounds[0]) if len(bounds) == 1 else bounds[:2]
    return ast.Call(ast.Name("range", ast.Load()), [_minus_one(stop), _minus_one(start), ast.Constant(-1)], [])


def _reduction(op: Op, x: ast.expr) -> ast.expr | None:
    """`np.sum` and `np.mean` over axes, which numba takes over one axis at a time and
    without `keepdims`: sums one axis after another (the last first), a mean divided by
    the count of entries summed, and the axes kept put back with `np.expand_dims` (all of
    them: `np.full` of ones). None where NumPy's spelling is numba's too (no axis and no
    keepdims) or where the operand's shape is not known."""
    kind = op.inputs[0].kind
    axis, keep = op.attrs.get("axis"), op.attrs.get("keepdims", False)
    if set(op.attrs) - {"axis", "keepdims"} or axis is None and not keep:
        return None
    if not isinstance(kind, Array) or kind.shape is None:
        return None
    axes = range(kind.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    axes = sorted({a % kind.ndim for a in axes}, reverse=True)
    whole = len(axes) == kind.ndim
    np_ = ast.Name("np", ast.Load())
    reduced: ast.expr = x
    for a in ([] if whole else axes):
        reduced = ast.Call(ast.Attribute(np_, "sum", ast.Load()), [reduced], [ast.keyword("axis", ast.Constant(a))])
    if whole:
        reduced = ast.Call(ast.Attribute(np_, "sum", ast.Load()), [x], [])
    if op.prim == "np.mean":
        count = 1
        for a in axes:
            count *= kind.shape[a]
        reduced = ast.BinOp(reduced, ast.Div(), ast.Constant(float(count)))
    if keep and whole:
        ones = ast.Tuple([ast.Constant(1)] * kind.ndim, ast.Load())
        return ast.Call(ast.Attribute(np_, "full", ast.Load()), [ones, reduced], [])
    for a in (sorted(axes) if keep else []):
        reduced = ast.Call(ast.Attribute(np_, "expand_dims", ast.Load()), [reduced, ast.Constant(a)], [])
    return reduced


def _minus_one(x: ast.expr) -> ast.expr:
    if isinstance(x, ast.Constant) and type(x.value) is int:
        return ast.Constant(x.value - 1)
    return ast.BinOp(x, ast.Sub(), ast.Constant(1))


def _first_line(err: Exception) -> str:
    """numba's message cut to its first informative line."""
    for line in str(err).splitlines():
        line = line.strip()
        if line and not line.startswith("Failed in nopython mode pipeline"):
            return line.rstrip(":.")
    return type(err).__name__


BACKEND = NumbaBackend()
