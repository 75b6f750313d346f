"""Fast calls of a compiled derivative: a `__call__` generated for the function's own
parameters, so that finding the compiled version costs one dict lookup on the argument
types, not a signature binding.

A call with every parameter given looks up the tuple of argument types (all scalars);
failing that, the types and shapes of arrays; failing that (first call of a signature,
a default left out) it takes the general path, which binds, compiles if needed and
fills the tables. Unknown keywords or extra arguments fail as they would on the
original function: the generated method carries its name.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from numpy import ndarray

_MISSING = object()


def _key(name: str) -> str:
    return f"(({name}.shape, {name}.dtype) if type({name}) is _adc_ndarray else type({name}))"


def can_generate(parameters: list[inspect.Parameter]) -> bool:
    """Whether `make_call` serves these parameters (plain ones, names not clashing)."""
    return all(
        p.kind is p.POSITIONAL_OR_KEYWORD and not p.name.startswith("_adc") for p in parameters
    )


def make_call(
    name: str,
    parameters: list[inspect.Parameter],
    by_type: dict[tuple, Callable[..., Any]],
    by_shape: dict[tuple, Callable[..., Any]],
    general: Callable[[tuple, dict], Any],
) -> Callable[..., Any]:
    """A `__call__` for a function `name` with these parameters, reading the two tables
    and calling `general(args, kwargs)` on a miss."""
    names = [p.name for p in parameters]
    signature = [n if p.default is p.empty else f"{n}=_adc_missing" for n, p in zip(names, parameters)]
    optional = [n for n, p in zip(names, parameters) if p.default is not p.empty]
    comma = "," if len(names) == 1 else ""
    args = ", ".join(names) + comma
    pairs = ", ".join(f"({n!r}, {n})" for n in names) + comma
    missing = " or ".join(f"{n} is _adc_missing" for n in optional)
    lines = [f"def {name}(_adc_self, {', '.join(signature)}):"]
    if optional:
        lines += [
            f"    if {missing}:",
            f"        return _adc_general((), {{k: v for k, v in ({pairs}) if v is not _adc_missing}})",
        ]
    lines += [
        f"    f = _adc_by_type(({', '.join(f'type({n})' for n in names)}{comma}))",
        "    if f is None:",
        f"        f = _adc_by_shape(({', '.join(_key(n) for n in names)}{comma}))",
        "        if f is None:",
        f"            return _adc_general(({args}), {{}})",
        f"    return f({args})",
    ]
    scope: dict[str, Any] = {
        "_adc_ndarray": ndarray,
        "_adc_missing": _MISSING,
        "_adc_by_type": by_type.get,
        "_adc_by_shape": by_shape.get,
        "_adc_general": general,
    }
    exec(compile("\n".join(lines) + "\n", f"<ad_compiler dispatch {name}>", "exec"), scope)  # noqa: S102
    return scope[name]


def table_keys(values: tuple) -> tuple[tuple | None, tuple]:
    """The keys under which a call with these positional values is found next time: by
    types (None if an argument is an array) and by types and shapes."""
    by_shape = tuple((v.shape, v.dtype) if type(v) is ndarray else type(v) for v in values)
    by_type = None if any(type(v) is ndarray for v in values) else tuple(map(type, values))
    return by_type, by_shape
