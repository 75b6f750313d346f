"""Python AST → IR for straight-line functions (DESIGN §3, §8).

The lowerer walks the function body once, keeping an environment from variable names to
IR operands; an assignment rebinds a name, so the result is SSA by construction. A name
from outside the function is resolved, or read at call time, as `free.py` says; code
that cannot be differentiated runs as written (`written.py`). Ops on constants are folded
as they are made, so that parameters bound with `static=` (the `axis` of a derivative
rule) select code at compile time: `if axis is None:` keeps only the branch taken. What
cannot be lowered is refused with a located `CompileError`.
"""

from __future__ import annotations

import ast
import inspect
import numbers
import types

import numpy as np
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, NoReturn


from ..errors import CompileError, NoDerivativeError, UnsupportedError
from ..ir import prims
from ..ir.clone import clone_function, inline, substitute
from ..ir.core import Const, Function, Loc, Op, Operand, Region, Value, walk_ops
from ..ir.verify import verify
from ..primitives import PRIMITIVES, is_compile_time, run_time_form
from ..primitives.joining import index_trick
from ..ir.externals import External
from ..ir.trees import LEAF, TreeDef
from . import exits, probes
from .probes import ShapesNeeded
from .callables import UserFunction, is_callable_object
from .containers import (
    CONTAINERS, DictOf, ListOf, Parameters, RecordOf, TupleOf, describe_structure, is_container, reaches,
)
from .lists import CONTAINER_BUILTINS, OPERANDS, ContainerCode
from .control import ControlFlow
from .environment import is_library
from .free import FreeNames
from .runlists import RunListCode
from .resolve import (
    CallableRef, Frozen, LocalFunction, ModuleRef, Resolved, describe, fold, to_compile_time,
)
from .source import FunctionSource, get_source
from .views import check_views
from .written import Raises, RunAsWritten

_BINARY = {cls: name for name, cls in prims.BINARY_OPS.items()}
_COMPARE = {cls: name for name, cls in prims.COMPARE_OPS.items()}
_UNARY = {ast.USub: "neg", ast.Not: "not_"}
_SYMBOLS = {ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
            ast.Invert: "~", ast.In: "in", ast.NotIn: "not in"}
_INSTEAD = {
    ast.BitAnd: "for a condition write `and` (np.logical_and for arrays)",
    ast.BitOr: "for a condition write `or` (np.logical_or for arrays)",
    ast.BitXor: "for a condition write `!=` between the two tests",
    ast.Invert: "for a condition write `not` (np.logical_not for arrays)",
    ast.In: "compare with == and join the tests with or (x == a or x == b)",
    ast.NotIn: "compare with != and join the tests with and (x != a and x != b)",
}
"""What to write instead of an operator the compiler does not handle (else: compute it
outside the function)."""

# x.name(...) → np.name(x, ...) (the prim whose record lists the method; x.f(a, b) means
# np.f(x, (a, b)) where the record spreads its operand), x.name → the prim whose record
# lists the attribute.

DERIVATIVE_MARK = "__ad_compiler_derivative__"
"""The attribute, true on a compiled derivative, that keeps calls of it from being
inlined as the function it wraps."""
TRANSFORM_MARK = "__ad_compiler_transform__"
"""The attribute, true on the API's transforms (`grad`, `jacfwd`, ...): a call of one
inside a function makes its derivative at compile time, to be spliced where called."""
LIFTED_MARK = "__ad_compiler_lifted__"
"""The attribute of a stand-in function (`stand_in`) holding the IR of a function defined
inside another, which a transform called there differentiates."""


def stand_in(name: str, params: list[str], fn: Function) -> Callable[..., Any]:
    """A Python function of `params` standing for `fn` (a function defined inside the one
    being lowered, lifted), that the API's transforms take like any other: it is never
    run, its derivative is spliced where it is called."""
    def lifted(*args: Any) -> Any:
        raise CompileError(f"'{name}' stands for a function defined inside another; call its derivative there")

    lifted.__name__ = lifted.__qualname__ = name
    lifted.__signature__ = inspect.Signature(
        [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params])
    setattr(lifted, LIFTED_MARK, fn)
    return lifted


APPLIED_MARK = "__ad_compiler_applied__"
"""The attribute of the API's transforms that apply a derivative to values at once
(`jvp`, `hvp`): `(fun, wrt) -> (derivative, item)`. A call of one inside a function
splices the derivative's generic IR, which takes the primals then the tangents at
positions `wrt`, and returns its results (or the one at `item`)."""

_LOOPS = "write the computation with vectorized NumPy calls"
_REFUSED = {
    "AsyncFor": f"for loops are not supported yet; {_LOOPS}",
    "With": "with statements are not supported; enter the context outside the compiled function",
    "AsyncWith": "with statements are not supported; enter the context outside the compiled function",
    "Try": "try statements are not supported; handle errors outside the compiled function",
    "Global": "global statements are not supported; a compiled function assigns only its own variables",
    "Nonlocal": "nonlocal statements are not supported; a compiled function assigns only its own variables",
    "Delete": "del statements are not supported; simply stop using the variable",
    "Import": "import statements are not supported inside the function; import at module level",
    "ImportFrom": "import statements are not supported inside the function; import at module level",
    "ClassDef": "class definitions are not supported inside the function; define it at module level",
    "AsyncFunctionDef": "async functions are not supported; write a plain def",
    "Match": "match statements are not supported yet; write the cases as if/elif",
    "Starred": "starred expressions (*xs) are not supported; pass the items one by one",
    "NamedExpr": "assignment expressions (:=) are not supported; use a separate assignment",
    "Await": "await is not supported; await outside the compiled function and pass the result",
    "Yield": "generators (yield) are not supported; return the value",
    "YieldFrom": "generators (yield from) are not supported; return the value",
}


_NOTHING = object()


def _stored_names(tree: ast.AST) -> set[str]:
    """The names a function assigns (its nested functions' names, not their locals)."""
    found: set[str] = set()
    todo = list(ast.iter_child_nodes(tree))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.add(node.name)
            todo.extend(node.args.defaults)
            continue
        if isinstance(node, ast.Lambda):
            todo.extend(node.args.defaults)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return found


def _one_line(err: CompileError) -> str:
    """An error of an inlined callee, inside the message of the error at its call."""
    return f"{err.message} (at {err.file}:{err.line})" if err.line is not None else err.message


def _symbol(op: ast.AST) -> str:
    return f"'{_SYMBOLS.get(type(op), type(op).__name__)}'"


def _no_operator(op: ast.AST) -> str:
    instead = _INSTEAD.get(type(op), "compute it outside the function and pass the result")
    return f"the operator {_symbol(op)} is not supported; {instead}"


def _is_own(fn: Any) -> bool:
    """A function of the compiler's own (a derivative rule's helper), which emitted code
    never calls: what it cannot inline is an error, not a call run as written."""
    return getattr(fn, "__module__", "").startswith("ad_compiler.")


def _is_user_function(fn: Any) -> bool:
    """A Python function outside NumPy, SciPy and the standard library, or a method of
    one bound to an object: its source can be inlined. A derivative (`grad(f)`) is not:
    unwrapped, it is `f`, whose source computes something else."""
    if inspect.ismethod(fn):
        return _is_user_function(fn.__func__)
    derivative = getattr(fn, DERIVATIVE_MARK, False)
    plain = inspect.unwrap(fn)
    return (inspect.isfunction(plain) and not is_library(fn) and not derivative
            and "__class__" not in plain.__code__.co_freevars)  # (zero-argument super() needs its class cell)


RECURSION_DEPTH = 32
"""The deepest a function's calls of itself are unrolled."""

RECURSION_CALLS = 512
"""The most calls of functions inside themselves one lowering unrolls (`fib(n)` calls
itself about 1.6^n times)."""


