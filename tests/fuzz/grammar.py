"""Random programs over what the compiler supports, deterministic per (seed, number).

A program is a module: a RandomState `RS` that the function reseeds first (so it is a
function of its arguments), a list `LOG` and a StringIO `OUT` that it appends and prints
to (code run as written, which every derivative must run once per call), zero to two
helper functions, and `f` of one to three float or array arguments returning a float or
an array.

The grammar is two tables, `EXPRESSIONS` and `STATEMENTS`: one function per construct,
registered with a weight by `@expression` or `@statement`. An expression rule writes an
expression of a requested shape in the current scope (`scope.Scope`), or returns None
where it does not apply; a statement rule returns lines and updates the scope. Adding a
construct is adding one rule here. Shapes, bounds and shared memory are tracked so that
programs are valid Python and functions of their inputs: what the compiler refuses is
then the compiler's business, and counted.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .scope import SCALAR, Arr, Expr, Int, Scope, Shape, Tup, Type, join

ARG_SHAPES: tuple[Shape, ...] = ((), (3,), (2, 3), (3, 3))
SHAPES: tuple[Shape, ...] = ((), (2,), (3,), (2, 3), (3, 2), (3, 3))
"""Shapes of new variables and subexpressions; (6,) and (9,) appear through ravel."""
CONSTANTS = ("0.5", "2.0", "-1.5", "3", "0.25", "-0.75", "np.pi")
FLOATS = tuple(c for c in CONSTANTS if c != "3")
THRESHOLDS = ("0.0", "0.3", "-0.2", "0.5", "-0.6", "1.0")
EXPR_DEPTH = 2
HEADER = """import io
import math

import numpy as np

RS = np.random.RandomState(0)
LOG = []
OUT = io.StringIO()
VERBOSE = False
W = np.linspace(-1.0, 1.0, 9).reshape(3, 3)
V = np.array([0.5, -1.0, 2.0])
SCALE = 0.7
K = 2
IDX = np.array([2, 0, 0])
MASK = np.array([True, False, True])
SQ = lambda v: v * v + 0.5 * v
"""
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


@dataclass(frozen=True)
class Program:
    seed: int
    number: int
    source: str
    params: tuple[tuple[str, Shape], ...]
    ret: Type
    rules: tuple[str, ...]
    """The constructs it uses."""


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


# --- expressions ------------------------------------------------------------------------

UNARY = ("np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(0.3 * {})", "np.log(1.5 + np.sin({}))",
         "np.sqrt(2.0 + np.cos({}))", "-{}", "{} ** 2", "np.arctan({})", "np.square({})",
         "1.0 / (2.0 + np.sin({}))", "np.log1p({} ** 2)", "np.arcsinh({})", "np.expm1(0.5 * np.sin({}))",
         "np.cbrt(1.5 + np.sin({}))", "np.sinh(0.5 * np.sin({}))", "+{}", "np.arctan2(np.sin({}), 1.5)",
         "np.tan(0.5 * np.sin({}))", "np.arcsin(0.5 * np.sin({}))", "np.arccos(0.5 * np.cos({}))",
         "np.arctanh(0.5 * np.sin({}))", "np.arccosh(2.0 + np.sin({}))", "np.cosh(0.5 * {})",
         "np.exp2(0.5 * np.sin({}))", "np.log2(2.0 + np.cos({}))", "np.log10(2.0 + np.cos({}))",
         "np.degrees({})", "np.radians({})", "np.reciprocal(2.0 + np.cos({}))", "np.power({}, 2)",
         "np.power(1.5 + np.sin({}), 1.5)", "np.negative({})", "np.expm1({} / 3.0)", "SQ({})")
BINARY = ("{} + {}", "{} - {}", "{} * {}", "{} / (2.5 + np.cos({}))", "np.hypot({}, {})",
          "np.logaddexp({}, {})", "np.add({}, {})", "np.multiply({}, {})", "np.arctan2({}, 2.0 + np.cos({}))",
          "np.subtract({}, {})", "np.divide({}, 2.0 + np.cos({}))", "np.power(1.5 + np.sin({}), np.cos({}))",
          "{} * SCALE - {}")


@expression(8, leaf=True)
def name(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    names = s.of_type(Arr(shape))
    if not names:
        return None
    n = g.pick(names)
    return Expr(n, s.roots[n] if shape else frozenset())


@expression(1.5, leaf=True)
def constant(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    return Expr(g.pick(CONSTANTS)) if shape == () else None


@expression(0.6, leaf=True)
def filled(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    if shape == ():
        return None
    smaller = [n for n in s.arrays() if broadcast_to(s.names[n].shape, shape) and s.names[n].shape != shape]
    if smaller and g.chance(0.7):
        return Expr(f"({g.pick(smaller)} * np.ones({shape_text(shape)}))")
    return Expr(g.pick((f"np.full({shape_text(shape)}, {g.pick(FLOATS)})", f"np.ones({shape_text(shape)})")))


@expression(4, leaf=True)
def element(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """An index read of an array variable (or, below the leaves, of an expression)."""
    bases = [n for n in s.arrays(max(1, len(shape))) if s.names[n].shape != shape]
    g.rng.shuffle(bases)
    if depth > 0 and g.chance(0.15):
        big = g.pick([b for b in SHAPES + ((6,),) if len(b) > len(shape) or (b != shape and len(b) == len(shape) > 0)])
        e = g.expr(s, big, depth - 1)
        bases = [(atom(e.text), big, e.roots)]
    else:
        bases = [(n, s.names[n].shape, s.roots[n]) for n in bases[:3]]
    for text, base, roots in bases:
        for _ in range(3):
            idx = g.index(s, base, shape)
            if idx is not None:
                return Expr(f"{text}[{idx}]", roots if shape else frozenset())
    return None


@expression(0.4, leaf=True)
def draw(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    """Random numbers: data to the derivative, the same draws as the program's."""
    if shape == ():
        return Expr(g.pick(("RS.uniform(0.5, 1.5)", "RS.normal()", "RS.rand()")))
    dims = ", ".join(map(str, shape))
    return Expr(g.pick((f"RS.normal(0.0, 1.0, size={shape_text(shape)})", f"RS.randn({dims})",
                        f"RS.uniform(-1.0, 1.0, {shape_text(shape)})")))


