"""IR to Python source: statements built as `ast` nodes, printed by astor, commented by
source line (DESIGN §6). Codegen knows nothing of differentiation: it prints whatever
function it is given, naming values from their hints.

Naming. A value keeps its source name (`g`); a value with a derived name gets the prefix
plus its base's emitted name (`bx`, `bt1`); other values that need a variable are `t1`,
`t2`, ... in order. A name is reused once the value holding it is dead, so accumulation
reads `bc = bc + t6` rather than `bc_2 = bc_1 + t6`. A single-use value without a name,
used on the same source line, is not given a variable: its expression is inlined into
its user (`g = np.sin(t1) + t3`), as long as the statement stays short.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ir import Const, Function, Op, Operand, Value
from ..ir.prims import ALLOCATIONS, BINARY_OPS, BUILTINS, COMPARE_OPS, MODULES, UNARY_OPS
from ..runtime import HELPERS

_MAX_OPS_PER_STATEMENT = 5
"""A single-use temporary is inlined into its user while the statement stays this small."""
_MAX_LINE = 92
"""Statements longer than this are wrapped by astor (before the body's indentation)."""
_RESERVED = set(keyword.kwlist) | set(dir(builtins)) | set(MODULES) | set(HELPERS)


@dataclass
class Emitted:
    """Source text defining `name` (and the helpers it uses); `namespace` holds objects
    the text refers to by name that are not literals (module-level arrays)."""

    name: str
    source: str
    namespace: dict[str, Any] = field(default_factory=dict)


def unparse(node: ast.AST) -> str:
    """The one place astor is called. astor 0.8 warns about `ast.Num` on Python 3.12+
    and cannot run where it is gone; its warnings stay here and `ast.unparse` steps in
    where it fails (DESIGN §6)."""
    try:
        import astor
        from astor.source_repr import split_lines

        def pretty(source: list[str]) -> str:
            return "".join(split_lines(source, maxline=_MAX_LINE))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return astor.to_source(node, pretty_source=pretty).rstrip("\n")
    except Exception:  # noqa: BLE001 - any astor failure falls back to the stdlib
        return ast.unparse(node)


def _identifier(hint: str) -> str:
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in hint)
    return text if text and not text[0].isdigit() else f"v_{text}"


