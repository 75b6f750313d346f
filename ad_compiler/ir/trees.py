"""Pytrees: arguments and results made of tuples, lists, dicts, NamedTuples, dataclasses
and None, with numbers and arrays (or any other object) at the leaves, as JAX has them.

The API takes such an argument apart into its leaves (`flatten`), the compiled
derivative works on the leaves, and a result of the argument's structure is put together
again (`unflatten`): the gradient of a list of `(W, b)` pairs is a list of pairs. A
structure is a `TreeDef`; it is part of what a version is compiled for (the frontend
binds the parameter to a container of the leaves, `frontend.containers`).

Dicts keep their insertion order (JAX sorts keys; a dict's gradient here has the order
of the dict given). None is a node with no leaves, as in JAX: its gradient is None.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TreeDef:
    """The structure of a value: `node` is "leaf", "none", "tuple", "list", "dict",
    "namedtuple" or "dataclass"; `cls` the NamedTuple or dataclass; `keys` a dict's keys
    or the fields; `children` the structures of the items."""

    node: str
    cls: Any = None
    keys: tuple = ()
    children: tuple = ()

    @property
    def is_leaf(self) -> bool:
        return self.node == "leaf"

    @property
    def leaves(self) -> int:
        """How many leaves a value of this structure has."""
        return 1 if self.is_leaf else sum(child.leaves for child in self.children)

    def paths(self, prefix: tuple = ()) -> list[tuple]:
        """The path (keys and positions) to each leaf, in order."""
        if self.is_leaf:
            return [prefix]
        names = self.keys if self.node in ("dict", "dataclass", "namedtuple") else range(len(self.children))
        return [p for key, child in zip(names, self.children) for p in child.paths(prefix + (key,))]

    def __str__(self) -> str:
        if self.is_leaf:
            return "*"
        if self.node == "none":
            return "None"
        inner = ", ".join(str(c) if self.node in ("tuple", "list") else f"{k}: {c}"
                          for k, c in zip(self.keys or [None] * len(self.children), self.children))
        return {"tuple": f"({inner})", "list": f"[{inner}]", "dict": f"{{{inner}}}"}.get(
            self.node, f"{getattr(self.cls, '__name__', '?')}({inner})")


LEAF = TreeDef("leaf")
NONE = TreeDef("none")


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


_LEAVES = frozenset({float, int, bool, complex, str, np.ndarray, np.float64, np.float32, np.int64})
"""Types that are leaves, told at once (a call's arguments are flattened at each call)."""


def flatten(value: Any) -> tuple[list, TreeDef]:
    """The leaves of `value`, in order, and its structure."""
    leaves: list = []

    def walk(v: Any) -> TreeDef:
        if type(v) in _LEAVES:
            leaves.append(v)
            return LEAF
        if v is None:
            return NONE
        if _is_namedtuple(v):
            return TreeDef("namedtuple", type(v), tuple(type(v)._fields), tuple(walk(item) for item in v))
        if type(v) is tuple:
            return TreeDef("tuple", None, (), tuple(walk(item) for item in v))
        if type(v) is list:
            return TreeDef("list", None, (), tuple(walk(item) for item in v))
        if type(v) is dict:
            return TreeDef("dict", None, tuple(v), tuple(walk(item) for item in v.values()))
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            names = tuple(f.name for f in dataclasses.fields(v))
            return TreeDef("dataclass", type(v), names, tuple(walk(getattr(v, n)) for n in names))
        leaves.append(v)
        return LEAF

    tree = walk(value)
    return leaves, tree


def unflatten(tree: TreeDef, leaves: Any) -> Any:
    """A value of structure `tree` with these leaves (an iterable, consumed in order)."""
    queue = iter(leaves)

    def build(t: TreeDef) -> Any:
        if t.is_leaf:
            return next(queue)
        if t.node == "none":
            return None
        items = [build(child) for child in t.children]
        if t.node == "tuple":
            return tuple(items)
        if t.node == "list":
            return items
        if t.node == "dict":
            return dict(zip(t.keys, items))
        if t.node == "namedtuple":
            return t.cls(*items)
        made = object.__new__(t.cls)  # (not __init__: a gradient is data, not a new model)
        for name, item in zip(t.keys, items):
            object.__setattr__(made, name, item)
        return made

    return build(tree)
