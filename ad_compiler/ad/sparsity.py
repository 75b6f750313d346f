"""Where a Jacobian may be nonzero, found from the IR (`jacobian(f, sparsity="detect")`,
`sparsity_pattern`), for `ad/sparse.py`'s colouring, which trusts it.

The function's IR, specialized to the arguments' shapes, is run on abstract values: each
value that depends on the differentiated argument carries, for each of its elements,
the set of that argument's (flattened) elements it may depend on (`Deps`, CSR rows);
every other value is computed, from the other arguments as given (index arrays, sizes),
by the primitives' own callables (`passes.fold.compute`). The sets are supersets of
the Jacobian's nonzeros at every value of the differentiated argument, never only at
one point: an entry missed would be a wrong Jacobian, an entry too many costs a colour.

How an op's result depends on its operands comes from its primitive's record: `moves`
(the primitive run on arrays of element ids says which element each result element is:
indexing, reshapes, joins, exact), `reads` (the elements each result element reads:
contractions, np.diff), `elementwise` (broadcast), `reduces` (along its axes),
`flattens` (along its axis: the whole lane), `stacks` (the whole matrix of its stack);
any other op's result elements each depend on every element of its operands (dense).
A comparison, a shape, `np.sign` (no derivative, `differentiable=False`) depend on
nothing. A branch whose condition depends on the differentiated argument is the union
of its arms; a loop runs as many times as it would where its trip count is known, else
to a fixed point of the union (which covers every trip count); so does a loop still
running after `_MAX_STEPS` steps.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import CompileError
from ..ir import Const, Function, Op, Operand, Region, Value, walk_ops
from ..ir.prims import LOOP_HEAD, OPAQUE, has_effects, packed_prim, raises
from ..passes.fold import compute
from ..primitives import PRIMITIVES
from ..primitives.reads import Ids
from .kinds import shape_of

_UNKNOWN = object()
"""The value of a value the differentiated argument may decide (or that only the run knows)."""

_MAX_ENTRIES = 30_000_000
"""The most dependences one value may have (a dense 5,000 x 6,000 block): past it,
detection is refused rather than the memory taken."""

_MAX_STEPS = 100_000
"""Loop iterations run one by one before the rest is taken as a fixed point."""

_MAX_ROUNDS = 1_000
"""Rounds of a fixed point before every carried value is taken to depend on everything."""

ADVICE = "pass the pattern with sparsity= (a boolean array or a SciPy sparse matrix, outputs by inputs)"


@dataclass(frozen=True, eq=False)
class Deps:
    """For each element of a value (C order), the differentiated inputs it may depend on:
    CSR rows (`indptr`, `indices` sorted within a row); with `indptr` None, `indices` for
    every element alike (a shape not known, or a dense fallback)."""

    shape: tuple | None
    indptr: np.ndarray | None
    indices: np.ndarray

    def rows(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(indptr, indices) of `size` elements (a uniform one repeated)."""
        if self.indptr is not None:
            return self.indptr, self.indices
        _check_size(size * self.indices.size)
        return (np.arange(size + 1, dtype=np.int64) * self.indices.size,
                np.tile(self.indices, size))

    def union(self) -> np.ndarray:
        return self.indices if self.indptr is None else _distinct(self.indices)

    def same(self, other: "Deps") -> bool:
        return (self.shape == other.shape and (self.indptr is None) == (other.indptr is None)
                and (self.indptr is None or np.array_equal(self.indptr, other.indptr))
                and np.array_equal(self.indices, other.indices))


@dataclass(eq=False)
class Abstract:
    """A value during detection: known (`value`), or not, with what it depends on."""

    value: Any = _UNKNOWN
    deps: Deps | None = None
    """None: on no differentiated input."""
    shape: tuple | None = None

    @property
    def known(self) -> bool:
        return self.value is not _UNKNOWN


@dataclass(eq=False)
class Items:
    """A tuple or list of values known item by item, some not known."""

    items: list = field(default_factory=list)