class _Emitter:
    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self.names: dict[Value, str] = {}
        self.holder: dict[str, Value] = {}
        self.last_use: dict[Value, int] = {}
        self.inlined: dict[Value, Op] = {}
        self.producer: dict[Value, Op] = {}
        self.viewers: dict[Value, list[Value]] = {}
        self.namespace: dict[str, Any] = {}
        self.helpers: set[str] = set()
        self.temps = 0

    # -- analysis -------------------------------------------------------------------
    def _plan(self, ops: list[Op]) -> None:
        """Choose which values are inlined and when each named value is last read."""
        users: dict[Value, list[int]] = {}
        for i, op in enumerate(ops):
            for x in op.inputs:
                if isinstance(x, Value):
                    users.setdefault(x, []).append(i)
        returned = [y for y in self.fn.body.yields if isinstance(y, Value)]
        producer = {r: i for i, op in enumerate(ops) for r in op.results}
        self.producer = {r: op for op in ops for r in op.results}
        for op in ops:
            if op.prim in _VIEWS:
                for x in op.inputs:
                    if isinstance(x, Value):
                        self.viewers.setdefault(x, []).extend(op.results)
        size = [1] * len(ops)  # how many ops each statement's expression holds
        for j, user in enumerate(ops):
            for k, x in enumerate(user.inputs):
                if user.prim == "setitem" and k == 0:
                    continue  # the array written into is a variable
                i = producer.get(x) if isinstance(x, Value) else None
                if i is None or x in returned or len(users[x]) != 1 or self._named(x):
                    continue
                op = ops[i]
                fits = size[j] + size[i] <= _MAX_OPS_PER_STATEMENT
                statement = op.regions or op.prim == "setitem"  # never an expression
                if fits and len(op.results) == 1 and not statement and _same_line(op, user):
                    self.inlined[x] = op
                    size[j] += size[i]
        for value in returned:
            i = producer.get(value)
            single = returned.count(value) == 1 and value not in users
            if i is not None and single and not self._named(value) and ops[i].prim == "tuple":
                self.inlined[value] = ops[i]
        position = list(range(len(ops)))
        for i in reversed(range(len(ops))):
            for r in ops[i].results:
                if r in self.inlined:
                    position[i] = position[users[r][0]] if r in users else len(ops)
        for i, op in enumerate(ops):
            for x in op.inputs:
                if isinstance(x, Value):
                    self.last_use[x] = max(self.last_use.get(x, -1), position[i])
        for y in returned:
            self.last_use[y] = len(ops)

    def _named(self, value: Value) -> bool:
        return bool(value.name) or value in self.fn.derived_names

    # -- naming -----------------------------------------------------------------------
    def _free(self, name: str, at: int) -> bool:
        if name in _RESERVED or name == self.fn.name or name in self.namespace:
            return False
        holder = self.holder.get(name)
        return holder is None or self.last_use.get(holder, -1) <= at

    def _define(self, value: Value, at: int) -> str:
        hint = value.name
        if value in self.fn.derived_names:
            prefix, base = self.fn.derived_names[value]
            if base in self.names:
                hint = prefix + self.names[base]
        if hint:
            base_name = _identifier(hint)
            name, n = base_name, 1
            while not self._free(name, at):
                name = f"{base_name}_{n}"
                n += 1
        else:
            name = ""
            while not name or not self._free(name, at):
                self.temps += 1
                name = f"t{self.temps}"
        self.names[value] = name
        self.holder[name] = value
        return name

    # -- expressions ------------------------------------------------------------------
    def operand(self, x: Operand) -> ast.expr:
        if isinstance(x, Const):
            return self.constant(x.value, x.name)
        if x in self.inlined:
            return self.expression(self.inlined[x])
        return ast.Name(self.names[x], ast.Load())

    def constant(self, value: Any, hint: str = "") -> ast.expr:
        if value is None or isinstance(value, (bool, int, float, complex, str)):
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                return ast.UnaryOp(ast.USub(), ast.Constant(-value))
            return ast.Constant(value)
        if isinstance(value, tuple):
            return ast.Tuple([self.constant(v) for v in value], ast.Load())
        if isinstance(value, slice):
            bounds = [self.constant(b) for b in (value.start, value.stop, value.step)]
            return ast.Call(ast.Name("slice", ast.Load()), bounds, [])
        if value is Ellipsis:
            return ast.Constant(...)
        name = next((n for n, v in self.namespace.items() if v is value), None)
        if name is None:
            name = base = _identifier(hint or "const")
            n = 1
            while name in self.namespace or name in _RESERVED or name in self.holder:
                name = f"{base}_{n}"
                n += 1
            self.namespace[name] = value
        return ast.Name(name, ast.Load())

    def index(self, x: Operand) -> ast.expr:
        """An operand in index position, where slices are written `a:b` and tuples bare."""
        if isinstance(x, Const):
            return _index_constant(x.value, self.constant)
        op = self.inlined.get(x)
        if op is not None and op.prim == "tuple":
            return ast.Tuple([self.index(item) for item in op.inputs], ast.Load())
        if op is not None and op.prim == "slice":
            return ast.Slice(*(None if _is_none(b) else self.operand(b) for b in op.inputs))
        return self.operand(x)

    def expression(self, op: Op) -> ast.expr:
        args = [self.operand(x) for x in op.inputs]
        prim = op.prim
        if prim in BINARY_OPS:
            return ast.BinOp(args[0], BINARY_OPS[prim](), args[1])
        if prim in UNARY_OPS:
            return ast.UnaryOp(UNARY_OPS[prim](), args[0])
        if prim in COMPARE_OPS:
            return ast.Compare(args[0], [COMPARE_OPS[prim]()], [args[1]])
        if prim == "tuple":
            return ast.Tuple(args, ast.Load())
        if prim == "getitem":
            return ast.Subscript(args[0], self.index(op.inputs[1]), ast.Load())
        if prim == "slice":
            return ast.Call(ast.Name("slice", ast.Load()), args, [])
        if prim == "transpose":
            return ast.Attribute(args[0], "T", ast.Load())
        keywords = [ast.keyword(k, self.constant(v)) for k, v in sorted(op.attrs.items())]
        if prim in HELPERS or prim in BUILTINS:
            if prim in HELPERS:
                self.helpers.add(prim)
            return ast.Call(ast.Name(prim, ast.Load()), args, keywords)
        module, _, attr = prim.partition(".")
        if module in MODULES and attr:
            func = ast.Attribute(ast.Name(module, ast.Load()), attr, ast.Load())
            return ast.Call(func, args, keywords)
        raise ValueError(f"codegen: no Python form for prim {prim!r}")

    # -- statements -------------------------------------------------------------------
    def comment(self, op: Op, seen: set[tuple[str, int]]) -> str:
        """`# line 3: <source>` the first time a line is met, `# line 3` after; lines of
        another file (an inlined callee) are named by file: `# model.py:3: ...`."""
        loc = op.loc
        where = f"line {loc.line}" if loc.file == self.fn.file else f"{os.path.basename(loc.file)}:{loc.line}"
        text = (self.fn.line_text(loc) or "").strip()
        if (loc.file, loc.line) in seen or not text:
            return f"# {where}"
        seen.add((loc.file, loc.line))
        return f"# {where}: {text}"

    def body(self) -> list[str]:
        ops = self.fn.body.ops
        if any(op.regions for op in ops):
            raise ValueError("codegen: regions are not supported yet")
        self._plan(ops)
        for p in self.fn.params:
            self._define(p, -1)
        lines: list[str] = []
        current, seen = None, set()
        for i, op in enumerate(ops):
            if op.results and all(r in self.inlined for r in op.results):
                continue
            if op.loc is not None and (op.loc.file, op.loc.line) != current:
                current = (op.loc.file, op.loc.line)
                lines.append(self.comment(op, seen))
            if op.prim == "setitem":
                lines.extend(self.store(op, i))
                continue
            value = self.expression(op)
            targets = [ast.Name(self._define(r, i), ast.Store()) for r in op.results]
            target = targets[0] if len(targets) == 1 else ast.Tuple(targets, ast.Store())
            lines.extend(unparse(ast.Assign([target], value)).splitlines())
        returned = [self.operand(y) for y in self.fn.body.yields]
        result = returned[0] if len(returned) == 1 else ast.Tuple(returned, ast.Load())
        lines.extend(unparse(ast.Return(result)).splitlines())
        return lines

    def store(self, op: Op, at: int) -> list[str]:
        """`y2 = setitem(y1, i, v)` as `y[i] = v` on y1's array where nothing can see it
        change (a fresh array of this function, dead afterwards, no live views), else on
        a copy: inputs are never modified."""
        array, index, value = op.inputs
        target = ast.Subscript(None, self.index(index), ast.Store())
        increment = self._increment(array, index, value)
        item = self.operand(value if increment is None else increment)
        statements: list[ast.stmt] = []
        if self._writable(array, at):
            name = self.names[array]
            self.names[op.result] = name
            self.holder[name] = op.result
        else:
            name = self._define(op.result, at)
            copy = ast.Call(ast.Attribute(self.operand(array), "copy", ast.Load()), [], [])
            statements.append(ast.Assign([ast.Name(name, ast.Store())], copy))
        target.value = ast.Name(name, ast.Load())
        if increment is None:
            statements.append(ast.Assign([target], item))
        else:
            statements.append(ast.AugAssign(target, ast.Add(), item))
        return [line for s in statements for line in unparse(s).splitlines()]

    def _increment(self, array: Operand, index: Operand, value: Operand) -> Operand | None:
        """`v` if `value` is `array[index] + v` computed just for this store: the store is
        then written `array[index] += v`."""
        add = self.inlined.get(value)
        if add is None or add.prim != "add":
            return None
        read = self.inlined.get(add.inputs[0])
        if read is None or read.prim != "getitem" or read.inputs[0] is not array:
            return None
        return add.inputs[1] if read.inputs[1] == index else None

    def _writable(self, array: Operand, at: int) -> bool:
        if not isinstance(array, Value) or array not in self.names:
            return False
        producer = self.producer.get(array)
        if producer is None or not _makes_fresh_array(producer.prim):
            return False
        return all(self.last_use.get(v, -1) <= at for v in self._aliases(array))

    def _aliases(self, array: Value) -> set[Value]:
        """`array` and every value that may share its memory (views, transitively)."""
        found, todo = {array}, [array]
        while todo:
            for viewer in self.viewers.get(todo.pop(), []):
                if viewer not in found:
                    found.add(viewer)
                    todo.append(viewer)
        return found

    def function(self) -> Emitted:
        body = self.body()
        args = ast.arguments(
            posonlyargs=[],
            args=[ast.arg(self.names[p]) for p in self.fn.params],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[self.constant(self.fn.defaults[p.name]) for p in self.fn.params if p.name in self.fn.defaults],
        )
        header = unparse(ast.FunctionDef(self.fn.name, args, [ast.Pass()], [], None)).splitlines()[0]
        text = "\n".join([header] + ["    " + line for line in body]) + "\n"
        helpers = [HELPERS[h] for h in sorted(self.helpers)]
        return Emitted(self.fn.name, "\n\n".join(helpers + [text]), self.namespace)


