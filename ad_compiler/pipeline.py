"""The compile driver: function -> IR -> derivative IR -> optimized IR -> Python (DESIGN §1).

Every stage is a pure function of the one before; this module only strings them together
and checks each result with the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from .ad.checkpoint import segment_loops
from .ad.forward import jvp_function
from .ad.jacobian import forward_jacobian, reverse_jacobian
from .ad.pullback import split_vjp
from .ad.sparse import Sparsity, sparse_forward_jacobian
from .ad.reverse import name_gradients, vjp_function
from .codegen.emit import Emitted, emit
from .codegen.load import load
from .errors import ArgumentError, CompileError
from .ir import Const, Function, Op, Value, walk_ops
from .ir.clone import clone_function, inline
from .ir.prims import has_effects
from .ir.externals import External
from .ir.types import Array, Kind, Scalar, TupleKind
from .ir.verify import verify
from .modes import gradient_mode, jacobian_mode
from .primitives import PRIMITIVES
from .passes import branches, carried, copied, cse, dce, fold, hoist, scatter, specialize, stacked, tape, untuple, views
from .passes.infer import infer_kinds

_MAX_ROUNDS = 20


@dataclass(frozen=True)
class GradOptions:
    """A gradient: w.r.t. which parameters, what to return, and by which mode."""

    argnums: tuple[int, ...]
    tuple_out: bool
    with_value: bool = False
    mode: str = "auto"
    has_aux: bool = False
    """The function returns (value, aux): aux is returned beside, not differentiated."""
    checkpoint: Union[str, int, None] = None
    """Long loops' reverse sweeps recompute segments of them (`ad/checkpoint.py`)."""


@dataclass(frozen=True)
class JacobianOptions:
    """A Jacobian (`out.shape + in.shape`), by forward or reverse mode."""

    argnums: tuple[int, ...]
    tuple_out: bool
    mode: str = "auto"
    name: str = ""
    """The emitted function's name, when not the mode's (`hessian_f`)."""
    sparsity: Optional[Sparsity] = None
    """Where the Jacobian may be nonzero: its nonzeros by compressed forward passes."""


@dataclass(frozen=True)
class JVPOptions:
    """A JVP: the function takes a tangent after the primals for each of `wrt`."""

    wrt: tuple[int, ...]


@dataclass(frozen=True)
class VJPOptions:
    """A VJP: the function takes the output's cotangent last and returns a tuple of
    cotangents, one for each of `wrt`. As two functions (`part`): "forward" returns the
    output and the residuals, "pullback" takes the residuals and the cotangent."""

    wrt: tuple[int, ...]
    part: str = "whole"


Options = Union[GradOptions, JacobianOptions, JVPOptions, VJPOptions]


@dataclass
class Version:
    """One compiled derivative: its IR, its source, and the live function."""

    ir: Function
    emitted: Emitted
    function: Callable[..., Any]
    nestable: Function
    """The IR a further transform starts from: `ir` before returned views became copies
    (that is for callers of the emitted function, and `np.full` has no rule)."""

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
        changed |= branches.run(fn)
        changed |= untuple.run(fn)
        changed |= cse.run(fn)
        changed |= scatter.run(fn)
        changed |= carried.run(fn)
        changed |= hoist.run(fn)
        changed |= dce.run(fn)
        verify(fn, PRIMITIVES.arity)
        if not changed:
            break
    infer_kinds(fn)
    return fn


def _describe(kind: Kind) -> str:
    return "unknown" if kind is None else str(kind)


def _check_inputs(primal: Function, argnums: Sequence[int], transform: str) -> None:
    """Refuse, as JAX does, integer inputs to differentiate; and, in a version compiled
    for arguments of any kind, a differentiated argument read as a dict (its structure
    decides the derivative's code: known only from the value, at a call)."""
    keyed = {op.inputs[0] for op in walk_ops(primal.body) if op.prim == "getitem"
             and isinstance(op.inputs[1], Const) and isinstance(op.inputs[1].value, str)}
    for i in argnums:
        param = primal.params[i]
        if param in keyed and param.kind is None:
            raise CompileError(
                f"{transform} of {primal.name}: argument {i} ({param.name}) is read by key, as a dict: its "
                "derivative is compiled for its structure, known from the value: call the derivative with "
                "it (the command line takes numbers and arrays, not dicts)")
    for i in argnums:
        kind = primal.params[i].kind
        if isinstance(kind, (Scalar, Array)) and kind.dtype != "float":
            hint = "complex derivatives are not supported yet" if kind.dtype == "complex" else "pass a float value"
            raise ArgumentError(
                f"{transform} requires float inputs, but argument {i} ({primal.params[i].name}) "
                f"of {primal.name} is {_describe(kind)}; {hint}"
            )


def _check_scalar_output(primal: Function) -> None:
    (out,) = primal.returns
    kind = out.kind if isinstance(out, Value) else None
    if isinstance(kind, TupleKind) or (isinstance(kind, Array) and kind.ndim > 0):
        raise ArgumentError(
            f"grad requires a scalar output, but {primal.name} returns {_describe(kind)}; "
            "reduce it (e.g. np.sum) or use a Jacobian"
        )


def _records_tapes(fn: Function) -> bool:
    """Whether `fn` is a reverse sweep over loops (it iterates its tapes backwards):
    reverse mode does not differentiate a loop over a list's items, forward mode does."""
    return any(op.prim in ("for_each", "reversed") for op in walk_ops(fn.body))


