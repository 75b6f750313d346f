"""The IR verifier: checks the invariants every stage relies on (DESIGN §3, STYLE item 5).

Tests run it after every pass, so a pass that breaks SSA fails at the pass, not three
stages later in codegen. Checked: operands are Values or Consts and visible where used (a
param, an argument of an enclosing region, or a result of an earlier op of the same or an
enclosing region); no value is defined twice; results and region arguments are Values;
prims are non-empty strings and attr keys strings; the control-flow ops have the region
structure the later stages assume; prims have the operand count their records fix (given `arity`, a
record lookup: the IR knows no prims but its control flow); the body returns
something. The error names the fault and shows the printed IR with the faulty line marked
`>>`. The listing is rendered here rather than by `format_function` so that even IR too
broken for the printer (a Const as a result, say) can be shown.
"""

from __future__ import annotations

from typing import Any, Callable

from .core import Const, Function, Op, Region, Value
from .printer import _COMMENT_COLUMN, ValueNames, _typed, format_const
from .prims import LOOP_HEAD

# Where a fault is: ("def", fn), ("op", op), ("args", region) or ("yield", region).
_Where = tuple[str, Any]


class VerifyError(Exception):
    """Broken IR. `reason` is the one-line fault; the message adds the marked listing."""

    def __init__(self, reason: str, listing: str) -> None:
        super().__init__(f"{reason}\n{listing}")
        self.reason = reason
        self.listing = listing


class _Fault(Exception):
    def __init__(self, reason: str, where: _Where) -> None:
        self.reason, self.where = reason, where


def verify(fn: Function, arity: Callable[[str], int | None] | None = None) -> None:
    """Raise VerifyError at the first broken invariant of `fn`, in program order."""
    try:
        _Checker(arity).function(fn)
    except _Fault as fault:
        kind, at = fault.where
        loc = at.loc if kind == "op" else None
        reason = f"{fault.reason} (line {loc.line})" if loc is not None else fault.reason
        raise VerifyError(reason, _listing(fn, fault.where)) from None


def _name(v: Value) -> str:
    return "%" + (v.name or "?")


