"""Emitted functions as one standalone module: the text `adc grad` writes (DESIGN §6).

The module imports only what its text uses (numpy as `np`, `math`), defines each runtime
helper once however many functions call it, and writes the module-level arrays the
functions read as literals, exactly (`repr` of a float round-trips), so it runs where
ad_compiler is not installed and gives the same numbers.
"""

from __future__ import annotations

import pprint
import re
from typing import Any, Sequence

import numpy as np

from ..errors import CompileError
from ..runtime import HELPERS
from .emit import Emitted

MAX_EMBEDDED = 10_000
"""The most entries a module-level array may have to be written into a module."""


def standalone_module(header: Sequence[str], functions: Sequence[Emitted]) -> str:
    """The module text: `header` as comment lines, imports, constants, helpers, functions
    (each text ends with a newline: two blank lines between definitions, as PEP 8 has)."""
    helpers = sorted({h for f in functions for h in f.helpers})
    code = [HELPERS[h] for h in helpers] + [f.definition for f in functions]
    constants = [_constant(name, value) for name, value in sorted(_namespace(functions).items())]
    body = "\n".join(constants + code)
    imports = [line for line, used in (("import math", r"\bmath\."), ("import numpy as np", r"\bnp\."))
               if re.search(used, body)]
    parts = ["".join(f"# {_printable(line)}".rstrip() + "\n" for line in header)]
    if imports:
        parts.append("\n".join(imports) + "\n")
    if constants:
        parts.append("".join(constants))
    return "\n".join(parts) + "\n\n" + "\n\n".join(code)


def _printable(line: str) -> str:
    """A header line that stays one comment line (a file name may hold a newline)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)


def _namespace(functions: Sequence[Emitted]) -> dict[str, Any]:
    """The objects the functions read by name; one name must mean one object."""
    merged: dict[str, Any] = {}
    for f in functions:
        for name, value in f.namespace.items():
            if merged.setdefault(name, value) is not value:
                raise CompileError(f"two different objects are both named {name!r} in the emitted code")
    return merged


def _constant(name: str, value: Any) -> str:
    """`name = <literal>` for an array (or NumPy scalar) the emitted code reads."""
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise CompileError(
            f"the derivative reads {name!r}, a {type(value).__name__}, which a standalone module "
            "cannot contain: pass it as an argument"
        )
    if value.size > MAX_EMBEDDED:
        raise CompileError(
            f"the derivative reads the module-level array {name!r} of {value.size} entries; a "
            f"standalone module embeds arrays of up to {MAX_EMBEDDED}: pass it as an argument"
        )
    if value.dtype.kind not in "biuf":
        raise CompileError(f"module-level array {name!r} has dtype {value.dtype}, which cannot be written as a literal")
    data = pprint.pformat(value.tolist(), width=88 - 4, compact=True).replace("\n", "\n    ")
    return f"{name} = np.array(\n    {data},\n    dtype=np.{value.dtype.name},\n)\n"
