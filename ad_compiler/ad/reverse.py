"""Reverse mode: the VJP transform, IR to IR (DESIGN §5).

The derivative function runs the primal ops (the forward sweep) and then, for each active
op in reverse order, the inlined body of its VJP rule (the reverse sweep). Adjoints are
accumulated per value: the first contribution *is* the adjoint, later ones are added, so
no adjoint starts from zero. Zeros are symbolic: a value without contributions has no
adjoint and emits no code. Straight-line code needs no tape; intermediates are locals.
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..errors import NoDerivativeError
from .opaque import check_written
from ..ir import Const, Function, Loc, Op, Operand, Region, Value, walk_ops
from ..ir.clone import inline
from ..ir.prims import over_sequence
from ..ir.types import ListKind, TupleKind, kind_of
from ..passes.activity import active_values
from . import masks
from .kinds import differentiable
from .regions import ADJOINT_PREFIX, RegionSweep, adding
from .rules import RULES, Registry



class Adjoints:
    """The adjoint of each value so far, and the ops that build them.

    Inside a region (a branch or loop body being reversed), `local` holds the values the
    region defines; contributions to other values are collected in `outer`, for the
    region's op to hand out (the enclosing sweep adds them up)."""

    def __init__(self, fn: Function, ops: list[Op], local: set[Value] | None = None) -> None:
        self.fn = fn
        self.ops = ops
        self.local = local
        self.of: dict[Value, Operand] = {}
        self.outer: dict[Value, Operand] = {}
        self.masking = masks.Masking()
        """Adjoints known to be zero outside a condition."""
        self.seeds: dict[Value, Value] | None = None
        """In a loop's backward body: the adjoints of outer values, carried by the backward
        loop, that the body adds items of a list into in place (`add_item`), or, where
        `carried_on`, that a nested backward loop goes on accumulating."""
        self.carried_on = False
        """The body of a checkpointed segment (`ad/checkpoint.py`): the loop it runs
        accumulates into the adjoints the loop over segments carries, so that no level
        of segments holds a partial sum and its zeros."""

    def table(self, primal: Value) -> dict[Value, Operand]:
        return self.of if self.local is None or primal in self.local else self.outer

    def current(self, primal: Value) -> Operand | None:
        return self.table(primal).get(primal)

    def replace(self, primal: Value, adjoint: Operand) -> None:
        """Set the adjoint (a loop accumulated it, starting from the current one)."""
        self.table(primal)[primal] = adjoint

    def _name(self, adjoint: Value, primal: Value) -> None:
        if not adjoint.name and adjoint not in self.fn.derived_names:
            self.fn.derived_names[adjoint] = (ADJOINT_PREFIX, primal)

    def add(self, primal: Value, contribution: Operand, fresh: set[Value], loc: Loc | None) -> None:
        """Accumulate `contribution`; `fresh` holds the values the rule just created (only
        those may take the adjoint's name)."""
        table = self.table(primal)
        if primal not in table:
            table[primal] = contribution
            if isinstance(contribution, Value) and contribution in fresh:
                self._name(contribution, primal)
            return
        if isinstance(primal.kind, TupleKind):  # item by item (`+` would join the tuples)
            items = []
            for j, item_kind in enumerate(primal.kind.items):
                left, right, both = Value(), Value(), Value()
                self.ops.append(Op("getitem", [table[primal], Const(j)], [left], loc=loc))
                self.ops.append(Op("getitem", [contribution, Const(j)], [right], loc=loc))
                if getattr(item_kind, "dtype", None) in ("int", "bool"):
                    items.append(Const(None))
                    continue
                self.ops.append(Op("add", [left, right], [both], loc=loc))
                items.append(both)
            total = Value()
            self.ops.append(Op("tuple", items, [total], loc=loc))
            table[primal] = total
            return
        total = Value()
        self.ops.append(Op(adding(primal), [table[primal], contribution], [total], loc=loc))
        self._name(total, primal)
        self.masking.added(total, table[primal], contribution)
        table[primal] = total

    def add_item(self, primal: Value, index: Operand, contribution: Operand, loc: Loc | None) -> None:
        """Accumulate `contribution` into item `index` of the adjoint of a list (written in
        place where nothing else reads it): reading one item of a list."""
        current = self.current(primal)
        if current is None:
            current = self.starting(primal, loc)
        item, total, updated = Value(), Value(), Value()
        self.ops.append(Op("getitem", [current, index], [item], loc=loc))
        self.ops.append(Op("add", [item, contribution], [total], loc=loc))
        self.ops.append(Op("setitem", [current, index, total], [updated], loc=loc))
        self._name(updated, primal)
        self.replace(primal, updated)

    def starting(self, primal: Value, loc: Loc | None) -> Value:
        """Where an adjoint without a contribution yet starts being accumulated (items of a
        list, a nested loop): in a loop's backward body, for a value from outside the loop,
        the one the backward loop carries (`seeds`) for a list, so that reading an item per
        iteration costs one item, not a list, and for anything in a segment's body; else
        zeros."""
        outer = self.local is not None and primal not in self.local
        if self.seeds is not None and outer and (isinstance(primal.kind, ListKind) or self.carried_on):
            seed = self.seeds[primal] = Value()
            self.fn.derived_names[seed] = (ADJOINT_PREFIX, primal)
            return seed
        return self.zeros(primal, loc)

    def zeros(self, like: Value, loc: Loc | None) -> Value:
        """Explicit zeros of `like`'s shape (a scalar for a scalar; of each item for a
        list), where a region must yield an adjoint that has no contribution on its path."""
        if isinstance(like.kind, ListKind):
            zeros = Value()
            self.ops.append(Op("zeros_items", [like], [zeros], loc=loc))
            return zeros
        zeros, scalar = Value(), Value()
        self.ops.append(Op("np.zeros_like", [like], [zeros], loc=loc))
        self.ops.append(Op("getitem", [zeros, Const(())], [scalar], loc=loc))
        return scalar


