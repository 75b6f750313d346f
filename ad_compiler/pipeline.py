"""The compile driver: function -> IR -> derivative IR -> optimized IR -> Python (DESIGN §1).

Every stage is a pure function of the one before; this module only strings them together
and checks each result with the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from .ad.checkpoint import segment_loops
from .ad.forward import jvp_function
from .ad.jacobian import forward_jacobian, mapped_forward_jacobian, reverse_jacobian
from .ad.pullback import split_vjp
from .ad.sparse import Sparsity, sparse_forward_jacobian
from .ad.reverse import name_gradients, vjp_function
from .ad.vmap import placed_results, vmap_function
from .backends import backend_named
from .codegen.emit import Emitted
from .errors import ArgumentError, CompileError
from .ir.trees import LEAF, TreeDef
from .pytrees import leaf_axes, tree_of_kind
from .ir import Const, Function, Op, Operand, Value, walk_ops
from .ir.clone import clone_function, inline
from .ir.prims import has_effects
from .ir.externals import External
from .ir.types import Array, Kind, Scalar, TupleKind, kind_of
from .ir.verify import verify
from .modes import gradient_mode, jacobian_mode
from .primitives import PRIMITIVES
from .passes import (
    branches, cancel, carried, copied, cse, dce, deferred, fold, fuse, hoist, projected, scatter, specialize,
    stacked, states, tape, unroll, untuple, views,
)
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
    backend: str = "numpy"
    """What the emitted derivative runs on (`ad_compiler/backends`)."""


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
    backend: str = "numpy"
    """What the emitted derivative runs on (`ad_compiler/backends`)."""


@dataclass(frozen=True)
class JVPOptions:
    """A JVP: the function takes a tangent after the primals for each of `wrt`."""

    wrt: tuple[int, ...]
    backend: str = "numpy"
    """What the emitted derivative runs on (`ad_compiler/backends`)."""


@dataclass(frozen=True)
class VJPOptions:
    """A VJP: the function takes the output's cotangent last and returns a tuple of
    cotangents, one for each of `wrt`. As two functions (`part`): "forward" returns the
    output and the residuals, "pullback" takes the residuals and the cotangent."""

    wrt: tuple[int, ...]
    part: str = "whole"
    backend: str = "numpy"
    """What the emitted derivative runs on (`ad_compiler/backends`)."""


AXES_PER_ARGUMENT = ("vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional "
                     "arguments passed to the function, but got len(in_axes)={}, len(args)={}")
"""JAX's message for an `in_axes` tuple of another length than the arguments."""


@dataclass(frozen=True)
class VmapOptions:
    """`vmap`: the axis mapped of each parameter (or, with `leaves`, of each leaf of the
    arguments) and of each result, as JAX's `in_axes` and `out_axes` (specifications
    made hashable by `pytrees.frozen_axes`); `axis_size` where no argument is mapped.
    Axes may be negative: they are counted once the arguments' kinds are known."""

    in_axes: tuple
    out_axes: Any = 0
    axis_size: int | None = None
    leaves: bool = False
    out_leaves: bool = False
    backend: str = "numpy"
    """What the emitted derivative runs on (`ad_compiler/backends`)."""

    def for_leaves(self, trees: tuple | None, result: TreeDef | None = None) -> "VmapOptions":
        """These options for the leaves of arguments of structures `trees` (None: all
        leaves) and, given the result's structure, of the result's leaves."""
        options = self
        if not self.leaves:
            shapes = trees or (LEAF,) * len(self.in_axes)
            if len(shapes) != len(self.in_axes):
                raise ArgumentError(AXES_PER_ARGUMENT.format(len(self.in_axes), len(shapes)))
            axes = tuple(a for spec, tree in zip(self.in_axes, shapes) for a in leaf_axes(spec, tree, "in_axes"))
            options = replace(options, in_axes=axes, leaves=True)
        if result is not None and not result.is_leaf and not self.out_leaves:
            options = replace(options, out_axes=tuple(leaf_axes(self.out_axes, result, "out_axes")),
                              out_leaves=True)
        return options


