"""The numba backend: the derivative written in the subset numba compiles in nopython mode,
loaded with `numba.njit`.

Where a function is a Python-level loop over small arrays or scalars, the interpreter's
cost per step is most of the NumPy code's time; compiled, the same statements run without
it. The text differs from NumPy's where numba reads Python differently:

- lists (a loop's tape) are arrays made at their final length (`backends/tapes.py`);
- `reversed(range(a, b))` is the range counting down, `range(b - 1, a - 1, -1)`;
- arrays read item by item keep being arrays (NumPy's backend reads their `tolist()`).

The text is compiled when the version is made, for its parameters' kinds (C-contiguous
float64 arrays, float64 / int64 scalars); other layouts and dtypes are compiled by numba
at their first call. What numba cannot take — a list left a list, a global read at call
time (numba would freeze its value), an argument that is not an array or a number, or a
construct numba refuses — gets a one-line reason (`BackendWarning`) and the NumPy
backend's version of the same derivative, never a traceback from numba.
"""

from __future__ import annotations

import ast
import importlib.util
import warnings
from typing import Any, Callable, Sequence

from ..codegen.emit import Emitted
from ..codegen.load import load
from ..errors import BackendWarning
from ..ir import Function, Op
from ..ir.clone import clone_function
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
        except Unfit as reason:
            warnings.warn(f"{fn.name}: numba cannot compile it ({reason}); the NumPy backend's code is used instead",
                          BackendWarning, stacklevel=2)
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
        return None

    def load(self, emitted: Emitted, kinds: Sequence[Kind] | None) -> Callable[..., Any]:
        import numba
        from numba.core.errors import NumbaError, NumbaPerformanceWarning

        if emitted.helpers:
            raise Unfit(f"it calls the helper {emitted.helpers[0]!r}")
        if emitted.outside.refs or emitted.outside.cells or emitted.outside.home is not None:
            raise Unfit("it reads names from outside itself at call time, which numba would freeze at compile "
                        "time; pass them as arguments")
        python = load(emitted.source, emitted.name, emitted.namespace, emitted.outside)
        jitted = numba.njit(python)
        if kinds is not None:
            signature = tuple(_numba_type(numba, kind) for kind in kinds)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NumbaPerformanceWarning)
                try:
                    jitted.compile(signature)
                except NumbaError as err:
                    raise Unfit(_first_line(err)) from None
        return _guarded(jitted, emitted.name, NumbaError, NumbaPerformanceWarning)

    def module_lines(self, emitted: Sequence[Emitted]) -> tuple[list[str], dict[str, str]]:
        compiled = {e.name: "@njit(cache=True)" for e in emitted if e.backend == self.name}
        return (["from numba import njit"] if compiled else []), compiled


def _guarded(jitted: Any, name: str, error: type, performance: type) -> Callable[..., Any]:
    """`jitted`, whose compilation for new argument types (another layout or dtype) gives a
    one-line error rather than numba's traceback."""

    def run(*args: Any) -> Any:
        try:
            return jitted(*args)
        except error as err:
            raise TypeError(f"{name}: numba cannot compile it for these arguments ({_first_line(err)}); "
                            "use backend='numpy'") from None

    run.py_func = jitted.py_func
    run.jitted = jitted
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