def _located(fn: Function, op: Op, message: str) -> NoDerivativeError:
    """An error about differentiating `op`, pointing at its source line."""
    return NoDerivativeError.at(message, op.loc, fn)


def _dtype(x: Operand) -> str | None:
    kind = x.kind if isinstance(x, Value) else kind_of(x.value)
    return getattr(kind, "dtype", None)


def _rule_outputs(
    fn: Function, op: Op, returned: list[Operand], new_ops: list[Op], active: Callable[[Operand], bool]
) -> list[Operand | None]:
    """Split what a rule returned into one cotangent (or None) per operand."""
    (value,) = returned
    arity = len(op.inputs)
    if arity == 1:
        items: list = [value]
    elif isinstance(value, Const) and isinstance(value.value, tuple):
        items = [Const(v) for v in value.value]
    else:
        maker = next((new for new in new_ops if value in new.results), None)
        items = list(maker.inputs) if maker is not None and maker.prim == "tuple" else [value]
    inactive_tail = not any(active(x) for x in op.inputs[len(items):])
    if len(items) < arity and inactive_tail:  # `np.sum(x, 1)`: the axis has no cotangent
        items += [None] * (arity - len(items))
    if len(items) != arity:
        raise _located(
            fn, op, f"the derivative rule of {op.prim} returned {len(items)} cotangents for "
            f"{arity} operands: it must return a tuple with one per operand (None for none)"
        )
    return [None if isinstance(x, Const) and x.value is None else x for x in items]