@dataclass(frozen=True)
class Detected:
    """A detected pattern: the entries (`rows[k]`, `cols[k]`, row-major) of a Jacobian of
    `shape` (outputs x inputs, flattened), and the prims that fell back to dense."""

    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    dense: tuple[str, ...]


def _check_size(entries: int) -> None:
    if entries > _MAX_ENTRIES:
        raise CompileError(f"sparsity detection would hold {entries:,} dependences for one value (more than "
                           f"{_MAX_ENTRIES:,}: the Jacobian is not sparse, or an operation detection does not see "
                           f"through made it look dense); {ADVICE}, or use a dense Jacobian")


def _shape(x: Any) -> tuple | None:
    """The shape of a known value that is a number or an array (None otherwise)."""
    if isinstance(x, (bool, int, float, complex, np.ndarray, np.generic)):
        return np.shape(x)
    return None


def _known(value: Any) -> Abstract:
    return Abstract(value, None, _shape(value))


def _size(shape: tuple) -> int:
    return math.prod(shape)


def _abstract_deps(x: Any) -> list[Deps]:
    """The dependences of an operand (every item of a tuple's)."""
    if isinstance(x, Items):
        return [d for item in x.items for d in _abstract_deps(item)]
    return [x.deps] if isinstance(x, Abstract) and x.deps is not None else []


