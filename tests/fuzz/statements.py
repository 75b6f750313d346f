"""The statement constructs of the grammar, one rule each (see `gen`), and how loops
enter and leave scopes."""

from __future__ import annotations

import re

from .expressions import draw
from .gen import EXPR_DEPTH, FROZEN, SHAPES, THRESHOLDS, Gen, atom, indent, shape_text, statement
from .scope import SCALAR, Arr, Expr, Int, Scope, Tup, Type, join

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
        idx, result = g.pick((("IDX", base), ("MASK", (2,) + base[1:]), ("np.array((2, 0))", (2,) + base[1:]),
                              ("[0, 2]", (2,) + base[1:])))
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
    if any(loop not in ("range", "while", "each") for loop in s.loops):
        return None  # (in nested loops too: it leaves all of them)
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
