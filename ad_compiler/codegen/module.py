"""Emitted functions as one standalone module: the text `adc grad` writes (DESIGN §6).

The module imports only what its text uses (numpy as `np`, `math`), defines each runtime
helper once however many functions call it, and writes the module-level arrays the
functions read as literals, exactly (`repr` of a float round-trips), so it runs where
ad_compiler is not installed and gives the same numbers.

A module specialized to its arguments' kinds also defines what it was specialized for, as
the table `SPECIALIZED`, and the helper `check_arguments` (`runtime.CHECK_ARGUMENTS`);
each function calls it first, so that arguments of another shape or dtype raise
ValueError instead of giving a wrong result.
"""

from __future__ import annotations

import ast
import io
import pprint
import re
import tokenize
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ..errors import CompileError
from ..runtime import CHECK_ARGUMENTS
from .emit import Emitted
from .names_outside import standalone
from .text import unparse

MAX_EMBEDDED = 10_000
"""The most entries a module-level array may have to be written into a module."""


@dataclass(frozen=True)
class Check:
    """What a module specialized to its arguments' kinds checks of one argument: `entry`,
    its line of the table SPECIALIZED, is (dtype, shape), shape `()` for a scalar and dtype
    "bool", "int", "float" or "complex"; (dtype, shape, what it is) for an argument the
    differentiated function has not (a tangent, the cotangent); or None for one of any
    value (the code is not specialized to it, but the check's advice names it). `spelled`
    is the parameter's name in the emitted functions where it differs from the name the
    check reports (a parameter named like a builtin is renamed)."""

    entry: Optional[tuple]
    spelled: str = ""


Specialization = Mapping[str, Check]
"""A module's checks, by the name each argument is reported by, in the order of the
functions' parameters."""

CHECK_NAMES = ("SPECIALIZED", "check_arguments")
"""The module-level names the check defines."""


def standalone_module(header: Sequence[str], functions: Sequence[Emitted],
                      specialized: Specialization | None = None, backend_imports: Sequence[str] = (),
                      decorators: Mapping[str, str] | None = None) -> str:
    """The module text: `header` as comment lines, imports, constants, helpers, functions
    (each text ends with a newline: two blank lines between definitions, as PEP 8 has).
    With `specialized`, each function first checks those of its arguments the table names
    (in the order of its parameters): the table `SPECIALIZED` comes before the helpers,
    `check_arguments` after the functions. A backend's `backend_imports` follow NumPy's, and
    `decorators` (by function name) head their functions (`@njit(cache=True)`)."""
    sources = {h: f.helper_sources[h] for f in functions for h in f.helpers}
    helpers = [sources[h] for h in sorted(sources)]
    definitions = [f.definition for f in functions]
    table: list[str] = []
    decorators = decorators or {}
    check: list[str] = []
    checked = specialized is not None and any(c.entry is not None for c in specialized.values())
    if checked:
        _check_names_free(functions)
        definitions = [_checked(f.name, f.definition, specialized) for f in functions]
        table, check = [_table(specialized)], [CHECK_ARGUMENTS]  # the check after the code
    definitions = [_decorated(f, text, decorators[f.name], specialized if checked else None)
                   if f.name in decorators else text for f, text in zip(functions, definitions)]
    code = table + helpers + definitions + check
    outside, imported = standalone([f.outside for f in functions])
    constants = [_constant(name, value) for name, value in sorted({**_namespace(functions), **outside}.items())]
    body = "\n".join(constants + code)
    imports = [line for line, used in (("import math", r"\bmath\."), ("import numpy as np", r"\bnp\."))
               if re.search(used, body)]
    imports += [line for line in [*imported, *backend_imports] if line not in imports]
    parts = ["".join(f"# {_printable(line)}".rstrip() + "\n" for line in header)]
    if imports:
        parts.append("\n".join(imports) + "\n")
    if constants:
        parts.append("".join(constants))
    return "\n".join(parts) + "\n\n" + "\n\n".join(code)


def _decorated(f: Emitted, text: str, decorator: str, specialized: Specialization | None) -> str:
    """`f` under its backend's decorator; where the module checks arguments (in Python,
    which compiled code cannot call), the compiled function is `<name>_compiled` and `f`'s
    name checks them and calls it."""
    if specialized is None:
        return f"{decorator}\n{text}"
    compiled = f"{f.name}_compiled"
    header = ast.parse(f.definition).body[0]
    params = [a.arg for a in header.args.args]
    call = ast.Return(ast.Call(ast.Name(compiled, ast.Load()), [ast.Name(p, ast.Load()) for p in params], []))
    signature = ast.FunctionDef(f.name, header.args, [call], [], None,
                                **({"type_params": []} if "type_params" in ast.FunctionDef._fields else {}))
    wrapper = _checked(f.name, unparse(ast.fix_missing_locations(signature)) + "\n", specialized)
    body = f.definition.replace(f"def {f.name}(", f"def {compiled}(", 1)
    return f"{decorator}\n{body}\n\n{wrapper}"


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
    """`name = <literal>` for an array, a number or a NumPy scalar the emitted code reads
    (its value when the module is written: a module cannot read the user's)."""
    if isinstance(value, (bool, int, float, complex)):
        return f"{name} = {value!r}\n"
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


def _table(specialized: Specialization) -> str:
    """`SPECIALIZED = {...}`, one argument a line, in the order given."""
    lines = [f"    {name!r}: {check.entry!r},\n" for name, check in specialized.items()]
    return (
        "# What the functions were specialized for, and check first (check_arguments, at the\n"
        "# end): each argument's dtype and shape, () for a scalar, and what a tangent or the\n"
        "# cotangent is; None: any value.\n"
        "SPECIALIZED = {\n" + "".join(lines) + "}\n"
    )


def _checked(name: str, definition: str, specialized: Specialization) -> str:
    """`definition` with `check_arguments(name, x=x, ...)` as its first statement, for its
    parameters that `specialized` names, in their order."""
    reported = {check.spelled or key: key for key, check in specialized.items()}
    params = [a.arg for a in ast.parse(definition).body[0].args.args if a.arg in reported]
    if not params:
        return definition
    call = ast.Expr(ast.Call(
        ast.Name("check_arguments", ast.Load()), [ast.Constant(name)],
        [ast.keyword(reported[p], ast.Name(p, ast.Load())) for p in params],
    ))
    lines = definition.splitlines(keepends=True)
    header_end = next(tok.end[0] for tok in tokenize.generate_tokens(io.StringIO(definition).readline)
                      if tok.type == tokenize.NEWLINE)
    body = next((line for line in lines[header_end:] if line.strip()), "    pass\n")
    indent = body[: len(body) - len(body.lstrip())]
    statement = "".join(indent + line + "\n" for line in unparse(call).splitlines())
    return "".join(lines[:header_end]) + statement + "".join(lines[header_end:])


def _check_names_free(functions: Sequence[Emitted]) -> None:
    """The check's names must not mean something else in the module."""
    for f in functions:
        used = set(f.namespace)
        for node in ast.walk(ast.parse(f.definition)):
            if isinstance(node, ast.Name):
                used.add(node.id)
            elif isinstance(node, ast.arg):
                used.add(node.arg)
        clash = sorted(used.intersection(CHECK_NAMES))
        if clash:
            raise CompileError(
                f"{f.name} uses the name {clash[0]!r}, which a module specialized to its arguments' "
                "shapes defines for their check: rename it"
            )
