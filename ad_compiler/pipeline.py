"""The compile driver: function -> IR -> derivative IR -> optimized IR -> Python (DESIGN §1).

Every stage is a pure function of the one before; this module only strings them together
and checks each result with the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .ad.reverse import name_gradients, vjp_function
from .codegen.emit import Emitted, emit
from .codegen.load import load
from .ir import Function, Value, format_function
from .ir.clone import clone_function
from .ir.types import Array, Kind, Scalar, TupleKind
from .ir.verify import verify
from .passes import cse, dce, fold, scatter, specialize, tape, views
from .passes.infer import infer_kinds

_MAX_ROUNDS = 20


@dataclass(frozen=True)
class GradOptions:
    """What derivative to build: w.r.t. which parameters, and what to return."""

    argnums: tuple[int, ...]
    tuple_out: bool
    with_value: bool = False


@dataclass
class Version:
    """One compiled derivative: its IR, its source, and the live function."""

    ir: Function
    emitted: Emitted
    function: Callable[..., Any]

    @property
    def source(self) -> str:
        return self.emitted.source


def optimize(fn: Function) -> Function:
    """Infer kinds and simplify until nothing changes (each pass reports a change)."""
    for _ in range(_MAX_ROUNDS):
        infer_kinds(fn)
        changed = fold.run(fn)
        infer_kinds(fn)
        changed |= specialize.run(fn)
        changed |= cse.run(fn)
        changed |= scatter.run(fn)
        changed |= dce.run(fn)
        verify(fn)
        if not changed:
            break
    infer_kinds(fn)
    return fn


def _describe(kind: Kind) -> str:
    return "unknown" if kind is None else str(kind)


def _check_kinds(primal: Function, options: GradOptions) -> None:
    """Refuse, as JAX does, integer inputs to differentiate and non-scalar outputs."""
    for i in options.argnums:
        kind = primal.params[i].kind
        if isinstance(kind, (Scalar, Array)) and kind.dtype != "float":
            hint = "complex gradients are not supported yet" if kind.dtype == "complex" else "pass a float value"
            raise TypeError(
                f"grad requires float inputs, but argument {i} ({primal.params[i].name}) "
                f"of {primal.name} is {_describe(kind)}; {hint}"
            )
    (out,) = primal.returns
    kind = out.kind if isinstance(out, Value) else None
    if isinstance(kind, TupleKind) or (isinstance(kind, Array) and kind.ndim > 0):
        raise TypeError(
            f"grad requires a scalar output, but {primal.name} returns {_describe(kind)}; "
            "reduce it (e.g. np.sum) or use a Jacobian"
        )


def compile_grad(primal: Function, options: GradOptions, kinds: Sequence[Kind] | None) -> Version:
    """The gradient of a lowered function, specialized to argument `kinds` (None: generic)."""
    work = clone_function(primal)
    verify(work)
    infer_kinds(work, kinds)
    _check_kinds(work, options)
    optimize(work)
    derivative = vjp_function(
        work, options.argnums, with_value=options.with_value, tuple_out=options.tuple_out
    )
    verify(derivative)
    optimize(derivative)
    while tape.run(derivative):  # what the reverse loops no longer read is not recorded
        optimize(derivative)
    if views.run(derivative):
        optimize(derivative)
    name_gradients(derivative, options.argnums, options.tuple_out)
    emitted = emit(derivative)
    return Version(derivative, emitted, load(emitted.source, emitted.name, emitted.namespace))


def ir_text(version: Version) -> str:
    return format_function(version.ir)
