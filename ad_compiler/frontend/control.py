"""Structured control flow: Python's `if`, conditional expressions, `and`/`or`, chained
comparisons, `for` and `while` lowered to the IR's `cond`, `for_range` and `while` ops
(DESIGN §3).

SSA without phi nodes: a branch or loop body is a region; the variables it assigns that
live on after it become the op's results (`cond`) or loop-carried values (region
arguments, yielded at the end of each iteration). A test that folds to a constant picks
its branch at compile time instead. An early `return` in a branch takes the rest of the
block into the other branch, so that both end in a return. `break`, `continue` and
`return` inside loops are first rewritten with flags (`exits`).
"""

from __future__ import annotations

import ast
import contextlib
from typing import Any, Callable, Iterator

from ..ir import Const, Loc, Op, Operand, Region, Value
from ..ir.core import absent
from . import exits
from .containers import ListOf, Structure, describe_structure, is_container, leaves, rebuild
from .lists import OPERANDS, UNROLL_LIMIT, Unrollable, mutated_names
from .runlists import Relisted, grown_names
from .resolve import CallableRef, LocalFunction, Resolved


class _Slots:
    """The variables a branch or loop hands on, each as the operands it holds: one for a
    value, each leaf of a list or dict (`containers`), whose structure must be the same
    on every path."""

    def __init__(self, names: list[str], values: list[Any]) -> None:
        self.names = names
        self.structures: list[Structure | None] = []
        self.counts: list[int] = []
        self.local: set[str] = set()
        """Variables undefined before a loop that its body makes a list or dict in: not
        carried (the loop's own; read after the loop, they are refused as such)."""
        for value in values:
            if is_container(value):
                found, structure = leaves(value, OPERANDS)
                self.structures.append(structure)
                self.counts.append(len(found))
            else:
                self.structures.append(None)
                self.counts.append(1)

    def labels(self) -> list[str]:
        """A name per operand: the variable's for a value, none for a container's leaf."""
        return [name if structure is None else "" for name, structure, n in
                zip(self.names, self.structures, self.counts) for _ in range(n)]

    def flat(self, values: list[Any], what: Any) -> list[Operand]:
        """The operands of `values` (one per name), or `what(name, value)` raised where a
        value does not have its slot's structure."""
        out: list[Operand] = []
        for name, structure, value in zip(self.names, self.structures, values):
            if structure is None:
                if not isinstance(value, (Value, Const)):  # (a list, a function, where a value was)
                    what(name, value)
                out.append(value)
                continue
            found, other = leaves(value, OPERANDS) if is_container(value) else ([], None)
            if other is None or other.shape != structure.shape or other.fixed_ids != structure.fixed_ids:
                what(name, value)
            out.extend(found)
        return out

    def bind(self, env: dict, operands: list[Operand]) -> None:
        """Name each variable's value made of these operands (as `flat` listed them)."""
        k = 0
        for name, structure, n in zip(self.names, self.structures, self.counts):
            part = operands[k:k + n]
            env[name] = part[0] if structure is None else rebuild(structure, part)
            k += n

_LOOP_EXITS = {
    ast.Break: "break",
    ast.Continue: "continue",
    ast.Return: "return",
}


def _stored(stmts: list[ast.stmt]) -> list[str]:
    """Names a block assigns (its own targets, loops' and branches' included, and arrays
    written by element: `y[i] = v` assigns a new `y`), in order."""
    names: list[str] = []
    for stmt in stmts:
        for node in ast.walk(stmt):
            target = node
            while isinstance(target, ast.Subscript) and isinstance(target.ctx, ast.Store):
                target = target.value
                if isinstance(target, ast.Name):
                    target = ast.Name(target.id, ast.Store())
            if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store) and target.id not in names:
                names.append(target.id)
    return names


def _is_none(value: Any) -> bool:
    return isinstance(value, Const) and value.value is None


