"""Printing one statement or expression, and making names into identifiers.

astor prints on Python 3.10 and 3.11; from 3.12, where astor 0.8 reads names of `ast`
that warn (and are gone in 3.14), and wherever astor is not installed or fails on a node,
the standard library's `ast.unparse` prints the same text (`spelling.py`). So no warning
filter is ever set: that state is the process's, shared by every thread. Long lines are wrapped afterwards (`wrap.py`), not by either
printer, so the text does not depend on which one ran (DESIGN §6).
"""

from __future__ import annotations

import ast
import sys

from .spelling import unparsed
from .wrap import MAX_LINE, wrapped


def unparse(node: ast.AST) -> str:
    """The source of `node`, lines longer than `MAX_LINE` broken where they can be."""
    text = _printed(node)
    if all(len(line) <= MAX_LINE for line in text.splitlines()):
        return text
    return wrapped(text)


_ASTOR = sys.version_info < (3, 12)
"""Whether astor may print: it warns from 3.12 (under `-W error`, a user's error)."""


def _printed(node: ast.AST) -> str:
    """The one place astor is called; `ast.unparse` steps in where it may not or fails."""
    if not _ASTOR:
        return unparsed(node)
    try:
        import astor

        return astor.to_source(node, pretty_source="".join).rstrip("\n")
    except Exception:  # noqa: BLE001 - any astor failure falls back to the stdlib
        return unparsed(node)


def _identifier(hint: str) -> str:
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in hint)
    return text if text and not text[0].isdigit() else f"v_{text}"
