"""IR to Python source: statements built as `ast` nodes, printed by astor, commented by
source line (DESIGN §6). Codegen knows nothing of differentiation: it prints whatever
function it is given, naming values from their hints.

Naming. A value keeps its source name (`g`); a value with a derived name gets the prefix
plus its base's emitted name (`bx`, `bt1`); other values that need a variable are `t1`,
`t2`, ... in order. A name is reused once the value holding it is dead, so accumulation
reads `bc = bc + t6` rather than `bc_2 = bc_1 + t6`. A single-use value without a name
is not given a variable: its expression is inlined into its user (`g = np.sin(t1) + t3`),
as long as the statement stays short (see `plan`).

Regions. A `cond` is an `if`/`else` whose branches end by assigning the results; a loop's
carried values are one variable each (initialized before the loop, reassigned at the end
of the body), so SSA's block arguments and results disappear into plain Python.
"""

from __future__ import annotations

import ast
import builtins
import copy
import keyword
import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping

import numpy as np

from ..ir import Const, Function, Op, Operand, Region, Value, walk_ops
from ..ir.types import Array, TupleKind
from ..ir.prims import (
    BINARY_OPS, COMPARE_OPS, UNARY_OPS, carried_args, loop_inits, packed_prim,
)
from ..primitives import PRIMITIVES
from ..primitives.record import BUILTINS, MODULES
from ..runtime import HELPERS
from .inplace import InPlace
from .names_outside import Outside, outside_names
from .plan import LOOPS, Plan, plan_function
from .text import _identifier, unparse

_RESERVED = set(keyword.kwlist) | set(dir(builtins)) | set(MODULES) | set(HELPERS)
_INDENT = "    "


def _values(fn: Function) -> list[Value]:
    """Every value of a function: parameters, results and region arguments."""
    values = list(fn.params)
    for op in walk_ops(fn.body):
        values += op.results
        values += [arg for region in op.regions for arg in region.args]
    return values


_IN_PLACE = {"add": ast.Add, "sub": ast.Sub}
"""The updates a carried array nothing else reads takes in place (`acc += v`, `acc -= v`)."""


@dataclass
class Emitted:
    """The text of function `name` (`definition`) and the names of the runtime helpers it
    calls; `namespace` holds objects the text refers to by name that are not literals
    (arrays a rule bound); `outside` spells and binds what the user's function reads
    from outside itself, at call time."""

    name: str
    definition: str
    namespace: dict[str, Any] = field(default_factory=dict)
    helpers: tuple[str, ...] = ()
    outside: Outside = field(default_factory=Outside)
    helper_sources: Mapping[str, str] = field(default_factory=lambda: HELPERS)
    """The source of each helper by name, as the backend spells it (`Spelling.helpers`)."""
    backend: str = "numpy"
    """The backend whose code this is (`ad_compiler/backends`)."""

    @property
    def source(self) -> str:
        """The helpers' source, then the function's: a text that runs by itself."""
        return "\n\n".join([self.helper_sources[h] for h in self.helpers] + [self.definition])


class Spelling:
    """How a backend spells what codegen emits, where it differs from NumPy's spelling
    (`ad_compiler/backends`): the defaults here are NumPy's."""

    helpers: Mapping[str, str] = HELPERS
    """The source of each helper emitted code may call (`runtime.py`), as this backend
    writes it."""
    reserved: frozenset[str] = frozenset()
    """Names this backend's code gives a meaning of its own (`xp`): never a variable's."""
    scatters_in_place = True
    """Whether `np.add.at` may add into an array the function owns (`InPlace`); if not,
    the helper `add_at` makes a new array."""

    def call(self, emitter: "_Emitter", op: Op, args: list[ast.expr]) -> ast.expr | None:
        """The expression of `op` (its operands spelled as `args`), or None: NumPy's."""
        return None

    def store(self, emitter: "_Emitter", op: Op, at: int) -> list[str] | None:
        """The statements of an element write `setitem(y, index, v)`, or None: NumPy's,
        into the array itself where nothing can see it change (`InPlace.store`)."""
        return None

    def prelude(self, emitter: "_Emitter") -> list[str]:
        """Statements the function body starts with, asked once the body is spelled."""
        return []