@expression(3)
def unary(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    template = g.pick(UNARY)
    return Expr("(" + template.format(atom(g.expr(s, shape, depth - 1).text)) + ")")


@expression(4)
def binary(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    a, b = g.expr(s, shape, depth - 1).text, g.bexpr(s, shape, depth - 1).text
    if g.chance(0.3):
        a, b = b, a
    return Expr("(" + g.pick(BINARY).format(atom(a), atom(b)) + ")")


@expression(0.5)
def scaled_draw(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    return Expr(f"({atom(g.expr(s, shape, depth - 1).text)} * RS.uniform(0.5, 1.5))")


@expression(2)
def reduction(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    if shape == ():
        source = g.pick(SHAPES[1:] + ((6,),))
        e = atom(g.expr(s, source, depth - 1).text)
        options = [f"np.sum({e})", f"np.mean({e})", f"np.max({e})", f"np.min({e})", f"{e}.sum()",
                   f"{e}.mean()", f"np.var({e})", f"{e}.max()", f"np.amin({e})", f"np.std({e})", f"{e}.min()",
                   f"{e}.var()", f"{e}.std()"]
        if len(source) == 2:
            options += [f"np.sum({e}, axis=(0, 1))", f"np.mean({e}, axis=(1, 0))"]
        return Expr(g.pick(options))
    if len(shape) != 1:
        return None
    n, k = shape[0], g.pick((2, 3))
    source, axis = g.pick((((k, n), 0), ((n, k), 1), ((n, k), -1)))
    e = atom(g.expr(s, source, depth - 1).text)
    return Expr(g.pick((f"np.sum({e}, axis={axis})", f"{e}.sum(axis={axis})", f"np.mean({e}, axis={axis})",
                        f"np.max({e}, axis={axis})", f"np.min({e}, axis={axis})", f"{e}.max(axis={axis})",
                        f"np.var({e}, axis={axis})", f"np.std({e}, axis={axis})", f"{e}.mean(axis={axis})")))


@expression(1.5)
def matmul(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    k = g.pick((2, 3))
    if shape == ():
        a, b = (k,), (k,)
    elif len(shape) == 1:
        a, b = g.pick((((shape[0], k), (k,)), ((k,), (k, shape[0]))))
    else:
        a, b = (shape[0], k), (k, shape[1])
    x, y = atom(g.expr(s, a, depth - 1).text), atom(g.expr(s, b, depth - 1).text)
    return Expr(g.pick((f"({x} @ {y})", f"np.dot({x}, {y})", f"np.matmul({x}, {y})", f"{x}.dot({y})")))


@expression(0.4)
def outer(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    if len(shape) != 2:
        return None
    a, b = g.expr(s, shape[:1], depth - 1).text, g.expr(s, shape[1:], depth - 1).text
    return Expr(f"np.outer({a}, {b})")


@expression(1)
def transpose(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    if len(shape) != 2 and not (len(shape) == 1 and g.chance(0.2)):
        return None
    e = g.expr(s, shape[::-1], depth - 1)
    return Expr(g.pick((f"{atom(e.text)}.T", f"np.transpose({e.text})")), e.roots)


@expression(1)
def reshape(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    sources = [t for t in SHAPES + ((6,), (9,)) if len(t) and math.prod(t) == math.prod(shape) and t != shape]
    if not shape or not sources:
        return None
    e = g.expr(s, g.pick(sources), depth - 1)
    x = atom(e.text)
    if len(shape) == 1:
        text = g.pick((f"{x}.ravel()", f"np.ravel({e.text})", f"{x}.reshape(-1)", f"np.reshape({e.text}, ({shape[0]},))"))
    else:
        a, b = shape
        text = g.pick((f"{x}.reshape({a}, {b})", f"np.reshape({e.text}, ({a}, {b}))", f"{x}.reshape(({a}, {b}))"))
    return Expr(text, e.roots)


@expression(0.5)
def gather(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """Indexing with an integer array, repeats included (a copy)."""
    if not shape:
        return None
    d = g.pick((2, 3))
    beside = len(shape) == 2 and g.chance(0.3)
    base = (d, 3) if beside else (d,) + shape[1:]
    if base not in SHAPES:
        return None
    index = f"np.array({tuple(g.rng.randrange(d) for _ in range(shape[0]))})"
    if d == 3 and shape[0] in (2, 3) and g.chance(0.4):
        index = "IDX" if shape[0] == 3 else "MASK"
    if beside:
        index += ", " + g.slice_text(s, 3, shape[1])
    return Expr(f"{atom(g.expr(s, base, depth - 1).text)}[{index}]")


@expression(0.4)
def masked_sum(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    names = s.arrays(1)
    if shape or not names:
        return None
    v = g.pick(names)
    return Expr(g.pick((f"np.sum({v}[{v} > {g.pick(THRESHOLDS)}])", f"np.sum({v}[{v} < 0.2] ** 2)")))


@expression(0.4)
def partial_sum(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """A sum over a slice whose bound is a run-time int (a loop index, a counter)."""
    names, ints = s.arrays(1), [n for n in s.ints() if s.names[n].lo >= 0]
    if shape or not names or not ints:
        return None
    v, k = g.pick(names), g.pick(ints)
    return Expr(g.pick((f"np.sum({v}[:{k}])", f"np.sum({v}[{k}:])", f"np.sum({v}[:{k} + 1])")))


@expression(0.7)
def where(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    test = g.pick((shape, ())) if shape else ()
    c = f"{atom(g.expr(s, test, depth - 1).text)} > {g.pick(THRESHOLDS)}"
    text = f"np.where({c}, {g.expr(s, shape, depth - 1).text}, {g.bexpr(s, shape, depth - 1).text})"
    return Expr(f"float({text})" if not shape else text)


@expression(1)
def select(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    """Elementwise maximum and minimum (the tie rule of docs/primitives.md)."""
    options = ["np.maximum({}, {})", "np.minimum({}, {})", "np.fmax({}, {})", "np.fmin({}, {})"]
    if not shape:
        options += ["max({}, {})", "min({}, {})"]
    b = g.bexpr(s, shape, depth - 1) if shape else g.expr(s, shape, depth - 1)
    return Expr(g.pick(options).format(g.expr(s, shape, depth - 1).text, b.text))


@expression(0.4)
def clip(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    lo, hi = g.pick((("-0.5", "0.5"), ("0.0", "1.0"), ("-1.0", "0.3"), ("None", "0.5"), ("-0.5", "None")))
    return Expr(f"np.clip({g.expr(s, shape, depth - 1).text}, {lo}, {hi})")


@expression(0.7)
def absolute(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    return Expr(g.pick(("abs({})", "np.abs({})", "np.absolute({})")).format(g.expr(s, shape, depth - 1).text))


@expression(0.8)
def ifexp(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    a, b = g.expr(s, shape, depth - 1), g.expr(s, shape, depth - 1)
    return Expr(f"({a.text} if {g.cond(s, 0)} else {b.text})", a.roots | b.roots)


@expression(1.2)
def call(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    helpers = [h for h in g.helpers if h.ret == Arr(shape)]
    if not helpers:
        return None
    h = g.pick(helpers)
    return Expr(f"{h.name}({g.args_for(s, h)})")


@expression(1)
def tuple_item(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    found = [(n, k) for n in s.tuples() for k, t in enumerate(s.names[n].items) if t == Arr(shape)]
    if not found:
        return None
    n, k = g.pick(found)
    k = g.pick((k, k - len(s.names[n].items)))
    return Expr(f"{n}[{k}]", s.roots[n] if shape else frozenset())


@expression(0.6)
def math_call(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    if shape:
        return None
    template = g.pick(("math.sin({})", "math.cos({})", "math.tanh({})", "math.exp(0.3 * {})", "math.atan({})",
                       "math.sqrt(2.0 + math.cos({}))", "math.log(1.5 + math.sin({}))", "math.hypot({}, 0.5)"))
    return Expr(template.format(g.expr(s, shape, depth - 1).text))


@expression(0.4)
def to_float(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    return None if shape else Expr(f"float({g.expr(s, shape, depth - 1).text})")


@expression(0.6)
def with_int(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """Arithmetic with an int: a loop index, a counter, a length."""
    ints = s.ints() + [f"len({n})" for n in s.arrays(1)] + [f"{n}.size" for n in s.arrays(1)]
    if not ints:
        return None
    k, e = g.pick(ints), atom(g.expr(s, shape, depth - 1).text)
    return Expr(g.pick((f"({e} * {k})", f"({e} + {k})", f"(float({k}) * {e})", f"({e} / (1 + {k}))")))


@expression(1)
def repeat(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """An expression written before, again (common subexpressions, in loops too)."""
    found = [(text, names) for sh, text, names in g.memo
             if sh == shape and all(s.names.get(n) == t for n, t in names.items())]
    if not found:
        return None
    text, names = g.pick(found)
    roots = frozenset().union(*(s.roots[n] for n in names)) if shape else frozenset()
    return Expr(text, roots)


@expression(0.3)
def modulo(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    return Expr(g.pick(("({} % 2.5)", "np.fmod({}, 1.75)")).format(atom(g.expr(s, shape, depth - 1).text)))


@expression(0.3)
def sign(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    a, b = atom(g.expr(s, shape, depth - 1).text), atom(g.bexpr(s, shape, depth - 1).text)
    return Expr(g.pick((f"(np.sign({a}) * {b})", f"(np.floor({a}) + {b})", f"(np.round({a}, 1) * {b})")))


@expression(0.5, leaf=True)
def module_value(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """Numbers and arrays of the module, read when the function runs."""
    options = {(): ("SCALE", "float(K)", "V[K]", "W[1, K]"), (3,): ("V", "W[K]", "W[:, K]", "V[IDX]", "W[0][IDX]"),
               (3, 3): ("W", "W.T"), (2,): ("V[MASK]",), (2, 3): ("W[MASK]", "W[1:]"), (3, 2): ("W[:, MASK]",)}
    if shape not in options:
        return None
    return Expr(g.pick(options[shape]), frozenset({FROZEN}) if shape else frozenset())


@expression(0.8)
def view(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """Functions returning views: axes swapped, added and removed, broadcasts."""
    if not shape:
        return None
    a = g.rng.randint(0, len(shape))
    options = [("squeeze", shape), ("broadcast", g.pick([shape[i:] for i in range(1, len(shape) + 1)]))]
    if len(shape) == 2:
        options += [(name, shape[::-1]) for name in ("swapaxes", "moveaxis", "method", "axes")]
    else:
        options += [("atleast_1d", shape), ("atleast_2d", shape)]
    name, operand = g.pick(options)
    e = g.expr(s, operand, depth - 1)
    text = {"squeeze": f"np.squeeze(np.expand_dims({e.text}, {a}), {a})",
            "broadcast": f"np.broadcast_to({e.text}, {shape_text(shape)})",
            "swapaxes": f"np.swapaxes({e.text}, 0, 1)", "moveaxis": f"np.moveaxis({e.text}, 0, -1)",
            "method": f"{atom(e.text)}.transpose()", "axes": f"np.transpose({e.text}, (1, 0))",
            "atleast_1d": f"np.atleast_1d({e.text})", "atleast_2d": f"np.atleast_2d({e.text})[0]"}[name]
    return Expr(text, e.roots | (frozenset({FROZEN}) if name == "broadcast" else frozenset()))


@expression(0.4)
def centered(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """A reduction kept as an axis of length 1, broadcast back (`keepdims=True`)."""
    if len(shape) != 2:
        return None
    a, b = g.expr(s, shape, depth - 1).text, g.expr(s, shape, depth - 1).text
    axis = g.pick((0, 1, -1))
    return Expr(g.pick((f"({atom(a)} - np.mean({b}, axis={axis}, keepdims=True))",
                        f"({atom(a)} / (1.0 + np.sum({b} ** 2, axis={axis}, keepdims=True)))")))


@expression(0.3)
def constant_pick(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """A constant tuple indexed by a run-time int."""
    ints = [n for n in s.ints() if -3 <= s.names[n].lo and s.names[n].hi <= 2]
    if shape or not ints:
        return None
    return Expr(f"(0.5, 1.5, -2.0)[{g.pick(ints)}]")


# --- statements ------------------------------------------------------------------------


def assigned(g: Gen, s: Scope, target: str, typ: Type, e: Expr) -> tuple[str, frozenset[str]]:
    """The text bound to `target` and its memory: a copy where a plain alias or a view
    would be carried round a loop (the next iteration would see a different kind of value)."""
    text, roots = e.text, e.roots
    aliasing = typ != SCALAR and roots and (target in s.outer and s.loops or re.fullmatch(r"\w+", text) and g.chance(0.8))
    if aliasing:
        text, roots = f"{atom(text)} * 1.0", frozenset()
    if isinstance(typ, Arr) and typ.shape and not roots:
        roots = g.root()
    return text, roots


def target(g: Gen, s: Scope) -> tuple[str, Arr]:
    existing = s.arrays()
    if existing and g.chance(0.5):
        n = g.pick(existing)
        return n, s.names[n]
    return g.fresh("v"), Arr(g.shape())


@statement(6)
def assign(g: Gen, s: Scope, depth: int) -> list[str]:
    n, typ = target(g, s)
    text, roots = assigned(g, s, n, typ, g.expr(s, typ.shape, EXPR_DEPTH))
    s.bind(n, typ, roots)
    return [f"{n} = {text}"]


@statement(2.5)
def augmented(g: Gen, s: Scope, depth: int) -> list[str] | None:
    names = s.arrays()
    if not names:
        return None
    n = g.pick(names)
    typ = s.names[n]
    op = g.pick(("+=", "-=", "*=", "/=", "**="))
    value = g.bexpr(s, typ.shape, EXPR_DEPTH - 1).text
    if op == "/=":
        value = f"(2.5 + np.cos({value}))"
    if op == "**=":
        value = "2"
    if typ.shape and not s.writable(n):  # NumPy would write into memory not ours: rebind
        s.bind(n, typ, g.root())
        return [f"{n} = {n} {op[:-1]} {value}"]
    if typ.shape:
        s.wrote(n)
    return [f"{n} {op} {value}"]


@statement(1)
def pair(g: Gen, s: Scope, depth: int) -> list[str]:
    """`a, b = e1, e2`: both right-hand sides first."""
    (n1, t1), (n2, t2) = target(g, s), target(g, s)
    if n1 == n2:
        n2, t2 = g.fresh("v"), Arr(g.shape())
    (x1, r1), (x2, r2) = (assigned(g, s, n, t, g.expr(s, t.shape, EXPR_DEPTH - 1)) for n, t in ((n1, t1), (n2, t2)))
    s.bind(n1, t1, r1)
    s.bind(n2, t2, r2)
    return [f"{n1}, {n2} = {x1}, {x2}"]


@statement(0.4)
def chain(g: Gen, s: Scope, depth: int) -> list[str]:
    """`a = b = e`: two names for one value (not written into: an alias would be refused)."""
    shape = g.shape()
    a, b = g.fresh("v"), g.fresh("v")
    e = g.expr(s, shape, EXPR_DEPTH - 1)
    roots = (e.roots | {FROZEN}) if shape else frozenset()
    s.bind(a, Arr(shape), roots)
    s.bind(b, Arr(shape), roots)
    return [f"{a} = {b} = {e.text}"]


@statement(0.3)
def guard(g: Gen, s: Scope, depth: int) -> list[str]:
    """A `raise` in a branch never taken (the program's values are finite)."""
    e = g.expr(s, g.shape(), 1).text
    return [f"if not abs(float(np.sum({e}))) < 1e300:", "    raise ValueError('not finite')"]


@statement(0.4)
def swap(g: Gen, s: Scope, depth: int) -> list[str] | None:
    names = s.of_type(SCALAR) if s.loops else s.arrays()
    pairs = [(a, b) for a in names for b in names if a < b and s.names[a] == s.names[b]]
    if not pairs:
        return None
    a, b = g.pick(pairs)
    s.roots[a], s.roots[b] = s.roots[b], s.roots[a]
    return [f"{a}, {b} = {b}, {a}"]


@statement(2)
def make_array(g: Gen, s: Scope, depth: int) -> list[str]:
    shape = g.pick(SHAPES[1:])
    text = g.pick(("np.zeros({})", "np.ones({})", "np.full({}, -0.5)")).format(shape_text(shape))
    sources = s.arrays(1)
    if sources and g.chance(0.4):
        v = g.pick(sources)
        shape = s.names[v].shape
        text = g.pick((f"{v} * 1.0", f"np.zeros_like({v})", f"1.0 * {v}"))
    n = g.fresh("t")
    s.bind(n, Arr(shape), g.root())
    return [f"{n} = {text}"]


@statement(3.5)
def setitem(g: Gen, s: Scope, depth: int) -> list[str] | None:
    names = [n for n in s.arrays(1) if s.writable(n)]
    if not names:
        return None
    n = g.pick(names)
    base = s.names[n].shape
    roll = g.rng.random()
    if roll < 0.1 and base[0] == 3:  # an integer array (IDX repeats a position) or a mask
        idx, result = g.pick((("IDX", base), ("MASK", (2,) + base[1:]), ("np.array((2, 0))", (2,) + base[1:])))
    elif roll < 0.15:
        idx, result = f"{n} > {g.pick(THRESHOLDS)}", ()
    else:
        for _ in range(4):
            result = tuple(g.rng.randint(1, d) for d in base if g.chance(0.4))
            idx = g.index(s, base, result)
            if idx is not None:
                break
        else:
            return None
    op = g.pick(("=", "=", "+=", "-=", "*="))
    value = g.bexpr(s, result, EXPR_DEPTH).text
    s.wrote(n)
    return [f"{n}[{idx}] {op} {value}"]


def enter(g: Gen, s: Scope, kind: str, frozen: frozenset[str] = frozenset()) -> tuple[Scope, Scope]:
    """The scope before a loop (what its header may read) and at the start of its body.

    The body writes only a chosen set of this function's arrays, with disjoint memory:
    every other name sharing memory with one of them is dropped (a later iteration would
    read it after a write), and every other array is frozen in the body."""
    pre = s.copy()
    chosen: set[str] = set()
    for n in sorted(n for n in pre.names if pre.writable(n) and not pre.roots[n] & frozen):
        if g.chance(0.6) and not any(pre.roots[n] & pre.roots[c] for c in chosen):
            chosen.add(n)
    pre.forget(pre.sharing(chosen))
    kept = frozenset().union(*(pre.roots[n] for n in chosen))
    others = frozenset().union(*(r for n, r in pre.roots.items() if n not in chosen)) - kept
    body = pre.copy(loops=s.loops + (kind,), foreign=s.foreign | frozen | others, outer=frozenset(pre.names))
    return pre, body


def leave(s: Scope, pre: Scope, body: Scope, bound: list[str]) -> None:
    """After the loop: what held before it and after any iteration (its variables not)."""
    end = body.copy(foreign=s.foreign, loops=s.loops, outer=s.outer)
    end.forget({n for n in bound if n not in pre.names})
    after = join(pre, end)
    s.names, s.roots = after.names, after.roots


def loop_var(g: Gen, s: Scope) -> str:
    return next((n for n in ("i", "j", "k", "l") if n not in s.names), None) or g.fresh("i")


@statement(2, compound=True)
def if_else(g: Gen, s: Scope, depth: int) -> list[str]:
    then, other = s.copy(), s.copy()
    lines = [f"if {g.cond(s, 1)}:", *indent(g.block(then, depth - 1, g.rng.randint(1, 3)))]
    if g.chance(0.2):
        elif_ = s.copy()
        lines += [f"elif {g.cond(s, 1)}:", *indent(g.block(elif_, depth - 1, g.rng.randint(1, 2)))]
        then = join(then, elif_)
    if g.chance(0.7):
        lines += ["else:", *indent(g.block(other, depth - 1, g.rng.randint(1, 3)))]
    after = join(then, other)
    s.names, s.roots = after.names, after.roots
    return lines


@statement(2.2, compound=True)
def for_range(g: Gen, s: Scope, depth: int) -> list[str]:
    pre, body = enter(g, s, "range")
    i, k = loop_var(g, s), g.rng.randint(0, 3)
    forms = [(f"range({k})", 0, k - 1), (f"range(1, {k + 1})", 1, k), (f"range({k}, -1, -1)", 0, k)]
    for n in pre.arrays(1):
        shape = pre.names[n].shape
        forms += [(f"range(len({n}))", 0, shape[0] - 1), (f"range({n}.shape[{len(shape) - 1}])", 0, shape[-1] - 1)]
    forms += [(f"range({n})", 0, pre.names[n].hi - 1) for n in pre.ints() if pre.names[n].lo >= 0]
    forms += [(f"range(1, len({n}))", 1, pre.names[n].shape[0] - 1) for n in pre.arrays(1)]
    if g.chance(0.05):
        forms = [("range(6)", 0, 5)]
    if g.chance(0.15):
        forms = [(f"range(int(1.5 + np.sin({g.expr(pre, (), 1).text})))", 0, 1)]
    header, lo, hi = g.pick(forms)
    body.bind(i, Int(lo, max(lo, hi)), frozenset())
    lines = [f"for {i} in {header}:", *indent(g.block(body, depth - 1, g.rng.randint(1, 3)))]
    leave(s, pre, body, [i])
    return lines


@statement(0.8, compound=True)
def for_each(g: Gen, s: Scope, depth: int) -> list[str] | None:
    """`for r in v`, `for i, r in enumerate(v)`, `for a, b in zip(v, w)`, `for r in (a, b)`."""
    arrays = s.arrays(1)
    form = g.pick(("each", "each", "enumerate", "zip", "tuple"))
    if not arrays and form != "tuple":
        return None
    if form == "tuple":
        shape = g.shape()
        items = [g.expr(s, shape, 1) for _ in range(g.rng.randint(2, 3))]
        pre, body = enter(g, s, "tuple", frozenset().union(*(e.roots for e in items)))
        r = g.fresh("r")
        body.bind(r, Arr(shape), frozenset().union(*(e.roots for e in items)))
        header, bound = f"for {r} in ({', '.join(e.text for e in items)}):", [r]
    else:
        v, w = g.pick(arrays), g.pick(arrays)
        frozen = s.roots[v] | (s.roots[w] if form == "zip" else frozenset())
        pre, body = enter(g, s, form, frozen)
        if v not in pre.names or w not in pre.names:
            return None
        r, r2, i = g.fresh("r"), g.fresh("r"), loop_var(g, s)
        shape = pre.names[v].shape
        body.bind(r, Arr(shape[1:]), pre.roots[v] if len(shape) > 1 else frozenset())
        if form == "each":
            header, bound = f"for {r} in {v}:", [r]
        elif form == "enumerate":
            body.bind(i, Int(0, shape[0] - 1), frozenset())
            header, bound = f"for {i}, {r} in enumerate({v}):", [r, i]
        else:
            shape2 = pre.names[w].shape
            body.bind(r2, Arr(shape2[1:]), pre.roots[w] if len(shape2) > 1 else frozenset())
            header, bound = f"for {r}, {r2} in zip({v}, {w}):", [r, r2]
    lines = [header, *indent(g.block(body, depth - 1, g.rng.randint(1, 3)))]
    leave(s, pre, body, bound)
    return lines


@statement(1.3, compound=True)
def while_loop(g: Gen, s: Scope, depth: int) -> list[str]:
    """A loop that certainly stops: a counter, and sometimes a test of data too. The
    counter stays in scope after it (and may index arrays there)."""
    n, k = g.fresh("n"), g.rng.randint(1, 3)
    if g.chance(0.25):  # `while True:`, left by a break
        s.bind(n, Int(0, k), frozenset())
        pre, body = enter(g, s, "while")
        body.bind(n, Int(1, k), frozenset())
        head = [f"{n} += 1", f"if {n} > {k}:", "    break"]
        lines = [f"{n} = 0", "while True:", *indent(head + g.block(body, depth - 1, g.rng.randint(1, 3)))]
        leave(s, pre, body, [])
        s.bind(n, Int(1, k + 1), frozenset())
        return lines
    s.bind(n, Int(0, k), frozenset())  # what the test may see
    pre, body = enter(g, s, "while")
    test = f"{n} < {k}"
    if g.chance(0.4):
        test += f" and {atom(g.cond(pre, 0))}"
    body.bind(n, Int(1, k), frozenset())
    step = g.pick((f"{n} = {n} + 1", f"{n} += 1"))
    lines = [f"{n} = 0", f"while {test}:", *indent([step] + g.block(body, depth - 1, g.rng.randint(1, 3)))]
    leave(s, pre, body, [])
    s.bind(n, Int(0, k), frozenset())
    return lines


@statement(0.8)
def jump(g: Gen, s: Scope, depth: int) -> list[str] | None:
    """`break` or `continue` under a test, in a loop that allows them (not one over an
    array, `enumerate` or `zip`: refused, docs/supported-python.md)."""
    if not s.loops or s.loops[-1] not in ("range", "while"):
        return None
    return [f"if {g.cond(s, 1)}:", "    " + g.pick(("break", "continue"))]


@statement(0.7)
def early_return(g: Gen, s: Scope, depth: int) -> list[str] | None:
    if len(s.loops) > 1 or s.loops and s.loops[0] not in ("range", "while", "each"):
        return None
    lines, branch = [f"if {g.cond(s, 1)}:"], s.copy()
    if g.chance(0.3):
        lines += indent(g.statement(branch, 0))
    return lines + [f"    return {g.returned(branch, s.ret)}"]


@statement(1)
def log(g: Gen, s: Scope, depth: int) -> list[str]:
    shape = g.shape()
    e = g.expr(s, shape, 1).text
    return [f"LOG.append(float({e}))" if not shape else f"LOG.append(float(np.{g.pick(('sum', 'mean'))}({e})))"]


@statement(0.5)
def printed(g: Gen, s: Scope, depth: int) -> list[str]:
    e = g.expr(s, g.shape(), 1).text
    ints = s.ints()
    options = ['print(f"value {float(np.sum(' + e + ')):.3f}", file=OUT)', f"print(np.sum({e}), file=OUT)"]
    if ints:
        options.append(f'print("step", {g.pick(ints)}, file=OUT)')
    line = g.pick(options)
    return ["if VERBOSE:", "    " + line.replace(", file=OUT", "")] if g.chance(0.2) else [line]


@statement(0.6)
def draw_data(g: Gen, s: Scope, depth: int) -> list[str]:
    n, shape = g.fresh("u"), g.shape()
    text = draw(g, s, shape, 0).text
    s.bind(n, Arr(shape), g.root() if shape else frozenset())
    return [f"{n} = {text}"]


@statement(0.3)
def assertion(g: Gen, s: Scope, depth: int) -> list[str]:
    arrays = s.arrays(1)
    if arrays and g.chance(0.4):
        v = g.pick(arrays)
        return [f"assert len({v}) == {s.names[v].shape[0]}, 'shape'"]
    test = g.pick(("np.isfinite(np.sum({}))", "abs(float(np.sum({}))) < 1e300"))
    return [f"assert {test.format(g.expr(s, g.shape(), 1).text)}, 'not finite'"]


@statement(0.7)
def int_assign(g: Gen, s: Scope, depth: int) -> list[str]:
    """Ints from data, lengths, shapes, and other ints."""
    n = g.fresh("k")
    arrays, ints = s.arrays(1), s.ints()
    roll = g.rng.random()
    if roll < 0.35 or not arrays:
        text = g.expr(s, (), 1).text
        s.bind(n, Int(0, 2), frozenset())
        return [f"{n} = int(1.5 + np.sin({text}))"]
    v = g.pick(arrays)
    shape = s.names[v].shape
    if roll < 0.55 and len(shape) == 2:
        n2 = g.fresh("k")
        s.bind(n, Int(shape[0], shape[0]), frozenset())
        s.bind(n2, Int(shape[1], shape[1]), frozenset())
        return [f"{n}, {n2} = {v}.shape"]
    if roll < 0.75 or not ints:
        s.bind(n, Int(shape[0], shape[0]), frozenset())
        return [f"{n} = len({v})"]
    i = g.pick(ints)
    t = s.names[i]
    if g.chance(0.5):
        s.bind(n, Int(0, 2), frozenset())
        return [f"{n} = ({i} + 1) % 3"]
    s.bind(n, Int(min(t.lo + 1, 2), min(t.hi + 1, 2)), frozenset())
    return [f"{n} = min({i} + 1, 2)"]


@statement(0.5)
def make_tuple(g: Gen, s: Scope, depth: int) -> list[str]:
    n = g.fresh("p")
    types = (Arr(g.shape()), Arr(g.shape()))
    items, roots = [], frozenset()
    for t in types:
        e = g.expr(s, t.shape, 1)
        items.append(f"{atom(e.text)} * 1.0" if e.roots else e.text)
        roots |= g.root() if t.shape else frozenset()
    s.bind(n, Tup(types), roots)
    return [f"{n} = ({items[0]}, {items[1]})"]


@statement(0.4)
def unpack(g: Gen, s: Scope, depth: int) -> list[str] | None:
    tuples = s.tuples()
    if not tuples:
        return None
    p = g.pick(tuples)
    names = [g.fresh("q") for _ in s.names[p].items]
    for n, t in zip(names, s.names[p].items):
        s.bind(n, t, s.roots[p] if t.shape else frozenset())
    return [f"{', '.join(names)} = {p}"]


@statement(0.6)
def call_tuple(g: Gen, s: Scope, depth: int) -> list[str] | None:
    """A helper returning a tuple, unpacked."""
    helpers = [h for h in g.helpers if isinstance(h.ret, Tup)]
    if not helpers:
        return None
    h = g.pick(helpers)
    names, args = [g.fresh("q") for _ in h.ret.items], g.args_for(s, h)
    for n, t in zip(names, h.ret.items):
        s.bind(n, t, g.root() if t.shape else frozenset())
    return [f"{', '.join(names)} = {h.name}({args})"]


# --- programs --------------------------------------------------------------------------


def helper(g: Gen, index: int) -> list[str]:
    """A module-level function the program calls: one or two parameters, maybe a default,
    maybe several returns, returning a value or a tuple."""
    params = {p: Arr(g.pick(SHAPES)) for p in ("a", "b")[: g.rng.randint(1, 2)]}
    default = g.chance(0.5)
    ret: Type = Tup((Arr(g.shape()), Arr(g.shape()))) if g.chance(0.25) else Arr(g.shape())
    roots = {p: frozenset({f"param:{p}"}) if t.shape else frozenset() for p, t in params.items()}
    s = Scope(dict(params), roots, frozenset().union(*roots.values()) | {FROZEN}, ret, in_helper=True)
    if default:
        s.bind("c", SCALAR, frozenset())
    body = g.block(s, 1, g.rng.randint(1, 3)) + [f"return {g.returned(s, ret)}"]
    name = f"h{index}"
    g.helpers.append(Helper(name, tuple(params.values()), default, ret))
    signature = ", ".join(list(params) + (["c=0.5"] if default else []))
    return [f"def {name}({signature}):", *indent(body)]


def generate(seed: int, number: int) -> Program:
    """Program `number` of the run seeded `seed`."""
    g = Gen(random.Random(f"{seed}:{number}"))
    chunks = [HEADER]
    for index in range(g.rng.choice((0, 0, 1, 1, 2))):
        chunks.append("\n".join(helper(g, index)) + "\n")
    names = ("x", "y", "z")[: g.rng.choice((1, 2, 2, 2, 3))]
    params = tuple((n, g.pick(ARG_SHAPES)) for n in names)
    ret = SCALAR if g.chance(0.8) else Arr(g.pick(SHAPES[1:]))
    roots = {n: frozenset({f"arg:{n}"}) if shape else frozenset() for n, shape in params}
    s = Scope({n: Arr(shape) for n, shape in params}, roots, frozenset().union(*roots.values()) | {FROZEN}, ret)
    body = ["RS.seed(0)"] + g.block(s, 2, g.rng.randint(2, 6)) + [f"return {g.returned(s, ret)}"]
    chunks.append("\n".join([f"def f({', '.join(names)}):", *indent(body)]) + "\n")
    return Program(seed, number, "\n\n".join(chunks), params, ret, tuple(sorted(g.used)))