@dataclass
class _Shared:
    """What the lowering of a function shares with the calls inlined into it."""

    ops: list[Op] = field(default_factory=list)
    lines: dict[tuple[str, int], str] = field(default_factory=dict)
    calls: list[Callable[..., Any]] = field(default_factory=list)  # being lowered, outermost first
    tuples: dict[Value, list[Operand]] = field(default_factory=dict)  # tuple ops' items
    lists: set[Value] = field(default_factory=set)  # run-time lists (`runlists`)
    pushed: set[Value] = field(default_factory=set)  # arrays held by a run-time list
    home: dict[str, Any] = field(default_factory=dict)  # the globals of the function lowered
    refs: dict[tuple, Any] = field(default_factory=dict)  # one External per free name (`free`)
    externals: dict[Any, Value] = field(default_factory=dict)  # External -> its value
    hoisted: list[Op] = field(default_factory=list)  # the `external` ops, first in the body
    guards: dict[tuple, Any] = field(default_factory=dict)  # what the IR assumes (`environment`)
    updates: list[Op] = field(default_factory=list)  # `y += v`: in place on an array (`views`)
    lowerers: list[Any] = field(default_factory=list)  # the function's and its callees' being lowered
    provisional: set[Value] = field(default_factory=set)  # a pytree's leaves, named by their path for now
    derivatives: Callable[[Any], Function] | None = None  # a compiled derivative -> its IR, to splice
    recursive_calls: int = 0  # calls of a function inside itself, unrolled so far
    probes: dict[Value, Any] | None = None  # values' probes when lowering for argument kinds (`probes`)
    signal: bool = False  # what known shapes may decide says so (`probes.ShapesNeeded`)
    shaped: set[Value] = field(default_factory=set)  # values the arguments' shapes decide (when `signal`)
    counters: set[Value] = field(default_factory=set)  # what follows the index of a loop it may unroll


def lower(fn: Callable[..., Any], static: dict[str, Any] | None = None, name: str | None = None,
          derivatives: Callable[[Any], Function] | None = None) -> Function:
    """The IR of a Python function; `static` binds parameters to constants; `derivatives`
    gives the IR of a derivative the function computes (`grad(h)(v)` in a rule), to splice."""
    src = get_source(fn)
    shared = _Shared(home=src.globals, derivatives=derivatives)
    lowered = _Lowerer(src, dict(static or {}), shared).run(name or src.name)
    check_views(lowered, frozenset(shared.updates), frozenset(shared.lists))
    return lowered


def lower_user(user: UserFunction, trees: dict[str, TreeDef] | None = None,
               derivatives: Callable[[Any], Function] | None = None, kinds: tuple | None = None,
               signal: bool = False) -> Function:
    """The IR of any callable a user hands over (`callables`): its function's, with the
    bound parameters read at call time from their objects, or a primitive's one op.
    `trees` gives the structure of parameters that are pytrees: each becomes its leaves,
    parameters of the IR in order, and the function reads it as a container of them."""
    if user.fn is None:
        params = [Value(name) for name in user.signature.parameters]
        op = Op(user.prim, list(params), [Value()], loc=Loc(f"<{user.name}>", 1, 0))
        return Function(user.name, params, Region(ops=[op], yields=[op.result]))
    lifted = getattr(user.fn, LIFTED_MARK, None)
    if lifted is not None:  # (a function defined inside another, lowered there)
        return clone_function(lifted)
    src = get_source(user.fn)
    shared = _Shared(home=src.globals, derivatives=derivatives, signal=signal)
    if kinds is not None:
        shared.probes = {}
    lowerer = _Lowerer(src, {}, shared)
    lowerer.kinds = kinds
    lowerer.bound = dict(user.bound)
    lowerer.trees = dict(trees or {})
    lowered = lowerer.run(user.name)
    if any(lowerer._is_list(y) for y in lowered.body.yields):  # (a derivative rule may return one)
        lowerer._refuse(lowerer.src.tree, "the function returns a list whose length is known only at run time; "
                        "return an array of its items (np.stack(xs)) or a tuple")
    lowered.defaults = {p.name: p.default for p in user.signature.parameters.values() if p.default is not p.empty}
    check_views(lowered, frozenset(shared.updates), frozenset(shared.lists))
    return lowered