NUMPY_SPELLING = Spelling()


class _Emitter(InPlace):
    def __init__(self, fn: Function, spelling: Spelling = NUMPY_SPELLING) -> None:
        self.fn = fn
        self.spelling = spelling
        self.state: dict[str, Any] = {}
        """What the spelling keeps of this function while it spells it."""
        self.plan: Plan = plan_function(fn)
        self.inlined = self.plan.inlined
        self.names: dict[Value, str] = {}
        self.holder: dict[str, Value] = {}
        self.displaced: dict[str, int] = {}  # name -> last use of values it held before
        self.pending: set[Value] = set()  # results named before they are written
        self.namespace: dict[str, Any] = {}
        self.helpers: set[str] = set()
        self.temps = 0
        self.seen: set[tuple[str, int]] = set()
        self.prenamed: dict[Value, str] = {}  # results of nested ifs that write an outer one
        self.outside = outside_names(fn, lambda n: n in _RESERVED or n in spelling.reserved or n == fn.name)
        self.read_outside = self.outside.names
        self.source_names = {_identifier(v.name) for v in _values(fn) if v.name}
        """Names of the source's variables: a temporary never takes one (`t1 = len(y)`
        beside the source's own `t1`)."""

    # -- naming -----------------------------------------------------------------------
    def _free(self, name: str, at: int) -> bool:
        if name in _RESERVED or name in self.spelling.reserved or name == self.fn.name or name in self.namespace \
                or name in self.read_outside:
            return False
        holder = self.holder.get(name)
        live = holder is not None and self.plan.last_use.get(holder, -1) > at
        return not live and self.displaced.get(name, -1) <= at

    def _hint(self, value: Value) -> str:
        """The name a value asks for: its source name, or a derived one (`b` + the name
        its base was given)."""
        if value in self.fn.derived_names:
            prefix, base = self.fn.derived_names[value]
            if base in self.names:
                return prefix + self.names[base]
        return self.fn.hint(value)

    def _define(self, value: Value, at: int, taken: Collection[str] = (), hint: str | None = None) -> str:
        """A free variable for `value`, named from its hint (or `hint`); not one of
        `taken` (the other results of the same op, which are all live together)."""
        hint = self._hint(value) if hint is None else hint
        if hint:
            base_name = _identifier(hint)
            name, n = base_name, 1
            while not self._free(name, at) or name in taken:
                name = f"{base_name}_{n}"
                n += 1
        else:
            name = ""
            while not name or not self._free(name, at) or name in taken or name in self.source_names:
                self.temps += 1
                name = f"t{self.temps}"
        return self._adopt(value, name)

    def _adopt(self, value: Value, name: str) -> str:
        """`value` lives in variable `name` from here on."""
        self.names[value] = name
        previous = self.holder.get(name)
        if previous is not None and previous is not value and previous not in self.pending:
            # the variable still holds `previous` until `value` is written: a branch's
            # result named like its operand must not let the branch overwrite that early
            last = self.plan.last_use.get(previous, -1)
            self.displaced[name] = max(self.displaced.get(name, -1), last)
        self.holder[name] = value
        return name

    # -- expressions ------------------------------------------------------------------
    def operand(self, x: Operand) -> ast.expr:
        if isinstance(x, Const):
            return self.constant(x.value, x.name)
        if x in self.outside.spelled:  # (a name read from outside, wherever its op stands)
            return copy.deepcopy(self.outside.spelled[x])
        if x in self.inlined:
            return self.expression(self.inlined[x])
        return ast.Name(self.names[x], ast.Load())

    def constant(self, value: Any, hint: str = "") -> ast.expr:
        if value is None or isinstance(value, (bool, int, float, complex, str)):
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                return ast.UnaryOp(ast.USub(), self.constant(-value))
            if isinstance(value, float) and not math.isfinite(value):  # (not `1e1000`, `(1e309-1e309)`)
                return ast.Attribute(ast.Name("np", ast.Load()), "nan" if math.isnan(value) else "inf", ast.Load())
            return ast.Constant(value)
        if isinstance(value, tuple):
            return ast.Tuple([self.constant(v) for v in value], ast.Load())
        if isinstance(value, slice):
            bounds = [self.constant(b) for b in (value.start, value.stop, value.step)]
            return ast.Call(ast.Name("slice", ast.Load()), bounds, [])
        if value is Ellipsis:
            return ast.Constant(...)
        spelled = _type_spelling(value)
        if spelled is not None:
            return spelled
        name = next((n for n, v in self.namespace.items() if v is value), None)
        if name is None:
            name = base = _identifier(hint or "const")
            n = 1
            while name in self.namespace or name in _RESERVED or name in self.spelling.reserved or \
                    name in self.holder or name in self.read_outside:
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

    def choice(self, op: Op) -> ast.expr:
        """An `if` that became an expression: `a and b`, `a or b`, or `b if a else c`."""
        pred = op.inputs[0]
        then, other = (region.yields[0] for region in op.regions)
        if other is pred or (isinstance(other, Const) and other == pred):
            return ast.BoolOp(ast.And(), [self.operand(pred), self.operand(then)])
        if then is pred:
            return ast.BoolOp(ast.Or(), [self.operand(pred), self.operand(other)])
        return ast.IfExp(self.operand(pred), self.operand(then), self.operand(other))

    def expression(self, op: Op) -> ast.expr:
        if op.prim == "cond":
            return self.choice(op)
        args = [self.operand(x) for x in op.inputs]
        spelled = self.spelling.call(self, op, args)
        if spelled is not None:
            return spelled
        prim = op.prim
        if prim in BINARY_OPS:
            return ast.BinOp(args[0], BINARY_OPS[prim](), args[1])
        if prim in UNARY_OPS:
            return ast.UnaryOp(UNARY_OPS[prim](), args[0])
        if prim in COMPARE_OPS:
            return ast.Compare(args[0], [COMPARE_OPS[prim]()], [args[1]])
        if prim == "tuple":
            return ast.Tuple(args, ast.Load())
        if prim == "list":
            return ast.List(args, ast.Load())
        if prim == "getitem":
            return ast.Subscript(args[0], self.index(op.inputs[1]), ast.Load())
        if prim == "transpose":
            return ast.Attribute(args[0], "T", ast.Load())
        if prim in _WRITTEN:
            return _WRITTEN[prim](op, args)
        keywords = [ast.keyword(k, self.constant(v)) for k, v in sorted(op.attrs.items())]
        if PRIMITIVES.get(prim).packed:
            args = [ast.Tuple(args, ast.Load())]
        prim = packed_prim(prim)  # (of one run-time sequence: the sequence itself)
        if prim == "items":
            return ast.Call(ast.Name("list", ast.Load()), args, [])
        if prim in HELPERS or prim in BUILTINS or prim in ("slice", "reversed", "range", "zip"):
            if prim in HELPERS:
                self.helpers.add(prim)
            return ast.Call(ast.Name(prim, ast.Load()), args, keywords)
        if prim in self.outside.prims:  # (`special.gammaln`: through the module defining it)
            return ast.Call(copy.deepcopy(self.outside.prims[prim]), args, keywords)
        module, *attrs = prim.split(".")
        if module in MODULES and attrs:  # `np.linalg.inv`
            func: ast.expr = ast.Name(module, ast.Load())
            for attr in attrs:
                func = ast.Attribute(func, attr, ast.Load())
            return ast.Call(func, args, keywords)
        raise ValueError(f"codegen: no Python form for prim {prim!r}")

    # -- statements -------------------------------------------------------------------
    def comment(self, op: Op) -> str:
        """`# line 3: <source>` the first time a line is met, `# line 3` after; lines of
        another file (an inlined callee) are named by file: `# model.py:3: ...`."""
        loc = op.loc
        where = f"line {loc.line}" if loc.file == self.fn.file else f"{os.path.basename(loc.file)}:{loc.line}"
        text = (self.fn.line_text(loc) or "").strip()
        if (loc.file, loc.line) in self.seen or not text:
            return f"# {where}"
        self.seen.add((loc.file, loc.line))
        return f"# {where}: {text}"

    def block(self, ops: list[Op], current: tuple[str, int] | None = None) -> list[str]:
        """The statements of a region's ops (not its yields), unindented; `current` is
        the source line already named by the enclosing header's comment."""
        lines: list[str] = []
        skip: list[Op] = []
        for op in ops:
            if op in skip or op.results and all(r in self.inlined for r in op.results) or op.prim == "external":
                continue
            if op.loc is not None and (op.loc.file, op.loc.line) != current:
                current = (op.loc.file, op.loc.line)
                lines.append(self.comment(op))
            if op.attrs.get("note") and op.prim in LOOPS:  # (what a reader must know about the loop)
                lines.append(f"# {op.attrs['note']}")
            parts = self._unpacked(op.result, ops) if op.prim == "getitem" and len(op.results) == 1 else None
            if parts:  # `a, b = tape[i]`: an entry only taken apart
                skip += parts
                at = self.plan.start[op]
                targets = ast.Tuple([ast.Name(self._define(p.result, at), ast.Store()) for p in parts], ast.Store())
                lines += unparse(ast.Assign([targets], self.expression(op))).splitlines()
                continue
            lines.extend(self.statement(op))
        return lines

    def statement(self, op: Op) -> list[str]:
        at = self.plan.start[op]
        if op.prim == "setitem":
            return self.spelling.store(self, op, at) or self.store(op, at)
        if op.prim == "push":
            return self.push(op, at)
        if op.prim == "pop":
            return self.pop(op, at)
        if op.prim == "add_at" and self.spelling.scatters_in_place and self._scatters_in_place(op, at):
            return self.scatter_add(op)
        if op.prim == "cond":
            return self.cond(op)
        if op.prim in LOOPS:
            return self.loop(op)
        if op.prim == "raise":
            return unparse(ast.Raise(self.operand(op.inputs[0]), None)).splitlines()
        if op.prim == "assert":
            message = self.operand(op.inputs[1]) if len(op.inputs) > 1 else None
            return unparse(ast.Assert(self.operand(op.inputs[0]), message)).splitlines()
        if op.prim == "call" and self.plan.uses_of(op.result) == 0:  # `print(...)`: run for its effects
            return unparse(ast.Expr(self.expression(op))).splitlines()
        if op.prim == "add" and self._accumulates(op, at):
            name = self._adopt(op.result, self.names[op.inputs[0]])
            increment = ast.AugAssign(ast.Name(name, ast.Store()), ast.Add(), self.operand(op.inputs[1]))
            return unparse(increment).splitlines()
        value = self.expression(op)
        targets = [ast.Name(self._define(r, at), ast.Store()) for r in op.results]
        target = targets[0] if len(targets) == 1 else ast.Tuple(targets, ast.Store())
        return unparse(ast.Assign([target], value)).splitlines()

    def assign(self, names: list[str], values: list[Operand], at: int | None = None) -> list[str]:
        """Assign region yields to the carried or result variables, in one parallel
        assignment (`a, b = b, a` swaps); a value already in its variable is skipped, and
        `acc = acc + v` (or `- v`) on an array nothing else reads is `acc += v`, in place."""
        pairs = [(n, v) for n, v in zip(names, values) if not (isinstance(v, Value) and self.names.get(v) == n and v not in self.inlined)]
        lines: list[str] = []
        if at is not None:
            for name, value in list(pairs):
                update = self.inlined.get(value) if isinstance(value, Value) else None
                acc = update.inputs[0] if update is not None and update.prim in _IN_PLACE else None
                others = [v for n, v in pairs if n != name]
                if acc is None or self.names.get(acc) != name or not self._writable(acc, at):
                    continue
                if any(acc in _reads_of(v, self.inlined) for v in others) or update.result.kind != acc.kind:
                    continue
                pairs.remove((name, value))
                increment = ast.AugAssign(ast.Name(name, ast.Store()), _IN_PLACE[update.prim](),
                                          self.operand(update.inputs[1]))
                lines += unparse(increment).splitlines()
        if not pairs:
            return lines
        targets = [ast.Name(n, ast.Store()) for n, _ in pairs]
        exprs = [self.operand(v) for _, v in pairs]
        if len(pairs) == 1 or _in_turn(targets, exprs):
            return lines + [line for t, e in zip(targets, exprs) for line in unparse(ast.Assign([t], e)).splitlines()]
        pair = ast.Assign([ast.Tuple(targets, ast.Store())], ast.Tuple(exprs, ast.Load()))
        return lines + unparse(pair).splitlines()

    def _carried_names(self, op: Op, carried: list[Value], inits: list[Operand]) -> list[str]:
        """One variable per carried value, named after what it holds inside the loop (a
        reverse loop carries `by` from the seed of `x`'s adjoint to the adjoint of `y`),
        free from the loop's start (an init already in a variable of that name, and dead
        after, is reused as is)."""
        names = []
        at = self.plan.start[op]
        for result, arg, init in zip(op.results, carried, inits):
            hint = self._hint(arg) or self._hint(result)
            if isinstance(init, Value) and init in self.names and init not in self.inlined:
                same = self.names[init]
                if same in names:  # one value starting two carried ones: the second is a copy
                    names.append(self._define(result, at, names, hint))
                    continue
                if _identifier(hint or same) == same and self.plan.last_use.get(init, -1) <= at:
                    names.append(self._adopt(result, same))
                    continue
            names.append(self._define(result, at, names, hint))
        return names

    def _header(self, keyword_: str, expr: ast.expr, target: ast.expr | None = None) -> str:
        text = unparse(ast.Expr(expr))  # as a statement: no parentheses around it
        if keyword_ == "for":
            names = unparse(target)
            if isinstance(target, ast.Tuple) and len(target.elts) > 1:
                names = names.strip("()")
            return f"for {names} in {text}:"
        return f"{keyword_} {text}:"

    def _indented(self, lines: list[str]) -> list[str]:
        return [_INDENT + line for line in lines] or [_INDENT + "pass"]

    def cond(self, op: Op) -> list[str]:
        names: list[str] = []
        prenamed = {r: self.prenamed.pop(r) for r in op.results if r in self.prenamed}
        for r, name in list(prenamed.items()):  # (not while the name holds a value still read: a loop's, say)
            holder = self.holder.get(name)
            if holder is not None and holder not in self.pending and \
                    self.plan.last_use.get(holder, -1) > self.plan.start[op]:
                del prenamed[r]
        for r in op.results:
            if r in prenamed and prenamed[r] not in names:
                names.append(self._adopt(r, prenamed[r]))
            else:  # (not a name a later result takes: they are assigned together)
                names.append(self._define(r, self.plan.end[op], names + list(prenamed.values())))
        self.pending.update(op.results)
        for region in op.regions:  # a nested if whose result is only passed on writes ours
            for name, y in zip(names, region.yields):
                inner = self.plan.producer.get(y) if isinstance(y, Value) else None
                if inner is not None and inner.prim == "cond" and inner in region.ops:
                    passed_on = self.plan.last_use.get(y) == self.plan.yield_at[id(region)] and not y.name
                    if passed_on and self.displaced.get(name, -1) <= self.plan.start[inner]:
                        self.prenamed[y] = name  # (not while what the name holds is still read)
        test = self._header("if", self.operand(op.inputs[0]))
        then, other = op.regions
        here = _where(op)
        lines = [test] + self._indented(self.block(then.ops, here) + self._branch_yields(names, then))
        tail = self.block(other.ops, here) + self._branch_yields(names, other)
        if tail:
            lines += ["else:"] + self._indented(tail)
        self.pending.difference_update(op.results)
        for r, name in zip(op.results, names):
            self._adopt(r, name)
        return lines

    def _branch_yields(self, names: list[str], region: Region) -> list[str]:
        """A branch's results assigned, unless it ends by raising (they are never read)."""
        if region.ops and region.ops[-1].prim == "raise":
            return []
        return self.assign(names, region.yields)

    def loop(self, op: Op) -> list[str]:
        body, inits = op.regions[-1], list(loop_inits(op))
        carried = carried_args(op, body)
        names = self._carried_names(op, carried, inits)
        self.pending.update(op.results)
        lines = self.assign(names, inits)
        if op.prim == "while":  # the test's arguments hold the names while it runs
            test_region = op.regions[0]
            for arg, name in zip(test_region.args, names):
                self._adopt(arg, name)
            pre = self.block(test_region.ops, _where(op))
            (test,) = test_region.yields
            if pre:  # a test needing statements: `while True:` and a break
                check = [self._header("if", ast.UnaryOp(ast.Not(), self.operand(test))), _INDENT + "break"]
                header, body_lines = "while True:", pre + check
            else:
                header, body_lines = self._header("while", self.operand(test)), []
        for arg, name in zip(carried, names):  # then the body's
            self._adopt(arg, name)
        if op.prim != "while":
            header, skip = self._for_header(op, body)
            body_lines = []
        ops = [o for o in body.ops if o not in skip] if op.prim != "while" else body.ops
        body_lines += self.block(ops, _where(op)) + self.assign(names, body.yields, self.plan.yield_at[id(body)])
        self.pending.difference_update(op.results)
        for r, name in zip(op.results, names):
            self._adopt(r, name)
        return lines + [header] + self._indented(body_lines)

    def _for_header(self, op: Op, body: Region) -> tuple[str, list[Op]]:
        """`for i in range(...)`, or `for x in xs` when the index only reads `xs[i]`
        from a `range(len(xs))`, or `for a, b in entries` when each entry is only taken
        apart. The reads written by the header are returned, to be skipped."""
        at = self.plan.start[op]
        index = body.args[0]
        item = self._sequence_item(op, body)
        if item is not None:
            name = self._define(item.result, at)
            iterable = self.operand(item.inputs[0])
            return self._header("for", iterable, ast.Name(name, ast.Store())), [item]
        parts = self._unpacked(index, body.ops, body.yields) if op.prim == "for_each" else None
        if parts:
            targets = [ast.Name(self._define(part.result, at), ast.Store()) for part in parts]
            target = ast.Tuple(targets, ast.Store())
            return self._header("for", self._iterable(op), target), parts
        name = self._define(index, at)
        return self._header("for", self._iterable(op), ast.Name(name, ast.Store())), []

    def _unpacked(self, item: Value, ops: list[Op], yields: list[Operand] = ()) -> list[Op] | None:
        """The reads `item[0]`, `item[1]`, ... if that is all `ops` do with `item`, a
        tuple of just that many items (an array's rows are not unpacked)."""
        if item in self.inlined or self.plan.uses_of(item) == 0 or not isinstance(item.kind, TupleKind):
            return None
        reads = [o for o in ops if item in o.inputs]
        uses = [x for o in _walk(ops) for x in o.inputs if x is item] + [y for y in yields if y is item]
        if len(uses) != self.plan.uses_of(item):
            return None
        if not reads or len(uses) != len(reads):
            return None
        if any(o.prim != "getitem" or o.inputs[0] is not item or o.result in self.inlined for o in reads):
            return None
        indices = [o.inputs[1].value if isinstance(o.inputs[1], Const) else None for o in reads]
        if sorted(indices, key=str) != list(range(len(reads))) or len(item.kind.items) != len(reads):
            return None
        return sorted(reads, key=lambda o: o.inputs[1].value)

    def _sequence_item(self, op: Op, body: Region) -> Op | None:
        if op.prim != "for_range" or not (_is_number(op.inputs[0], 0) and _is_number(op.inputs[2], 1)):
            return None
        stop = op.inputs[1]
        length = self.plan.producer.get(stop) if isinstance(stop, Value) else None
        index = body.args[0]
        reads = [o for o in body.ops if index in o.inputs]
        uses = [x for o in _walk(body.ops) for x in o.inputs if x is index] + [y for y in body.yields if y is index]
        if len(reads) != 1 or len(uses) != 1:
            return None
        read = reads[0]
        if read.prim != "getitem" or read.inputs[1] is not index or not read.result.name:
            return None  # (an item without a name came from `range`: keep the index)
        sequence = read.inputs[0]
        shape = getattr(sequence.kind, "shape", None) if isinstance(sequence, Value) else None
        whole = (length is not None and length.prim == "len" and length.inputs[0] == sequence) or (
            isinstance(stop, Const) and shape and stop.value == shape[0]
        )
        if not whole:
            return None
        return read if read.result not in self.inlined else None

    def _iterable(self, op: Op) -> ast.expr:
        if op.prim == "for_each":
            return self.operand(op.inputs[0])
        start, stop, step = op.inputs[:3]
        args = [start, stop, step]
        if _is_number(step, 1):
            args = [stop] if _is_number(start, 0) else [start, stop]
        return ast.Call(ast.Name("range", ast.Load()), [self.operand(a) for a in args], [])

    def function(self) -> Emitted:
        named: list[str] = []
        for p in self.fn.params:  # (each its own name, read or not: a parameter list has no repeats)
            named.append(self._define(p, -1, named))
        body = self.block(self.fn.body.ops)
        returned = [self.operand(y) for y in self.fn.body.yields]
        result = returned[0] if len(returned) == 1 else ast.Tuple(returned, ast.Load())
        body += unparse(ast.Return(result)).splitlines()
        body = self.spelling.prelude(self) + body  # (once the body is spelled: what it needs)
        args = ast.arguments(
            posonlyargs=[],
            args=[ast.arg(self.names[p]) for p in self.fn.params],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[self.constant(self.fn.defaults[p.name]) for p in _defaulted(self.fn)],
        )
        header = unparse(ast.FunctionDef(self.fn.name, args, [ast.Pass()], [], None)).splitlines()[:-1]
        text = "\n".join(header + self._indented(body)) + "\n"  # (a long header is wrapped)
        return Emitted(self.fn.name, text, self.namespace, tuple(sorted(self.helpers)), self.outside,
                       self.spelling.helpers)


