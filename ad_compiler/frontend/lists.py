"""Code on lists, dicts and structured arguments, resolved at compile time (mixed into
the lowerer; the containers themselves: `containers.py`).

Displays (`[a, b]`, `{"W": W}`), indexing and slicing with constants (an int known only
at run time reads an item of a run-time list of the items, `runlists`), `len`, iteration
(unrolled), comprehensions and generator expressions over what is known item by item,
the list and dict methods that change one (`append`, `extend`, `insert`, `pop`,
`update`, ...), and the builtins that read one (`sum`, `min`, `max`, `any`, `all`,
`list`, `tuple`, `dict`, `reversed`, `sorted` of constants).
"""

from __future__ import annotations

import ast
from typing import Any, NoReturn

from ..errors import UnsupportedError
from ..ir.core import Const, Operand, Value
from .containers import (
    DictOf, ListOf, RecordOf, TupleOf, describe_structure, is_container, reaches, replace_items,
)
from .resolve import Resolved

OPERANDS = (Value, Const)

UNROLL_LIMIT = 256
"""The most iterations a loop is unrolled into (each becomes straight-line code)."""

_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "reverse", "update",
                       "setdefault", "popitem", "sort"})
"""Methods that change a list or dict in place: the variable names a new container after."""


class Unrollable(UnsupportedError):
    """What a `for` loop over a range known at compile time can make possible by being
    unrolled (its index then a constant): indexing a list with the loop's index, a list
    that grows by an item per iteration. Uncaught, it is the refusal it says."""


def mutated_names(stmts: list[ast.stmt]) -> list[str]:
    """Variables a block changes through a method (`xs.append(v)`): for control flow,
    assignments as much as `xs = ...`."""
    names: list[str] = []
    for stmt in stmts:
        for node in ast.walk(stmt):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in _MUTATORS and isinstance(node.func.value, ast.Name)
                    and node.func.value.id not in names):
                names.append(node.func.value.id)
    return names