_VIEWS = {
    "getitem", "transpose", "tuple", "np.transpose", "np.reshape", "np.ravel", "np.squeeze",
    "np.expand_dims", "np.broadcast_to", "np.atleast_1d", "np.atleast_2d", "np.asarray",
}
"""Prims whose result may share memory with an operand (or, for `tuple`, hold it)."""

_FRESH = ALLOCATIONS | {"setitem", "np.outer", "np.dot", "np.matmul"}


def _makes_fresh_array(prim: str) -> bool:
    """Prims whose array result is new memory this function owns."""
    if prim in _FRESH or prim in BINARY_OPS or prim in UNARY_OPS:
        return True
    module, _, name = prim.partition(".")
    return module == "np" and isinstance(getattr(np, name, None), np.ufunc)


def _is_none(x: Operand) -> bool:
    return isinstance(x, Const) and x.value is None


def _index_constant(value: Any, constant) -> ast.expr:
    if isinstance(value, slice):
        bounds = [None if b is None else constant(b) for b in (value.start, value.stop, value.step)]
        return ast.Slice(*bounds)
    if isinstance(value, tuple):
        return ast.Tuple([_index_constant(v, constant) for v in value], ast.Load())
    return constant(value)


def _same_line(a: Op, b: Op) -> bool:
    return (a.loc.line if a.loc else None) == (b.loc.line if b.loc else None)


def emit(fn: Function) -> Emitted:
    """The Python source of `fn`."""
    return _Emitter(fn).function()
