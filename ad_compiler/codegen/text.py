"""Printing one statement or expression, and making names into identifiers."""

from __future__ import annotations

import ast
import warnings

_MAX_LINE = 92
"""Statements longer than this are wrapped by astor (before the body's indentation)."""


def unparse(node: ast.AST) -> str:
    """The one place astor is called. astor 0.8 warns about `ast.Num` on Python 3.12+
    and cannot run where it is gone; its warnings stay here and `ast.unparse` steps in
    where it fails (DESIGN §6)."""
    try:
        with warnings.catch_warnings():  # (astor warns when imported, too)
            warnings.simplefilter("ignore", DeprecationWarning)
            import astor
            from astor.source_repr import split_lines

            def pretty(source: list[str]) -> str:
                return "".join(split_lines(source, maxline=_MAX_LINE))

            return astor.to_source(node, pretty_source=pretty).rstrip("\n")
    except Exception:  # noqa: BLE001 - any astor failure falls back to the stdlib
        return ast.unparse(node)


def _identifier(hint: str) -> str:
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in hint)
    return text if text and not text[0].isdigit() else f"v_{text}"
