"""What the generator knows about each name in scope: its type, and the memory it may share.

Types are tracked so generated programs are valid Python: shapes agree, indices are in
bounds. Memory is tracked so they are functions: a program never writes into its caller's
arrays (NumPy would change them, the compiled code would not, and central differences
would be taken of a function that changes its input), and never reads a view of an array
after writing into that array (NumPy and the compiled code may differ there, and the
compiler refuses it: docs/supported-python.md). Each array value belongs to one or more
*roots* (a token per array made); a view or a plain alias shares its operand's roots.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Arr:
    """A float (shape ()) or an array of floats."""

    shape: Shape


@dataclass(frozen=True)
class Int:
    """A Python int known to lie in [lo, hi] (loop indices, counters, lengths)."""

    lo: int
    hi: int


@dataclass(frozen=True)
class Tup:
    """A tuple of floats or arrays."""

    items: tuple[Arr, ...]


Type = Arr | Int | Tup
SCALAR = Arr(())


@dataclass(frozen=True)
class Expr:
    """An expression's text and the roots of the memory its value may share (empty for a
    new array or a number)."""

    text: str
    roots: frozenset[str] = frozenset()


@dataclass
class Scope:
    """The names readable at a point of a generated function.

    `foreign` holds roots that must not be written here: the arguments' (the caller's
    arrays) and, inside a loop, those of arrays the loop iterates over or that the loop
    body was chosen not to write (see `statements.enter`)."""

    names: dict[str, Type]
    roots: dict[str, frozenset[str]]
    foreign: frozenset[str]
    ret: Type
    loops: tuple[str, ...] = ()
    in_helper: bool = False
    outer: frozenset[str] = field(default_factory=frozenset)
    """Names bound before the innermost loop: rebinding one there must not make it a view."""

    def copy(self, **changes: object) -> Scope:
        return replace(self, names=dict(self.names), roots=dict(self.roots), **changes)

    def of_type(self, typ: Type) -> list[str]:
        return [n for n, t in self.names.items() if t == typ]

    def arrays(self, min_rank: int = 0) -> list[str]:
        return [n for n, t in self.names.items() if isinstance(t, Arr) and len(t.shape) >= min_rank]

    def ints(self) -> list[str]:
        return [n for n, t in self.names.items() if isinstance(t, Int)]

    def tuples(self) -> list[str]:
        return [n for n, t in self.names.items() if isinstance(t, Tup)]

    def writable(self, name: str) -> bool:
        """An array this function made, whose memory is not its caller's nor frozen here."""
        typ = self.names.get(name)
        if not isinstance(typ, Arr) or typ.shape == ():
            return False
        roots = self.roots.get(name, frozenset())
        return bool(roots) and not roots & self.foreign

    def bind(self, name: str, typ: Type, roots: frozenset[str]) -> None:
        self.names[name] = typ
        self.roots[name] = roots

    def wrote(self, name: str) -> None:
        """`name` was written in place: every other name sharing its memory is stale."""
        roots = self.roots.get(name, frozenset())
        for other in list(self.names):
            if other != name and self.roots.get(other, frozenset()) & roots:
                del self.names[other]
                del self.roots[other]

    def sharing(self, names: set[str]) -> set[str]:
        """Names other than `names` whose memory overlaps theirs."""
        roots = frozenset().union(*(self.roots.get(n, frozenset()) for n in names))
        return {n for n in self.names if n not in names and self.roots.get(n, frozenset()) & roots}

    def forget(self, names: set[str]) -> None:
        for n in names:
            self.names.pop(n, None)
            self.roots.pop(n, None)


def join(a: Scope, b: Scope) -> Scope:
    """The scope after two paths meet (the branches of an `if`, a loop that ran or not):
    the names both bound with the same type; memory shared on either path."""
    out = a.copy()
    for name in list(out.names):
        if b.names.get(name) != a.names[name]:
            del out.names[name]
            del out.roots[name]
        else:
            out.roots[name] = a.roots[name] | b.roots[name]
    return out
