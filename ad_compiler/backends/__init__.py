"""Backends: what emitted code runs on (DESIGN §"Backends spell primitives").

A backend takes the optimized derivative's IR at the end of the pipeline and makes it a
live function: its last rewrites (`finish`), how codegen spells what it emits (the
`Spelling` hooks), and how the text is loaded (`load`). The IR never holds a backend's
spelling, so every backend starts from the same derivative and `.ir` is the same for all.

    numpy       today's emitted code, run by the interpreter (the default)
    numba       the same derivative in the subset numba compiles in nopython mode
    array-api   code that takes its namespace from its arguments: NumPy, dask.array,
                CuPy, PyTorch alike

A backend's module is imported when it is named, so numba or array-api-compat are read
only by those who ask for them.
"""

from __future__ import annotations

import importlib

from ..errors import ArgumentError
from .base import Backend

_MODULES = {"numpy": "base", "numba": "numba", "array-api": "array_api"}
"""Each backend's name and the module of this package that defines it (as `BACKEND`)."""

NAMES = tuple(_MODULES)


def check_backend(name: str) -> None:
    """Refuse an unknown backend name at the transform's construction, naming the known."""
    if name not in _MODULES:
        raise ArgumentError(f"backend must be one of {', '.join(map(repr, NAMES))}, not {name!r}")


def backend_named(name: str) -> Backend:
    """The backend called `name` (checked by `check_backend`)."""
    check_backend(name)
    return importlib.import_module(f".{_MODULES[name]}", __name__).BACKEND


__all__ = ["Backend", "NAMES", "backend_named", "check_backend"]
