"""Fast calls of a compiled derivative: a dispatcher generated for the function's own
parameters, so that finding the compiled version costs a few type checks, not a
signature binding.

The generated function first checks that what the compiled versions assume of the names
the function reads from outside still holds (`assume`: a helper is the same object, a
global array has the same shape; no check where nothing is assumed). Then it tries, in
order: the last all-scalar signature it saw (an inline cache: one `type(x) is T` per
argument); the table of all-scalar signatures (by argument types); the table of
signatures with arrays (by types, shapes and dtypes); the pytree structures it has
seen (`tree_caller`: generated checks of their structures and leaves) and the values of
ints a version was compiled for (`value_caller`); and finally the general path
(binding, defaults, compiling), which calls `remember` so that the next call of that
signature is fast. Unknown keywords or extra arguments fail as they would on the
original function, whose name the dispatcher carries.

The dispatcher is the public entry of a call: a CompileError of the general path is
raised from its frame as `errors.for_user` says, so the user's traceback ends at their
call. The general path only finds the compiled function; the dispatcher calls it, so
that what the user's own code raises keeps all its frames.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from numpy import ndarray

from .errors import CompileError, for_user, name_frames
from .ir.types import foreign_array


class _Never:
    """A type no argument has: the inline cache's guard before it holds a signature."""


_MISSING = object()

_CALLERS = 8
"""How many pytree structures or int values (`Dispatch.remember_caller`) a dispatcher
tries before its general path."""


def _key(name: str) -> str:
    return f"(({name}.shape, {name}.dtype) if type({name}) is _adc_ndarray else type({name}))"


def can_generate(parameters: list[inspect.Parameter]) -> bool:
    """Whether a dispatcher can be generated for these parameters (plain ones, names not
    clashing with the generated code's own, which start with `_adc`)."""
    return all(
        p.kind is p.POSITIONAL_OR_KEYWORD and not p.name.startswith("_adc") for p in parameters
    )


def _read(ref: Any, k: int, scope: dict[str, Any]) -> str:
    """An expression reading `ref` (an `ir.externals.External`) now; `_adc_missing` where
    it is gone (the general path then says what Python would)."""
    scope[f"_adc_s{k}"] = ref.scope
    if ref.space == "cell":
        text = f"_adc_cell(_adc_s{k})"
    else:
        text = f"_adc_s{k}.get({ref.name!r}, _adc_missing)"
    for attr in ref.attrs:
        text = f"getattr({text}, {attr!r}, _adc_missing)"
    return text


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return _MISSING


def guard_expression(guards: list, refs: tuple, scope: dict[str, Any]) -> tuple[str | None, tuple]:
    """The test that `guards` (`frontend.environment.Guard`) hold and that the values at
    `refs` still have the types, shapes and dtypes they have now; its names go into
    `scope`. Also returns a snapshot of what it compares, to tell whether it changed."""
    parts: list[str] = []
    snapshot: list[Any] = []
    k = 0
    for guard in guards:
        if guard.test == "kind":
            continue
        read = _read(guard.ref, k, scope)
        scope[f"_adc_e{k}"] = guard.expected
        if guard.test == "is":
            parts.append(f"{read} is _adc_e{k}")
        elif guard.test == "type":
            parts.append(f"type({read}) is _adc_e{k}")
        else:
            scope[f"_adc_t{k}"] = type(guard.expected)
            parts.append(f"type(_adc_v := {read}) is _adc_t{k} and _adc_v == _adc_e{k}")
        snapshot.append(guard)
        k += 1
    for ref in refs:
        read = _read(ref, k, scope)
        try:
            value = ref.read()
        except Exception:  # noqa: BLE001 - unreadable now: always take the general path
            value = _MISSING
        if type(value) is ndarray or foreign_array(value):  # (another library's array: never, by the general path)
            scope[f"_adc_e{k}"], scope[f"_adc_d{k}"] = value.shape, value.dtype
            parts.append(f"type(_adc_v := {read}) is _adc_ndarray and _adc_v.shape == _adc_e{k} "
                         f"and _adc_v.dtype == _adc_d{k}")
            snapshot.append((ndarray, value.shape, value.dtype))
        else:
            scope[f"_adc_e{k}"] = type(value)
            parts.append(f"type({read}) is _adc_e{k}")
            snapshot.append(type(value))
        k += 1
    return (" and ".join(parts) if parts else None), tuple(snapshot)