class Sweep(RegionSweep):
    """The reverse sweep over a list of ops: for each active op, last first, the inlined
    body of its rule (region ops: see `regions`)."""

    def __init__(self, fn: Function, active: set[Value], adjoints: Adjoints, rules: Registry) -> None:
        self.fn = fn
        self.active = active
        self.adjoints = adjoints
        self.rules = rules

    def run(self, ops: list[Op]) -> None:
        self.forward = ops
        for op in reversed(list(ops)):  # loops insert their tapes into `ops`
            if op.regions:
                self.region_op(op)
            else:
                self.op(op)

    def makers(self) -> dict[Value, Op]:
        """The op that makes each value of the function (built when first asked for)."""
        if getattr(self, "_makers", None) is None:
            self._makers = {r: op for op in walk_ops(self.fn.body) for r in op.results}
        return self._makers

    def is_active(self, x: Operand) -> bool:
        """Active, and of a kind that has derivatives (not a known int or bool)."""
        return isinstance(x, Value) and x in self.active and differentiable(x)

    def op(self, op: Op) -> None:
        adjoints, rules = self.adjoints, self.rules
        g = next((adjoints.current(r) for r in op.results if adjoints.current(r) is not None), None)
        if g is None or not any(self.is_active(x) for x in op.inputs) or rules.is_zero(op.prim):
            return
        if op.prim == "unbroadcast":  # made by this transform, met again by the next one
            self._unbroadcast(op, g)
            return
        if op.prim in ("tuple", "list"):  # a tuple's cotangent is a tuple: one item each (a list's, a list)
            self._tuple(op, g)
            return
        if op.prim in LIST_OPS:
            LIST_OPS[op.prim](self, op, g)
            return
        if op.prim == "getitem" and isinstance(op.inputs[0].kind, TupleKind) and isinstance(op.inputs[1], Const):
            self._tuple_item(op, g)
            return
        if op.prim == "getitem" and isinstance(op.inputs[0].kind, ListKind):
            self.adjoints.add_item(op.inputs[0], op.inputs[1], g, op.loc)
            return
        if op.prim == "setitem" and isinstance(op.inputs[0].kind, ListKind):
            self._list_item_write(op, g)
            return
        kinds = [x.kind if isinstance(x, Value) else kind_of(x.value) for x in op.inputs]
        rule = rules.vjp(op.prim, kinds)
        if rule is None:
            raise _located(
                self.fn, op, f"no derivative rule for {op.prim}: register one with "
                f"@ad_compiler.defvjp({op.prim}) or rewrite the expression with supported functions"
            )
        try:
            lowered, dynamic = rules.lowered_vjp(rule, op.inputs, op.attrs,
                                                 tuple(self.is_active(x) for x in op.inputs))
        except NoDerivativeError as err:  # (the call does not fit the rule: at the call)
            raise err if err.line is not None else _located(self.fn, op, err.message) from None
        elementwise = masks.elementwise(op.prim)
        mask, read = adjoints.masking.incoming(g, elementwise)
        start = len(adjoints.ops)
        returned = inline(lowered, [read, op.result] + [op.inputs[i] for i in dynamic], adjoints.ops, op.loc)
        new_ops = adjoints.ops[start:]
        fresh = {r for new in new_ops for r in new.results}
        for x, ct in zip(op.inputs, _rule_outputs(self.fn, op, returned, new_ops, self.is_active)):
            if ct is None or not self.is_active(x):
                continue
            if _dtype(x) in ("float", "int", "bool") and _dtype(op.results[0]) == "complex":
                real = Value()  # (a real operand of a complex result: the real part, as JAX transposes a cast)
                adjoints.ops.append(Op("np.real", [ct], [real], loc=op.loc))
                fresh.add(real)
                ct = real
            kind = op.result.kind if elementwise else x.kind
            before = len(adjoints.ops)
            ct, own = adjoints.masking.outgoing(mask, g, read, ct, kind, new_ops, adjoints.ops, op.loc)
            fresh.update(r for new in adjoints.ops[before:] for r in new.results)
            if own is not None and (rule.broadcasting or not elementwise) and not masks.covers(own, x, self.makers):
                own = None  # summed over broadcast copies, or not element by element
            if rule.broadcasting:
                reduced = Value()
                adjoints.ops.append(Op("unbroadcast", [ct, x], [reduced], loc=op.loc))
                fresh.add(reduced)
                if own is not None:
                    adjoints.masking.summed(own, ct, reduced, x, adjoints.ops, op.loc)
                ct = reduced
            adjoints.add(x, ct, fresh, op.loc)

    def _tuple(self, op: Op, g: Operand) -> None:
        for k, x in enumerate(op.inputs):
            if self.is_active(x):
                item = Value()
                self.adjoints.ops.append(Op("getitem", [g, Const(k)], [item], loc=op.loc))
                self.adjoints.add(x, item, {item}, op.loc)

    def _tuple_item(self, op: Op, g: Operand) -> None:
        """`t[k]` of a tuple: the tuple's cotangent is a tuple, `g` at k, zeros elsewhere."""
        tup, index = op.inputs
        n = len(tup.kind.items)
        k = index.value % n
        items = []
        for j, item_kind in enumerate(tup.kind.items):
            if j == k:
                items.append(g)
            elif getattr(item_kind, "dtype", None) in ("int", "bool"):
                items.append(Const(None))
            else:
                item = Value(kind=item_kind)
                self.adjoints.ops.append(Op("getitem", [tup, Const(j)], [item], loc=op.loc))
                items.append(self.adjoints.zeros(item, op.loc))
        made = Value()
        self.adjoints.ops.append(Op("tuple", items, [made], loc=op.loc))
        self.adjoints.add(tup, made, {made}, op.loc)

    def _push(self, op: Op, g: Operand) -> None:
        """`xs2 = push(xs1, v)`: the adjoint of v is the last item of xs2's, popped off."""
        rest, item = Value(), Value()
        self.adjoints.ops.append(Op("pop", [g], [rest, item], loc=op.loc))
        listed, entry = op.inputs
        if self.is_active(listed):
            self.adjoints.add(listed, rest, {rest}, op.loc)
        if self.is_active(entry):
            self.adjoints.add(entry, item, {item}, op.loc)

    def _items(self, op: Op, g: Operand) -> None:
        """`list(x)`: of a list, its adjoint; of an array, its items' adjoints stacked."""
        (x,) = op.inputs
        if isinstance(x.kind, ListKind):
            self.adjoints.add(x, g, set(), op.loc)
            return
        stacked = Value()
        self.adjoints.ops.append(Op(over_sequence("np.stack"), [g], [stacked], loc=op.loc))
        self.adjoints.add(x, stacked, {stacked}, op.loc)

    def _list_item_write(self, op: Op, g: Operand) -> None:
        """`ys = setitem(xs, i, v)` of a list (a first sweep's adjoint of a list, met by the
        second): v's adjoint is item i of ys's; xs's is ys's with item i zeros."""
        listed, index, entry = op.inputs
        item = Value()
        self.adjoints.ops.append(Op("getitem", [g, index], [item], loc=op.loc))
        if self.is_active(entry):
            self.adjoints.add(entry, item, {item}, op.loc)
        if self.is_active(listed):
            zeros, rest = Value(), Value()
            self.adjoints.ops.append(Op("np.zeros_like", [item], [zeros], loc=op.loc))
            self.adjoints.ops.append(Op("setitem", [g, index, zeros], [rest], loc=op.loc))
            self.adjoints.add(listed, rest, {rest}, op.loc)

    def _unbroadcast(self, op: Op, g: Operand) -> None:
        """`unbroadcast(c, x)` sums `c` down to `x`'s shape: its adjoint broadcasts back."""
        c = op.inputs[0]
        if not self.is_active(c):
            return
        shape, spread = Value(), Value()
        self.adjoints.ops.append(Op("np.shape", [c], [shape], loc=op.loc))
        self.adjoints.ops.append(Op("np.broadcast_to", [g, shape], [spread], loc=op.loc))
        self.adjoints.add(c, spread, {spread}, op.loc)