def _call(op: Op, args: list[ast.expr]) -> ast.expr:
    """A call run as written: `callee(a, *b, k=v)`, or `receiver.method(...)`."""
    names = op.attrs.get("keywords", ())
    starred = op.attrs.get("starred", ())
    callee, rest = args[0], args[1:]
    if "method" in op.attrs:
        callee = ast.Attribute(callee, op.attrs["method"], ast.Load())
    positional = rest[: len(rest) - len(names)]
    positional = [ast.Starred(a, ast.Load()) if k in starred else a for k, a in enumerate(positional)]
    keywords = [ast.keyword(n, a) for n, a in zip(names, rest[len(rest) - len(names):])]
    return ast.Call(callee, positional, keywords)


def _fstring(op: Op, args: list[ast.expr]) -> ast.expr:
    values: list[ast.expr] = []
    formatted = iter(args)
    for part in op.attrs["parts"]:
        if isinstance(part, str):
            values.append(ast.Constant(part))
            continue
        conversion, spec = part
        spec_node = ast.JoinedStr([ast.Constant(spec)]) if spec is not None else None
        values.append(ast.FormattedValue(next(formatted), conversion, spec_node))
    return ast.JoinedStr(values)


def _floats(op: Op, args: list[ast.expr]) -> ast.expr:
    """`a.tolist() if a.dtype == np.float64 and isinstance(x, float) else a`: arrays'
    items as Python floats where every operand is float64 (`passes/floats.py`)."""
    tests: list[ast.expr] = []
    for x, arg in zip(op.inputs, args):
        if isinstance(x.kind, Array):
            float64 = ast.Attribute(ast.Name("np", ast.Load()), "float64", ast.Load())
            tests.append(ast.Compare(ast.Attribute(arg, "dtype", ast.Load()), [ast.Eq()], [float64]))
        else:
            tests.append(ast.Call(ast.Name("isinstance", ast.Load()), [arg, ast.Name("float", ast.Load())], []))
    arrays = args[:op.attrs["arrays"]]
    listed = [ast.Call(ast.Attribute(copy.deepcopy(a), "tolist", ast.Load()), [], []) for a in arrays]
    kept = [copy.deepcopy(a) for a in arrays]
    test = tests[0] if len(tests) == 1 else ast.BoolOp(ast.And(), tests)
    if len(arrays) == 1:
        return ast.IfExp(test, listed[0], kept[0])
    return ast.IfExp(test, ast.Tuple(listed, ast.Load()), ast.Tuple(kept, ast.Load()))