_ENTRY = "_adc_dispatch"
"""The name the dispatcher is generated under (its code then takes the function's name,
which need not be an identifier: `<lambda>`)."""


def _general(indent: str, args: str, kwargs: str) -> list[str]:
    """The general path: find or compile the function for these arguments, then call it;
    a CompileError leaves from here (see the module's docstring)."""
    return [
        f"{indent}try:",
        f"{indent}    _adc_f, _adc_a = _adc_general({args}, {kwargs})",
        f"{indent}except _adc_CompileError as _adc_e:",
        f"{indent}    raise _adc_for_user(_adc_e)",
        f"{indent}return _adc_f(*_adc_a)",
    ]


def _source(parameters: list[inspect.Parameter], assumed: str | None = None) -> str:
    names = [p.name for p in parameters]
    signature = [n if p.default is p.empty else f"{n}=_adc_missing" for n, p in zip(names, parameters)]
    optional = [n for n, p in zip(names, parameters) if p.default is not p.empty]
    comma = "," if len(names) == 1 else ""
    args = ", ".join(names) + comma
    pairs = ", ".join(f"({n!r}, {n})" for n in names) + comma
    guard = " and ".join(f"type({n}) is _adc_t{i}" for i, n in enumerate(names)) or "False"
    lines = [f"def {_ENTRY}({', '.join(signature)}):"]
    if optional:
        missing = " or ".join(f"{n} is _adc_missing" for n in optional)
        given = f"{{k: v for k, v in ({pairs}) if v is not _adc_missing}}"
        lines += [f"    if {missing}:", *_general("        ", "()", given)]
    if assumed is not None:  # (after the defaults: the general path fills them in)
        lines += [f"    if not ({assumed}):", *_general("        ", f"({args})", "{}")]
    lines += [
        f"    if {guard}:",
        f"        return _adc_last({args})",
        f"    _adc_f = _adc_by_type(({', '.join(f'type({n})' for n in names)}{comma}))",
        "    if _adc_f is None:",
        f"        _adc_f = _adc_by_shape(({', '.join(_key(n) for n in names)}{comma}))",
        "        if _adc_f is None:",
        "            for _adc_c in _adc_trees:",
        f"                _adc_v = _adc_c({args})",
        "                if _adc_v is not _adc_missing:",
        "                    return _adc_v",
        *_general("            ", f"({args})", "{}"),
        f"    return _adc_f({args})",
    ]
    return "\n".join(lines) + "\n"


