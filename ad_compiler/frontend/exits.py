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
import copy
from typing import Iterable

RETURNED, VALUE = "_return", "_value"
_PASSED_ON = "adc_passed_on"
"""Marks the `return _value` after a loop: inside an enclosing loop it only breaks, the
flags it would set already hold."""
_EXITS = (ast.Break, ast.Continue, ast.Return)


def _flags(depth: int) -> tuple[str, str, str]:
    """(break, continue, counter): the names of a loop's own flags and counter. A loop
    with exits nested in another has its own (`_break_1`): one loop's must not reset the
    other's."""
    suffix = f"_{depth}" if depth else ""
    return f"_break{suffix}", f"_continue{suffix}", f"_index{suffix}"


def walk_own(node: ast.AST) -> Iterable[ast.AST]:
    """`ast.walk` of the code that runs as part of `node`'s function: the body of a
    function defined inside is its own (its returns are not this function's)."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        todo.extend(ast.iter_child_nodes(current))


def own_exits(stmts: Iterable[ast.stmt]) -> list[ast.stmt]:
    """The break/continue/return statements that leave *this* loop (not a nested one)."""
    found: list[ast.stmt] = []
    for stmt in stmts:
        if isinstance(stmt, _EXITS):
            found.append(stmt)
        elif isinstance(stmt, ast.If):
            found += own_exits(stmt.body) + own_exits(stmt.orelse)
    return found


def nested_return(body: list[ast.stmt]) -> ast.Return | None:
    """A `return` inside a loop nested in this body: it leaves this loop too."""
    for stmt in body:
        for node in walk_own(stmt):
            if isinstance(node, (ast.For, ast.While)):
                inner = next((n for n in walk_own(node) if isinstance(n, ast.Return)), None)
                if inner is not None:
                    return inner
    return None


def has_exits(body: list[ast.stmt]) -> bool:
    return bool(own_exits(body)) or nested_return(body) is not None


def returns_from(body: list[ast.stmt]) -> bool:
    """Whether a return leaves the loop of this body: its own, or one in a nested loop."""
    return any(isinstance(s, ast.Return) for s in own_exits(body)) or nested_return(body) is not None


def always_true(test: ast.expr) -> bool:
    """`while True:`, `while 1:`: a test that never ends the loop."""
    return isinstance(test, ast.Constant) and bool(test.value)


def left_only_by_return(node: ast.stmt) -> bool:
    """A `while True:` whose only way out is a `return`: the code after it never runs."""
    exits = own_exits(node.body)
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


def _rewrite(stmts: list[ast.stmt], depth: int) -> list[ast.stmt]:
    """The block with its exits replaced by flags, and what follows a possible exit
    guarded by `if not _continue`; loops with exits nested in it are rewritten first,
    each with flags of its own."""
    BREAK, CONTINUE, _ = _flags(depth)
    stmts = _nested(stmts, depth + 1)
    out: list[ast.stmt] = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Continue):
            return out + [_flag(CONTINUE, stmt)]
        if isinstance(stmt, ast.Break):
            return out + [_flag(BREAK, stmt), _flag(CONTINUE, stmt)]
        if isinstance(stmt, ast.Return) and getattr(stmt, _PASSED_ON, False):
            return out + [_flag(BREAK, stmt), _flag(CONTINUE, stmt)]  # `_return`, `_value` are set
        if isinstance(stmt, ast.Return):
            value = stmt.value if stmt.value is not None else ast.Constant(None)
            return out + [
                _set(VALUE, value, stmt), _flag(RETURNED, stmt), _flag(BREAK, stmt), _flag(CONTINUE, stmt),
            ]
        if isinstance(stmt, ast.If) and own_exits([stmt]):
            rewritten = ast.If(stmt.test, _rewrite(stmt.body, depth) or [ast.Pass()], _rewrite(stmt.orelse, depth))
            out.append(_at(rewritten, stmt))
            rest = _rewrite(stmts[i + 1:], depth)
            if rest:
                guard = ast.UnaryOp(ast.Not(), _name(CONTINUE))
                out.append(_at(ast.If(guard, rest, []), stmts[i + 1]))
            return out
        out.append(stmt)
    return out


def _nested(stmts: list[ast.stmt], depth: int) -> list[ast.stmt]:
    """`stmts` with the loops that have exits, here or in nested blocks, rewritten at
    `depth`."""
    out: list[ast.stmt] = []
    for stmt in stmts:
        expanded = expand(stmt, depth)
        if expanded is not None:
            out += expanded
            continue
        if isinstance(stmt, (ast.If, ast.For, ast.While)):
            stmt = copy.copy(stmt)
            stmt.body = _nested(stmt.body, depth)
            stmt.orelse = _nested(stmt.orelse, depth)
        out.append(stmt)
    return out


def _loop_test(node: ast.stmt, test: ast.expr, depth: int) -> ast.expr:
    return _at(ast.BoolOp(ast.And(), [test, ast.UnaryOp(ast.Not(), _name(_flags(depth)[0]))]), node)


def expand(stmt: ast.stmt, depth: int = 0) -> list[ast.stmt] | None:
    """`stmt` rewritten without loop exits, or None if it is not a loop that has them;
    `depth` counts the loops with exits around it."""
    if not isinstance(stmt, (ast.For, ast.While)) or stmt.orelse or not has_exits(stmt.body):
        return None
    if isinstance(stmt, ast.While):
        return as_while(stmt, None, None, depth)
    it = stmt.iter
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" and not it.keywords:
        args = list(it.args)
        if len(args) == 1:
            return as_while(stmt, None, (ast.Constant(0), args[0], ast.Constant(1)), depth)
        if len(args) in (2, 3):
            step = args[2] if len(args) == 3 else ast.Constant(1)
            return as_while(stmt, None, (args[0], args[1], step), depth)
    if isinstance(it, (ast.Name, ast.Attribute, ast.Subscript)):
        return as_while(stmt, it, None, depth)
    return None


def _once(setup: list[ast.stmt], expr: ast.expr, name: str, node: ast.stmt) -> ast.expr:
    """`expr` evaluated once, before the loop, as Python evaluates what a `for` iterates:
    the body may rebind the names it reads (`for i in range(n): n = n - 1`)."""
    if isinstance(expr, ast.Constant):
        return expr
    setup.append(_set(name, expr, node))
    return _name(name)


def as_while(node: ast.For | ast.While, sequence: ast.expr | None,
             bounds: tuple[ast.expr, ast.expr, ast.expr] | None, depth: int = 0) -> list[ast.stmt]:
    """The statements replacing a loop with exits: flag initialization, the `while`, and
    the return after it. For a `for`, `bounds` is (start, stop, step) of a range, or
    `sequence` the sequence iterated (then the target is its item). `depth` counts the
    loops with exits around it (whose flags it must leave alone)."""
    BREAK, CONTINUE, COUNTER = _flags(depth)
    suffix = f"_{depth}" if depth else ""
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
            stop, step = (_once(setup, bound, f"_{what}{suffix}", node) for bound, what in ((stop, "stop"), (step, "step")))
            setup.append(_set(COUNTER, start, node))
            positive = ast.Compare(counter, [ast.Lt()], [stop])
            negative = ast.Compare(_name(COUNTER), [ast.Gt()], [stop])
            test = ast.IfExp(ast.Compare(step, [ast.Gt()], [ast.Constant(0)]), positive, negative)
            body.append(_at(ast.Assign([node.target], _name(COUNTER)), node))
        else:
            sequence = _once(setup, sequence, f"_sequence{suffix}", node)
            setup.append(_set(COUNTER, ast.Constant(0), node))
            test = ast.Compare(counter, [ast.Lt()], [_at(ast.Call(_name("len"), [sequence], []), node.iter)])
            step = ast.Constant(1)
            body.append(_at(ast.Assign([node.target], ast.Subscript(sequence, _name(COUNTER), ast.Load())), node))
        body.append(_set(COUNTER, ast.BinOp(_name(COUNTER), ast.Add(), step), node))
    loop = _at(ast.While(_loop_test(node, test, depth), body + _rewrite(node.body, depth), []), node)
    after = []
    if left_only_by_return(node):  # it always returns: no path goes on after it
        after.append(_at(ast.Return(_name(VALUE)), node))
    elif returning:
        passed_on = _at(ast.Return(_name(VALUE)), node)
        setattr(passed_on, _PASSED_ON, True)
        after.append(_at(ast.If(_name(RETURNED), [passed_on], []), node))
    return setup + [loop] + after
