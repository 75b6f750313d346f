"""Derivative rules lowered, ready to inline: the rules are the primitives' (their records
in `ad_compiler.primitives`, registered with `defvjp` / `defjvp`); this is where they are
bound to an op's operands and lowered by the frontend, once per static binding.

A VJP rule is an ordinary Python function

    @defvjp(np.sin)
    def sin_vjp(g, ans, x):
        return g * np.cos(x)

taking the output cotangent `g`, the primal result `ans` and the primal operands, and
returning one cotangent per operand (a tuple when there are several; `None` for an operand
whose derivative is zero: an integer, or one the result is piecewise constant in). A rule
that cannot give an operand's derivative (a CDF's in its shape parameter) declares the
keyword-only parameter `active`, a tuple of bools per operand bound while lowering, and
calls `helpers.no_derivative(message)` where the operand it cannot serve is active. Keyword parameters after the operands receive the op's static
attributes (`axis`, `keepdims`) as compile-time constants. Rules are never called: the
frontend lowers them like user code and the transform inlines their bodies (DESIGN §4), so
a rule's body is itself differentiable code.

Broadcasting is handled here once, not in each rule: for a rule registered with
`broadcasting=True` (the default for operators and NumPy ufuncs) the reverse transform
reduces each cotangent to its operand's shape.

A JVP rule takes the tangents first, named `d` + the operand's name, then `ans` and the
operands, and returns the tangent of the result:

    @defjvp(np.multiply)
    def multiply_jvp(dx, dy, ans, x, y):
        return dx * y + x * dy

It must be linear in the tangents: a tangent that is zero (a constant operand, or one that
does not depend on the differentiated inputs) is a *symbolic* zero, and the terms it enters
vanish when the rule is inlined (see `ad.forward`). Tangents may carry leading batch axes
(one per direction of a batched forward pass): a broadcasting rule receives tangents
already broadcast to the result's shape, so elementwise code needs no care; any other rule
declares a keyword-only parameter `batch` and receives the number of batch axes (0 or 1)
as a compile-time constant.
"""

from __future__ import annotations

import contextlib
import inspect
from dataclasses import dataclass
from typing import Any, Callable

from ...errors import NoDerivativeError
from ...frontend import Parameters, lower
from ...ir import Const, Function, Operand
from ...ir.verify import verify
from ...ir.types import Kind
from ...primitives import PRIMITIVES, Rule, Table, defjvp, defvjp, defzero


@dataclass(frozen=True)
class JVPSlot:
    """What a parameter of a lowered JVP rule is bound to: the tangent of operand `index`,
    the result (`ans`), or operand `index` itself."""

    role: str  # "tangent", "ans" or "operand"
    index: int = -1


