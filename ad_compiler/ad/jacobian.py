"""Whole Jacobians, built from the two transforms (IR to IR).

Forward: one *batched* JVP pass whose tangents are the rows of an identity matrix, so all
columns come out at once (`jacfwd`). Reverse: a loop over the output's entries, each
running the reverse sweep seeded with one unit cotangent, after one shared forward sweep
(`jacrev`). Both return `out.shape + in.shape`, as JAX does, and need the shapes of the
inputs: they run on a function specialized to its arguments.

Where a shape the batched pass needs is not known (a generic gradient, a value that
changes shape in a loop, a result whose shape only the run knows), plain forward passes
run in a loop, one per input direction. Where one batched pass would hold tangent arrays
larger than `FORWARD_MEMORY` (many inputs: each tangent has a row per direction), the
batched pass runs in a loop over chunks of directions, each chunk's tangents within the
bound. In all these loops, what does not depend on the seed (the primal, the forward
sweep) is hoisted before the loop (`split.split_at_seeds`).
"""

from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

from ..errors import NoDerivativeError
from ..ir import Const, Function, Op, Operand, Region, Value, walk_ops
from ..ir.clone import clone_function, substitute
from ..ir.prims import has_effects
from ..ir.types import Array, TupleKind, promote
from .forward import jvp_function
from .kinds import shape_of
from .reverse import vjp_function
from .split import split_at_seeds

FORWARD_MEMORY = 64 * 2**20
"""Bytes one tangent array of a batched forward pass may take (directions x the largest
value's size x 8): above it, the directions are taken in chunks (docs/forward-mode.md)."""


def _shape(x: Operand, what: str) -> tuple:
    shape = shape_of(x)
    if shape is None:
        raise NoDerivativeError(
            f"a Jacobian is compiled for the shapes of its arguments, and the shape of {what} is "
            "not known: call it with arguments first (there is no generic version of a Jacobian)"
        )
    return shape


def _emit(ops: list[Op], prim: str, inputs: list[Operand], name: str = "") -> Value:
    result = Value(name)
    ops.append(Op(prim, inputs, [result]))
    return result


def _pack(ops: list[Op], items: list[Operand], as_tuple: bool) -> Operand:
    if as_tuple:
        return _emit(ops, "tuple", items)
    (item,) = items
    return item


def _result_shapes(out: Operand, scalar_out: bool) -> list[tuple | None] | tuple | None:
    """The result's shape, or for a tuple of results (the gradients of several
    arguments) the list of their shapes; None where one is not known."""
    if scalar_out:
        return ()
    kind = out.kind if isinstance(out, Value) else None
    if isinstance(kind, TupleKind):
        return [shape_of(Value(kind=k)) for k in kind.items]
    return shape_of(out)


def _known(out_shapes: list[tuple | None] | tuple | None) -> bool:
    return None not in out_shapes if isinstance(out_shapes, list) else out_shapes is not None


def _columns(ops: list[Op], rows: Operand, shapes: list[tuple], out_shape: tuple) -> list[Operand]:
    """From the tangents of all input directions, stacked first (`(total,) + out_shape`),
    the Jacobian of each input: `out_shape + in_shape`."""
    sizes = [math.prod(s) for s in shapes]
    total = sum(sizes)
    jacobians: list[Operand] = []
    offset = 0
    for shape, size in zip(shapes, sizes):
        block = rows if size == total else _emit(ops, "getitem", [rows, Const(slice(offset, offset + size))])
        if out_shape == ():
            jacobian = _emit(ops, "getitem", [block, Const(0)]) if shape == () else block
        elif len(out_shape) == 1:
            jacobian = _emit(ops, "transpose", [block])
        else:
            jacobian = _emit(ops, "np.moveaxis", [block, Const(0), Const(-1)])
        if len(shape) != 1 and not (out_shape == () and shape == ()):
            jacobian = _emit(ops, "np.reshape", [jacobian, Const(out_shape + shape)])
        jacobians.append(jacobian)
        offset += size
    return jacobians


def _item(ops: list[Op], tangent: Operand, j: int | None) -> Operand:
    """The tangent of result `j` of a tuple (of the one result for None)."""
    return tangent if j is None else _emit(ops, "getitem", [tangent, Const(j)])


