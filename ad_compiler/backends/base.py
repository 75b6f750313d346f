"""The NumPy backend, and the hooks every backend has: the default of each is NumPy's."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

from ..codegen.emit import Emitted, Spelling, emit
from ..codegen.load import load
from ..ir import Function
from ..ir.types import Kind
from ..passes import floats


class Backend(Spelling):
    """NumPy's backend: the emitted text run by the interpreter. Another backend overrides
    the hooks where its code differs."""

    name = "numpy"
    needs = "NumPy"
    """What a standalone module of this backend needs, as its header says it."""

    def takes(self, value: Any) -> bool:
        """Whether `value`, of a type the compiler does not know (not an ndarray), is a
        float array this backend's code runs on (it then has a kind, `ir.types.foreign_array`)."""
        return False

    def compile(self, fn: Function, kinds: Sequence[Kind] | None) -> tuple[Function, Emitted, Callable[..., Any]]:
        """The optimized derivative `fn` made live for argument `kinds` (None: any): the IR
        emitted, the text, and the function."""
        self.finish(fn)
        emitted = self.emit(fn)
        return fn, emitted, self.load(emitted, kinds)

    def finish(self, fn: Function) -> None:
        """The last rewrites of the optimized derivative, for this backend's text alone
        (no further transform starts from it): arrays read item by item in a Python loop
        read from their `tolist()` (`passes/floats.py`)."""
        floats.run(fn)

    def emit(self, fn: Function) -> Emitted:
        return replace(emit(fn, self), backend=self.name)

    def load(self, emitted: Emitted, kinds: Sequence[Kind] | None) -> Callable[..., Any]:
        """The live function of `emitted`, compiled for argument `kinds` (None: any)."""
        return load(emitted.source, emitted.name, emitted.namespace, emitted.outside)

    def module_lines(self, emitted: Sequence[Emitted]) -> tuple[list[str], dict[str, str]]:
        """What a standalone module of these functions needs beyond NumPy's: its extra
        import lines, and the decorator line of each function this backend emitted, by
        name (none for NumPy)."""
        return [], {}


BACKEND = Backend()
