"""Writing arrays in place: where the IR is functional (`y2 = setitem(y1, i, v)`,
`acc2 = acc1 + v`, a tape threaded through a loop), the emitted code updates the array
itself when nothing can see the change: memory this function made, not read afterwards,
with no alias or live view, not recorded on a tape. Otherwise it works on a copy, so
inputs are never modified. Mixed into the emitter.
"""

from __future__ import annotations

import ast
from typing import Collection


from ..ir import Const, Op, Operand, Value
from ..ir.types import ListKind
from ..ir.prims import carried_args, loop_inits
from ..primitives import PRIMITIVES
from .plan import LOOPS
from .text import _identifier, unparse


class InPlace:
    """The emitter's in-place statements (`y[i] = v`, `acc += v`, `tape.append(e)`)."""

    def _accumulates(self, op: Op, at: int) -> bool:
        """`acc = acc + v` may be `acc += v` (in place for an array): `acc` is an array
        this function owns that nothing reads afterwards, and the sum keeps its name
        (and its shape: the sum's kind is `acc`'s)."""
        acc = op.inputs[0]
        if not isinstance(acc, Value) or acc in self.inlined or acc not in self.names:
            return False
        name = self.names[acc]
        hint = self._hint(op.result)
        if _identifier(hint) != name or op.result.kind is None or op.result.kind != acc.kind:
            return False
        if acc.kind is not None and type(acc.kind).__name__ == "Scalar":  # rebinds the name
            return self.plan.last_use.get(acc, -1) <= at
        return self._writable(acc, at)

    def store(self, op: Op, at: int) -> list[str]:
        """`y2 = setitem(y1, i, v)` as `y[i] = v` on y1's array where nothing can see it
        change (a fresh array of this function, dead afterwards, no live views), else on
        a copy: inputs are never modified."""
        array, index, value = op.inputs
        target = ast.Subscript(None, self.index(index), ast.Store())
        listed = isinstance(array, Value) and isinstance(array.kind, ListKind)
        increment = None if listed else self._increment(array, index, value)  # (`xs[i] += v` changes the item)
        item = self.operand(value if increment is None else increment[1])
        statements: list[ast.stmt] = []
        name = self._updated(op, array, op.result, at, statements)
        target.value = ast.Name(name, ast.Load())
        if increment is None:
            statements.append(ast.Assign([target], item))
        else:
            statements.append(ast.AugAssign(target, increment[0](), item))
        return [line for s in statements for line in unparse(s).splitlines()]

    def push(self, op: Op, at: int) -> list[str]:
        """`xs2 = push(xs1, entry)` as `xs.append(entry)` on xs1's list where nothing reads
        it afterwards (a tape, a list the program grows), else on a copy."""
        listed, entry = op.inputs
        statements: list[ast.stmt] = []
        name = self._updated(op, listed, op.result, at, statements)
        call = ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "append", ast.Load()), [self.operand(entry)], [])
        statements.append(ast.Expr(call))
        return [line for s in statements for line in unparse(s).splitlines()]

    def pop(self, op: Op, at: int) -> list[str]:
        """`xs2, v = pop(xs1)` as `v = xs.pop()` on xs1's list where nothing reads it
        afterwards, else on a copy."""
        (listed,) = op.inputs
        rest, item = op.results
        statements: list[ast.stmt] = []
        name = self._updated(op, listed, rest, at, statements, ignoring={item})  # (popping leaves the item)
        popped = ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "pop", ast.Load()), [], [])
        statements.append(ast.Assign([ast.Name(self._define(item, at), ast.Store())], popped))
        return [line for s in statements for line in unparse(s).splitlines()]

    def _scatters_in_place(self, op: Op, at: int) -> bool:
        """`b = add_at(a, index, v)` may be `np.add.at(a, index, v)`: `a` is an array this
        function owns that nothing reads afterwards, and adding `v` keeps its dtype."""
        array = op.inputs[0]
        return isinstance(array, Value) and array.kind is not None and op.result.kind == array.kind \
            and self._writable(array, at) and self._same_role(array, op.result)

    def scatter_add(self, op: Op) -> list[str]:
        """`np.add.at(a, index, v)`: the adjoint of reads at indices that may repeat, added
        into the array itself (the helper `add_at` would copy it first)."""
        array, index, value = op.inputs
        name = self._adopt(op.result, self.names[array])
        function = ast.Attribute(ast.Attribute(ast.Name("np", ast.Load()), "add", ast.Load()), "at", ast.Load())
        call = ast.Call(function, [ast.Name(name, ast.Load()), self.operand(index), self.operand(value)], [])
        return unparse(ast.Expr(call)).splitlines()

    def _updated(self, op: Op, old: Operand, new: Value, at: int, statements: list[ast.stmt],
                 ignoring: Collection[Value] = ()) -> str:
        """The variable a statement updating `old` into `new` works on: `old`'s own where
        nothing can see the change, else a copy (its assignment appended to `statements`)."""
        if self._writable(old, at, ignoring) and self._same_role(old, new):
            return self._adopt(new, self.names[old])
        name = self._define(new, at, taken=self._names_read(op))
        statements.append(ast.Assign([ast.Name(name, ast.Store())], _copy(self.operand(old))))
        return name

    def _names_read(self, op: Op) -> set[str]:
        """The variables an op's statements read (through the expressions written inside
        them too): a copy made first must not take one of their names, which a read
        later in the same statements would then see overwritten."""
        found: set[str] = set()
        todo = list(op.inputs)
        while todo:
            x = todo.pop()
            if not isinstance(x, Value):
                continue
            if x in self.inlined:
                todo += self.inlined[x].inputs
            elif x in self.names:
                found.add(self.names[x])
        return found

    def _increment(self, array: Operand, index: Operand, value: Operand) -> tuple[type, Operand] | None:
        """(`ast.Add`, `v`) if `value` is `array[index] + v` computed just for this store
        (`ast.Sub` for `array[index] - v`): the store is then written `array[index] += v`
        (`-= v`)."""
        change = self.inlined.get(value)
        if change is None or change.prim not in ("add", "sub"):
            return None
        read = self.inlined.get(change.inputs[0])
        if read is None or read.prim != "getitem" or read.inputs[0] is not array or read.inputs[1] != index:
            return None
        return (ast.Add if change.prim == "add" else ast.Sub), change.inputs[1]

    def _role(self, value: Value) -> str | None:
        """What a variable holds: a derived value (an adjoint `b...`, a tangent `d...`),
        a value of the source (""), or a temporary (None), which may be anything."""
        if value in self.fn.derived_names:
            return self.fn.derived_names[value][0]
        return "" if value.name else None

    def _same_role(self, array: Value, result: Value) -> bool:
        """Whether `result` may take over `array`'s variable: never a cotangent written
        into a primal's array (`a[0] = 0.0` meaning `ba[0] = 0.0`), nor the reverse."""
        roles = {self._role(array), self._role(result)} - {None}
        return len(roles) <= 1

    def _writable(self, array: Operand, at: int, ignoring: Collection[Value] = ()) -> bool:
        """May `array` be changed in place at position `at`? Only memory this function
        made, that nothing reads afterwards (no alias, no live view but those `ignoring`
        names, which the change leaves as they are)."""
        if not isinstance(array, Value) or array not in self.names or not self._owned(array, set()):
            return False
        sources = self._sources(array, at)
        for source, since in sources.items():
            if source in self.plan.carried:  # the previous iteration's object, or the initial one
                _, _, yielded = self.plan.carried[source]
                if isinstance(yielded, Value) and yielded is not source and self.plan.viewers.get(yielded):
                    return False  # recorded or viewed: the next iteration must not change it
            # (the other sources' own reads are judged from their own positions)
            if any(self.plan.last_use.get(v, -1) > since for v in self._aliases(source, ignoring)
                   if v is source or v not in sources):
                return False
        return True

    def _owned(self, value: Operand, visiting: set[Value]) -> bool:
        """Made by this function: a fresh array, or a loop-carried value that starts and
        stays one (assumed while it is being checked, so loops check themselves)."""
        if not isinstance(value, Value):
            return False
        if value in visiting:
            return True
        producer = self.plan.producer.get(value)
        if producer is not None and producer.prim == "cond":
            k = producer.results.index(value)
            inner = visiting | {value}
            return all(self._owned(region.yields[k], inner) for region in producer.regions)
        if producer is not None and producer.prim in LOOPS:  # as its carried value
            carried = carried_args(producer, producer.regions[-1])
            k = producer.results.index(value)
            return k < len(carried) and self._owned(carried[k], visiting | {value})
        if producer is not None and producer.prim == "getitem" and producer.inputs[1] == Const(()):
            base = producer.inputs[0]  # `zeros[()]`: the same memory, a scalar for a scalar
            once = self.plan.last_use.get(base, -1) <= self.plan.start[producer]  # (not by a loop's next iteration)
            return self.plan.uses_of(base) == 1 and once and self._owned(base, visiting | {value})
        if producer is not None and producer.prim == "pop" and value is producer.results[1]:
            return False  # (an item of a list: whatever array was put in it)
        if producer is not None:
            return _makes_fresh_array(producer.prim)
        if value in self.plan.carried:
            _, init, yielded = self.plan.carried[value]
            inner = visiting | {value}
            return self._owned(init, inner) and self._owned(yielded, inner)
        return False

    def _sources(self, value: Value, at: int) -> dict[Value, int]:
        """The values whose memory `value` may be, each with the position after which a
        read of it would see a write at `at`: `value` itself; what a branch yielded for
        it (a branch that keeps `t` yields `t` itself; `t` read again later, by the next
        direction of a Jacobian's loop say, must not see the write); the initial value
        of a loop-carried one (from the loop's start: the first iteration's object); the
        initial and the last value of a loop's result (a loop may run no iteration; the
        last may be recorded on a tape), transitively (a loop in a loop, carrying what
        the outer one carries)."""
        found, todo = {value: at}, [value]
        while todo:
            v = todo.pop()
            producer = self.plan.producer.get(v)
            more: list[tuple[Operand, int]] = []
            if producer is not None and producer.prim == "cond":
                k = producer.results.index(v)
                more = [(region.yields[k], found[v]) for region in producer.regions]
            elif v in self.plan.carried:
                loop, init, _ = self.plan.carried[v]
                more = [(init, min(found[v], self.plan.start[loop]))]
            elif producer is not None and producer.prim in LOOPS:  # the last iteration's, or the initial one
                k = producer.results.index(v)
                more = [(loop_inits(producer)[k], found[v]), (producer.regions[-1].yields[k], found[v])]
            for y, since in more:
                if isinstance(y, Value) and found.get(y, since + 1) > since:
                    found[y] = since
                    todo.append(y)
        return found

    def _aliases(self, array: Value, ignoring: Collection[Value] = ()) -> set[Value]:
        """`array` and every value that may share its memory (views, what holds it, what
        a branch or a loop hands it out as, transitively; not through `ignoring`)."""
        found, todo = {array}, [array]
        while todo:
            v = todo.pop()
            for viewer in self.plan.viewers.get(v, []) + self.plan.passes_to.get(v, []):
                if viewer not in found and viewer not in ignoring:
                    found.add(viewer)
                    todo.append(viewer)
        return found


def _copy(value: ast.expr) -> ast.expr:
    """`value.copy()`: a copy of an array, or of a list."""
    return ast.Call(ast.Attribute(value, "copy", ast.Load()), [], [])


def _makes_fresh_array(prim: str) -> bool:
    """Prims whose array result is new memory this function owns."""
    return PRIMITIVES.get(prim).fresh