Options = Union[GradOptions, JacobianOptions, JVPOptions, VJPOptions, VmapOptions]


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
    """Infer kinds and simplify until nothing changes (each pass reports a change).
    Kinds follow from the IR alone, so they are inferred again only after a change."""
    changed = True
    for _ in range(_MAX_ROUNDS):
        infer_kinds(fn)
        changed = fold.run(fn)
        if changed:
            infer_kinds(fn)
        changed |= specialize.run(fn)
        changed |= branches.run(fn)
        changed |= untuple.run(fn)
        changed |= cse.run(fn)
        changed |= scatter.run(fn)
        changed |= carried.run(fn)
        changed |= hoist.run(fn)
        changed |= unroll.run(fn)
        changed |= dce.run(fn)
        verify(fn, PRIMITIVES.arity)
        if not changed:
            break
    if changed:  # (the last round's changes: no round left to infer their kinds)
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


def mapped_kinds(options: VmapOptions, kinds: Sequence[Kind] | None,
                 names: Sequence[str]) -> tuple[list[int | None], list[Kind], int]:
    """For `vmap` of arguments of `kinds` (one per leaf, named `names`): the axis mapped
    of each, counted from 0; each one example's kind; and the number of examples.
    Raises JAX's errors where an axis is out of range, where the sizes of the mapped
    axes differ, or where nothing is mapped and no `axis_size` given."""
    if kinds is None:
        raise CompileError("vmap is compiled for the shapes of its arguments, and they are not known here: call "
                           "it with arrays (there is no generic version of a vmap)")
    options = options.for_leaves(None) if not options.leaves else options
    if len(options.in_axes) != len(kinds):
        raise ArgumentError(AXES_PER_ARGUMENT.format(len(options.in_axes), len(kinds)))
    axes: list[int | None] = []
    inner: list[Kind] = []
    sizes: list[tuple[int, str]] = []
    for axis, kind, name in zip(options.in_axes, kinds, names):
        if axis is None:
            axes.append(None)
            inner.append(kind)
            continue
        shape = kind.shape if isinstance(kind, Array) else () if isinstance(kind, Scalar) else None
        if shape is None:
            raise ArgumentError(f"vmap maps argument {name} along axis {axis}, but it is {kind or 'not an array'}: "
                                "map arrays (an argument of another kind takes in_axes None)")
        if not -len(shape) <= axis < len(shape):
            raise ArgumentError(f"vmap was requested to map its argument along axis {axis}, which implies that its "
                                f"rank should be at least {axis + 1 if axis >= 0 else -axis}, but is only "
                                f"{len(shape)} (its shape is {shape})")
        axis %= len(shape)
        axes.append(axis)
        rest = shape[:axis] + shape[axis + 1:]
        inner.append(Array(len(rest), kind.dtype, rest) if rest else Scalar(kind.dtype))
        sizes.append((shape[axis], f"axis {axis} of argument {name} of type {kind}"))
    if not sizes and options.axis_size is None:
        raise ArgumentError("vmap must have at least one non-None value in in_axes")
    found = {size for size, _ in sizes} | ({options.axis_size} if options.axis_size is not None else set())
    if len(found) > 1:
        lines = [f"  * one axis had size {size}: {where}" for size, where in sizes]
        if options.axis_size is not None:
            lines.insert(0, f"  * axis_size was {options.axis_size}")
        raise ArgumentError("vmap got inconsistent sizes for array axes to be mapped:\n" + ";\n".join(lines))
    return axes, inner, found.pop()


def _vmap(work: Function, options: VmapOptions, kinds: Sequence[Kind], jacobian: JacobianOptions | None) -> Function:
    """`vmap` of an optimized primal of one example's kinds, for arguments of `kinds`;
    of its forward Jacobian (`jacobian`), where the primal is what jacfwd differentiates."""
    axes, _, size = mapped_kinds(options, kinds, [p.name for p in work.params])
    if jacobian is None:
        return vmap_function(work, axes, _out_axes(work, options), kinds, size)
    _check_inputs(work, jacobian.argnums, "jacobian")
    mapped = optimize(vmap_function(work, axes, [0] * len(leaf_axes(0, _returned_tree(work), "")), kinds, size))
    fn = optimize(mapped_forward_jacobian(mapped, jacobian.argnums, [a is not None for a in axes], size,
                                          tuple_out=jacobian.tuple_out))
    fn.name = "vmap_" + (jacobian.name or "jacfwd_" + work.name)
    return placed_results(fn, _out_axes(fn, options), size)


def _kind(x: Operand) -> Kind:
    return x.kind if isinstance(x, Value) else kind_of(x.value)


