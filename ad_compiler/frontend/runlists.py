"""Lists whose length is known only at run time (mixed into the lowerer).

A list the program grows in a loop that runs a number of times known only at run time
(`hs = []; for t in range(len(xs)): hs.append(h)`), or a comprehension over an array
or such a list, cannot be known item by item (`containers.py`): it stays a list in the
IR, one value of `ListKind`, and in the emitted code (`hs.append(h)`). Its operations
are IR prims (`ir.prims.LISTS`): a display `list`, `push` (append), `getitem` and
`setitem` (`xs[i] = v`) with any int index, `len`, iteration (a loop over `range(len(hs))`), `np.stack`/`np.array`/
`np.concatenate`/... of it (`np.stack*`: a packed prim applied to one sequence), and
`sum` (the sum of the stacked items). Reverse mode pops the adjoints of the items back
off the list's adjoint (`ad/reverse.py`).

A list known here becomes a run-time list where such a loop grows it, or where an item
is assigned at an index known only at run time (before a loop, or at the end of the
other branches of an `if`, that does so): a `list` op of its items. The lowerer tracks which IR values are run-time lists
(`_Shared.lists`). Python's in-place meaning holds as long as no other name reaches the
list and no array appended to it is written by element afterwards: both are refused.
"""

from __future__ import annotations

import ast
from typing import Any

from ..errors import UnsupportedError
from ..ir.core import Const, Operand, Value
from ..ir.prims import over_sequence
from ..primitives import PRIMITIVES
from .containers import ListOf, TupleOf, is_container
from .lists import OPERANDS
from .probes import ShapesNeeded

_GROWING = frozenset({"append", "extend"})
"""Methods that grow a run-time list (others are refused with advice)."""


class ShapedList(ShapesNeeded):
    """An item assigned in a run-time list whose length follows the arguments' shapes:
    lowered for their kinds, the list is known item by item (and a loop over its indices
    unrolled); the lowering without them, with a run-time list, works too."""


class Relisted(UnsupportedError):
    """A list known here that a loop's body makes a run-time list (assigning an item at an
    index known only at run time): the loop is lowered again, the list a run-time list
    before it (`control._relisting`). `name` names it."""

    name = ""


def grown_names(stmts: list[ast.stmt]) -> list[str]:
    """Variables a block grows as lists: `xs.append(v)`, `xs.extend(ys)`, `xs += ys`."""
    names: list[str] = []
    for stmt in stmts:
        for node in ast.walk(stmt):
            name = None
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in _GROWING | {"insert"} and isinstance(node.func.value, ast.Name)):
                name = node.func.value.id
            elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
                name = node.target.id
            if name is not None and name not in names:
                names.append(name)
    return names


