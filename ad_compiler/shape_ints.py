"""Int arguments that decide shapes, compiled for their values.

`np.linspace(-1.0, 1.0, n)`, `np.zeros((n, 3))`, `x[:k]`: where a Python int argument
decides the shape of a value, a version compiled for the argument's type knows none of
the shapes that follow from it, so its code keeps `unbroadcast` and reshapes that read
shapes at run time, and `vmap` of it, which needs every shape, is refused. Such an
argument's value is then part of the version's key (`Known`), and the version is
compiled with the value in place of the parameter, as JAX compiles for a static
argument; a call with another value finds or compiles another version.

Which ints decide shapes is found once per signature, by optimizing the function with
and without each int's value: an int is kept as a value only where that makes more
shapes known (an index, a loop's trip count or a scale factor does not). At most `LIMIT`
values per signature are compiled so: a program calling with many values (a loop over
`n`) runs the version compiled for the type after them, as it does for any int today.
Only Python ints are: a NumPy integer's arithmetic (its overflow, its result types)
is not a Python int's, which is what the value would be written as.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .ir import Const, Function, Value, walk_ops
from .ir.clone import clone_function, substitute
from .ir.externals import External
from .ir.types import Array, Kind, Scalar
from .pipeline import optimized_primal

LIMIT = 8
"""How many values of the deciding ints one signature is compiled for."""

_INT = Scalar("int")


@dataclass(frozen=True)
class Known:
    """In a version's key, in place of an int argument's kind: its value."""

    value: int

    def __str__(self) -> str:
        return f"int={self.value}"


def plain(kinds: tuple | None) -> tuple | None:
    """The kinds a version is compiled for: an int's value is in its IR, not its kinds."""
    return None if kinds is None else tuple(_INT if isinstance(k, Known) else k for k in kinds)


def with_values(fn: Function, kinds: Sequence[Any]) -> Function:
    """A copy of `fn` reading the value of each parameter whose kind is `Known`."""
    work = clone_function(fn)
    mapping: dict[Value, Const] = {p: Const(k.value) for p, k in zip(work.params, kinds) if isinstance(k, Known)}
    work.body.yields = substitute(work.body.ops, work.body.yields, mapping)
    return work


def _unknown_shapes(fn: Function) -> int:
    """How many values of `fn` have a kind, or an array's shape, not known here."""
    return sum(1 for op in walk_ops(fn.body) for r in op.results
               if r.kind is None or isinstance(r.kind, Array) and r.kind.shape is None)


@dataclass
class Deciding:
    """Per signature (argument kinds and the names read at call time): which int
    parameters decide shapes, and the values compiled for so far."""

    found: dict[tuple, frozenset[int]] = field(default_factory=dict)
    values: dict[tuple, set[tuple]] = field(default_factory=dict)

    def key(self, fn: Function, kinds: tuple, args: Sequence[Any],
            outside: Mapping[External, Kind] | None, env: tuple | None) -> tuple:
        """`kinds`, with the values of the ints that decide shapes (`Known`) where these
        arguments' values are still compiled for."""
        signature = (kinds, env)
        if signature not in self.found:
            self.found[signature] = _deciding(fn, kinds, args, outside)
        deciding = {i for i in self.found[signature] if type(args[i]) is int}
        if not deciding:
            return kinds
        values = tuple(args[i] for i in sorted(deciding))
        seen = self.values.setdefault(signature, set())
        if values not in seen and len(seen) >= LIMIT:
            return kinds
        seen.add(values)
        return tuple(Known(args[i]) if i in deciding else k for i, k in enumerate(kinds))


def _deciding(fn: Function, kinds: tuple, args: Sequence[Any], outside: Mapping[External, Kind] | None
              ) -> frozenset[int]:
    ints = [i for i, k in enumerate(kinds) if k == _INT]  # (a NumPy int's too: the same signature)
    if not ints:
        return frozenset()
    unknown = _unknown_shapes(optimized_primal(fn, kinds, outside))
    if not unknown:
        return frozenset()
    found = set()
    for i in ints:
        trial = tuple(Known(int(args[i])) if j == i else k for j, k in enumerate(kinds))
        if _unknown_shapes(optimized_primal(with_values(fn, trial), kinds, outside)) < unknown:
            found.add(i)
    return frozenset(found)
