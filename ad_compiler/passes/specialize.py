"""Simplifications that need kinds (DESIGN §5a): what shapes make redundant.

With the shapes of the arguments known, most broadcasting bookkeeping of the derivative
disappears: `unbroadcast(g, x)` is `g` when the shapes already agree, `np.broadcast_to`
of a cotangent folds into the arithmetic that consumes it, shape queries become
constants, and reshapes/transposes that change nothing go. Values of unknown kind are
never touched, so generic code keeps every call it needs.
"""

from __future__ import annotations

import math

from ..ir import Const, Function, Op, Operand, Value, walk_ops
from ..primitives import PRIMITIVES
from ..ir.types import Array, Scalar, SliceKind, TupleKind
from .infer import broadcast, kind_of_operand
from .indices import OUTSIDE, compose, plain_index, restrict, shape_of, whole
from .rewrite import rewrite

import numpy as np


def _shape(x: Operand) -> tuple | None:
    kind = kind_of_operand(x)
    if isinstance(kind, Scalar):
        return ()
    if isinstance(kind, Array):
        return kind.shape
    return None


def _ndim(x: Operand) -> int | None:
    kind = kind_of_operand(x)
    if isinstance(kind, Scalar):
        return 0
    if isinstance(kind, Array):
        return kind.ndim
    return None


def _elementwise(prim: str) -> bool:
    record = PRIMITIVES.get(prim)
    return record.broadcasting and record.arity == 2


