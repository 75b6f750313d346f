"""The public transforms: `grad` and `value_and_grad`, with JAX's semantics where names
match. Each returns a `Compiled` callable that compiles lazily, once per abstract
signature of its arguments (DESIGN §5a), and shows what it emitted (`.source`, `.ir`)."""

from __future__ import annotations

import functools
import inspect
import weakref
from typing import Any, Callable, Sequence

from .frontend import lower
from .ir import Function, format_function
from .ir.types import kind_of
from .ad.rules import RULES
from .dispatch import Dispatch
from .pipeline import GradOptions, Version, compile_grad


class CompileCache:
    """Compiled versions per (function, code, options, signature); functions are held
    weakly, so a reloaded module's new functions compile afresh and old ones go."""

    def __init__(self) -> None:
        self._lowered: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._versions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._users: weakref.WeakSet = weakref.WeakSet()

    def lowered(self, fun: Callable[..., Any]) -> Function:
        code, fn = self._lowered.get(fun, (None, None))
        if code is not fun.__code__:
            fn = lower(fun)
            self._lowered[fun] = (fun.__code__, fn)
        return fn

    def version(self, fun: Callable[..., Any], options: GradOptions, kinds: tuple | None) -> Version:
        table = self._versions.setdefault(fun, {})
        key = (fun.__code__, options, kinds)
        if key not in table:
            table[key] = compile_grad(self.lowered(fun), options, kinds)
        return table[key]

    def clear(self) -> None:
        self._lowered.clear()
        self._versions.clear()
        for user in list(self._users):
            user.forget()

    def track(self, user: Any) -> None:
        """Remember an object with its own lookup tables, to `forget()` them on `clear`."""
        self._users.add(user)


_CACHE = CompileCache()
RULES.watch(_CACHE.clear)  # a new or changed rule makes every compiled derivative stale


def clear_cache() -> None:
    """Forget every compiled derivative (they are rebuilt on the next call)."""
    _CACHE.clear()


def _plain_function(fun: Callable[..., Any]) -> Callable[..., Any]:
    return getattr(fun, "__func__", fun)


class Compiled(functools.partial):
    """A derivative of `fun`: call it like `fun`; `.source` and `.ir` show what runs.

    It is a `functools.partial` of a dispatcher generated for `fun`'s parameters (see
    `dispatch`): a call goes from C straight into that function, which finds the
    compiled version with one dict lookup, so calling costs little more than calling
    the emitted function itself.
    """

    def __new__(cls, fun: Callable[..., Any], options: GradOptions) -> "Compiled":
        fun = _plain_function(fun)
        holder: list[Compiled] = []

        def general(args: tuple, kwargs: dict) -> Any:
            return holder[0]._call_general(args, kwargs)

        dispatch = Dispatch(fun.__name__, list(inspect.signature(fun).parameters.values()), general)
        self = super().__new__(cls, dispatch.function)
        holder.append(self)
        self._dispatch = dispatch
        return self

    def __init__(self, fun: Callable[..., Any], options: GradOptions) -> None:
        self.fun = _plain_function(fun)
        self.options = options
        self._signature = inspect.signature(self.fun)
        self._last: Version | None = None
        _CACHE.track(self)
        functools.update_wrapper(self, self.fun)

    def _call_general(self, args: tuple, kwargs: dict) -> Any:
        """Bind, find or compile the version for these arguments, remember it."""
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = tuple(bound.arguments.values())
        version = self._last = _CACHE.version(
            self.fun, self.options, tuple(kind_of(v) for v in values)
        )
        if not kwargs and len(args) == len(values):
            self._dispatch.remember(values, version.function)
        return version.function(*values)

    def forget(self) -> None:
        """Drop what the dispatcher remembers (the cache was cleared)."""
        self._dispatch.forget()
        self._last = None

    @property
    def generic(self) -> Callable[..., Any]:
        """The version compiled for arguments of any kind (what `adc` writes): slower
        than a specialized one, but never recompiled."""
        return _CACHE.version(self.fun, self.options, None).function

    def _version(self) -> Version:
        return self._last or _CACHE.version(self.fun, self.options, None)

    @property
    def source(self) -> str:
        """The emitted Python source: of the version the last call through the general
        path compiled or found (each signature's first call), generic before any call."""
        return self._version().source

    @property
    def ir(self) -> str:
        """The printed IR of the derivative, as optimized."""
        return format_function(self._version().ir)

    def __repr__(self) -> str:
        return f"<ad_compiler.Compiled {self.__name__} {self.options}>"


def _options(fun: Callable[..., Any], argnums: int | Sequence[int], with_value: bool) -> GradOptions:
    nparams = len(inspect.signature(_plain_function(fun)).parameters)
    tuple_out = not isinstance(argnums, int)
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not isinstance(n, int) or not -nparams <= n < nparams:
            raise ValueError(
                f"argnums {argnums!r} out of range: {getattr(fun, '__name__', fun)} "
                f"takes {nparams} positional arguments"
            )
    return GradOptions(tuple(n % nparams for n in nums), tuple_out, with_value)


def _transform(fun: Callable | None, argnums: int | Sequence[int], with_value: bool) -> Any:
    if fun is None:
        return lambda f: _transform(f, argnums, with_value)
    return Compiled(fun, _options(fun, argnums, with_value))


def grad(fun: Callable | None = None, argnums: int | Sequence[int] = 0) -> Any:
    """The gradient of scalar-valued `fun` w.r.t. the argument(s) at `argnums`: one
    gradient for an int, a tuple of them for a tuple (as `jax.grad`). Usable as `@grad`
    and `@grad(argnums=...)`."""
    return _transform(fun, argnums, with_value=False)


def value_and_grad(fun: Callable | None = None, argnums: int | Sequence[int] = 0) -> Any:
    """Like `grad`, but the derivative returns `(fun(*args), gradient)`."""
    return _transform(fun, argnums, with_value=True)


def show(obj: Compiled) -> None:
    """Print the emitted source of a compiled derivative."""
    print(obj.source)
