"""Names a function reads from outside itself, read when the derivative is called.

An `external` op (no inputs, one result) stands for such a read: a module global, a
closure cell, a builtin, or an attribute path under one (`special.multigammaln`). The op
carries an `External`, which says where the name lives; emitted code spells the read as
the user did, so it happens at call time, never frozen at compile time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_UNBOUND = object()


@dataclass(frozen=True, eq=False)
class External:
    """Where a free name lives. Compared by identity: the frontend makes one per name
    and scope while lowering a function, so two reads of `X` share it.

    `space` is "global" (`scope` is the module's globals dict, `module` its name),
    "cell" (`scope` is the closure cell) or "builtin" (`scope` is the builtins dict).
    `home` is true for the names of the function being compiled and of the module it
    lives in, which emitted code reads under their own names; a global of another
    module (a callee's) is read through that module (`utils.W`). `attrs` follows an
    attribute path from the name (`np.random` -> ("random",))."""

    name: str
    space: str
    scope: Any = field(repr=False)
    module: str | None = None
    home: bool = True
    attrs: tuple[str, ...] = ()

    def read(self) -> Any:
        """The object the name stands for now (an unassigned name raises NameError)."""
        if self.space == "cell":
            try:
                obj = self.scope.cell_contents
            except ValueError:
                raise NameError(f"free variable {self.name!r} is not assigned") from None
        else:
            obj = self.scope.get(self.name, _UNBOUND)
            if obj is _UNBOUND:
                raise NameError(f"name {self.name!r} is not defined")
        for attr in self.attrs:
            obj = getattr(obj, attr)
        return obj

    def attribute(self, attr: str) -> "External":
        """The same root with one more attribute (`special` -> `special.gammaln`)."""
        return External(self.name, self.space, self.scope, self.module, self.home, self.attrs + (attr,))

    @property
    def dotted(self) -> str:
        """How the user's source spells the read: `rs`, `special.multigammaln`."""
        return ".".join((self.name,) + self.attrs)

    def __str__(self) -> str:
        return self.dotted