class _Checker:
    def __init__(self, arity: Callable[[str], int | None] | None) -> None:
        self.arity = arity
        self.defined: set[Value] = set()  # everything defined so far, anywhere

    def define(self, v: Any, scope: set[Value], what: str, where: _Where) -> None:
        if not isinstance(v, Value):
            raise _Fault(f"{what} is {v!r}, not a Value", where)
        if v in self.defined:
            raise _Fault(f"{_name(v)} is defined twice", where)
        self.defined.add(v)
        scope.add(v)

    def use(self, x: Any, scope: set[Value], what: str, where: _Where) -> None:
        if isinstance(x, Const):
            return
        if not isinstance(x, Value):
            raise _Fault(f"{what} is {x!r}, not a Value or Const", where)
        if x in scope:
            return
        if x in self.defined:
            raise _Fault(f"{_name(x)} used outside the region that defines it", where)
        raise _Fault(f"{_name(x)} used before it is defined", where)

    def function(self, fn: Function) -> None:
        scope: set[Value] = set()
        for i, p in enumerate(fn.params):
            self.define(p, scope, f"param {i}", ("def", fn))
        self.region(fn.body, scope)
        if not fn.body.yields:
            raise _Fault(f"function {fn.name} returns nothing", ("yield", fn.body))

    def region(self, region: Region, outer: set[Value]) -> None:
        scope = set(outer)  # a region sees its enclosing scope; its own defs stay inside
        for i, a in enumerate(region.args):
            self.define(a, scope, f"region argument {i}", ("args", region))
        for op in region.ops:
            self.op(op, scope)
        for i, y in enumerate(region.yields):
            self.use(y, scope, f"yielded operand {i}", ("yield", region))

    def op(self, op: Op, scope: set[Value]) -> None:
        where = ("op", op)
        if not isinstance(op.prim, str) or not op.prim:
            raise _Fault(f"op has prim {op.prim!r}, not a non-empty str", where)
        for key in op.attrs:
            if not isinstance(key, str):
                raise _Fault(f"{op.prim} has attr key {key!r}, not a str", where)
        for i, x in enumerate(op.inputs):
            self.use(x, scope, f"{op.prim} input {i}", where)
        self.structure(op)
        for sub in op.regions:
            self.region(sub, scope)
        for i, r in enumerate(op.results):
            self.define(r, scope, f"{op.prim} result {i}", where)

    def structure(self, op: Op) -> None:
        """Region shapes and input counts that the later stages index into blindly."""
        p, n_in = op.prim, len(op.inputs)
        if p != "cond" and p not in LOOP_HEAD:  # (most ops: their operand count alone)
            arity = self.arity(p) if self.arity is not None else None
            if arity is not None and n_in != arity:
                raise _Fault(f"{p}: has {n_in} inputs, expected {arity}", ("op", op))
            return
        n_out, where = len(op.results), ("op", op)

        def need(ok: bool, reason: str) -> None:
            if not ok:
                raise _Fault(f"{p}: {reason}", where)

        def region(i: int, n_args: int, n_yields: int) -> None:
            r = op.regions[i]
            need(len(r.args) == n_args, f"region {i} has {len(r.args)} args, expected {n_args}")
            need(len(r.yields) == n_yields, f"region {i} yields {len(r.yields)} values, expected {n_yields}")

        if p == "cond":
            need(n_in == 1, f"has {n_in} inputs, expected 1 (the predicate)")
            need(len(op.regions) == 2, f"has {len(op.regions)} regions, expected 2")
            for i, r in enumerate(op.regions):
                need(not r.args, f"region {i} has {len(r.args)} args, expected 0")
                n = len(r.yields)
                need(n == n_out, f"region {i} yields {n} values, op has {n_out} results")
        elif p in LOOP_HEAD and p != "while":
            head = LOOP_HEAD[p]
            need(n_in >= head, f"has {n_in} inputs, expected at least {head}")
            need(len(op.regions) == 1, f"has {len(op.regions)} regions, expected 1")
            n_init = n_in - head
            need(n_out == n_init, f"has {n_init} initial values but {n_out} results")
            region(0, 1 + n_init, n_out)
        elif p == "while":
            need(len(op.regions) == 2, f"has {len(op.regions)} regions, expected 2")
            need(n_out == n_in, f"has {n_in} initial values but {n_out} results")
            region(0, n_in, 1)
            region(1, n_in, n_in)


def _listing(fn: Function, where: _Where | None) -> str:
    """The printer's text of `fn`, each line prefixed, the line at `where` with '>>'.

    Mirrors `printer.format_function` line for line, but tolerates malformed operands."""
    names = ValueNames(fn.hint)
    lines: list[str] = []

    def emit(text: str, at: _Where) -> None:
        lines.append((">> " if where == at else "   ") + text)

    def defn(v: Any) -> str:
        return _typed(names, v) if isinstance(v, Value) else f"<not a Value: {v!r}>"

    def ref(x: Any) -> str:
        return names.ref(x) if isinstance(x, (Value, Const)) else f"<not an operand: {x!r}>"

    def region(r: Region, indent: str, end: str) -> None:
        for op in r.ops:
            args = [ref(x) for x in op.inputs]
            args += [f"{k}={format_const(v)}" for k, v in sorted(op.attrs.items(), key=lambda kv: str(kv[0]))]
            results = f"{', '.join(defn(v) for v in op.results)} = " if op.results else ""
            text = f"{indent}{results}{op.prim}({', '.join(args)})" + (":" if op.regions else "")
            if op.loc is not None:
                text = f"{text.ljust(_COMMENT_COLUMN)}  # line {op.loc.line}"
            emit(text, ("op", op))
            for i, sub in enumerate(op.regions):
                emit(f"{indent}  region {i} ({', '.join(defn(a) for a in sub.args)}):", ("args", sub))
                region(sub, indent + "    ", "yield")
        emit(f"{indent}{end} " + ", ".join(ref(y) for y in r.yields), ("yield", r))

    emit(f"def {fn.name}({', '.join(defn(p) for p in fn.params)}):", ("def", fn))
    region(fn.body, "    ", "return")
    return "\n".join(lines)
