"""Fast calls of a compiled derivative: a dispatcher generated for the function's own
parameters, so that finding the compiled version costs a few type checks, not a
signature binding.

The generated function tries, in order: the last all-scalar signature it saw (an inline
cache: one `type(x) is T` per argument); the table of all-scalar signatures (by argument
types); the table of signatures with arrays (by types, shapes and dtypes); and finally
the general path (binding, defaults, compiling), which calls `remember` so that the next
call of that signature is fast. Unknown keywords or extra arguments fail as they would on
the original function, whose name the dispatcher carries.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from numpy import ndarray


class _Never:
    """A type no argument has: the inline cache's guard before it holds a signature."""


_MISSING = object()


def _key(name: str) -> str:
    return f"(({name}.shape, {name}.dtype) if type({name}) is _adc_ndarray else type({name}))"


def can_generate(parameters: list[inspect.Parameter]) -> bool:
    """Whether a dispatcher can be generated for these parameters (plain ones, names not
    clashing with the generated code's own, which start with `_adc`)."""
    return all(
        p.kind is p.POSITIONAL_OR_KEYWORD and not p.name.startswith("_adc") for p in parameters
    )


def _source(name: str, parameters: list[inspect.Parameter]) -> str:
    names = [p.name for p in parameters]
    signature = [n if p.default is p.empty else f"{n}=_adc_missing" for n, p in zip(names, parameters)]
    optional = [n for n, p in zip(names, parameters) if p.default is not p.empty]
    comma = "," if len(names) == 1 else ""
    args = ", ".join(names) + comma
    pairs = ", ".join(f"({n!r}, {n})" for n in names) + comma
    guard = " and ".join(f"type({n}) is _adc_t{i}" for i, n in enumerate(names)) or "False"
    lines = [f"def {name}({', '.join(signature)}):"]
    if optional:
        missing = " or ".join(f"{n} is _adc_missing" for n in optional)
        lines += [
            f"    if {missing}:",
            f"        return _adc_general((), {{k: v for k, v in ({pairs}) if v is not _adc_missing}})",
        ]
    lines += [
        f"    if {guard}:",
        f"        return _adc_last({args})",
        f"    f = _adc_by_type(({', '.join(f'type({n})' for n in names)}{comma}))",
        "    if f is None:",
        f"        f = _adc_by_shape(({', '.join(_key(n) for n in names)}{comma}))",
        "        if f is None:",
        f"            return _adc_general(({args}), {{}})",
        f"    return f({args})",
    ]
    return "\n".join(lines) + "\n"


class Dispatch:
    """The dispatcher of one derivative (`function`) and the tables it reads."""

    def __init__(
        self, name: str, parameters: list[inspect.Parameter], general: Callable[[tuple, dict], Any]
    ) -> None:
        self._by_type: dict[tuple, Callable[..., Any]] = {}
        self._by_shape: dict[tuple, Callable[..., Any]] = {}
        self._arity = len(parameters)
        self._scope: dict[str, Any] = {
            "_adc_ndarray": ndarray,
            "_adc_missing": _MISSING,
            "_adc_by_type": self._by_type.get,
            "_adc_by_shape": self._by_shape.get,
            "_adc_general": general,
        }
        self.forget()
        if can_generate(parameters):
            filename = f"<ad_compiler dispatch {name}>"
            exec(compile(_source(name, parameters), filename, "exec"), self._scope)  # noqa: S102
            self.function: Callable[..., Any] = self._scope[name]
        else:
            def call_general(*args: Any, **kwargs: Any) -> Any:
                return general(args, kwargs)

            self.function = call_general

    def remember(self, values: tuple, function: Callable[..., Any]) -> None:
        """Calls with positional `values` of this signature go to `function` from now on."""
        if len(values) != self._arity:
            return
        if any(type(v) is ndarray for v in values):
            key = tuple((v.shape, v.dtype) if type(v) is ndarray else type(v) for v in values)
            self._by_shape[key] = function
            return
        types = tuple(map(type, values))
        self._by_type[types] = function
        self._scope.update({f"_adc_t{i}": t for i, t in enumerate(types)}, _adc_last=function)

    def forget(self) -> None:
        """Drop every remembered signature."""
        self._by_type.clear()
        self._by_shape.clear()
        self._scope.update({f"_adc_t{i}": _Never for i in range(self._arity)}, _adc_last=None)