def _transform(work: Function, options: Options) -> Function:
    """The derivative IR of an optimized, kind-inferred primal."""
    if isinstance(options, JVPOptions):
        return jvp_function(work, options.wrt)
    if isinstance(options, VJPOptions):
        _check_inputs(work, options.wrt, "vjp")
        return vjp_function(work, options.wrt, tuple_out=True, cotangent=True, with_value=options.part != "whole")
    _check_inputs(work, options.argnums, "grad" if isinstance(options, GradOptions) else "jacobian")
    if isinstance(options, JacobianOptions) and options.sparsity is not None:
        return sparse_forward_jacobian(work, options.argnums, options.sparsity)
    if isinstance(options, JacobianOptions):
        mode = jacobian_mode(work, options.argnums) if options.mode == "auto" else options.mode
        build = forward_jacobian if mode == "forward" or _records_tapes(work) else reverse_jacobian
        fn = build(work, options.argnums, tuple_out=options.tuple_out)
        fn.name = options.name or ("jacfwd_" if build is forward_jacobian else "jacrev_") + work.name
        return fn
    aux = _split_aux(work) if options.has_aux else None
    _check_scalar_output(work)
    prefix = "value_and_grad_" if options.with_value else "grad_"
    mode = options.mode
    if mode == "auto":
        mode = "reverse" if aux is not None else gradient_mode(work, options.argnums)
    if mode == "forward" or _records_tapes(work):
        recompute = _aux_function(work, aux) if aux is not None else None
        fn = forward_jacobian(work, options.argnums, with_value=options.with_value,
                              tuple_out=options.tuple_out, scalar_out=True)
        fn.name = prefix + work.name
        if recompute is not None:  # (cse merges it with the passes' own primal where they run it once)
            _attach_aux(fn, inline(recompute, fn.params[:len(recompute.params)], fn.body.ops), options.with_value)
        return fn
    if options.checkpoint is not None:
        segment_loops(work, options.checkpoint)
    fn = vjp_function(work, options.argnums, with_value=options.with_value, tuple_out=options.tuple_out)
    if aux is not None:
        _attach_aux(fn, aux, options.with_value)
    return fn


def _split_aux(work: Function) -> list:
    """`has_aux`: the function returns the pair (value, aux); it is differentiated as
    the function of the value, and aux (its leaves, if a pytree) is handed out beside."""
    (out,) = work.returns
    producer = next((op for op in work.body.ops if out in op.results), None)
    if producer is None or producer.prim != "tuple" or len(producer.inputs) < 2:
        raise CompileError(f"has_aux=True: {work.name} must return a pair (value, aux), as "
                           "`return loss, aux`")
    work.body.yields = [producer.inputs[0]]
    return list(producer.inputs[1:])


def _aux_function(work: Function, aux: list) -> Function:
    """`has_aux` in forward mode: a copy of the primal that returns aux, run beside the
    forward passes (which may run the primal inside their loop over directions)."""
    if any(has_effects(op) for op in work.body.ops):
        raise CompileError(f"has_aux=True in forward mode computes aux apart from the derivative, and "
                           f"{work.name} has effects (a draw, a print) that would run twice; differentiate it "
                           "with mode='reverse' (the default)")
    returned = work.body.yields
    work.body.yields = list(aux)
    copy = clone_function(work)
    work.body.yields = returned
    return copy


def _attach_aux(fn: Function, aux: list, with_value: bool) -> None:
    """Return `aux` beside the gradient: (gradient, aux), or ((value, aux), gradient)."""
    def packed(items: list) -> Value:
        made = Value()
        fn.body.ops.append(Op("tuple", items, [made]))
        return made

    aux_value = aux[0] if len(aux) == 1 else packed(aux)
    if with_value:
        value, result = fn.body.yields
        fn.body.yields = [packed([value, aux_value]), result]
    else:
        fn.body.yields = [fn.body.yields[0], aux_value]


def optimized_primal(
    primal: Function, kinds: Sequence[Kind] | None, outside: Mapping[External, Kind] | None = None
) -> Function:
    """A copy of a lowered function, its kinds inferred from argument `kinds` (None:
    generic) and those of the names it reads at call time (`outside`), and optimized:
    what is differentiated (`adc ir --stage optimized`)."""
    work = clone_function(primal)
    verify(work, PRIMITIVES.arity)
    for op in walk_ops(work.body):
        if op.prim == "external" and outside and op.attrs["ref"] in outside:
            op.attrs["kind"] = outside[op.attrs["ref"]]
    infer_kinds(work, kinds)
    return optimize(work)


def compile_derivative(
    primal: Function, options: Options, kinds: Sequence[Kind] | None,
    outside: Mapping[External, Kind] | None = None,
) -> Version:
    """A derivative of a lowered function, specialized to argument `kinds` (None: generic)
    and to the kinds of the globals it reads (`outside`)."""
    derivative = _transform(optimized_primal(primal, kinds, outside), options)
    verify(derivative, PRIMITIVES.arity)
    optimize(derivative)
    while tape.run(derivative):  # what the reverse loops no longer read is not recorded
        optimize(derivative)
    if isinstance(options, VJPOptions):
        name_gradients(derivative, options.wrt, tuple_out=True)
    if isinstance(options, VJPOptions) and options.part != "whole":
        derivative = split_vjp(derivative)[options.part == "pullback"]  # after the tapes are pruned
        verify(derivative, PRIMITIVES.arity)
        optimize(derivative)
    if isinstance(options, GradOptions):
        name_gradients(derivative, options.argnums, options.tuple_out)
    nestable = clone_function(derivative)
    if stacked.run(derivative) | copied.run(derivative) | views.run(derivative):  # (no further transform needs them)
        optimize(derivative)
    emitted = emit(derivative)
    function = load(emitted.source, emitted.name, emitted.namespace, emitted.outside)
    return Version(derivative, emitted, function, nestable)

