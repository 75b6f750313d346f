"""Lists as preallocated arrays, for a backend without Python lists (numba).

Reverse mode records a loop's states on a list the loop grows (`hs.append(h)`, or a tuple
of them, `tape.append((t, x))`), read back by index or by a loop over it reversed, and
stacked after it. Where the list's final length is known before it is made — a display of
items, then pushes at the top level of counted loops with constant bounds, the same
number at every step — the list is one float array of that length made where the list
was, a push writes its row, and what reads the finished list reads the array:

    hs = [h0]                      hs = np.empty((51, 16))
    for t in range(50):            hs[0] = h0
        ...                        for t in range(50):
        hs.append(h)       ->          ...
    ... hs[t + 1] ...                  hs[t + 1] = h
    np.stack(hs[49::-1])           ... hs[t + 1] ...
                                   hs[49::-1]

An item is a float array of one known shape, a float, or a tuple of floats, ints, bools
and float vectors: a tuple's fields lie side by side in its row (`tape[k, 0] = t`,
`tape[k, 1:5] = x`), and a field is read back from the row as its own kind
(`int(entry[0])`, `entry[1:5]`, `entry[5] != 0`). Ints are exact in a float64 row up to
2**53.

A list read while it grows (its last item, `hs[-1]`, is another slot of the array), or
read in a way an array does not read the same (returned, popped, passed to a call), is
not rewritten: `lists_to_arrays` returns the op that made it, and the backend says why it
cannot take the function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from ..ir import Const, Function, Op, Operand, Region, Value, walk_ops
from ..ir.prims import LOOP_HEAD, carried_args, over_sequence
from ..ir.types import Array, Scalar, TupleKind
from ..passes import trips

_STACK = over_sequence("np.stack")
_REVERSED = slice(None, None, -1)


@dataclass(frozen=True)
class _Field:
    """Where one field of a tuple item lies in its row: `size` entries from `offset`; a
    scalar's kind (read back as it) or a vector's."""

    offset: int
    kind: Scalar | Array

    @property
    def size(self) -> int:
        return 1 if isinstance(self.kind, Scalar) else self.kind.shape[0]


@dataclass(frozen=True)
class _Counter:
    """A loop's counter: `start`, then `step` after step (a constant), `trips` times (a
    constant, or ops that compute it: `trips_of`); `bounds` are the operands it is
    computed from (`for_range`'s, or those of the `range` a `for_each` goes over)."""

    start: Operand
    step: int
    bounds: tuple[Operand, Operand, Operand]
    backwards: bool = False


@dataclass
class _Tape:
    """One list: the op that made it, its item kind, its pushes, the loops carrying it
    (op, carried index), the finished list and its slices, its rows read as tuples."""

    made: Op
    item: Any = None
    pushes: list[tuple[Op, Any, Op | None]] = field(default_factory=list)
    """Each push, its row (an int outside loops; in a loop, (its row at the first step,
    pushes per step, the counter's start and step): see `_row`), and its loop."""
    carried: list[tuple[Op, int]] = field(default_factory=list)
    finished: set[Value] = field(default_factory=set)
    entries: list[Value] = field(default_factory=list)
    """Values that are one item of a tuple tape (a loop's item, `tape[i]`), whose fields
    are read by `getitem(entry, k)`."""
    reversals: list[Op] = field(default_factory=list)
    length: int = 0
    """The rows known before any loop of a trip count known at run time..."""
    trips: list[tuple[int, _Counter]] = field(default_factory=list)
    """... and those loops: (pushes per step, its counter), whose rows follow."""

    @property
    def fields(self) -> list[_Field] | None:
        """A tuple item's fields (None for an array or a float item)."""
        if not isinstance(self.item, TupleKind):
            return None
        fields, offset = [], 0
        for kind in self.item.items:
            fields.append(_Field(offset, kind))
            offset += fields[-1].size
        return fields

    @property
    def row(self) -> tuple[int, ...]:
        fields = self.fields
        if fields is not None:
            return (fields[-1].offset + fields[-1].size,)
        return self.item.shape if isinstance(self.item, Array) else ()


def lists_to_arrays(fn: Function) -> list[Op]:
    """Rewrite every list of `fn` that can be an array (see the module docstring); the
    ops that made the lists left as lists, in program order."""
    producers = {r: op for op in walk_ops(fn.body) for r in op.results}
    users = _users(fn.body)
    left: list[Op] = []
    for op in list(walk_ops(fn.body)):
        if op.prim != "list":
            continue
        tape = _follow(op, producers, users, fn)
        if tape is None:
            left.append(op)
        else:
            _rewrite(tape, fn, producers)
    return left


def _users(region: Region, found: dict | None = None) -> dict[Value, list[tuple[Op | None, Region]]]:
    """Each value's readers: (op, the region it is in); (None, region) for a region's yield."""
    found = {} if found is None else found
    for op in region.ops:
        for x in op.inputs:
            if isinstance(x, Value):
                found.setdefault(x, []).append((op, region))
        for inner in op.regions:
            _users(inner, found)
    for x in region.yields:
        if isinstance(x, Value):
            found.setdefault(x, []).append((None, region))
    return found


def _item_kind(kind: Any) -> Any:
    """The kind of an item a row can hold, or None."""
    if isinstance(kind, Array) and kind.shape is not None and kind.dtype == "float":
        return kind
    if isinstance(kind, Scalar) and kind.dtype == "float":
        return kind
    if isinstance(kind, TupleKind) and kind.items and all(
        isinstance(k, Scalar) and k.dtype in ("float", "int", "bool")
        or isinstance(k, Array) and k.dtype == "float" and k.shape is not None and len(k.shape) == 1
        for k in kind.items
    ):
        return kind
    return None


def _same_item(tape: _Tape, x: Operand) -> bool:
    kind = _item_kind(x.kind if isinstance(x, Value) else None)
    if kind is None or (tape.item is not None and kind != tape.item):
        return False
    tape.item = kind
    return True


def _follow(made: Op, producers: dict[Value, Op], users, fn: Function) -> _Tape | None:
    """The tape a list display starts, if it can be an array."""
    tape = _Tape(made, length=len(made.inputs))
    if not all(_same_item(tape, x) for x in made.inputs):
        return None
    value = made.result
    while True:
        readers = users.get(value, [])
        if len(readers) != 1 or readers[0][0] is None:
            break  # (finished: read, not grown)
        reader = readers[0][0]
        if reader.prim == "push" and reader.inputs[0] is value:
            if not _same_item(tape, reader.inputs[1]):
                return None
            tape.pushes.append((reader, tape.length, None))
            tape.length += 1
            value = reader.result
        elif reader.prim in LOOP_HEAD and value in reader.inputs[LOOP_HEAD[reader.prim]:]:
            value = _loop(tape, reader, value, producers, users)
            if value is None:
                return None
        else:
            break
    if not tape.pushes or tape.item is None or not _finished_reads(tape, value, users):
        return None
    if tape.trips and not _bounds_known_at(made, tape, fn):
        return None
    return tape


def _bounds_known_at(made: Op, tape: _Tape, fn: Function) -> bool:
    """Whether the bounds of the loops of run-time trip counts are values defined where
    the list is made (its length is computed there)."""
    visible = _visible_at(fn.body, made, set(fn.params))
    return visible is not None and all(
        isinstance(b, Const) or b in visible for _, counter in tape.trips for b in counter.bounds)


def _visible_at(region: Region, op: Op, visible: set[Value]) -> set[Value] | None:
    """The values defined before `op` where it stands (None: not in `region`)."""
    visible = visible | set(region.args)
    for other in region.ops:
        if other is op:
            return visible
        for inner in other.regions:
            found = _visible_at(inner, op, visible)
            if found is not None:
                return found
        visible |= set(other.results)
    return None


def _loop(tape: _Tape, loop: Op, value: Value, producers, users) -> Value | None:
    """The list after `loop`, which carries `value` and pushes onto it at its top level the
    same number of items at every step, reading it nowhere else; None otherwise."""
    counter = _counter(loop, producers)
    if counter is None or len(loop.regions) != 1 or loop.inputs.count(value) != 1 or loop.inputs[0] is value:
        return None
    if tape.trips:
        return None  # (a loop after one of a run-time trip count: where it writes is not known)
    k = loop.inputs[LOOP_HEAD[loop.prim]:].index(value)
    body = loop.regions[0]
    current, pushes = carried_args(loop, body)[k], []
    while True:
        readers = users.get(current, [])
        if len(readers) != 1:
            return None
        reader, region = readers[0]
        if reader is None:
            if region is not body or body.yields[k] is not current:
                return None
            break
        if reader.prim != "push" or reader.inputs[0] is not current or region is not body \
                or not _same_item(tape, reader.inputs[1]):
            return None
        pushes.append(reader)
        current = reader.result
    if not pushes:
        return None
    for j, push in enumerate(pushes):
        tape.pushes.append((push, (tape.length + j, len(pushes), counter), loop))
    known = trips.counts(loop, producers)
    if known is not None:
        tape.length += len(pushes) * len(known)
    else:
        tape.trips.append((len(pushes), counter))
    tape.carried.append((loop, k))
    return loop.results[k]


def _counter(loop: Op, producers: dict[Value, Op]) -> _Counter | None:
    """The counter of a loop of constant step (1 where it counts a range backwards), or
    None (`trips.counter_bounds`)."""
    found = trips.counter_bounds(loop, producers)
    if found is None:
        return None
    (start, stop, step), backwards = found
    if not (isinstance(step, Const) and type(step.value) is int and step.value != 0):
        return None
    if backwards and step.value != 1:
        return None
    return _Counter(stop if backwards else start, -1 if backwards else step.value, (start, stop, step), backwards)


def _finished_reads(tape: _Tape, value: Value, users) -> bool:
    """Whether every reader of the finished list (or of a slice of it, or of it reversed)
    reads its array the same, gathering what `_rewrite` changes."""
    tape.finished.add(value)
    tuples = isinstance(tape.item, TupleKind)
    for reader, _ in users.get(value, []):
        if reader is None:
            return False
        if reader.prim == "for_each" and reader.inputs[0] is value and value not in reader.inputs[1:]:
            tape.entries.append(reader.regions[0].args[0])
            continue
        if reader.inputs[0] is not value:
            return False
        if reader.prim == "len":
            continue
        if reader.prim == "reversed":
            tape.reversals.append(reader)
            if not _finished_reads(tape, reader.result, users):
                return False
            continue
        if reader.prim == _STACK and not tuples and reader.attrs.get("axis", 0) == 0:
            continue
        if reader.prim != "getitem":
            return False
        index = reader.inputs[1]
        if isinstance(index, Const) and isinstance(index.value, slice):
            if not _finished_reads(tape, reader.result, users):
                return False
        elif isinstance(index, Const) and type(index.value) is int or isinstance(index, Value) \
                and index.kind == Scalar("int"):
            tape.entries.append(reader.result)
        else:
            return False  # (an index array reads a list of items, not rows)
    return not tuples or all(_fields_read(entry, users) for entry in tape.entries)


def _fields_read(entry: Value, users) -> bool:
    """A tuple entry is read field by field (`getitem(entry, k)`, k a constant) alone."""
    return all(reader is not None and reader.prim == "getitem" and reader.inputs[0] is entry
               and isinstance(reader.inputs[1], Const) and type(reader.inputs[1].value) is int
               for reader, _ in users.get(entry, []))


def _rewrite(tape: _Tape, fn: Function, producers: dict[Value, Op]) -> None:
    made = tape.made
    region, at = _place(fn.body, made)
    sizes: list[Op] = []
    rows = _rows(tape, sizes, made)
    known = rows.value if isinstance(rows, Const) else None
    dims = Const((known,) + tape.row) if known is not None else _op(
        sizes, "tuple", [rows, *map(Const, tape.row)], None, made)
    region.ops[at:at] = sizes
    at += len(sizes)
    array = Array(1 + len(tape.row), "float", (known,) + tape.row if known is not None else None)
    items, result = list(made.inputs), made.result
    made.prim, made.inputs, made.attrs = "np.empty", [dims], {}
    result.kind = array
    writes: list[Op] = []
    current = result
    for i, x in enumerate(items):
        current = _write(tape, writes, current, Const(i), x, made, producers)
    region.ops[at + 1:at + 1] = writes
    if current is not result:  # (what follows reads the array written)
        after = Region(ops=region.ops[at + 1 + len(writes):], yields=region.yields)
        _replace(after, result, current)
        region.yields = after.yields
    for push, position, loop in tape.pushes:
        listed, item = push.inputs
        body = loop.regions[0] if loop is not None else region
        before: list[Op] = []
        row = Const(position) if loop is None else _row(loop, position, push, before)
        written = _write(tape, before, listed, row, item, push, producers, into=push.result)
        body.ops[body.ops.index(push):body.ops.index(push) + 1] = before
        assert written is push.result
    for loop, k in tape.carried:
        carried_args(loop, loop.regions[0])[k].kind = array
        loop.results[k].kind = array
    for op in tape.reversals:  # `reversed(hs)`: the rows last to first
        op.prim, op.inputs = "getitem", [op.inputs[0], Const(_REVERSED)]
    _stacks_read_array(fn.body, tape.finished)
    if tape.fields is not None:
        for entry in tape.entries:
            _read_fields(fn.body, entry, tape.fields)


def _write(tape: _Tape, ops: list[Op], array: Value, row: Operand, item: Operand, at: Op,
           producers: dict[Value, Op], into: Value | None = None) -> Value:
    """Append to `ops` the writes of `item` into `array`'s row; the array written (the
    last write's result is `into`, when given)."""
    fields = tape.fields
    if fields is None:
        parts = [(row, item)]
    else:
        maker = producers.get(item) if isinstance(item, Value) else None
        values = maker.inputs if maker is not None and maker.prim == "tuple" else [
            _op(ops, "getitem", [item, Const(k)], f.kind, at) for k, f in enumerate(fields)]
        parts = [(_index(ops, row, f, at), value) for f, value in zip(fields, values)]
    for k, (index, value) in enumerate(parts):
        last = k == len(parts) - 1
        out = into if last and into is not None else Value(array.name, None)
        ops.append(Op("setitem", [array, index, value], [out], loc=at.loc))
        array = out
    return array


def _index(ops: list[Op], row: Operand, f: _Field, at: Op) -> Operand:
    """`[row, offset]` of a scalar field, `[row, offset:offset + size]` of a vector's."""
    column: Any = f.offset if isinstance(f.kind, Scalar) else slice(f.offset, f.offset + f.size)
    if isinstance(row, Const):
        return Const((row.value, column))
    return _op(ops, "tuple", [row, Const(column)], None, at)


def _op(ops: list[Op], prim: str, inputs: list[Operand], kind: Any, at: Op) -> Value:
    out = Value("", kind)
    ops.append(Op(prim, inputs, [out], loc=at.loc))
    return out


def _row(loop: Op, position: tuple[int, int, _Counter], at: Op, ops: list[Op]) -> Operand:
    """The row a loop's push writes, `first + per_step * (counter - start) / step` (the
    step's number times the pushes per step), computed by ops appended to `ops`."""
    first, per_step, counter = position
    index: Operand = loop.regions[0].args[0]
    start = counter.start
    if counter.backwards:  # (`reversed(range(a, b))` starts at b - 1)
        start = _sum(ops, start, -1, at)
    if counter.step > 0 and not (isinstance(start, Const) and start.value == 0):
        index = _op(ops, "sub", [index, start], Scalar("int"), at)
    elif counter.step < 0:  # (counting down from start)
        index = _op(ops, "sub", [start, index], Scalar("int"), at)
    if abs(counter.step) != 1:
        index = _op(ops, "floordiv", [index, Const(abs(counter.step))], Scalar("int"), at)
    if per_step != 1:
        index = _op(ops, "mul", [index, Const(per_step)], Scalar("int"), at)
    return _sum(ops, index, first, at)


def _sum(ops: list[Op], x: Operand, number: int, at: Op) -> Operand:
    """`x + number`, folded where `x` is a constant."""
    if isinstance(x, Const):
        return Const(x.value + number)
    return x if number == 0 else _op(ops, "add", [x, Const(number)], Scalar("int"), at)


def _difference(ops: list[Op], a: Operand, b: Operand, at: Op) -> Operand:
    """`a - b`, folded where `b` is zero or both are constants."""
    if isinstance(b, Const) and b.value == 0:
        return a
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(a.value - b.value)
    return _op(ops, "sub", [a, b], Scalar("int"), at)


def _rows(tape: _Tape, ops: list[Op], at: Op) -> Operand:
    """The tape's length: its known rows and, for each loop of a trip count known at run
    time, pushes per step times `max((stop - start + step - 1) // step, 0)` (ops appended
    to `ops`; the bounds are read where the list is made)."""
    rows: Operand = Const(tape.length)
    for per_step, counter in tape.trips:
        start, stop, step = counter.bounds
        span = _difference(ops, *((stop, start) if step.value > 0 else (start, stop)), at)
        if abs(step.value) != 1:
            span = _op(ops, "floordiv", [_sum(ops, span, abs(step.value) - 1, at), Const(abs(step.value))],
                       Scalar("int"), at)
        count: Operand = _op(ops, "max", [span, Const(0)], Scalar("int"), at)
        if per_step != 1:
            count = _op(ops, "mul", [count, Const(per_step)], Scalar("int"), at)
        rows = count if rows == Const(0) else _op(ops, "add", [rows, count], Scalar("int"), at)
    return rows


def _read_fields(body: Region, entry: Value, fields: list[_Field]) -> None:
    """Each `getitem(entry, k)` of a tuple entry reads field k from the row: a vector's
    slice, a float's entry, an int's as `int(...)`, a bool's as `... != 0`."""
    for region in _regions(body):
        for op in list(region.ops):
            if op.prim != "getitem" or op.inputs[0] is not entry:
                continue
            f = fields[op.inputs[1].value]
            if isinstance(f.kind, Array):
                op.inputs = [entry, Const(slice(f.offset, f.offset + f.size))]
            elif f.kind.dtype == "float":
                op.inputs = [entry, Const(f.offset)]
            else:
                number = Value("", Scalar("float"))
                region.ops.insert(region.ops.index(op), Op("getitem", [entry, Const(f.offset)], [number], loc=op.loc))
                if f.kind.dtype == "int":
                    op.prim, op.inputs = "int", [number]
                else:
                    op.prim, op.inputs = "ne", [number, Const(0.0)]


def _stacks_read_array(body: Region, read: set[Value]) -> None:
    """`np.stack(hs)` of the finished array (or of its slice) is that array: its readers
    read the array, and the op goes."""
    for region in _regions(body):
        for op in list(region.ops):
            if op.prim == _STACK and op.inputs[0] in read:
                _replace(body, op.result, op.inputs[0])
                region.ops.remove(op)


def _place(region: Region, op: Op) -> tuple[Region, int] | None:
    """The region holding `op` and its position there."""
    if op in region.ops:
        return region, region.ops.index(op)
    for other in region.ops:
        for inner in other.regions:
            found = _place(inner, op)
            if found is not None:
                return found
    return None


def _replace(region: Region, old: Value, new: Value) -> None:
    """Read `new` for `old` throughout `region`."""
    for op in region.ops:
        op.inputs = [new if x is old else x for x in op.inputs]
        for inner in op.regions:
            _replace(inner, old, new)
    region.yields = [new if x is old else x for x in region.yields]


def _regions(region: Region) -> Iterator[Region]:
    yield region
    for op in region.ops:
        for inner in op.regions:
            yield from _regions(inner)


__all__ = ["lists_to_arrays"]
