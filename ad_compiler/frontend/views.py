"""Views and element writes: refuse a program whose compiled code would disagree with NumPy.

In the IR an element write is functional: `y[i] = v` makes a new value of `y`. In NumPy
it changes the array, and so every view of it (`w = y[0:2]`, `y.T`, `np.reshape(y, s)`,
... the prims whose records have the trait `view`) and, through a view, its base. Compiled code keeps
the old values in those. The two agree exactly when no value that shares memory with
the written array, and existed before the write, is read after it. `check_views` finds
the programs where one is, and refuses them at the write, naming both variables.

The check is an abstract interpretation of the freshly lowered IR, in program order,
branches joined, loops run to a fixed point (so a view made in one iteration and read in
a later one counts). It knows nothing of the arguments (the lowered IR serves every
signature), only what the program itself fixes:

- each value has *places*: (root, region) pairs saying which memory it may cover. A
  root is an array something made (an argument, a NumPy result, a module array read by
  name); a view has its operand's roots; a region is the whole root, an unknown part of
  it, or a box of intervals on its first axes, parsed from a basic index;
- a write marks every existing value whose places overlap the written region as *stale*;
  reading a stale value (other than for its shape) is the disagreement. A view of a
  stale value inherits the stale part it covers;
- two regions are disjoint only when provably so: constant indices and slice bounds of
  the same sign, or the same integer (a loop index, a length, plus or minus constants)
  with different offsets, known not to be negative (a loop index from a non-negative
  start, a length, a counter that only grows). A for-loop's index advances by its
  constant step, so a row read or written in an earlier iteration is known to lie
  before (or, counting down, after) the current one.

`x[i]` with integer parts only is a copy (a number) when `x` has exactly that many axes,
a view when it has more. Where the program does not fix the rank of `x` (it comes from
an argument), it counts as a view; so does an index the program does not fix to be an
integer array or a mask. A module-level integer array or mask used as an index counts as
one while its name holds it: the check adds an `is` guard, so rebinding the name lowers
(and checks) the function again.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Iterable, NoReturn, Optional, Union

import numpy as np

from ..errors import UnsupportedError
from ..ir.core import Const, Function, Op, Operand, Region, Value
from ..ir.prims import LOOP_HEAD, carried_args, loop_inits
from ..ir.types import ListKind
from ..primitives import PRIMITIVES
from .fixed import END, Bound, Fixed

# ---- places ----


@dataclass(frozen=True)
class Interval:
    """[lo, hi) on one axis, positions after NumPy's wrapping and clipping. `past` holds
    the loop indices it was moved back (or forward) by, to the iterations before."""

    lo: Bound
    hi: Bound
    past: frozenset = frozenset()


ALIGNED = "aligned"
"""The region of the root itself (its versions, the argument as given)."""
WHOLE = None
"""Some unknown part of the root (a transpose of it, a view of an unknown index)."""

Extent = Union[str, None, tuple]  # ALIGNED, WHOLE, or a box: a tuple of Interval | None per axis
Place = tuple  # (root, region)


@dataclass(frozen=True)
class _Old:
    """The instances of a root a loop made in its earlier iterations."""

    root: Any


@dataclass(frozen=True)
class _ConstRoot:
    array_id: int



_VIEW_METHODS = frozenset({"view", "swapaxes", "squeeze", "diagonal", "ravel", "reshape", "transpose"})
"""Methods a program may call as written (`call` with a `method`) that return a view."""


# ---- the abstract state ----

@dataclass(frozen=True)
class _Mark:
    """A write that changed (part of) a value: the `setitem` op and the place it wrote."""

    write: Op
    place: Place


@dataclass
class _State:
    places: dict[Any, frozenset] = field(default_factory=dict)  # key -> places
    stale: dict[Any, frozenset] = field(default_factory=dict)  # key -> marks
    defined: set = field(default_factory=set)

    def copy(self) -> "_State":
        return _State(dict(self.places), dict(self.stale), set(self.defined))

    def join(self, other: "_State") -> "_State":
        out = self.copy()
        for k, v in other.places.items():
            out.places[k] = out.places.get(k, frozenset()) | v
        for k, v in other.stale.items():
            out.stale[k] = out.stale.get(k, frozenset()) | v
        out.defined |= other.defined
        return out

    def same(self, other: "_State") -> bool:
        return self.places == other.places and self.stale == other.stale and self.defined == other.defined


class _Hazard(Exception):
    def __init__(self, key: Any, mark: _Mark, reader: Optional[Op]) -> None:
        super().__init__()
        self.key, self.mark, self.reader = key, mark, reader


def check_views(fn: Function, updates: frozenset = frozenset(), lists: frozenset = frozenset()) -> None:
    """Refuse (`UnsupportedError`, at the write) a program in which a value sharing memory
    with an array is read after an element write into that array changed it. `updates`:
    the ops of augmented assignments to a variable (`y += v`), which NumPy does in place
    on an array: a write of all of it. `lists`: the run-time lists (also those of kind
    `ListKind`), whose items are read and replaced, not viewed and written."""
    if not any((op.prim == "setitem" and not _listed(op.inputs[0], lists)) or op in updates
               for op in _all_ops(fn.body)):
        return
    checker = _Checker(fn, updates, lists)
    try:
        checker.run()
    except _Hazard as hazard:
        checker.refuse(hazard)


def _listed(x: Operand, lists: frozenset) -> bool:
    """A run-time list: its items are read and replaced, not viewed and written."""
    return isinstance(x, Value) and (x in lists or isinstance(x.kind, ListKind))


def _all_ops(region: Region) -> Iterable[Op]:
    for op in region.ops:
        yield op
        for sub in op.regions:
            yield from _all_ops(sub)


class _Checker:
    def __init__(self, fn: Function, updates: frozenset = frozenset(), lists: frozenset = frozenset()) -> None:
        self.fn = fn
        self.updates = updates
        self.lists = lists
        self.kinds = Fixed(fn)
        self.position: dict[Op, int] = {}
        self.loop_of: dict[Value, Op] = {}  # a loop's region argument -> the loop
        self._number(fn.body)

    def _number(self, region: Region) -> None:
        for op in region.ops:
            self.position[op] = len(self.position)
            for sub in op.regions:
                for a in sub.args:
                    self.loop_of[a] = op
                self._number(sub)

    # keys and places
    @staticmethod
    def key(x: Operand) -> Any:
        if isinstance(x, Value):
            return x
        if isinstance(x, Const) and isinstance(x.value, np.ndarray):
            return _ConstRoot(id(x.value))
        return None

    def places(self, st: _State, x: Operand) -> frozenset:
        k = self.key(x)
        if k is None:
            return frozenset()
        if isinstance(k, _ConstRoot):
            return st.places.get(k, frozenset({(k, ALIGNED)}))
        return st.places.get(k, frozenset())

    def run(self) -> None:
        st = _State()
        for p in self.fn.params:
            self.define(st, p, frozenset({(p, ALIGNED)}), frozenset())
        for op in _all_ops(self.fn.body):
            for x in op.inputs:
                k = self.key(x)
                if isinstance(k, _ConstRoot):
                    st.places[k] = frozenset({(k, ALIGNED)})
        self.region(st, self.fn.body)
        for y in self.fn.body.yields:
            self.read(st, y, None)

    def define(self, st: _State, v: Value, places: frozenset, stale: frozenset) -> None:
        """`v` takes a new value; the instance it held before (an earlier iteration's) is
        an old instance: as a root it is renamed, as an integer its bounds are forgotten."""
        if v in st.defined:
            self._forget(st, v)
        st.defined.add(v)
        st.places[v] = places
        st.stale[v] = stale

    def _forget(self, st: _State, v: Value) -> None:
        def fix(place: Place) -> Place:
            root, region = place
            if root == v:
                root = _Old(v)
            return (root, _widen(region, v))

        for k, ps in list(st.places.items()):
            if any(_mentions(p, v) for p in ps):
                st.places[k] = frozenset(fix(p) for p in ps)
        for k, ms in list(st.stale.items()):
            if any(_mentions(m.place, v) for m in ms):
                st.stale[k] = frozenset(_Mark(m.write, fix(m.place)) for m in ms)

    # reading
    def read(self, st: _State, x: Operand, reader: Optional[Op], region: Optional[list] = None) -> None:
        k = self.key(x)
        marks = st.stale.get(k) if k is not None else None
        if not marks:
            return
        touched = self.places(st, x) if region is None else frozenset(region)
        for m in sorted(marks, key=lambda m: self.position.get(m.write, 0)):
            if any(self.overlap(m.place, p) for p in touched):
                raise _Hazard(k, m, reader)

    def stale_part(self, st: _State, x: Operand, places: frozenset) -> frozenset:
        """The marks of `x` that touch `places` (a view of `x` covering them)."""
        k = self.key(x)
        marks = st.stale.get(k, frozenset()) if k is not None else frozenset()
        return frozenset(m for m in marks if any(self.overlap(m.place, p) for p in places))

    # the walk
    def region(self, st: _State, region: Region) -> None:
        for op in region.ops:
            self.op(st, op)

    def op(self, st: _State, op: Op) -> None:
        if op.prim == "cond":
            return self.cond(st, op)
        if op.prim in LOOP_HEAD:
            return self.loop(st, op)
        prim = op.prim
        if prim in ("getitem", "setitem") and _listed(op.inputs[0], self.lists):  # an item read or replaced
            for x in op.inputs[1:]:
                self.read(st, x, op)
            self.define(st, op.result, frozenset({(op.result, ALIGNED)}), frozenset())
            return
        if prim == "setitem":
            return self.setitem(st, op)
        if op in self.updates and self.kinds.rank_of(op.inputs[0]) != 0:  # (a number is rebound)
            return self.setitem(st, op, whole=True)
        if prim == "tuple":  # holds references: the stale parts travel with it
            places = frozenset((root, WHOLE) for x in op.inputs for root, _ in self.places(st, x))
            stale = frozenset().union(*(self._stale(st, x) for x in op.inputs))
            self.define(st, op.result, places, stale)
            return
        if self.is_view(op):  # makes no read of its operand's elements
            for x in op.inputs[1:]:
                self.read(st, x, op)
            places = self.view_places(st, op)
            for r in op.results:
                self.define(st, r, places, self.stale_part(st, op.inputs[0], places))
            return
        for k, x in enumerate(op.inputs):
            if k == 0 and PRIMITIVES.get(prim).reads_shape_only:
                continue
            region = None
            if k == 0 and prim == "getitem":
                region = list(self.indexed_places(st, op.inputs[0], op.inputs[1]))
            self.read(st, x, op, region)
        for r in op.results:
            self.define(st, r, frozenset({(r, ALIGNED)}), frozenset())

    def is_view(self, op: Op) -> bool:
        if op.prim == "getitem":
            return not self.kinds.copies(op)
        if op.prim == "call":
            return op.attrs.get("method") in _VIEW_METHODS
        return PRIMITIVES.get(op.prim).view and len(op.inputs) > PRIMITIVES.get(op.prim).viewed

    def view_places(self, st: _State, op: Op) -> frozenset:
        base = viewed(op)
        if op.prim == "getitem":
            return self.indexed_places(st, base, op.inputs[1])
        return frozenset((root, WHOLE if region == ALIGNED else region) for root, region in self.places(st, base))

    def indexed_places(self, st: _State, base: Operand, index: Operand) -> frozenset:
        """The places of `base[index]`: a box on the roots `base` is aligned with."""
        box = None
        out = set()
        for root, region in self.places(st, base):
            if region == ALIGNED:
                if box is None:
                    box = self.box(index)
                out.add((root, box))
            else:
                out.add((root, region))
        return frozenset(out)

    def box(self, index: Operand) -> Extent:
        axes: list[Optional[Interval]] = []
        for kind, payload in self.kinds.parts(index):
            if kind == "int":
                axes.append(self._int_interval(payload))
            elif kind == "slice":
                axes.append(self._slice_interval(payload))
            else:
                break  # None, ..., arrays and unknown parts: the axes after are not counted
        return tuple(axes) if any(a is not None for a in axes) else WHOLE

    def _position(self, b: Optional[Bound]) -> Optional[Bound]:
        """A bound as a position: negative constants count from the end; a sym plus a
        constant only if known not to be negative (NumPy would wrap it)."""
        if b is None:
            return None
        if b.sym is None:
            return Bound(END, b.c) if b.c < 0 else b
        lower = self.kinds.lower_of(b.sym)
        return b if lower is not None and lower + b.c >= 0 else None

    def _int_interval(self, b: Optional[Bound]) -> Optional[Interval]:
        at = self._position(b)
        return None if at is None else Interval(at, Bound(at.sym, at.c + 1))

    def _slice_interval(self, bounds: tuple) -> Optional[Interval]:
        start, stop, step = bounds
        if not (isinstance(step, Const) and (step.value is None or (self.kinds.is_int(step) and step.value > 0))):
            return None
        lo = None if _is_none(start) else self._position(self.kinds.linear(start))
        hi = None if _is_none(stop) else self._position(self.kinds.linear(stop))
        return Interval(lo or Bound(None, 0), hi or Bound(END, 0))  # absent or unknown: the axis' ends

    # regions
    def le(self, a: Bound, b: Bound) -> bool:
        """Whether position a <= position b for certain (positions clip to [0, n])."""
        if a.sym is None and a.c <= 0:
            return True
        if b.sym == END and b.c >= 0:
            return True
        if a.sym == b.sym:
            return a.c <= b.c
        if a.sym is None and isinstance(b.sym, Value):
            lower = self.kinds.lower_of(b.sym)
            return lower is not None and a.c <= lower + b.c
        return False

    def overlap(self, p: Place, q: Place) -> bool:
        if p[0] != q[0]:
            return False
        a, b = p[1], q[1]
        if not isinstance(a, tuple) or not isinstance(b, tuple):
            return True
        for x, y in zip(a, b):
            if x is not None and y is not None and (self.le(x.hi, y.lo) or self.le(y.hi, x.lo)):
                return False
        return True

    # writes
    def setitem(self, st: _State, op: Op, whole: bool = False) -> None:
        """An element write; `whole`: an in-place update of all of the array (`y += v`)."""
        target = op.inputs[0]
        for x in op.inputs[int(not whole):]:
            self.read(st, x, op)
        written = self.places(st, target) if whole else self.indexed_places(st, target, op.inputs[1])
        for k, ps in st.places.items():
            hit = [w for w in written if any(self.overlap(w, p) for p in ps)]
            if hit:
                st.stale[k] = st.stale.get(k, frozenset()) | {_Mark(op, w) for w in hit}
        tk = self.key(target)
        carried = st.stale.get(tk, frozenset()) if tk is not None else frozenset()
        before = frozenset(m for m in carried if m.write is not op)
        for r in op.results:
            self.define(st, r, self.places(st, target), before)

    # control flow
    def cond(self, st: _State, op: Op) -> None:
        self.read(st, op.inputs[0], op)
        outs = []
        for sub in op.regions:
            branch = st.copy()
            self.region(branch, sub)
            if sub.ops and sub.ops[-1].prim == "raise":
                continue  # never gets to its yields
            outs.append((branch, [(self.places(branch, y), self._stale(branch, y)) for y in sub.yields]))
        if not outs:
            return
        joined = outs[0][0]
        for branch, _ in outs[1:]:
            joined = joined.join(branch)
        st.places, st.stale, st.defined = joined.places, joined.stale, joined.defined
        for k, r in enumerate(op.results):
            places = frozenset().union(*(ys[k][0] for _, ys in outs if k < len(ys)))
            stale = frozenset().union(*(ys[k][1] for _, ys in outs if k < len(ys)))
            self.define(st, r, places, stale)

    def _stale(self, st: _State, x: Operand) -> frozenset:
        k = self.key(x)
        return st.stale.get(k, frozenset()) if k is not None else frozenset()

    def loop(self, st: _State, op: Op) -> None:
        head_inputs = op.inputs[:LOOP_HEAD[op.prim]]
        for x in head_inputs:
            if op.prim != "for_each":
                self.read(st, x, op)
        inits = loop_inits(op)
        body = op.regions[-1]
        index = body.args[0] if op.prim != "while" else None
        step = op.inputs[2] if op.prim == "for_range" else None
        entry = st.copy()
        if index is not None and index in entry.defined:
            self._forget(entry, index)  # a loop entered again starts its index anew
        head_args = carried_args(op, op.regions[0])
        init_info = [(self.places(st, x), self._stale(st, x)) for x in inits]
        for arg, (p, s) in zip(head_args, init_info):
            self.define(entry, arg, p, s)
        head = entry
        for _ in range(100):
            state = head.copy()
            if op.prim == "while":
                test = op.regions[0]
                self.region(state, test)
                self.read(state, test.yields[0], op)
                infos = [(self.places(state, a), self._stale(state, a)) for a in test.args]
                for arg, (p, s) in zip(carried_args(op, body), infos):
                    self.define(state, arg, p, s)
            else:
                if op.prim == "for_each":
                    iterable = op.inputs[0]
                    places = frozenset((root, WHOLE if region == ALIGNED else region)
                                       for root, region in self.places(state, iterable))
                    self.define(state, index, places, self.stale_part(state, iterable, places))
                state.defined.add(index)
            self.region(state, body)
            yields = [(self.places(state, y), self._stale(state, y)) for y in body.yields]
            for arg, (p, s) in zip(head_args, yields):
                self.define(state, arg, p, s)
            if op.prim == "for_range":
                _advance(state, index, step, self.kinds)
            elif index is not None:
                self._forget(state, index)
            new_head = entry.join(state)
            if new_head.same(head):
                break
            head = new_head
        else:  # pragma: no cover - the lattice is finite; this would be a bug
            raise AssertionError("views: no fixed point")
        exit_state = head.copy()
        if op.prim == "while":
            self.region(exit_state, op.regions[0])
        st.places, st.stale, st.defined = exit_state.places, exit_state.stale, exit_state.defined
        for r, arg in zip(op.results, head_args):
            self.define(st, r, self.places(exit_state, arg), self._stale(exit_state, arg))

    # the error
    def refuse(self, hazard: _Hazard) -> NoReturn:
        write = hazard.mark.write
        raise UnsupportedError(self.message(hazard), write.loc.file if write.loc else self.fn.file,
                               write.loc.line if write.loc else None, write.loc.col if write.loc else None,
                               self.fn.line_text(write.loc) if write.loc else None)

    def message(self, hazard: _Hazard) -> str:
        write = hazard.mark.write
        target = write.inputs[0]
        t = self.label(target)
        v = self.label(hazard.key)
        reader = hazard.reader
        if reader is None:
            where = "returned"
        else:
            where = f"read afterwards (line {reader.loc.line})" if reader.loc else "read afterwards"
            if self.position.get(reader, 0) < self.position.get(write, 0):
                where = f"read in a later iteration (line {reader.loc.line})" if reader.loc else \
                    "read in a later iteration"
        if write in self.updates:
            name = write.results[0].name or "y"
            symbol = self.source_operator(write)
            other = ("the array, under another name," if hazard.key is target
                     else f"{v}, which shares its memory,")
            return (f"`{name} {symbol}= ...` changes the array '{name}' in place in NumPy, and {other} "
                    f"is {where}; the compiled code would still have the old values there. Write "
                    f"`{name} = {name} {symbol} ...` to make a new array (for a number it is the same)")
        if hazard.key is target:  # one array under two names (a module array bound to a variable)
            name = self.written_name(write)
            array = target.name if isinstance(target, Value) and target.name else "the array"
            alias = f"'{name}'" if name and name != array else "the name written into"
            return (f"this element write changes {t} itself in NumPy ({alias} refers to it, not to a "
                    f"copy), and {t} is {where}; the compiled code would still have the old values "
                    f"there. If {t} should not change, write into a copy: `{name or 'z'} = np.copy({array})`")
        v_view = self.view_op(hazard.key)
        t_view = self.view_op(target)
        relation = self.relation(target, t_view, hazard.key, v_view)
        text = (f"this element write into {t} also changes {v} in NumPy ({relation}), and {v} is "
                f"{where}; the compiled code would still have the old values there. ")
        if v_view is not None:
            text += (f"If {v} should keep the old values, make it a copy where it is made: "
                     f"{self.copy_advice(hazard.key, v_view)}; "
                     f"if it should show the new ones, take it after this write")
        elif t_view is not None:
            text += (f"To change {v}, write into {v} itself; if {v} should not change, make {t} a copy "
                     f"where it is made: {self.copy_advice(target, t_view)}")
        else:
            text += (f"Make {t} a copy where it is assigned (np.copy), "
                     f"or write into {v} itself")
        for view in (v_view, t_view):
            if view is not None and view.prim == "getitem" and self.kinds.maybe_scalar(view):
                base = self.label(view.inputs[0])
                text += (f" ({self.source_of(view) or 'the index'} would be a number, not a view, if {base} "
                         f"had one axis per index, but its rank here depends on the arguments)")
                break
        return text

    @staticmethod
    def source_operator(op: Op) -> str:
        symbols = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
                   "pow": "**", "matmul": "@"}
        return symbols.get(op.prim, op.prim)

    def label(self, x: Any) -> str:
        if isinstance(x, Value) and x.name:
            return f"'{x.name}'"
        if isinstance(x, Const) and x.name:
            return f"'{x.name}'"
        if isinstance(x, _ConstRoot):
            return "a constant array"
        op = self.kinds.producer.get(x) if isinstance(x, Value) else None
        text = self.source_of(op) if op is not None else None
        if text:
            return f"'{text}'"
        return f"a value made at line {op.loc.line}" if op is not None and op.loc else "a value"

    def view_op(self, x: Any, seen: Optional[set] = None) -> Optional[Op]:
        """The op that made `x` as a view (through element writes into it), if any."""
        seen = set() if seen is None else seen
        while isinstance(x, Value) and x not in seen:
            seen.add(x)
            op = self.kinds.producer.get(x)
            if op is None:
                loop = self.loop_of.get(x)
                if loop is None:
                    return None
                body = loop.regions[-1]
                if loop.prim == "for_each" and x is body.args[0]:
                    return loop
                for region in loop.regions:  # a carried value: a view if its first or next one is
                    args = carried_args(loop, region)
                    if x in args:
                        k = args.index(x)
                        for source in (body.yields[k], loop_inits(loop)[k]):
                            found = self.view_op(source, seen) if source not in seen else None
                            if found is not None:
                                return found
                return None
            if op.prim == "setitem":
                x = op.inputs[0]
                continue
            return op if self.is_view(op) else None
        return None

    def relation(self, target: Operand, t_view: Optional[Op], other: Any, v_view: Optional[Op]) -> str:
        parts = []
        for x, view in ((other, v_view), (target, t_view)):
            if view is not None:
                base = viewed(view)
                line = f", made at line {view.loc.line}" if view.loc else ""
                parts.append(f"{self.label(x)} is a view of {self.label(base)}{line}")
        if not parts:
            return f"{self.label(target)} and {self.label(other)} may be the same array"
        return "; ".join(parts)

    def copy_advice(self, x: Any, view: Op) -> str:
        expr = self.source_of(view)
        name = x.name if isinstance(x, Value) and x.name else None
        line = self.fn.line_text(view.loc) if view.loc else None
        if expr and name and line is not None:
            try:
                stmt = ast.parse(line.strip()).body[0]
            except SyntaxError:
                stmt = None
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and stmt.targets[0].id == name and ast.get_source_segment(line.strip(), stmt.value) == expr):
                return f"`{name} = np.copy({expr})`"
        if name:
            return f"`{name} = np.copy({name})` right after it is made"
        return "np.copy it"

    def written_name(self, write: Op) -> Optional[str]:
        """The variable an element write names (`z` in `z[0] = v`)."""
        node = self.node_of(write)
        return node.value.id if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) else None

    def source_of(self, op: Op) -> Optional[str]:
        node = self.node_of(op)
        if node is None:
            return None
        return ast.get_source_segment(self.fn.line_text(op.loc).strip(), node)

    def node_of(self, op: Op) -> Optional[ast.AST]:
        """The ast node of the expression an op came from (parsed from its line), if found."""
        if op.loc is None:
            return None
        line = self.fn.line_text(op.loc)
        if line is None:
            return None
        text = line.strip()
        indent = len(line) - len(line.lstrip())
        tree = None
        for candidate in (text, text + "\n    pass"):
            try:
                tree = ast.parse(candidate)
                break
            except SyntaxError:
                continue
        if tree is None:
            return None
        wanted = {"getitem": ast.Subscript, "setitem": ast.Subscript, "transpose": ast.Attribute}.get(
            op.prim, ast.Call)
        col = op.loc.col - indent
        found = [n for n in ast.walk(tree) if isinstance(n, wanted) and getattr(n, "lineno", 0) == 1
                 and n.col_offset == col]
        if not found:
            return None
        return max(found, key=lambda n: n.end_col_offset or 0)


def _is_none(x: Operand) -> bool:
    return isinstance(x, Const) and x.value is None


def _mentions(place: Place, v: Value) -> bool:
    root, region = place
    if root == v:
        return True
    if isinstance(region, tuple):
        return any(a is not None and (a.lo.sym is v or a.hi.sym is v) for a in region)
    return False


def _widen(region: Extent, v: Value) -> Extent:
    if not isinstance(region, tuple):
        return region
    axes = tuple(None if a is not None and (a.lo.sym is v or a.hi.sym is v) else a for a in region)
    return axes if any(a is not None for a in axes) else WHOLE


def _advance(st: _State, index: Value, step: Operand, kinds: Fixed) -> None:
    """The loop index moves on by `step`: a place of an earlier iteration, in terms of the
    new index, lies before it (counting up) or after it (counting down)."""
    if not (isinstance(step, Const) and kinds.is_int(step) and step.value != 0):
        st.defined.add(index)
        return
    s = step.value

    def move(region: Extent) -> Extent:
        if not isinstance(region, tuple):
            return region
        axes = []
        for a in region:
            if a is None or not (a.lo.sym is index or a.hi.sym is index):
                axes.append(a)
            elif index in a.past:
                axes.append(a)  # already spans every earlier iteration
            elif s > 0:  # earlier: at most i - s + c
                hi = Bound(index, a.hi.c - s) if a.hi.sym is index else a.hi
                axes.append(Interval(Bound(None, 0), hi, a.past | {index}))
            else:  # counting down: earlier iterations are after
                lo = Bound(index, a.lo.c - s) if a.lo.sym is index else a.lo
                axes.append(Interval(lo, Bound(END, 0), a.past | {index}))
        return tuple(axes)

    for k, ps in list(st.places.items()):
        st.places[k] = frozenset((root, move(region)) for root, region in ps)
    for k, ms in list(st.stale.items()):
        st.stale[k] = frozenset(_Mark(m.write, (m.place[0], move(m.place[1]))) for m in ms)


def viewed(view: Op) -> Operand:
    """The operand whose memory a view op's result may share (an index's base)."""
    return view.inputs[0 if view.prim in ("getitem", "call") else PRIMITIVES.get(view.prim).viewed]