def _distinct(x: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an int array (np.unique, by sorting: its hashing is
    slower on these)."""
    x = np.sort(x)
    return x[np.concatenate([[True], x[1:] != x[:-1]])] if x.size else x


def _union(deps: list[Deps]) -> np.ndarray:
    if not deps:
        return np.zeros(0, dtype=np.int64)
    return _distinct(np.concatenate([d.union() for d in deps]))


def _value(x: Any) -> Any:
    """The known value of an operand (a tuple of known items is a tuple), or _UNKNOWN."""
    if isinstance(x, Items):
        values = [_value(item) for item in x.items]
        return _UNKNOWN if any(v is _UNKNOWN for v in values) else tuple(values)
    return x.value


def _same(a: Any, b: Any) -> bool:
    """Whether two abstract values are the same (a loop's state that no longer changes)."""
    if isinstance(a, Items) or isinstance(b, Items):
        return isinstance(a, Items) and isinstance(b, Items) and len(a.items) == len(b.items) \
            and all(_same(x, y) for x, y in zip(a.items, b.items))
    if (a.deps is None) != (b.deps is None) or (a.deps is not None and not a.deps.same(b.deps)):
        return False
    return a.shape == b.shape and _equal_values(a.value, b.value)


def _equal_values(a: Any, b: Any) -> bool:
    if a is _UNKNOWN or b is _UNKNOWN:
        return a is b
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
    try:
        return bool(a == b) or (a != a and b != b)
    except Exception:  # noqa: BLE001 - values that do not compare are taken to differ
        return False


class _Detection:
    """One run of a function on abstract values, `n` the differentiated argument's size."""

    def __init__(self, fn: Function, n: int) -> None:
        self.fn, self.n = fn, n
        self.env: dict[Value, Any] = {}
        self.dense: set[str] = set()

    # --- regions and ops -----------------------------------------------------------

    def read(self, x: Operand) -> Any:
        return _known(x.value) if isinstance(x, Const) else self.env[x]

    def region(self, region: Region, args: list) -> list:
        for arg, value in zip(region.args, args):
            self.env[arg] = value
        for op in region.ops:
            self.op(op)
        return [self.read(y) for y in region.yields]

    def op(self, op: Op) -> None:
        if op.prim == "cond":
            results = self.cond(op)
        elif op.prim in LOOP_HEAD:
            results = self.loop(op)
        else:
            try:
                results = self.apply(op, [self.read(x) for x in op.inputs])
            except CompileError as err:
                if err.file is not None:
                    raise
                raise CompileError.at(err.message, op.loc, self.fn) from None
        for result, value in zip(op.results, results):
            self.env[result] = value

    def apply(self, op: Op, operands: list) -> list:
        """The abstract results of an op without regions."""
        prim = op.prim
        if prim == "external":
            return [_known(_read_outside(op))]
        if prim in ("tuple", "list"):
            return [Items(list(operands))]
        if prim == "push" and isinstance(operands[0], Items):
            return [Items(operands[0].items + [operands[1]])]
        if prim == "pop" and isinstance(operands[0], Items) and operands[0].items:
            return [Items(operands[0].items[:-1]), operands[0].items[-1]]
        if prim == "getitem" and isinstance(operands[0], Items):
            return [self.item(operands[0], operands[1])]
        if prim == "setitem" and isinstance(operands[0], Items):
            return [self.replaced(operands[0], operands[1], operands[2])]
        if packed_prim(prim) != prim and isinstance(operands[0], Items):  # (np.stack of a list known item by item)
            return self.apply(Op(packed_prim(prim), [], op.results, op.attrs), operands[0].items)
        values = [_value(x) for x in operands]
        pure = prim not in OPAQUE and not has_effects(op) and PRIMITIVES.callable(prim) is not None
        record = PRIMITIVES.get(prim)
        if pure and record.reads_shape_only and values and values[0] is _UNKNOWN \
                and isinstance(operands[0], Abstract) and operands[0].shape is not None:
            values[0] = np.zeros(operands[0].shape, _dtype(op.inputs[0]))  # (np.zeros_like(x): x's shape alone)
        if pure and all(v is not _UNKNOWN for v in values):
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    made = compute(prim, values, op.attrs)
            except Exception:  # noqa: BLE001 - it raises at run time too: nothing to depend on
                return [Abstract(shape=shape_of(r)) for r in op.results]
            if record.iterator:  # (consumed by one loop: kept as the items it gives)
                made = tuple(made)
            made = tuple(made) if len(op.results) > 1 else (made,)
            return [_known(m) for m in made]
        shapes = [shape_of(r) for r in op.results]
        if len(shapes) == 1 and shapes[0] is None and pure:
            shapes = [_probed_shape(op, record, operands, values)]
        if not record.differentiable or not any(_abstract_deps(x) for x in operands):
            return [Abstract(shape=s) for s in shapes]
        if len(op.results) > 1:
            return [self.dense_result(op, operands, s) for s in shapes]
        return [self.dependent(op, record, operands, shapes[0])]

    def item(self, items: Items, index: Any) -> Any:
        """An item of a tuple or list known item by item (at an index not known: any)."""
        at = _value(index)
        if isinstance(at, (int, np.integer)) and -len(items.items) <= at < len(items.items):
            return items.items[at]
        if isinstance(at, slice):
            return Items(items.items[at])
        return _join_all(items.items) if items.items else Abstract()

    def replaced(self, items: Items, index: Any, value: Any) -> Any:
        """A list with an item replaced (at an index not known: any may be)."""
        at = _value(index)
        if isinstance(at, (int, np.integer)) and -len(items.items) <= at < len(items.items):
            return Items([value if k == at % len(items.items) else x for k, x in enumerate(items.items)])
        return Items([_join(x, value) for x in items.items])

    # --- dependences of one op -------------------------------------------------------

    def dependent(self, op: Op, record: Any, operands: list, shape: tuple | None) -> Any:
        """The result of an op with operands that depend on the differentiated argument."""
        try:
            made = _table(op, record, operands, shape)
        except CompileError:
            raise
        except Exception:  # noqa: BLE001 - a rule that cannot say: the dense fallback
            made = None
        if made is None:
            return self.dense_result(op, operands, shape)
        table, sources = made
        if isinstance(table, list):  # (pieces: np.split)
            return Items([Abstract(deps=_gather(sources, t, operands), shape=t.shape[:-1]) for t in table])
        if shape is None:  # (the rule ran on the operands' shapes: its result's is the op's)
            shape = table.shape[:-1]
        if table.shape[:-1] != tuple(shape):
            return self.dense_result(op, operands, shape)
        return Abstract(deps=_gather(sources, table, operands), shape=tuple(shape))

    def dense_result(self, op: Op, operands: list, shape: tuple | None) -> Abstract:
        """Each element depends on every element of every operand (sound for any op)."""
        self.dense.add(op.prim)
        return Abstract(deps=Deps(shape, None, _union([d for x in operands for d in _abstract_deps(x)])), shape=shape)

    # --- control flow --------------------------------------------------------------

    def cond(self, op: Op) -> list:
        predicate = _truth(_value(self.read(op.inputs[0])))
        if predicate is not _UNKNOWN:
            return self.region(op.regions[0] if predicate else op.regions[1], [])
        arms = [self.region(r, []) for r in op.regions if not raises(r)]
        if not arms:
            return [Abstract(shape=shape_of(r)) for r in op.results]
        return [_join_all(list(values)) for values in zip(*arms)]

    def loop(self, op: Op) -> list:
        head = LOOP_HEAD[op.prim]
        state = [self.read(x) for x in op.inputs[head:]]
        if op.prim == "while":
            test, body = op.regions
            for _ in range(_MAX_STEPS):
                going = _truth(_value(self.region(test, state)[0]))
                if going is _UNKNOWN:
                    break
                if not going:
                    return state
                state = self.region(body, state)
            return self.fixed_point(body, [], state)
        (body,) = op.regions
        items = self.iteration(op, [self.read(x) for x in op.inputs[:head]])
        if items is None:
            return self.fixed_point(body, [self.any_item(op)], state)
        reads_index = _reads(body, body.args[0])
        for step, item in enumerate(items):
            if step == _MAX_STEPS:
                return self.fixed_point(body, [self.any_item(op)], state)
            made = self.region(body, [item] + state)
            if not reads_index and all(_same(a, b) for a, b in zip(made, state)):
                return made  # (every later iteration gives this state again)
            state = made
        return state

    def iteration(self, op: Op, head: list) -> list | None:
        """The loop's index or items, one by one, where known (None: not known)."""
        if op.prim == "for_range":
            bounds = [_value(x) for x in head]
            if any(b is _UNKNOWN for b in bounds):
                return None
            return [_known(i) for i in range(*(int(b) for b in bounds))]
        (iterable,) = head
        if isinstance(iterable, Items):
            return list(iterable.items)
        value = iterable.value
        if value is not _UNKNOWN:
            try:
                return [_known(item) for item in value]
            except TypeError:
                return None
        if iterable.shape:  # (the rows of an array that depends on the argument)
            getitem = PRIMITIVES.get("getitem")
            return [self.dependent(Op("getitem", [], []), getitem, [iterable, _known(k)], iterable.shape[1:])
                    for k in range(iterable.shape[0])]
        return None

    def any_item(self, op: Op) -> Abstract:
        """The index or item of a loop at an iteration not known: any of them."""
        deps = _abstract_deps(self.read(op.inputs[0])) if op.prim == "for_each" else []
        shape = shape_of(op.regions[0].args[0])
        return Abstract(deps=Deps(shape, None, _union(deps)) if deps else None, shape=shape)

    def fixed_point(self, body: Region, head: list, state: list) -> list:
        """The union of a loop's states after any number of iterations from `state`."""
        for _ in range(_MAX_ROUNDS):
            made = [_join(a, b) for a, b in zip(state, self.region(body, head + state))]
            if all(_same(a, b) for a, b in zip(made, state)):
                return state
            state = made
        everything = Deps(None, None, np.arange(self.n, dtype=np.int64))  # (the union of every state)
        return [_join(_widened(s, everything), made) for s, made in zip(state, self.region(body, head + state))]


def _widened(x: Any, everything: Deps) -> Any:
    if isinstance(x, Items):
        return Items([_widened(item, everything) for item in x.items])
    return Abstract(deps=Deps(x.shape, None, everything.indices), shape=x.shape)


def _probed_shape(op: Op, record: Any, operands: list, values: list) -> tuple | None:
    """The shape of an op's result that kinds do not know (a shape a number argument
    gives), from its callable run with zeros for the operands not known, where only
    their shapes decide the result's (the arrays an elementwise op combines, a reduction
    reduces, a contraction multiplies, or the elements a primitive moves; never an index,
    a mask or a bound: `x[x < 0.2]`'s shape is the mask's values')."""
    if record.elementwise or record.reads is not None or record.stacks:
        shaped = set(range(len(operands)))
    elif record.moves:
        shaped = set(range(len(operands))) if record.packed else set(record.moves)
    else:
        shaped = {0} if record.reduces or record.flattens else set()
    probes = []
    for position, (x, v) in enumerate(zip(operands, values)):
        if v is _UNKNOWN and position in shaped and isinstance(x, Abstract) and x.shape is not None:
            v = np.zeros(x.shape)
        if v is _UNKNOWN:
            return None
        probes.append(v)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return _shape(compute(op.prim, probes, op.attrs))
    except Exception:  # noqa: BLE001 - not known
        return None


def _truth(value: Any) -> Any:
    """What `if value:` takes a known value for (_UNKNOWN where that raises)."""
    if value is _UNKNOWN:
        return value
    try:
        return bool(value)
    except Exception:  # noqa: BLE001 - it raises at run time too
        return _UNKNOWN


def _reads(region: Region, value: Value) -> bool:
    """Whether any op of `region` (nested ones too) or its yields read `value`."""
    return any(value in op.inputs for op in walk_ops(region)) or value in region.yields \
        or any(value in r.yields for op in walk_ops(region) for r in op.regions)


def _dtype(x: Operand) -> Any:
    kind = x.kind if isinstance(x, Value) else None
    return {"int": np.int64, "bool": np.bool_, "complex": np.complex128}.get(getattr(kind, "dtype", None), np.float64)


def _read_outside(op: Op) -> Any:
    """A number or array the function reads from outside, now (another object: not known)."""
    try:
        value = op.attrs["ref"].read()
    except NameError:
        return _UNKNOWN
    return value if _plain(value) else _UNKNOWN


def _plain(value: Any) -> bool:
    """A value detection reads (a number, an array, a string, None); of another object,
    it reads nothing (its attributes and calls run as written: not known)."""
    return _shape(value) is not None or isinstance(value, (str, type(None)))


def outside_values(fn: Function) -> tuple:
    """The numbers and arrays `fn` reads from outside, now: what a pattern detected for
    it depends on beside its arguments."""
    return tuple(_read_outside(op) for op in walk_ops(fn.body) if op.prim == "external")


def snapshot(values: Sequence[Any]) -> tuple:
    """Copies of the arrays among `values` (the caller may write into its own)."""
    return tuple(np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in values)


def same_values(kept: Sequence[Any], values: Sequence[Any]) -> bool:
    """Whether detection would read the same from `values` as from `kept`."""
    return len(kept) == len(values) and all(
        not _plain(a) and not _plain(b) or _plain(a) and _plain(b) and _equal_values(a, b)
        for a, b in zip(kept, values))


# --- joins ----------------------------------------------------------------------------

def _join(a: Any, b: Any) -> Any:
    """A value that may be either (a branch's arms, a loop's states)."""
    if isinstance(a, Items) and isinstance(b, Items) and len(a.items) == len(b.items):
        return Items([_join(x, y) for x, y in zip(a.items, b.items)])
    if isinstance(a, Items) or isinstance(b, Items):
        deps = _abstract_deps(a) + _abstract_deps(b)
        return Abstract(deps=Deps(None, None, _union(deps)) if deps else None)
    if (a.value is None) != (b.value is None):  # (None where the value is not made yet: a loop that returns)
        made = b if a.value is None else a
        return Abstract(_UNKNOWN, made.deps, made.shape)
    shape = a.shape if a.shape == b.shape else None
    value = a.value if _equal_values(a.value, b.value) else _UNKNOWN
    if a.deps is None or b.deps is None:
        deps = a.deps or b.deps
        if deps is not None and deps.shape != shape:
            deps = Deps(shape, None, deps.union())
        return Abstract(value, deps, shape)
    if shape is None or a.deps.indptr is None and b.deps.indptr is None:
        return Abstract(value, Deps(shape, None, _union([a.deps, b.deps])), shape)
    size = _size(shape)
    ids = np.arange(1, size + 1, dtype=np.int64).reshape(shape)
    return Abstract(value, _gather([a, b], np.stack([ids, ids + size], axis=-1), []), shape)


def _join_all(values: list) -> Any:
    out = values[0]
    for value in values[1:]:
        out = _join(out, value)
    return out


# --- the rules ------------------------------------------------------------------------

def _ids(x: Any, start: int) -> np.ndarray | None:
    """Ids `start + 1, start + 2, ...` of the elements of an operand, in its shape."""
    if not isinstance(x, Abstract) or x.shape is None:
        return None
    return np.arange(start + 1, start + 1 + _size(x.shape), dtype=np.int64).reshape(x.shape)


class _Numbering:
    """Element ids of the operands a rule reads, numbered in turn: `take(x)` gives an
    operand's ids and adds it to the sources the ids index."""

    def __init__(self) -> None:
        self.sources: list[Abstract] = []
        self.next = 0

    def take(self, x: Any) -> np.ndarray:
        ids = _ids(x, self.next)
        if ids is None:
            raise LookupError("an operand of a shape not known")
        self.sources.append(x)
        self.next += ids.size
        if isinstance(x.value, np.ndarray) and x.value.dtype.kind in "biuf":  # (its zeros: no element, `reads`)
            ids = np.where(x.value != 0, ids, 0)
        return ids.view(Ids)


def _is_array(x: Any) -> bool:
    """An operand a `reads` rule reads as an array of ids: one that depends on the
    argument, or a known array of floats (a constant matrix; an array of ints or bools, an
    index or a mask, or a number is passed as it is)."""
    return isinstance(x, Abstract) and (x.deps is not None or isinstance(x.value, np.ndarray)
                                        and x.value.dtype.kind in "fc")


def _table(op: Op, record: Any, operands: list, shape: tuple | None) -> tuple[Any, list] | None:
    """(ids each result element reads, along a last axis; the operands they number), by
    the first of the primitive's traits that says; None: none does."""
    numbering = _Numbering()
    if record.reads is not None:
        args = [numbering.take(x) if _is_array(x) else _value(x) for x in operands]
        if any(a is _UNKNOWN for a in args):
            return None
        table = record.reads(*args, **op.attrs)
        return None if table is None else (np.asarray(table), numbering.sources)
    if record.moves:
        return _moved(op, record, operands, numbering)
    arrays = [x for x in operands if isinstance(x, Abstract) and x.shape is not None]
    if record.elementwise:
        if any(not isinstance(x, Abstract) or (x.shape is None and x.value is not None) for x in operands):
            return None
        ids = [numbering.take(x) for x in arrays]
        shape = np.broadcast_shapes(*(i.shape for i in ids)) if shape is None else shape
        return np.stack([np.broadcast_to(i, shape) for i in ids], axis=-1), numbering.sources
    if shape is None:
        return None
    first = operands[0] if operands else None
    if not isinstance(first, Abstract) or first.shape is None:
        return None
    if record.reduces and ("axis" in op.attrs or len(operands) == 1):
        ids = numbering.take(first)
        axis = op.attrs.get("axis")
        axes = tuple(range(ids.ndim)) if axis is None else tuple(np.atleast_1d(axis) % max(ids.ndim, 1))
        kept = [k for k in range(ids.ndim) if k not in axes]
        lanes = np.transpose(ids, kept + list(axes))
        return lanes.reshape(tuple(shape) + (-1,)), numbering.sources
    if record.flattens and len(operands) == 1 and tuple(shape) == first.shape and _lane_axis(op, record) is not None:
        ids = numbering.take(first)
        axis = _lane_axis(op, record) % ids.ndim
        lanes = np.moveaxis(ids, axis, -1)
        table = np.broadcast_to(lanes[..., None, :], lanes.shape + (lanes.shape[-1],))
        return np.moveaxis(table, -2, axis), numbering.sources
    if record.stacks and len(arrays) == len(record.stacks) and len(arrays) == len([x for x in operands if _is_array(x)]):
        return _stacked(record.stacks, arrays, tuple(shape), numbering)
    return None


def _lane_axis(op: Op, record: Any) -> int | None:
    """The axis a `flattens` op works along (its callable's default where not given)."""
    if "axis" in op.attrs:
        return op.attrs["axis"]
    try:
        return inspect.signature(record.fn).parameters["axis"].default
    except (TypeError, ValueError, KeyError):
        return None


def _moved(op: Op, record: Any, operands: list, numbering: _Numbering) -> tuple[Any, list] | None:
    """A primitive that moves elements, run on their ids (`moves`)."""
    args = PRIMITIVES.arguments(op.prim, list(operands))
    taken = []
    for position, arg in enumerate(args):
        if position in record.moves:
            taken.append(tuple(numbering.take(x) for x in arg) if record.packed and position == 0
                         else numbering.take(arg))
        else:
            value = tuple(_value(x) for x in arg) if record.packed and position == 0 else _value(arg)
            if value is _UNKNOWN or (isinstance(value, tuple) and _UNKNOWN in value):
                return None
            taken.append(value)
    made = PRIMITIVES.callable(op.prim)(*taken, **op.attrs)
    if isinstance(made, (list, tuple)):
        return [np.asarray(m, dtype=np.int64)[..., None] for m in made], numbering.sources
    return np.asarray(made, dtype=np.int64)[..., None], numbering.sources


def _stacked(stacks: tuple, arrays: list, shape: tuple, numbering: _Numbering) -> tuple[Any, list] | None:
    """A primitive over stacks of matrices (`stacks`): each result element reads its
    stack's matrices whole."""
    ids = [numbering.take(x) for x in arrays]
    leading = [i.shape[:i.ndim - rank] for i, rank in zip(ids, stacks)]
    batch = np.broadcast_shapes(*leading)
    if tuple(shape[:len(batch)]) != tuple(batch):
        return None
    lanes = np.concatenate([np.broadcast_to(np.reshape(i, lead + (-1,)), batch + (_size(i.shape[len(lead):]),))
                            for i, lead in zip(ids, leading)], axis=-1)
    rest = shape[len(batch):]
    table = np.broadcast_to(np.reshape(lanes, batch + (1,) * len(rest) + lanes.shape[-1:]),
                            tuple(shape) + lanes.shape[-1:])
    return table, numbering.sources


def _gather(sources: list, table: np.ndarray, operands: list) -> Deps:
    """Each result element's dependences: the union of those of the source elements its
    row of `table` names (ids from 1; 0: none), and of every element of the operands that
    depend on the argument but are not among the sources (read whole)."""
    out_shape = table.shape[:-1]
    rows_out = _size(out_shape)
    table = np.reshape(np.asarray(table, dtype=np.int64), (rows_out, table.shape[-1])) - 1
    width = table.shape[1]
    parts_ptr, parts_idx, base = [], [], 0
    for x in sources:
        size = _size(x.shape)
        if x.deps is None:
            ptr, idx = np.zeros(size + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
        else:
            ptr, idx = x.deps.rows(size)
        parts_ptr.append(ptr[:-1] + base if parts_ptr else ptr[:-1])
        parts_idx.append(idx)
        base += idx.size
    indptr = np.concatenate(parts_ptr + [np.array([base], dtype=np.int64)]) if sources else np.zeros(1, np.int64)
    indices = np.concatenate(parts_idx) if parts_idx else np.zeros(0, dtype=np.int64)
    valid = table >= 0
    safe = np.where(valid, table, 0)
    table = np.where(valid & (indptr[safe + 1] > indptr[safe]), table, -1)  # (elements that depend on nothing: none)
    if width > 1:  # (a row naming one element, once or twice (x * x), is that element's row)
        ordered = np.sort(table, axis=1)
        if not np.any((ordered[:, :-1] >= 0) & (ordered[:, 1:] != ordered[:, :-1])):
            table, width = ordered[:, -1:], 1
    flat = table.reshape(-1)
    valid = flat >= 0
    safe = np.where(valid, flat, 0)
    lens = np.where(valid, indptr[safe + 1] - indptr[safe], 0)
    _check_size(int(lens.sum()))
    starts = np.where(valid, indptr[safe], 0)
    total = int(lens.sum())
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    cols = indices[np.repeat(starts, lens) + within]
    read = {id(x) for x in sources}
    extra = _union([d for x in operands if id(x) not in read for d in _abstract_deps(x)])
    if width == 1 and not extra.size:  # (each element one source element's: its row as it is)
        return Deps(tuple(out_shape), np.concatenate([[0], np.cumsum(lens)]).astype(np.int64), cols)
    rows = np.repeat(np.repeat(np.arange(rows_out, dtype=np.int64), width), lens)
    if extra.size:
        _check_size(total + rows_out * extra.size)
        rows = np.concatenate([rows, np.repeat(np.arange(rows_out, dtype=np.int64), extra.size)])
        cols = np.concatenate([cols, np.tile(extra, rows_out)])
    n = int(cols.max()) + 1 if cols.size else 1
    keys = _distinct(rows * n + cols)
    rows, cols = keys // n, keys % n
    counts = np.bincount(rows, minlength=rows_out) if rows.size else np.zeros(rows_out, dtype=np.int64)
    return Deps(tuple(out_shape), np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), cols.astype(np.int64))


# --- the entry ------------------------------------------------------------------------

def detect(fn: Function, wrt: int, arguments: Sequence[Any]) -> Detected:
    """The sparsity pattern of the Jacobian of `fn`'s one result w.r.t. its parameter
    `wrt`, for these values of its other parameters (`arguments` holds one value for
    each parameter; the one at `wrt` gives only its shape)."""
    x = np.asarray(arguments[wrt])
    n = x.size
    detection = _Detection(fn, n)
    args: list[Any] = []
    for i, value in enumerate(arguments):
        if i == wrt:
            ids = np.arange(n, dtype=np.int64)
            args.append(Abstract(deps=Deps(x.shape, np.arange(n + 1, dtype=np.int64), ids), shape=x.shape))
        else:
            args.append(_known(value) if _plain(value) else Abstract())
    if len(fn.returns) != 1:
        raise CompileError(f"sparsity detection takes a function of one array result; {fn.name} returns "
                           f"{len(fn.returns)}")
    detection.env.update(zip(fn.params, args))
    (out,) = detection.region(fn.body, [])
    shape = None
    if isinstance(out, Abstract):  # (a tuple's items have shapes of their own)
        shape = out.shape if out.shape is not None else shape_of(fn.returns[0])
        if out.deps is not None and out.deps.indptr is not None and out.deps.indptr.size != _size(shape or ()) + 1:
            shape = None
    if shape is None:
        raise CompileError(f"sparsity detection needs the shape of what {fn.name} returns, and it is not known "
                           f"here (a tuple, or an array a loop of unknown length grows); {ADVICE}")
    m = _size(shape)
    if out.deps is None:
        indptr, cols = np.zeros(m + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    else:
        indptr, cols = out.deps.rows(m)
    rows = np.repeat(np.arange(m, dtype=np.int64), np.diff(indptr))
    return Detected((m, n), rows, cols, tuple(sorted(detection.dense)))
