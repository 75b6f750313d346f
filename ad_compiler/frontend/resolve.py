"""Compile-time values, and constant folding.

What the compiler knows while lowering is one of:

- a constant (`Const`): numbers, bools, None, strings, tuples of those (and arrays a
  rule's `static=` parameters bind, or constants of a library: `np.pi`);
- a module (`ModuleRef`), whose attributes resolve the same way (`np.linalg.norm`);
- a callable (`CallableRef`), which is called (inlined, a primitive, or as written).

Which of them a free name becomes, and what is instead read at call time, is decided in
`free.py`. The refs are markers of the frontend; they never reach the IR.
"""

from __future__ import annotations

import types
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Union

import numpy as np

from ..ir.core import Const, Operand
from ..ir.externals import External
from ..primitives import PRIMITIVES

_SCALARS = (bool, int, float, complex, str, bytes, type(None), type(Ellipsis), np.generic)


@dataclass(frozen=True)
class ModuleRef:
    """A module known at compile time; `display` is how the source spells it (`np.linalg`)."""

    module: types.ModuleType
    display: str
    ref: External | None = None
    """Where the module was found (None for one the compiler supplies itself)."""


@dataclass(frozen=True)
class CallableRef:
    """A function, class or other callable known at compile time."""

    fn: Callable[..., Any]
    display: str
    ref: External | None = None
    """Where the callable was found: emitted code calls it there, at call time, when it
    runs as written (None: not found under a name, e.g. bound by `static=`)."""
    captured: tuple = ()
    """For the derivative of a function defined inside the one being lowered: the
    (parameter, value) pairs of what it closes over, passed to it by name."""


@dataclass(frozen=True, eq=False)
class LocalFunction:
    """A `def` or a lambda inside the function being lowered: inlined where it is
    called, its free names resolved where it is defined (`scope`, the lowerer of that
    function), when it is called, as Python's closures read them."""

    tree: Any
    name: str
    defaults: tuple
    """Its parameters' defaults, evaluated where the def ran (as Python does)."""
    scope: Any

    @property
    def display(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False)
class Frozen:
    """`norm(mu, s)`: a call of an object whose methods are primitives that take what the
    call was given after their own operands (a frozen distribution, `PRIMITIVES.freezes`):
    `norm(mu, s).logpdf(x)` is `norm.logpdf(x, mu, s)`. It holds the call's arguments as
    written and as lowered, to be passed again to each method called."""

    callee: CallableRef
    call: Any  # the call as written
    args: tuple  # (node, value) pairs
    keywords: tuple  # (name, node, value) triples

    @property
    def display(self) -> str:
        return f"{self.callee.display}(...)"


CompileTime = Union[ModuleRef, CallableRef, LocalFunction, Frozen]
Resolved = Union[Operand, CompileTime]


def is_plain(value: Any) -> bool:
    """True for the scalars (and tuples of them) that are safe to compute with at compile time."""
    if isinstance(value, tuple):
        return all(is_plain(v) for v in value)
    return isinstance(value, _SCALARS)


def to_compile_time(obj: Any, display: str) -> Resolved | None:
    """What an object found outside the function becomes; None if the compiler cannot use it."""
    if isinstance(obj, types.ModuleType):
        return ModuleRef(obj, display)
    if is_plain(obj):
        return Const(obj)
    if isinstance(obj, np.ndarray):
        return Const(obj, display)
    if isinstance(obj, tuple):
        items = [to_compile_time(item, display) for item in obj]
        if all(isinstance(item, Const) for item in items):
            return Const(tuple(item.value for item in items))
        return None
    if callable(obj):
        return CallableRef(obj, display)
    return None


def describe(obj: Any) -> str:
    """A few words for an object in an error message: 'a list', 'a Config object'."""
    name = type(obj).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} {name}" if type(obj).__module__ == "builtins" else f"{article} {name} object"


def _foldable(fn: Callable[..., Any]) -> bool:
    """Only pure functions are run at compile time: operators, math.*, NumPy ufuncs.
    Other NumPy functions may do I/O or change global state (np.load, np.seterr)."""
    if isinstance(fn, np.ufunc):
        return True
    return getattr(fn, "__module__", None) in ("math", "_operator", "operator")


def fold(prim: str, inputs: list[Operand], attrs: dict[str, Any]) -> Const | None:
    """The constant an op computes when all its inputs are plain constants, else None.

    An evaluation that raises or warns (1 / 0, np.log(0.0)) is left to run time, where
    the user sees Python's own behaviour.
    """
    if not all(isinstance(x, Const) and is_plain(x.value) for x in inputs):
        return None
    if prim == "tuple":
        return Const(tuple(x.value for x in inputs))
    fn = PRIMITIVES.callable(prim)
    if fn is None or not _foldable(fn):
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="raise"):
            warnings.simplefilter("error")
            value = fn(*PRIMITIVES.arguments(prim, [x.value for x in inputs]), **attrs)
    except Exception:  # any failure means: do not fold, emit the op
        return None
    return Const(value) if is_plain(value) else None
