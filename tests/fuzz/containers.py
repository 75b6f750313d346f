"""The grammar's lists and dicts, one rule each (see `gen`): displays, indexing, methods,
loops and comprehensions over them, builtins reading them, arrays made of them. A list
lives within the statement that makes it, so the scope tracks arrays and tuples only;
an item read back aliases what was put in (its memory roots are that expression's)."""

from __future__ import annotations

from .gen import EXPR_DEPTH, FLOATS, Gen, atom, expression, statement
from .scope import Arr, Expr, Scope, Shape


def _items(g: Gen, s: Scope, shape: Shape, count: int, depth: int) -> list[Expr]:
    return [g.expr(s, shape, depth) for _ in range(count)]


@expression(0.5)
def list_sum(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    """`sum([a, b, c])`, `sum(w * a for w in (...))`, `sum(v * w for v, w in zip(...))`."""
    items = _items(g, s, shape, g.rng.randint(1, 3), depth - 1)
    texts = ", ".join(e.text for e in items)
    roll = g.rng.random()
    if roll < 0.5:
        return Expr(f"sum([{texts}])", g.root() if shape else frozenset())
    weights = ", ".join(g.pick(FLOATS) for _ in items)
    if roll < 0.75:
        return Expr(f"sum(v * w for v, w in zip([{texts}], ({weights},)))", g.root() if shape else frozenset())
    return Expr(f"sum(w * {atom(items[0].text)} for w in ({weights},))", g.root() if shape else frozenset())


@expression(0.3)
def list_item(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    """`[a, b, c][k]`, `{"a": a, "b": b}["b"]`: the item itself (its memory too)."""
    items = _items(g, s, shape, g.rng.randint(1, 3), depth - 1)
    k = g.rng.randrange(len(items))
    if g.chance(0.5):
        text = "{" + ", ".join(f"'k{i}': {e.text}" for i, e in enumerate(items)) + "}" + f"['k{k}']"
    else:
        index = g.pick((k, k - len(items)))
        text = "[" + ", ".join(e.text for e in items) + f"][{index}]"
    return Expr(text, items[k].roots)


@expression(0.4)
def stacked(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """A row of `np.stack`/`np.array` of a list, or a piece of `np.concatenate` of one."""
    items = _items(g, s, shape, 2, depth - 1)
    texts = ", ".join(e.text for e in items)
    if len(shape) == 1 and g.chance(0.4):
        n = shape[0]
        start = g.rng.randint(0, n)
        joined = g.pick(("np.concatenate([{}])", "np.hstack(({}))", "np.concatenate(({}), axis=0)"))
        return Expr(f"{joined.format(texts)}[{start}:{start + n}]", g.root())
    maker = g.pick(("np.stack([{}])", "np.array([{}])", "np.stack(({}), axis=0)"))
    if len(shape) == 1 and g.chance(0.3):
        maker = "np.vstack([{}])"
    return Expr(f"{maker.format(texts)}[{g.rng.randint(0, 1)}]", g.root() if shape else frozenset())


@expression(0.3)
def comprehension(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr:
    """`np.stack([e * w for w in (...)]).sum(axis=0)`, over a constant tuple or range."""
    e = g.expr(s, shape, depth - 1)
    if g.chance(0.5):
        weights = ", ".join(g.pick(FLOATS) for _ in range(g.rng.randint(1, 3)))
        source = f"for w in ({weights},)"
    else:
        source = f"for w in range({g.rng.randint(1, 3)})"
    return Expr(f"np.sum(np.stack([{atom(e.text)} * w {source}]), axis=0)", g.root() if shape else frozenset())


@expression(0.2)
def extreme(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """`max([a, b])`, `min(a for a in [...])` of numbers."""
    if shape:
        return None
    items = _items(g, s, (), g.rng.randint(2, 3), depth - 1)
    texts = ", ".join(e.text for e in items)
    which = g.pick(("max", "min"))
    return Expr(g.pick((f"{which}([{texts}])", f"{which}(v for v in [{texts}])")))


@statement(0.6)
def list_build(g: Gen, s: Scope, depth: int) -> list[str]:
    """A list grown by its methods, read by `sum`, `len`, indexing."""
    shape = g.shape()
    xs, n = g.fresh("xs"), g.fresh("v")
    first, second, third = _items(g, s, shape, 3, EXPR_DEPTH - 1)
    lines = [f"{xs} = [{first.text}]", f"{xs}.append({second.text})"]
    lines.append(g.pick((f"{xs} += [{third.text}]", f"{xs}.extend([{third.text}])",
                         f"{xs}.insert(0, {third.text})")))
    if g.chance(0.3):
        lines.append(f"{xs}.pop({g.pick(('', '0', '-1'))})")
    lines.append(f"{n} = sum({xs}) / len({xs}) + {xs}[-1] * {g.pick(FLOATS)}")
    s.bind(n, Arr(shape), g.root() if shape else frozenset())
    return lines


@statement(0.5, compound=True)
def list_loop(g: Gen, s: Scope, depth: int) -> list[str]:
    """A loop over a list display (unrolled), or over `enumerate`/`zip` of lists."""
    shape = g.shape()
    acc, item, k = g.fresh("acc"), g.fresh("item"), g.fresh("k")
    items = _items(g, s, shape, g.rng.randint(1, 3), EXPR_DEPTH - 1)
    texts = ", ".join(e.text for e in items)
    start = g.expr(s, shape, 1)
    if g.chance(0.5):
        head = f"for {k}, {item} in enumerate([{texts}]):"
        body = f"{acc} = {acc} * {g.pick(FLOATS)} + {item} * ({k} + 1)"
    else:
        weights = ", ".join(g.pick(FLOATS) for _ in items)
        head = f"for {item}, w in zip([{texts}], [{weights}]):"
        body = f"{acc} = np.tanh({acc}) + {item} * w"
    lines = [f"{acc} = {start.text} * 1.0" if shape else f"{acc} = {start.text}", head, f"    {body}"]
    s.bind(acc, Arr(shape), g.root() if shape else frozenset())
    return lines


@statement(0.4, compound=True)
def list_grow(g: Gen, s: Scope, depth: int) -> list[str]:
    """A list that grows by an item per iteration of a loop over a constant range
    (unrolled), read by index and by `sum`."""
    shape = g.shape()
    hs, i, n = g.fresh("hs"), g.fresh("i"), g.fresh("v")
    first = g.expr(s, shape, 1)
    step = g.bexpr(s, shape, 1)
    count = g.rng.randint(1, 4)
    lines = [f"{hs} = [{first.text}]", f"for {i} in range({count}):",
             f"    {hs}.append(np.tanh({hs}[-1]) * {g.pick(FLOATS)} + {atom(step.text)} * {i})",
             f"{n} = sum({hs}) + {hs}[{g.rng.randint(0, count)}] * {hs}[{i}]"]
    s.bind(n, Arr(shape), g.root() if shape else frozenset())
    return lines


@statement(0.4)
def dict_build(g: Gen, s: Scope, depth: int) -> list[str]:
    """A dict display, written by key, read by key, `.values()`, `.items()` and `get`."""
    shape = g.shape()
    d, n = g.fresh("d"), g.fresh("v")
    a, b = _items(g, s, shape, 2, EXPR_DEPTH - 1)
    lines = [f"{d} = {{'a': {a.text}, 'b': {b.text}}}", f"{d}['c'] = {d}['a'] * {d}['b']"]
    if g.chance(0.4):
        lines.append(f"{d}.update({{'a': np.sin({d}['c'])}})")
    read = g.pick((f"sum({d}.values())", f"sum(v * 0.5 for k, v in {d}.items())",
                   f"{d}.get('z', {g.pick(FLOATS)}) + {d}['c']"))
    lines.append(f"{n} = {read}")
    s.bind(n, Arr(shape), g.root() if shape else frozenset())
    return lines


@statement(0.1)
def list_alias_write(g: Gen, s: Scope, depth: int) -> list[str] | None:
    """An array put in a list, then written by element: refused (they are one array),
    or (a copy first) what Python does."""
    names = [n for n in s.arrays() if s.names[n].shape and s.writable(n)]
    if not names:
        return None
    v, xs, n = g.pick(names), g.fresh("xs"), g.fresh("v")
    shape = s.names[v].shape
    copy = g.chance(0.5)
    index = ", ".join("0" for _ in shape)
    lines = [f"{xs} = [{v}{' * 1.0' if copy else ''}]", f"{v}[{index}] = {g.pick(FLOATS)}",
             f"{n} = {xs}[0] + {v}"]
    s.wrote(v)
    s.bind(n, Arr(shape), g.root())
    return lines



def _sequence(g: Gen, s: Scope) -> str | None:
    """An array of the scope with at least one axis: a sequence whose length the compiler
    knows only at run time (generic code), iterated by a loop or a comprehension."""
    names = [n for n in s.arrays() if s.names[n].shape]
    return g.pick(names) if names else None


@statement(0.3, compound=True)
def list_grow_run_time(g: Gen, s: Scope, depth: int) -> list[str] | None:
    """A list grown in a loop over an array's rows or `range(len(...))` (a run-time list
    in the IR, `.append` in the emitted code), read by index, iterated, stacked, summed."""
    seq = _sequence(g, s)
    if seq is None:
        return None
    shape = g.shape()
    hs, i, h, n = g.fresh("hs"), g.fresh("i"), g.fresh("h"), g.fresh("v")
    first = g.expr(s, shape, 1)
    step = g.bexpr(s, shape, 1)
    if g.chance(0.5):
        head, row = f"for {i} in range(len({seq})):", f"{seq}[{i}]"
    else:
        head, row = f"for {i} in {seq}:", i
    lines = [f"{hs} = [{first.text}]", head,
             f"    {hs}.append(np.tanh({hs}[-1]) * {g.pick(FLOATS)} + {atom(step.text)} * np.sum({row}))"]
    read = g.pick((f"sum({hs})", f"np.sum(np.stack({hs}), axis=0)", f"{hs}[-1] * {hs}[0]",
                   f"np.mean(np.array({hs}), axis=0) * len({hs})"))
    if g.chance(0.4):
        lines += [f"{n} = {read}", f"for {h} in {hs}:", f"    {n} = {n} * {g.pick(FLOATS)} + {h}"]
    else:
        lines.append(f"{n} = {read}")
    s.bind(n, Arr(shape), g.root())
    return lines


@expression(0.2)
def comprehension_run_time(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    """A comprehension or generator over an array's rows: `sum(e * np.sum(r) for r in x)`."""
    seq = _sequence(g, s)
    if seq is None:
        return None
    e = g.expr(s, shape, depth - 1)
    term = f"{atom(e.text)} * np.sum(r)"
    text = g.pick((f"sum({term} for r in {seq})", f"np.sum(np.stack([{term} for r in {seq}]), axis=0)",
                   f"np.stack([{term} for r in {seq} if np.sum(r) > -100.0])[0]"))
    return Expr(text, g.root())


@statement(0.3, compound=True)
def list_items_at_run_time(g: Gen, s: Scope, depth: int) -> list[str] | None:
    """Items of a list read and replaced at an int known only at run time: of a list
    display at an int computed from the data (a run-time list from the assignment on,
    in a branch sometimes), or of a run-time list at its loop's index and its neighbour."""
    shape = g.shape()
    xs, j, n = g.fresh("xs"), g.fresh("j"), g.fresh("v")
    a, b, c = _items(g, s, shape, 3, EXPR_DEPTH - 1)
    data = g.expr(s, (), 1)
    lines = [f"{xs} = [{a.text}, {b.text}, {c.text}]", f"{j} = int(1.5 + 1.4 * np.sin({data.text}))"]
    write = f"{xs}[{j}] = np.tanh({xs}[{j}]) * {g.pick(FLOATS)} + {xs}[{j} - 1]"
    seq = _sequence(g, s)
    if seq is not None and g.chance(0.4):
        i = g.fresh("i")
        lines += [f"for {i} in {seq}:", f"    {xs}.append({xs}[-1] * {g.pick(FLOATS)} + np.sum({i}))",
                  f"for {i} in range(len({xs})):",
                  f"    {xs}[{i}] = np.tanh({xs}[{i}]) * {g.pick(FLOATS)} + {xs}[{i} - 1]"]
    elif g.chance(0.4):
        lines += [f"if {g.cond(s, 1)}:", f"    {write}"]
    else:
        lines.append(write)
    lines.append(f"{n} = {xs}[{j}] * {g.pick(FLOATS)} + {xs}[-1]")
    s.bind(n, Arr(shape), g.root())
    return lines
