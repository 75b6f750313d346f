"""vmap: a function mapped over an axis of its arguments, IR to IR (JAX's `vmap`).

The result computes, in one pass of vectorized NumPy, what a loop calling the function
once per example would stack: every value that depends on a mapped argument
(`vmap_analysis`) carries a batch axis in front, and each op on such values is replaced
by the op that computes it for all examples at once. How, each primitive's record says:

- a batching rule (`defbatch`: a product of two batched stacks, a solve) comes first;
- an elementwise op, or one that maps over stacks (`stacks`: np.linalg.inv), runs as
  it is, a batched operand given axes of length 1 after its batch axis where the others
  have more (`x[:, None] * y` for a batched number times an unbatched vector); a
  function of numbers has its NumPy form (`over_arrays`: math.sin is np.sin);
- a reduction (`reduces`) or a function of an axis (`flattens`) gets its axis moved past
  the batch axis;
- a `linear` op with one batched operand (`W @ x`, a reshape, `x[i]` by any index), or
  one linear in its operands together (`additive`: a join, an element write), is its
  own batched JVP (forward mode's rules, which take a leading axis of directions) with
  the batched operands in the place of tangents;
- otherwise the op runs once per example in a loop, which the emitted code says.

Indexing skips the batch axis, or gathers with a batch index (`vmap_indexing`); branches
and loops carry batched values, a branch on a batched test runs both sides and selects
(`vmap_regions`). What cannot be done exactly is refused, at the user's line.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..errors import ArgumentError, CompileError, NoDerivativeError, UnsupportedError
from ..ir import Const, Function, Loc, Op, Operand, Region, Value, walk_ops
from ..ir.clone import inline, substitute
from ..ir.prims import OPAQUE, has_effects, over_sequence
from ..ir.types import Array, Kind, ListKind, Scalar, TupleKind, kind_of
from ..primitives import PRIMITIVES, Primitive
from ..primitives.helpers import after_batch, batch_axis
from .forward import Forward
from .kinds import shape_of
from .rules import RULES, Registry
from .vmap_analysis import Analysis, Spec, batched, whole
from .vmap_indexing import IndexBatching
from .vmap_regions import RegionBatching

_MADE = frozenset({"np.zeros", "np.ones", "np.full", "np.empty"})
"""Prims that make an array of a shape given first: an unbatched one is made batched."""

DTYPES = {"float": None, "int": "int64", "bool": "bool", "complex": "complex128"}
"""The NumPy dtype of an array of per-example results of each kind (None: the default)."""


def batched_kind(kind: Kind, spec: Spec, size: int) -> Kind:
    """The kind of a value of `kind` with a batch axis of `size` where `spec` says."""
    if isinstance(kind, TupleKind):
        specs = spec if isinstance(spec, tuple) else (spec,) * len(kind.items)
        return TupleKind(tuple(batched_kind(k, s, size) for k, s in zip(kind.items, specs)))
    if not batched(spec):
        return kind
    if isinstance(kind, ListKind):
        return ListKind(batched_kind(kind.item, True, size), kind.empty)
    if isinstance(kind, Scalar):
        return Array(1, kind.dtype, (size,))
    if isinstance(kind, Array):
        return Array(kind.ndim + 1, kind.dtype, None if kind.shape is None else (size,) + kind.shape)
    return None


def rank_of(x: Operand) -> int | None:
    """The rank of a value (known where its shape may not be: a masked read's)."""
    kind = x.kind if isinstance(x, Value) else kind_of(x.value)
    if isinstance(kind, Scalar):
        return 0
    return kind.ndim if isinstance(kind, Array) else None


class Vmap(RegionBatching, IndexBatching):
    """The transform of one function: the values the primal's are replaced by, and where
    new ops go (branches and loops: `vmap_regions`; indexing: `vmap_indexing`)."""

    def __init__(self, fn: Function, analysis: Analysis, size: int, rules: Registry) -> None:
        self.fn = fn
        self.analysis = analysis
        self.size = size
        self.batch = (size,)
        self.rules = rules
        self.values: dict[Value, Operand] = {}
        self.producers: dict[Value, Op] = {}
        self.out: list[Op] = []
        self.raising = False
        """Whether the ops mapped now end by raising (an exception made there is no effect)."""

    # ---- values ----

    def get(self, x: Operand) -> Operand:
        """What a primal operand is in the mapped function."""
        return self.values.get(x, x) if isinstance(x, Value) else x

    def spec(self, x: Operand) -> Spec:
        return self.analysis.of(x)

    def emit(self, prim: str, inputs: list[Operand], loc: Loc | None, **attrs) -> Value:
        result = Value()
        self.out.append(Op(prim, inputs, [result], attrs, loc=loc))
        return result

    def fresh(self, primal: Value) -> Value:
        """A new value standing for `primal` with its batch axes (named as it is)."""
        made = Value(kind=batched_kind(primal.kind, self.spec(primal), self.size))
        self.fn.derived_names[made] = ("", primal)
        return made

    def bind(self, primal: Value, value: Operand) -> None:
        """`value` stands for `primal` from here on, and is named as it is (`h` for `h`)."""
        self.values[primal] = value
        if isinstance(value, Value) and not value.name and value not in self.fn.derived_names:
            self.fn.derived_names[value] = ("", primal)

    def lifted(self, x: Operand, k: int, loc: Loc | None) -> Operand:
        """A batched `x` with `k` axes of length 1 after its batch axis."""
        return x if k <= 0 else self.emit("getitem", [x, Const(after_batch(k))], loc)

    def broadcast(self, x: Operand, primal: Operand, have: Spec, loc: Loc | None, want: Spec = True) -> Operand:
        """`x`, the value of `primal` with batch axes where `have` says, with them where
        `want` says too: the same for every example, along a new batch axis in front."""
        kind = primal.kind if isinstance(primal, Value) else kind_of(primal.value)
        if isinstance(kind, TupleKind):
            n = len(kind.items)
            haves = have if isinstance(have, tuple) else (have,) * n
            wants = want if isinstance(want, tuple) else (want,) * n
            if all(h == w or not batched(w) for h, w in zip(haves, wants)):
                return x
            items = []
            for j, (item_kind, h, w) in enumerate(zip(kind.items, haves, wants)):
                item = self.emit("getitem", [x, Const(j)], loc)
                items.append(self.broadcast(item, Value(kind=item_kind), h, loc, w))
            return self.emit("tuple", items, loc)
        if batched(have) or not batched(want) or (isinstance(x, Const) and x.value is None):
            return x
        if isinstance(kind, ListKind) and kind.empty:
            return x
        if isinstance(kind, ListKind):
            raise self._error(loc, "vmap would need to batch the items of a list made before the "
                                   "mapped values reach it: build the list from mapped values")
        shape = shape_of(primal)
        if shape is None:
            raise self._error(loc, "vmap needs the shape of every value; this one's is not known")
        if isinstance(x, Const) and np.ndim(x.value) == 0:
            return self.emit("np.full", [Const(self.batch + shape), x], loc)
        made = self.producers.get(primal) if isinstance(primal, Value) else None
        if made is not None and made.prim in _MADE and made.inputs and isinstance(made.inputs[0], Const) \
                and all(isinstance(y, Const) for y in made.inputs):  # (zeros for all: made so)
            return self.emit(made.prim, [Const(self.batch + shape), *made.inputs[1:]], loc, **made.attrs)
        return self.emit("np.broadcast_to", [x, Const(self.batch + shape)], loc)

    def conformed(self, primal: Operand, spec: Spec, loc: Loc | None) -> Operand:
        """The value of `primal` with the batch axes `spec` asks for (it has fewer where
        a branch or an iteration does not depend on the mapped arguments)."""
        return self.broadcast(self.get(primal), primal, self.spec(primal), loc, spec)

    def _error(self, loc: Loc | None, message: str) -> UnsupportedError:
        return UnsupportedError.at(message, loc, self.fn)

    # ---- ops ----

    def run(self, ops: list[Op]) -> list[Op]:
        """The mapped ops of `ops`."""
        saved, self.out = self.out, []
        raising, self.raising = self.raising, bool(ops) and ops[-1].prim == "raise"  # (a branch that raises)
        for op in ops:
            self.producers.update((r, op) for r in op.results)
            if op.prim == "cond":
                self.cond(op)
            elif op.regions:
                self.loop(op)
            else:
                self.op(op)
        ops, self.out = self.out, saved
        self.raising = raising
        return ops

    def op(self, op: Op) -> None:
        specs = [self.spec(x) for x in op.inputs]
        if op.prim == "call" and has_effects(op) and not any(batched(s) for s in specs) and not self.raising:
            raise self._error(op.loc, "vmap runs the function once for the whole batch, and this call may have "
                                      "effects (print, draw a random number, change an object) that would then run "
                                      "once, not once per example: call it outside the mapped function, or pass "
                                      "what it computes as an argument")
        if not any(batched(s) for s in specs):
            op.inputs = [self.get(x) for x in op.inputs]
            self.out.append(op)
            return
        for r, value in zip(op.results, self.mapped(op, [self.get(x) for x in op.inputs], specs)):
            self.bind(r, value)

    def mapped(self, op: Op, inputs: list[Operand], specs: list[Spec]) -> list[Operand]:
        """The values of a plain op's results, some operand batched."""
        prim = op.prim
        record = PRIMITIVES.get(prim)
        kind = op.inputs[0].kind if isinstance(op.inputs[0], Value) else None
        if prim == "assert":
            self._assert(op, inputs, specs)
            return []
        if prim == "raise":
            raise self._error(op.loc, "the exception raised here depends on the mapped arguments: vmap cannot "
                                      "raise it for some examples only; raise it outside the mapped function")
        if record.shape_query:
            return [self._shape_query(op, record)]
        if record.reads_shape_only and not any(batched(s) for s in specs[1:]) and self.size > 0:
            first = self.emit("getitem", [inputs[0], Const(0)], op.loc)  # (the same for every example)
            return [self.emit(prim, [first, *inputs[1:]], op.loc, **op.attrs)]
        if prim in ("tuple", "list", "push", "reversed", "zip", "zeros_items", "add_items", "stop_gradient") or (
                prim in ("getitem", "items") and isinstance(kind, (TupleKind, ListKind))) or (
                prim == "setitem" and isinstance(kind, ListKind)):
            return self._structural(op, inputs, specs)
        if prim == "pop":
            rest, item = Value(), Value()
            self.out.append(Op("pop", inputs, [rest, item], loc=op.loc))
            return [rest, item]
        if prim == "items":  # the rows of an array: each example's, along the axis after the batch
            moved = self.emit("np.moveaxis", [inputs[0], Const(1), Const(0)], op.loc)
            return [self.emit("items", [moved], op.loc)]
        if len(op.results) != 1:
            raise self._error(op.loc, f"vmap does not map {prim} with several results")
        found = None
        if prim in ("getitem", "setitem"):
            found = self.indexing(op, inputs, specs)
        if found is None:
            found = self._by_traits(op, record, inputs, specs)
        if found is None:
            why = "this call runs as written" if prim in OPAQUE else f"{prim} has no batching rule"
            found = self.per_example(op, inputs, specs, why)
        return [found]

    def _by_traits(self, op: Op, record: Primitive, inputs: list[Operand], specs: list[Spec]) -> Operand | None:
        if any(isinstance(s, tuple) for s in specs):
            return None
        flags = tuple(bool(s) for s in specs)
        found = self._by_rule(op, record, inputs, flags)
        if found is None and record.over_arrays and isinstance(PRIMITIVES.callable(record.over_arrays), np.ufunc) \
                and PRIMITIVES.callable(record.over_arrays).nin == len(inputs):
            swapped = Op(record.over_arrays, op.inputs, op.results, op.attrs, loc=op.loc)
            found = self._aligned(swapped, PRIMITIVES.get(record.over_arrays), inputs, flags)
        if found is None and (record.elementwise or record.stacks) and not record.numbers:
            found = self._aligned(op, record, inputs, flags)
        if found is None and (record.reduces or record.flattens):
            found = self._along_axis(op, record, inputs, flags)
        if found is None and (record.additive or (record.linear and sum(flags) == 1)):
            found = self._by_jvp(op, record, inputs, flags)
        return found

    # ---- the routes ----

    def _by_rule(self, op: Op, record: Primitive, inputs: list[Operand], flags: tuple[bool, ...]) -> Operand | None:
        """The primitive's batching rule, lowered and inlined (an elementwise one's
        operands aligned first)."""
        if record.batching is None:
            return None
        ranks = tuple(rank_of(x) for x in op.inputs)
        if record.elementwise:
            aligned = self._align(op, inputs, flags, [0] * len(inputs))
            if aligned is None:
                return None
            inputs = aligned
        try:
            found = self.rules.lowered_batching(op.prim, inputs, op.attrs, flags, ranks)
        except CompileError:  # (the rule declines this case, or cannot take it: another way)
            return None
        fn, dynamic = found
        ops: list[Op] = []
        (result,) = inline(fn, [inputs[i] for i in dynamic], ops, op.loc)
        self.out.extend(_located(ops, op.loc))
        return result

    def _align(self, op: Op, inputs: list[Operand], flags: Sequence[bool],
               cores: Sequence[int]) -> list[Operand] | None:
        """The operands of an op that maps over leading axes (each operand's last
        `cores[i]` axes are what it computes on), the batched ones given axes of length 1
        after the batch axis up to the most leading axes an operand has."""
        ranks = [rank_of(x) for x in op.inputs]
        leading = [r - c for r, c in zip(ranks, cores) if r is not None]
        if None in ranks or any(n < 0 for n in leading):
            return None
        most = max(leading, default=0)
        return [self.lifted(x, most - (r - c), op.loc) if b else x
                for x, b, r, c in zip(inputs, flags, ranks, cores)]

    def _aligned(self, op: Op, record: Primitive, inputs: list[Operand], flags: tuple[bool, ...]) -> Operand | None:
        """An elementwise op, or one over stacks, as it is on aligned operands."""
        if record.elementwise:
            cores = [0] * len(inputs)
        else:
            if "axis" in op.attrs or "axes" in op.attrs:
                return None
            arrays = len(record.stacks)
            if any(flags[arrays:]):
                return None
            cores = list(record.stacks) + [0] * (len(inputs) - arrays)
        aligned = self._align(op, inputs, [f if i < len(cores) else False for i, f in enumerate(flags)], cores)
        if aligned is None:
            return None
        return self.emit(op.prim, aligned, op.loc, **op.attrs)

    def _along_axis(self, op: Op, record: Primitive, inputs: list[Operand], flags: tuple[bool, ...]) -> Operand | None:
        """A reduction, or a function along an axis: the axis moved past the batch axis
        (a reduction over every axis: over all but the batch axis; a function of the
        flattened array: of each example's flattened, a row each)."""
        if any(flags[1:]) or any(isinstance(x, Value) for x in op.inputs[1:]):
            return None
        rank = rank_of(op.inputs[0])
        position = _axis_position(record)
        if rank is None or position is None:
            return None
        given = position < len(op.inputs)
        axis = op.inputs[position].value if given else op.attrs.get("axis", _axis_default(record))
        x = inputs[0]
        if axis is None and record.reduces:
            axis = tuple(range(1, rank + 1)) if rank != 1 else 1
        elif axis is None:
            if op.attrs.get("keepdims"):
                return None
            shape = shape_of(op.inputs[0])
            x = self.emit("np.reshape", [x, Const((self.size, -1 if shape is None else math.prod(shape)))], op.loc)
            axis = 1
        elif isinstance(axis, (int, tuple)) and not isinstance(axis, bool):
            axis = batch_axis(axis, 1)
        else:
            return None
        rest = list(inputs[1:])
        attrs = dict(op.attrs)
        if given:
            rest[position - 1] = Const(axis)
        else:
            attrs["axis"] = axis
        return self.emit(op.prim, [x, *rest], op.loc, **attrs)

    def _by_jvp(self, op: Op, record: Primitive, inputs: list[Operand], flags: tuple[bool, ...]) -> Operand | None:
        """A linear op is its own JVP: forward mode's batched rule, the batched operands
        given as tangents (for an `additive` one, every operand it has a tangent of, the
        unbatched ones broadcast). The rule may read those operands and the result only
        for their shapes, which are known: anything else and this way is not taken."""
        kinds = [x.kind if isinstance(x, Value) else kind_of(x.value) for x in op.inputs]
        rule = self.rules.jvp(op.prim, kinds)
        if rule is None or rule.broadcasting:
            return None
        try:
            _, slots = self.rules.lowered_jvp(rule, op.inputs, op.attrs, 1)
        except NoDerivativeError:
            return None
        tangent_of = {s.index for s in slots if s.role == "tangent"}
        stand = {i for i, b in enumerate(flags) if b}
        if record.additive:
            stand |= tangent_of
        if not stand <= tangent_of:
            return None
        standing = {i: Value(kind=kinds[i]) for i in stand}
        ans = Value(kind=op.result.kind)
        shadow = Op(op.prim, [standing.get(i, x) for i, x in enumerate(op.inputs)], [ans], dict(op.attrs), loc=op.loc)
        forward = Forward(self.fn, set(), self.rules, self.batch)
        tangents: list[Operand | None] = [None] * len(inputs)
        for i in sorted(stand):
            tangents[i] = inputs[i] if flags[i] else self.broadcast(inputs[i], op.inputs[i], False, op.loc)
            forward.tangent[standing[i]] = tangents[i]
        try:
            result = forward.rule_tangent(shadow, tangents)
        except NoDerivativeError:
            return None
        shapes = {v: shape_of(v) for v in [*standing.values(), ans]}
        ops = _shapes_read(forward.out, shapes)
        if ops is None or result is None or result in shapes:
            return None
        self.out.extend(_located(ops, op.loc))
        return result

    def _shape_query(self, op: Op, record: Primitive) -> Operand:
        """np.shape, np.ndim, len of a batched value: each example's, known here (a
        list's length is the batched list's own)."""
        if isinstance(op.inputs[0], Value) and isinstance(op.inputs[0].kind, ListKind):
            return self.emit(op.prim, [self.get(op.inputs[0])], op.loc, **op.attrs)
        shape = shape_of(op.inputs[0])
        if shape is None:
            raise self._error(op.loc, "vmap needs the shape of every value; this one's is not known")
        return Const(PRIMITIVES.callable(op.prim)(np.empty(shape)))

    def _assert(self, op: Op, inputs: list[Operand], specs: list[Spec]) -> None:
        """`assert test` of a batched test: it holds for every example."""
        if any(batched(s) for s in specs[1:]):
            raise self._error(op.loc, "the message of this assert depends on the mapped arguments: vmap checks "
                                      "the test for all examples at once; give a message of constants")
        every = self.emit("np.all", [inputs[0]], op.loc)
        self.out.append(Op("assert", [every, *inputs[1:]], list(op.results), dict(op.attrs), loc=op.loc))

    def _structural(self, op: Op, inputs: list[Operand], specs: list[Spec]) -> list[Operand]:
        """Tuples and lists hold batched items as they are; a list whose items are batched
        has every item batched (its unbatched ones broadcast)."""
        if op.prim in ("list", "push", "setitem") and batched(self.spec(op.result)):
            inputs = [x if op.prim == "setitem" and k == 1 else
                      self.conformed(x, whole(x.kind if isinstance(x, Value) else None), op.loc)
                      if op.prim == "list" or k > 0 else self.conformed(x, True, op.loc)
                      for k, x in enumerate(op.inputs)]
        if op.prim in ("getitem", "setitem") and batched(specs[1]):
            raise self._error(op.loc, "an index into a tuple or a list that depends on the mapped arguments: "
                                      "vmap needs the same item for every example; index an array instead")
        return [self.emit(op.prim, inputs, op.loc, **op.attrs)]

    def per_example(self, op: Op, inputs: list[Operand], specs: list[Spec], why: str) -> Operand:
        """The op once per example, in a loop writing each result into its row (or, of a
        shape not known here, appending it to a list stacked after the loop): exact for
        any op whose results are numbers or arrays, and marked so in the emitted code (a
        comment on the loop)."""
        kind = op.result.kind
        items = kind.items if isinstance(kind, TupleKind) else (kind,)
        shapes = [shape_of(Value(kind=k)) for k in items]
        if len(op.results) != 1 or any(not isinstance(k, (Scalar, Array)) or k.dtype not in DTYPES for k in items) \
                or (self.size == 0 and None in shapes):
            raise self._error(op.loc, f"vmap cannot map {op.prim} here: {why}, and one call per example needs "
                                      "each result to be a number or an array (of a known shape, for a batch of "
                                      "none); compute it outside the mapped function, or with functions that "
                                      "have batching rules")
        rows = []
        for k, shape in zip(items, shapes):
            dtype = DTYPES[k.dtype]
            if shape is None:
                rows.append(self.emit("list", [], op.loc))
            else:
                rows.append(self.emit("np.empty", [Const(self.batch + shape)], op.loc,
                                      **({"dtype": dtype} if dtype else {})))
        example = Value("example", Scalar("int"))
        carried = [Value() for _ in rows]
        saved, self.out = self.out, []
        own = [self._example(x, primal, spec, example, op.loc) for x, primal, spec in zip(inputs, op.inputs, specs)]
        result = Value()
        self.out.append(Op(op.prim, own, [result], dict(op.attrs), loc=op.loc))
        yields = []
        for j, (row, shape) in enumerate(zip(carried, shapes)):
            item = result if not isinstance(kind, TupleKind) else self.emit("getitem", [result, Const(j)], op.loc)
            yields.append(self.emit("push", [row, item], op.loc) if shape is None else
                          self.emit("setitem", [row, example, item], op.loc))
        body, self.out = self.out, saved
        done = [Value() for _ in rows]
        self.out.append(Op("for_range", [Const(0), Const(self.size), Const(1), *rows], done,
                           {"note": f"{why}: one call per example"}, [Region([example, *carried], body, yields)],
                           loc=op.loc))
        done = [d if shape is not None else self.emit(over_sequence("np.stack"), [d], op.loc)
                for d, shape in zip(done, shapes)]
        return done[0] if not isinstance(kind, TupleKind) else self.emit("tuple", done, op.loc)

    def _example(self, x: Operand, primal: Operand, spec: Spec, example: Value, loc: Loc | None) -> Operand:
        """Example `example` of a (partly) batched operand."""
        if not batched(spec):
            return x
        if isinstance(spec, tuple):
            items = [self._example(self.emit("getitem", [x, Const(j)], loc), Value(kind=k), s, example, loc)
                     for j, (k, s) in enumerate(zip(primal.kind.items, spec))]
            return self.emit("tuple", items, loc)
        return self.emit("getitem", [x, example], loc)


def _located(ops: list[Op], loc: Loc | None) -> list[Op]:
    """Ops inlined from a rule for an op at `loc`, all at `loc` (an op a transform made
    has none: the rule's own lines are nothing to the reader)."""
    for op in ops:
        for inner in walk_ops(Region(ops=[op])):
            inner.loc = loc
    return ops


def _axis_position(record: Primitive) -> int | None:
    """Where the `axis` parameter of a primitive's callable is, by position."""
    try:
        import inspect

        names = list(inspect.signature(record.fn).parameters)
    except (TypeError, ValueError):
        return None
    return names.index("axis") if "axis" in names else None


def _axis_default(record: Primitive) -> object:
    import inspect

    return inspect.signature(record.fn).parameters["axis"].default


def _shapes_read(ops: list[Op], shapes: dict[Value, tuple | None]) -> list[Op] | None:
    """`ops` with the shape queries of the values of `shapes` (np.shape, np.size, np.ndim,
    len) replaced by what they are; None if any other op reads one of those values."""
    known: dict[Value, Operand] = {}
    kept: list[Op] = []
    for op in ops:
        if any(x in shapes for x in op.inputs) and not op.regions:
            record = PRIMITIVES.get(op.prim)
            (x,) = op.inputs if len(op.inputs) == 1 else (None,)
            if not record.shape_query or x is None or shapes[x] is None:
                return None
            known[op.result] = Const(PRIMITIVES.callable(op.prim)(np.empty(shapes[x])))
            continue
        if op.regions and any(x in shapes for inner in walk_ops(Region(ops=[op])) for x in inner.inputs):
            return None
        kept.append(op)
    substitute(kept, [], known)
    return kept


def vmap_function(
    primal: Function,
    in_axes: Sequence[int | None],
    out_axes: Sequence[int | None] | None,
    kinds: Sequence[Kind],
    size: int,
    *,
    rules: Registry = RULES,
) -> Function:
    """`primal` mapped over axis `in_axes[i]` of each parameter (None: not mapped; axes
    counted in the batched argument, non-negative), of `size` examples; the results'
    batch axes at `out_axes` (one per leaf of the result; None: not mapped; a result that
    does not depend on the mapped arguments is broadcast). `kinds` are the batched
    arguments'. `primal`, optimized for one example's kinds, is consumed."""
    fn = Function("vmap_" + primal.name, [], Region(), dict(primal.defaults), primal.file, primal.source_lines,
                  dict(primal.derived_names), out_tree=primal.out_tree)
    analysis = Analysis(size)
    transform = Vmap(fn, analysis, size, rules)
    moves: list[Op] = []
    for p, axis, kind in zip(primal.params, in_axes, kinds):
        if axis is None:
            fn.params.append(p)
            continue
        analysis.set(p, True)
        param = Value(p.name, kind)
        fn.params.append(param)
        if axis == 0:
            transform.values[p] = param
        else:
            moved = Value(p.name)
            moves.append(Op("np.moveaxis", [param, Const(axis), Const(0)], [moved]))
            transform.values[p] = moved
    analysis.region(primal.body)
    fn.body.ops = moves + transform.run(primal.body.ops)
    transform.out = fn.body.ops
    fn.body.yields = _returned(transform, primal.body.yields, out_axes)
    return fn


def placed_results(fn: Function, out_axes: Sequence[int | None], size: int) -> Function:
    """`fn`, whose results (each item of its tuples) all have a batch axis in front, with
    it at `out_axes` instead (one per result)."""
    analysis = Analysis(size)
    for y in fn.body.yields:
        if isinstance(y, Value):
            analysis.set(y, whole(y.kind))
    transform = Vmap(fn, analysis, size, RULES)
    transform.out = fn.body.ops
    fn.body.yields = _returned(transform, fn.body.yields, out_axes, batched_shapes=True)
    return fn


def _returned(transform: Vmap, returned: list[Operand], out_axes: Sequence[int | None] | None,
              batched_shapes: bool = False) -> list[Operand]:
    """The returned values (one, or several: `value_and_grad`'s) with the batch axis of
    each leaf (each item of their tuples) where `out_axes` says."""
    count = sum(_count_leaves(y.kind if isinstance(y, Value) else kind_of(y.value)) for y in returned)
    axes = list(out_axes) if out_axes is not None else [0] * count
    if len(axes) != count:
        raise ArgumentError(f"vmap out_axes name {len(axes)} results, the function returns {count}")
    order = iter(axes)
    return [_placed(transform, y, transform.get(y), transform.spec(y), order, batched_shapes) for y in returned]


def _count_leaves(kind: Kind) -> int:
    return sum(_count_leaves(k) for k in kind.items) if isinstance(kind, TupleKind) else 1


def _placed(transform: Vmap, primal: Operand, value: Operand, spec: Spec, axes, batched_shapes: bool) -> Operand:
    kind = primal.kind if isinstance(primal, Value) else kind_of(primal.value)
    if not isinstance(kind, TupleKind):
        shape = shape_of(primal)
        if batched_shapes and shape is not None:  # (the shape is a batched one: one example's is the rest)
            primal = Value(kind=Array(len(shape) - 1, kind.dtype, shape[1:]) if len(shape) > 1 else Scalar(kind.dtype))
        return _place(transform, primal, value, batched(spec), next(axes))
    specs = spec if isinstance(spec, tuple) else (spec,) * len(kind.items)
    items = []
    for j, (item_kind, item_spec) in enumerate(zip(kind.items, specs)):
        item = transform.emit("getitem", [value, Const(j)], None)
        items.append(_placed(transform, Value(kind=item_kind), item, item_spec, axes, batched_shapes))
    return transform.emit("tuple", items, None)


def _place(transform: Vmap, primal: Operand, value: Operand, mapped: bool, axis: int | None) -> Operand:
    """One returned leaf with its batch axis at `axis`, as JAX's `out_axes`."""
    if axis is None:
        if mapped:
            raise ArgumentError("vmap has mapped output but out_axes is None")
        return value
    if axis == 0 and mapped:
        return value
    shape = shape_of(primal)
    if shape is None:
        raise UnsupportedError("vmap needs the shape of every result; this one's is not known")
    rank = len(shape) + 1
    if not -rank <= axis < rank:
        raise ArgumentError(f"vmap out_axes {axis} is out of range for a result of {rank} axes "
                               f"(with the mapped one): its shape for one example is {shape}")
    axis %= rank
    if not mapped:
        value = transform.broadcast(value, primal, False, None)
    if axis == 0:
        return value
    return transform.emit("np.moveaxis", [value, Const(0), Const(axis)], None)


__all__ = ["placed_results", "vmap_function"]
