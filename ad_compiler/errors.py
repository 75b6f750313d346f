"""Errors the compiler reports to users: where (file:line:col), the line, a caret, and a sentence."""

from __future__ import annotations


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


class UnsupportedError(CompileError):
    """The construct is valid Python the compiler does not (yet) handle."""


class SourceUnavailableError(CompileError):
    """The function's source cannot be read (a builtin, a lambda typed at a prompt, ...)."""


class NoDerivativeError(CompileError):
    """A primitive or callee has no derivative rule and no source to differentiate."""
