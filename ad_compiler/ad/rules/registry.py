"""The derivative-rule registry: `defvjp`, `defjvp` and the lowered, ready-to-inline rules.

A VJP rule is an ordinary Python function

    @defvjp(np.sin)
    def sin_vjp(g, ans, x):
        return g * np.cos(x)

taking the output cotangent `g`, the primal result `ans` and the primal operands, and
returning one cotangent per operand (a tuple when there are several; `None` for an operand
that has no derivative). Keyword parameters after the operands receive the op's static
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
from typing import Any, Callable, Iterator

from ...errors import NoDerivativeError
from ...frontend import Parameters, lower
from ...ir import Const, Function, Operand
from ...ir.verify import verify
from ...ir.prims import broadcasting, prim_of
from ...ir.types import Array, Kind, Scalar


@dataclass(frozen=True)
class Rule:
    """One rule (VJP or JVP). `ranks`, when set, restricts it to operands of those ranks (ndim), known
    after specialization: a prim may have a rule per rank combination (plain `g @ y.T` for
    matrices) before a general one that works for any input."""

    prim: str
    fn: Callable[..., Any]
    broadcasting: bool
    ranks: tuple[int, ...] | None = None
    max_rank: int | None = None
    """Operands of a higher known rank are not covered (np.dot above matrices)."""
    dtypes: tuple[str | None, ...] | None = None
    """When set, the rule covers operands of these known dtypes only (None: any); a
    boolean mask has a rule of its own (`mask * y`)."""

    def applies(self, kinds: list[Kind]) -> bool:
        known = [getattr(k, "ndim", 0) if isinstance(k, (Array, Scalar)) else None for k in kinds]
        if self.max_rank is not None and any(k is not None and k > self.max_rank for k in known):
            return False
        if self.dtypes is not None and not (len(kinds) == len(self.dtypes) and all(
            d is None or getattr(k, "dtype", None) == d for d, k in zip(self.dtypes, kinds)
        )):
            return False
        if self.ranks is None:
            return True
        return len(known) == len(self.ranks) and all(
            r == k for r, k in zip(self.ranks, known)
        )


def _broadcasts_by_default(prim: str) -> bool:
    """Operators and NumPy ufuncs of several operands broadcast them against each other."""
    return broadcasting(prim)


@dataclass(frozen=True)
class JVPSlot:
    """What a parameter of a lowered JVP rule is bound to: the tangent of operand `index`,
    the result (`ans`), or operand `index` itself."""

    role: str  # "tangent", "ans" or "operand"
    index: int = -1


class Registry:
    """Derivative rules by prim name, with their lowered IR cached per static binding."""

    def __init__(self) -> None:
        self._vjps: dict[str, list[Rule]] = {}
        self._jvps: dict[str, list[Rule]] = {}
        self._zero: set[str] = set()
        self._lowered: dict[tuple, Function] = {}
        self._watchers: list[Callable[[], None]] = []

    def watch(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the rules change (compiled code may then be stale)."""
        self._watchers.append(callback)

    def _changed(self) -> None:
        for callback in self._watchers:
            callback()

    def defvjp(
        self,
        *primitives: Any,
        broadcasting: bool | None = None,
        ranks: tuple[int, ...] | None = None,
        max_rank: int | None = None,
        dtypes: tuple[str | None, ...] | None = None,
    ) -> Callable:
        """Decorator registering a VJP rule for each of `primitives` (callables or prim
        names). A rule registered later for the same prim, ranks and dtypes replaces the
        earlier."""
        return self._define(self._vjps, "vjp", primitives, broadcasting, ranks, max_rank, dtypes)

    def defjvp(
        self,
        *primitives: Any,
        broadcasting: bool | None = None,
        ranks: tuple[int, ...] | None = None,
        max_rank: int | None = None,
        dtypes: tuple[str | None, ...] | None = None,
    ) -> Callable:
        """Decorator registering a JVP rule (see the module docstring) for each of
        `primitives`, with `defvjp`'s options."""
        return self._define(self._jvps, "jvp", primitives, broadcasting, ranks, max_rank, dtypes)

    def _define(
        self,
        table: dict[str, list[Rule]],
        mode: str,
        primitives: tuple[Any, ...],
        broadcasting: bool | None,
        ranks: tuple[int, ...] | None,
        max_rank: int | None = None,
        dtypes: tuple[str | None, ...] | None = None,
    ) -> Callable:
        prims = [self._prim(p) for p in primitives]

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            for prim in prims:
                flag = _broadcasts_by_default(prim) if broadcasting is None else broadcasting
                rules = [r for r in table.get(prim, []) if (r.ranks, r.dtypes) != (ranks, dtypes)]
                rules.append(Rule(prim, fn, flag, ranks, max_rank, dtypes))
                rules.sort(key=lambda r: (r.dtypes is None, r.ranks is None))
                table[prim] = rules
                self._lowered = {k: v for k, v in self._lowered.items() if k[:2] != (mode, prim)}
            self._changed()
            return fn

        return register

    def defzero(self, *primitives: Any) -> None:
        """Declare prims whose outputs do not depend differentiably on their inputs
        (comparisons, shapes, `np.sign`, ...): they stop activity and need no rule."""
        self._zero.update(self._prim(p) for p in primitives)
        self._changed()

    @staticmethod
    def _prim(primitive: Any) -> str:
        prim = prim_of(primitive)
        if prim is None:
            raise ValueError(f"{primitive!r} is not a primitive the compiler knows")
        return prim

    @contextlib.contextmanager
    def scope(self) -> Iterator["Registry"]:
        """Rules registered inside the `with` block are gone after it (for tests, and for
        trying a rule without keeping it)."""
        saved = (
            {k: list(v) for k, v in self._vjps.items()},
            {k: list(v) for k, v in self._jvps.items()},
            set(self._zero),
            dict(self._lowered),
        )
        try:
            yield self
        finally:
            self._vjps, self._jvps, self._zero, self._lowered = saved
            self._changed()

    def vjp(self, prim: str, kinds: list[Kind]) -> Rule | None:
        """The first VJP rule for `prim` that applies to operands of these kinds."""
        return next((r for r in self._vjps.get(prim, []) if r.applies(kinds)), None)

    def jvp(self, prim: str, kinds: list[Kind]) -> Rule | None:
        """The first JVP rule for `prim` that applies to operands of these kinds."""
        return next((r for r in self._jvps.get(prim, []) if r.applies(kinds)), None)

    def is_zero(self, prim: str) -> bool:
        return prim in self._zero

    def prims(self) -> list[str]:
        """The prims with a VJP rule."""
        return sorted(self._vjps)

    def jvp_prims(self) -> list[str]:
        """The prims with a JVP rule."""
        return sorted(self._jvps)

    def lowered_vjp(
        self, rule: Rule, operands: list[Operand], attrs: dict[str, Any]
    ) -> tuple[Function, list[int]]:
        """The rule lowered for these operands: constant operands and attributes become
        static; returns the function (params: g, ans, then the non-constant operands) and
        the operand positions those params stand for."""
        params = list(inspect.signature(rule.fn).parameters.values())[2:]
        static, dynamic = self._bind(rule, params, operands, attrs, {})
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
            rule.prim,
            rule.ranks,
            rule.dtypes,
            tuple(dynamic),
            tuple(sorted((k, _hashable(v)) for k, v in static.items())),
        )
        if key not in self._lowered:
            lowered = lower(rule.fn, static=static, name=f"{rule.prim}_{mode}")
            verify(lowered)
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


RULES = Registry()
"""The rules every transform uses. Module-level on purpose, like a primitive table: users
extend it with `defvjp`; its lowered-rule cache depends only on the rules themselves."""

defvjp = RULES.defvjp
defjvp = RULES.defjvp
defzero = RULES.defzero