_WRITTEN: dict[str, Callable[[Op, list[ast.expr]], ast.expr]] = {
    "call": _call,
    "floats": _floats,
    "getattr": lambda op, args: ast.Attribute(args[0], op.attrs["name"], ast.Load()),
    "fstring": _fstring,
    "stop_gradient": lambda op, args: args[0],
}
"""Prims written as the user wrote them (and `stop_gradient`, which is its operand)."""


def _defaulted(fn: Function) -> list[Value]:
    """The parameters whose defaults the emitted function keeps: the trailing ones that
    have one (a VJP's cotangent after a defaulted parameter has none, and Python's
    defaults go to the last parameters)."""
    params = list(fn.params)
    while params and params[-1].name in fn.defaults:
        params.pop()
    return fn.params[len(params):]


def _reads_of(x: Operand, inlined: dict[Value, Op]) -> set[Value]:
    """The values an operand's written expression reads (through inlined ops)."""
    if not isinstance(x, Value):
        return set()
    op = inlined.get(x)
    if op is None:
        return {x}
    return set().union(*(_reads_of(y, inlined) for y in op.inputs)) if op.inputs else set()


def _where(op: Op) -> tuple[str, int] | None:
    return (op.loc.file, op.loc.line) if op.loc is not None else None


def _walk(ops: list[Op]):
    for op in ops:
        yield op
        for region in op.regions:
            yield from _walk(region.ops)