def _finish(fn: Function, value: Operand, out_shapes: list[tuple | None] | tuple | None,
            jacobians_of: Callable[[int | None, tuple | None], list[Operand]],
            with_value: bool, tuple_out: bool) -> Function:
    """Yield the Jacobian(s), `jacobians_of(j, shape)` for result `j` of a tuple (None:
    the one result) of that shape, one per input."""
    ops = fn.body.ops
    if isinstance(out_shapes, list):
        parts = [_pack(ops, jacobians_of(j, shape), tuple_out) for j, shape in enumerate(out_shapes)]
        result = _emit(ops, "tuple", parts)
    else:
        result = _pack(ops, jacobians_of(None, out_shapes), tuple_out)
    fn.body.yields = [value, result] if with_value else [result]
    return fn


def forward_jacobian(
    primal: Function,
    wrt: Sequence[int],
    *,
    with_value: bool = False,
    tuple_out: bool = False,
    scalar_out: bool = False,
    memory: int | None = None,
) -> Function:
    """The Jacobian by one batched forward pass (plain ones, one per input, for scalar
    inputs of straight-line code; a loop of batched passes over chunks of the
    directions where one pass would hold tangents of more than `memory` bytes, by default
    `FORWARD_MEMORY`).
    Where a shape is not known (a generic gradient; a loop-carried value that changes
    shape), by one plain pass per input direction instead, the primal computed once.
    `scalar_out`: the result is a scalar (a gradient), whatever inference says."""
    shapes = [shape_of(primal.params[i]) for i in wrt]
    (out,) = primal.returns
    out_shapes = _result_shapes(out, scalar_out)
    if (scalar_out and None in shapes) or (not _known(out_shapes) and None not in shapes):
        return _looped_forward_jacobian(primal, wrt, shapes, out_shapes, with_value, tuple_out)
    shapes = [_shape(primal.params[i], f"argument {primal.params[i].name}") for i in wrt]
    if all(shape == () for shape in shapes) and (len(wrt) == 1 or _straight_line(primal, out_shapes)):
        return _scalar_passes(primal, wrt, out_shapes, with_value, tuple_out)
    sizes = [math.prod(s) for s in shapes]
    total = sum(sizes)
    chunk = _chunk(primal, total, FORWARD_MEMORY if memory is None else memory)
    if chunk < total and not isinstance(out_shapes, list):
        return _chunked_forward_jacobian(primal, wrt, shapes, out_shapes, chunk, with_value, tuple_out)

    def seeds(fn: Function, params: list[Value]) -> list[Operand]:
        ops = fn.body.ops
        eye = _emit(ops, "np.eye", [Const(total)])
        result: list[Operand] = []
        offset = 0
        for p, shape, size in zip(params, shapes, sizes):
            columns = Const((slice(None), slice(offset, offset + size)))  # rows are the directions
            block = eye if size == total else _emit(ops, "getitem", [eye, columns])
            seed = block if shape == (size,) else _emit(ops, "np.reshape", [block, Const((total,) + shape)])
            result.append(seed)
            offset += size
        return result

    try:
        fn = jvp_function(clone_function(primal), wrt, batch=(total,), seeds=seeds)
    except NoDerivativeError as err:
        if "needs the shape" not in err.message:
            raise
        return _looped_forward_jacobian(primal, wrt, shapes, out_shapes, with_value, tuple_out)
    value, tangent = fn.body.yields
    return _finish(fn, value, out_shapes,
                   lambda j, shape: _columns(fn.body.ops, _item(fn.body.ops, tangent, j), shapes, shape),
                   with_value, tuple_out)