class Registry:
    """The rules of a table of primitives, by prim name, with their lowered IR cached per
    rule and static binding (a rule replaced is another rule: no stale entry is read)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._lowered: dict[tuple, Function] = {}
        self._derivatives: Callable[[Any], Function] | None = None

    def splice_with(self, derivatives: Callable[[Any], Function]) -> None:
        """How a rule that computes a derivative itself (`grad(h)(v)`, as the rules of
        `custom_jvp` do) gets its IR to splice: the API's compile cache."""
        self._derivatives = derivatives

    def watch(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the rules change (compiled code may then be stale)."""
        self.table.watch(callback)

    def scope(self) -> contextlib.AbstractContextManager[Table]:
        """Rules registered inside the `with` block are gone after it (for tests, and for
        trying a rule without keeping it)."""
        return self.table.scope()

    def vjp(self, prim: str, kinds: list[Kind]) -> Rule | None:
        """The first VJP rule for `prim` that applies to operands of these kinds."""
        return self.table.get(prim).vjp(kinds)

    def jvp(self, prim: str, kinds: list[Kind]) -> Rule | None:
        """The first JVP rule for `prim` that applies to operands of these kinds."""
        return self.table.get(prim).jvp(kinds)

    def is_zero(self, prim: str) -> bool:
        return not self.table.get(prim).differentiable

    def prims(self) -> list[str]:
        """The prims with a VJP rule."""
        return [p.name for p in self.table if p.vjps]

    def jvp_prims(self) -> list[str]:
        """The prims with a JVP rule."""
        return [p.name for p in self.table if p.jvps]

    def lowered_vjp(
        self, rule: Rule, operands: list[Operand], attrs: dict[str, Any], active: tuple[bool, ...] = ()
    ) -> tuple[Function, list[int]]:
        """The rule lowered for these operands: constant operands and attributes become
        static, and, if the rule asks for it, `active` (per operand, whether the derivative
        flows into it); returns the function (params: g, ans, then the non-constant
        operands) and the operand positions those params stand for."""
        params = list(inspect.signature(rule.fn).parameters.values())[2:]
        static, dynamic = self._bind(rule, params, operands, attrs, {"active": active})
        return self._lower("vjp", rule, static, dynamic), dynamic

    def lowered_jvp(
        self, rule: Rule, operands: list[Operand], attrs: dict[str, Any], batch: int
    ) -> tuple[Function, list[JVPSlot]]:
        """The JVP rule lowered for these operands (as `lowered_vjp`), with `batch` bound
        if the rule asks for it; returns the function and what each of its params is."""
        params = list(inspect.signature(rule.fn).parameters.values())
        names = [p.name for p in params]
        if "ans" not in names:
            raise NoDerivativeError(f"the JVP rule of {rule.prim} has no parameter 'ans'")
        split = names.index("ans")
        operand_params = params[split + 1:]
        static, dynamic = self._bind(rule, operand_params, operands, attrs, {"batch": batch})
        operand_names = [p.name for p in operand_params]
        slots = []
        variadic = next((p.name for p in operand_params if p.kind is p.VAR_POSITIONAL), None)
        for name in names[:split]:
            if variadic is not None and name == "d" + variadic:  # one tangent per operand, as a sequence
                static[name] = Parameters((None,) * len(operands))
                slots += [JVPSlot("tangent", i) for i in range(len(operands))]
                continue
            if not name.startswith("d") or name[1:] not in operand_names:
                raise NoDerivativeError(
                    f"the JVP rule of {rule.prim}: tangent parameter '{name}' must be named "
                    f"'d' + the name of an operand parameter ({', '.join(operand_names)})"
                )
            slots.append(JVPSlot("tangent", operand_names.index(name[1:])))
        slots.append(JVPSlot("ans"))
        slots += [JVPSlot("operand", i) for i in dynamic]
        return self._lower("jvp", rule, static, dynamic), slots

    def lowered_batching(
        self, prim: str, operands: list[Operand], attrs: dict[str, Any], batched: tuple[bool, ...],
        ranks: tuple[int | None, ...],
    ) -> tuple[Function, list[int]] | None:
        """The batching rule of `prim` (`defbatch`), lowered for these operands (as
        `lowered_vjp`), with `batched` and `ranks` bound; None if it has none. Raises
        `NoBatchingError` where the rule declines the case."""
        fn = self.table.get(prim).batching
        if fn is None:
            return None
        rule = Rule(prim, fn, False)
        params = list(inspect.signature(fn).parameters.values())
        static, dynamic = self._bind(rule, params, operands, attrs, {"batched": batched, "ranks": ranks})
        return self._lower("batch", rule, static, dynamic), dynamic

    @staticmethod
    def _bind(
        rule: Rule,
        params: list[inspect.Parameter],
        operands: list[Operand],
        attrs: dict[str, Any],
        extra: dict[str, Any],
    ) -> tuple[dict[str, Any], list[int]]:
        """Which operand params are static (constant operands, attributes, defaults, and
        the `extra` names the rule declares) and which operand positions stay dynamic."""
        names = [p.name for p in params]
        positional = [p for p in params if p.kind is not p.KEYWORD_ONLY]
        if positional and positional[-1].kind is positional[-1].VAR_POSITIONAL:
            return Registry._bind_variadic(positional, params, operands, attrs, extra)
        if len(operands) > len(positional):
            raise NoDerivativeError(
                f"the derivative rule of {rule.prim} takes {len(positional)} operand"
                f"{'s' if len(positional) != 1 else ''}, the call passes {len(operands)}: pass "
                f"{rule.prim} only its operands (out= and where= are not differentiated)"
            )
        static = {k: v for k, v in {**attrs, **extra}.items() if k in names}
        for p in params[len(operands):]:
            if p.name not in static and p.default is not inspect.Parameter.empty:
                static[p.name] = p.default
        dynamic: list[int] = []
        for i, x in enumerate(operands):
            if isinstance(x, Const):
                static[names[i]] = x  # the constant itself, with the name it has in the source
            else:
                dynamic.append(i)
        return static, dynamic

    @staticmethod
    def _bind_variadic(
        positional: list[inspect.Parameter], params: list[inspect.Parameter], operands: list[Operand],
        attrs: dict[str, Any], extra: dict[str, Any],
    ) -> tuple[dict[str, Any], list[int]]:
        """`_bind` for a rule whose operands are one sequence (`*arrays`): the sequence is
        a tuple of new parameters (the dynamic operands) and constants."""
        names = {p.name for p in params}
        static = {k: v for k, v in {**attrs, **extra}.items() if k in names}
        for p in params:
            if p.kind is p.KEYWORD_ONLY and p.name not in static and p.default is not inspect.Parameter.empty:
                static[p.name] = p.default
        static[positional[-1].name] = Parameters(tuple(x if isinstance(x, Const) else None for x in operands))
        return static, [i for i, x in enumerate(operands) if not isinstance(x, Const)]

    def _lower(self, mode: str, rule: Rule, static: dict[str, Any], dynamic: list[int]) -> Function:
        key = (
            mode,
            rule,
            tuple(dynamic),
            tuple(sorted((k, _hashable(v)) for k, v in static.items())),
        )
        if key not in self._lowered:
            lowered = lower(rule.fn, static=static, name=f"{rule.prim}_{mode}", derivatives=self._derivatives)
            verify(lowered, PRIMITIVES.arity)
            self._lowered[key] = lowered
        return self._lowered[key]


def _hashable(value: Any) -> Any:
    """A cache key for a static value: by type too (2 and 2.0 lower to different code)."""
    if isinstance(value, tuple):
        return tuple(_hashable(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value), value)


RULES = Registry(PRIMITIVES)
"""The rules every transform uses: those of `PRIMITIVES`, which users extend."""

__all__ = ["JVPSlot", "RULES", "Registry", "defjvp", "defvjp", "defzero"]