class _Lowerer(ControlFlow, ContainerCode, RunListCode, FreeNames, RunAsWritten, ast.NodeVisitor):
    """Statements return nothing; expressions return an operand or a compile-time ref."""

    def __init__(
        self, src: FunctionSource, static: dict[str, Any], shared: _Shared | None = None
    ) -> None:
        self.src = src
        self.static = static
        self.shared = shared or _Shared()
        self.shared.lines.update({(src.file, n): text for n, text in src.lines.items()})
        self.env: dict[str, Resolved] = {}
        self.bound: dict[str, Any] = {}  # params bound to objects (`callables`), read at call time
        self.trees: dict[str, TreeDef] = {}  # params that are pytrees (`lower_user`)
        self.loop_locals: dict[str, int] = {}  # name -> line of the loop it is local to
        self.fresh: set[Value] = set()  # values made by the current statement, not yet named
        self.premade: dict[int, Resolved] = {}  # expressions visited already, by node id (`visit`)
        self.returned: Operand | None = None
        self.raised = False  # the block being lowered ended in a raise
        self.assigned = _stored_names(src.tree)
        self.enclosing: _Lowerer | None = None  # a nested function's: where its free names live
        self.kinds: tuple | None = None  # the arguments' kinds, lowering for them (`probes`)
        self.statement_ops: list[Op] | None = None  # where the statement being lowered puts its ops

    @property
    def ops(self) -> list[Op]:
        """Where emitted ops go: the function body, or the region being lowered."""
        return self.shared.ops

    def run(self, name: str) -> Function:
        tree = self.src.tree
        if not isinstance(tree, ast.FunctionDef):
            self._refuse(tree, "async functions are not supported")
        params = self._params(tree.args)
        if self.shared.probes is not None and self.kinds is not None and len(self.kinds) == len(params):
            for param, kind in zip(params, self.kinds):
                probe = probes.probe_of(kind)
                if probe is not None:
                    self.shared.probes[param] = probe
        self._lower_body()
        returned, out_tree = self.returned, None
        if is_container(returned):  # a pytree result: its leaves, put together by the API
            leaves, out_tree = self._tree_of(returned, tree)
            returned = self._emit("tuple", leaves, tree)
        return Function(
            name=name,
            params=params,
            out_tree=out_tree,
            body=Region(ops=self.shared.hoisted + self.ops, yields=[returned]),
            defaults=self._defaults(),
            file=self.src.file,
            source_lines=dict(self.shared.lines),
            guards=list(self.shared.guards.values()),
        )

    def _lower_body(self) -> Operand:
        """Lower the function's body (its params already bound); what it returns."""
        self.shared.calls.append(self.src.fn if self.enclosing is None else self.src.tree)
        self.shared.lowerers.append(self)
        try:
            self._block(self.src.tree.body)
        finally:
            self.shared.calls.pop()
            self.shared.lowerers.pop()
        if self.returned is None and self.raised:
            self.returned = Const(None)  # (it always raises)
        if self.returned is None:
            self._refuse(self.src.tree, f"'{self.src.name}' has no return statement: nothing to "
                         "differentiate; return the value to differentiate")
        return self.returned

    def inline(self, arguments: dict[str, Operand]) -> Operand:
        """Lower the body with the params bound to `arguments` (a call being inlined; those
        of `*args` and `**kwargs` a tuple and a dict known item by item)."""
        self.env.update(arguments)
        return self._lower_body()

    # ---- errors, locations, emitting ----

    def _error(
        self, node: ast.AST, message: str, kind: type[CompileError] = UnsupportedError
    ) -> CompileError:
        """The one way errors are made: located at `node`, with its source line."""
        line = node.lineno
        return kind(message, self.src.file, line, self._col(node), self.src.lines.get(line))

    def _refuse(self, node: ast.AST, message: str) -> NoReturn:
        raise self._error(node, message)

    def _col(self, node: ast.AST) -> int:
        """ast columns count UTF-8 bytes; users (and carets) count characters."""
        text = self.src.lines.get(node.lineno)
        if text is None:
            return node.col_offset
        return len(text.encode()[: node.col_offset].decode("utf-8", "ignore"))

    def _emit(
        self, prim: str, inputs: list[Operand], node: ast.AST, attrs: dict[str, Any] | None = None
    ) -> Operand:
        """Add an op, or its folded constant when all inputs are constants."""
        attrs = attrs or {}
        folded = fold(prim, inputs, attrs)
        if folded is not None:
            return folded
        known = probes.answer(prim, inputs, self.shared.probes) if self.shared.probes is not None else None
        if known is not None:
            return known  # (a shape, lowering for the arguments' kinds)
        items = self.shared.tuples.get(inputs[0]) if prim == "getitem" and inputs else None
        if items is not None and isinstance(inputs[1], Const) and isinstance(inputs[1].value, int):
            k, n = inputs[1].value, len(items)
            if not -n <= k < n:
                raise self._error(node, f"tuple index {k} is out of range: the tuple has {n} items, "
                                  f"indexed 0 to {n - 1} (or -{n} to -1)", CompileError)
            return items[k]  # an item of a tuple built here: no op needed
        op = Op(prim, list(inputs), [Value()], attrs, loc=Loc(self.src.file, node.lineno, self._col(node)))
        self.ops.append(op)
        self.fresh.add(op.result)
        self._follow(op)
        if self.shared.probes is not None:
            probes.run(op, self.shared.probes)
        return op.result

    def _follow(self, op: Op) -> None:
        """Note what the new op's result follows: the index of a loop that may be unrolled
        (`counters`), the arguments' shapes alone (`shaped`, when asked to signal)."""
        values = [x for x in op.inputs if isinstance(x, Value)]
        if self.shared.counters and any(x in self.shared.counters for x in values):
            self.shared.counters.add(op.result)
        if not self.shared.signal or op.prim in prims.EFFECTS or op.prim in prims.OPAQUE:
            return
        if PRIMITIVES.get(op.prim).shape_query and not any(self._is_list(x) for x in values):
            self.shared.shaped.add(op.result)
        elif values and all(x in self.shared.shaped for x in values):
            self.shared.shaped.add(op.result)

    def visit(self, node: ast.AST) -> Any:
        """Lower a node, or give what an earlier look at it found (`premade`: a call that
        looked at its arguments and declined them lets its fallback take them as they are)."""
        if self.premade:
            found = self.premade.pop(id(node), _NOTHING)
            if found is not _NOTHING:
                return found
        return super().visit(node)

    def _operand(self, node: ast.expr) -> Operand:
        """An expression that must be a run-time value or a constant, not a module or function."""
        return self._as_operand(self.visit(node), node)

    def _as_operand(self, result: Resolved, node: ast.AST) -> Operand:
        """`result` (of `node`), which must be a run-time value or a constant."""
        if is_container(result):
            self._refuse(node, f"{describe_structure(result, OPERANDS)} cannot be used as a number or an array "
                         "here; use its items (xs[0], for x in xs), or make an array of them: np.stack(xs)")
        if isinstance(result, ModuleRef):
            self._refuse(node, f"the module '{result.display}' cannot be used as a value; use one of its "
                         f"functions or constants ({result.display}.name)")
        if isinstance(result, (CallableRef, LocalFunction)):
            self._refuse(node, f"'{result.display}' can only be called here, not used as a value; call it "
                         f"where its result is needed: {result.display}(...)")
        if isinstance(result, Frozen):
            self._refuse(node, f"'{result.display}' can only have its methods called here ({result.display}"
                         ".logpdf(x)), not be used as a value")
        return result

    def _truth(self, const: Const, node: ast.AST) -> bool:
        try:
            return bool(const.value)
        except Exception:  # an array's truth value is ambiguous
            self._refuse(node, f"the truth value of {describe(const.value)} is ambiguous")

    def generic_visit(self, node: ast.AST) -> NoReturn:
        kind = type(node).__name__
        self._refuse(node, _REFUSED.get(kind, f"{kind} is not supported; docs/supported-python.md lists what is"))

    # ---- parameters ----

    def _params(self, args: ast.arguments) -> list[Value]:
        variadic = args.vararg is not None and isinstance(self.static.get(args.vararg.arg), Parameters)
        if (args.vararg and not variadic) or args.kwarg:
            star = args.vararg or args.kwarg
            self._refuse(star, f"variadic parameters ('{star.arg}') are not supported; name each parameter")
        for arg in args.kwonlyargs:
            if arg.arg not in self.static:
                self._refuse(arg, f"keyword-only parameters ('{arg.arg}') are not supported; make it an "
                             "ordinary parameter (drop the *)")
        positional = args.posonlyargs + args.args + ([args.vararg] if variadic else [])
        unknown = set(self.static) - {a.arg for a in positional + args.kwonlyargs}
        if unknown:
            message = f"static= names no parameter '{sorted(unknown)[0]}' of '{self.src.name}'"
            raise self._error(self.src.tree, message, CompileError)
        params = []
        for arg in positional + args.kwonlyargs:
            if arg.arg in self.trees:
                self.env[arg.arg] = self._tree_param(self.trees[arg.arg], arg.arg, params)
            elif isinstance(self.static.get(arg.arg), Parameters):  # a rule's operands as one sequence
                items = [Value(arg.arg) if entry is None else entry for entry in self.static[arg.arg].layout]
                params += [item for item, entry in zip(items, self.static[arg.arg].layout) if entry is None]
                self.env[arg.arg] = TupleOf(tuple(items))
            elif arg.arg in self.bound:
                obj = self.bound[arg.arg]
                self.env[arg.arg] = self._free(obj, self._ref(External(arg.arg, "cell", types.CellType(obj))), arg)
            elif arg.arg in self.static:
                value = self.static[arg.arg]
                if isinstance(value, Const):  # an operand of the caller's: keep its name
                    self.env[arg.arg] = value
                    continue
                resolved = to_compile_time(value, arg.arg)
                self.env[arg.arg] = Const(value) if resolved is None else resolved
            else:
                self.env[arg.arg] = Value(arg.arg)
                params.append(self.env[arg.arg])
        return params

    def _tree_param(self, tree: TreeDef, name: str, params: list[Value]) -> Any:
        """A pytree parameter as a container of new parameters, one per leaf, named after
        their keys or fields (`W`), or their path (`params_0_1`) until a variable names
        them (`for W, b in params`)."""
        if tree.is_leaf:
            leaf = Value(name)
            self.shared.provisional.add(leaf)
            params.append(leaf)
            return leaf
        if tree.node == "none":
            return Const(None)
        named = tree.node in ("dict", "dataclass", "namedtuple")
        keys = tree.keys if named else range(len(tree.children))
        items = tuple(self._tree_param(child, key if named and str(key).isidentifier() else f"{name}_{key}", params)
                      for key, child in zip(keys, tree.children))
        if tree.node == "list":
            return ListOf(items, owned=False)
        if tree.node == "tuple":
            return TupleOf(items)
        if tree.node == "dict":
            return DictOf(tree.keys, items, owned=False)
        return RecordOf(tree.cls, tree.keys, items, indexable=tree.node == "namedtuple")

    def _tree_of(self, value: Any, node: ast.AST) -> tuple[list[Operand], TreeDef]:
        """The leaves of a returned container and its structure (`ir.trees`)."""
        leaves: list[Operand] = []

        def walk(v: Any) -> TreeDef:
            if isinstance(v, Value) and v in self.shared.tuples:
                return TreeDef("tuple", None, (), tuple(walk(item) for item in self.shared.tuples[v]))
            if isinstance(v, OPERANDS):
                leaves.append(v)
                return LEAF
            if not is_container(v):
                self._refuse(node, "the function returns a function or module inside a list; return values")
            children = tuple(walk(item) for item in v.items)
            if isinstance(v, ListOf):
                return TreeDef("list", None, (), children)
            if isinstance(v, TupleOf):
                return TreeDef("tuple", None, (), children)
            if isinstance(v, DictOf):
                return TreeDef("dict", None, v.keys, children)
            return TreeDef("namedtuple" if v.indexable else "dataclass", v.cls, v.fields, children)

        return leaves, walk(value)

    def _defaults(self) -> dict[str, Any]:
        parameters = inspect.signature(self.src.fn).parameters.values()
        return {
            p.name: p.default for p in parameters if p.default is not p.empty and p.name not in self.static
        }

    # ---- statements ----

    def _block(self, stmts: list[ast.stmt]) -> None:
        """Lower statements in order, up to a return (which must end its block). A loop
        that may leave early is first rewritten with flags (`exits`)."""
        stmts = [s for stmt in stmts for s in (exits.expand(stmt) or [stmt])]
        saved = self.statement_ops  # (restored after: a block is part of a statement of the enclosing one)
        try:
            for i, stmt in enumerate(stmts):
                if isinstance(stmt, ast.Return) and i != len(stmts) - 1:
                    if isinstance(stmt.value, ast.Name) and stmt.value.id == exits.VALUE:  # (`exits` wrote it)
                        self._refuse(stmts[i + 1], "this statement follows a `while True:` loop that is left "
                                     "only by return: it can never run; delete it, or leave the loop with break")
                    self._refuse(stmts[i + 1], "this statement follows a return: it can never run; delete it")
                self.fresh = set()
                self.statement_ops = self.ops
                try:
                    if isinstance(stmt, ast.If) and any(isinstance(n, ast.Return) for n in exits.walk_own(stmt)):
                        self.visit_If(stmt, rest=stmts[i + 1:])  # the rest runs where the if did not return
                    else:
                        self.visit(stmt)
                except Raises:  # (an expression of it surely raises: its `raise` op is made)
                    self.raised = True
                if self.returned is not None or self.raised:
                    return
        finally:
            self.statement_ops = saved

    def visit_Return(self, node: ast.Return) -> None:
        """What a function returns; an inlined one may return a list or a function too."""
        if node.value is None:
            self.returned = Const(None)
            return
        value = self.visit(node.value)
        if (len(self.shared.lowerers) == 1 and not is_container(value)) or isinstance(value, ModuleRef):
            value = self._as_operand(value, node.value)
        self.returned = value

    def visit_Assign(self, node: ast.Assign) -> None:
        target, value = node.targets[0], node.value
        if (len(node.targets) == 1 and isinstance(target, (ast.Tuple, ast.List))
                and isinstance(value, (ast.Tuple, ast.List)) and len(target.elts) == len(value.elts)):
            items = [self._operand(item) for item in value.elts]  # all of the right side first: a, b = b, a
            for elt, item in zip(target.elts, items):
                self._bind(elt, item)
            return
        result = self.visit(value)
        for target in node.targets:
            self._bind(target, result)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if not isinstance(node.target, (ast.Name, ast.Subscript)):
            self._refuse(node.target, "augmented assignment to an attribute is not supported: a compiled "
                         "function assigns only its own variables; compute the new value into a variable "
                         "and return it")
        current, value = self.visit(node.target), self.visit(node.value)
        if self._is_list(current) and isinstance(node.target, ast.Name):
            self._list_augmented(node.target.id, current, value, node.op, node)
            return
        if is_container(current) and isinstance(node.target, ast.Name):  # `xs += [v]`: in place, as extend
            self._owned(node.target.id, current, node)
            self._bind(node.target, self._joined_sequences(node.op, current, value, node))
            return
        current = self._as_operand(current, node.target)
        updated = self._binary(node.op, current, self._as_operand(value, node.value), node)
        if isinstance(node.target, ast.Name) and self.ops and updated in self.ops[-1].results:
            self.shared.updates.append(self.ops[-1])  # in place on an array, in NumPy
        self._bind(node.target, updated)

    # ---- indexing ----

    def visit_Subscript(self, node: ast.Subscript) -> Resolved:
        base = self.visit(node.value)
        if is_container(base):
            return self._container_item(base, node.slice, node)
        if self._is_list(base):
            return self._list_item(base, node.slice, node)
        indexed = self._indexed_object(base)
        if indexed is not None:
            return self._object_item(base, indexed, node)
        return self._emit("getitem", [self._as_operand(base, node.value), self._index(node.slice)], node)

    def _indexed_object(self, base: Resolved) -> Any:
        """The object read from outside that `base` is, where indexing it runs its own
        `__getitem__` (not an array's, a list's, ...): `np.r_[x, y]`, a user's class."""
        ref = self._outside_ref(base) if isinstance(base, Value) else None
        if ref is None:
            return None
        try:
            obj = ref.read()
        except Exception:  # noqa: BLE001 - unreadable now: indexed as written
            return None
        if isinstance(obj, (np.ndarray, np.generic, numbers.Number, str, bytes, list, tuple, dict)) or \
                not hasattr(type(obj), "__getitem__"):
            return None
        return obj

    def _object_item(self, base: Value, obj: Any, node: ast.Subscript) -> Operand:
        """`obj[index]` of an object with its own `__getitem__`: NumPy's index tricks as the
        joins they are (`np.r_[x, y]` is np.concatenate); else its `__getitem__` run as
        written (its result has no derivative: refused where one is needed; the index is
        an argument it reads, not an index into an array)."""
        trick = index_trick(obj)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if trick is not None and not any(isinstance(p, ast.Slice) or (isinstance(p, ast.Constant) and
                                                                      isinstance(p.value, str)) for p in parts):
            call = ast.copy_location(ast.Call(node.value, list(parts), []), node)
            return self._inline_call(CallableRef(trick, ast.unparse(node.value)), call)
        display = f"{ast.unparse(node.value)}[...]"
        op = Op("call", [base, self._index(node.slice)], [Value()],
                {"method": "__getitem__", "callee": display,
                 "why": f"indexing {describe(obj)} runs its __getitem__ as written"},
                loc=Loc(self.src.file, node.lineno, self._col(node)))
        self.ops.append(op)
        self.fresh.add(op.result)
        return op.result

    def _index(self, node: ast.expr) -> Operand:
        """An index: ints (constant or run-time), slices, None, `...`, arrays, or a tuple of
        them. A constant index is one `Const`; run-time parts make `tuple` and `slice` ops."""
        if isinstance(node, ast.Tuple):
            return self._tuple([self._index_part(part) for part in node.elts], node)
        return self._index_part(node)

    def _index_part(self, node: ast.expr) -> Operand:
        if isinstance(node, ast.Slice):
            bounds = [Const(None) if b is None else self._operand(b) for b in (node.lower, node.upper, node.step)]
            if all(isinstance(b, Const) for b in bounds):
                return Const(slice(*(b.value for b in bounds)))
            return self._emit("slice", bounds, node)
        if isinstance(node, ast.List):  # `x[[0, 2]]`: NumPy's index by the array of the list
            items = [self._operand(item) for item in node.elts]
            if items and all(isinstance(i, Const) and type(i.value) in (int, bool) for i in items) and \
                    len({type(i.value) for i in items}) == 1:
                return Const(np.array([i.value for i in items]))
        if isinstance(node, (ast.List, ast.Tuple)):
            self._refuse(node, "indexing with a list or tuple display of indices other than constant ints or "
                         "bools is not supported yet; index with integers and slices, or with an array "
                         "(np.array((i, j)))")
        return self._operand(node)

    def _store_item(self, target: ast.Subscript, value: Resolved) -> None:
        """`y[i] = v` makes a new SSA value of `y` (emitted in place where that is safe)."""
        if not isinstance(target.value, ast.Name):
            self._refuse(target, "assigning to an element of an expression is not supported; "
                         "assign to an element of a variable (y[i] = ...)")
        name = target.value.id
        current = self.visit(target.value)
        if is_container(current):
            self._container_store(name, current, target.slice, value, target)
            return
        current = self._as_operand(current, target.value)
        if self._is_list(current):
            self._list_store(name, current, self._list_index(target.slice, target), value, target)
            return
        if current in self.shared.pushed:
            self._refuse(target, f"'{name}' is also an item of a list it was appended to: assigning to an element "
                         f"would change that item too (they are one array); append a copy ({name} * 1.0), or "
                         "assign before appending")
        aliases = [n for n, v in self.env.items() if v is current and n != name]
        holders = [n for lowerer in self.shared.lowerers for n, v in lowerer.env.items()
                   if is_container(v) and reaches(v, current)]
        if holders:
            self._refuse(target, f"'{name}' is also an item of the list or dict '{holders[0]}': assigning to an "
                         f"element would change that item too (they are one array); make a copy first "
                         f"({name} = {name} * 1.0), or build the list after the assignment")
        if aliases:
            self._refuse(target, f"'{name}' is also named '{aliases[0]}': assigning to an element "
                         f"would change both; if only '{name}' should change, make it a copy first: "
                         f"{name} = np.copy({aliases[0]})")
        if isinstance(value, (ModuleRef, CallableRef)):
            self._refuse(target, f"cannot store '{value.display}' in an array")
        updated = self._emit("setitem", [current, self._index(target.slice), value], target)
        self._bind(target.value, updated)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, self.visit(node.value))

    def visit_Pass(self, node: ast.Pass) -> None:
        pass

    def _bind(self, target: ast.expr, value: Resolved) -> None:
        """Assign to a target; a value this statement made (or one without a name yet, such
        as an item of a tuple a callee returned) takes the variable's name."""
        if isinstance(target, ast.Name):
            if isinstance(value, Value) and (value in self.fresh or not value.name or value in self.shared.provisional):
                value.name = target.id
                self.fresh.discard(value)
                self.shared.provisional.discard(value)
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._unpack(target, value)
        elif isinstance(target, ast.Subscript):
            self._store_item(target, value)
        else:
            self._refuse(target, "assigning to an attribute or starred target is not supported: a "
                         "compiled function assigns only its own variables; assign to a variable instead")

    def _unpack(self, target: ast.Tuple | ast.List, value: Resolved) -> None:
        for elt in target.elts:
            if isinstance(elt, ast.Starred):
                self._refuse(elt, "starred assignment (a, *rest = ...) is not supported; unpack one name "
                             "per item (a, b, c = t), or index (rest = t[1:])")
        if isinstance(value, (ModuleRef, CallableRef)):
            self._refuse(target, f"cannot unpack '{value.display}'")
        if is_container(value):
            items = self._sequence_items(value, target, "unpacking")
            if len(items) != len(target.elts):
                raise self._error(target, f"cannot unpack {len(items)} values into {len(target.elts)} names; "
                                  "write one name per value", CompileError)
            for elt, item in zip(target.elts, items):
                self._bind(elt, item)
            return
        known = value.value if isinstance(value, Const) and isinstance(value.value, tuple) else None
        if known is not None and len(known) != len(target.elts):
            message = f"cannot unpack {len(known)} values into {len(target.elts)} names; write one name per value"
            raise self._error(target, message, CompileError)
        for i, elt in enumerate(target.elts):
            self._bind(elt, self._emit("getitem", [value, Const(i)], elt))

    # ---- names and attributes ----

    def visit_Name(self, node: ast.Name) -> Resolved:
        name = node.id
        if name in self.env:
            return self.env[name]
        if name in self.loop_locals:
            raise self._error(node, f"'{name}' is assigned only inside the loop at line "
                              f"{self.loop_locals[name]}; assign it before the loop to use it after",
                              CompileError)
        if name in self.assigned:
            raise self._error(node, f"variable '{name}' is read before it is assigned; assign it on every "
                              "path that reaches this line (before the if or loop that assigns it, or in "
                              "each branch)", CompileError)
        if self.enclosing is not None:  # a nested function: the enclosing one's variable, as it is now
            return self.enclosing.visit_Name(node)
        found = self._outside(name, node)
        if found is None:
            raise self._error(node, f"name '{name}' is not defined; define it at module level, or pass it "
                              "as an argument", CompileError)
        return self._free(*found, node)

    def visit_Attribute(self, node: ast.Attribute) -> Resolved:
        return self._attribute(self.visit(node.value), node)

    def _attribute(self, base: Resolved, node: ast.Attribute) -> Resolved:
        attr = node.attr
        if isinstance(base, RecordOf):
            return self._record_field(base, attr, node)
        if is_container(base):
            self._refuse(node, f"a {base.kind} has no attribute '{attr}' the compiler reads")
        if isinstance(base, ModuleRef):
            if not hasattr(base.module, attr):
                raise self._error(node, f"module '{base.display}' has no attribute '{attr}'", CompileError)
            return self._module_attribute(base, attr, node)
        if isinstance(base, CallableRef):  # `Config.RATE`, `scipy.stats.norm.logpdf`: as a free name
            if base.ref is None:
                self._refuse(node, f"reading attributes of '{base.display}' is not supported here: "
                             "it has no name the emitted code can read it by")
            if not hasattr(base.fn, attr):
                raise self._error(node, f"'{base.display}' has no attribute '{attr}'", CompileError)
            return self._free(getattr(base.fn, attr), self._ref(base.ref.attribute(attr)), node)
        if isinstance(base, Value) and (found := self._outside_attribute(base, attr, node)) is not None:
            return found
        if attr == "T":
            return self._emit("transpose", [base], node)
        if PRIMITIVES.attribute(attr) is not None:
            return self._emit(PRIMITIVES.attribute(attr), [base], node)
        if PRIMITIVES.method(attr) is not None:
            self._refuse(node, f"the method .{attr} must be called: x.{attr}(...)")
        return self._attribute_as_written(base, node)

    # ---- calls ----

    def visit_Call(self, node: ast.Call) -> Operand:
        func = node.func
        if isinstance(func, ast.Attribute):
            base = self.visit(func.value)
            if isinstance(base, Frozen):
                return self._frozen_method(base, func.attr, node)
            if is_container(base) and not isinstance(base, RecordOf):
                return self._container_method(base, func.attr, node)
            if self._is_list(base):
                return self._list_method(base, func.attr, node)
            callee = self._outside_method(base, node)
            if callee is None and isinstance(base, (Value, Const)):
                return self._method_call(base, func.attr, node)
            if callee is None:
                callee = self._attribute(base, func)
        else:
            callee = self.visit(func)
        if isinstance(callee, LocalFunction):
            return self._inline_local(callee, node)
        if not isinstance(callee, CallableRef):
            if isinstance(callee, ModuleRef):
                self._refuse(func, f"calling the module '{callee.display}' is not supported; call one of its "
                             f"functions: {callee.display}.name(...)")
            self._refuse(func, "calling a run-time value is not supported; call a function by the name it "
                         "has where this function is defined (a module-level function, an argument's method)")
        if PRIMITIVES.freezes(callee.fn):
            return self._frozen(callee, node)
        if is_callable_object(callee.fn) and PRIMITIVES.name_of(callee.fn) is None:  # `layer(x)`: its `__call__`
            ref = callee.ref.attribute("__call__") if callee.ref is not None else None
            callee = CallableRef(callee.fn.__call__, callee.display, ref)
        if callee.fn in CONTAINER_BUILTINS:
            found = self._container_builtin(callee.fn, node)
            if found is not None:
                return found
        if getattr(callee.fn, TRANSFORM_MARK, False):
            return self._transform_call(callee, node)
        if getattr(callee.fn, APPLIED_MARK, None) is not None and self.shared.derivatives is not None:
            return self._applied_call(callee, node)
        prim = PRIMITIVES.name_of(callee.fn)
        if prim is None and _is_user_function(callee.fn):
            return self._inline_call(callee, node)
        if getattr(callee.fn, DERIVATIVE_MARK, False):
            if self.shared.derivatives is not None:
                return self._splice(callee, node)
            return self._call_as_written(callee, node, why=self._uncallable(callee))
        if prim is None:
            return self._call_as_written(callee, node)
        return self._library_call(callee, prim, node)

    def _frozen(self, callee: CallableRef, node: ast.Call) -> Frozen:
        """`norm(mu, s)`: its arguments lowered once, for the methods called on it."""
        self._no_star(node)
        if any(kw.arg is None for kw in node.keywords):
            self._refuse(node, "calls with **kwargs are not supported; pass the arguments by name")
        return Frozen(callee, node, tuple((arg, self.visit(arg)) for arg in node.args),
                      tuple((kw.arg, kw.value, self.visit(kw.value)) for kw in node.keywords))

    def _frozen_method(self, frozen: Frozen, method: str, node: ast.Call) -> Operand:
        """`norm(mu, s).logpdf(x)`: `norm.logpdf(x, mu, s)`, the frozen arguments after the
        call's own (as the frozen object passes them)."""
        fn = getattr(frozen.callee.fn, method, None)
        prim = PRIMITIVES.name_of(fn) if fn is not None else None
        display = f"{frozen.callee.display}.{method}"
        self.premade.update({id(arg): value for arg, value in frozen.args})
        self.premade.update({id(arg): value for _, arg, value in frozen.keywords})
        if prim is None:  # (`norm(0, 1).rvs(3)`: both calls run as written)
            return self._method_as_written(self._call_as_written(frozen.callee, frozen.call), method, node)
        call = ast.copy_location(ast.Call(node.func, [*node.args, *(arg for arg, _ in frozen.args)],
                                          [*(ast.keyword(name, arg) for name, arg, _ in frozen.keywords),
                                           *node.keywords]), node)
        ref = frozen.callee.ref.attribute(method) if frozen.callee.ref is not None else None
        return self._library_call(CallableRef(fn, display, ref), prim, call)

    def _library_call(self, callee: CallableRef, prim: str, node: ast.Call) -> Operand:
        """A call of a primitive: one op, its operands the arguments (a sequence's items
        for a packed one), its static arguments attrs; in the form the record writes it."""
        rewrite = PRIMITIVES.get(prim).written
        node = (rewrite(node) or node) if rewrite is not None else node
        self._uses(callee)
        self._no_star(node)
        if PRIMITIVES.get(prim).packed or prim in ("np.array", "np.asarray"):
            found = self._joined_call(prim, callee.display, node)
            if found is None and node.args:  # (of a run-time sequence: a list grown in a loop, an array)
                found = self._sequence_call(prim, self.visit(node.args[0]), node, self._keywords(node, callee.display))
            if found is not None:
                return found
        if prim == "slice":
            return self._slice(node)
        if PRIMITIVES.get(prim).refused:
            self._refuse(node, PRIMITIVES.get(prim).refused)
        inputs = [self._array_operand(prim, arg) for arg in node.args]
        inputs = self._keyword_operands(prim, inputs, node)
        arity = PRIMITIVES.arity(prim)
        if arity is not None and len(inputs) > arity and prim not in ("max", "min"):
            raise self._error(node, f"{callee.display} takes {arity} operand{'s' if arity != 1 else ''}, the call "
                              f"passes {len(inputs)}: pass {callee.display} only its operands (out= and where= "
                              "are not differentiated)", NoDerivativeError)
        if prim in ("max", "min"):
            return self._extremum(prim, inputs, node)
        named = {name for name, _ in PRIMITIVES.get(prim).operands}
        return self._emit(prim, inputs, node, self._keywords(node, callee.display, skip=named))

    def _keyword_operands(self, prim: str, inputs: list[Operand], node: ast.Call) -> list[Operand]:
        """A primitive whose record names its operands (`scipy.stats.norm.logpdf(x, loc,
        scale)`) takes them by keyword too, as run-time values: in their places, the ones
        not given before the last given taking their defaults."""
        operands = PRIMITIVES.get(prim).operands
        given = {kw.arg: kw.value for kw in node.keywords if kw.arg in {name for name, _ in operands}}
        if not given:
            return inputs
        names = [name for name, _ in operands]
        last = max(names.index(name) for name in given)
        out = list(inputs)
        for k in range(len(inputs), last + 1):
            name, default = operands[k]
            if name in given:
                out.append(self._array_operand(prim, given[name]))
            elif default is inspect.Parameter.empty:
                self._refuse(node, f"{prim} needs its operand '{name}'")
            else:
                out.append(Const(default))
        for name in given:
            if names.index(name) < len(inputs):
                self._refuse(node, f"{prim} is given '{name}' twice, by position and by keyword")
        return out

    def _outside_method(self, base: Resolved, call: ast.Call) -> CallableRef | None:
        """`self.helper(...)`: a method of the user's on an object read from outside, to
        inline (other methods of such objects run as written)."""
        func = call.func
        if not isinstance(base, Value) or any(isinstance(a, ast.Starred) for a in call.args) or any(
                kw.arg is None for kw in call.keywords):
            return None  # (run as written: `*args` cannot be inlined)
        found = self._outside_attribute(base, func.attr, func)
        if isinstance(found, CallableRef) and (_is_user_function(found.fn) or is_callable_object(found.fn)):
            return found
        return None

    def _array_operand(self, prim: str, node: ast.expr) -> Operand:
        """An operand of a primitive; a list or tuple known here passed to a NumPy
        function is the array NumPy makes of it (`np.sum([a, b])`)."""
        value = self.visit(node)
        if prim.startswith("np.") and isinstance(value, (ListOf, TupleOf)):
            return self._array_of(value, node, {})
        if prim.startswith("np.") and self._is_list(value):  # the array NumPy makes of a run-time list
            return self._emit(prims.over_sequence("np.stack"), [value], node)
        return self._as_operand(value, node)

    def _extremum(self, prim: str, inputs: list[Operand], node: ast.Call) -> Operand:
        """Python's `max(a, b, c)` as pairwise `max` ops; `max(t)` of a tuple as its items'.
        The prim has two operands: `max` of one array is np.max's job."""
        if len(inputs) == 1:
            items = self.shared.tuples.get(inputs[0])
            const = inputs[0].value if isinstance(inputs[0], Const) and isinstance(inputs[0].value, tuple) else None
            if items is None and const is None:
                self._refuse(node, f"{prim}() of one sequence is not supported; for an array write "
                             f"np.{prim}(x), for numbers {prim}(a, b)")
            inputs = list(items) if items is not None else [Const(v) for v in const]
        if node.keywords or not inputs:
            self._refuse(node, f"{prim}() takes numbers here ({prim}(a, b)), without keywords")
        result = inputs[0]
        for item in inputs[1:]:
            result = self._emit(prim, [result, item], node)
        return result

    @staticmethod
    def _differentiated_methods() -> list[str]:
        return PRIMITIVES.methods()

    def _no_star(self, node: ast.Call) -> None:
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self._refuse(arg, "calls with *args are not supported here; pass the arguments one by one")

    def _slice(self, node: ast.Call) -> Operand:
        """`slice(stop)`, `slice(start, stop[, step])`: the `slice` op, or a constant."""
        if node.keywords or not 1 <= len(node.args) <= 3:
            self._refuse(node, "slice takes one to three positional arguments")
        args = [self._operand(arg) for arg in node.args]
        bounds = [Const(None), args[0], Const(None)] if len(args) == 1 else args + [Const(None)] * (3 - len(args))
        if all(isinstance(b, Const) for b in bounds):
            return Const(slice(*(b.value for b in bounds)))
        return self._emit("slice", bounds, node)

    def _recursion(self, fn: Any, name: str, node: ast.Call) -> None:
        """A function that calls itself is unrolled, call by call, where values known here
        (constants, lengths of lists known here) decide when it stops: its base case is
        then a branch on a constant, the only one compiled. Refused past a depth or a
        count of calls that such recursion does not reach."""
        if fn not in self.shared.calls:
            return
        self.shared.recursive_calls += 1
        depth = self.shared.calls.count(fn)
        if depth >= RECURSION_DEPTH:
            raise self._error(node, f"'{name}' calls itself (recursion) deeper than {RECURSION_DEPTH} levels: "
                              "recursion is unrolled where values known here (constants, lengths of lists known "
                              "here, the shapes of the arguments of a call) decide its base case, and this one's "
                              "depth is not fixed so (or is too deep); rewrite it with a loop, or pass the depth "
                              "as a constant", ShapesNeeded if self.shared.signal else UnsupportedError)
        if self.shared.recursive_calls > RECURSION_CALLS:
            raise self._error(node, f"'{name}' calls itself (recursion) too many times to unroll: its depth is "
                              f"decided here, but unrolled call by call it makes more than {RECURSION_CALLS} calls "
                              "of itself (a recursion of k calls per level makes about k^depth); compute it with a "
                              "loop or vectorized NumPy, or give it a derivative of your own with "
                              f"@ad_compiler.custom_vjp (then '{name}' runs as written, and its derivative is "
                              "yours)", ShapesNeeded if self.shared.signal else UnsupportedError)

    def _inline_call(self, callee: CallableRef, node: ast.Call) -> Operand:
        """A call of a Python function with source: its body, lowered in place with its
        params bound to the arguments (so it is differentiated with the caller)."""
        fn = inspect.unwrap(callee.fn.__func__ if inspect.ismethod(callee.fn) else callee.fn)
        if is_compile_time(callee.fn):
            return self._compile_time_call(callee, node)
        self._recursion(fn, callee.display, node)
        try:
            src = get_source(fn)
        except CompileError as err:
            if callee.ref is None:
                self._refuse(node, f"cannot differentiate through '{callee.display}': {err.message}")
            return self._call_as_written(callee, node)
        self._uses(callee)
        self._no_star(node)
        mark = len(self.ops)  # (a body that fails is called as written: its arguments lowered again, once)
        args = [self.visit(arg) for arg in node.args]  # (functions and modules are passed as they are)
        if inspect.ismethod(callee.fn):  # `self.helper(x)`: `self` is the first argument
            args.insert(0, self._object_of(callee, node))
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None:
                self._refuse(kw, "calls with **kwargs are not supported; pass the arguments by name")
            kwargs[kw.arg] = self.visit(kw.value)
        try:
            bound = inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as err:
            self._refuse(node, f"bad call of '{callee.display}': {err}")
        bound.apply_defaults()

        def argument(name: str, value: Any) -> Resolved:
            if isinstance(value, (Value, Const, CallableRef, ModuleRef, LocalFunction, *CONTAINERS)):
                return value
            return to_compile_time(value, name) or Const(value)

        arguments = {name: argument(name, value) for name, value in bound.arguments.items()}
        for param in inspect.signature(fn).parameters.values():  # (`*args` a tuple, `**kwargs` a dict)
            if param.kind is param.VAR_POSITIONAL:
                arguments[param.name] = self._tuple([argument(param.name, v) for v in bound.arguments[param.name]],
                                                    node)
            elif param.kind is param.VAR_KEYWORD:
                given = bound.arguments[param.name]
                arguments[param.name] = DictOf(tuple(given), tuple(argument(k, v) for k, v in given.items()))
        try:
            result = _Lowerer(src, {}, self.shared).inline(arguments)
        except CompileError as err:
            inside = fn in self.shared.calls and not (fn is self.shared.calls[0] and self.shared.calls.count(fn) == 1)
            if callee.ref is None or inside or isinstance(err, ShapesNeeded) or _is_own(fn):
                raise  # (a recursion: at its outermost call; a rule's helper is always inlined)
            del self.ops[mark:]  # what was lowered of the arguments and of the body before it failed
            # refused: said if the call turns out to be on a differentiated path
            return self._written_call(self._external(callee.ref, node.func), node, callee.display,
                                      refused=_one_line(err))
        if isinstance(result, Value) and not result.name:
            self.fresh.add(result)  # the caller's variable names what the callee returned
        return result

    # ---- derivatives inside the function ----

    def _transform_call(self, callee: CallableRef, node: ast.Call) -> CallableRef:
        """`grad(g, argnums=1)` inside the function: the derivative, made now (its
        arguments must be known here), called where the code calls it."""
        self._no_star(node)
        values = [self.visit(arg) for arg in node.args]
        keywords = {kw.arg: self._constant_of(self.visit(kw.value)) for kw in node.keywords if kw.arg}
        if values and isinstance(values[0], LocalFunction):
            values[0] = self._lifted(values[0], node)
        if not values or not isinstance(values[0], CallableRef):
            self._refuse(node, f"{callee.display}() of that is not supported inside a differentiated function; "
                         f"{callee.display} a function (defined here, at module level, or a method)")
        rest = [self._constant_of(v) for v in values[1:]]
        if not all(isinstance(v, Const) for v in [*rest, *keywords.values()]):
            self._refuse(node, f"the options of {callee.display}() inside the function must be known here "
                         "(argnums=0, a constant)")
        if values[0].ref is not None:
            self._uses(values[0])
        self._uses(callee)
        try:
            made = callee.fn(values[0].fn, *(v.value for v in rest), **{k: v.value for k, v in keywords.items()})
        except CompileError as err:
            raise self._error(node, f"{callee.display}() here: {err.message}", type(err)) from None
        return CallableRef(made, f"{callee.display}({values[0].display})", captured=values[0].captured)

    def _lifted(self, local: LocalFunction, node: ast.AST) -> CallableRef:
        """A function defined inside this one, as a function of its own parameters and of
        the values it closes over (by name, after them), to differentiate (`grad(cell)`):
        its IR, held by a stand-in Python function the API compiles like any other."""
        if local.defaults or local.tree.args.vararg or local.tree.args.kwarg or local.tree.args.kwonlyargs:
            self._refuse(node, f"'{local.name}' has defaults or variadic parameters: differentiating a function "
                         "defined inside this one takes one with plain parameters")
        scope = local.scope
        src = FunctionSource(fn=scope.src.fn, name=local.name, file=scope.src.file, tree=local.tree,
                             lines=scope.src.lines, globals=scope.src.globals)
        inner = _Lowerer(src, {}, _Shared(home=src.globals, derivatives=self.shared.derivatives,
                                          probes=self.shared.probes))
        inner.enclosing = scope
        fn = inner.run(local.name)
        fn.defaults = {}
        made = {p for p in fn.params} | {v for op in walk_ops(fn.body) for v in op.results} | {
            a for op in walk_ops(fn.body) for region in op.regions for a in region.args}
        captured: list[Value] = []
        for x in [x for op in walk_ops(fn.body) for x in op.inputs] + [y for op in walk_ops(fn.body)
                                                                        for r in op.regions for y in r.yields] \
                + list(fn.body.yields):
            if isinstance(x, Value) and x not in made and x not in captured:
                captured.append(x)
        names = [p.name for p in fn.params]
        params = []
        for k, value in enumerate(captured):
            name = value.name if value.name and value.name not in names else f"captured{k}"
            names.append(name)
            params.append(Value(name, value.kind))
        fn.body.yields = substitute(fn.body.ops, fn.body.yields, dict(zip(captured, params)))
        fn.params += params
        verify(fn, PRIMITIVES.arity)
        display = "lambda" if local.name == "<lambda>" else local.name
        return CallableRef(stand_in(display, names, fn), display,
                           captured=tuple(zip(names[len(names) - len(params):], captured)))

    def _applied_call(self, callee: CallableRef, node: ast.Call) -> Resolved:
        """`jvp(g, (x,), (v,))`, `hvp(g, (x,), (v,))` inside the function: the derivative's
        IR spliced here, applied to the primals and the tangents given (None: none)."""
        self._no_star(node)
        if len(node.args) != 3 or node.keywords:
            self._refuse(node, f"{callee.display}() takes a function, a tuple of primals and a tuple of tangents")
        fun = self.visit(node.args[0])
        if isinstance(fun, LocalFunction):
            fun = self._lifted(fun, node)
        if not isinstance(fun, CallableRef):
            self._refuse(node.args[0], f"{callee.display}() here differentiates a function")
        primals = [self._as_operand(v, node.args[1])
                   for v in self._sequence_items(self.visit(node.args[1]), node.args[1], callee.display)]
        tangents = [self._as_operand(v, node.args[2])
                    for v in self._sequence_items(self.visit(node.args[2]), node.args[2], callee.display)]
        if len(primals) != len(tangents):
            self._refuse(node, f"{callee.display}() takes one tangent per primal (None for one not differentiated)")
        wrt = tuple(i for i, t in enumerate(tangents) if not (isinstance(t, Const) and t.value is None))
        if fun.ref is not None:
            self._uses(fun)
        self._uses(callee)
        derivative, item = getattr(callee.fn, APPLIED_MARK)(fun.fn, wrt)
        try:
            fn = self.shared.derivatives(derivative)
        except CompileError as err:
            raise self._error(node, f"{callee.display}() here: {_one_line(err)}", type(err)) from None
        values = primals + [value for _, value in fun.captured] + [tangents[i] for i in wrt]
        returned = inline(fn, values, self.ops, Loc(self.src.file, node.lineno, self._col(node)))
        if len(returned) == 1 and item is not None:
            returned = [self._emit("getitem", [returned[0], Const(item)], node)]
        elif item is not None:
            returned = [returned[item]]
        return returned[0] if len(returned) == 1 else self._tuple(list(returned), node)

    def _splice(self, callee: CallableRef, node: ast.Call) -> Resolved:
        """A call of a compiled derivative inside the function: its IR (generic, for any
        kinds: specialized with the rest) spliced here, so an outer transform
        differentiates through it as through any code (`grad` of a function that takes
        gradient steps)."""
        self._no_star(node)
        args = [self._operand(arg) for arg in node.args]
        kwargs = {kw.arg: self._operand(kw.value) for kw in node.keywords if kw.arg}
        kwargs.update(callee.captured)  # (a function defined here: what it closes over)
        try:
            bound = inspect.signature(callee.fn).bind(*args, **kwargs)
        except TypeError as err:
            self._refuse(node, f"bad call of '{callee.display}': {err}")
        bound.apply_defaults()
        values = [v if isinstance(v, (Value, Const)) else Const(v) for v in bound.arguments.values()]
        try:
            fn = self.shared.derivatives(callee.fn)
        except CompileError as err:
            raise self._error(node, f"cannot differentiate through '{callee.display}': {_one_line(err)}",
                              type(err)) from None
        if len(values) != len(fn.params):
            self._refuse(node, f"'{callee.display}' takes {len(fn.params)} arguments here, the call passes "
                         f"{len(values)}")
        if callee.ref is not None:
            self._uses(callee)
        returned = inline(fn, values, self.ops, Loc(self.src.file, node.lineno, self._col(node)))
        result = returned[0] if len(returned) == 1 else self._tuple(list(returned), node)  # (value_and_grad)
        if isinstance(result, Value):
            self.fresh.add(result)
        return result

    # ---- functions defined inside the function ----

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        """A nested `def`: a function of this lowering, inlined where it is called."""
        if node.decorator_list:
            self._refuse(node.decorator_list[0], "a decorated function inside the function is not supported; "
                         "define it at module level")
        self._bind(ast.Name(node.name, ast.Store()), self._local_function(node, node.name))

    def visit_Lambda(self, node: ast.Lambda) -> LocalFunction:
        body = ast.copy_location(ast.Return(value=node.body), node.body)
        extra = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
        tree = ast.copy_location(ast.FunctionDef(name="<lambda>", args=node.args, body=[body], decorator_list=[],
                                                 returns=None, **extra), node)
        return self._local_function(tree, "lambda")

    def _local_function(self, tree: ast.FunctionDef, name: str) -> LocalFunction:
        args = tree.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            self._refuse(tree, f"'{name}' has variadic, keyword-only or positional-only parameters, which a "
                         "function inside the function cannot have yet; name each parameter")
        return LocalFunction(tree, name, tuple(self.visit(d) for d in args.defaults), self)

    def _inline_local(self, callee: LocalFunction, node: ast.Call) -> Resolved:
        """A call of a function defined inside this one (or passed down from one): its
        body, lowered in place, its free names the defining function's as they are now."""
        self._recursion(callee.tree, callee.name, node)
        self._no_star(node)
        params = [a.arg for a in callee.tree.args.args]
        values = [self.visit(arg) for arg in node.args]
        if len(values) > len(params):
            self._refuse(node, f"'{callee.name}' takes {len(params)} arguments, the call passes {len(values)}")
        arguments = dict(zip(params, values))
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in params or kw.arg in arguments:
                self._refuse(kw, f"bad keyword argument of '{callee.name}': its parameters are {', '.join(params)}")
            arguments[kw.arg] = self.visit(kw.value)
        for name, default in zip(params[len(params) - len(callee.defaults):], callee.defaults):
            arguments.setdefault(name, default)
        missing = [p for p in params if p not in arguments]
        if missing:
            self._refuse(node, f"'{callee.name}' is called without its argument '{missing[0]}'")
        scope = callee.scope
        src = FunctionSource(fn=scope.src.fn, name=callee.name, file=scope.src.file, tree=callee.tree,
                             lines=scope.src.lines, globals=scope.src.globals)
        inner = _Lowerer(src, {}, self.shared)
        inner.enclosing = scope
        result = inner.inline(arguments)
        if isinstance(result, Value) and not result.name:
            self.fresh.add(result)
        return result

    def _compile_time_call(self, callee: CallableRef, node: ast.Call) -> Const:
        args = [self._operand(arg) for arg in node.args]
        kwargs = {kw.arg: self._operand(kw.value) for kw in node.keywords}
        if any(not isinstance(x, Const) for x in [*args, *kwargs.values()]):
            if run_time_form(callee.fn) is not None:  # (its arguments as lowered here)
                self.premade.update({id(arg): value for arg, value in zip(node.args, args)})
                self.premade.update({id(kw.value): kwargs[kw.arg] for kw in node.keywords})
                return self._inline_call(CallableRef(run_time_form(callee.fn), callee.display), node)
            self._refuse(node, f"'{callee.display}' runs at compile time: its arguments must be constants")
        return Const(callee.fn(*[x.value for x in args], **{k: x.value for k, x in kwargs.items()}))

    def _method_call(self, base: Operand, method: str, node: ast.Call) -> Operand:
        prim = PRIMITIVES.method(method)
        if prim is None:
            return self._method_as_written(base, method, node)
        self._no_star(node)
        args = [self._operand(arg) for arg in node.args]
        if PRIMITIVES.get(prim).spread and len(args) > 1:
            args = [self._tuple(args, node)]
        return self._emit(prim, [base, *args], node, self._keywords(node, f".{method}()"))

    def _keywords(self, node: ast.Call, callee: str, skip: Collection[str] = ()) -> dict[str, Any]:
        """Keyword arguments become attrs, so they must be known at compile time (but those
        in `skip`, operands passed by keyword)."""
        attrs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg in skip:
                continue
            if kw.arg is None:
                self._refuse(kw, "calls with **kwargs are not supported; pass the keywords one by one")
            if kw.arg == "out":
                name = callee.rstrip("()")
                self._refuse(kw, "out= writes into an existing array, which the derivative cannot follow; "
                             f"compute a new value instead (y = {'x' if name[:1] == '.' else ''}{name}(...) "
                             "without out=)")
            value = self._constant_of(self.visit(kw.value))
            if isinstance(value, Const):
                attrs[kw.arg] = value.value
            elif isinstance(value, CallableRef):  # dtype=np.float64
                attrs[kw.arg] = value.fn
            else:
                example = 'dtype="float64"' if kw.arg == "dtype" else f"{kw.arg}=0"
                self._refuse(kw, f"keyword argument '{kw.arg}' of {callee} must be a constant; write its "
                             f"value ({example}) or a module-level constant")
        return attrs

    @staticmethod
    def _uncallable(callee: CallableRef) -> str:
        fn = callee.fn
        if getattr(fn, DERIVATIVE_MARK, False):
            return (f"'{callee.display}' is a compiled derivative; calling one inside a function being "
                    "differentiated is not supported: differentiate the function it derives instead "
                    "(grad(grad(f)), hessian, hvp)")
        if isinstance(fn, type):
            return f"calling the class '{callee.display}' is not supported; call NumPy or math functions"
        return (f"cannot call '{callee.display}': the compiler knows no primitive for it; use an "
                f"np.*, math.* or operator function it knows, or give it derivative rules: "
                f"@ad_compiler.defvjp({callee.display}) and @ad_compiler.defjvp({callee.display})")

    # ---- operators ----

    def visit_BinOp(self, node: ast.BinOp) -> Resolved:
        left, right = self.visit(node.left), self.visit(node.right)
        if is_container(left) or is_container(right):
            return self._joined_sequences(node.op, left, right, node)
        return self._binary(node.op, self._as_operand(left, node.left), self._as_operand(right, node.right), node)

    def _binary(self, op: ast.operator, left: Operand, right: Operand, node: ast.AST) -> Operand:
        if type(op) not in _BINARY:
            self._refuse(node, _no_operator(op))
        return self._emit(_BINARY[type(op)], [left, right], node)

    def _compare(self, op: ast.cmpop, left: Operand, right: Operand, node: ast.Compare) -> Operand:
        """One comparison of a chain (the chain itself: `control.visit_Compare`)."""
        if type(op) not in _COMPARE:
            self._refuse(node, _no_operator(op))
        return self._emit(_COMPARE[type(op)], [left, right], node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Operand:
        operand = self._operand(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if type(node.op) not in _UNARY:
            self._refuse(node, _no_operator(node.op))
        return self._emit(_UNARY[type(node.op)], [operand], node)

    # ---- literals ----

    def visit_Constant(self, node: ast.Constant) -> Const:
        return Const(node.value)

    def visit_Tuple(self, node: ast.Tuple) -> Resolved:
        return self._tuple(self._items(node.elts), node)

    def _tuple(self, items: list[Any], node: ast.AST) -> Resolved:
        """A tuple of these items: a constant, an IR tuple of values, or (with a list,
        dict or function among them) a tuple known item by item here."""
        if not all(isinstance(item, OPERANDS) for item in items):
            return TupleOf(tuple(items))
        if all(isinstance(item, Const) for item in items):
            return Const(tuple(item.value for item in items))
        result = self._emit("tuple", items, node)
        self.shared.tuples[result] = list(items)
        return result