def _is_none(x: Operand) -> bool:
    return isinstance(x, Const) and x.value is None


def _is_number(x: Operand, number: int) -> bool:
    return isinstance(x, Const) and x.value == number and not isinstance(x.value, bool)


def _index_constant(value: Any, constant: Callable[[Any], ast.expr]) -> ast.expr:
    if isinstance(value, slice):
        bounds = [None if b is None else constant(b) for b in (value.start, value.stop, value.step)]
        return ast.Slice(*bounds)
    if isinstance(value, tuple):
        return ast.Tuple([_index_constant(v, constant) for v in value], ast.Load())
    return constant(value)


def emit(fn: Function, spelling: Spelling = NUMPY_SPELLING) -> Emitted:
    """The Python source of `fn`, spelled by a backend's `spelling` (NumPy's by default)."""
    return _Emitter(fn, spelling).function()


__all__ = ["Emitted", "Spelling", "emit", "unparse"]


def _in_turn(targets: list[ast.Name], exprs: list[ast.expr]) -> bool:
    """Whether assignments read best one per line: some value is more than a name (a
    swap or a rotation of names reads best as one tuple), and none reads a variable an
    earlier one of them assigns (in turn, they mean what the one assignment means)."""
    if all(isinstance(e, (ast.Name, ast.Constant)) for e in exprs):
        return False
    assigned: set[str] = set()
    for target, expr in zip(targets, exprs):
        if any(isinstance(n, ast.Name) and n.id in assigned for n in ast.walk(expr)):
            return False
        assigned.add(target.id)
    return True


def _type_spelling(value: Any) -> ast.expr | None:
    """A dtype given as a constant, as the source spells it: `float`, `np.float32`,
    `np.dtype('float32')` (None: not one of these)."""
    if any(value is t for t in (bool, int, float, complex)):
        return ast.Name(value.__name__, ast.Load())
    np_ = ast.Name("np", ast.Load())
    if isinstance(value, type) and issubclass(value, np.generic) and getattr(np, value.__name__, None) is value:
        return ast.Attribute(np_, value.__name__, ast.Load())
    if isinstance(value, np.dtype) and value.names is None:
        spelled = value.name if value.byteorder in "=|" else value.str  # ('>f8': big-endian)
        return ast.Call(ast.Attribute(np_, "dtype", ast.Load()), [ast.Constant(spelled)], [])
    return None
