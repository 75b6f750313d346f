"""Forward mode: the JVP transform, IR to IR (DESIGN §5).

Each op is followed by the inlined body of its JVP rule: value and tangent advance in lock
step (the dual-number view), and the tangent of `x` is named `dx`. Tangents are kept in a
table; a value without an entry has a *symbolic* zero tangent and costs nothing. When a
rule is inlined, its zero tangent parameters are removed by `_drop_zeros`: the terms they
enter vanish (rules are linear in their tangents).

Branches yield the tangents of their results beside the results; loops carry the tangents
of their carried values as extra carried values. Lists and tuples (the tapes of a reverse
sweep, when forward mode runs over a gradient) have lists and tuples of tangents.

*Batched* mode pushes k directions at once: every tangent has a leading axis of length k
(`batch = (k,)`), so one pass gives k columns of a Jacobian. Shapes must then be known
(the transform runs on a specialized function), since zeros and broadcasts of tangents are
written with their shapes.
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..errors import NoDerivativeError
from .opaque import check_written
from ..ir import Const, Function, Loc, Op, Operand, Region, Value, walk_ops
from ..ir.clone import inline
from ..ir.types import ListKind, TupleKind, kind_of
from ..passes.activity import varied_values
from .batched import BatchedIndexing
from .kinds import differentiable, shape_of
from .forward_regions import RegionTangents
from ..primitives import PRIMITIVES
from .rules import RULES, Registry

TANGENT_PREFIX = "d"
"""`dx` is the tangent of `x`."""

def _replace_in(region: Region, replace: Callable[[Value], Operand]) -> None:
    """Replace the values the ops of `region` (nested ones too) read and it yields."""
    def swap(x: Operand) -> Operand:
        return replace(x) if isinstance(x, Value) else x

    for op in region.ops:
        op.inputs = [swap(x) for x in op.inputs]
        for sub in op.regions:
            _replace_in(sub, replace)
    region.yields = [swap(x) for x in region.yields]


def _has_floats(x: Operand) -> bool:
    return differentiable(x) if isinstance(x, Value) else isinstance(x.value, (float, complex))


def _no_tangent(x: Operand) -> Const:
    """The tangent of a value without floats, in its layout: None, a tuple of them for a
    tuple (an item read from it, of a kind not known there, reads None)."""
    kind = x.kind if isinstance(x, Value) else None
    return Const(tuple(None for _ in kind.items)) if isinstance(kind, TupleKind) else Const(None)


class Forward(RegionTangents, BatchedIndexing):
    """The transform of one function: the tangent table and where new ops go (branches
    and loops: `forward_regions`; indexing with a batch axis: `batched`)."""

    def __init__(self, fn: Function, varied: set[Value], rules: Registry, batch: tuple[int, ...]) -> None:
        self.fn = fn
        self.varied = varied
        self.rules = rules
        self.batch = batch
        self.tangent: dict[Value, Operand] = {}
        self.producers: dict[Value, Op] = {}
        self.partial: set[Value] = set()
        """Values whose tangent may be smaller than they are (unbatched mode only)."""
        self.out: list[Op] = []

    # ---- the table and zeros ----

    def of(self, x: Operand) -> Operand | None:
        return self.tangent.get(x) if isinstance(x, Value) else None

    def set(self, primal: Value, tangent: Operand, fresh: bool) -> None:
        self.tangent[primal] = tangent
        if fresh and isinstance(tangent, Value) and not tangent.name and tangent not in self.fn.derived_names:
            self.fn.derived_names[tangent] = (TANGENT_PREFIX, primal)

    def emit(self, prim: str, inputs: list[Operand], loc: Loc | None, **attrs) -> Value:
        result = Value()
        self.out.append(Op(prim, inputs, [result], attrs, loc=loc))
        return result

    def zeros(self, x: Operand, loc: Loc | None) -> Operand:
        """Explicit zero tangent of `x`: a list or tuple of zeros for a container, an
        array (or scalar) of `x`'s shape, with the batch axis in batched mode."""
        kind = x.kind if isinstance(x, Value) else kind_of(x.value)
        if isinstance(kind, ListKind):
            if kind.empty:
                return self.emit("list", [], loc)
            return self.emit("zeros_items", [x, Const(self.batch)] if self.batch else [x], loc)
        if isinstance(kind, TupleKind):
            items = [self.zeros(self.emit("getitem", [x, Const(j)], loc), loc) for j in range(len(kind.items))]
            return self.emit("tuple", items, loc)
        if self.batch:
            shape = shape_of(x)
            if shape is None:
                raise self._error(loc, "batched forward mode needs the shape of every value; "
                                       "this one is not known")
            return self.emit("np.zeros", [Const(self.batch + shape)], loc)
        shape = shape_of(x)
        if shape:  # not read from `x`: an array written in place must not look shared
            return self.emit("np.zeros", [Const(shape)], loc)
        zeros = self.emit("np.zeros_like", [x], loc)
        return self.emit("getitem", [zeros, Const(())], loc)  # a scalar for a scalar

    def broadcast(self, t: Operand, x: Operand | None, like: Operand, loc: Loc | None) -> Operand:
        """The tangent `t` of `x` (None: of a value of unknown shape), broadcast to the
        shape of `like`, batch axes first."""
        xs, ys = (shape_of(x) if x is not None else None), shape_of(like)
        if xs is not None and xs == ys:
            return t
        if not self.batch:
            shape = self.emit("np.shape", [like], loc)
            return self.emit("np.broadcast_to", [t, shape], loc)
        if xs is None or ys is None:
            raise self._error(loc, "batched forward mode needs the shapes of an elementwise "
                                   "operation's operands; these are not known")
        if len(xs) < len(ys):
            t = self.emit("np.reshape", [t, Const(self.batch + (1,) * (len(ys) - len(xs)) + xs)], loc)
        return self.emit("np.broadcast_to", [t, Const(self.batch + ys)], loc)

    def full(self, x: Operand, loc: Loc | None) -> Operand | None:
        """The tangent of `x` with `x`'s whole shape (an elementwise rule may have left it
        smaller, to be broadcast only where a shape matters)."""
        t = self.of(x)
        if t is None or x not in self.partial:
            return t
        return self.broadcast(t, None, x, loc)  # not kept: it may be made inside a branch

    def _error(self, loc: Loc | None, message: str) -> NoDerivativeError:
        return NoDerivativeError.at(message, loc, self.fn)

    # ---- ops ----

    def run(self, ops: list[Op]) -> list[Op]:
        """The ops with their tangent ops after each."""
        saved, self.out = self.out, []
        for op in ops:
            self.producers.update((r, op) for r in op.results)
            if op.prim == "cond":
                self.cond(op)
            elif op.regions:
                self.loop(op)
            else:
                self.op(op)
        ops, self.out = self.out, saved
        return ops

    def op(self, op: Op) -> None:
        self.out.append(op)
        tangents = [self.of(x) for x in op.inputs]
        if op.prim in ("getitem", "setitem", "add_at") and len(tangents) > 1:
            tangents[1] = None  # an index has none: ints and masks (NumPy refuses float indices)
        if op.prim == "pop" and tangents[0] is not None:  # (a list's tangent is a list: popped too)
            rest, item = Value(), Value()
            self.out.append(Op("pop", [tangents[0]], [rest, item], loc=op.loc))
            self.set(op.results[0], rest, True)
            self.set(op.results[1], item, True)
            return
        if all(t is None for t in tangents) or self.rules.is_zero(op.prim) or len(op.results) != 1:
            return
        result = op.result
        if not differentiable(result):
            return
        start = len(self.out)
        kind = op.inputs[0].kind if isinstance(op.inputs[0], Value) else None
        tangent: Operand | None = None
        listed = isinstance(kind, ListKind)
        if op.prim in ("tuple", "list", "push", "reversed", "zip", "add_items") or (
                op.prim in ("getitem", "setitem", "items") and (listed or isinstance(kind, TupleKind))):
            tangent = self._structural(op)
        elif op.prim == "items":  # the items of an array: of its tangent, after the directions
            dx = self.full(op.inputs[0], op.loc)
            if self.batch:
                dx = self.emit("np.moveaxis", [dx, Const(len(self.batch)), Const(0)], op.loc)
            tangent = self.emit("items", [dx], op.loc)
        elif op.prim == "np.array" and isinstance(kind, ListKind):  # a list of arrays (a Jacobian's columns)
            tangent = self.emit("np.array", [self.of(op.inputs[0])], op.loc)
            if self.batch:  # (each item's directions come first: the list's axis goes after them)
                tangent = self.emit("np.moveaxis", [tangent, Const(0), Const(1)], op.loc)
        elif op.prim == "unbroadcast":
            tangent = self._unbroadcast(op)
        else:
            if self.batch and op.prim in ("getitem", "setitem"):  # None: an index the rule takes
                tangent = self._batched_indexing(op, tangents)
            if tangent is None:
                tangent = self._rule(op, tangents)
        if tangent is not None:
            self.set(result, tangent, any(tangent in o.results for o in self.out[start:]))

    def _unbroadcast(self, op: Op) -> Operand | None:
        """`unbroadcast(c, x)` (left by reverse mode where shapes were unknown) is linear
        in `c`; with a batch axis it would sum that too, and shapes are needed anyway."""
        if self.batch:
            raise self._error(op.loc, "batched forward mode needs the shape of every value; "
                                      "an unbroadcast here says one is not known")
        dc = self.full(op.inputs[0], op.loc)
        return None if dc is None else self.emit("unbroadcast", [dc, op.inputs[1]], op.loc)

    def _structural(self, op: Op) -> Operand:
        """Lists and tuples (a reverse sweep's tapes): the tangent has the same structure."""
        if op.prim == "getitem":
            return self.emit("getitem", [self.of(op.inputs[0]), op.inputs[1]], op.loc)
        if op.prim == "setitem":  # an item of a list (of an adjoint list, in a Hessian)
            listed, index, item = op.inputs
            dlisted = self.full(listed, op.loc) or self.zeros(listed, op.loc)
            ditem = self.full(item, op.loc) or self.zeros(item, op.loc)
            return self.emit("setitem", [dlisted, index, ditem], op.loc)
        if op.prim == "zip" and any(self.of(x) is None for x in op.inputs):
            raise self._error(op.loc, "forward mode over zip() of a list without a tangent and "
                                      "one with is not supported")
        items = [
            self.full(x, op.loc) or (self.zeros(x, op.loc) if _has_floats(x) else _no_tangent(x))
            for x in op.inputs
        ]  # (an int or a slice on a tape has no tangent: None keeps the entry's layout)
        return self.emit(op.prim, items, op.loc)

    def rule_tangent(self, op: Op, tangents: list[Operand | None]) -> Operand | None:
        """The tangent of `op`'s result by its JVP rule, given its operands' (None: zero),
        the rule's ops appended to `self.out` (`vmap` maps a linear op this way)."""
        return self._rule(op, tangents)

    def _rule(self, op: Op, tangents: list[Operand | None]) -> Operand | None:
        kinds = [x.kind if isinstance(x, Value) else kind_of(x.value) for x in op.inputs]
        rule = self.rules.jvp(op.prim, kinds)
        if rule is None:
            raise self._error(
                op.loc, f"no forward-mode rule for {op.prim}: register one with "
                f"@ad_compiler.defjvp({op.prim}) or rewrite the expression with supported functions"
            )
        try:
            lowered, slots = self.rules.lowered_jvp(rule, op.inputs, op.attrs, len(self.batch))
        except NoDerivativeError as err:  # (the call does not fit the rule: at the call)
            raise err if err.line is not None else self._error(op.loc, err.message) from None
        covered = {s.index for s in slots if s.role == "tangent"}
        missing = [i for i, t in enumerate(tangents) if t is not None and i not in covered]
        if missing:
            raise self._error(op.loc, f"operand {missing[0]} of {op.prim} depends on the differentiated "
                                      f"arguments, but {op.prim} has no derivative with respect to it "
                                      f"(a shape or a count is a constant of the derivative): compute it "
                                      f"from data only, or pass ad_compiler.stop_gradient(...) of it")
        elementwise = rule.broadcasting and not self.batch
        args: list[Operand] = []
        zeros: dict[Value, Operand] = {}
        for slot in slots:
            if slot.role == "ans":
                args.append(op.result)
            elif slot.role == "operand":
                args.append(op.inputs[slot.index])
            elif slot.index >= len(tangents) or tangents[slot.index] is None:
                # (an operand the call leaves out, bound to its default, is constant)
                marker = Value()
                zeros[marker] = op.inputs[slot.index] if slot.index < len(op.inputs) else Const(0.0)
                args.append(marker)
            elif elementwise:
                args.append(tangents[slot.index])  # NumPy broadcasts it in the rule's arithmetic
            elif rule.broadcasting:
                x = op.inputs[slot.index]
                args.append(self.broadcast(self.full(x, op.loc), x, op.result, op.loc))
            else:
                args.append(self.full(op.inputs[slot.index], op.loc))
        new_ops: list[Op] = []
        (returned,) = inline(lowered, args, new_ops, op.loc)
        tangent = self._drop_zeros(new_ops, returned, zeros, op.loc)
        if tangent is not None and elementwise and not self._covers(op, tangents):
            self.partial.add(op.result)
        return tangent

    def _covers(self, op: Op, tangents: list[Operand | None]) -> bool:
        """Whether an elementwise op's tangent surely has the result's whole shape: an
        operand of the result's (known) shape has a whole tangent, or every operand
        either has a whole tangent or is a scalar (nothing else can widen the result)."""
        whole = [t is not None and x not in self.partial for x, t in zip(op.inputs, tangents)]
        ys = shape_of(op.result)
        if ys is not None and any(w and shape_of(x) == ys for x, w in zip(op.inputs, whole)):
            return True
        return all(w or shape_of(x) == () for x, w in zip(op.inputs, whole))

    def _drop_zeros(self, ops: list[Op], returned: Operand, zeros: dict[Value, Operand],
                    loc: Loc | None) -> Operand | None:
        """Append `ops` without the terms of the zero tangents (`zeros`: marker -> the
        operand whose tangent it stands for); the rule's result, None if it is zero. A
        zero that a dropped op made from a zero is emitted after all (with explicit zeros)
        if an op needs it explicitly."""
        zero = set(zeros)
        alias: dict[Value, Operand] = {}
        dropped: dict[Value, Op] = {}
        emitted: set[Value] = set()

        def explicit(x: Value) -> Operand:
            if x in zeros:
                return self.zeros(zeros[x], loc)
            if x not in emitted:
                made = dropped[x]
                made.inputs = [explicit(y) if y in zero else y for y in made.inputs]
                self.out.append(made)
                emitted.add(x)
            return x

        for op in ops:
            op.inputs = [alias.get(x, x) if isinstance(x, Value) else x for x in op.inputs]
            for region in op.regions:  # a zero a branch of the rule reads: explicit there
                _replace_in(region, lambda x: explicit(x) if x in zero else alias.get(x, x))
            hits = [i for i, x in enumerate(op.inputs) if x in zero]
            if not hits:
                self.out.append(op)
                continue
            prim, result = op.prim, op.results[0] if op.results else None
            if prim == "add" and len(hits) == 1:
                alias[result] = op.inputs[1 - hits[0]]
            elif prim == "sub" and hits == [1]:
                alias[result] = op.inputs[0]
            elif prim == "sub" and hits == [0]:
                op.prim, op.inputs = "neg", [op.inputs[1]]
                self.out.append(op)
            elif prim in ("add", "sub") or PRIMITIVES.get(prim).linear or (prim == "truediv" and hits == [0]):
                zero.update(op.results)
                dropped.update((r, op) for r in op.results)
            else:
                for i in hits:
                    scalar = PRIMITIVES.get(prim).takes_scalar_zero and i > 0
                    op.inputs[i] = Const(0.0) if scalar else explicit(op.inputs[i])
                self.out.append(op)
        returned = alias.get(returned, returned) if isinstance(returned, Value) else returned
        if returned in zero or (isinstance(returned, Const) and returned.value is None):
            return None
        return returned

