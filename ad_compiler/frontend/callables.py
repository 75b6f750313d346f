"""Every callable a user hands to a transform, as one thing the compiler lowers.

A def, a lambda, a bound method (`model.loss`), a classmethod, a `functools.partial`, an
object with `__call__`, or a function the compiler has a primitive for (`np.sin`): each
is a `UserFunction` — the Python function whose source is read, with its leading
parameters bound to objects (a method's `self`, a partial's arguments), the signature a
call binds against, and the name its derivatives are emitted under (`grad_loss`, never
`grad_<lambda>`).

Bound objects are read as closure variables are: at call time, by the name of the
parameter they fill (`self.w` in emitted code reads the object's attribute when it runs).
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..errors import SourceUnavailableError
from ..primitives import PRIMITIVES
from .source import function_name, python_function

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_COUNTED = _POSITIONAL + (inspect.Parameter.VAR_POSITIONAL,)


@dataclass(frozen=True, eq=False)
class UserFunction:
    """What a transform differentiates (see the module docstring). `fn` is None for a
    primitive called directly (`prim`); `key` holds the objects whose identities decide
    the lowering (the function, and the objects bound to it)."""

    fn: Callable[..., Any] | None
    name: str
    signature: inspect.Signature
    bound: tuple[tuple[str, Any], ...] = ()
    prim: str | None = None
    key: tuple = ()

    @property
    def positional(self) -> list[str]:
        """The parameters `argnums` counts (as JAX's, the positional ones; a `*args` is
        counted so that lowering, not argnums, says it is not supported)."""
        return [p.name for p in self.signature.parameters.values() if p.kind in _COUNTED]

    @property
    def code(self) -> Any:
        """What changes when the function is redefined in place (None for a primitive)."""
        return self.fn.__code__ if self.fn is not None else None


def user_function(fun: Any) -> UserFunction:
    """The `UserFunction` of a callable, or SourceUnavailableError saying why there is none."""
    if isinstance(fun, functools.partial):
        return _partial(fun)
    if isinstance(fun, staticmethod):
        return user_function(fun.__func__)
    if inspect.ismethod(fun):
        inner = user_function(fun.__func__)
        first = next(iter(inner.signature.parameters), None)
        if first is None or inner.fn is None:
            raise SourceUnavailableError(f"'{inner.name}' takes no parameter for the object it is bound to")
        name = type(fun.__self__).__name__ if inner.name == "__call__" else inner.name
        return UserFunction(inner.fn, name, inspect.signature(fun), ((first, fun.__self__),) + inner.bound,
                            key=(fun.__func__, fun.__self__))
    prim = PRIMITIVES.name_of(fun)  # (before the Python source some NumPy functions have)
    if prim is not None:
        return _primitive(fun, prim)
    if is_callable_object(fun):
        method = user_function(fun.__call__)
        return UserFunction(method.fn, method.name, method.signature, method.bound, key=(fun,))
    fn = python_function(fun)
    return UserFunction(fn, function_name(fn), inspect.signature(fun), key=(fun,))


def is_callable_object(fun: Any) -> bool:
    """An instance whose class defines `__call__` in Python (a model, a loss object)."""
    call = getattr(type(fun), "__call__", None)
    return (not isinstance(fun, type) and not inspect.isroutine(fun)
            and inspect.isfunction(inspect.unwrap(call)) if call is not None else False)


def _partial(fun: functools.partial) -> UserFunction:
    """Positional arguments fill the next parameters (bound, read at call time); keyword
    arguments are defaults the caller may override, as Python's partial has it."""
    inner = user_function(fun.func)
    if inner.fn is None:
        raise SourceUnavailableError(
            f"functools.partial of the primitive '{inner.name}' is not supported; differentiate "
            f"a def that calls {inner.name} with the bound arguments"
        )
    free = [p for p in inner.signature.parameters.values() if p.kind in _POSITIONAL]
    if len(fun.args) > len(free):
        raise SourceUnavailableError(f"functools.partial gives '{inner.name}' {len(fun.args)} positional "
                                     f"arguments, but it takes {len(free)}")
    bound = inner.bound + tuple((p.name, arg) for p, arg in zip(free, fun.args))
    return UserFunction(inner.fn, inner.name, inspect.signature(fun), bound, key=(fun,))


def _primitive(fun: Any, prim: str) -> UserFunction:
    """`grad(np.sin)`: the primitive applied to the function's required positional
    parameters (a ufunc's `x` or `x1, x2`)."""
    if isinstance(fun, np.ufunc):
        names = ["x"] if fun.nin == 1 else [f"x{k + 1}" for k in range(fun.nin)]
        params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    else:
        try:
            found = inspect.signature(fun).parameters.values()
        except (TypeError, ValueError):
            raise SourceUnavailableError(f"cannot tell the parameters of '{prim}'; differentiate a def "
                                         f"that calls it") from None
        params = [p.replace(kind=p.POSITIONAL_OR_KEYWORD) for p in found
                  if p.kind in _POSITIONAL and p.default is p.empty]
    name = getattr(fun, "__name__", prim.rpartition(".")[2])
    return UserFunction(None, name, inspect.Signature(params), prim=prim, key=(fun,))