class ContainerCode:
    """List and dict code for `_Lowerer` (which provides visit, _operand, _emit, _refuse,
    _error, _bind, env, shared, ...)."""

    # ---- displays ----

    def visit_List(self, node: ast.List) -> ListOf:
        return ListOf(tuple(self._items(node.elts)), owned=True)

    def visit_Dict(self, node: ast.Dict) -> DictOf:
        keys: list[Any] = []
        items: list[Any] = []
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:  # {**other}
                other = self.visit(value_node)
                if not isinstance(other, DictOf):
                    self._refuse(value_node, "** in a dict display takes a dict whose keys are known here")
                for k, v in zip(other.keys, other.items):
                    _set_entry(keys, items, k, v)
                continue
            _set_entry(keys, items, self._key(key_node), self.visit(value_node))
        return DictOf(tuple(keys), tuple(items), owned=True)

    def visit_Set(self, node: ast.Set) -> NoReturn:
        self._refuse(node, "set displays ({a, b}) are not supported; use a list [a, b] or a tuple (a, b)")

    def _items(self, elts: list[ast.expr]) -> list[Any]:
        """The items of a display, `*xs` of a list or tuple known here spliced in."""
        items: list[Any] = []
        for elt in elts:
            if isinstance(elt, ast.Starred):
                items.extend(self._sequence_items(self.visit(elt.value), elt.value, "*"))
            else:
                items.append(self.visit(elt))
        return items

    def _key(self, node: ast.expr) -> Any:
        key = self._constant_of(self.visit(node))
        if not isinstance(key, Const) or not _hashable(key.value):
            self._refuse(node, "a dict key must be known here: a string or number written in the code, or a "
                         "module-level constant")
        return key.value

    def _sequence_items(self, value: Any, node: ast.AST, what: str) -> list[Any]:
        """The items of what is iterated or spliced, known here: a list, a tuple (built
        here or constant), a dict's keys; otherwise refused, saying what to do."""
        if isinstance(value, (ListOf, TupleOf)) or (isinstance(value, RecordOf) and value.indexable):
            return list(value.items)
        if isinstance(value, DictOf):
            return [Const(k) for k in value.keys]
        if isinstance(value, Const) and isinstance(value.value, (tuple, list, range, str)):
            return [Const(v) for v in value.value]
        items = self.shared.tuples.get(value) if isinstance(value, Value) else None
        if items is not None:
            return list(items)
        if what == "a comprehension":
            self._refuse(node, "a comprehension over an array or a sequence known only at run time is not "
                         "supported yet; write the computation with vectorized NumPy calls (np.sum(x * x) for "
                         "sum(v * v for v in x)), or go over a list or tuple")
        self._refuse(node, f"{what} here needs a list or tuple whose items are known where it is written; "
                     "for an array, index it (x[0], x[1]) or loop over range(len(x))")

    # ---- reading ----

    def _container_item(self, base: Any, index_node: ast.expr, node: ast.AST) -> Any:
        """`xs[1]`, `xs[-1]`, `xs[1:]`, `d["W"]`, `p[0]` of a NamedTuple."""
        if isinstance(base, DictOf):
            key = self._key(index_node)
            if not base.has(key):
                self._refuse(node, f"the dict has no key {key!r} (its keys: {', '.join(map(repr, base.keys))})")
            return base.get(key)
        if isinstance(base, RecordOf) and not base.indexable:
            self._refuse(node, f"a {base.cls.__name__} is read by attribute ({base.cls.__name__}.field), not by index")
        index = self.visit(index_node) if not isinstance(index_node, ast.Slice) else self._index(index_node)
        index = self._constant_of(index) if not isinstance(index, Const) else index
        if not isinstance(index, Const):
            if isinstance(index_node, ast.Slice):  # (in a loop over a range known here, it is unrolled)
                raise self._error(node, f"slicing a {base.kind} with bounds known only at run time is not "
                                  "supported; slice with constants, or stack it first (np.stack(xs)[i:])", Unrollable)
            return self._run_time_index(base, index, node)
        n = len(base.items)
        if isinstance(index.value, slice):
            items = base.items[index.value]
            return ListOf(items, owned=True) if isinstance(base, ListOf) else TupleOf(items)
        if not isinstance(index.value, int) or isinstance(index.value, bool):
            self._refuse(node, f"a {base.kind} is indexed by an int or a slice, not {index.value!r}")
        if not -n <= index.value < n:
            self._refuse(node, f"{base.kind} index {index.value} is out of range: it has {n} items")
        return base.items[index.value]

    def _run_time_index(self, base: ListOf | TupleOf, index: Any, node: ast.AST) -> Operand:
        """`xs[i]` of a list or tuple known here with an int known only at run time: with
        the index of a loop that may be unrolled, unrolled (`Unrollable`); else an item of
        the run-time list of its items."""
        if isinstance(index, Value) and index in self.shared.counters:
            raise self._error(node, f"indexing a {base.kind} with a value known only at run time is not "
                              "supported here", Unrollable)
        if not isinstance(index, Value) or self._is_list(index):
            self._refuse(node, f"a {base.kind} is indexed by an int or a slice, not {describe_structure(index, OPERANDS)}")
        return self._run_time_item(base, index, node)

    def _record_field(self, base: RecordOf, attr: str, node: ast.AST) -> Any:
        if attr not in base.fields:
            self._refuse(node, f"a {base.cls.__name__} has no field {attr!r} (its fields: {', '.join(base.fields)})")
        return base.get(attr)

    # ---- changing ----

    def _owned(self, name: str, value: Any, node: ast.AST) -> None:
        """A container may change only if this function made it and no other name reaches
        it (another variable, an item of another container, a caller's variable): then a
        new value under the same name is what Python's in-place change means."""
        if not value.owned:
            self._refuse(node, f"'{name}' is an argument (the caller's {value.kind}): changing it in place "
                         f"would change the caller's too, which the derivative cannot do; make a copy first "
                         f"({name} = {'dict' if isinstance(value, DictOf) else 'list'}({name}))")
        self._not_shared(name, value, node)

    def _not_shared(self, name: str, value: Any, node: ast.AST) -> None:
        """Refuse changing `value` in place where another name reaches it."""
        for lowerer in self.shared.lowerers:
            for other, held in lowerer.env.items():
                if other == name and lowerer is self:
                    continue
                if held is value or (is_container(held) and reaches(held, value)):
                    where = f"'{other}'" if lowerer is self else f"'{other}' of the caller"
                    self._refuse(node, f"'{name}' is also reached through {where}: changing it in place would "
                                 f"change both; make a copy first ({name} = list({name})), or build a new one")

    def _container_store(self, name: str, base: Any, index_node: ast.expr, value: Any, node: ast.AST) -> None:
        """`xs[1] = v`, `d["W"] = v`: the variable names a new container."""
        self._owned(name, base, node)
        if isinstance(base, DictOf):
            keys, items = list(base.keys), list(base.items)
            _set_entry(keys, items, self._key(index_node), value)
            self.env[name] = DictOf(tuple(keys), tuple(items), base.owned)
            return
        if not isinstance(base, ListOf):
            self._refuse(node, f"a {base.kind} cannot be changed; build a new one")
        index = self._constant_of(self.visit(index_node))
        if isinstance(index, Value) and index not in self.shared.counters and not self._is_list(index):
            listed = self._listed(self._emit("list", self._held(list(base.items), node), node))
            self.env[name] = listed  # (a run-time list from here on: the item it replaces is known only then)
            self._list_store(name, listed, index, value, node)
            return
        if not isinstance(index, Const) or not isinstance(index.value, int):
            raise self._error(node, "assigning to an item of a list at an index known only at run time is not "
                              "supported; use a constant index, or loop over range(len(xs))", Unrollable)
        items = list(base.items)
        if not -len(items) <= index.value < len(items):
            self._refuse(node, f"list index {index.value} is out of range: it has {len(items)} items")
        items[index.value] = value
        self.env[name] = ListOf(tuple(items), base.owned)

    def _container_method(self, base: Any, method: str, node: ast.Call) -> Resolved:
        """A method of a list or dict known here."""
        target = node.func.value
        args = [self.visit(arg) for arg in node.args]
        if method in ("keys", "values", "items") and isinstance(base, DictOf):
            if method == "keys":
                return ListOf(tuple(Const(k) for k in base.keys), owned=True)
            if method == "values":
                return ListOf(base.items, owned=True)
            return ListOf(tuple(self._pair(Const(k), v, node) for k, v in zip(base.keys, base.items)), owned=True)
        if method == "get" and isinstance(base, DictOf):
            key = self._key(node.args[0])
            return base.get(key) if base.has(key) else (args[1] if len(args) > 1 else Const(None))
        if method == "copy":
            return replace_items(base, base.items, owned=True)
        if method == "index" and isinstance(base, (ListOf, TupleOf)):
            found = [k for k, item in enumerate(base.items) if item is args[0]
                     or (isinstance(item, Const) and isinstance(args[0], Const) and item == args[0])]
            if not found:
                self._refuse(node, "list.index of a value is supported for constants and the very items of the list")
            return Const(found[0])
        if method not in _MUTATORS:
            self._refuse(node.func, f"the {base.kind} method .{method}() is not supported; write it with indexing "
                         "and a loop")
        if not isinstance(target, ast.Name):
            self._refuse(node.func, f".{method}() changes a {base.kind} in place: call it on a variable")
        name = target.id
        self._owned(name, base, node)
        result, updated = self._mutate(base, method, args, node)
        self.env[name] = updated
        return result

    def _mutate(self, base: Any, method: str, args: list, node: ast.Call) -> tuple[Resolved, Any]:
        """(what the method returns, the container after it)."""
        if isinstance(base, DictOf):
            keys, items = list(base.keys), list(base.items)
            if method == "update":
                if len(args) != 1 or not isinstance(args[0], DictOf) or node.keywords:
                    self._refuse(node, "dict.update takes one dict whose keys are known here")
                for k, v in zip(args[0].keys, args[0].items):
                    _set_entry(keys, items, k, v)
                return Const(None), DictOf(tuple(keys), tuple(items), base.owned)
            if method in ("pop", "setdefault"):
                key = self._key(node.args[0])
                if base.has(key):
                    value = base.get(key)
                    if method == "pop":
                        k = next(i for i, kk in enumerate(keys) if type(kk) is type(key) and kk == key)
                        del keys[k], items[k]
                    return value, DictOf(tuple(keys), tuple(items), base.owned)
                if len(args) < 2 and method == "pop":
                    self._refuse(node, f"the dict has no key {key!r}")
                default = args[1] if len(args) > 1 else Const(None)
                if method == "setdefault":
                    _set_entry(keys, items, key, default)
                return default, DictOf(tuple(keys), tuple(items), base.owned)
            if method == "clear":
                return Const(None), DictOf((), (), base.owned)
            self._refuse(node, f"dict.{method}() is not supported here")
        if not isinstance(base, ListOf):
            self._refuse(node, f"a {base.kind} has no method .{method}(); it cannot be changed")
        items = list(base.items)
        if method == "append":
            if len(args) != 1:
                self._refuse(node, "list.append takes one item")
            items.append(args[0])
        elif method == "extend":
            items.extend(self._sequence_items(args[0], node.args[0], "extend"))
        elif method == "insert":
            position = args[0]
            if not isinstance(position, Const) or not isinstance(position.value, int):
                self._refuse(node, "list.insert takes a position known here")
            items.insert(position.value, args[1])
        elif method == "pop":
            position = args[0] if args else Const(-1)
            if not isinstance(position, Const) or not isinstance(position.value, int):
                self._refuse(node, "list.pop takes a position known here")
            if not items:
                self._refuse(node, "pop from an empty list")
            value = items.pop(position.value)
            return value, ListOf(tuple(items), base.owned)
        elif method == "reverse":
            items.reverse()
        elif method == "clear":
            items = []
        elif method == "remove":
            self._refuse(node, "list.remove is not supported; use pop with a position")
        else:  # sort
            if not all(isinstance(item, Const) for item in items):
                self._refuse(node, "list.sort sorts constants only; sort an array with np.sort")
            items = [Const(v) for v in sorted(item.value for item in items)]
        return Const(None), ListOf(tuple(items), base.owned)

    def _joined_sequences(self, op: ast.operator, left: Any, right: Any, node: ast.AST) -> Resolved:
        """`xs + ys` of lists (or tuples) known here, `xs * 3` and `3 * xs`."""
        if isinstance(op, ast.Mult):
            count, sequence = (right, left) if is_container(left) else (left, right)
            count = self._constant_of(count)
            if not isinstance(count, Const) or not isinstance(count.value, int):
                self._refuse(node, f"* of a {sequence.kind} repeats it a whole number of times known here "
                             "(xs * 3); for arithmetic on its items make an array: np.asarray(xs) * 2.0")
            items = self._sequence_items(sequence, node, "repeating") * count.value
            return replace_items(sequence, tuple(items), owned=True)
        if not isinstance(op, ast.Add):
            self._refuse(node, "lists and tuples are joined with + and repeated with *; for arithmetic on "
                         "their items make an array: np.asarray(xs)")
        kinds = {value.kind if is_container(value) else "tuple" for value in (left, right)}
        if len(kinds) > 1:
            self._refuse(node, f"cannot join a {' and a '.join(sorted(kinds))} with +")
        items = self._sequence_items(left, node, "joining") + self._sequence_items(right, node, "joining")
        if kinds == {"list"}:
            return ListOf(tuple(items), owned=True)
        return self._tuple(items, node)

    def _pair(self, a: Any, b: Any, node: ast.AST) -> Any:
        if all(isinstance(x, OPERANDS) for x in (a, b)):
            return self._tuple([a, b], node)
        return TupleOf((a, b))

    # ---- builtins over containers ----

    def _container_builtin(self, fn: Any, node: ast.Call) -> Resolved | None:
        """`len`, `sum`, `min`, `max`, `any`, `all`, `list`, `tuple`, `dict`, `reversed`,
        `sorted`, `range`, `zip`, `enumerate` where their argument is known item by item
        (None: not such a call)."""
        if fn not in CONTAINER_BUILTINS or (node.keywords and fn is not sum) or any(
                isinstance(arg, ast.Starred) for arg in node.args):
            return None
        if not node.args:
            return ListOf((), owned=True) if fn is list else DictOf((), (), True) if fn is dict else None
        values = [self.visit(arg) for arg in node.args]
        if self._is_list(values[0]) and fn not in (zip, enumerate, range, reversed):
            return self._list_builtin(fn, values[0], node)
        if fn is list and len(values) == 1 and isinstance(values[0], Value) and values[0] not in self.shared.tuples:
            return self._listed(self._emit("items", values, node))  # the items of an array
        found = self._lazy_sequence(fn, values, node) if fn in (zip, enumerate, range) else (
            self._of_items(fn, values, node) if _known(values[0], self.shared.tuples) else None)
        if found is None:  # not a sequence known here: the call as usual, on the values found
            self.premade.update({id(arg): value for arg, value in zip(node.args, values)})
        return found

    def _of_items(self, fn: Any, values: list, node: ast.Call) -> Resolved:
        first = values[0]
        items = self._sequence_items(first, node.args[0], fn.__name__)
        if fn is len:
            return Const(len(items))
        if fn in (min, max) and len(values) > 1:
            return None  # min(a, b): the prim
        if fn is list:
            return ListOf(tuple(items), owned=True)
        if fn is tuple:
            return self._tuple(items, node) if all(isinstance(i, OPERANDS) for i in items) else TupleOf(tuple(items))
        if fn is dict:
            if not isinstance(first, DictOf):
                self._refuse(node, "dict() takes a dict here")
            return DictOf(first.keys, first.items, owned=True)
        if fn is reversed:
            return ListOf(tuple(reversed(items)), owned=True)
        if fn is sorted:
            if not all(isinstance(item, Const) for item in items):
                self._refuse(node, "sorted() sorts constants only here; sort an array with np.sort")
            return ListOf(tuple(Const(v) for v in sorted(item.value for item in items)), owned=True)
        if fn is sum:
            start = values[1] if len(values) > 1 else None
            for kw in node.keywords:
                if kw.arg == "start":
                    start = self.visit(kw.value)
            return self._fold_items("add", items, start, node)
        if fn in (min, max):
            if not items:
                self._refuse(node, f"{fn.__name__}() of an empty sequence")
            return self._fold_items(fn.__name__, items, None, node)
        return self._any_all(fn is all, items, node)

    def _any_all(self, conjunction: bool, items: list[Any], node: ast.AST) -> Operand:
        """`all(xs)`, `any(xs)`: `x0 and x1 ...` (`or`), short-circuit as Python's, then
        a bool, as they return."""
        result: Operand = Const(conjunction)
        for item in items:
            if not isinstance(item, OPERANDS):
                self._refuse(node, f"{'all' if conjunction else 'any'}() of items that are not values")
            if isinstance(result, Const):
                if bool(result.value) == conjunction:
                    result = item
                continue
            kept, taken = ([], [result]), ([], [item])
            (result,) = self._cond(result, node, [taken, kept] if conjunction else [kept, taken], [""])
        return self._emit("not_", [self._emit("not_", [result], node)], node)

    def _fold_items(self, prim: str, items: list[Any], start: Any, node: ast.AST) -> Operand:
        """`sum(xs)` as `xs[0] + xs[1] + ...` (a start of 0 adds nothing, as in Python's
        value), `min` and `max` pairwise."""
        for item, where in zip(items, [node] * len(items)):
            if not isinstance(item, OPERANDS):
                self._refuse(where, f"{prim}() of {describe_structure(item, OPERANDS)}: its items must be numbers or arrays")
        if prim == "add" and start is not None and not (isinstance(start, Const) and start.value == 0):
            items = [start, *items]
        if not items:
            return Const(0) if start is None else start
        result = items[0]
        for item in items[1:]:
            result = self._emit(prim, [result, item], node)
        return result

    def _lazy_sequence(self, fn: Any, values: list, node: ast.Call) -> Resolved | None:
        """`range(3)`, `zip(xs, ys)`, `enumerate(xs)` of what is known here, as a list of
        their items (None: a run-time range, iterated by a loop)."""
        if fn is range:
            bounds = [self._constant_of(v) for v in values]
            if not all(isinstance(b, Const) and isinstance(b.value, int) for b in bounds):
                return None
            return ListOf(tuple(Const(i) for i in range(*(b.value for b in bounds))), owned=True)
        sequences = []
        for value, arg in zip(values, node.args):
            if fn is enumerate and sequences:  # the start
                break
            if not _known(value, self.shared.tuples):
                return None
            sequences.append(self._sequence_items(value, arg, fn.__name__))
        if fn is enumerate:
            start = self._constant_of(values[1]) if len(values) > 1 else Const(0)
            if not isinstance(start, Const):
                self._refuse(node, "enumerate's start must be known here")
            pairs = [self._pair(Const(start.value + k), item, node) for k, item in enumerate(sequences[0])]
            return ListOf(tuple(pairs), owned=True)
        n = min(len(s) for s in sequences)
        rows = []
        for k in range(n):
            row = [s[k] for s in sequences]
            rows.append(self._tuple(row, node) if all(isinstance(i, OPERANDS) for i in row) else TupleOf(tuple(row)))
        return ListOf(tuple(rows), owned=True)

    # ---- arrays of items ----

    def _joined_call(self, prim: str, display: str, node: ast.Call) -> Resolved | None:
        """`np.stack(xs)`, `np.concatenate((a, b), axis=1)`, `np.vstack`, `np.hstack`, and
        `np.array([a, b * 2])` (nested: rows first) of items known here: one op whose
        operands are the items, each with its own derivative (None: not such a call)."""
        if not node.args or isinstance(node.args[0], ast.Starred):
            return None
        first = self.visit(node.args[0])
        if not _known(first, self.shared.tuples):
            self.premade[id(node.args[0])] = first
            return None
        if prim in ("np.array", "np.asarray"):
            extra = [kw.arg for kw in node.keywords if kw.arg != "dtype"]
            if len(node.args) > 1 or extra:
                self._refuse(node, f"{display} of a list takes dtype= alone here")
            return self._array_of(first, node, self._keywords(node, display))
        attrs = self._keywords(node, display)
        if len(node.args) > 1:
            axis = self._constant_of(self.visit(node.args[1]))
            if len(node.args) > 2 or not isinstance(axis, Const):
                self._refuse(node, f"{display} takes the sequence and an axis known here (axis=0)")
            attrs["axis"] = axis.value
        items = [self._as_operand(item, node.args[0]) for item in self._sequence_items(first, node.args[0], display)]
        if not items:
            self._refuse(node, f"{display} of an empty sequence: NumPy needs at least one array")
        return self._emit(prim, items, node, attrs)

    def _array_of(self, value: Any, node: ast.Call, attrs: dict) -> Operand:
        """`np.array` of a list of numbers or arrays (of lists of them: a matrix)."""
        items = self._sequence_items(value, node, "np.array")
        rows = [self._array_of(item, node, {}) if _known(item, self.shared.tuples) else self._as_operand(item, node)
                for item in items]
        if rows and all(isinstance(row, Const) and not hasattr(row.value, "shape") for row in rows):
            return self._emit("np.array", [Const(tuple(row.value for row in rows))], node, attrs)
        if not rows:
            self._refuse(node, "np.array of an empty list: write np.zeros(0)")
        return self._emit("np.stack", rows, node, attrs)

    # ---- comprehensions ----

    def visit_ListComp(self, node: ast.ListComp) -> ListOf | Value:
        items = self._comprehension(node, lambda: self.visit(node.elt))
        return items if isinstance(items, Value) else ListOf(tuple(items), owned=True)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> ListOf | Value:
        return self.visit_ListComp(node)

    def visit_DictComp(self, node: ast.DictComp) -> DictOf:
        keys: list[Any] = []
        items: list[Any] = []
        for key, value in self._comprehension(node, lambda: (self._key(node.key), self.visit(node.value))):
            _set_entry(keys, items, key, value)
        return DictOf(tuple(keys), tuple(items), owned=True)

    def visit_SetComp(self, node: ast.SetComp) -> NoReturn:
        self._refuse(node, "set comprehensions are not supported; use a list comprehension")

    def _comprehension(self, node: Any, element: Any) -> list[Any] | Value:
        """The elements of a comprehension over sequences known here, unrolled; its
        variables are its own (the function's of the same names are kept). Over a
        sequence known only at run time: a run-time list (`runlists`)."""
        saved = dict(self.env)
        out: list[Any] = []
        if any(gen.is_async for gen in node.generators):
            self._refuse(node, "async comprehensions are not supported")
        iterated = node.generators[0].iter
        with self._region() as looked:
            first = self.visit(iterated)
        if not _known(first, self.shared.tuples):  # a run-time sequence: the loop it means, lowered afresh
            for part in ast.walk(iterated):
                self.premade.pop(id(part), None)
            return self._run_time_comprehension(node)
        self.ops.extend(looked)
        self.premade[id(iterated)] = first

        def run(generators: list[ast.comprehension]) -> None:
            if not generators:
                out.append(element())
                return
            gen = generators[0]
            for item in self._iterated(gen.iter):
                self.fresh = set()
                self._bind(gen.target, item)
                keep = True
                for test in gen.ifs:
                    truth = self._constant_of(self._operand(test))
                    if not isinstance(truth, Const):  # (known in a loop unrolled around it, maybe)
                        raise self._error(test, "a condition in a comprehension over a list known here must be "
                                          "known here too (it decides how many items there are); use np.where "
                                          "for values known at run time", Unrollable)
                    keep = keep and self._truth(truth, test)
                if keep:
                    run(generators[1:])

        try:
            run(node.generators)
        finally:
            self.env = saved | {k: v for k, v in self.env.items() if k in saved and k not in _targets(node)}
        return out

    def _iterated(self, node: ast.expr) -> list[Any]:
        """The items a comprehension goes over, when known here."""
        return self._sequence_items(self.visit(node), node, "a comprehension")


CONTAINER_BUILTINS = frozenset({len, sum, min, max, any, all, list, tuple, dict, reversed, sorted, range, zip,
                                enumerate})
"""Builtins that read a sequence known item by item at compile time (`_container_builtin`)."""


def _known(value: Any, tuples: dict) -> bool:
    """Whether the items of `value` are known here: a container, a constant tuple, an IR
    tuple built here."""
    if is_container(value):
        return not isinstance(value, RecordOf) or value.indexable
    if isinstance(value, Const):
        return isinstance(value.value, (tuple, list, range))
    return isinstance(value, Value) and value in tuples


def _set_entry(keys: list, items: list, key: Any, value: Any) -> None:
    for k, existing in enumerate(keys):
        if type(existing) is type(key) and existing == key:
            items[k] = value
            return
    keys.append(key)
    items.append(value)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return isinstance(value, (str, int, float, bool, tuple, type(None)))


def _targets(node: Any) -> set[str]:
    return {n.id for gen in node.generators for n in ast.walk(gen.target) if isinstance(n, ast.Name)}

