"""What a function reads from outside itself, and what its IR assumes about it.

Python reads a free name when the line runs, and so does emitted code: globals, closure
cells and attributes of user modules are read at call time (an `external` op). What the
compiler *specializes* on is recorded as a `Guard`, so a change is seen:

- `is`: a module, or a function or class the IR inlines or calls as a primitive, is the
  same object (a helper redefined in a notebook cell re-lowers the caller);
- `==`: a plain constant folded into the IR (an int, a bool, a string, a tuple of them)
  still has that value (`N = 3` rebound to 4 re-lowers);
- `kind`: a number or array read at call time has the kind (shape, dtype) the version
  was compiled for; the kinds are part of the cache key, as the arguments' are;
- `type`: a random generator (`ir.prims.draws`) is still of its class, so the shapes of
  its draws are known.

Objects used only by calls the compiler runs as written (a RandomState, a list, a
logger) are read at call time and assume nothing.
"""

from __future__ import annotations

import inspect
import sys
import sysconfig
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..ir.externals import External
from ..ir.types import kind_of
from .resolve import is_plain

_NUMBERS = (float, complex, np.floating, np.complexfloating)

_LIBRARIES = frozenset({"numpy", "scipy", "math", "cmath"}) | frozenset(
    getattr(sys, "stdlib_module_names", ())
)
"""Top-level packages whose functions are called as written, never inlined, and whose
module attributes are assumed fixed (`np.sin` is not re-checked at every call)."""

_INSTALLED = frozenset({"site-packages", "dist-packages"})
"""Directories installed packages live in: any package found there is a library too."""

_STDLIB = tuple(
    Path(p).resolve() for p in {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib")} if p
)


@dataclass(frozen=True)
class Guard:
    """An assumption about `ref` the IR was lowered or specialized under (see module doc)."""

    ref: External
    test: str
    expected: Any

    def holds(self) -> bool:
        """Whether the assumption is still true (only `is` and `==` guards; `kind` is a key)."""
        try:
            now = self.ref.read()
        except Exception:  # noqa: BLE001 - a name deleted, an attribute gone
            return False
        if self.test == "is":
            return now is self.expected
        if self.test == "type":
            return type(now) is self.expected
        return type(now) is type(self.expected) and _equal(now, self.expected)


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def role(obj: Any) -> str:
    """How the compiler uses an object found outside the function: "module", "constant"
    (folded, guarded by value), "value" (a number or array read at call time, its kind
    part of the key), "callable" (inlined, a primitive, or called as written) or "object"
    (read at call time, used only by calls run as written)."""
    if isinstance(obj, types.ModuleType):
        return "module"
    if isinstance(obj, _NUMBERS) or isinstance(obj, np.ndarray):
        return "value"
    if is_plain(obj):  # a tuple with floats too (`BOUNDS = (0.0, 1.0)`): shapes, bounds
        return "constant"
    if isinstance(obj, tuple) and kind_of(obj) is not None:
        return "value"
    if callable(obj):
        return "callable"
    return "object"


def is_library(obj: Any) -> bool:
    """Whether a function or module belongs to a library: NumPy, SciPy, the standard
    library, or any installed package (found in a site-packages directory: SymPy,
    mpmath, scikit-learn, ...). A library's functions are never inlined: its code is
    not the user's, and an error inside it would point into the library's files.
    The compiler's own package is not one (its rules' helpers are inlined)."""
    name = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    top = (name or "").partition(".")[0]
    if top == __name__.partition(".")[0]:
        return False
    if top in _LIBRARIES:
        return True
    file = _file_of(obj, top)
    if file is None:
        return False
    path = Path(file).resolve()
    return not _INSTALLED.isdisjoint(path.parts) or any(path.is_relative_to(d) for d in _STDLIB)


def _file_of(obj: Any, top: str) -> str | None:
    """The file a function's code, or a module (else the package it names), was read from."""
    code = getattr(inspect.unwrap(obj), "__code__", None) if callable(obj) else None
    if code is not None:
        return code.co_filename
    module = obj if isinstance(obj, types.ModuleType) else sys.modules.get(top)
    return getattr(module, "__file__", None)


def valid(guards: list[Guard]) -> bool:
    """Whether every `is` and `==` guard still holds (else the function is lowered again)."""
    return all(g.holds() for g in guards if g.test != "kind")


def value_refs(guards: list[Guard]) -> tuple[External, ...]:
    """The refs whose kinds are part of the cache key, in a fixed order."""
    return tuple(g.ref for g in guards if g.test == "kind")


def current_kinds(refs: tuple[External, ...]) -> tuple:
    """The kinds the values at `refs` have now (an unreadable one: None, and the call
    will raise NameError where Python would)."""
    kinds = []
    for ref in refs:
        try:
            kinds.append(kind_of(ref.read()))
        except Exception:  # noqa: BLE001
            kinds.append(None)
    return tuple(kinds)
