"""Custom derivatives with JAX's names and semantics: `custom_jvp` and `custom_vjp`.

A function so decorated is a primitive of its own (its record in `ad_compiler.primitives`):
its calls are not inlined, emitted code calls it where it is defined, and its derivative
rules are generated here as Python source, like the built-in rules, so both modes and
every order work:

- `custom_jvp`: the forward rule calls the user's JVP function and keeps its tangent; the
  reverse rule is its transpose, `grad` over the tangents of `<g, tangent>` (the tangent is
  linear in them), as JAX transposes a linearized JVP.
- `custom_vjp`: the reverse rule runs `fwd` for its residuals (again, in the reverse
  sweep: they are not kept from the forward sweep) and returns `bwd`'s cotangents. There
  is no forward rule, as in JAX: `bwd` need not be linear in `g` (a clipped gradient), so
  no JVP follows from it; forward mode says so and asks for one (`defjvp(f)`).

The generated rules are real source (registered with `linecache`) so that the frontend
reads them as it reads any rule.
"""

from __future__ import annotations

import functools
import inspect
import keyword
import linecache
from typing import Any, Callable, Sequence

import numpy as np

from .api import grad
from .primitives import PRIMITIVES, defjvp, defvjp

_TAKEN = frozenset({"g", "ans", "np", "fwd", "bwd", "jvp", "grad", "residuals", "pushed", "pulled", "cotangents",
                    "direction", "batch"})


class _Custom:
    """What both decorators share: the wrapped function, its operands' names, and the
    primitive it becomes."""

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        params = [p for p in inspect.signature(fun).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(params) != len(inspect.signature(fun).parameters):
            raise TypeError(f"{self.__name__}: a custom derivative needs a function of positional parameters "
                            "(no *args, **kwargs or keyword-only ones)")
        self.names = [p.name if p.name not in _TAKEN and not p.name.startswith("d") and not keyword.iskeyword(p.name)
                      else f"a{k}" for k, p in enumerate(params)]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fun(*args, **kwargs)

    def _diff(self) -> list[str]:
        return [n for k, n in enumerate(self.names) if k not in self.nondiff_argnums]

    def _nondiff(self) -> list[str]:
        return [n for k, n in enumerate(self.names) if k in self.nondiff_argnums]

    def _define(self, text: str, scope: dict[str, Any]) -> Callable[..., Any]:
        """The function `text` defines, its source where `inspect.getsource` finds it."""
        filename = f"<ad_compiler custom rule {self.__qualname__} {id(self)} {text.split('(')[0][4:]}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        namespace = {"np": np, "grad": grad, "__name__": self.__module__, **scope}
        exec(compile(text, filename, "exec"), namespace)  # noqa: S102 - source written here
        return next(v for k, v in namespace.items() if k.endswith(("_vjp", "_jvp")) and callable(v))

def _tuple(names: Sequence[str]) -> str:
    return f"({', '.join(names)},)" if names else "()"


def _one_or_tuple(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items)


def _batched(call: str, tangents: Sequence[str]) -> str:
    """The rule's body: `call` of the tangents, or, in batched forward mode (a leading
    axis of directions on each tangent), of each direction's, stacked: the user's
    function is written for one direction."""
    each = call.format(*(f"{t}[direction]" for t in tangents))
    return (f"    if batch:\n"
            f"        return np.stack([{each} for direction in range(np.shape({tangents[0]})[0])])\n"
            f"    return {call.format(*tangents)}\n")


class custom_jvp(_Custom):
    """`@custom_jvp` on `f`, then `@f.defjvp` on `f_jvp(primals, tangents) -> (out,
    tangent_out)` (with `nondiff_argnums`, `f_jvp(*nondiff, primals, tangents)`), as JAX."""

    def defjvp(self, jvp: Callable[..., Any]) -> Callable[..., Any]:
        name, diff, nondiff = self.__name__, self._diff(), self._nondiff()
        tangents = ["d" + n for n in diff]
        slots = ", ".join("{%d}" % k for k in range(len(diff)))
        call = f"jvp({', '.join(nondiff + [_tuple(diff), '(' + slots + (',)' if len(diff) == 1 else ')')])})[1]"
        forward = (f"def {name}_jvp({', '.join(tangents + ['ans'] + self.names)}, *, batch=0):\n"
                   + _batched(call, tangents))
        zeros = ", ".join(f"np.zeros_like({n})" for n in diff)
        argnums = tuple(range(len(diff)))
        cotangents = ["None" if k in self.nondiff_argnums else f"pulled[{diff.index(n)}]"
                      for k, n in enumerate(self.names)]
        reverse = (f"def {name}_vjp({', '.join(['g', 'ans'] + self.names)}):\n"
                   f"    def pushed({', '.join(tangents)}):\n"
                   f"        return np.sum(g * {call.format(*tangents)})\n"
                   f"    pulled = grad(pushed, argnums={argnums})({zeros})\n"
                   f"    return {_one_or_tuple(cotangents)}\n")
        PRIMITIVES.define(self)  # (named by its module path, where emitted code calls it)
        defvjp(self, broadcasting=False)(self._define(reverse, {"jvp": jvp}))
        defjvp(self, broadcasting=False)(self._define(forward, {"jvp": jvp}))
        return jvp


class custom_vjp(_Custom):
    """`@custom_vjp` on `f`, then `f.defvjp(fwd, bwd)`: `fwd(*args) -> (out, residuals)`,
    `bwd(residuals, g) -> tuple of cotangents` (with `nondiff_argnums`, `bwd(*nondiff,
    residuals, g)`, cotangents of the other arguments only), as JAX."""

    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any]) -> None:
        name, diff, nondiff = self.__name__, self._diff(), self._nondiff()
        residuals = f"    residuals = fwd({', '.join(self.names)})[1]\n"
        pull = f"bwd({', '.join(nondiff + ['residuals', 'g'])})"
        cotangents = ["None" if k in self.nondiff_argnums else f"cotangents[{diff.index(n)}]"
                      for k, n in enumerate(self.names)]
        reverse = (f"def {name}_vjp({', '.join(['g', 'ans'] + self.names)}):\n" + residuals +
                   f"    cotangents = {pull}\n"
                   f"    return {_one_or_tuple(cotangents)}\n")
        PRIMITIVES.define(self)  # (named by its module path, where emitted code calls it)
        defvjp(self, broadcasting=False)(self._define(reverse, {"fwd": fwd, "bwd": bwd}))
