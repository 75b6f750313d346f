"""Reading a function's source: the AST the frontend lowers, with positions in the real file.

Positions in `FunctionSource.tree` are absolute in `file` (1-based lines, 0-based UTF-8
byte columns, as `ast` gives them), so every error and every op points at the user's file.
An indented function (a method, a nested def) is parsed inside an `if 1:` block rather
than dedented: its lines keep their columns and a continuation line or string indented
less than the def still parses.
"""

from __future__ import annotations

import ast
import functools
import inspect
import linecache
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..errors import SourceUnavailableError
from .resolve import describe

_ADVICE = ("the compiler needs Python source; or give the function derivative rules instead "
           "(@ad_compiler.defvjp(fn) and @ad_compiler.defjvp(fn), docs/api.md)")


@dataclass
class FunctionSource:
    """A function with its parsed source and the globals its free names live in (its
    closure cells are the function's own: `fn.__closure__`)."""

    fn: Callable[..., Any]
    name: str
    file: str
    tree: ast.FunctionDef
    lines: dict[int, str]
    globals: dict[str, Any]


def get_source(fn: Callable[..., Any]) -> FunctionSource:
    """The source of a Python function (unwrapped), or SourceUnavailableError naming it."""
    fn = python_function(fn)
    code = fn.__code__
    file = code.co_filename
    linecache.checkcache(file)
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        raise SourceUnavailableError(
            f"cannot read the source of '{fn.__name__}' (defined in {file}, which is not a "
            f"readable file): {_ADVICE}, or define it in a .py file"
        ) from None
    name = fn.__name__
    if name == LAMBDA:
        tree, first, last, name = _lambda_tree(fn, file)
        lines, start = linecache.getlines(file)[first - 1 : last], first
    else:
        tree = _def_tree(fn, lines, start)
    return FunctionSource(
        fn=fn,
        name=name,
        file=file,
        tree=tree,
        lines={start + i: text.rstrip("\r\n") for i, text in enumerate(lines)},
        globals=fn.__globals__,
    )


LAMBDA = "<lambda>"


def function_name(fn: Any) -> str:
    """The name derivatives of a Python function are emitted under: its own, or for a
    lambda the variable it is assigned to (`loss = lambda p: ...`), else "lambda"."""
    if fn.__name__ != LAMBDA:
        return fn.__name__
    try:
        return get_source(fn).name
    except SourceUnavailableError:
        return "lambda"


def python_function(fn: Any) -> Any:
    """The Python function behind methods and decorators; SourceUnavailableError for
    what has none (a builtin, a class, a partial)."""
    if isinstance(fn, functools.partial):
        inner = getattr(fn.func, "__name__", "?")
        raise SourceUnavailableError(
            f"cannot read the source of functools.partial('{inner}', ...): a partial object "
            f"has no source of its own; differentiate a def that calls {inner} with the bound arguments"
        )
    if isinstance(fn, (staticmethod, classmethod)) or inspect.ismethod(fn):
        fn = fn.__func__
    fn = inspect.unwrap(fn)
    if not inspect.isfunction(fn):
        name = getattr(fn, "__name__", None) or (type(fn).__name__ if callable(fn) else repr(fn))
        raise SourceUnavailableError(f"cannot read the source of '{name}' ({_kind(fn)}): {_ADVICE}")
    return fn


def _kind(obj: Any) -> str:
    """What a callable without Python source is, for the error message."""
    if inspect.isbuiltin(obj) or inspect.ismethoddescriptor(obj) or isinstance(obj, np.ufunc):
        return "a built-in or C function"
    if isinstance(obj, type):
        return "a class"
    return f"{describe(obj)}, not a function"


def _def_tree(fn: Any, lines: list[str], start: int) -> ast.FunctionDef:
    """Parse a def's lines in place: the tree's positions are the file's."""
    text = "".join(lines)
    indented = text[:1].isspace()
    try:
        module = ast.parse("if 1:\n" + text if indented else text)
    except SyntaxError as err:
        raise SourceUnavailableError(
            f"cannot parse the source of '{fn.__name__}' ({err.msg}); was the file edited?"
        ) from None
    node = module.body[0].body[0] if indented else module.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name != fn.__name__:
        raise SourceUnavailableError(
            f"the source of '{fn.__name__}' no longer matches the loaded function; "
            "was the file edited? reload its module"
        )
    ast.increment_lineno(node, start - (2 if indented else 1))
    node.decorator_list = []
    return node


def _lambda_tree(fn: Any, file: str) -> tuple[ast.FunctionDef, int, int, str]:
    """The lambda as `def <lambda>(args): return expr`, its first and last line, and its
    name (see `function_name`).

    The whole file is parsed because a lambda's lines alone are rarely a statement.
    Lambdas on the same line are told apart by their parameter names, then by where
    their bodies' code starts.
    """
    code = fn.__code__
    try:
        module = ast.parse("".join(linecache.getlines(file)))
    except SyntaxError:
        raise SourceUnavailableError(f"cannot parse {file} to find the source of a lambda") from None
    params = list(code.co_varnames[: code.co_argcount])
    found = [
        node
        for node in ast.walk(module)
        if isinstance(node, ast.Lambda)
        and node.lineno == code.co_firstlineno
        and [a.arg for a in node.args.posonlyargs + node.args.args] == params
    ]
    if len(found) > 1:
        found = [lam for lam in found if _starts_at(code, lam.body)] or found
    if len(found) != 1:
        problem = "several lambdas are" if found else "no lambda is"
        raise SourceUnavailableError(
            f"cannot read the source of a lambda: {problem} on line {code.co_firstlineno} of "
            f"{file} with these parameters; define the function with def"
        )
    lam = found[0]
    body = ast.copy_location(ast.Return(value=lam.body), lam.body)
    extra = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    tree = ast.FunctionDef(
        name=LAMBDA, args=lam.args, body=[body], decorator_list=[], returns=None, **extra
    )
    named = [node.targets[0].id for node in ast.walk(module) if isinstance(node, ast.Assign)
             and node.value is lam and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)]
    name = named[0] if named else "lambda"
    return ast.copy_location(tree, lam), lam.lineno, lam.end_lineno or lam.lineno, name


def _starts_at(code: Any, body: ast.expr) -> bool:
    """Whether a lambda's code has an instruction at the start of `body` (Python 3.11+
    keeps columns; before, every candidate passes)."""
    positions = getattr(code, "co_positions", None)
    if positions is None:
        return True
    return any(line == body.lineno and col == body.col_offset for line, _, col, _ in positions())