def _returns(stmts: list[ast.stmt]) -> bool:
    """True if every path through the block ends in a `return` (or a `raise`)."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    return isinstance(last, ast.If) and _returns(last.body) and _returns(last.orelse)


def _has_return(stmts: list[ast.stmt]) -> bool:
    return any(isinstance(node, ast.Return) for stmt in stmts for node in exits.walk_own(stmt))


def _falls_off(node: ast.If) -> str:
    """Why an `if` that returns on some path is refused: another path reaches the end of
    the function, where Python would return None."""
    if isinstance(node.test, ast.Name) and node.test.id == exits.RETURNED:  # (`exits` wrote it)
        return ("this loop returns from inside, but a run that finishes the loop without "
                "returning reaches the end of the function, which has no return after the loop "
                "(Python would return None); add a return after the loop")
    return ("this if returns on one path, but another path reaches the end of the function "
            "without a return (Python would return None there); add a return at the end of "
            "the function, or an else branch that returns")


class ControlFlow:
    """The lowerer's control-flow statements and expressions (mixed into `_Lowerer`)."""

    def _assigned(self, stmts: list[ast.stmt]) -> list[str]:
        """Names a block assigns (`_stored`), and lists and dicts it changes in place
        (`xs.append(v)` makes a new value of `xs`)."""
        names = _stored(stmts)
        return names + [n for n in mutated_names(stmts) + grown_names(stmts) if n not in names
                        and (is_container(self.env.get(n)) or self._is_list(self.env.get(n)))]

    # ---- regions ----

    @contextlib.contextmanager
    def _region(self) -> Iterator[list]:
        """Ops emitted inside the block go to a new list, the body of a region."""
        saved = self.shared.ops
        self.shared.ops = []
        try:
            yield self.shared.ops
        finally:
            self.shared.ops = saved

    def _loc(self, node: ast.AST) -> Loc:
        return Loc(self.src.file, node.lineno, self._col(node))

    def _lower_branch(self, stmts: list[ast.stmt]) -> tuple[dict | None, list, Operand | None]:
        """Lower a block as a branch: the environment after it (None if it raised: no
        variable of it is ever read), its ops, what it returned (None if it raised)."""
        saved_env, saved_returned, saved_raised = dict(self.env), self.returned, self.raised
        self.returned, self.raised = None, False
        with self._region() as ops:
            self._block(stmts)
        env, returned = (None if self.raised else self.env), self.returned
        self.env, self.returned, self.raised = saved_env, saved_returned, saved_raised
        return env, ops, returned

    # ---- if ----

    def visit_If(self, node: ast.If, rest: list[ast.stmt] | None = None) -> None:
        test = self._operand(node.test)
        if isinstance(test, Const):
            chosen = node.body if self._truth(test, node.test) else node.orelse
            self._block(chosen if _returns(chosen) else chosen + (rest or []))
            return
        then_stmts, else_stmts = node.body, node.orelse
        returning = _has_return(then_stmts) or _has_return(else_stmts)
        if returning:
            # the statements after the `if` run only on the paths that did not return
            then_stmts = then_stmts if _returns(then_stmts) else then_stmts + (rest or [])
            else_stmts = else_stmts if _returns(else_stmts) else else_stmts + (rest or [])
            if not (_returns(then_stmts) and _returns(else_stmts)):
                self._refuse(node, _falls_off(node))
        before = dict(self.env)
        then_env, then_ops, then_returned = self._lower_branch(then_stmts)
        else_env, else_ops, else_returned = self._lower_branch(else_stmts)
        if then_env is None and else_env is None:
            self._cond(test, node, [(then_ops, []), (else_ops, [])], [])
            self.raised = True  # both paths raise: nothing after the if runs
            return
        if returning:
            branches = [(then_ops, [then_returned or Const(None)]), (else_ops, [else_returned or Const(None)])]
            (result,) = self._cond(test, node, branches, [""])
            self.returned = result
            return
        # a branch that raises yields nothing that is read: what was there before, or None
        then_env = before | {n: v for n, v in else_env.items() if n not in before} if then_env is None else then_env
        else_env = before | {n: v for n, v in then_env.items() if n not in before} if else_env is None else else_env
        names = [
            name for name in self._assigned(then_stmts + else_stmts)
            if name in then_env and name in else_env
            and (then_env.get(name) is not before.get(name) or else_env.get(name) is not before.get(name))
        ]
        for name in self._assigned(then_stmts + else_stmts):
            if name not in names and (name not in then_env or name not in else_env):
                # assigned on one path only, or a loop's own variable nothing reads after it
                self.env.pop(name, None)
        self._relist_branches(names, (then_env, then_ops), (else_env, else_ops), node=node)
        slots = _Slots(names, [then_env[name] if not (then_ops and then_ops[-1].prim == "raise")
                               else else_env[name] for name in names])

        def differs(name: str, value: Any) -> None:
            self._refuse(node, f"'{name}' is {describe_structure(then_env[name], OPERANDS)} after one branch of "
                         f"this if and {describe_structure(else_env[name], OPERANDS)} after the other; make both "
                         "branches give it the same structure (the same number of items, the same keys)")

        yields = []
        for ops, env in ((then_ops, then_env), (else_ops, else_env)):
            if ops and ops[-1].prim == "raise":  # never read: what was there before, or nothing
                raised = [self._placeholder(before, name) for name in names]
                yields.append((ops, [absent() if is_container(v) or label == "" else v
                                     for v, label in zip(self._expand(raised, slots), slots.labels())]))
            else:
                yields.append((ops, slots.flat([self._value_for(env, name, node) for name in names], differs)))
        slots.bind(self.env, self._cond(test, node, yields, slots.labels()))

    def _relist_branches(self, names: list[str], *branches: tuple[dict, list[Op]], node: ast.AST) -> None:
        """A list known here that one branch made a run-time list (assigning an item at an
        index known only at run time) is made one at the end of the other branches too."""
        for name in names:
            if not any(self._is_list(env[name]) for env, _ in branches):
                continue
            for env, ops in branches:
                if isinstance(env[name], ListOf) and not (ops and ops[-1].prim == "raise"):
                    saved, self.shared.ops = self.shared.ops, ops
                    try:
                        env[name] = self._to_run_time(env[name], node)
                    finally:
                        self.shared.ops = saved

    @staticmethod
    def _placeholder(before: dict, name: str) -> Operand:
        """What a branch that raises yields for a variable: never read, so anything visible."""
        value = before.get(name)
        return value if isinstance(value, (Value, Const)) else Const(None)

    @staticmethod
    def _expand(values: list[Any], slots: _Slots) -> list[Any]:
        """Placeholders as many as the slots' operands (a value repeated for a container's)."""
        return [v for v, n in zip(values, slots.counts) for _ in range(n)]

    def _value_for(self, env: dict, name: str, node: ast.AST) -> Any:
        value = env[name]
        if not isinstance(value, (Value, Const, LocalFunction)) and not is_container(value):
            self._refuse(node, f"'{name}' names a module or function in one branch; a branch may "
                         "only assign values")
        return value

    def _cond(self, pred: Operand, node: ast.AST, branches: list, names: list[str]) -> list[Value]:
        results = [Value(name) for name in names]
        regions = [Region([], ops, list(yields)) for ops, yields in branches]
        for k, result in enumerate(results):
            if any(self._is_list(region.yields[k]) for region in regions):
                self.shared.lists.add(result)
        self.shared.ops.append(Op("cond", [pred], results, {}, regions, loc=self._loc(node)))
        return results

    def _choose(self, pred: Operand, node: ast.AST, then_node: ast.expr, else_node: ast.expr) -> Operand:
        """`then if pred else other` as a cond with one result; each side evaluated only
        on its own path."""
        branches = []
        for side in (then_node, else_node):
            with self._region() as ops:
                value = self._operand(side)
            branches.append((ops, [value]))
        (result,) = self._cond(pred, node, branches, [""])
        self.fresh.add(result)
        return result

    def visit_IfExp(self, node: ast.IfExp) -> Resolved:
        test = self._operand(node.test)
        if isinstance(test, Const):  # (a function, a list may be chosen so too)
            return self.visit(node.body if self._truth(test, node.test) else node.orelse)
        return self._choose(test, node, node.body, node.orelse)

    def visit_BoolOp(self, node: ast.BoolOp) -> Resolved:
        """`a and b` is `b if a else a`, `a or b` is `a if a else b`: Python's values and
        short-circuit; constant operands decide at compile time."""
        is_or = isinstance(node.op, ast.Or)
        first = self._operand(node.values[0])
        rest = node.values[1:]
        if not rest:
            return first
        if isinstance(first, Const):
            if self._truth(first, node.values[0]) == is_or:
                return first
            return self.visit_BoolOp(ast.BoolOp(node.op, rest, lineno=node.lineno, col_offset=node.col_offset))\
                if len(rest) > 1 else self._operand(rest[0])
        remainder = rest[0] if len(rest) == 1 else ast.BoolOp(
            node.op, rest, lineno=rest[0].lineno, col_offset=rest[0].col_offset
        )
        return self._short_circuit(first, node, remainder, evaluate_if=not is_or)

    def _short_circuit(self, first: Operand, node: ast.AST, remainder: ast.expr, evaluate_if: bool) -> Operand:
        """`first` itself, or `remainder` evaluated (only) when `first` is `evaluate_if`."""
        with self._region() as ops:
            value = self._operand(remainder)
        evaluated, kept = (ops, [value]), ([], [first])
        (result,) = self._cond(first, node, [evaluated, kept] if evaluate_if else [kept, evaluated], [""])
        self.fresh.add(result)
        return result

    def visit_Compare(self, node: ast.Compare) -> Operand:
        """`a < b < c` is `a < b and b < c`, with `b` evaluated once."""
        left = self._operand(node.left)
        return self._compare_chain(left, list(zip(node.ops, node.comparators)), node)

    def _compare_chain(self, left: Operand, pairs: list, node: ast.Compare) -> Operand:
        op, right_node = pairs[0]
        right = self._operand(right_node)
        result = self._compare(op, left, right, node)
        if len(pairs) == 1:
            return result
        if isinstance(result, Const):
            return result if not self._truth(result, node) else self._compare_chain(right, pairs[1:], node)
        with self._region() as ops:
            value = self._compare_chain(right, pairs[1:], node)
        (chained,) = self._cond(result, node, [(ops, [value]), ([], [result])], [""])
        return chained  # (the same shape as `and`, with a chain instead of an expression)

    # ---- loops ----

    def _check_loop_body(self, body: list[ast.stmt]) -> None:
        """Exits left after `exits.expand` are those it cannot rewrite."""
        inner = exits.nested_return(body)
        if inner is not None:
            self._refuse(inner, "return inside a loop nested in a loop over enumerate, zip or a "
                         "computed sequence is not supported yet; loop over range(len(xs)) instead")
        for node in exits.own_exits(body):  # (a nested loop's are its own, expanded with it)
            if type(node) in _LOOP_EXITS and not isinstance(node, ast.Return):
                word = _LOOP_EXITS[type(node)]
                self._refuse(node, f"{word} inside a loop over enumerate or zip is not supported "
                             "yet; loop over range(len(xs)) instead")

    def _carried(self, node: ast.stmt, loop_names: list[str]) -> list[str]:
        """Variables carried across iterations: those the body assigns that exist before
        the loop, and those (the loop variable too) read after it. One not defined before
        starts as None, as Python leaves it undefined if the loop never runs."""
        end = (node.end_lineno, node.end_col_offset)
        start = min([(loop.lineno, loop.col_offset) for loop in self._enclosing_loops(node)], default=end)
        after = {  # read after the loop, or anywhere in a loop around it (its next iteration)
            n.id for n in ast.walk(self.src.tree)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            and ((n.lineno, n.col_offset) > end or (n.lineno, n.col_offset) >= start)
        }
        names = self._assigned(node.body) + [n for n in loop_names if n not in self._assigned(node.body)]
        return [
            n for n in names
            if (n in self.env and n not in loop_names) or n in after
        ]

    def _enclosing_loops(self, node: ast.stmt) -> list[ast.stmt]:
        """The loops of the source whose bodies contain `node`."""
        return [
            loop for loop in ast.walk(self.src.tree)
            if isinstance(loop, (ast.For, ast.While)) and loop is not node
            and any(inner is node for stmt in loop.body for inner in ast.walk(stmt))
        ]

    def _initial(self, name: str) -> Any:
        value = self.env.get(name, Const(None))
        return value if isinstance(value, (Value, Const)) or is_container(value) else Const(None)

    def _finish_loop(self, body: list[ast.stmt], slots: _Slots, results: list[Value],
                     loop_names: list[str], line: int) -> None:
        slots.bind(self.env, results)
        for name in self._assigned(body) + loop_names:
            if name not in slots.names or name in slots.local:
                self.env.pop(name, None)
                self.loop_locals[name] = line

    def _changes_structure(self, node: ast.stmt) -> Any:
        """What is said of a list or dict a loop body changes the structure of (as
        `_Slots.flat` calls it): a loop over a range known here is unrolled instead."""
        def say(name: str, value: Any) -> None:
            if self._is_list(value):  # (an item assigned at an index known only at run time)
                err = self._error(node, f"'{name}' becomes a list whose length is known only at run time in "
                                  "this loop", Relisted)
                err.name = name
                raise err
            raise self._error(node, f"'{name}' changes its structure in this loop (it becomes "
                              f"{describe_structure(value, OPERANDS)}): a list grows in a loop whose length is "
                              "known only at run time by xs.append(v), xs.extend(ys) or xs += ys written in the "
                              "loop itself (a function called there may read it, not grow it)", Unrollable)
        return say

    def _loop_region(self, args: list[Value], body: list[ast.stmt], slots: _Slots, bind_targets,
                     node: ast.stmt) -> Region:
        """The body of a loop: `args` are its index or item (if any), then the carried
        variables' operands (`slots`)."""
        saved_env, saved_raised = dict(self.env), self.raised
        carried_args = args[len(args) - sum(slots.counts):]
        slots.bind(self.env, carried_args)
        with self._region() as ops:
            bind_targets()
            self._block(body)
            if self.raised:  # an iteration that gets here raises: its yields are never read
                yields = [absent() if label == "" else self._placeholder(saved_env, label)
                          for label in slots.labels()]
            else:  # (a name the body leaves undefined, an inner loop's own variable, is read by nothing)
                arg_values: dict = {}
                slots.bind(arg_values, carried_args)
                values = [self._value_for(self.env, name, body[0]) if name in self.env else arg_values[name]
                          for name in slots.names]
                for k, (name, value) in enumerate(zip(slots.names, values)):
                    made = is_container(value) or isinstance(value, LocalFunction) or (
                        self._is_list(value) and value not in arg_values.values())
                    if made and _is_none(saved_env.get(name, Const(None))):
                        slots.local.add(name)
                        values[k] = arg_values[name]
                yields = slots.flat(values, self._changes_structure(node))
        self.env, self.raised = saved_env, saved_raised
        return Region(args, ops, yields)

    def visit_For(self, node: ast.For) -> None:
        if node.orelse:
            self._refuse(node, "for ... else is not supported; move the else block after the loop")
        self._check_loop_body(node.body)
        items = self._static_items(node.iter)
        if items is not None:  # a list or tuple known here: unrolled at compile time
            self._unrolled(node, items)
            return
        bounds = self._constant_range(node.iter)
        if bounds is None or len(range(*bounds)) > UNROLL_LIMIT:
            self._loop(node, grows=True)
            return
        if self.shared.probes is not None and self._calls_itself(node.body):
            self._unrolled(node, [Const(i) for i in range(*bounds)])  # (its index decides shapes the calls see)
            return
        mark, saved = len(self.shared.ops), (dict(self.env), dict(self.loop_locals), self.fresh)
        try:
            self._loop(node, tried=True)
        except Unrollable:  # the loop's index is needed as a constant: unroll it
            del self.shared.ops[mark:]
            self.env, self.loop_locals, self.fresh = saved[0], saved[1], saved[2]
            self._unrolled(node, [Const(i) for i in range(*bounds)])

    def _calls_itself(self, body: list[ast.stmt]) -> bool:
        """Whether a block calls, by name, a function being lowered (a recursion)."""
        names = {getattr(fn, "__name__", getattr(fn, "name", None)) for fn in self.shared.calls}
        return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
                   for stmt in body for n in ast.walk(stmt))

    def _unrolled(self, node: ast.For, items: list[Any]) -> None:
        if len(items) > UNROLL_LIMIT:
            self._refuse(node.iter, f"this loop would be unrolled into {len(items)} copies of its body (at most "
                         f"{UNROLL_LIMIT}): it goes over a list or indexes one with its index; loop over an array "
                         "instead, or make the list an array (np.stack)")
        for item in items:
            self.fresh = set()
            self._bind(node.target, item)
            self._block(node.body)

    def _constant_range(self, node: ast.expr) -> tuple[int, ...] | None:
        """The bounds of `range(...)` when they are known here (the loop may be unrolled)."""
        if not (isinstance(node, ast.Call) and not node.keywords and 1 <= len(node.args) <= 3):
            return None
        callee = self.visit(node.func)
        if not (isinstance(callee, CallableRef) and callee.fn is range):
            return None
        values = [self._constant_of(self.visit(arg)) for arg in node.args]
        self.premade.update({id(arg): value for arg, value in zip(node.args, values)})
        if all(isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool) for v in values):
            return tuple(v.value for v in values)
        return None

    def _relisting(self, node: ast.stmt, lower: Callable[..., None], *args: Any) -> None:
        """Lower a loop; where its body assigns an item of a list known here at an index
        known only at run time (the list becomes a run-time list there), the list becomes
        one before the loop, which is lowered again."""
        while True:
            mark, saved = len(self.shared.ops), (dict(self.env), dict(self.loop_locals), self.fresh)
            try:
                lower(node, *args)
                return
            except Relisted as err:
                value = saved[0].get(err.name)
                if not isinstance(value, ListOf):
                    raise
                del self.shared.ops[mark:]
                self.env, self.loop_locals, self.fresh = saved
                self._owned(err.name, value, node)
                self.env[err.name] = self._to_run_time(value, node)

    def _loop(self, node: ast.For, grows: bool = False, tried: bool = False) -> None:
        """A `for` loop as a `for_range` op; `grows`: it runs a number of times known only
        at run time, so a list it grows is a run-time list (else the loop is unrolled);
        `tried`: it is unrolled if its body needs its index as a constant (`Unrollable`)."""
        self._relisting(node, self._range_loop, grows, tried)

    def _range_loop(self, node: ast.For, grows: bool, tried: bool) -> None:
        start, stop, step, bind = self._iteration(node)
        if grows:
            self._grow_at_run_time(node.body, node)
        loop_names = [n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)]
        carried = self._carried(node, loop_names)
        slots = _Slots(carried, [self._initial(name) for name in carried])
        index = Value(loop_names[0] if bind is None and len(loop_names) == 1 else "i")
        if tried:
            self.shared.counters.add(index)
        args = [index] + [Value(label) for label in slots.labels()]
        results = [Value(label) for label in slots.labels()]
        inits = slots.flat([self._initial(name) for name in carried], self._changes_structure(node))
        self._mark_carried(inits, args[1:], results)
        if grows and all(isinstance(b, Const) or b in self.shared.shaped for b in (start, stop, step)):
            self.shared.shaped.update(r for r in results if self._is_list(r))  # (a length the shapes decide)
        region = self._loop_region(
            args, node.body, slots,
            lambda: self._bind(node.target, index) if bind is None else bind(index), node,
        )
        self.shared.ops.append(
            Op("for_range", [start, stop, step, *inits], results, {}, [region], loc=self._loc(node))
        )
        self._finish_loop(node.body, slots, results, loop_names, node.lineno)

    def _static_items(self, node: ast.expr) -> list[Any] | None:
        """The items a `for` loop goes over when they are known here (a list, a tuple, a
        dict's keys, `zip`/`enumerate`/`reversed` of them): the loop is unrolled. None
        for anything else (a range, an array), which is looped over at run time."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            callee = self.visit(node.func)
            fn = callee.fn if isinstance(callee, CallableRef) else None
            if fn is range:
                return None
            if fn in (zip, enumerate, reversed, list, tuple, sorted):
                found = self._container_builtin(fn, node)  # (declined: its arguments are kept for the loop)
                return None if found is None else self._sequence_items(found, node, "iterating")
        value = self.visit(node)
        if is_container(value) or (isinstance(value, Const) and isinstance(value.value, tuple)) or (
                isinstance(value, Value) and value in self.shared.tuples):
            return self._sequence_items(value, node, "iterating")
        self.premade[id(node)] = value
        return None

    def _iteration(self, node: ast.For) -> tuple[Operand, Operand, Operand, Any]:
        """(start, stop, step, bind): the range the loop runs over, and how to bind the
        target from the index (None: the target is the index itself)."""
        it = node.iter
        call = it if isinstance(it, ast.Call) else None
        callee = self.visit(call.func) if call is not None else None
        fn = callee.fn if isinstance(callee, CallableRef) else None
        if fn is range:
            bounds = [self._operand(a) for a in call.args]
            if not 1 <= len(bounds) <= 3 or call.keywords:
                self._refuse(it, "range takes one to three positional arguments")
            start, stop, step = (
                (Const(0), bounds[0], Const(1)) if len(bounds) == 1
                else (bounds[0], bounds[1], bounds[2] if len(bounds) == 3 else Const(1))
            )
            return start, stop, step, None
        if fn is enumerate:
            sequence = self._operand(call.args[0])
            offset = self._operand(call.args[1]) if len(call.args) > 1 else Const(0)
            if not isinstance(node.target, ast.Tuple) or len(node.target.elts) != 2:
                self._refuse(node.target, "unpack enumerate into two names: for i, x in enumerate(xs)")

            def bind_enumerate(index: Value) -> None:
                self._bind(node.target.elts[0], self._emit("add", [index, offset], node.target))
                self._bind(node.target.elts[1], self._emit("getitem", [sequence, index], node.target))

            return Const(0), self._emit("len", [sequence], it), Const(1), bind_enumerate
        if fn is reversed and len(call.args) == 1 and not call.keywords:
            sequence = self._operand(call.args[0])
            last = self._emit("sub", [self._emit("len", [sequence], it), Const(1)], it)

            def bind_reversed(index: Value) -> None:
                at = self._emit("sub", [last, index], node.target)
                self._bind(node.target, self._emit("getitem", [sequence, at], node.target))

            return Const(0), self._emit("len", [sequence], it), Const(1), bind_reversed
        if fn is zip:
            sequences = [self._operand(a) for a in call.args]
            if not isinstance(node.target, ast.Tuple) or len(node.target.elts) != len(sequences):
                self._refuse(node.target, "unpack zip into one name per sequence")
            lengths = [self._emit("len", [s], it) for s in sequences]
            stop = lengths[0]
            for length in lengths[1:]:
                stop = self._emit("min", [stop, length], it)

            def bind_zip(index: Value) -> None:
                for target, sequence in zip(node.target.elts, sequences):
                    self._bind(target, self._emit("getitem", [sequence, index], target))

            return Const(0), stop, Const(1), bind_zip
        sequence = self._operand(it)

        def bind_item(index: Value) -> None:
            self._bind(node.target, self._emit("getitem", [sequence, index], node.target))

        return Const(0), self._emit("len", [sequence], it), Const(1), bind_item

    def visit_While(self, node: ast.While) -> None:
        self._relisting(node, self._while)

    def _while(self, node: ast.While) -> None:
        if node.orelse:
            self._refuse(node, "while ... else is not supported; move the else block after the loop")
        self._check_loop_body(node.body)
        if exits.always_true(node.test) and not any(isinstance(n, ast.Raise) for s in node.body for n in ast.walk(s)):
            self._refuse(node, "this loop never ends: its test is always true and nothing in it "
                         "leaves it; add a break (or a return) where it should stop")
        self._grow_at_run_time(node.body, node)
        carried = self._carried(node, [])
        if not carried:
            self._refuse(node, "this while loop assigns no variable defined before it: it would "
                         "never stop, or it computes nothing the function uses")
        slots = _Slots(carried, [self._initial(name) for name in carried])
        inits = slots.flat([self._initial(name) for name in carried], self._changes_structure(node))
        test_args, body_args, results = ([Value(label) for label in slots.labels()] for _ in range(3))
        self._mark_carried(inits, test_args, body_args, results)
        saved_env = dict(self.env)
        slots.bind(self.env, test_args)
        with self._region() as test_ops:
            test = self._operand(node.test)
        self.env = saved_env
        test_region = Region(test_args, test_ops, [test])
        body = self._loop_region(body_args, node.body, slots, lambda: None, node)
        self.shared.ops.append(
            Op("while", inits, results, {}, [test_region, body], loc=self._loc(node))
        )
        self._finish_loop(node.body, slots, results, [], node.lineno)
