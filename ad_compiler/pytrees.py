"""Pytrees at the API, as JAX has them: a call whose arguments are tuples, lists, dicts,
NamedTuples or dataclasses of arrays and numbers is compiled for their leaves (the
structures are part of the version's key), and what the derivative returns is put
together again in the structures JAX gives: the gradient of `params` has the structure
of `params`; a Jacobian has the output's structure, with the input's at each leaf.

Transforms see leaves only: the options of a transform name argument positions, which
become the positions of those arguments' leaves (`leaf_options`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from .ir.trees import TreeDef, flatten

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
    (a gradient, a Jacobian: a tuple over the leaves, put together afterwards)."""
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
