"""Lists, dicts and structured arguments known item by item at compile time.

A list display, a dict with constant keys, a tuple holding one of them, or an argument
that is a pytree (`params = [(W1, b1), (W2, b2)]`, a dict, a NamedTuple, a dataclass) is
a *container*: the frontend holds its items (IR operands, or containers) and resolves
every use at compile time — `xs[1]`, `len(xs)`, `d["W"]`, `for W, b in params`, a
comprehension — so the IR never sees it, only its items. Code written with lists of
parameters becomes the straight-line code a person would write with one variable per
item (`for W, b in params` unrolled: each layer with its own shapes).

Containers are values: changing one (`xs.append(v)`, `d[k] = v`) makes a new container
that the variable names from then on. That is Python's meaning as long as no other name
reaches the old one, which the lowerer checks (`Lowerer._owned`); an argument's container
is the caller's, never changed.

Where paths meet (a branch, a loop), a container is taken apart into its leaves
(`leaves`) and put together again from the region's results (`rebuild`): both paths must
give it the same structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True, eq=False)
class ListOf:
    """A Python list; `owned`: made by this function, so it may be changed in place."""

    items: tuple
    owned: bool = True

    kind = "list"


@dataclass(frozen=True, eq=False)
class TupleOf:
    """A tuple with a container among its items (one of operands only is an IR tuple)."""

    items: tuple
    owned: bool = False

    kind = "tuple"


@dataclass(frozen=True, eq=False)
class DictOf:
    """A dict with keys known at compile time, in insertion order."""

    keys: tuple
    items: tuple
    owned: bool = True

    kind = "dict"

    def get(self, key: Any) -> Any:
        for k, item in zip(self.keys, self.items):
            if type(k) is type(key) and k == key:
                return item
        raise KeyError(key)

    def has(self, key: Any) -> bool:
        return any(type(k) is type(key) and k == key for k in self.keys)


@dataclass(frozen=True, eq=False)
class RecordOf:
    """A NamedTuple or a dataclass instance passed as an argument: its fields by name
    (a NamedTuple's by position too)."""

    cls: type
    fields: tuple
    items: tuple
    owned: bool = False
    indexable: bool = False
    """A NamedTuple: indexed and unpacked as a tuple."""

    kind = "record"

    def get(self, name: str) -> Any:
        return self.items[self.fields.index(name)]


@dataclass(frozen=True)
class Parameters:
    """Bound to a parameter with `static=`: the parameter is a tuple of new parameters of
    the lowered function (None in `layout`) and constants (a derivative rule's operands,
    taken as one sequence: `*arrays` of `np.stack`'s)."""

    layout: tuple


Container = Union[ListOf, TupleOf, DictOf, RecordOf]
CONTAINERS = (ListOf, TupleOf, DictOf, RecordOf)


def is_container(value: Any) -> bool:
    return isinstance(value, CONTAINERS)


def replace_items(container: Container, items: tuple, **changes: Any) -> Container:
    """The same kind of container with other items (a new one: containers are values)."""
    if isinstance(container, DictOf):
        return DictOf(changes.get("keys", container.keys), tuple(items), changes.get("owned", container.owned))
    if isinstance(container, RecordOf):
        return RecordOf(container.cls, container.fields, tuple(items), container.owned, container.indexable)
    return type(container)(tuple(items), changes.get("owned", container.owned))


@dataclass(frozen=True)
class Structure:
    """What a container is without its leaves: equal structures can be merged leaf by
    leaf where two paths meet. `fixed` holds what is not a leaf (functions, modules),
    compared by identity."""

    shape: tuple
    fixed: tuple = field(default=(), compare=False)
    fixed_ids: tuple = ()


def leaves(value: Any, operand_types: tuple) -> tuple[list, Structure]:
    """The operands a value holds, in order, and its structure."""
    found: list = []
    fixed: list = []

    def walk(v: Any) -> Any:
        if isinstance(v, operand_types):
            found.append(v)
            return "*"
        if is_container(v):
            keys = v.keys if isinstance(v, DictOf) else v.fields if isinstance(v, RecordOf) else None
            cls = v.cls if isinstance(v, RecordOf) else None
            return (v.kind, cls, keys, v.owned, tuple(walk(item) for item in v.items))
        fixed.append(v)
        return ("fixed", len(fixed) - 1)

    shape = walk(value)
    return found, Structure(shape, tuple(fixed), tuple(id(f) for f in fixed))


def rebuild(structure: Structure, items: list) -> Any:
    """The value of `structure` with these leaves (as `leaves` listed them)."""
    queue = iter(items)

    def build(shape: Any) -> Any:
        if shape == "*":
            return next(queue)
        if shape[0] == "fixed":
            return structure.fixed[shape[1]]
        kind, cls, keys, owned, children = shape
        built = tuple(build(child) for child in children)
        if kind == "list":
            return ListOf(built, owned)
        if kind == "tuple":
            return TupleOf(built, owned)
        if kind == "dict":
            return DictOf(keys, built, owned)
        return RecordOf(cls, keys, built, owned, issubclass(cls, tuple))

    return build(structure.shape)


def describe_structure(value: Any, operand_types: tuple) -> str:
    """A few words for a value's structure in messages: 'a list of 3 items'."""
    if isinstance(value, operand_types):
        return "a value"
    if isinstance(value, DictOf):
        return f"a dict with keys {', '.join(map(repr, value.keys)) or 'none'}"
    if isinstance(value, RecordOf):
        return f"a {value.cls.__name__}"
    if is_container(value):
        n = len(value.items)
        return f"a {value.kind} of {n} item{'s' if n != 1 else ''}"
    return "a function or module"


def reaches(container: Any, target: Any) -> bool:
    """Whether `target` is an item of `container`, at any depth."""
    return any(item is target or (is_container(item) and reaches(item, target)) for item in container.items)
