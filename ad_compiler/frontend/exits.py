"""`break`, `continue` and `return` inside loops, rewritten as flags (DESIGN §3).

The IR has no jumps. A loop whose body may leave early becomes a `while` loop over an
explicit counter whose test also checks a `_break` flag; inside the body, the statements
after a possible exit run only `if not _continue`. A `return` inside the loop sets
`_return` and `_value` and breaks; after the loop, `if _return: return _value` (which
the early-return handling of branches then takes apart); a `while True:` left only by
`return` is followed by `return _value` alone. This module rewrites the AST; the
lowering of the result is the ordinary one.
"""

from __future__ import annotations

import ast
from typing import Iterable

BREAK, CONTINUE, RETURNED, VALUE, COUNTER = "_break", "_continue", "_return", "_value", "_index"
_EXITS = (ast.Break, ast.Continue, ast.Return)


def _own_exits(stmts: Iterable[ast.stmt]) -> list[ast.stmt]:
    """The break/continue/return statements that leave *this* loop (not a nested one)."""
    found: list[ast.stmt] = []
    for stmt in stmts:
        if isinstance(stmt, _EXITS):
            found.append(stmt)
        elif isinstance(stmt, ast.If):
            found += _own_exits(stmt.body) + _own_exits(stmt.orelse)
    return found


def nested_return(body: list[ast.stmt]) -> ast.Return | None:
    """A `return` inside a loop nested in this body (not supported: it leaves two loops)."""
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.For, ast.While)):
                inner = next((n for n in ast.walk(node) if isinstance(n, ast.Return)), None)
                if inner is not None:
                    return inner
    return None


def has_exits(body: list[ast.stmt]) -> bool:
    return bool(_own_exits(body))


def returns_from(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, ast.Return) for s in _own_exits(body))


def always_true(test: ast.expr) -> bool:
    """`while True:`, `while 1:`: a test that never ends the loop."""
    return isinstance(test, ast.Constant) and bool(test.value)


def left_only_by_return(node: ast.stmt) -> bool:
    """A `while True:` whose only way out is a `return`: the code after it never runs."""
    exits = _own_exits(node.body)
    return (isinstance(node, ast.While) and always_true(node.test) and bool(exits)
            and all(isinstance(s, ast.Return) for s in exits))


def _at(node: ast.AST, like: ast.AST) -> ast.AST:
    return ast.fix_missing_locations(ast.copy_location(node, like))


def _name(name: str, store: bool = False) -> ast.Name:
    return ast.Name(name, ast.Store() if store else ast.Load())


def _set(name: str, value: ast.expr, like: ast.AST) -> ast.stmt:
    return _at(ast.Assign([_name(name, True)], value), like)


def _flag(name: str, like: ast.AST) -> ast.stmt:
    return _set(name, ast.Constant(True), like)


def _rewrite(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """The block with its exits replaced by flags, and what follows a possible exit
    guarded by `if not _continue`."""
    out: list[ast.stmt] = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Continue):
            return out + [_flag(CONTINUE, stmt)]
        if isinstance(stmt, ast.Break):
            return out + [_flag(BREAK, stmt), _flag(CONTINUE, stmt)]
        if isinstance(stmt, ast.Return):
            value = stmt.value if stmt.value is not None else ast.Constant(None)
            return out + [
                _set(VALUE, value, stmt), _flag(RETURNED, stmt), _flag(BREAK, stmt), _flag(CONTINUE, stmt),
            ]
        if isinstance(stmt, ast.If) and _own_exits([stmt]):
            rewritten = ast.If(stmt.test, _rewrite(stmt.body) or [ast.Pass()], _rewrite(stmt.orelse))
            out.append(_at(rewritten, stmt))
            rest = _rewrite(stmts[i + 1:])
            if rest:
                guard = ast.UnaryOp(ast.Not(), _name(CONTINUE))
                out.append(_at(ast.If(guard, rest, []), stmts[i + 1]))
            return out
        out.append(stmt)
    return out


def _loop_test(node: ast.stmt, test: ast.expr) -> ast.expr:
    return _at(ast.BoolOp(ast.And(), [test, ast.UnaryOp(ast.Not(), _name(BREAK))]), node)


def expand(stmt: ast.stmt) -> list[ast.stmt] | None:
    """`stmt` rewritten without loop exits, or None if it is not a loop that has them."""
    if not isinstance(stmt, (ast.For, ast.While)) or stmt.orelse or not has_exits(stmt.body):
        return None
    if isinstance(stmt, ast.While):
        return as_while(stmt, None, None)
    it = stmt.iter
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" and not it.keywords:
        args = list(it.args)
        if len(args) == 1:
            return as_while(stmt, None, (ast.Constant(0), args[0], ast.Constant(1)))
        if len(args) in (2, 3):
            step = args[2] if len(args) == 3 else ast.Constant(1)
            return as_while(stmt, None, (args[0], args[1], step))
    if isinstance(it, (ast.Name, ast.Attribute, ast.Subscript)):
        length = _at(ast.Call(_name("len"), [it], []), it)
        return as_while(stmt, length, None)
    return None


def as_while(node: ast.For | ast.While, sequence_length: ast.expr | None,
             bounds: tuple[ast.expr, ast.expr, ast.expr] | None) -> list[ast.stmt]:
    """The statements replacing a loop with exits: flag initialization, the `while`, and
    the return after it. For a `for`, `bounds` is (start, stop, step) of a range, or
    `sequence_length` the length of the sequence iterated (then the target is its item)."""
    setup = [_set(BREAK, ast.Constant(False), node)]
    returning = returns_from(node.body)
    if returning:
        setup += [_set(RETURNED, ast.Constant(False), node), _set(VALUE, ast.Constant(None), node)]
    body = [_set(CONTINUE, ast.Constant(False), node)]
    if isinstance(node, ast.While):
        test = node.test
    else:
        counter = _name(COUNTER)
        if bounds is not None:
            start, stop, step = bounds
            setup.append(_set(COUNTER, start, node))
            positive = ast.Compare(counter, [ast.Lt()], [stop])
            negative = ast.Compare(_name(COUNTER), [ast.Gt()], [stop])
            test = ast.IfExp(ast.Compare(step, [ast.Gt()], [ast.Constant(0)]), positive, negative)
            body.append(_at(ast.Assign([node.target], _name(COUNTER)), node))
        else:
            setup.append(_set(COUNTER, ast.Constant(0), node))
            test = ast.Compare(counter, [ast.Lt()], [sequence_length])
            step = ast.Constant(1)
            body.append(_at(ast.Assign([node.target], ast.Subscript(node.iter, _name(COUNTER), ast.Load())), node))
        body.append(_set(COUNTER, ast.BinOp(_name(COUNTER), ast.Add(), step), node))
    loop = _at(ast.While(_loop_test(node, test), body + _rewrite(node.body), []), node)
    after = []
    if left_only_by_return(node):  # it always returns: no path goes on after it
        after.append(_at(ast.Return(_name(VALUE)), node))
    elif returning:
        after.append(_at(ast.If(_name(RETURNED), [_at(ast.Return(_name(VALUE)), node)], []), node))
    return setup + [loop] + after
