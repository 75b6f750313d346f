"""Fast calls of a compiled derivative: a `__call__` generated for the function's own
parameters, so that finding the compiled version costs a dict lookup on the argument
types, not a signature binding.

A call with every argument positional looks up the tuple of argument types (scalars);
failing that, the types and shapes of arrays; failing that (first call of a signature,
keywords, defaults, extra arguments) it takes the general path, which binds, compiles if
needed and fills the tables.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from numpy import ndarray

_MISSING = object()


def _key(name: str) -> str:
    return f"(({name}.shape, {name}.dtype) if type({name}) is _adc_ndarray else type({name}))"


def make_call(parameters: list[inspect.Parameter]) -> Callable[..., Any]:
    """The `__call__` method for a function with these (positional-or-keyword) parameters.

    The instance provides `_by_type` and `_by_shape` (dicts from argument keys to
    functions) and `_call_general(args, kwargs)`. Parameter names must not start with
    `_adc` (the generated code's own names); see `can_generate`.
    """
    names = [p.name for p in parameters]
    signature = [n if p.default is p.empty else f"{n}=_adc_missing" for n, p in zip(names, parameters)]
    optional = [n for n, p in zip(names, parameters) if p.default is not p.empty]
    args = ", ".join(names)
    pairs = ", ".join(f"({n!r}, {n})" for n in names)
    comma = "," if len(names) == 1 else ""
    missing = "".join(f" or {n} is _adc_missing" for n in optional)
    source = f"""\
def __call__(_adc_self, {", ".join(signature + ["*_adc_rest", "**_adc_kwargs"])}):
    if _adc_rest:
        return _adc_self._call_general(({args}{comma}) + _adc_rest, _adc_kwargs)
    if _adc_kwargs{missing}:
        _adc_named = {{k: v for k, v in ({pairs}{comma}) if v is not _adc_missing}}
        return _adc_self._call_general((), {{**_adc_named, **_adc_kwargs}})
    _adc_f = _adc_self._by_type.get(({", ".join(f"type({n})" for n in names)}{comma}))
    if _adc_f is None:
        _adc_f = _adc_self._by_shape.get(({", ".join(_key(n) for n in names)}{comma}))
        if _adc_f is None:
            return _adc_self._call_general(({args}{comma}), _adc_kwargs)
    return _adc_f({args})
"""
    if not names:
        source = "def __call__(self, *rest, **kwargs):\n    return self._call_general(rest, kwargs)\n"
    scope: dict[str, Any] = {"_adc_ndarray": ndarray, "_adc_missing": _MISSING}
    exec(compile(source, "<ad_compiler dispatch>", "exec"), scope)  # noqa: S102 - our own text
    return scope["__call__"]


def can_generate(parameters: list[inspect.Parameter]) -> bool:
    """Whether `make_call` serves these parameters (plain ones, names not clashing)."""
    return all(
        p.kind is p.POSITIONAL_OR_KEYWORD and not p.name.startswith("_adc") for p in parameters
    )


def table_keys(values: tuple) -> tuple[tuple | None, tuple]:
    """The keys under which a call with these positional values is found next time: by
    types (None if an argument is an array) and by types and shapes."""
    by_shape = tuple((v.shape, v.dtype) if type(v) is ndarray else type(v) for v in values)
    by_type = None if any(type(v) is ndarray for v in values) else tuple(map(type, values))
    return by_type, by_shape
