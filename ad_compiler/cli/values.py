"""Argument values written on the command line: `--at "x=1.5, y=[1.0, 2.0]"`, `--random
"x=(3, 4), y=()"` and `--shapes "x=(3, 4), n=5"`.

Each is a list of `name=literal` (read by `ast.literal_eval`, never evaluated). A value
for a differentiated argument is a float: a number becomes a float, a list or tuple a
float array. Another argument keeps an integer (a count, an index array) and a tuple (a
shape). In `--random` and `--shapes` a tuple is a shape, of non-negative ints: a float
array of that shape, `()` a float.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any, Callable, Sequence

import numpy as np

from .targets import UsageError

RANDOM_RANGE = (0.5, 1.5)
"""Where `--random` draws values: positive, so `log` and `sqrt` are defined at them."""


def parse(text: str, option: str) -> dict[str, Any]:
    """`name=literal, ...` as a dict, or UsageError saying what is wrong with it."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except SyntaxError:
        raise UsageError(f"{option} {text!r} is not a list of name=value") from None
    if not isinstance(call, ast.Call) or call.args or any(k.arg is None for k in call.keywords):
        raise UsageError(f"{option} {text!r} is not a list of name=value")
    values = {}
    for keyword in call.keywords:
        if keyword.arg in values:
            raise UsageError(f"{option} gives {keyword.arg} twice")
        try:
            values[keyword.arg] = ast.literal_eval(keyword.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise UsageError(
                f"{option}: the value of {keyword.arg} is not a literal: {ast.unparse(keyword.value)}"
            ) from None
    return values


def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value)


def _convert(name: str, value: Any, differentiated: bool, option: str) -> Any:
    if isinstance(value, (bool, str)) or value is None:
        if differentiated:
            raise UsageError(f"{option}: {name} is differentiated: give it a number or a list of numbers")
        return value
    if isinstance(value, (int, float)):
        return float(value) if differentiated or isinstance(value, float) else value
    if isinstance(value, complex):
        raise UsageError(f"{option}: {name} is complex; only real values are differentiated")
    if isinstance(value, tuple) and not differentiated:
        return value
    if isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value)
        except ValueError:
            raise UsageError(f"{option}: {name} is not a rectangular array: {value!r}") from None
        if array.dtype.kind not in "biuf":
            raise UsageError(f"{option}: {name} is not an array of numbers: {value!r}")
        keep_ints = array.dtype.kind in "bi" and not differentiated
        return array if keep_ints else array.astype(float)
    raise UsageError(f"{option}: cannot use {value!r} as the value of {name}")


def _bind(fun: Callable[..., Any], given: dict[str, Any], option: str, make: Callable[[str, Any], Any]) -> tuple:
    """The arguments in parameter order: `make(name, literal)` of those given, defaults
    for the rest; UsageError for an unknown name or a missing value."""
    params = list(inspect.signature(fun).parameters.values())
    names = [p.name for p in params]
    unknown = [n for n in given if n not in names]
    if unknown:
        raise UsageError(f"{option}: {fun.__name__} has no parameter {unknown[0]!r} (its parameters: {', '.join(names)})")
    values = []
    for p in params:
        if p.name in given:
            values.append(make(p.name, given[p.name]))
        elif p.default is not inspect.Parameter.empty:
            values.append(p.default)
        else:
            raise UsageError(f"{option} gives no value for {p.name}")
    return tuple(values)


def arguments_at(fun: Callable[..., Any], text: str, wrt: Sequence[int]) -> tuple:
    """The values `--at` gives."""
    names = _differentiated(fun, wrt)
    return _bind(fun, parse(text, "--at"), "--at", lambda n, v: _convert(n, v, n in names, "--at"))


def random_arguments(fun: Callable[..., Any], text: str, wrt: Sequence[int], seed: int,
                     option: str = "--random") -> tuple:
    """The values `--random` (or `--shapes`) describes: shapes filled from RANDOM_RANGE
    (by `seed`), other literals as `--at` takes them."""
    rng = np.random.default_rng(seed)
    names = _differentiated(fun, wrt)

    def make(name: str, value: Any) -> Any:
        if isinstance(value, tuple) and not _is_shape(value):
            raise UsageError(f"{option}: {name}={value!r} is not a shape (a tuple of non-negative ints)")
        if isinstance(value, tuple):
            sample = rng.uniform(*RANDOM_RANGE, size=value)
            return float(sample) if value == () else sample
        return _convert(name, value, name in names, option)

    return _bind(fun, parse(text, option), option, make)


def _differentiated(fun: Callable[..., Any], wrt: Sequence[int]) -> set[str]:
    names = list(inspect.signature(fun).parameters)
    return {names[i] for i in wrt}
