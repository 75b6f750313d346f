"""The reducer: a failing program made small while it fails the same way, and written
out as a runnable reproduction.

Reductions work on the syntax tree of any program, so they need no change when the
grammar grows: delete a statement (or a helper function), replace an `if` or a loop by
its body, replace an expression by one of its operands or by a constant, lower an
integer constant, drop an argument of `f` (binding it to its value inside instead).
A candidate is kept when `oracle.failure_of` gives the same failure class; passes repeat
until none is kept or the time budget is spent.
"""

from __future__ import annotations

import ast
import builtins
import copy
import inspect
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import checks

Candidate = tuple[str, tuple]


@dataclass(frozen=True)
class Site:
    """A place in the tree, by position in a walk, and the variant of change made there."""

    kind: str
    index: int
    variant: int


def _bodies(tree: ast.AST) -> list[list[ast.stmt]]:
    """Every statement list, in a fixed order."""
    out = []
    for node in ast.walk(tree):
        for name in ("body", "orelse"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                out.append(block)
    return out


def _expressions(tree: ast.AST) -> list[ast.expr]:
    """Expressions that may be replaced, outermost first: those read, except a callee, a
    keyword's value (which must stay a constant), the object an attribute is read from
    (`RS` in `RS.rand()`) and what a loop iterates over (its operands may change)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            skip.add(id(node.func))
            skip.update(id(k.value) for k in node.keywords)
        if isinstance(node, ast.Attribute):
            skip.add(id(node.value))
        if isinstance(node, ast.For):
            skip.add(id(node.iter))
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]  # not the module's constants
    return [node for function in functions for node in ast.walk(function)
            if isinstance(node, ast.expr) and id(node) not in skip
            and not isinstance(getattr(node, "ctx", ast.Load()), (ast.Store, ast.Del))]


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.Call):
        return [a for a in node.args if not isinstance(a, ast.Starred)]
    if isinstance(node, (ast.Attribute, ast.Subscript)):
        return [node.value]
    return [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]


def _function(tree: ast.Module, name: str = "f") -> ast.FunctionDef | None:
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _literal(value: object) -> str:
    if np.ndim(value) == 0:
        return repr(float(value))
    return f"np.array({np.asarray(value).tolist()!r})"


def _sites(tree: ast.Module, args: tuple) -> list[Site]:
    sites = []
    for i, block in enumerate(_bodies(tree)):
        sites += [Site("delete", i, j) for j in range(len(block))]
        sites += [Site("unwrap", i, j) for j, s in enumerate(block) if isinstance(s, (ast.If, ast.For, ast.While))]
        sites += [Site("else", i, j) for j, s in enumerate(block) if isinstance(s, ast.If) and s.orelse]
    f = _function(tree)
    if f is not None and len(f.args.args) > 1:
        sites += [Site("argument", 0, j) for j in range(len(f.args.args))]
    for i, node in enumerate(_expressions(tree)):
        sites += [Site("operand", i, j) for j in range(len(_operands(node)))]
        if not isinstance(node, ast.Constant):
            sites.append(Site("constant", i, 0))
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            sites += [Site("lower", i, j) for j in range(2) if node.value > j + 1]
    return sites


def _first_value(loop: ast.For) -> ast.stmt | None:
    """`target = first value` for a loop over `range(...)`, to keep its body meaningful."""
    it = loop.iter
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" and it.args:
        start = it.args[0] if len(it.args) > 1 else ast.Constant(0)
        return ast.Assign([copy.deepcopy(loop.target)], copy.deepcopy(start), lineno=loop.lineno)
    return None


def _number(node: ast.expr) -> bool:
    """A literal number, signed or not."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant)


def oddities(tree: ast.Module) -> int:
    """How far a program is from reading as one: names read that nothing binds, literal
    numbers indexed, called or measured, float indices, comparisons of literals. A
    candidate may not have more than the program it comes from (a shrunk branch never
    taken would otherwise fill with such text, which Python never runs but the compiler
    reads; the generator writes a few itself, such as `if 3 <= 0.5:`)."""
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
            bound.update(a.arg for a in node.args.args)
            bound.add(getattr(node, "name", ""))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    count = 0
    for node in ast.walk(tree):
        count += isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound
        count += isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.value, ast.Constant)
        count += isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
            and isinstance(node.slice.value, float)
        count += isinstance(node, ast.Compare) and all(_number(e) for e in [node.left, *node.comparators])
        count += isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" \
            and any(isinstance(a, ast.Constant) for a in node.args)
    return count