def _chunk(primal: Function, total: int, memory: int) -> int:
    """How many directions one batched pass may carry: its largest tangent (directions
    x the largest value's size, float64) within `memory` bytes; at least one."""
    largest = max([total] + [
        math.prod(shape) for op in walk_ops(primal.body) for r in op.results
        if (shape := shape_of(r)) is not None
    ])
    return max(1, min(total, memory // (8 * largest)))


def _chunked_forward_jacobian(
    primal: Function, wrt: Sequence[int], shapes: list[tuple], out_shape: tuple, chunk: int,
    with_value: bool, tuple_out: bool,
) -> Function:
    """Batched forward passes of `chunk` directions each, in a loop over the directions
    (`start`, `start + chunk`, ...): the seed of a pass is rows `start:start + chunk` of
    the identity, made without the identity (`np.eye(chunk, total, start)`); a last,
    partial chunk carries rows of zeros past the end, and the rows are cut after the
    loop. The primal runs once, before the loop."""
    total = sum(math.prod(s) for s in shapes)
    start = Value("start")

    def seeds(fn: Function, params: list[Value]) -> list[Operand]:
        ops = fn.body.ops
        rows = _emit(ops, "np.eye", [Const(chunk), Const(total), start])
        result: list[Operand] = []
        offset = 0
        for shape in shapes:
            size = math.prod(shape)
            block = rows if size == total else _emit(ops, "getitem", [rows, Const((slice(None), slice(offset, offset + size)))])
            result.append(block if shape == (size,) else _emit(ops, "np.reshape", [block, Const((chunk,) + shape)]))
            offset += size
        return result

    fn = jvp_function(clone_function(primal), wrt, batch=(chunk,), seeds=seeds)
    value, tangent = fn.body.yields
    before, during = split_at_seeds(fn.body.ops, {start})
    padded = -(-total // chunk) * chunk
    partial, filled, body = Value("jac"), Value("jac"), list(during)
    stop = _emit(body, "add", [start, Const(chunk)])
    rows = _emit(body, "slice", [start, stop, Const(None)])
    row = _emit(body, "setitem", [partial, rows, tangent])
    begin = _emit(before, "np.zeros", [Const((padded,) + out_shape)], "jac")
    loop = Op("for_range", [Const(0), Const(total), Const(chunk), begin], [filled], {},
              [Region([start, partial], body, [row])])
    if with_value:
        value = _carried_out(loop, value, during)
    before.append(loop)
    fn.body.ops = before
    jac = filled if padded == total else _emit(before, "getitem", [filled, Const(slice(0, total))], "jac")
    return _finish(fn, value, out_shape, lambda j, shape: _columns(before, jac, shapes, shape),
                   with_value, tuple_out)


def _carried_out(loop: Op, value: Operand, during: list[Op]) -> Operand:
    """The primal value, when it is made inside the loop over directions (with the
    tangents): it leaves the loop as a carried value."""
    if value not in {r for op in during for r in op.results}:
        return value
    loop.inputs.append(Const(None))
    loop.regions[0].args.append(Value())
    loop.regions[0].yields.append(value)
    out = Value("value")
    loop.results.append(out)
    return out


def _straight_line(primal: Function, out_shapes: list[tuple] | tuple) -> bool:
    """Whether plain passes, one per scalar input, suit: code without regions (the
    passes' copies of the primal are merged by cse) and one result; and without effects,
    which cse never merges (a print would run once per pass)."""
    return not isinstance(out_shapes, list) and not any(op.regions or has_effects(op) for op in primal.body.ops)


def _scalar_passes(primal: Function, wrt: Sequence[int], out_shapes: tuple,
                   with_value: bool, tuple_out: bool) -> Function:
    """The derivatives w.r.t. a few scalar inputs by one plain pass each, seeded with
    1.0: scalar code where a batched pass would carry small arrays (`np.eye(3)`)."""
    passes = [jvp_function(clone_function(primal), (i,), seeds=lambda fn, params: [Const(1.0)]) for i in wrt]
    fn = passes[0]
    value, tangent = fn.body.yields
    tangents = [tangent]
    for other in passes[1:]:
        _, tangent = substitute(other.body.ops, other.body.yields, dict(zip(other.params, fn.params)))
        fn.body.ops += other.body.ops
        fn.derived_names.update(other.derived_names)
        tangents.append(tangent)
    for t in tangents:  # a gradient, not the tangent `dz` of one pass: `name_gradients` names it
        if isinstance(t, Value) and t not in fn.params and t in fn.derived_names:
            del fn.derived_names[t]
    if len(tangents) == 1:  # (the tangent of a tuple result is taken apart by `_finish`)
        return _finish(fn, value, out_shapes, lambda j, shape: [_item(fn.body.ops, tangents[0], j)],
                       with_value, tuple_out)
    return _finish(fn, value, out_shapes, lambda j, shape: [_item(fn.body.ops, t, j) for t in tangents],
                   with_value, tuple_out)


def _looped_forward_jacobian(
    primal: Function, wrt: Sequence[int], shapes: list[tuple | None],
    out_shapes: list[tuple | None] | tuple | None, with_value: bool, tuple_out: bool,
) -> Function:
    """One plain forward pass per input direction, in a loop; what does not depend on
    the direction (the primal) runs once, before it. Shapes not known (None: of an input,
    of the result or of one of a tuple's results) are read at run time."""
    fn = jvp_function(primal, wrt)
    params = fn.params[len(fn.params) - len(wrt):]
    del fn.params[len(fn.params) - len(wrt):]
    value, tangent = fn.body.yields
    before, during = split_at_seeds(fn.body.ops, set(params))
    primals = [fn.params[i] for i in wrt]
    sizes: list[Operand] = [
        Const(math.prod(shape)) if shape is not None else _emit(before, "np.size", [x])
        for x, shape in zip(primals, shapes)
    ]
    offsets: list[Operand] = [Const(0)]
    for size in sizes:
        last = offsets[-1]
        offsets.append(Const(last.value + size.value) if isinstance(last, Const) and isinstance(size, Const)
                       else _emit(before, "add", [last, size]))
    total = offsets.pop()

    def block(ops: list[Op], whole: Operand, k: int) -> Operand:
        """Entries offsets[k]:offsets[k+1] of `whole` (all of it for a single input)."""
        if len(sizes) == 1:
            return whole
        start, stop = offsets[k], offsets[k + 1] if k + 1 < len(offsets) else total
        if isinstance(start, Const) and isinstance(stop, Const):
            return _emit(ops, "getitem", [whole, Const(slice(start.value, stop.value))])
        return _emit(ops, "getitem", [whole, _emit(ops, "slice", [start, stop, Const(None)])])

    index, body = Value("j"), []
    first = _emit(body, "np.zeros", [total if not isinstance(total, Const) else Const((total.value,))])
    unit = _emit(body, "setitem", [first, index, Const(1.0)])
    mapping: dict[Value, Operand] = {}
    for k, (p, x, shape) in enumerate(zip(params, primals, shapes)):
        if shape == ():
            mapping[p] = _emit(body, "getitem", [unit, offsets[k]])
        elif shape is not None and len(shape) == 1:
            mapping[p] = block(body, unit, k)
        else:
            target = Const(shape) if shape is not None else _emit(body, "np.shape", [x])
            mapping[p] = _emit(body, "np.reshape", [block(body, unit, k), target])
    (tangent,) = substitute(during, [tangent], mapping)
    body += during
    parts = out_shapes if isinstance(out_shapes, list) else [out_shapes]
    tangents = [_emit(body, "getitem", [tangent, Const(j)]) for j in range(len(parts))] \
        if isinstance(out_shapes, list) else [tangent]
    starts, partials, rows = [], [], []
    for t, out_shape in zip(tangents, parts):
        partial = Value("jac")
        if out_shape is None:  # rows of a shape known only at run time: gathered, then stacked
            rows.append(_emit(body, "push", [partial, t]))
            starts.append(_emit(before, "list", [], "jac"))
        else:
            rows.append(_emit(body, "setitem", [partial, index, t]))
            size = Const((total.value,) + out_shape) if isinstance(total, Const) else total
            starts.append(_emit(before, "np.zeros", [size], "jac"))
        partials.append(partial)
    filled = [Value("jac") for _ in parts]
    loop = Op("for_range", [Const(0), total, Const(1), *starts], filled, {},
              [Region([index, *partials], body, rows)])
    if with_value:
        value = _carried_out(loop, value, during)
    before.append(loop)
    fn.body.ops = before
    return _finish(fn, value, out_shapes,
                   lambda j, shape: _jacobians(before, filled[j or 0], shape, primals, shapes, block),
                   with_value, tuple_out)


def _jacobians(ops: list[Op], filled: Value, out_shape: tuple | None, primals: list[Value],
               shapes: list[tuple | None], block) -> list[Operand]:
    """The Jacobian of each input from the rows of one result (a row per direction)."""
    if out_shape is not None and None not in shapes:
        return _columns(ops, filled, shapes, out_shape)
    if out_shape is None:
        filled = _emit(ops, "np.array", [filled], "jac")
    result_shape: Operand = Const(out_shape)
    if out_shape is None:  # a row's shape (the result may be made inside the loop)
        result_shape = _emit(ops, "getitem", [_emit(ops, "np.shape", [filled]), Const(slice(1, None))])
    jacobians = []
    for k, (x, shape) in enumerate(zip(primals, shapes)):  # shapes known only at run time
        columns = block(ops, filled, k)
        if out_shape != ():
            columns = _emit(ops, "np.moveaxis", [columns, Const(0), Const(-1)])
        in_shape = Const(shape) if shape is not None else _emit(ops, "np.shape", [x])
        target = in_shape if out_shape == () else _emit(ops, "add", [result_shape, in_shape])
        shaped = _emit(ops, "np.reshape", [columns, target])
        jacobians.append(_emit(ops, "getitem", [shaped, Const(())]))  # a float for a float
    return jacobians


def reverse_jacobian(
    primal: Function, wrt: Sequence[int], *, with_value: bool = False, tuple_out: bool = False
) -> Function:
    """The Jacobian by reverse sweeps: the gradient for a scalar result; otherwise one
    forward sweep, then a loop over the result's entries, each seeding a reverse sweep
    with a unit cotangent and writing one row."""
    shapes = [_shape(primal.params[i], f"argument {primal.params[i].name}") for i in wrt]
    (out,) = primal.returns
    if isinstance(out, Value) and isinstance(out.kind, TupleKind):
        return _reverse_jacobian_of_results(primal, wrt, with_value, tuple_out)
    out_shape = shape_of(out)
    if out_shape is None:  # rows of a shape known only at run time: by forward passes
        return forward_jacobian(primal, wrt, with_value=with_value, tuple_out=tuple_out)
    if out_shape == ():
        return vjp_function(primal, wrt, with_value=with_value, tuple_out=tuple_out)
    rows = math.prod(out_shape)
    fn = vjp_function(primal, wrt, tuple_out=True, cotangent=True)
    seed = fn.params.pop()
    (packed,) = fn.body.yields
    grads_op = next(op for op in fn.body.ops if packed in op.results)
    grads = list(grads_op.inputs)
    fn.body.ops.remove(grads_op)
    before, during = split_at_seeds(fn.body.ops, {seed})

    index = Value("i")
    partial = [Value("jac") for _ in wrt]
    body: list[Op] = []
    unit = _emit(body, "setitem", [_emit(body, "np.zeros", [Const((rows,))]), index, Const(1.0)])
    if len(out_shape) > 1:
        unit = _emit(body, "np.reshape", [unit, Const(out_shape)])
    grads = substitute(during, grads, {seed: unit})
    body += during
    yields = [_emit(body, "setitem", [jac, index, g]) for jac, g in zip(partial, grads)]
    starts = [_emit(before, "np.zeros", [Const((rows,) + shape)], "jac") for shape in shapes]
    filled = [Value("jac") for _ in wrt]
    before.append(Op("for_range", [Const(0), Const(rows), Const(1), *starts], filled, {},
                     [Region([index, *partial], body, yields)]))
    fn.body.ops = before
    jacobians = [
        j if len(out_shape) == 1 else _emit(before, "np.reshape", [j, Const(out_shape + shape)])
        for j, shape in zip(filled, shapes)
    ]
    fn.name = "jacrev_" + primal.name
    result = _pack(before, jacobians, tuple_out)
    fn.body.yields = [out, result] if with_value else [result]
    return fn


def _reverse_jacobian_of_results(primal: Function, wrt: Sequence[int], with_value: bool,
                                 tuple_out: bool) -> Function:
    """The Jacobians of a function returning a tuple (a pytree's leaves) by reverse
    sweeps: of its results flattened and joined into one vector (one reverse sweep per
    entry), cut back into one Jacobian per result, `result.shape + input.shape`."""
    (out,) = primal.returns
    out_shapes = [shape_of(Value(kind=k)) for k in out.kind.items]
    if None in out_shapes:  # (a result of a shape known only at run time: forward passes)
        return forward_jacobian(primal, wrt, with_value=with_value, tuple_out=tuple_out)
    ops = primal.body.ops
    maker = next((op for op in ops if out in op.results), None)
    if maker is None or maker.prim != "tuple":  # (made by a branch, say: forward passes)
        return forward_jacobian(primal, wrt, with_value=with_value, tuple_out=tuple_out)
    dtype = functools.reduce(promote, [getattr(k, "dtype", "float") for k in out.kind.items], "float")
    flat = []
    for item, out_shape in zip(maker.inputs, out_shapes):
        flat.append(Value(kind=Array(1, dtype, (math.prod(out_shape),))))
        ops.append(Op("np.ravel", [item], [flat[-1]], loc=maker.loc))
    joined = flat[0]
    if len(flat) > 1:
        joined = Value(kind=Array(1, dtype, (sum(math.prod(shape) for shape in out_shapes),)))
        ops.append(Op("np.concatenate", flat, [joined], loc=maker.loc))
    primal.body.yields = [joined]
    fn = reverse_jacobian(primal, wrt, tuple_out=True)
    (packed,) = fn.body.yields
    ops = fn.body.ops
    jacobians = [_emit(ops, "getitem", [packed, Const(i)]) for i in range(len(wrt))]
    shapes = [_shape(primal.params[i], f"argument {primal.params[i].name}") for i in wrt]
    parts, offset = [], 0
    for out_shape in out_shapes:
        size = math.prod(out_shape)
        rows = [_emit(ops, "getitem", [j, Const(slice(offset, offset + size))]) for j in jacobians]
        shaped = [_emit(ops, "getitem", [_emit(ops, "np.reshape", [r, Const(out_shape + shape)]), Const(())])
                  for r, shape in zip(rows, shapes)]
        parts.append(_pack(ops, shaped, tuple_out))
        offset += size
    result = _emit(ops, "tuple", parts)
    fn.body.yields = [out, result] if with_value else [result]
    return fn


def mapped_forward_jacobian(mapped: Function, wrt: Sequence[int], batched: Sequence[bool], size: int,
                            *, tuple_out: bool = False) -> Function:
    """`vmap(jacfwd(f))` from `mapped`, the IR of `vmap(f)` (every result with its batch
    axis in front): one batched forward pass of `mapped` whose direction `j` is
    direction `j` of every example at once (a seed `np.eye(k)[j]` broadcast over the
    batch, for a mapped argument `batched[i]`), which gives each example's Jacobian,
    since each example's results depend on its own arguments only. The tangents are laid
    out `(k, size, ...)`: the directions lead, so they broadcast against the batched
    values as they are, without the axes of length 1 a Jacobian of one example mapped
    over the batch would need between them."""
    shapes = [_shape(mapped.params[i], f"argument {mapped.params[i].name}") for i in wrt]
    shapes = [shape[1:] if batched[i] else shape for i, shape in zip(wrt, shapes)]  # one example's
    sizes = [math.prod(s) for s in shapes]
    total = sum(sizes)
    (out,) = mapped.returns
    out_shapes = _result_shapes(out, False)
    if not _known(out_shapes):
        raise NoDerivativeError("vmap of a Jacobian is compiled for the shapes of its results, and one is not known")

    def seeds(fn: Function, params: list[Value]) -> list[Operand]:
        ops = fn.body.ops
        eye = _emit(ops, "np.eye", [Const(total)])
        result: list[Operand] = []
        offset = 0
        for i, shape, n in zip(wrt, shapes, sizes):
            block = eye if n == total else _emit(ops, "getitem", [eye, Const((slice(None), slice(offset, offset + n)))])
            if batched[i]:  # (the same directions for every example)
                block = _emit(ops, "np.reshape", [block, Const((total, 1) + shape)])
                block = _emit(ops, "np.broadcast_to", [block, Const((total, size) + shape)])
            elif shape != (n,):
                block = _emit(ops, "np.reshape", [block, Const((total,) + shape)])
            result.append(block)
            offset += n
        return result

    fn = jvp_function(clone_function(mapped), wrt, batch=(total,), seeds=seeds)
    value, tangent = fn.body.yields

    def jacobians_of(j: int | None, shape: tuple) -> list[Operand]:
        rows = _item(fn.body.ops, tangent, j)  # (directions, examples) + one example's result shape
        jacobians: list[Operand] = []
        offset = 0
        for in_shape, n in zip(shapes, sizes):
            block = rows if n == total else _emit(fn.body.ops, "getitem", [rows, Const(slice(offset, offset + n))])
            jacobian = _emit(fn.body.ops, "np.moveaxis", [block, Const(0), Const(-1)])
            if in_shape != (n,):
                jacobian = _emit(fn.body.ops, "np.reshape", [jacobian, Const(shape + in_shape)])
            jacobians.append(jacobian)
            offset += n
        return jacobians

    return _finish(fn, value, out_shapes, jacobians_of, False, tuple_out)