class _Specializer:
    def __init__(self, readers: dict[Value, set[str]] | None = None) -> None:
        self.producers: dict[Value, Op] = {}
        self.uses: dict[Value, int] = {}
        self.readers = readers or {}  # the prims of the ops reading each value, as the pass began

    def __call__(self, op: Op, added: list[Op]) -> Operand | None:
        if _elementwise(op.prim):
            self._unbroadcast_operands(op)
        out = self._simplify(op)
        for rule in self._rules(op.prim) if out is None else ():
            out = rule(op, added)
            if out is not None:
                break
        if out is None:
            self.producers[op.result] = op
        return out

    def _rules(self, prim: str) -> tuple:
        """The rewrites tried, in order, on an op of `prim` that `_simplify` left."""
        if PRIMITIVES.get(prim).product:
            return (lambda op, added: self._identity_factor(op)), self._factor_out_of_product
        return {
            "unbroadcast": (self._reduce,),
            "np.sum": (self._sum_of_broadcast, self._sum_of_product),
            "np.expand_dims": (self._expanded_broadcast,),
            "setitem": (self._stored_everywhere, self._write_through, self._store_scatter),
            "neg": (self._factor_into_product,),
            "mul": (self._factor_into_product,),
            "add_at": (self._assign_once,),
            "add": (self._add_scattered,),
            "getitem": (self._piece_of_scatter,),
        }.get(prim, ())

    def _new(self, added: list[Op], prim: str, inputs: list[Operand], like: Op, **attrs) -> Value:
        result = Value()
        op = Op(prim, inputs, [result], attrs, loc=like.loc)
        added.append(op)
        self.producers[result] = op
        return result

    def _reduce(self, op: Op, added: list[Op]) -> Operand | None:
        """`unbroadcast(g, x)` with both shapes known is the one `np.sum` it stands for:
        over the leading axes `x` lacks, and (keeping them) over its axes of length 1."""
        g, x = op.inputs
        gshape, xshape = _shape(g), _shape(x)
        if gshape is None or xshape is None or len(gshape) < len(xshape):
            return None
        lead = len(gshape) - len(xshape)
        ones = tuple(
            lead + i for i, n in enumerate(xshape) if n == 1 and gshape[lead + i] != 1
        )
        if not xshape:
            return self._new(added, "np.sum", [g], op)
        if not ones:
            axis = lead - 1 if lead == 1 else tuple(range(lead))
            return self._new(added, "np.sum", [g], op, axis=axis)
        axis = ones[0] if len(ones) == 1 else ones
        kept = self._new(added, "np.sum", [g], op, axis=axis, keepdims=True)
        if lead == 0:
            return kept
        summed = self._new(added, "np.sum", [kept], op, axis=lead - 1 if lead == 1 else tuple(range(lead)))
        return summed

    def _factor(self, x: Operand) -> tuple[list[Operand], Operand] | None:
        """(factor operands, z) if `x` = `-z` or `c * z` (c a constant), read once."""
        p = self.producers.get(x) if isinstance(x, Value) else None
        if p is None or self.uses.get(x, 0) != 1:
            return None
        if p.prim == "neg":
            return [], p.inputs[0]
        if p.prim == "mul":
            for c, z in (p.inputs, p.inputs[::-1]):
                if isinstance(c, Const) and isinstance(c.value, (int, float)):
                    return [c], z
        return None

    def _rescale(self, added: list[Op], factor: list[Operand], z: Operand, like: Op) -> Value:
        if factor:
            return self._new(added, "mul", [factor[0], z], like)
        return self._new(added, "neg", [z], like)

    def _factor_out_of_product(self, op: Op, added: list[Op]) -> Operand | None:
        """`A @ (c * B)` -> `c * (A @ B)` when the product is smaller than `B`: a scalar
        factor is applied where there are fewest elements (the same for `-B`)."""
        size = _size(op.result)
        for i, x in enumerate(op.inputs):
            found = self._factor(x)
            if found is None or size is None or (_size(x) or 0) <= size:
                continue
            inputs = list(op.inputs)
            inputs[i] = found[1]
            inner = self._new(added, op.prim, inputs, op)
            return self._rescale(added, found[0], inner, op)
        return None

    def _factor_into_product(self, op: Op, added: list[Op]) -> Operand | None:
        """`c * (A @ B)` -> `A @ (c * B)` when `B` is smaller than the product."""
        if op.prim == "neg":
            factor, x = [], op.inputs[0]
        else:
            a, b = op.inputs
            if isinstance(a, Const) and isinstance(a.value, (int, float)):
                factor, x = [a], b
            elif isinstance(b, Const) and isinstance(b.value, (int, float)):
                factor, x = [b], a
            else:
                return None
        p = self.producers.get(x) if isinstance(x, Value) else None
        if p is None or not PRIMITIVES.get(p.prim).product or self.uses.get(x, 0) != 1:
            return None
        size = _size(x)
        sizes = [_size(y) for y in p.inputs]
        if size is None or None in sizes or min(sizes) >= size:
            return None
        i = sizes.index(min(sizes))
        inputs = list(p.inputs)
        inputs[i] = self._rescale(added, factor, inputs[i], op)
        return self._new(added, p.prim, inputs, op, **p.attrs)

    def _assign_once(self, op: Op, added: list[Op]) -> Operand | None:
        """`add_at(a, index, v)` (the adjoint of `x[index]`) where the index selects each
        position at most once is `a[index] += v`: a plain assignment `a[index] = v` when
        `a` is zeros read only here (the common `x[i]`, `x[1:]`, `x[:, 0]`)."""
        a, index, v = op.inputs
        if not self._selects_once(index):
            return None
        root = self.producers.get(a) if isinstance(a, Value) else None
        if root is None or root.prim not in ("np.zeros_like", "np.zeros") or self.uses.get(a, 0) != 1:
            if isinstance(a, Value):
                self.uses[a] = self.uses.get(a, 0) + 1  # read twice now
            current = self._new(added, "getitem", [a, index], op)
            v = self._new(added, "add", [current, v], op)
        return self._new(added, "setitem", [a, index, v], op)

    def _selects_once(self, index: Operand) -> bool:
        """Whether `x[index]` selects each element of `x` at most once, whatever `x`:
        ints, slices, `None`, `...`, or a tuple of them with at most one array, which must
        be a boolean mask or a constant integer array without repeats."""
        p = self.producers.get(index) if isinstance(index, Value) else None
        if p is not None and p.prim == "tuple":
            parts = [self._index_part(x) for x in p.inputs]
        elif isinstance(index, Const) and isinstance(index.value, tuple):
            parts = [_index_part(Const(x)) for x in index.value]
        elif isinstance(kind_of_operand(index), TupleKind):
            parts = [_index_part_kind(k) for k in kind_of_operand(index).items]
        else:
            parts = [self._index_part(index)]
        return None not in parts and parts.count("array") <= 1

    def _index_part(self, x: Operand) -> str | None:
        p = self.producers.get(x) if isinstance(x, Value) else None
        if p is not None and p.prim == "slice":
            return "basic"
        literal = p is not None and p.prim == "np.array" and not p.attrs and len(p.inputs) == 1
        if literal and isinstance(p.inputs[0], Const):  # `np.array((2, 0, 1))`: known now
            return _index_part(Const(np.array(p.inputs[0].value)))
        return _index_part(x)

    def _add_scattered(self, op: Op, added: list[Op]) -> Operand | None:
        """`a + scatter`, where `scatter` is zeros with values added at some indices (the
        adjoints of `x[i]`, `x[j]`, ...), is `a` with those values added at those
        indices: no zeros, no full-size sum."""
        for a, s in (op.inputs, op.inputs[::-1]):
            chain = self._scatter_chain(s)
            if chain is None or _shape(a) is None or kind_of_operand(a) != kind_of_operand(s):
                continue
            if _size(s) == 1 and len(chain) == 1 and isinstance(kind_of_operand(chain[0][1]), Scalar):
                return self._new(added, "add", [a, chain[0][1]], op)  # (its one element: broadcast)
            for index, v, accumulate in chain:
                if accumulate:
                    a = self._new(added, "add_at", [a, index, v], op)
                    continue
                current = self._new(added, "getitem", [a, index], op)
                total = self._new(added, "add", [current, v], op)
                a = self._new(added, "setitem", [a, index, total], op)
            return a
        return None

    def _scatter_chain(self, s: Operand) -> list[tuple[Operand, Operand, bool]] | None:
        """[(index, v, accumulate), ...] if `s` is zeros into which each v was written or
        added at its index (by `add_at` where `accumulate`), in order; every link read
        only by the next."""
        chain: list[tuple[Operand, Operand, bool]] = []
        reads = 1  # a link is read by the next link, twice if that one increments (a[i] = a[i] + v)
        while True:
            p = self.producers.get(s) if isinstance(s, Value) else None
            if p is None or p.prim not in ("setitem", "add_at") or self.uses.get(s, 0) != reads:
                return None
            base, index, value = p.inputs
            root = self.producers.get(base) if isinstance(base, Value) else None
            if root is not None and root.prim == "np.zeros_like" and self.uses.get(base, 0) == 1:
                chain.append((index, value, p.prim == "add_at"))
                return chain[::-1]
            if p.prim == "add_at":
                chain.append((index, value, True))
                s, reads = base, 1
                continue
            add = self.producers.get(value) if isinstance(value, Value) else None
            read = self.producers.get(add.inputs[0]) if add is not None and add.prim == "add" else None
            if read is None or read.prim != "getitem" or read.inputs[0] is not base or read.inputs[1] != index:
                return None
            chain.append((index, add.inputs[1], False))
            s, reads = base, 2

    def _write_through(self, op: Op, added: list[Op]) -> Operand | None:
        """`v = b[i]; v[j] += w; ...; b[i] = v` is `b[i][j] += w; ...` (a constant `i`,
        `j` composed into one index): the writes go into `b`, with no copy of the slice
        and no write back (the adjoint of a slice, into which pieces are added)."""
        base, index, s = op.inputs
        shape = _shape(base)
        if shape is None or not isinstance(index, Const):
            return None
        links: list[tuple[str, Operand, Operand]] = []
        reads = 1
        while True:
            p = self.producers.get(s) if isinstance(s, Value) else None
            if p is None or self.uses.get(s, 0) != reads:
                return None
            if p.prim == "getitem" and p.inputs[0] is base and p.inputs[1] == index:
                break
            if p.prim not in ("setitem", "add_at"):
                return None
            how, inner, value = self._link(p)
            links.append((how, inner, value))
            s, reads = p.inputs[0], 2 if how == "add" and p.prim == "setitem" else 1
        composed = [compose(index, inner, shape) for _, inner, _ in links]
        if not links or None in composed:
            return None
        return self._write(added, base, links[::-1], composed[::-1], op)

    def _link(self, p: Op) -> tuple[str, Operand, Operand]:
        """What a write `p` (setitem, add_at) of `b` does: ("add", index, v) for
        `b[index] += v` (an increment read once, or add_at), else ("set", index, v)."""
        base, index, value = p.inputs
        if p.prim == "add_at":
            return "add", index, value
        add = self.producers.get(value) if isinstance(value, Value) else None
        read = self.producers.get(add.inputs[0]) if add is not None and add.prim == "add" else None
        if read is not None and read.prim == "getitem" and read.inputs[0] is base and read.inputs[1] == index \
                and self.uses.get(value, 0) == 1:
            return "add", index, add.inputs[1]
        return "set", index, value

    def _scalar_writes(self, s: Operand) -> tuple[Op, list[tuple[str, Operand, Operand]]] | None:
        """(zeros_like op, [(how, index, number), ...] in order) if `s` is zeros into which
        numbers were written ("set") or added ("add") at indices, else None."""
        links: list[tuple[str, Operand, Operand]] = []
        while True:
            p = self.producers.get(s) if isinstance(s, Value) else None
            if p is not None and p.prim == "np.zeros_like" and kind_of_operand(p.inputs[0]) == kind_of_operand(s):
                return p, links[::-1]
            if p is None or p.prim not in ("setitem", "add_at"):
                return None
            how, inner, value = self._link(p)
            if not isinstance(kind_of_operand(value), Scalar):
                return None
            links.append((how, inner, value))
            s = p.inputs[0]

    def _write(self, added: list[Op], a: Operand, links: list, at: list, like: Op) -> Operand:
        """`a` with the writes of `links` done at the indices `at` (`OUTSIDE`: none)."""
        for (how, _, value), index in zip(links, at):
            if index is OUTSIDE:
                continue
            if how == "add":
                current = self._new(added, "getitem", [a, index], like)
                value = self._new(added, "add", [current, value], like)
            a = self._new(added, "setitem", [a, index, value], like)
        return a

    def _piece_of_scatter(self, op: Op, added: list[Op]) -> Operand | None:
        """`s[k]`, where `s` is zeros into which numbers were written or added at constant
        indices, is zeros of the piece's shape with the numbers that fall inside it
        (the piece of a join's cotangent, for each item: no full-size zeros to cut)."""
        s, index = op.inputs
        shape = _shape(s)
        if self.readers.get(s) != {"getitem"}:
            return None  # (cut into pieces only: not `s[k] += v`, where it is written on)
        piece = kind_of_operand(op.result)
        if not isinstance(piece, Array) or not piece.ndim or piece.shape is None:
            return None  # (a number read: not an array to write into)
        writes = self._scalar_writes(s) if shape is not None and isinstance(index, Const) else None
        if writes is None:
            return None
        zeros, links = writes
        at = [restrict(inner, index, shape) for _, inner, _ in links]
        if any(i is None for i in at):
            return None
        first = next((k for k, i in enumerate(at) if i is not OUTSIDE), None)
        if first is not None:  # (the first write into zeros: the number itself)
            links = links[:first] + [("set",) + links[first][1:]] + links[first + 1:]
        piece = self._new(added, "np.zeros_like", [self._new(added, "getitem", [zeros.inputs[0], index], op)], op)
        return self._write(added, piece, links, at, op)

    def _store_scatter(self, op: Op, added: list[Op]) -> Operand | None:
        """`a[k] = s`, where `a[k]` is zeros so far and `s` zeros with numbers written into
        it at constant indices, is those numbers written into `a` (at composed indices)."""
        a, index, s = op.inputs
        shape = _shape(a)
        if shape_of(index, shape) is None or shape_of(index, shape) != _shape(s):
            return None  # (`s` broadcast into the region: not the same positions)
        writes = self._scalar_writes(s)
        before = self._scalar_writes(a) if writes is not None else None
        if before is None or any(restrict(inner, index, shape) is not OUTSIDE for _, inner, _ in before[1]):
            return None  # (a[k] may not be zeros)
        links = writes[1]
        at = [compose(index, inner, shape) for _, inner, _ in links]
        if any(i is None for i in at):
            return None
        return self._write(added, a, links, at, op)

    def _sum_of_broadcast(self, op: Op, added: list[Op]) -> Operand | None:
        """The sum of a number broadcast to a shape is the number times the size."""
        (x,) = op.inputs if len(op.inputs) == 1 else (None,)
        p = self.producers.get(x) if isinstance(x, Value) else None
        if op.attrs or p is None or p.prim != "np.broadcast_to":
            return None
        value, shape = p.inputs
        if _shape(value) != () or not isinstance(shape, Const) or not isinstance(shape.value, (int, tuple)):
            return None
        size = math.prod(shape.value) if isinstance(shape.value, tuple) else shape.value  # (3,) or 3
        return self._new(added, "mul", [value, Const(size)], op)

    def _sum_of_product(self, op: Op, added: list[Op]) -> Operand | None:
        """`np.sum(a * b, axis)` where `b` does not vary along the summed axes (it has
        length 1 there, or lacks them) is `np.sum(a, axis) * b`: the product then meets
        the few elements of the sum, not the many of `a` (in a gradient, a cotangent
        summed over the points it was broadcast to, times a tangent of the centroids)."""
        x = op.inputs[0] if len(op.inputs) == 1 else None
        p = self.producers.get(x) if isinstance(x, Value) else None
        if p is None or p.prim != "mul" or self.uses.get(x, 0) != 1 or set(op.attrs) - {"axis", "keepdims"}:
            return None
        shape, keep = _shape(x), op.attrs.get("keepdims", False)
        axes = _axes(op.attrs.get("axis"), len(shape)) if shape is not None else None
        if axes is None or not isinstance(keep, bool):
            return None
        for a, b in (p.inputs, p.inputs[::-1]):
            own, full = _shape(b), _shape(a)
            if not own or full is None or len(full) != len(shape) or any(
                    full[i] != shape[i] for i in axes) or getattr(kind_of_operand(a), "dtype", None) != x.kind.dtype:
                continue  # (a number is no array that varies less; `a` spans the summed axes, in the product's dtype)
            lacked = len(shape) - len(own)
            if any(i >= lacked and (own[i - lacked] != 1 or not keep) for i in axes):
                continue  # (without keepdims, an axis of `b` itself would stay)
            summed = self._new(added, "np.sum", [a], op, **op.attrs)
            return self._new(added, "mul", [summed, b], op)
        return None

    def _expanded_broadcast(self, op: Op, added: list[Op]) -> Operand | None:
        """`np.expand_dims(np.broadcast_to(s, shape), axis)` of a number `s` is `s`
        broadcast to the expanded shape (which an arithmetic op then drops)."""
        x, result = op.inputs[0], _shape(op.result)
        p = self.producers.get(x) if isinstance(x, Value) else None
        if p is None or p.prim != "np.broadcast_to" or result is None or _shape(p.inputs[0]) != ():
            return None
        return self._new(added, "np.broadcast_to", [p.inputs[0], Const(result)], op)

    def _stored_everywhere(self, op: Op, added: list[Op]) -> Operand | None:
        """`y = zeros; y[None, :] = v` where the index selects every element (only `:`,
        `None` and `...`) and `v` has the shape and dtype of `y[index]` is `v` reshaped:
        no zeros, no copy (the adjoint of `x[None, :]`)."""
        a, index, v = op.inputs
        root = self.producers.get(a) if isinstance(a, Value) else None
        parts = index.value if isinstance(index, Const) and isinstance(index.value, tuple) else (
            index.value if isinstance(index, Const) else object(),)
        if root is None or root.prim not in ("np.zeros_like", "np.zeros") or self.uses.get(a, 0) != 1:
            return None
        if not all(part is None or part is Ellipsis or (isinstance(part, slice) and part == slice(None))
                   for part in parts):
            return None
        shape, vkind = _shape(a), kind_of_operand(v)
        if shape is None or not isinstance(vkind, Array) or vkind.dtype != kind_of_operand(a).dtype:
            return None
        try:
            selected = np.broadcast_to(0.0, shape)[index.value].shape  # (no memory)
        except (IndexError, TypeError, ValueError):
            return None
        if vkind.shape != selected:
            return None
        return self._new(added, "np.reshape", [v, Const(shape)], op)

    def _unbroadcast_operands(self, op: Op) -> None:
        """`broadcast_to(s, shape) * y` is `s * y` when broadcasting `s` against `y`
        gives the same result shape: the view was never needed (so for `expand_dims`
        of leading axes, which broadcasting adds anyway)."""
        result = _shape(op.result)
        if result is None:
            return
        for i, x in enumerate(op.inputs):
            p = self.producers.get(x) if isinstance(x, Value) else None
            if p is None or p.prim not in ("np.broadcast_to", "np.expand_dims"):
                continue
            if p.prim == "np.expand_dims" and not _leading_axes(p):
                continue  # an axis inserted inside moves the others: broadcasting would not
            others = [kind_of_operand(y) for j, y in enumerate(op.inputs) if j != i]
            narrowed = broadcast([kind_of_operand(p.inputs[0])] + others)
            if narrowed is not None and _shape_of_kind(narrowed) == result:
                op.inputs[i] = p.inputs[0]

    def _simplify(self, op: Op) -> Operand | None:
        prim, inputs = op.prim, op.inputs
        if prim in ("getitem", "setitem", "add_at") and isinstance(inputs[1], Const):
            op.inputs[1] = plain_index(inputs[1], _shape(inputs[0]))
        if prim == "unbroadcast":
            g, x = inputs
            same = _shape(g) is not None and _shape(g) == _shape(x)
            return g if same else None
        if prim == "setitem":
            unchanged = self._unchanged(op)
            return unchanged if unchanged is not None else self._store_unbroadcast(op)
        if prim == "kept_writes" and self._selects_once(inputs[1]):
            return Const(1.0)  # no value written is replaced by a later one
        if prim == "np.broadcast_to":
            g, shape = inputs
            if isinstance(shape, Const) and _shape(g) == shape.value:
                return g
            return self._broadcast_leading(op)
        if prim == "np.reshape" and len(inputs) == 2 and not op.attrs:
            v, shape = inputs
            return v if isinstance(shape, Const) and _shape(v) == shape.value else None
        if prim == "np.atleast_2d" and len(inputs) == 1:
            return inputs[0] if (_ndim(inputs[0]) or 0) >= 2 else None
        if prim in ("transpose", "np.transpose") and len(inputs) == 1 and not op.attrs:
            return self._transpose(inputs[0])
        if prim == "np.shape" and _shape(inputs[0]) is not None:
            return Const(_shape(inputs[0]))
        if prim == "np.size" and _shape(inputs[0]) is not None:
            shape = _shape(inputs[0])
            if len(inputs) == 1:
                return Const(math.prod(shape))
            axis = inputs[1].value if isinstance(inputs[1], Const) else None
            return Const(shape[axis]) if isinstance(axis, int) else None
        if prim == "len" and _shape(inputs[0]):
            return Const(_shape(inputs[0])[0])
        if prim == "np.ndim" and _ndim(inputs[0]) is not None:
            return Const(_ndim(inputs[0]))
        if prim == "np.zeros_like" and isinstance(kind_of_operand(inputs[0]), Scalar):
            return Const(0.0)
        if prim == "getitem" and inputs[1] == Const(()) and _scalar_or_array(inputs[0]):
            return inputs[0]  # x[()] only turns a 0-d array into a scalar
        if prim == "getitem" and whole(inputs[1]) and _shape(op.result) is not None and \
                kind_of_operand(op.result) == kind_of_operand(inputs[0]):
            return inputs[0]  # slices of step 1 as long as the axes: all of it
        if prim == "add" and _shape(op.result) is not None:
            return self._add_nothing(op)
        if prim == "np.concatenate" and len(inputs) > 1:
            return self._join_without_empty(op)
        return None

    def _join_without_empty(self, op: Op) -> Operand | None:
        """`np.concatenate` leaves out items of length 0 along its axis (`a[1:, :0]`, the
        end of a row cut at its first column); of one item left, that item, if the join
        would make an array of its kind."""
        axis = op.attrs.get("axis", 0)
        result = kind_of_operand(op.result)
        if set(op.attrs) - {"axis"} or not isinstance(axis, int) or not isinstance(result, Array):
            return None
        shapes = [_shape(x) for x in op.inputs]
        if any(shape is None or len(shape) != result.ndim for shape in shapes):
            return None
        kept = [x for x, shape in zip(op.inputs, shapes) if shape[axis] != 0]
        if len(kept) == len(op.inputs) or not kept:
            return None
        if len(kept) == 1 and kind_of_operand(kept[0]) == result:
            if isinstance(kept[0], Value) and not kept[0].name:
                kept[0].name = op.result.name  # (it is the variable's value: `minor = a[1:, 1:]`)
            return kept[0]
        if len(kept) == 1:
            return None
        if any(kind_of_operand(x).dtype != result.dtype for x in kept):
            return None
        op.inputs = kept
        return None

    def _add_nothing(self, op: Op) -> Operand | None:
        """`a + zeros_like(y)`, or `a + e` of an empty `e` (the piece of an empty item of a
        join), is `a` where the sum has `a`'s kind."""
        for a, z in (op.inputs, op.inputs[::-1]):
            p = self.producers.get(z) if isinstance(z, Value) else None
            zeros = p is not None and p.prim == "np.zeros_like"
            if (zeros or _size(z) == 0) and kind_of_operand(a) == kind_of_operand(op.result):
                return a
        return None

    def _unchanged(self, op: Op) -> Operand | None:
        """`a[i] = a[i]` leaves `a` as it is (`a[i] += empty` after the empty sum went), as
        does writing an empty array into an empty region."""
        a, index, value = op.inputs
        region = shape_of(index, _shape(a))
        if _size(value) == 0 and region is not None and math.prod(region) == 0:
            return a
        p = self.producers.get(value) if isinstance(value, Value) else None
        if p is not None and p.prim == "getitem" and p.inputs[0] is a and p.inputs[1] == index:
            return a
        return None

    def _identity_factor(self, op: Op) -> Operand | None:
        """`np.eye(n) @ a` and `a @ np.eye(n)` are `a` (the seed of a batched forward
        pass meeting a matrix)."""
        if len(op.inputs) != 2:
            return None
        x, y = op.inputs
        for eye, other, axis in ((x, y, 0), (y, x, -1)):
            p = self.producers.get(eye) if isinstance(eye, Value) else None
            if p is None or p.prim != "np.eye" or p.attrs or len(p.inputs) != 1:
                continue
            shape = _shape(other)
            if shape and len(shape) <= 2 and p.inputs[0] == Const(shape[axis]):
                return other
        return None

    def _store_unbroadcast(self, op: Op) -> None:
        """`y[i] = broadcast_to(s, shape)` is `y[i] = s`: assignment broadcasts itself."""
        value = op.inputs[2]
        p = self.producers.get(value) if isinstance(value, Value) else None
        if p is not None and p.prim == "np.broadcast_to":
            op.inputs[2] = p.inputs[0]
        return None

    def _broadcast_leading(self, op: Op) -> Operand | None:
        """`broadcast_to(expand_dims(v, 0), shape)` is `broadcast_to(v, shape)`: leading
        axes are what broadcasting adds anyway."""
        g, shape = op.inputs
        p = self.producers.get(g) if isinstance(g, Value) else None
        if p is None or p.prim != "np.expand_dims" or len(p.inputs) != 2 or p.inputs[1] != Const(0):
            return None
        op.inputs = [p.inputs[0], shape]
        return None

    def _transpose(self, x: Operand) -> Operand | None:
        if _ndim(x) is not None and _ndim(x) <= 1:
            return x
        p = self.producers.get(x) if isinstance(x, Value) else None
        if p is not None and p.prim in ("transpose", "np.transpose") and not p.attrs and len(p.inputs) == 1:
            return p.inputs[0]
        return None


