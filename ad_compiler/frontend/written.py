"""Code the compiler runs as the user wrote it (mixed into the lowerer): calls of any
callable it cannot differentiate through, method calls on objects, attribute reads,
f-strings, `assert` and `raise`.

Each becomes an opaque op (`ir.prims.OPAQUE`, `ir.prims.EFFECTS`): kept in program
order, run once per call of the derivative, in its forward sweep. Such code may use any
value; what it computes has no derivative, so activity analysis refuses it on a
differentiated path, naming the callable (`ad.opaque`).
"""

from __future__ import annotations

import ast
from typing import Any

from ..ir.core import Const, Loc, Op, Operand, Value
from ..ir.prims import PURE_TESTS, draws
from .containers import DictOf, ListOf, RecordOf, TupleOf
from .resolve import CallableRef, LocalFunction, ModuleRef


class Raises(Exception):
    """An expression that surely raises, its `raise` op made: the statement ends there
    (`_block` catches it), as Python's would."""


class RunAsWritten:
    """Opaque ops for `_Lowerer` (which provides visit, _emit, _refuse, _external, ...)."""

    def _raise_now(self, exception: str, node: ast.AST, why: str) -> None:
        """What Python raises at `node` whatever the values (`exception`, source text of
        a builtin exception's call): a `raise` op, then the statement ends (`Raises`).
        Inside a part of the statement that may not run (`a if c else b`, `and`, a
        loop's test), refused, saying `why`."""
        if self.ops is not self.statement_ops:
            self._refuse(node, f"{why}, which Python raises here; write the statement so that it does not "
                         "run where it would raise (in an if statement of its own)")
        exc = ast.parse(exception, mode="eval").body
        for part in ast.walk(exc):
            ast.copy_location(part, node)
        self.ops.append(Op("raise", [self._loose(exc)], [], loc=Loc(self.src.file, node.lineno, self._col(node))))
        raise Raises()

    def _loose(self, node: ast.expr) -> Operand:
        """An operand of code run as written: a module, function or class is passed as
        the object it is (read by name at call time), tuples of them too."""
        if isinstance(node, ast.Tuple):
            items = [self._loose(item) for item in node.elts]
            return self._tuple(items, node)
        result = self._materialized(self.visit(node), node)
        if isinstance(result, LocalFunction):
            self._refuse(node, f"'{result.name}' is defined inside the function: it cannot be passed to a call "
                         "the compiler runs as written; define it at module level")
        if isinstance(result, (ModuleRef, CallableRef)):
            if result.ref is None:
                self._refuse(node, f"'{result.display}' cannot be passed here: it has no name "
                             "the emitted code can read it by")
            return self._external(result.ref, node)
        return result

    def _materialized(self, value: Any, node: ast.AST) -> Any:
        """A list or tuple known item by item, made at run time for code run as written
        (`print(xs)`): a `list` or `tuple` op of its items."""
        if isinstance(value, (ListOf, TupleOf)) or (isinstance(value, RecordOf) and value.indexable):
            items = [self._materialized(item, node) for item in value.items]
            if not all(isinstance(item, (Value, Const)) for item in items):
                self._refuse(node, "a list holding functions or modules cannot be passed to a call run as written")
            return self._emit("list" if isinstance(value, ListOf) else "tuple", items, node)
        if isinstance(value, (DictOf, RecordOf)):
            self._refuse(node, f"a {value.kind} known item by item cannot be passed to a call the compiler runs "
                         "as written; pass its items")
        return value

    def _arguments(self, node: ast.Call) -> tuple[list[Operand], dict[str, Any]]:
        """The arguments of a call run as written, as inputs and attrs: keyword names in
        `keywords` (their values are the last inputs), starred positions in `starred`."""
        inputs, starred, names = [], [], []
        for k, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                starred.append(k)
                arg = arg.value
            inputs.append(self._loose(arg))
        for kw in node.keywords:
            if kw.arg is None:
                self._refuse(kw, "calls with **kwargs are not supported; pass the arguments by name")
            names.append(kw.arg)
            inputs.append(self._loose(kw.value))
        attrs: dict[str, Any] = {}
        if names:
            attrs["keywords"] = tuple(names)
        if starred:
            attrs["starred"] = tuple(starred)
        return inputs, attrs

    def _written_call(self, callee: Operand, node: ast.Call, display: str, **attrs: Any) -> Value:
        """`callee(args...)` (or, with `method`, `callee.method(args...)`) as written."""
        inputs, more = self._arguments(node)
        op = Op("call", [callee, *inputs], [Value()], {**more, **attrs, "callee": display},
                loc=Loc(self.src.file, node.lineno, self._col(node)))
        self.ops.append(op)
        self.fresh.add(op.result)
        return op.result

    def _call_as_written(self, callee: CallableRef, node: ast.Call, **attrs: Any) -> Value:
        if callee.ref is None:
            self._refuse(node, self._uncallable(callee))
        generator = getattr(callee.fn, "__self__", None)
        methods = draws(type(generator))
        if getattr(callee.fn, "__name__", None) in methods:  # `np.random.randn`: the shapes of its draws are known
            self._guard(callee.ref, "is", callee.fn)
            known = {"type": type(generator), "method": callee.fn.__name__}
            return self._written_call(self._external(callee.ref, node.func, draws=known), node, callee.display,
                                      **attrs)
        if any(callee.fn is test for test in PURE_TESTS):  # `isinstance(x, float)`: no effects, a bool
            self._guard(callee.ref, "is", callee.fn)
            attrs["test"] = True
        return self._written_call(self._external(callee.ref, node.func), node, callee.display, **attrs)

    def _method_as_written(self, base: Operand, method: str, node: ast.Call) -> Value:
        display = f"{_describe(node.func.value)}.{method}"
        if base in self.shared.externals.values():  # an object from outside (`rs.randn`)
            return self._written_call(base, node, display, method=method)
        methods = ", ".join(f".{m}()" for m in self._differentiated_methods())
        why = f"the methods of arrays the compiler differentiates are {methods}"
        return self._written_call(base, node, display, method=method, why=why)

    def _attribute_as_written(self, base: Operand, node: ast.Attribute) -> Value:
        return self._emit("getattr", [base], node, {"name": node.attr})

    # ---- statements ----

    def visit_Expr(self, node: ast.Expr) -> None:
        """An expression statement (`print(...)`, `log.append(v)`) runs for its effects;
        a docstring or `...` is nothing."""
        if not isinstance(node.value, ast.Constant):
            self.visit(node.value)

    def visit_Assert(self, node: ast.Assert) -> None:
        test = self._loose(node.test)
        if isinstance(test, Const) and test.value:
            return  # holds whatever the arguments (`assert True`, a folded constant test)
        message = [] if node.msg is None else [self._loose(node.msg)]
        self.ops.append(Op("assert", [test, *message], [], loc=Loc(self.src.file, node.lineno, self._col(node))))

    def visit_Raise(self, node: ast.Raise) -> None:
        if node.exc is None:
            self._refuse(node, "a bare raise re-raises the exception being handled, and there is "
                         "none here; raise an exception object (raise ValueError(...))")
        if node.cause is not None:
            self._refuse(node.cause, "raise ... from ... is not supported; raise the exception alone")
        exc = self._loose(node.exc)
        self.ops.append(Op("raise", [exc], [], loc=Loc(self.src.file, node.lineno, self._col(node))))
        self.raised = True

    # ---- f-strings ----

    def visit_JoinedStr(self, node: ast.JoinedStr) -> Operand:
        """An f-string: its literal parts and formatted values as one `fstring` op, whose
        `parts` attr holds each literal and, for each value, (conversion, format spec)."""
        parts: list[Any] = []
        values: list[Operand] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(part.value)
                continue
            spec = None
            if part.format_spec is not None:
                pieces = part.format_spec.values
                if not all(isinstance(p, ast.Constant) for p in pieces):  # (at the f-string: where
                    # Python before 3.12 puts the spec)
                    self._refuse(node, "a format spec with a value in it ({x:{width}}) is not "
                                 "supported; write the spec out ({x:8})")
                spec = "".join(p.value for p in pieces)
            parts.append((part.conversion, spec))
            values.append(self._loose(part.value))
        if all(isinstance(v, Const) for v in values):  # (`f"layer{i}"` in an unrolled loop: a key)
            return Const(_format(parts, [v.value for v in values]))
        return self._emit("fstring", values, node, {"parts": tuple(parts)})


def _format(parts: list[Any], values: list[Any]) -> str:
    """An f-string's text from its parts (as `visit_JoinedStr` keeps them) and values."""
    out, queue = [], iter(values)
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        conversion, spec = part
        value = next(queue)
        value = {115: str, 114: repr, 97: ascii}.get(conversion, lambda v: v)(value)
        out.append(format(value, spec or ""))
    return "".join(out)


def _describe(node: ast.expr) -> str:
    """A short spelling of the object a method is called on, for messages."""
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001
        return "object"
