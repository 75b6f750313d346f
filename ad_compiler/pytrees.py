"""Pytrees at the API, as JAX has them: a call whose arguments are tuples, lists, dicts,
NamedTuples or dataclasses of arrays and numbers is compiled for their leaves (the
structures are part of the version's key), and what the derivative returns is put
together again in the structures JAX gives: the gradient of `params` has the structure
of `params`; a Jacobian has the output's structure, with the input's at each leaf.

Transforms see leaves only: the options of a transform name argument positions, which
become the positions of those arguments' leaves (`leaf_options`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

from .errors import ArgumentError
from .ir.trees import LEAF, TreeDef, flatten
from .ir.types import TupleKind

Trees = tuple  # one TreeDef per parameter


def flat_arguments(values: Sequence[Any]) -> tuple[tuple, Trees | None]:
    """The leaves of all arguments, in order, and their structures (None: every
    argument is a leaf, the call needs no taking apart)."""
    leaves: list = []
    trees = []
    for value in values:
        found, tree = flatten(value)
        leaves += found
        trees.append(tree)
    return tuple(leaves), (tuple(trees) if any(not t.is_leaf for t in trees) else None)


def leaf_positions(trees: Trees, nums: Sequence[int]) -> tuple[int, ...]:
    """The positions among all leaves of the leaves of arguments `nums`."""
    starts = [0]
    for tree in trees:
        starts.append(starts[-1] + tree.leaves)
    return tuple(k for i in nums for k in range(starts[i], starts[i + 1]))


def leaf_options(options: Any, trees: Trees | None) -> Any:
    """A transform's options for the leaves: its arguments' positions as their leaves'
    (a gradient, a Jacobian: a tuple over the leaves, put together afterwards; `vmap`'s
    axes, one per leaf)."""
    if hasattr(options, "for_leaves"):
        return options.for_leaves(trees)
    if trees is None or not hasattr(options, "argnums"):
        return options
    return replace(options, argnums=leaf_positions(trees, options.argnums), tuple_out=True)


def inputs_tree(trees: Trees, argnums: Sequence[int], tuple_out: bool) -> TreeDef:
    """The structure of a gradient w.r.t. `argnums`: the argument's, or a tuple of them."""
    if tuple_out:
        return TreeDef("tuple", children=tuple(trees[i] for i in argnums))
    return trees[argnums[0]]


def compose(outer: TreeDef, inner: TreeDef) -> TreeDef:
    """`outer` with `inner` at each of its leaves (a Jacobian's structure)."""
    if outer.is_leaf:
        return inner
    return replace(outer, children=tuple(compose(child, inner) for child in outer.children))


def leaves_of(value: Any) -> list:
    """The arrays and numbers a derivative returned, in order (its tuples taken apart)."""
    return flatten(value)[0]


@dataclass(frozen=True)
class AxesNode:
    """A tuple, list or dict of axes in a `vmap` specification (`in_axes=({"w": 0, "b":
    None},)`), hashable: the specification is part of a version's key."""

    node: str
    keys: tuple = ()
    children: tuple = ()

    def __str__(self) -> str:
        if self.node == "dict":
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.keys, self.children)) + "}"
        inner = ", ".join(str(c) for c in self.children)
        return f"[{inner}]" if self.node == "list" else f"({inner}{',' if len(self.children) == 1 else ''})"


def frozen_axes(spec: Any, what: str) -> Any:
    """A `vmap` axes specification (an int, None, or tuples, lists and dicts of them, as
    JAX's), hashable."""
    if spec is None or (isinstance(spec, int) and not isinstance(spec, bool)):
        return spec
    if type(spec) in (tuple, list):
        return AxesNode(type(spec).__name__, (), tuple(frozen_axes(s, what) for s in spec))
    if type(spec) is dict:
        return AxesNode("dict", tuple(spec), tuple(frozen_axes(s, what) for s in spec.values()))
    raise ArgumentError(f"vmap {what} must be an int, None, or (nested) container with those types as leaves, "
                        f"but got {spec!r}")


def leaf_axes(spec: Any, tree: TreeDef, what: str) -> list:
    """The axis of each leaf of a value of structure `tree`, from a specification that is
    a prefix of it (an int or None applies to every leaf below it), as JAX reads
    `in_axes` and `out_axes`."""
    if not isinstance(spec, AxesNode):
        return [spec] * tree.leaves
    matches = (spec.node == tree.node or (spec.node == "tuple" and tree.node == "namedtuple")) and (
        len(spec.children) == len(tree.children)) and (spec.node != "dict" or set(spec.keys) == set(tree.keys))
    if not matches:
        raise ArgumentError(f"vmap {what} specification must be a tree prefix of the corresponding value, got "
                            f"specification {spec} for value tree {tree}")
    children = spec.children
    if spec.node == "dict":
        children = tuple(dict(zip(spec.keys, spec.children))[k] for k in tree.keys)
    return [axis for child, sub in zip(children, tree.children) for axis in leaf_axes(child, sub, what)]


def tree_of_kind(kind: Any) -> TreeDef:
    """The structure of a value of this kind: its tuples' (a function's plain result)."""
    if isinstance(kind, TupleKind):
        return TreeDef("tuple", children=tuple(tree_of_kind(k) for k in kind.items))
    return LEAF