Seeds = Callable[[Function, list[Value]], list[Operand]]


def jvp_function(
    primal: Function,
    wrt: Sequence[int],
    *,
    batch: tuple[int, ...] = (),
    seeds: Seeds | None = None,
    rules: Registry = RULES,
) -> Function:
    """The JVP of `primal` along the parameters at positions `wrt`: it returns the primal
    result and its tangent. Without `seeds`, the tangents are extra parameters (`dx` after
    the primal ones); `seeds(fn, params)` may instead build them in the new function's body.
    `primal` is consumed: its ops are reused."""
    wrt_values = [primal.params[i] for i in wrt]
    check_written(primal, wrt_values, lambda op: rules.is_zero(op.prim))
    varied = varied_values(primal, wrt_values, lambda op: rules.is_zero(op.prim))
    fn = Function(
        "jvp_" + primal.name,
        list(primal.params),
        Region(),
        dict(primal.defaults),
        primal.file,
        primal.source_lines,
        dict(primal.derived_names),
    )
    forward = Forward(fn, varied, rules, batch)
    if seeds is None:
        tangents: list[Operand] = []
        for p in wrt_values:
            t = Value(TANGENT_PREFIX + p.name, p.kind)  # shaped like its primal
            fn.params.append(t)
            tangents.append(t)
    else:
        forward.out = fn.body.ops
        tangents = seeds(fn, wrt_values)
    for p, t in zip(wrt_values, tangents):
        forward.tangent[p] = t
    prelude = fn.body.ops
    fn.body.ops = prelude + forward.run(primal.body.ops)
    outs = primal.body.yields
    forward.out = fn.body.ops
    fn.body.yields = list(outs) + [forward.full(y, None) or forward.zeros(y, None) for y in outs]
    _name_chains(fn)
    return fn


def _name_chains(fn: Function) -> None:
    """An array tangent built by element writes into zeros is one variable: give the
    zeros the name of the tangent they become (`dbx`, not a temporary)."""
    producers = {r: op for op in walk_ops(fn.body) for r in op.results}
    for value, derived in list(fn.derived_names.items()):
        op = producers.get(value)
        while op is not None and op.prim == "setitem":
            base = op.inputs[0]
            if not isinstance(base, Value) or base.name or base in fn.derived_names:
                break
            fn.derived_names[base] = derived
            op = producers.get(base)