def _out_axes(fn: Function, options: VmapOptions) -> list[int | None]:
    """`out_axes` for each leaf of what `fn` returns: given so, or from a prefix of its
    structure (its pytree's, else its tuples')."""
    if options.out_leaves:
        return list(options.out_axes)
    return leaf_axes(options.out_axes, fn.out_tree or _returned_tree(fn), "out_axes")


def _returned_tree(fn: Function) -> TreeDef:
    """The structure of what `fn` returns, from the kinds of its tuples (several values
    returned, as `value_and_grad`'s, are a tuple of them)."""
    trees = [tree_of_kind(_kind(y)) for y in fn.returns]
    return trees[0] if len(trees) == 1 else TreeDef("tuple", children=tuple(trees))


def maps_forward_jacobian(options: Options, inner: Options) -> bool:
    """Whether `vmap` (`options`) of the transform `inner` is computed as the forward
    Jacobian of the function mapped (`ad.jacobian.mapped_forward_jacobian`): of jacfwd
    and hessian, where every result keeps its batch axis."""
    return isinstance(options, VmapOptions) and isinstance(inner, JacobianOptions) and inner.mode == "forward" \
        and not _names_none(options.out_axes)


def _names_none(spec: Any) -> bool:
    """Whether an `out_axes` specification leaves a result unmapped somewhere."""
    if isinstance(spec, tuple):
        return any(_names_none(s) for s in spec)
    return spec is None or any(_names_none(s) for s in getattr(spec, "children", ()))


def _transform(work: Function, options: Options, kinds: Sequence[Kind] | None = None,
               jacobian: JacobianOptions | None = None) -> Function:
    """The derivative IR of an optimized, kind-inferred primal (`kinds`: the arguments',
    which `vmap` maps, of `work`'s Jacobian if `jacobian` says so)."""
    if isinstance(options, VmapOptions):
        return _vmap(work, options, kinds, jacobian)
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


def _returns_no_value(options: Options) -> bool:
    """Whether a derivative returns no value of the function: a gradient or a Jacobian
    (not `value_and_grad`, `has_aux`, a JVP, a VJP or `vmap`)."""
    if isinstance(options, GradOptions):
        return not options.with_value and not options.has_aux
    return isinstance(options, JacobianOptions)


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
    if deferred.run(work):  # (a vmap called inside: compiled for the kinds found)
        infer_kinds(work, kinds)
    return optimize(work)


def example_kinds(options: Options, kinds: Sequence[Kind] | None, primal: Function) -> Sequence[Kind] | None:
    """The kinds the function a transform starts from is compiled for: one example's,
    under `vmap`; the arguments' otherwise."""
    if not isinstance(options, VmapOptions):
        return kinds
    return tuple(mapped_kinds(options, kinds, [p.name for p in primal.params])[1])


def compile_derivative(
    primal: Function, options: Options, kinds: Sequence[Kind] | None,
    outside: Mapping[External, Kind] | None = None, jacobian: JacobianOptions | None = None,
) -> Version:
    """A derivative of a lowered function, specialized to argument `kinds` (None: generic)
    and to the kinds of the globals it reads (`outside`); with `jacobian`, `vmap` of that
    forward Jacobian of `primal` (see `maps_forward_jacobian`)."""
    own: set[Value] = set()
    if isinstance(options, VmapOptions):
        derivative = _transform(optimized_primal(primal, example_kinds(options, kinds, primal), outside), options,
                                kinds, jacobian)
    else:
        work = optimized_primal(primal, kinds, outside)
        fuse.run(work)  # (fused functions have rules of their own; written back just after)
        own = {r for op in walk_ops(work.body) for r in op.results} | set(work.params)
        derivative = _transform(work, options)
        fuse.expand(derivative)
    verify(derivative, PRIMITIVES.arity)
    optimize(derivative)
    if own and cancel.run(derivative, own):
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
    if _returns_no_value(options) and projected.run(derivative):  # (no further transform needs them, as below)
        optimize(derivative)
    if states.run(derivative):  # (a carried value's states taped once: then the tape holds the rest)
        optimize(derivative)
        while tape.run(derivative):
            optimize(derivative)
    if stacked.run(derivative) | copied.run(derivative) | views.run(derivative):  # (no further transform needs them)
        optimize(derivative)
    emitted_ir, emitted, function = backend_named(options.backend).compile(derivative, kinds)
    return Version(emitted_ir, emitted, function, nestable)