LIST_OPS: dict[str, Callable[[Sweep, Op, Operand], None]] = {"push": Sweep._push, "items": Sweep._items}
"""Ops on run-time lists reversed by the sweep itself (their adjoints are lists)."""


def vjp_function(
    primal: Function,
    wrt: Sequence[int],
    *,
    with_value: bool = False,
    tuple_out: bool = False,
    cotangent: bool = False,
    rules: Registry = RULES,
) -> Function:
    """The gradient function of `primal` (whose single returned value must be a scalar)
    with respect to the parameters at positions `wrt`; with `cotangent`, the VJP of a
    function of any output: the output's cotangent is a last, extra parameter.

    It takes the same parameters and returns the gradient (a tuple of gradients when
    `tuple_out`), preceded by the value when `with_value`. `primal` is consumed: its ops
    become the forward sweep.
    """
    (out,) = primal.returns
    wrt_values = [primal.params[i] for i in wrt]
    check_written(primal, wrt_values, lambda op: rules.is_zero(op.prim))
    active = active_values(primal, wrt_values, lambda op: rules.is_zero(op.prim))
    fn = Function(
        ("value_and_grad_" if with_value else "grad_") + primal.name,
        list(primal.params),
        Region(ops=list(primal.body.ops)),
        dict(primal.defaults),
        primal.file,
        primal.source_lines,
        dict(primal.derived_names),
    )
    adjoints = Adjoints(fn, fn.body.ops)
    seed: Operand = Const(1.0)
    if cotangent:
        named = isinstance(out, Value) and out.name
        seed = Value(ADJOINT_PREFIX + out.name if named else "g", out.kind if isinstance(out, Value) else None)
        fn.params.append(seed)
        fn.name = "vjp_" + primal.name
    if isinstance(out, Value) and out in active:
        adjoints.of[out] = seed
        Sweep(fn, active, adjoints, rules).run(fn.body.ops)
    grads = [_gradient(adjoints, p) for p in wrt_values]
    if tuple_out:
        packed = Value()
        fn.body.ops.append(Op("tuple", grads, [packed]))
        result: Operand = packed
    else:
        (result,) = grads
    fn.body.yields = [out, result] if with_value else [result]
    return fn


def _gradient(adjoints: Adjoints, param: Value) -> Operand:
    """The adjoint of a parameter; a parameter nothing depends on gets zeros of its shape."""
    if param in adjoints.of:
        return adjoints.of[param]
    zeros, scalar = Value(), Value(ADJOINT_PREFIX + param.name)
    adjoints.ops.append(Op("np.zeros_like", [param], [zeros]))
    adjoints.ops.append(Op("getitem", [zeros, Const(())], [scalar]))  # 0-d array -> scalar
    return scalar


def name_gradients(fn: Function, wrt: Sequence[int], tuple_out: bool) -> None:
    """Give each returned gradient still without a name of its own the name of the
    parameter it is the gradient of (`bx`): what a reader of the emitted code looks for."""
    out = fn.body.yields[-1]
    grads: Sequence[Operand] = [out]
    if tuple_out:
        maker = next((op for op in fn.body.ops if out in op.results), None)
        grads = maker.inputs if maker is not None else []  # else: a constant tuple
    producers = {r: op for op in fn.body.ops for r in op.results}
    for i, g in zip(wrt, grads):
        # an array built by element writes (or additions) is one variable: name the whole chain
        while isinstance(g, Value) and g not in fn.params:
            if not fn.hint(g):
                fn.derived_names[g] = (ADJOINT_PREFIX, fn.params[i])
            op = producers.get(g)
            g = op.inputs[0] if op is not None and op.prim in ("setitem", "add_at") else None