class RunListCode:
    """Run-time list code for `_Lowerer` (which provides visit, _emit, _refuse, env,
    shared, _as_operand, ...)."""

    def _is_list(self, value: Any) -> bool:
        return isinstance(value, Value) and value in self.shared.lists

    def _listed(self, value: Value) -> Value:
        self.shared.lists.add(value)
        return value

    def _to_run_time(self, value: ListOf, node: ast.AST) -> Value:
        """A list known item by item, made at run time (`[h0]` before a loop that grows it)."""
        items = []
        for item in value.items:
            if isinstance(item, TupleOf) and all(isinstance(x, OPERANDS) for x in item.items):
                item = self._tuple(list(item.items), node)
            if not isinstance(item, OPERANDS):
                self._refuse(node, "a list of lists, dicts or functions cannot grow in a loop whose length is known "
                             "only at run time; keep its items numbers, arrays or tuples of them")
            items.append(item)
        for item in items:
            if isinstance(item, Value):
                self.shared.pushed.add(item)
        return self._listed(self._emit("list", items, node))

    def _grow_at_run_time(self, body: list[ast.stmt], node: ast.AST) -> None:
        """Before a loop that runs a number of times known only at run time: each list known
        here that the body grows becomes a run-time list."""
        for name in grown_names(body):
            value = self.env.get(name)
            if isinstance(value, ListOf) and value.owned:
                self._owned(name, value, node)
                self.env[name] = self._to_run_time(value, node)

    def _mark_carried(self, inits: list[Operand], *groups: list[Value]) -> None:
        """The values a loop carries in place of run-time lists are run-time lists (of a
        length the arguments' shapes decide, if the initial one's is, as far as `_list_store`
        asks: a loop that grows it is a loop over a range of such bounds, `_loop`); in
        place of what follows a loop's index (`_Shared.counters`), they follow it too."""
        for k, init in enumerate(inits):
            if isinstance(init, Value) and init in self.shared.counters:
                self.shared.counters.update(group[k] for group in groups)
            if self._is_list(init):
                for group in groups:
                    self.shared.lists.add(group[k])
                    if init in self.shared.shaped:
                        self.shared.shaped.add(group[k])

    # ---- methods, operators ----

    def _list_method(self, base: Value, method: str, node: ast.Call) -> Operand:
        target = node.func.value
        if method == "copy":
            return self._listed(self._emit("items", [base], node))
        if method not in _GROWING:
            self._refuse(node.func, f".{method}() of a list whose length is known only at run time is not "
                         "supported; build the list with append and read it by index (xs[-1])")
        if not isinstance(target, ast.Name) or node.keywords or len(node.args) != 1:
            self._refuse(node, f".{method}() takes one argument here, called on a variable: xs.{method}(v)")
        self._not_shared(target.id, base, node)
        argument = self.visit(node.args[0])
        items = [argument] if method == "append" else self._grown_items(argument, node.args[0])
        self.env[target.id] = self._pushed(base, items, node)
        return Const(None)

    def _grown_items(self, value: Any, node: ast.AST) -> list[Any]:
        if self._is_list(value):
            self._refuse(node, "extending a list by another whose length is known only at run time is not "
                         "supported; append its items in a loop")
        return self._sequence_items(value, node, "extend")

    def _pushed(self, base: Value, items: list[Any], node: ast.AST) -> Value:
        for item in self._held(items, node):
            base = self._listed(self._emit("push", [base, item], node))
        return base

    def _held(self, items: list[Any], node: ast.AST) -> list[Operand]:
        """Items a run-time list is to hold, as operands: numbers, arrays, tuples of them
        (then never written by element: they are the list's items too)."""
        held = []
        for item in items:
            if isinstance(item, TupleOf) and all(isinstance(x, OPERANDS) for x in item.items):
                item = self._tuple(list(item.items), node)
            if is_container(item) or self._is_list(item):
                self._refuse(node, "a list whose length is known only at run time holds numbers, arrays or tuples "
                             "of them, not lists or dicts")
            item = self._as_operand(item, node)
            if isinstance(item, Value):
                self.shared.pushed.add(item)
            held.append(item)
        return held

    def _list_augmented(self, name: str, base: Value, value: Any, op: ast.operator, node: ast.AST) -> None:
        """`xs += ys` of a run-time list: extends it in place."""
        if not isinstance(op, ast.Add):
            self._refuse(node, "a list is extended with +=; for arithmetic on its items make an array: np.stack(xs)")
        self._not_shared(name, base, node)
        self.env[name] = self._pushed(base, self._grown_items(value, node), node)

    def _list_item(self, base: Value, index_node: ast.expr, node: ast.AST) -> Operand:
        """`xs[i]` of a run-time list, for an int index (a slice would be a list)."""
        return self._emit("getitem", [base, self._list_index(index_node, node)], node)

    def _list_index(self, index_node: ast.expr, node: ast.AST) -> Operand:
        """An index into a run-time list: an int, not a slice (which would be a list)."""
        if isinstance(index_node, ast.Slice):
            self._refuse(node, "slicing a list whose length is known only at run time is not supported (nor "
                         "assigning to a slice of one); index its items (xs[i]), or stack it first "
                         "(np.stack(xs)[1:])")
        index = self._operand(index_node)
        if isinstance(index, Const) and (not isinstance(index.value, int) or isinstance(index.value, bool)):
            self._refuse(node, f"a list is indexed by an int, not {index.value!r}")
        return index

    def _list_store(self, name: str, base: Value, index: Operand, value: Any, node: ast.AST) -> None:
        """`xs[i] = v` of a run-time list, for an int index: a new list, `xs` with item i
        replaced (written in place where nothing reads the old one). Where the list's
        length follows the arguments' shapes, lowered for them it is a list known here."""
        if self.shared.signal and base in self.shared.shaped:
            raise self._error(node, "an item assigned in a list whose length follows the arguments' shapes",
                              ShapedList)
        self._not_shared(name, base, node)
        (item,) = self._held([value], node)
        self.env[name] = self._listed(self._emit("setitem", [base, index, item], node))

    def _run_time_item(self, base: ListOf | TupleOf, index: Operand, node: ast.AST) -> Operand:
        """`xs[i]` of a list or tuple known here, at an index known only at run time: the
        item of a run-time list of its items (its adjoint adds into that item's). Of an
        empty one, the IndexError Python raises."""
        if not base.items:
            self._raise_now("IndexError('list index out of range')", node,
                            "this reads an item of an empty list: an IndexError")
        listed = self._listed(self._emit("list", self._held(list(base.items), node), node))
        return self._emit("getitem", [listed, index], node)

    # ---- calls ----

    def _sequence_call(self, prim: str, value: Any, node: ast.Call, attrs: dict) -> Operand | None:
        """`np.stack(hs)`, `np.array(hs)`, `np.concatenate(hs)`, ... of a run-time list, or
        a packed function of an array (of its items, `list(x)`): one op on the sequence
        (None: not such a call; `value` is then the first argument's, as it was found)."""
        if prim in ("np.array", "np.asarray") and self._is_list(value):
            if set(attrs) - {"dtype"} or len(node.args) > 1:
                self._refuse(node, f"{prim} of a list takes dtype= alone here")
            prim = "np.stack"
        if not PRIMITIVES.get(prim).packed:
            self.premade[id(node.args[0])] = value
            return None
        if PRIMITIVES.get(over_sequence(prim)).refused:
            self._refuse(node, PRIMITIVES.get(over_sequence(prim)).refused)
        sequence = self._as_operand(value, node.args[0])
        if not self._is_list(sequence):
            sequence = self._listed(self._emit("items", [sequence], node))
        if len(node.args) > 1:
            axis = self._constant_of(self.visit(node.args[1]))
            if len(node.args) > 2 or not isinstance(axis, Const):
                self._refuse(node, f"{prim} takes the sequence and an axis known here (axis=0)")
            attrs = {**attrs, "axis": axis.value}
        return self._emit(over_sequence(prim), [sequence], node, attrs)

    def _list_builtin(self, fn: Any, value: Value, node: ast.Call) -> Operand:
        """`len(hs)`, `sum(hs)`, `list(hs)` of a run-time list."""
        if fn is len:
            return self._emit("len", [value], node)
        if fn is list:
            return self._listed(self._emit("items", [value], node))
        if fn is sum and len(node.args) == 1 and not node.keywords:
            # the items' sum, as NumPy adds them: one reduction of the stacked items
            stacked = self._emit(over_sequence("np.stack"), [value], node)
            return self._emit("np.sum", [stacked], node, {"axis": 0})
        self._refuse(node, f"{fn.__name__}() of a list whose length is known only at run time is not supported "
                     "here; stack it into an array (np.stack(xs)) and use NumPy on that")

    # ---- comprehensions ----

    def _run_time_comprehension(self, node: ast.ListComp | ast.GeneratorExp) -> Value:
        """A comprehension whose first sequence is known only at run time (an array, a run-time
        list, a range of run-time bounds): the loop it means, appending to a new list."""
        if isinstance(node, ast.DictComp):
            self._refuse(node, "a dict comprehension over a sequence known only at run time is not supported: "
                         "its keys must be known here")
        acc = next(name for name in (f"_list{k or ''}" for k in range(len(self.env) + 1)) if name not in self.env)
        statement: ast.stmt = ast.Expr(ast.Call(
            ast.Attribute(ast.Name(acc, ast.Load()), "append", ast.Load()), [node.elt], []))
        for gen in reversed(node.generators):
            for test in reversed(gen.ifs):
                statement = ast.If(test, [statement], [])
            statement = ast.For(gen.target, gen.iter, [statement], [], None)
        for made in ast.walk(statement):
            if not hasattr(made, "lineno"):
                ast.copy_location(made, node)
        saved = dict(self.env)
        targets = {n.id for gen in node.generators for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        self.env[acc] = self._listed(self._emit("list", [], node))
        try:
            self._block([statement])
            result = self.env.pop(acc)
        finally:
            self.env = saved | {k: v for k, v in self.env.items() if k in saved and k not in targets}
            self.loop_locals.pop(acc, None)
        return result
