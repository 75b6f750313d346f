"""The expression constructs of the grammar, one rule each (see `gen`)."""

from __future__ import annotations

import math

from .gen import (CONSTANTS, FLOATS, FROZEN, SHAPES, THRESHOLDS, Gen, atom, broadcast_to, expression,
                  shape_text)
from .scope import Arr, Expr, Scope, Shape

UNARY = ("np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(0.3 * {})", "np.log(1.5 + np.sin({}))",
         "np.sqrt(2.0 + np.cos({}))", "-{}", "{} ** 2", "np.arctan({})", "np.square({})",
         "1.0 / (2.0 + np.sin({}))", "np.log1p({} ** 2)", "np.arcsinh({})", "np.expm1(0.5 * np.sin({}))",
         "np.cbrt(1.5 + np.sin({}))", "np.sinh(0.5 * np.sin({}))", "+{}", "np.arctan2(np.sin({}), 1.5)",
         "np.tan(0.5 * np.sin({}))", "np.arcsin(0.5 * np.sin({}))", "np.arccos(0.5 * np.cos({}))",
         "np.arctanh(0.5 * np.sin({}))", "np.arccosh(2.0 + np.sin({}))", "np.cosh(0.5 * {})",
         "np.exp2(0.5 * np.sin({}))", "np.log2(2.0 + np.cos({}))", "np.log10(2.0 + np.cos({}))",
         "np.degrees({})", "np.radians({})", "np.reciprocal(2.0 + np.cos({}))", "np.power({}, 2)",
         "np.power(1.5 + np.sin({}), 1.5)", "np.negative({})", "np.expm1({} / 3.0)", "SQ({})",
         "1 / (1 + np.exp(-{}))", "np.log(1 / (1 + np.exp({})))", "np.log(1.0 - 1.0 / (np.exp(0.5 * {}) + 1.0))")
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
    beside = len(shape) == 2 and shape[1] <= 3 and g.chance(0.3)
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
        options += [(name, shape[::-1]) for name in ("swapaxes", "swap_method", "moveaxis", "method", "axes")]
    else:
        options += [("atleast_1d", shape), ("atleast_2d", shape)]
    name, operand = g.pick(options)
    e = g.expr(s, operand, depth - 1)
    text = {"squeeze": f"np.squeeze(np.expand_dims({e.text}, {a}), {a})",
            "broadcast": f"np.broadcast_to({e.text}, {shape_text(shape)})",
            "swapaxes": f"np.swapaxes({e.text}, 0, 1)", "swap_method": f"{atom(e.text)}.swapaxes(1, 0)",
            "moveaxis": f"np.moveaxis({e.text}, 0, -1)",
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
