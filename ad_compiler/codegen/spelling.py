"""`ast.unparse`, spelled as astor spells the same node: what prints emitted code where
astor cannot (`text.py`), so that the text is the same either way.

`ast.unparse` writes a tuple at the top of a statement in parentheses (`return (ba, bb)`),
adds parentheses astor leaves out (`x ** (-1.5)`, `i < n and (not done)`, `a or (b and
c)`) and spells infinity `1e309` (astor: `1e1000`). The tuples are printed bare here; the
parentheses are taken out of the text where the token after them shows they are not
needed. Inside an f-string's fields the tokenizer reads them on Python 3.12+ only (astor
fails on f-strings on 3.14): on 3.10 and 3.11 without astor, they keep `ast.unparse`'s
parentheses.
"""

from __future__ import annotations

import ast
import copy
import io
import keyword
import tokenize

_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
_UNARY = frozenset({"-", "+", "~"})
_ENDS_OPERAND = frozenset({"and", "or", "if", "else", "for", ")", "]", "}", ",", ":", ""})
"""What may follow an operand of `and`/`or` ("": the end of the statement)."""
_LOOSER_THAN_OR = frozenset({"or", "if", "else", "lambda", ":=", ",", "for", "yield"})
_LOOSER = {"or": _LOOSER_THAN_OR, "and": _LOOSER_THAN_OR | {"and"}}
"""What, outside brackets, binds more loosely than an operand of `and`/`or` may."""


def unparsed(node: ast.AST) -> str:
    """The source of a statement or expression. The nodes codegen builds have no
    positions, which `ast.unparse` reads on some statements: a copy is given them."""
    node = ast.fix_missing_locations(copy.deepcopy(node))
    if isinstance(node, ast.Assign):
        text = " = ".join(_bare(part) for part in [*node.targets, node.value])
    elif isinstance(node, ast.Return) and node.value is not None:
        text = f"return {_bare(node.value)}"
    else:
        text = ast.unparse(node)
    return _without_extra_parentheses(text)


def _bare(expr: ast.expr) -> str:
    """A tuple without its parentheses (`a, b`; `a,`), another expression as it is."""
    if isinstance(expr, ast.Tuple) and expr.elts:
        items = [ast.unparse(item) for item in expr.elts]
        return ", ".join(items) + ("," if len(items) == 1 else "")
    return ast.unparse(expr)


def _without_extra_parentheses(text: str) -> str:
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    edits: dict[int, tuple[int, str]] = {}  # offset -> (length replaced, replacement)
    for i, token in enumerate(tokens):
        if token.type == tokenize.NUMBER and token.string == "1e309":
            edits[starts[token.start[0] - 1] + token.start[1]] = (len(token.string), "1e1000")
        if token.type != tokenize.OP or token.string != "(" or i == 0:
            continue
        close = _closing(tokens, i)
        after = tokens[close + 1] if close + 1 < len(tokens) else None
        if _needless(tokens[i - 1].string, tokens[i + 1:close], after):
            for row, col in (token.start, tokens[close].start):
                edits[starts[row - 1] + col] = (1, "")
    for offset in sorted(edits, reverse=True):
        length, replacement = edits[offset]
        text = text[:offset] + replacement + text[offset + length:]
    return text


def _needless(before: str, inside: list[tokenize.TokenInfo], after: tokenize.TokenInfo | None) -> bool:
    """Whether parentheses around `inside`, between `before` and `after`, can go: around a
    unary operand of `**` (`x ** -1.5`), or an operand of `and`/`or` that binds tighter
    than it (`and not done`)."""
    follows = "" if after is None or after.type in (tokenize.NEWLINE, tokenize.ENDMARKER) else after.string
    if not inside:
        return False
    if before == "**":
        return inside[0].string in _UNARY and _one_factor(inside) and follows not in (".", "(", "[", "**")
    if before in _LOOSER:
        return follows in _ENDS_OPERAND and not _outside_brackets(inside) & _LOOSER[before]
    return False


def _closing(tokens: list[tokenize.TokenInfo], i: int) -> int:
    """The index of the bracket closing the one at `i`."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].type == tokenize.OP and tokens[j].string in _OPENING:
            depth += 1
        elif tokens[j].type == tokenize.OP and tokens[j].string in _CLOSING:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unbalanced brackets")


def _outside_brackets(tokens: list[tokenize.TokenInfo]) -> set[str]:
    found, depth = set(), 0
    for token in tokens:
        if token.type == tokenize.OP and token.string in _OPENING:
            depth += 1
        elif token.type == tokenize.OP and token.string in _CLOSING:
            depth -= 1
        elif depth == 0:
            found.add(token.string)
    return found


def _one_factor(tokens: list[tokenize.TokenInfo]) -> bool:
    """Whether `tokens` are unary operators applied to one power (`-x.y[i] ** 2`): what
    may follow `**` without parentheses."""
    depth, after_operand = 0, False
    for token in tokens:
        text = token.string
        if token.type == tokenize.OP and text in _OPENING:
            depth += 1
        elif token.type == tokenize.OP and text in _CLOSING:
            depth -= 1
            after_operand = True
        elif depth or text == ".":
            continue
        elif text == "**" or text in _UNARY and not after_operand:
            after_operand = False
        elif token.type in (tokenize.NUMBER, tokenize.STRING) or token.type == tokenize.NAME and (
            text in ("None", "True", "False") or not keyword.iskeyword(text)
        ):
            after_operand = True
        else:
            return False
    return True
