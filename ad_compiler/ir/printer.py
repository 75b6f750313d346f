"""The IR's text form: stable (same IR, same text), compact, and readable.

    def f(a, b):
        %t = mul(%a, %b)                           # line 2
        %y = np.sum(%t, axis=0)                    # line 3
        return %y

Names are given at print time from the values' name hints; a hint used twice gets a
version suffix (`x`, `x.1`, ...), a value without a hint a number (`%0`, `%1`, ...).
Kinds, when known, follow the name after a colon (`%a: float`).
"""

from __future__ import annotations

from typing import Any, Callable

from .externals import External
from .types import Array, ListKind, Scalar, SliceKind, TupleKind
from .core import Const, Function, Op, Operand, Region, Value

_COMMENT_COLUMN = 48


class ValueNames:
    """The printed names of values (`x`, `x.1`, `%0`): shared by everything that shows IR
    (the printer, the verifier's listing, the graph), so they all say the same names."""

    def __init__(self, hint: Callable[[Value], str] = lambda v: v.name) -> None:
        self.hint = hint
        self.names: dict[Value, str] = {}
        self.used: set[str] = set()
        self.anonymous = 0

    def define(self, value: Value) -> str:
        if value in self.names:
            return self.names[value]
        hint = self.hint(value)
        if hint:
            name, n = hint, 0
            while name in self.used:
                n += 1
                name = f"{hint}.{n}"
        else:
            name = str(self.anonymous)
            self.anonymous += 1
            while name in self.used:
                name = str(self.anonymous)
                self.anonymous += 1
        self.used.add(name)
        self.names[value] = name
        return name

    def ref(self, operand: Operand) -> str:
        if isinstance(operand, Const):
            return format_const(operand.value)
        if operand not in self.names:
            return f"%<undefined {operand.name or '?'}>"
        return "%" + self.names[operand]


def format_const(value: Any) -> str:
    """Constants print as Python literals; other objects by type, id-free."""
    if value is None or isinstance(value, (bool, int, float, complex, str)):
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(format_const(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, slice):
        parts = ["" if p is None else format_const(p) for p in (value.start, value.stop, value.step)]
        return ":".join(parts[:2] if value.step is None else parts)
    if value is Ellipsis:
        return "..."
    if isinstance(value, External):
        return value.dotted
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, (Scalar, Array, TupleKind, ListKind, SliceKind)):
        return str(value)
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"<{type(value).__name__} shape={tuple(shape)}>"
    return f"<{type(value).__name__}>"


def _typed(names: ValueNames, value: Value) -> str:
    text = "%" + names.define(value)
    return f"{text}: {value.kind}" if value.kind is not None else text


def _format_op(names: ValueNames, op: Op, indent: str, lines: list[str]) -> None:
    args = [names.ref(x) for x in op.inputs]
    args += [f"{k}={format_const(v)}" for k, v in sorted(op.attrs.items())]
    call = f"{op.prim}({', '.join(args)})"
    if op.results:
        results = ", ".join(_typed(names, r) for r in op.results)
        text = f"{indent}{results} = {call}"
    else:
        text = f"{indent}{call}"
    if op.regions:
        text += ":"
    if op.loc is not None:
        text = f"{text.ljust(_COMMENT_COLUMN)}  # line {op.loc.line}"
    lines.append(text)
    for i, region in enumerate(op.regions):
        params = ", ".join(_typed(names, a) for a in region.args)
        lines.append(f"{indent}  region {i} ({params}):")
        _format_region(names, region, indent + "    ", lines, "yield")


def _format_region(names: ValueNames, region: Region, indent: str, lines: list[str], end: str) -> None:
    for op in region.ops:
        _format_op(names, op, indent, lines)
    lines.append(f"{indent}{end} " + ", ".join(names.ref(y) for y in region.yields))


def format_function(fn: Function) -> str:
    """The text form of a whole function."""
    names = ValueNames(fn.hint)
    params = ", ".join(_typed(names, p) for p in fn.params)
    lines = [f"def {fn.name}({params}):"]
    _format_region(names, fn.body, "    ", lines, "return")
    return "\n".join(lines) + "\n"
