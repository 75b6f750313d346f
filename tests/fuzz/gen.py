"""The machinery of the program generator: the tables of constructs, the shapes and
constants they draw from, and `Gen`, the state of one program's generation.

The grammar is two tables, `EXPRESSIONS` (`expressions.py`) and `STATEMENTS`
(`statements.py`): one function per construct, registered with a weight by
`@expression` or `@statement`. An expression rule writes an expression of a requested
shape in the current scope (`scope.Scope`), or returns None where it does not apply; a
statement rule returns lines and updates the scope. Adding a construct is adding one
rule there.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .scope import Expr, Int, Scope, Shape, Tup, Type

ARG_SHAPES: tuple[Shape, ...] = ((), (3,), (2, 3), (3, 3))
SHAPES: tuple[Shape, ...] = ((), (2,), (3,), (2, 3), (3, 2), (3, 3))
"""Shapes of new variables and subexpressions; (6,) and (9,) appear through ravel."""
CONSTANTS = ("0.5", "2.0", "-1.5", "3", "0.25", "-0.75", "np.pi")
FLOATS = tuple(c for c in CONSTANTS if c != "3")
THRESHOLDS = ("0.0", "0.3", "-0.2", "0.5", "-0.6", "1.0")
EXPR_DEPTH = 2
FROZEN = "frozen"
"""A root of memory never written: the module's arrays (the program would change),
read-only broadcasts, and names bound together (`a = b = e`)."""


@dataclass(frozen=True)
class Rule:
    name: str
    weight: float
    write: Callable
    leaf: bool = False
    """(expressions) usable at depth 0."""
    compound: bool = False
    """(statements) has a body, so needs depth > 0."""


EXPRESSIONS: list[Rule] = []
STATEMENTS: list[Rule] = []


def expression(weight: float, leaf: bool = False) -> Callable:
    """Register `write(gen, scope, shape, depth) -> Expr | None` as a construct."""

    def register(write: Callable) -> Callable:
        EXPRESSIONS.append(Rule(write.__name__, weight, write, leaf=leaf))
        return write

    return register


def statement(weight: float, compound: bool = False) -> Callable:
    """Register `write(gen, scope, depth) -> list[str] | None` as a construct."""

    def register(write: Callable) -> Callable:
        STATEMENTS.append(Rule(write.__name__, weight, write, compound=compound))
        return write

    return register


@dataclass(frozen=True)
class Helper:
    name: str
    params: tuple[Type, ...]
    default: bool
    """Whether it takes a last scalar parameter `c` with a default."""
    ret: Type


def shape_text(shape: Shape) -> str:
    return str(shape[0]) if len(shape) == 1 else str(shape)


def atom(text: str) -> str:
    """`text` parenthesized unless it already binds tighter than any operator."""
    if re.fullmatch(r"[A-Za-z_][\w.]*", text):
        return text
    if text.startswith("("):
        level = 0
        for i, ch in enumerate(text):
            level += {"(": 1, ")": -1}.get(ch, 0)
            if level == 0:
                return text if i == len(text) - 1 else f"({text})"
    return f"({text})"


def indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def broadcast_to(small: Shape, shape: Shape) -> bool:
    return len(small) <= len(shape) and shape[len(shape) - len(small):] == small


class Gen:
    """The state of one program's generation: the random source and fresh names."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._names = itertools.count()
        self._roots = itertools.count()
        self.helpers: list[Helper] = []
        self.memo: list[tuple[Shape, str, dict[str, Type]]] = []
        self.used: set[str] = set()

    def pick(self, seq):  # noqa: ANN001, ANN201 - any sequence
        return self.rng.choice(list(seq))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self._names)}"

    def root(self) -> frozenset[str]:
        return frozenset({f"m{next(self._roots)}"})

    def shape(self) -> Shape:
        return () if self.chance(0.35) else self.pick(SHAPES[1:])

    def _choose(self, rules: list[Rule], attempt: Callable) -> object:
        rules = list(rules)
        while rules:
            rule = self.rng.choices(rules, weights=[r.weight for r in rules])[0]
            out = attempt(rule)
            if out is not None:
                self.used.add(rule.name)
                return out
            rules.remove(rule)
        raise AssertionError("no rule applies")

    def expr(self, s: Scope, shape: Shape, depth: int) -> Expr:
        """An expression of exactly `shape`."""
        rules = [r for r in EXPRESSIONS if depth > 0 or r.leaf]
        out = self._choose(rules, lambda rule: rule.write(self, s, shape, depth))
        if depth > 0 and len(out.text) < 90 and self.chance(0.3):
            names = {n: s.names[n] for n in re.findall(r"\b[A-Za-z_]\w*\b", out.text) if n in s.names}
            self.memo.append((shape, out.text, names))
        return out

    def bexpr(self, s: Scope, shape: Shape, depth: int) -> Expr:
        """An expression whose shape broadcasts to `shape`."""
        smaller = [shape[i:] for i in range(1, len(shape))]
        roll = self.rng.random()
        if roll < 0.6 or not shape:
            return self.expr(s, shape, depth)
        if roll < 0.9 or not smaller:
            return self.expr(s, (), depth)
        return self.expr(s, self.pick(smaller), depth)

    def statement(self, s: Scope, depth: int) -> list[str]:
        rules = [r for r in STATEMENTS if depth > 0 or not r.compound]
        return self._choose(rules, lambda rule: rule.write(self, s, depth))

    def block(self, s: Scope, depth: int, count: int) -> list[str]:
        lines: list[str] = []
        for _ in range(count):
            lines += self.statement(s, depth)
        return lines or ["pass"]

    def cond(self, s: Scope, depth: int) -> str:
        """A test: a Python bool computed from values in scope."""
        op = self.pick(("<", ">", "<=", ">="))
        t = self.pick(THRESHOLDS)
        roll = self.rng.random()
        ints = s.ints()
        if roll < 0.4:
            return f"{atom(self.expr(s, (), depth).text)} {op} {t}"
        if roll < 0.6:
            return f"np.sum({self.expr(s, self.pick(SHAPES[1:]), depth).text}) {op} {t}"
        if roll < 0.7:
            return f"{atom(self.expr(s, (), depth).text)} {op} {atom(self.expr(s, (), depth).text)}"
        if roll < 0.75:
            return f"-0.5 < {atom(self.expr(s, (), depth).text)} < 0.8"
        if roll < 0.8 and depth > 0:
            return f"not {atom(self.cond(s, depth - 1))}"
        if roll < 0.87 and depth > 0:
            joiner = self.pick((" and ", " or "))
            return atom(self.cond(s, depth - 1)) + joiner + atom(self.cond(s, depth - 1))
        if roll < 0.92:
            which = self.pick(("np.all", "np.any"))
            return f"{which}({atom(self.expr(s, self.pick(SHAPES[1:]), depth).text)} {op} {t})"
        if ints and roll < 0.96:
            i = self.pick(ints)
            return self.pick((f"{i} % 2 == 0", f"{i} > 0", f"{i} == 1", f"{i} < 2"))
        arrays = s.arrays()
        if arrays:
            v = self.pick(arrays)
            return self.pick((f"isinstance({v}, float)", f"np.ndim({v}) == 2", f"np.size({v}) > 3",
                              f"np.linalg.norm({v}) < 2.0"))
        return f"{atom(self.expr(s, (), depth).text)} {op} {t}"

    def int_exprs(self, s: Scope) -> list[tuple[str, int, int]]:
        """Integer expressions in scope, with their bounds."""
        out: list[tuple[str, int, int]] = []
        for n in s.ints():
            t = s.names[n]
            out += [(n, t.lo, t.hi), (f"{n} + 1", t.lo + 1, t.hi + 1), (f"{n} - 1", t.lo - 1, t.hi - 1),
                    (f"-1 - {n}", -1 - t.hi, -1 - t.lo)]
        for n in s.arrays(1):
            d = s.names[n].shape[0]
            out.append((f"len({n}) - 1", d - 1, d - 1))
        return out

    def int_index(self, s: Scope, d: int) -> str:
        """An integer index valid on an axis of length d."""
        valid = [text for text, lo, hi in self.int_exprs(s) if -d <= lo and hi <= d - 1]
        if valid and self.chance(0.6):
            return self.pick(valid)
        return str(self.rng.randrange(-d, d))

    def slice_text(self, s: Scope, d: int, t: int) -> str:
        """A slice of length t of an axis of length d."""
        opts = [":", "0:", f":{d}", "::-1"] if t == d else []
        if t < d:
            opts += [f"{a}:{a + t}" for a in range(d - t + 1)]
            opts += [f"{d - t}:", f":{t}", f"-{t}:", f":-{d - t}"]
        if t < d:
            opts.append(f"slice({d - t}, {d})")
        if t == d - 1:
            opts.append("1:")
        if (d + 1) // 2 == t and t < d:
            opts.append("::2")
        for n in s.ints():
            lo, hi = s.names[n].lo, s.names[n].hi
            if lo >= 0 and hi + t <= d:
                opts.append(f"{n}:{n} + {t}")
        return self.pick(opts)

    def index(self, s: Scope, base: Shape, result: Shape) -> str | None:
        """An index (ints and slices) of an array of shape `base` giving shape `result`."""
        ints = len(base) - len(result)
        if ints < 0:
            return None
        where = set(self.rng.sample(range(len(base)), ints))
        if any(t > d for t, d in zip(result, [d for axis, d in enumerate(base) if axis not in where])):
            return None
        kept = iter(result)
        parts = [self.int_index(s, d) if axis in where else self.slice_text(s, d, next(kept))
                 for axis, d in enumerate(base)]
        while len(parts) > 1 and parts[-1] == ":" and self.chance(0.6):
            parts.pop()
        text = ", ".join(parts)
        return text if index_gives(s, base, text, result) else None

    def args_for(self, s: Scope, helper: Helper) -> str:
        args = [self.expr(s, t.shape, EXPR_DEPTH - 1).text for t in helper.params]
        if self.chance(0.15):
            args = [f"{name}={text}" for name, text in zip(("a", "b"), args)]
        if helper.default and self.chance(0.5):
            value = self.pick(("1.5", "0.25", self.expr(s, (), 0).text))
            keyword = "=" in args[0] or self.chance(0.5)
            args.append(f"c={value}" if keyword else value)
        return ", ".join(args)

    def returned(self, s: Scope, ret: Type) -> str:
        """A return value of type `ret`, sharing no memory with the parameters."""
        types = ret.items if isinstance(ret, Tup) else (ret,)
        parts = []
        for t in types:
            e = self.expr(s, t.shape, EXPR_DEPTH + (0 if s.in_helper else 1))
            parts.append(f"{atom(e.text)} * 1.0" if s.in_helper and e.roots & s.foreign else e.text)
        return ", ".join(parts)


def index_gives(s: Scope, base: Shape, text: str, result: Shape) -> bool:
    """Whether `array[text]` is valid with shape `result` at both ends of every int's range."""
    used = [n for n in re.findall(r"\b[A-Za-z_]\w*\b", text) if n in s.names]
    for end in ("lo", "hi"):
        values = {n: getattr(s.names[n], end) if isinstance(s.names[n], Int) else np.empty(s.names[n].shape)
                  for n in used if not isinstance(s.names[n], Tup)}
        try:
            got = eval(f"_a[{text}]", {"_a": np.empty(base), "np": np}, values)  # noqa: S307 - our own text
        except (IndexError, TypeError, ValueError, SyntaxError):
            return False
        if np.shape(got) != result:
            return False
    return True
