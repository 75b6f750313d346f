"""The IR's data structures: structured SSA with regions (DESIGN §3).

A `Value` is defined once, by an op's results or as a region argument. Control flow is
nested regions (`cond`, `for_range`, `for_each`, `while`), never jumps, so that emitting
Python is direct. Values hash by identity; their `name` is only a hint for printing and
emitting, and their `kind` an optional abstract type (see `ir.types`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Union

import numpy as np


class Value:
    """An SSA value. Identity is the value; `name` is a hint taken from the source (the
    names of values a transform derives are in `Function.derived_names`)."""

    __slots__ = ("name", "kind")

    def __init__(self, name: str = "", kind: Any = None) -> None:
        self.name = name
        self.kind = kind

    def __repr__(self) -> str:
        return f"<Value {self.name or '?'} at {id(self):#x}>"


class Const:
    """A literal operand: a number, bool, None, string, tuple of those, or (rarely) an
    object resolved from the function's globals, such as a module-level array."""

    __slots__ = ("value", "name")

    def __init__(self, value: Any, name: str = "") -> None:
        if isinstance(value, np.generic):  # a NumPy scalar from folding: print it as Python's
            value = value.item()
        self.value = value
        self.name = name
        """For an object that is not a literal: the name it had in the source (a hint)."""

    def _key(self) -> tuple:
        return _literal_key(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Const) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Const({self.value!r})"


ABSENT = "<absent>"
"""The hint of the None a branch yields for a result only another branch makes."""


def absent() -> Const:
    """What a branch yields for a result that only another branch makes (a tape, a value
    handed out to the reverse sweep of that branch): None at run time, never read there;
    to kind inference it is no kind at all, so the result keeps the other branches' kind."""
    return Const(None, ABSENT)


def is_absent(x: Any) -> bool:
    return isinstance(x, Const) and x.value is None and x.name == ABSENT


def _literal_key(v: Any) -> tuple:
    """Equal literals (by type and value; slices too, which Python cannot hash before
    3.12) have equal keys; other objects are keyed by identity."""
    if v is None or v is Ellipsis or isinstance(v, (bool, int, float, complex, str)):
        return (type(v), v)
    if isinstance(v, tuple):
        return (tuple, tuple(_literal_key(item) for item in v))
    if isinstance(v, slice):
        return (slice, _literal_key(v.start), _literal_key(v.stop), _literal_key(v.step))
    return (type(v), id(v))


Operand = Union[Value, Const]


@dataclass(frozen=True)
class Loc:
    """Where an op came from: file, 1-based line and 0-based column in that file."""

    file: str
    line: int
    col: int


@dataclass(eq=False)
class Region:
    """A block of ops with arguments (loop-carried values, induction variables) and the
    values it yields to its parent op (or, for a function body, returns)."""

    args: list[Value] = field(default_factory=list)
    ops: list["Op"] = field(default_factory=list)
    yields: list[Operand] = field(default_factory=list)


@dataclass(eq=False)
class Op:
    """One operation. `prim` names it (`add`, `np.sin`, `cond`, ...); positional operands
    are `inputs`, static parameters (keyword arguments such as `axis`) are `attrs`."""

    prim: str
    inputs: list[Operand]
    results: list[Value]
    attrs: dict[str, Any] = field(default_factory=dict)
    regions: list[Region] = field(default_factory=list)
    loc: Loc | None = None

    @property
    def result(self) -> Value:
        assert len(self.results) == 1, f"{self.prim} has {len(self.results)} results"
        return self.results[0]


@dataclass(eq=False)
class Function:
    """A whole function: parameters, a body region whose `yields` are the returned values,
    default values of parameters (by name), and where it came from: the file, and the
    source lines by (file, line) of it and of the functions inlined into it (for error
    messages and the source comments of emitted code).

    `derived_names` maps a value to (prefix, base): name it prefix + the name `base` gets
    (the adjoint of `x` is `bx`, also when `x` is a temporary named only when emitted)."""

    name: str
    params: list[Value]
    body: Region
    defaults: dict[str, Any] = field(default_factory=dict)
    file: str = "<unknown>"
    source_lines: dict[tuple[str, int], str] = field(default_factory=dict)
    derived_names: dict[Value, tuple[str, Value]] = field(default_factory=dict)
    out_tree: Any = None
    """The structure (`ir.trees.TreeDef`) of a pytree the function returns as the tuple
    of its leaves (None: it returns what it returns)."""
    guards: list[Any] = field(default_factory=list)
    """What the frontend assumed of the names the function reads from outside
    (`frontend.environment.Guard`): a caller lowers again when one no longer holds."""

    @property
    def returns(self) -> list[Operand]:
        return self.body.yields

    def hint(self, value: Value) -> str:
        """The name `value` asks for: its source name, or the prefix + hint of the value
        it is derived from (`bx`); "" for a temporary."""
        prefixes, seen = "", set()
        while not value.name and value in self.derived_names and value not in seen:
            seen.add(value)  # (a cycle, tangent of an adjoint of a tangent..., has no name)
            prefix, value = self.derived_names[value]
            prefixes += prefix
        return prefixes + value.name if value.name else ""

    def line_text(self, loc: Loc) -> str | None:
        """The source line an op came from (its own file: calls may be inlined)."""
        return self.source_lines.get((loc.file, loc.line))


def walk_ops(region: Region) -> Iterator[Op]:
    """Every op of a region, nested regions included, in program order."""
    for op in region.ops:
        yield op
        for sub in op.regions:
            yield from walk_ops(sub)