class Dispatch:
    """The dispatcher of one derivative (`function`) and the tables it reads."""

    def __init__(
        self, name: str, parameters: list[inspect.Parameter],
        general: Callable[[tuple, dict], tuple[Callable[..., Any], tuple]],
    ) -> None:
        """`general(args, kwargs)` binds a call's arguments and returns the compiled
        function for them and the values to call it with (defaults filled in)."""
        self._by_type: dict[tuple, Callable[..., Any]] = {}
        self._by_shape: dict[tuple, Callable[..., Any]] = {}
        self._trees: list[Callable[..., Any]] = []
        self._arity = len(parameters)
        self._scope: dict[str, Any] = {
            "_adc_ndarray": ndarray,
            "_adc_missing": _MISSING,
            "_adc_by_type": self._by_type.get,
            "_adc_by_shape": self._by_shape.get,
            "_adc_trees": self._trees,
            "_adc_general": general,
            "_adc_cell": _cell,
            "_adc_CompileError": CompileError,
            "_adc_for_user": for_user,
        }
        self._name, self._parameters = name, parameters
        self._assumed: tuple | None = None
        self.forget()
        if can_generate(parameters):
            self.function: Callable[..., Any] = self._generate(None)
        else:
            def call_general(*args: Any, **kwargs: Any) -> Any:
                try:
                    function, values = general(args, kwargs)
                except CompileError as err:
                    raise for_user(err)  # noqa: B904 - reported at the user's call
                return function(*values)

            name_frames(call_general, name)
            self.function = call_general

    def _generate(self, guard: str | None) -> Callable[..., Any]:
        filename = f"<ad_compiler dispatch {self._name}>"
        exec(compile(_source(self._parameters, guard), filename, "exec"), self._scope)  # noqa: S102
        function = self._scope.pop(_ENTRY)
        name_frames(function, self._name)
        function.__name__ = function.__qualname__ = self._name
        return function

    def assume(self, guards: list, refs: tuple) -> None:
        """The versions remembered from now on assume `guards` and the present types,
        shapes and dtypes of the values at `refs`; when that changes, the dispatcher
        forgets what it remembered and checks the new assumptions on every call."""
        scope: dict[str, Any] = {}
        guard, snapshot = guard_expression(guards, refs, scope)
        assumed = (id(guards), snapshot)
        if assumed == self._assumed:
            return
        self.forget()
        self._assumed = assumed
        if not can_generate(self._parameters):
            return
        self._scope.update(scope)
        self.function.__code__ = self._generate(guard).__code__

    def remember(self, values: tuple, function: Callable[..., Any]) -> None:
        """Calls with positional `values` of this signature go to `function` from now on."""
        if len(values) != self._arity:
            return
        if any(foreign_array(v) for v in values):  # (by the general path, which reads shapes)
            return
        if any(type(v) is ndarray for v in values):
            key = tuple((v.shape, v.dtype) if type(v) is ndarray else type(v) for v in values)
            self._by_shape[key] = function
            return
        types = tuple(map(type, values))
        self._by_type[types] = function
        self._scope.update({f"_adc_t{i}": t for i, t in enumerate(types)}, _adc_last=function)

    def has_room(self) -> bool:
        """Whether `remember_caller` would keep another caller (a caller costs a
        compilation to make: none is made that would not be kept)."""
        return len(self._trees) < _CALLERS

    def remember_caller(self, caller: Callable[..., Any]) -> None:
        """Calls that `caller` takes (`tree_caller`: pytree arguments; `value_caller`:
        ints a version was compiled for the values of) go to it from now on, tried in
        turn before the general path."""
        if len(self._trees) < _CALLERS:
            self._trees.append(caller)

    def forget(self) -> None:
        """Drop every remembered signature."""
        self._by_type.clear()
        self._by_shape.clear()
        self._trees.clear()
        self._scope.update({f"_adc_t{i}": _Never for i in range(self._arity)}, _adc_last=None)


