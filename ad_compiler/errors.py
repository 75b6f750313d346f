"""Errors the compiler reports to users: where (file:line:col), the line, a caret, and a
sentence; and how they reach the user.

A `CompileError` leaves the public API (`user_entry`, and the dispatcher of a compiled
derivative) as if raised at the user's call: its traceback shows the user's frames and
the one line of the entry, not the thirty frames of the compiler it went through, and an
error that names no place in the user's source is located at that call. Setting
`AD_COMPILER_TRACEBACK=full` in the environment keeps the compiler's frames (for
reporting a bug in the compiler).
"""

from __future__ import annotations

import ast
import functools
import inspect
import linecache
import os
import sys
from pathlib import Path
from types import FrameType
from typing import Any, Callable, TypeVar

TRACEBACK_VARIABLE = "AD_COMPILER_TRACEBACK"
"""The environment variable that, set to `full`, keeps the compiler's frames in tracebacks."""

_PACKAGE = Path(__file__).resolve().parent
_COMMAND_LINE = _PACKAGE / "cli"


class CompileError(Exception):
    """A program the compiler cannot handle, reported at the construct that stops it.

    `str(err)` reads like a compiler diagnostic::

        model.py:12:8: error: while loops are not supported yet; ...
            y = foo(x)
                ^
    """

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        col: int | None = None,
        source_line: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.source_line = source_line
        super().__init__(self.format())

    @classmethod
    def at(cls, message: str, loc: Any, fn: Any) -> "CompileError":
        """An error pointing at `loc` (an op's source position, or None) in the source of
        `fn` (an IR function, which knows its source lines)."""
        if loc is None:
            return cls(message)
        return cls(message, loc.file, loc.line, loc.col, fn.line_text(loc))

    def format(self) -> str:
        if self.file is None or self.line is None:
            return f"error: {self.message}"
        col = self.col or 0
        text = f"{self.file}:{self.line}:{col + 1}: error: {self.message}"
        if self.source_line:
            line = self.source_line.rstrip("\n")
            stripped = line.lstrip()
            indent = len(line) - len(stripped)
            caret_at = max(col - indent, 0)
            text += f"\n    {stripped}\n    {' ' * caret_at}^"
        return text

    def locate(self, file: str, line: int, col: int, source_line: str | None) -> None:
        """Give an error raised without a place (one about a call, not a construct) the
        place the user made that call."""
        self.file, self.line, self.col, self.source_line = file, line, col, source_line
        self.args = (self.format(),)


class UnsupportedError(CompileError):
    """The construct is valid Python the compiler does not (yet) handle."""


class SourceUnavailableError(CompileError):
    """The function's source cannot be read (a builtin, a lambda typed at a prompt, ...)."""


class NoDerivativeError(CompileError):
    """A primitive or callee has no derivative rule and no source to differentiate."""


class NoBatchingError(CompileError):
    """A primitive's batching rule does not cover the operands it is given (`vmap` then
    maps the op another way, or one call per example)."""


class ArgumentError(CompileError, TypeError, ValueError):
    """A derivative asked for or called with arguments it cannot take: `argnums` out of
    range, a list or an int to differentiate, a tangent of another shape. Reported at the
    user's call; also a TypeError and a ValueError, which is what Python and JAX raise
    for such calls, so code written to catch those still does."""


class BackendWarning(UserWarning):
    """A backend cannot take a derivative, and another runs it: the message says why
    (numba refusing a construct, and NumPy's code running instead)."""


def full_traceback() -> bool:
    """Whether the user asked for the compiler's frames (`AD_COMPILER_TRACEBACK=full`)."""
    return os.environ.get(TRACEBACK_VARIABLE, "").strip().lower() == "full"


def for_user(err: CompileError) -> CompileError:
    """`err` to raise again at the user's call, located there if it names no place;
    without the compiler's frames and the exception it was handling (the message says
    all), unless `AD_COMPILER_TRACEBACK=full` asks for them."""
    if err.file is None:
        _locate_at_call(err)
    if full_traceback():
        return err
    err.__cause__ = err.__context__ = None
    err.__suppress_context__ = True
    return err.with_traceback(None)


def _inside(file: str) -> bool:
    """A frame of the compiler: its package, or code it generated (`<ad_compiler ...>`)."""
    if file.startswith("<ad_compiler"):
        return True
    try:
        return Path(file).resolve().is_relative_to(_PACKAGE)
    except (OSError, ValueError):
        return False


def _user_frame() -> FrameType | None:
    """The innermost frame outside the compiler: the line that called into it. None
    when the call came from the command line (`adc` has no line of the user's)."""
    frame = sys._getframe(1)
    while frame is not None and _inside(frame.f_code.co_filename):
        if Path(frame.f_code.co_filename).resolve().is_relative_to(_COMMAND_LINE):
            return None
        frame = frame.f_back
    return frame


def _first_call(text: str) -> int:
    """Where the first call on a line starts (Python 3.10's frames say only the line);
    the statement's start if the line is not a statement of its own."""
    indent = len(text) - len(text.lstrip())
    try:
        tree = ast.parse(text.strip())
    except SyntaxError:
        return indent
    calls = [node.col_offset for node in ast.walk(tree) if isinstance(node, ast.Call) and node.lineno == 1]
    return indent + len(text.strip().encode()[:min(calls)].decode("utf-8", "ignore")) if calls else indent


def _locate_at_call(err: CompileError) -> None:
    frame = _user_frame()
    if frame is None:
        return
    file, line = frame.f_code.co_filename, frame.f_lineno
    text = linecache.getline(file, line).rstrip("\r\n")
    if not text:
        return  # typed at a prompt: the traceback shows the call
    positions = getattr(inspect.getframeinfo(frame), "positions", None)  # (Python 3.11+)
    offset = positions.col_offset if positions is not None and positions.lineno == line else None
    if offset is None:
        col = _first_call(text)
    else:
        col = len(text.encode()[:offset].decode("utf-8", "ignore"))  # bytes to characters
    err.locate(file, line, col, text)


F = TypeVar("F", bound=Callable[..., Any])


def user_entry(fn: F) -> F:
    """Make `fn` a public entry of the compiler: a CompileError from inside it reaches the
    caller as `for_user` says (all of it with `AD_COMPILER_TRACEBACK=full`)."""

    @functools.wraps(fn)
    def entry(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CompileError as err:
            raise for_user(err)  # noqa: B904 - the user's call is where it is reported

    name_frames(entry, fn.__name__)
    return entry  # type: ignore[return-value]


def name_frames(function: Callable[..., Any], name: str) -> None:
    """Name the frames of an entry `function` as the user knows it: the one frame of the
    compiler a user's traceback shows is an entry's, and should read `in grad_f`, `in jvp`."""
    names = {"co_name": name}
    if hasattr(function.__code__, "co_qualname"):  # (Python 3.11+)
        names["co_qualname"] = name
    function.__code__ = function.__code__.replace(**names)