def _axes(axis, ndim: int) -> set[int] | None:
    """The axes a reduction's `axis` names, counted from 0 (None: all), or None if it is
    not a constant int or tuple of ints."""
    if axis is None:
        return set(range(ndim))
    items = axis if isinstance(axis, tuple) else (axis,)
    if not all(type(i) is int and -ndim <= i < ndim for i in items):
        return None
    return {i % ndim for i in items}


def _leading_axes(op: Op) -> bool:
    """Whether `np.expand_dims(v, axis)` only inserts leading axes (what broadcasting
    adds anyway)."""
    axis = op.inputs[1].value if len(op.inputs) == 2 and isinstance(op.inputs[1], Const) else op.attrs.get("axis")
    ndim = _ndim(op.result)
    if ndim is None or axis is None:
        return False
    axes = sorted(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
    return axes == list(range(len(axes)))


def _index_part(x: Operand) -> str | None:
    """What a part of an index is: "basic" (an int, a slice, `None`, `...`), "array" (a
    boolean mask, or a constant integer array without repeats: each selects a position at
    most once), or None (an integer array that may repeat one, or unknown)."""
    if not isinstance(x, Const):
        return _index_part_kind(kind_of_operand(x))
    value = x.value
    if value is None or value is Ellipsis or isinstance(value, (int, np.integer, np.bool_, slice)):
        return "basic"
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biu":
        return None
    if value.ndim == 0 or value.dtype.kind == "b":
        return "basic" if value.ndim == 0 else "array"
    distinct = np.unique(value).size == value.size
    one_sign = bool(np.all(value >= 0) or np.all(value < 0))  # -1 and n-1 may be one position
    return "array" if distinct and one_sign else None


def _index_part_kind(kind) -> str | None:
    """As `_index_part`, from a run-time part's kind: an int or bool, a slice, a mask."""
    if isinstance(kind, Scalar) and kind.dtype in ("int", "bool"):
        return "basic"
    if isinstance(kind, SliceKind):
        return "basic"
    if isinstance(kind, Array) and kind.dtype == "bool":
        return "array"
    return None


def _size(x: Operand) -> int | None:
    shape = _shape(x)
    return None if shape is None else math.prod(shape)


def _scalar_or_array(x: Operand) -> bool:
    kind = kind_of_operand(x)
    return isinstance(kind, Scalar) or (isinstance(kind, Array) and kind.ndim > 0)


def _shape_of_kind(kind) -> tuple | None:
    if isinstance(kind, Scalar):
        return ()
    return kind.shape if isinstance(kind, Array) else None


def run(fn: Function) -> bool:
    """Apply the kind-based simplifications to `fn`; True if anything changed."""
    readers: dict[Value, set[str]] = {}
    for op in walk_ops(fn.body):
        for x in op.inputs:
            if isinstance(x, Value):
                readers.setdefault(x, set()).add(op.prim)
        for region in op.regions:
            for y in region.yields:
                if isinstance(y, Value):
                    readers.setdefault(y, set()).add("yield")
    for y in fn.body.yields:
        if isinstance(y, Value):
            readers.setdefault(y, set()).add("yield")
    specializer = _Specializer(readers)
    return rewrite(fn, specializer, specializer.uses)