def _apply(tree: ast.Module, args: tuple, site: Site) -> Candidate | None:
    """The program and arguments with the change at `site` made (on a copy)."""
    tree = copy.deepcopy(tree)
    if site.kind in ("delete", "unwrap", "else"):
        block = _bodies(tree)[site.index]
        stmt = block[site.variant]
        if site.kind == "delete":
            if isinstance(stmt, ast.FunctionDef) and stmt.name == "f":
                return None
            replacement: list[ast.stmt] = []
        elif site.kind == "else":
            replacement = stmt.orelse
        elif isinstance(stmt, ast.For):
            first = _first_value(stmt)
            if first is None:
                return None
            replacement = [first] + stmt.body
        else:
            replacement = stmt.body
        block[site.variant:site.variant + 1] = replacement
        if not block:
            block.append(ast.Pass())
    elif site.kind == "argument":
        f = _function(tree)
        param = f.args.args.pop(site.variant)
        f.body.insert(0, ast.parse(f"{param.arg} = {_literal(args[site.variant])}").body[0])
        args = args[:site.variant] + args[site.variant + 1:]
    else:
        node = _expressions(tree)[site.index]
        if site.kind == "operand":
            new = copy.deepcopy(_operands(node)[site.variant])
        elif site.kind == "constant":
            new = ast.Constant(0.5)
        else:
            new = ast.Constant(1 if site.variant == 0 else node.value - 1)
        if not _replace(tree, node, new):
            return None
    try:
        return ast.unparse(ast.fix_missing_locations(tree)) + "\n", args
    except (AttributeError, TypeError, ValueError):
        return None


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> bool:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return True
            if isinstance(value, list) and any(v is old for v in value):
                value[[i for i, v in enumerate(value) if v is old][0]] = new
                return True
    return False


def shrink(source: str, args: tuple, fails: Callable[[str, tuple], bool], budget: float) -> tuple[str, tuple, int]:
    """The smallest program found (and its arguments) for which `fails` still holds,
    within `budget` seconds; also how many candidates were tried."""
    end = time.monotonic() + budget
    source = ast.unparse(ast.parse(source)) + "\n"
    tried, progress = 0, True
    while progress and time.monotonic() < end:
        progress, position = False, 0
        while time.monotonic() < end:
            tree = ast.parse(source)
            sites = _sites(tree, args)
            if position >= len(sites):
                break
            candidate = _apply(tree, args, sites[position])
            position += 1
            if candidate is None or candidate[0] == source or oddities(ast.parse(candidate[0])) > oddities(tree):
                continue
            tried += 1
            if fails(*candidate):
                source, args = candidate
                progress = True
                position -= 1
    return source, args, tried


def _args_text(args: tuple) -> str:
    return "(" + "".join(_literal(a) + ", " for a in args) + ")"


def reproduction(source: str, args: tuple, check: str, check_seed: int, klass: str, detail: str,
                 origin: str) -> str:
    """A runnable file: the program, then the check (the text of `checks`) run on it."""
    names = [a.arg for a in _function(ast.parse(source)).args.args]
    inputs = ", ".join(f"{n} = {_literal(a)}" for n, a in zip(names, args))
    header = [
        f"# {origin}",
        f"# failure: {klass}",
        f"# check:   {check} (tangents and cotangents drawn with seed {check_seed})",
        f"# detail:  {detail[:300]}",
        f"# inputs:  {inputs}",
        "# Run it: `python <this file>` prints the failure (exit status 1) or says it passed.",
    ]
    harness = inspect.getsource(checks)
    main = [
        'if __name__ == "__main__":',
        "    import sys",
        "",
        f"    sys.exit(reproduce({check!r}, f, {_args_text(args)}, {check_seed}))",
    ]
    return "\n".join(header) + "\n" + source + "\n\n# --- the check (tests/fuzz/checks.py) ---\n\n" + harness + "\n\n" + "\n".join(main) + "\n"
