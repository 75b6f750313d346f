"""The structural primitives the compiler itself writes: tuples, run-time lists (`ir.prims.
LISTS`), `unbroadcast`, values read from outside (`external`), `stop_gradient`, a call
compiled once its operands' kinds are known (`deferred`: `passes.deferred`), and code
run as written (`call`, `getattr`, `fstring`, `raise`, `assert`, which have no derivative:
`ad.opaque` proves none is on a differentiated path)."""

from __future__ import annotations

import functools

from ..ir import Const, Operand, Value
from ..ir.prims import draws, over_sequence
from ..ir.types import Array, ListKind, Scalar, TupleKind, join, promote
from .kinds import array_kind, const, dtype_of, operand_kind, same_kind, shape_of
from .record import defzero, primitive


def items_of(x):
    """The items of an array along its first axis (of an unknown value: a list of them)."""
    if isinstance(x, Array) and x.ndim >= 1:
        return ListKind(array_kind(x.shape[1:] if x.shape is not None else None, x.dtype, x.ndim - 1))
    return ListKind()


def items_kind(op, kinds, producers):
    """`list(x)`: the items of an array along its first axis, or those of a list; of a
    list stacked along axis 0 (`np.stack(hs)`, a length not known here), the list's."""
    (x,) = kinds
    if isinstance(x, ListKind):
        return x
    maker = producers.get(op.inputs[0]) if isinstance(op.inputs[0], Value) else None
    if maker is not None and maker.prim == over_sequence("np.stack") and maker.attrs.get("axis", 0) == 0:
        listed = operand_kind(maker.inputs[0])
        item = listed.item if isinstance(listed, ListKind) else None
        if isinstance(item, Array) and isinstance(x, Array):
            return ListKind(Array(item.ndim, x.dtype, item.shape))
        if isinstance(item, Scalar) and isinstance(x, Array):
            return ListKind(Scalar(x.dtype))
    return items_of(x)


def zeros_items_kind(op, kinds, producers):
    """`zeros_items(xs, lead)`: a list of float zeros of its items' shapes, lead axes first."""
    listed = kinds[0]
    lead = const(op.inputs[1]) if len(op.inputs) > 1 else ()
    item = listed.item if isinstance(listed, ListKind) else None
    if not isinstance(item, (Scalar, Array)) or not isinstance(lead, tuple):
        return ListKind(empty=True) if isinstance(listed, ListKind) and listed.empty else ListKind()
    shape = shape_of(item)
    dtype = promote(item.dtype, "float")
    return ListKind(array_kind(None if shape is None else lead + shape, dtype, len(lead) + (item.ndim if isinstance(item, Array) else 0)))


def call_kind(op, kinds, producers):
    """A call run as written: a draw from a random generator of a known class (`ir.prims.draws`): a float array
    of the shape asked for, or a float for a draw of scalar parameters without a size; a
    pure test (`isinstance`), a bool."""
    if op.attrs.get("test"):
        return Scalar("bool")
    maker = producers.get(op.inputs[0]) if isinstance(op.inputs[0], Value) else None
    if maker is None or maker.prim != "external":
        return None
    if "method" in op.attrs:  # `rs.randn(3)`, of a generator of a known class
        methods, method = draws(maker.attrs.get("type")), op.attrs["method"]
    else:  # `np.random.randn(3)`: a method of NumPy's own generator, called by name
        known = maker.attrs.get("draws", {})
        methods, method = draws(known.get("type")), known.get("method")
    if method not in methods:
        return None
    names = op.attrs.get("keywords", ())
    inputs, given = op.inputs[1:len(op.inputs) - len(names)], dict(zip(names, op.inputs[len(op.inputs) - len(names):]))
    positional: list[Operand] = []
    for k, x in enumerate(inputs):
        if k in op.attrs.get("starred", ()):
            if not (isinstance(x, Const) and isinstance(x.value, tuple)):
                return None
            positional += [Const(v) for v in x.value]
        else:
            positional.append(x)
    at = methods[method]
    if "dtype" in given or "out" in given:
        return None
    if at is None:
        size = Const(tuple(const(x) for x in positional)) if positional else Const(None)
    else:
        size = given.get("size", positional[at] if len(positional) > at else Const(None))
        positional = positional[:at]
    shape = const(size)
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if isinstance(shape, tuple) and all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        return Array(len(shape), "float", shape)
    params = positional + [x for k, x in given.items() if k != "size"]
    if isinstance(size, Const) and size.value is None and all(isinstance(operand_kind(x), Scalar) for x in params):
        return Scalar("float")
    return None



def unbroadcast_kind(op, kinds, producers):
    g, x = kinds
    if g is None or x is None:
        return None
    return array_kind(shape_of(x), dtype_of(g), getattr(x, "ndim", 0))


def zip_kind(op, kinds, producers):
    if all(isinstance(k, ListKind) for k in kinds):
        return ListKind(TupleKind(tuple(k.item for k in kinds)))
    return None


def list_kind(op, kinds, producers):
    """A list display: empty, or of the join of its items' kinds."""
    return ListKind(functools.reduce(join, kinds)) if kinds else ListKind(empty=True)


def push_kind(op, kinds, producers):
    tape, entry = kinds
    return join(tape, ListKind(entry)) if isinstance(tape, ListKind) else ListKind()


def add_items_kind(op, kinds, producers):
    return join(*kinds) if all(isinstance(k, ListKind) for k in kinds) else ListKind()


primitive("tuple", fn=lambda *items: tuple(items), infer=lambda op, kinds, producers: TupleKind(tuple(kinds)), shares=True)
primitive("unbroadcast", arity=2, infer=unbroadcast_kind, shares=True, linear=True)
primitive("list", infer=list_kind, allocates=True, fresh=True)
primitive("push", arity=2, infer=push_kind, shares=True, fresh=True)
primitive("pop", arity=1, shares=True, fresh=True)  # (two results: kinds set by `passes.infer`)
primitive("items", fn=list, moves=(0,), arity=1, infer=items_kind, shares=True, fresh=True)
primitive("zeros_items", infer=zeros_items_kind, fresh=True)
primitive("add_items", arity=2, infer=add_items_kind, fresh=True)
primitive("reversed", fn=reversed, arity=1, infer=same_kind, allocates=True, fresh=True, iterator=True)
primitive("range", fn=range, infer=lambda op, kinds, producers: ListKind(Scalar("int")))
primitive("zip", fn=zip, infer=zip_kind, iterator=True)
primitive("external", infer=lambda op, kinds, producers: op.attrs.get("kind"))  # (set from the cache key)
primitive("stop_gradient", arity=1, infer=same_kind)
primitive("call", infer=call_kind)
primitive("deferred", shares=True)  # (a vmap called inside a function: compiled for its kinds, `passes.deferred`)
defzero("call", "getattr", "fstring", "external", "stop_gradient", "zeros_items")
