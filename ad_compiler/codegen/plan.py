"""What codegen decides before it writes: where each statement stands, when each value is
last read, which single-use values are written inside their user's expression, and
which values may share memory (views).

Positions number the statements in the order they are written, nested regions included
(a region op spans from its header to the end of its last region). A value read inside a
loop but defined before it is live until the loop ends, since the next iteration reads
it again. These facts decide when a variable name can be reused and when an array may
be written in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Function, Op, Operand, Region, Value
from ..ir import prims
from ..ir.prims import EFFECTS, LOOP_HEAD, carried_args, loop_inits
from ..ir.types import ListKind
from ..primitives import PRIMITIVES

LOOPS = tuple(LOOP_HEAD)
STATEMENTS = ("setitem", "push", "pop", "add_at")
"""Prims written as statements that update their first operand, never as expressions
(`add_at` where it may: else as its helper's call, which adds into a copy)."""



def shares_memory(prim: str) -> bool:
    """Whether a prim's result may share memory with an operand (a view; `unbroadcast`
    returns its operand where nothing is summed), or hold a reference to it (a tuple, a
    list pushed to, `list(x)` of an array's rows, the item popped off a list)."""
    record = PRIMITIVES.get(prim)
    return record.view or record.shares

_MAX_OPS_PER_STATEMENT = 5
"""A single-use temporary is inlined into its user while the statement stays this small."""


@dataclass
class Plan:
    start: dict[Op, int] = field(default_factory=dict)
    end: dict[Op, int] = field(default_factory=dict)
    yield_at: dict[int, int] = field(default_factory=dict)  # id(region) -> position of its yields
    producer: dict[Value, Op] = field(default_factory=dict)
    inlined: dict[Value, Op] = field(default_factory=dict)
    last_use: dict[Value, int] = field(default_factory=dict)
    viewers: dict[Value, list[Value]] = field(default_factory=dict)
    carried: dict[Value, tuple[Op, Operand, Operand]] = field(default_factory=dict)
    """A loop's carried region argument -> (the loop, its initial value, its yield)."""
    passes_to: dict[Value, list[Value]] = field(default_factory=dict)
    """A value a branch or a loop's body yields -> the results it may become (as it is);
    a loop's initial value -> the carried arguments it starts as."""
    use_count: dict[Value, int] = field(default_factory=dict)

    def uses_of(self, value: Value) -> int:
        return self.use_count.get(value, 0)


class _Planner:
    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self.plan = Plan()
        self.counter = 0
        self.loops_of: dict[Value, tuple[Op, ...]] = {}  # loops enclosing a value's definition
        self.parent: dict[Op, Op] = {}  # an op inside a region -> the op owning the region
        self.owner: dict[int, Op] = {}  # id(a region's op list) -> the op owning the region
        self.uses: dict[Value, list[tuple[int, tuple[Op, ...], list | None, Op | None]]] = {}

    # numbering and uses
    def number(self, region: Region, loops: tuple[Op, ...], owner: Op | None = None) -> None:
        for a in region.args:
            self.loops_of[a] = loops
        if owner is not None:
            self.owner[id(region.ops)] = owner
        for op in region.ops:
            if owner is not None:
                self.parent[op] = owner
            self.plan.start[op] = self.counter
            self.counter += 1
            for k, x in enumerate(op.inputs):
                self.use(x, self.plan.start[op], loops, region.ops, op, k)
            inner = loops + (op,) if op.prim in LOOPS else loops
            for sub in op.regions:
                self.number(sub, inner, op)
            for sub in op.regions[1:] if op.prim == "while" else op.regions:
                for y, r in zip(sub.yields, op.results):
                    if isinstance(y, Value):
                        self.plan.passes_to.setdefault(y, []).append(r)
            self.plan.end[op] = self.counter if op.regions else self.plan.start[op]
            if op.regions:
                self.counter += 1
            for r in op.results:
                self.plan.producer[r] = op
                self.loops_of[r] = loops
            if shares_memory(op.prim) and not (op.prim == "getitem" and (_scalar(op.results[0]) or _listed(op.inputs[0]))):
                held = op.results[1:] if op.prim == "pop" else op.results  # (the rest of a list is updated,
                for x in op.inputs[1:] if op.prim == "push" else op.inputs:  # as is one pushed to)
                    if isinstance(x, Value):
                        self.plan.viewers.setdefault(x, []).extend(held)
            if op.prim in LOOPS:
                self._carry(op)
        self.plan.yield_at[id(region)] = self.counter
        self.counter += 1
        for y in region.yields:
            self.use(y, self.plan.yield_at[id(region)], loops, region.ops, None, -1)

    def _carry(self, op: Op) -> None:
        body = op.regions[-1]
        for k, (arg, init) in enumerate(zip(carried_args(op, body), loop_inits(op))):
            self.plan.carried[arg] = (op, init, body.yields[k])
            if isinstance(init, Value):  # (the first iteration's object: two carried the same init share it)
                self.plan.passes_to.setdefault(init, []).append(arg)
            if op.prim == "while":
                self.plan.carried[op.regions[0].args[k]] = (op, init, body.yields[k])

    def use(self, x: Operand, at: int, loops: tuple[Op, ...], ops: list, user: Op | None, k: int) -> None:
        if isinstance(x, Value):
            self.uses.setdefault(x, []).append((at, loops, ops, user, k))

    def live_until(self, value: Value, at: int, loops: tuple[Op, ...]) -> int:
        """A read inside loops that do not enclose the definition lasts until the outermost
        of them ends."""
        outer = [loop for loop in loops if loop not in self.loops_of.get(value, ())]
        return self.plan.end[outer[0]] if outer else at

    def _derived(self, value: Value) -> bool:
        """Whether a value is named after another that is emitted (`bx` after `x`); one
        whose base was optimized away is a plain temporary."""
        entry = self.fn.derived_names.get(value)
        return entry is not None and (entry[1] in self.loops_of or entry[1] in self.fn.params)

    # inlining
    def choose_inlined(self) -> None:
        size: dict = {}  # statement (an op, or a loop and one of its initial values) -> ops written in it
        carrying: dict[int, set[Op]] = {}
        for value, uses in self.uses.items():
            op = self.plan.producer.get(value)
            if op is None or len(uses) != 1 or self.fn.hint(value) or self._derived(value):
                continue
            at, _, ops, user, k = uses[0]
            in_region = op in ops if ops is not None else False
            if not in_region or op.regions or op.prim in STATEMENTS or len(op.results) != 1:
                continue
            if op.prim in EFFECTS and not _next_to(op, user, ops):
                continue  # a call run as written is written where it ran: `raise ValueError(...)`
            if id(ops) not in carrying:  # (computed once per list of ops: setdefault would compute it each time)
                carrying[id(ops)] = _carrying(ops)
            if user in ops and _passes_effects(op, user, ops, carrying[id(ops)]):
                continue  # `f(RS.uniform(), RS.normal())` written with a draw moved past another
            if user is not None and user.prim in STATEMENTS and k == 0:
                continue  # the updated array is a variable
            if user is None and ops is self.fn.body.ops and op.prim != "tuple":
                continue  # the function returns named values (a tuple of them may be inlined)
            init = user is not None and user.prim in LOOP_HEAD and k >= LOOP_HEAD[user.prim]
            if user is not None and not init and not _same_line(op, user):
                continue  # (a loop's initial values are assigned one per line, before it)
            statement = (user, k) if init else user
            here = size.get(statement, 1) if user is not None else 1
            if here + size.get(op, 1) > _MAX_OPS_PER_STATEMENT:
                continue
            self.plan.inlined[value] = op
            if user is not None:
                size[statement] = here + size.get(op, 1)

    def choose_expressions(self) -> None:
        """An `if` computing one value from expressions only (Python's `and`, `or`,
        `a if c else b`) is itself an expression, written inside its user. For `and` and
        `or` the condition, read twice in the IR (test and result), is written once."""
        changed = True
        while changed:
            changed = False
            for value, uses in self.uses.items():
                op = self.plan.producer.get(value)
                if value in self.plan.inlined or op is None or op.prim != "cond" or len(op.results) != 1:
                    continue
                if not (len(uses) == 1 and self._expression_site(op, uses[0]) or self._and_or_operand(value, uses)):
                    continue
                _, _, ops, user, _ = uses[0]
                if user in ops and _passes_effects(op, user, ops, _carrying(ops)):
                    continue  # `(RS.normal() if c else 1) @ f(RS.uniform())`: the draws keep their order
                if all(self._pure_expression(region) for region in op.regions):
                    self.plan.inlined[value] = op
                    self._inline_condition(op)
                    changed = True

    def _and_or_operand(self, value: Value, uses: list) -> bool:
        """Read twice, as the test of an `and`/`or` and as one of its results: written once."""
        if len(uses) != 2:
            return False
        users = [u[3] for u in uses]
        tests = [u for u in users if u is not None and u.prim == "cond" and u.inputs[0] is value]
        return len(tests) == 1 and any(value in region.yields for region in tests[0].regions)

    def _expression_site(self, op: Op, use: tuple) -> bool:
        _, _, ops, user, k = use
        if op not in ops or (user is None and ops is self.fn.body.ops):
            return False
        return user is None or (_same_line(op, user) and not (user.prim in STATEMENTS and k == 0))

    def _inline_condition(self, op: Op) -> None:
        pred = op.inputs[0]
        yields = [region.yields[0] for region in op.regions]
        producer = self.plan.producer.get(pred) if isinstance(pred, Value) else None
        if producer is None or pred not in yields or len(self.uses.get(pred, [])) != 2:
            return
        if pred.name or self._derived(pred) or len(producer.results) != 1:
            return
        if producer.prim in STATEMENTS or (producer.regions and pred not in self.plan.inlined):
            return
        self.plan.inlined[pred] = producer

    def _pure_expression(self, region: Region) -> bool:
        return not any(o.regions for o in region.ops) and all(
            all(r in self.plan.inlined for r in o.results) for o in region.ops
        )

    # liveness
    def effective(self, op: Op) -> int:
        """Where an op's statement is written: its own position, or its user's if inlined
        (an op inside a branch that became an expression is written where the branch is)."""
        parent = self.parent.get(op)
        if parent is not None and parent.results and parent.results[0] in self.plan.inlined:
            return self.effective(parent)
        position = self.plan.start[op]
        result = op.results[0] if len(op.results) == 1 else None
        while result is not None and result in self.plan.inlined:
            at, _, ops, user, _ = self.uses[result][0]
            if user is None:
                owner = self.owner.get(id(ops))
                inlined = owner is not None and owner.results and owner.results[0] in self.plan.inlined
                return self.effective(owner) if inlined else at
            position = self.plan.start[user]
            result = user.results[0] if len(user.results) == 1 else None
        return position

    def liveness(self) -> None:
        for value, uses in self.uses.items():
            last = -1
            for at, loops, ops, user, _ in uses:
                owner = self.owner.get(id(ops)) if user is None else None
                if owner is not None and owner.results and owner.results[0] in self.plan.inlined:
                    position = self.effective(owner)
                else:
                    position = self.effective(user) if user is not None else at
                last = max(last, self.live_until(value, position, loops))
            self.plan.last_use[value] = last
        for y in self.fn.body.yields:
            if isinstance(y, Value):
                self.plan.last_use[y] = self.counter


def plan_function(fn: Function) -> Plan:
    planner = _Planner(fn)
    planner.number(fn.body, ())
    planner.choose_inlined()
    planner.choose_expressions()
    planner.liveness()
    planner.plan.use_count = {value: len(uses) for value, uses in planner.uses.items()}
    return planner.plan


def _scalar(value: Value) -> bool:
    """Indexing that yields a scalar copies it: no view of the array is kept."""
    kind = value.kind
    return kind is not None and type(kind).__name__ == "Scalar"


def _carrying(ops: list[Op]) -> set[Op]:
    """The ops of a list that have effects or read, directly or not, one that has: an
    expression made of them would run those effects where it is written."""
    carrying: set[Op] = set()
    made: dict[Value, Op] = {}
    for op in ops:
        if prims.has_effects(op) or any(made.get(x) in carrying for x in op.inputs if isinstance(x, Value)):
            carrying.add(op)
        made.update((r, op) for r in op.results)
    return carrying


def _passes_effects(op: Op, user: Op, ops: list[Op], carrying: set[Op]) -> bool:
    """Whether inlining `op` into `user` would move effects past others: `op` carries
    some, and so does an op between the two, which would run first."""
    if op not in carrying:
        return False
    start, stop = ops.index(op), ops.index(user)
    return any(other in carrying for other in ops[start + 1:stop])


def _next_to(op: Op, user: Op | None, ops: list[Op]) -> bool:
    """Whether `user` is the op right after `op`: inlining `op` into it moves nothing."""
    if user is None or user not in ops:
        return False
    k = ops.index(op)
    return k + 1 < len(ops) and ops[k + 1] is user


def _listed(x: Operand) -> bool:
    """An item of a list is not a view of it: changing the list leaves the item as it was."""
    return isinstance(x, Value) and isinstance(x.kind, ListKind)


def _same_line(a: Op, b: Op) -> bool:
    return (a.loc.line if a.loc else None) == (b.loc.line if b.loc else None)