def tree_caller(trees: tuple, leaf_key: tuple, function: Callable[..., Any], result: Any,
                name: str) -> Callable[..., Any]:
    """A function of a call's pytree arguments that checks, in generated code, that they
    have the structures `trees` and leaves `leaf_key` (shapes and dtypes, types), calls
    `function` with their leaves, and puts its result together as `result` (a TreeDef);
    `_MISSING` where the arguments differ. The fast path of calls with pytrees: taking
    them apart and putting the result together cost what Python statements cost."""
    scope: dict[str, Any] = {"_adc_f": function, "_adc_missing": _MISSING, "_adc_ndarray": ndarray}
    tests: list[str] = []
    reads: list[str] = []
    keys = iter(leaf_key)

    def constant(value: Any) -> str:
        label = f"_adc_c{len(scope)}"
        scope[label] = value
        return label

    def walk(tree: Any, text: str) -> None:
        if tree.is_leaf:
            tests.append(_key_test(text, next(keys), constant))
            reads.append(text)
        elif tree.node == "none":
            tests.append(f"{text} is None")
        elif tree.node in ("list", "tuple"):
            tests.append(f"type({text}) is {tree.node} and len({text}) == {len(tree.children)}")
            for k, child in enumerate(tree.children):
                walk(child, f"{text}[{k}]")
        elif tree.node == "dict":
            tests.append(f"type({text}) is dict and {text}.keys() == {constant(set(tree.keys))}")
            for key, child in zip(tree.keys, tree.children):
                walk(child, f"{text}[{key!r}]")
        else:
            tests.append(f"type({text}) is {constant(tree.cls)}")
            for field, child in zip(tree.keys, tree.children):
                walk(child, f"{text}.{field}")

    params = [f"_adc_a{k}" for k in range(len(trees))]
    for tree, param in zip(trees, params):
        walk(tree, param)
    count = iter(range(result.leaves))

    def build(tree: Any) -> str:
        if tree.is_leaf:
            return f"_adc_r[{next(count)}]"
        if tree.node == "none":
            return "None"
        items = [build(child) for child in tree.children]
        if tree.node == "tuple":
            return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
        if tree.node == "list":
            return f"[{', '.join(items)}]"
        if tree.node == "dict":
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(tree.keys, items)) + "}"
        if tree.node == "namedtuple":
            return f"{constant(tree.cls)}({', '.join(items)})"
        return f"{constant(_made)}({constant(tree.cls)}, {constant(tree.keys)}, ({', '.join(items)},))"

    scope["_adc_flat"] = _flat_tuple
    lines = [f"def {_ENTRY}({', '.join(params)}):",
             f"    if not ({' and '.join(tests) or 'True'}):",
             "        return _adc_missing",
             f"    _adc_r = _adc_flat(_adc_f({', '.join(reads)}))",
             f"    return {build(result)}"]
    exec(compile("\n".join(lines) + "\n", f"<ad_compiler pytree dispatch {name}>", "exec"), scope)  # noqa: S102
    return scope[_ENTRY]


def _key_test(text: str, key: Any, constant: Callable[[Any], str]) -> str:
    """The generated test that the value `text` has the key `key`: an array's (shape,
    dtype), or a type; `constant` names a value in the generated code's scope."""
    if isinstance(key, tuple):
        return f"type({text}) is _adc_ndarray and {text}.shape == {constant(key[0])} and {text}.dtype == {constant(key[1])}"
    return f"type({text}) is {constant(key)}"


def value_caller(values: tuple, known: frozenset[int], function: Callable[..., Any], name: str
                 ) -> Callable[..., Any]:
    """A function of a call's positional arguments that checks, in generated code, that
    they have the types (an array's shape and dtype) of `values`, and at the positions
    `known` their values (ints a version was compiled for, `shape_ints`), and calls
    `function`; `_MISSING` where they differ."""
    scope: dict[str, Any] = {"_adc_f": function, "_adc_missing": _MISSING, "_adc_ndarray": ndarray}

    def constant(value: Any) -> str:
        label = f"_adc_c{len(scope)}"
        scope[label] = value
        return label

    params = [f"_adc_a{k}" for k in range(len(values))]
    tests: list[str] = []
    for k, (param, value) in enumerate(zip(params, values)):
        key = (value.shape, value.dtype) if type(value) is ndarray or foreign_array(value) else type(value)
        tests.append(_key_test(param, key, constant) + (f" and {param} == {value!r}" if k in known else ""))
    lines = [f"def {_ENTRY}({', '.join(params)}):",
             f"    if not ({' and '.join(tests) or 'True'}):",
             "        return _adc_missing",
             f"    return _adc_f({', '.join(params)})"]
    exec(compile("\n".join(lines) + "\n", f"<ad_compiler int dispatch {name}>", "exec"), scope)  # noqa: S102
    return scope[_ENTRY]


def _flat_tuple(value: Any) -> Any:
    """The leaves of a derivative's result (nested tuples taken apart; a value as it is)."""
    if type(value) is not tuple:
        return (value,)
    if all(type(item) is not tuple for item in value):
        return value
    return tuple(leaf for item in value for leaf in _flat_tuple(item))


def _made(cls: type, fields: tuple, items: tuple) -> Any:
    """A dataclass instance with these fields, without `__init__` (as `ir.trees.unflatten`)."""
    made = object.__new__(cls)
    for field, item in zip(fields, items):
        object.__setattr__(made, field, item)
    return made
