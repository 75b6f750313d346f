"""Printing one statement or expression, and making names into identifiers.

astor prints; where it cannot (not installed, or failing on a node, as astor 0.8 does on
Python 3.14 where `ast.Str` is gone), the standard library's `ast.unparse` prints the same
text (`spelling.py`). Long lines are wrapped afterwards (`wrap.py`), not by either
printer, so the text does not depend on which one ran (DESIGN §6).
"""

from __future__ import annotations

import ast
import warnings

from .spelling import unparsed
from .wrap import MAX_LINE, wrapped


def unparse(node: ast.AST) -> str:
    """The source of `node`, lines longer than `MAX_LINE` broken where they can be."""
    text = _printed(node)
    if all(len(line) <= MAX_LINE for line in text.splitlines()):
        return text
    return wrapped(text)


def _printed(node: ast.AST) -> str:
    """The one place astor is called. astor 0.8 warns about `ast.Num` on Python 3.12+ and
    cannot run where it is gone: its warnings stay here (under `-W error` they would be
    a user's errors), and `ast.unparse` steps in where it fails."""
    try:
        with warnings.catch_warnings():  # (astor warns when imported, too)
            warnings.simplefilter("ignore")
            import astor

            return astor.to_source(node, pretty_source="".join).rstrip("\n")
    except Exception:  # noqa: BLE001 - any astor failure falls back to the stdlib
        return unparsed(node)


def _identifier(hint: str) -> str:
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in hint)
    return text if text and not text[0].isdigit() else f"v_{text}"
