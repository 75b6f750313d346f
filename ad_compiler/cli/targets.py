"""What the command line differentiates: `path/to/file.py:function` or
`package.module:function` (any callable the API takes: a lambda, a partial, ...), loaded as Python would load it, with the file it came from.
A module name that does not import is not looked for as a file: the error says how to
name the file instead (`mlp.py:f`), so one spelling always means one thing."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import CompileError, SourceUnavailableError
from ..frontend.callables import user_function


class UsageError(Exception):
    """A command the CLI cannot carry out: a missing file, an unknown function, a bad
    option. Printed as one line, `error: <message>`, with exit status 2."""


@dataclass(frozen=True)
class Target:
    """A loaded function and where it came from (as the user named it)."""

    function: Callable[..., Any]
    name: str
    where: str
    """The file as given (`examples/model.py`) or the module's name (`package.model`)."""
    digest: str
    """The SHA-256 of the file's bytes: what a written module was generated from."""


def load_target(spec: str) -> Target:
    """The function `spec` names, or UsageError (CompileError for a syntax error)."""
    where, sep, name = spec.rpartition(":")
    if not sep or not where or not name:
        raise UsageError(f"target {spec!r} must look like path/to/file.py:function or package.module:function")
    module = _load_file(where) if where.endswith(".py") else _import(where, name)
    function = getattr(module, name, None)
    if function is None:
        raise UsageError(f"{where} defines no function {name!r}")
    if not callable(function) or isinstance(function, type):
        raise UsageError(f"{where}: {name} is a {type(function).__name__}, not a function")
    try:
        user = user_function(function)
    except SourceUnavailableError as err:
        raise UsageError(f"{where}: {name} cannot be differentiated: {err.message}") from None
    keyword = [p.name for p in user.signature.parameters.values() if p.kind is p.KEYWORD_ONLY]
    if keyword:
        raise UsageError(f"{where}: {name} has keyword-only parameters ({', '.join(keyword)}), and the command "
                         "line passes arguments by position; differentiate a def that calls it")
    file = Path(getattr(module, "__file__", "") or where)
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    return Target(function, name, Path(where).as_posix() if where.endswith(".py") else where, digest)


def _load_file(where: str) -> Any:
    path = Path(where)
    if not path.is_file():
        raise UsageError(f"no such file: {where}")
    try:
        source = path.read_text()
        compile(source, where, "exec")
    except SyntaxError as err:
        raise CompileError(
            err.msg if "syntax" in err.msg else f"invalid syntax: {err.msg}", where, err.lineno, max((err.offset or 1) - 1, 0), err.text
        ) from None
    except (UnicodeDecodeError, ValueError) as err:
        raise UsageError(f"cannot read {where}: {err}") from None
    # Run as a module of a name of its own (a file named `ast.py` must not replace the
    # compiler's `ast`), with its directory first on the path while it runs, so that its
    # own imports work as under `python file.py`, and what it prints kept off stdout,
    # where `adc grad` prints the module it writes.
    spec = importlib.util.spec_from_file_location(f"_adc_target_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    directory = str(path.resolve().parent)
    sys.path.insert(0, directory)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            spec.loader.exec_module(module)
    except (Exception, SystemExit) as err:  # the user's module failed while running its top level
        raise UsageError(f"running {where} failed: {type(err).__name__}: {err}") from None
    finally:
        sys.path.remove(directory)
    return module


def _import(name: str, function: str) -> Any:
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return importlib.import_module(name)
    except ImportError as err:
        missing = getattr(err, "name", None)
        hint = _path_hint(name, function) if missing and name.startswith(missing) else ""
        raise UsageError(f"cannot import {name}: {err}{hint}") from None
    except (Exception, SystemExit) as err:
        raise UsageError(f"importing {name} failed: {type(err).__name__}: {err}") from None


def _path_hint(name: str, function: str) -> str:
    """Advice when a module name is not importable: `adc` imports a name from `sys.path`
    (which, for a console script, does not hold the current directory), as Python would;
    a file is named by its path. If the name is a file here, say to name the file."""
    path = Path(*name.split(".")).with_suffix(".py")
    if path.is_file():
        return f"; to use the file {path.as_posix()}, name the file: {path.as_posix()}:{function}"
    return ("; a module is imported from sys.path (set PYTHONPATH to its directory), "
            "a file is named by its path: path/to/file.py:function")
