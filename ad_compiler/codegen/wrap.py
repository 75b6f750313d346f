"""Wrapping a statement's long lines, after it is printed (by astor or `ast.unparse`).

A line is broken after a comma inside brackets: of the commas that leave a line short
enough, one at the shallowest level of brackets (the last of them), so that arguments
and items stay whole where they can; continuation lines are indented one level, a
`def`'s parameters two (PEP 8). A bare tuple after `=` or `return` is parenthesized
first, so that it can be broken. A line with no comma to break at stays long.
"""

from __future__ import annotations

import io
import tokenize

MAX_LINE = 92
"""Statements longer than this are wrapped (measured before the body's indentation)."""

_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
_STRING_START = frozenset(getattr(tokenize, n) for n in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, n))
_STRING_END = frozenset(getattr(tokenize, n) for n in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, n))


def wrapped(text: str) -> str:
    """`text` (statements, each on one line) with its long lines broken; `text` as it is if
    a statement spans lines (a string of several lines)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    if any(t.start[0] != t.end[0] or t.type == tokenize.NL for t in tokens if t.type != tokenize.DEDENT):
        return text
    return "\n".join(_wrapped_line(line) for line in text.splitlines())


def _wrapped_line(line: str) -> str:
    if len(line) <= MAX_LINE:
        return line
    line = _parenthesized(line)
    breaks = _commas(line)
    indent = " " * (8 if line.startswith("def ") else 4)
    lines: list[str] = []
    start, room = 0, MAX_LINE
    while len(line) - start > room:
        later = [(depth, at) for depth, at in breaks if at > start]
        fitting = [(depth, at) for depth, at in later if at - start <= room]
        if fitting:
            shallowest = min(depth for depth, _ in fitting)
            cut = max(at for depth, at in fitting if depth == shallowest)
        elif later:  # nothing fits: as short as it can be
            cut = min(at for _, at in later)
        else:
            break
        lines.append(line[start:cut])
        start, room = cut, MAX_LINE - len(indent)
        while line[start:start + 1] == " ":
            start += 1
    lines.append(line[start:])
    return f"\n{indent}".join(lines)


def _tokens(line: str) -> list[tokenize.TokenInfo]:
    """The line's tokens, those inside f-strings left out (no break may go there)."""
    tokens, nested = [], 0
    for token in tokenize.generate_tokens(io.StringIO(line).readline):
        if token.type in _STRING_START:
            nested += 1
        elif token.type in _STRING_END:
            nested -= 1
        elif not nested:
            tokens.append(token)
    return tokens


def _commas(line: str) -> list[tuple[int, int]]:
    """(depth, offset just after it) of each comma inside brackets."""
    found, depth = [], 0
    for token in _tokens(line):
        if token.type != tokenize.OP:
            continue
        if token.string in _OPENING:
            depth += 1
        elif token.string in _CLOSING:
            depth -= 1
        elif token.string == "," and depth > 0:
            found.append((depth, token.end[1]))
    return found


def _parenthesized(line: str) -> str:
    """`a, b = (x, y)` for `a, b = x, y`, `return (x, y)` for `return x, y`; else `line`."""
    depth, value, comma = 0, None, False
    for token in _tokens(line):
        if token.type == tokenize.NAME and token.string == "return" and token.start[1] == 0:
            value, comma = token.end[1], False
        elif token.type == tokenize.OP and token.string in _OPENING:
            depth += 1
        elif token.type == tokenize.OP and token.string in _CLOSING:
            depth -= 1
        elif token.type == tokenize.OP and depth == 0 and token.string == "=":
            value, comma = token.end[1], False
        elif token.type == tokenize.OP and depth == 0 and token.string == ",":
            comma = True
    if value is None or not comma:
        return line
    return f"{line[:value]} ({line[value:].strip()})"
