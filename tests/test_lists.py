"""Lists, dicts and tuples known item by item where they are written: displays, indexing,
methods, comprehensions, loops over them, builtins reading them, arrays made of them.
Each program is differentiated in reverse and forward mode, generic and specialized, and
to second order, against central differences; what cannot be done exactly is refused."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, hessian
from ad_compiler.errors import CompileError, UnsupportedError
from ad_compiler.testing import check_grads
from tests.numeric import assert_grad_close, numeric_hessian

X = np.array([0.3, -0.7, 1.1])


def displays_and_methods(x):
    xs = [x[0], x[1] * 2.0, np.sin(x[2])]
    xs.append(x[0] * x[1])
    xs.extend([x[2], 1.0])
    xs.insert(1, np.cos(x[0]))
    last = xs.pop()
    first = xs.pop(0)
    xs[2] = xs[2] * 3.0
    return sum(xs) + last * first + xs[-1] * len(xs) + sum(xs[1:3])


def dict_program(x):
    d = {"a": x[0], "b": x[1]}
    d["c"] = d["a"] * d["b"]
    d.update({"a": np.exp(d["a"]), "e": x[2]})
    t = 0.0
    for k, v in d.items():
        t = t + v * v
    for k in d.keys():
        t = t + d[k]
    return t + sum(d.values()) + d.get("z", 0.5) * d.get("e")


def comprehensions(x):
    ys = [x[i] ** 2 for i in range(3)]
    zs = [y * w for y, w in zip(ys, [1.0, 2.0, 3.0]) if w > 1.5]
    pairs = {f"k{i}": v for i, v in enumerate(zs)}
    nested = [a * b for a in ys for b in zs]
    return sum(zs) + pairs["k1"] * sum(nested) + max(y for y in ys) + min(ys) * sum(v for v in ys)


def loops_over_lists(x):
    layers = [(x[0], x[1]), (x[2], 1.0), (0.5, x[0])]
    h = 0.5
    for w, b in layers:
        h = np.tanh(w * h + b)
    out = 0.0
    for i, (w, b) in enumerate(layers):
        out = out + i * w * b
    for w, b in reversed(layers):
        out = out * 0.5 + w
    return h + out


def grown_in_a_loop(x):
    hs = [x[0]]
    for t in range(4):
        hs.append(np.tanh(hs[-1] * x[1] + x[2]))
    total = 0.0
    for i in range(len(hs)):
        total = total + hs[i] * (i + 1)
    return total + hs[2] * hs[3]


def branches_on_lists(x):
    xs = [x[0], x[1]]
    if x[2] > 0:
        xs[0] = xs[0] * 3.0
    else:
        xs[1] = xs[1] * 2.0
    ys = [a * b for a, b in zip(xs, [1.0, 2.0])]
    return sum(ys) + np.sum(x) * any([x[0] > 0, x[1] > 0]) + all(v > -5.0 for v in ys) * x[1]


def arrays_of_lists(x):
    m = np.array([[x[0], x[1]], [x[2], x[0] * x[1]]])
    v = np.array([np.sin(x[0]), 2.0, x[2] ** 2])
    s = np.stack([x, x * 2.0], axis=1)
    c = np.concatenate([x, v, x[:1]])
    return np.sum(m @ m) + v @ x + np.sum(s ** 2) + np.sum(np.vstack([x, v]) ** 3) + np.sum(np.hstack((c, x)))


def tuples_of_lists(x):
    state = ([x[0], x[1]], x[2])
    items, scale = state
    items = items + [scale * 2.0]
    more = (*items, x[0])
    return sum(more) * scale + len(items)


def helper(values, scale):
    out = []
    for v in values:
        out.append(v * scale)
    return out


def lists_through_calls(x):
    ys = helper([x[0], x[1], x[2]], x[0])
    return sum(ys) + ys[1] * ys[2]


PROGRAMS = [displays_and_methods, dict_program, comprehensions, loops_over_lists, grown_in_a_loop,
            branches_on_lists, arrays_of_lists, tuples_of_lists, lists_through_calls]


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_against_central_differences(f):
    for mode in ("reverse", "forward"):
        g = grad(f, mode=mode)
        assert_grad_close(f, (X,), 0, g(X))
        assert_grad_close(f, (X,), 0, g.generic(X))
    np.testing.assert_allclose(hessian(f)(X), numeric_hessian(f, X), rtol=1e-5, atol=1e-5)
    check_grads(f, (X,), order=2)


def test_a_list_loop_is_unrolled_into_plain_code():
    g = grad(loops_over_lists)
    g(X)
    code = [line.strip() for line in g.source.splitlines() if not line.strip().startswith("#")]
    assert not any(line.startswith("for ") for line in code), g.source


def test_emitted_code_has_no_lists_for_lists_known_here():
    g = grad(arrays_of_lists)
    g(X)
    assert "np.zeros_like([" not in g.source
    assert "np.stack((" in g.source


REFUSED = {
    "two names for one list": (
        "def f(x):\n    a = [x[0]]\n    b = a\n    b.append(x[1])\n    return sum(a)\n", "b.append", "make a copy"),
    "an item list changed": (
        "def f(x):\n    row = [x[0]]\n    rows = [row]\n    row.append(x[1])\n    return sum(rows[0])\n",
        "row.append", "make a copy"),
    "different lengths after an if": (
        "def f(x):\n    xs = [x[0]]\n    if x[1] > 0:\n        xs.append(x[1])\n    return sum(xs)\n",
        "if x[1] > 0", "the same structure"),
    "a slice of run-time bounds": (
        "def f(x):\n    xs = [x[0], x[1]]\n    i = int(x[2])\n    return sum(xs[i:])\n", "xs[i:]",
        "slicing a list with bounds known only at run time"),
    "a run-time list sliced": (
        "def f(x, n):\n    hs = []\n    for t in range(n):\n        hs.append(x[0] * t)\n    return sum(hs[1:])\n",
        "hs[1:]", "slicing a list whose length is known only at run time"),
    "a run-time list's item written": (
        "def f(x, n):\n    hs = []\n    for t in range(n):\n        h = x * t\n        hs.append(h)\n"
        "        h[0] = 1.0\n    return np.sum(np.stack(hs))\n", "h[0]", "also an item of a list"),
    "an empty list read in a conditional expression": (
        "def f(x):\n    xs = []\n    i = int(x[2])\n    return np.sum(xs[i] if x[0] > 5.0 else x)\n", "xs[i]",
        "an item of an empty list"),
    "a missing key": ("def f(x):\n    d = {'a': x[0]}\n    return d['b']\n", "d['b']", "no key 'b'"),
    "a set": ("def f(x):\n    return np.sum({x[0], x[1]})\n", "{x[0], x[1]}", "set displays"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_refused_with_a_located_reason(name, tmp_path):
    import importlib.util

    source, caret, words = REFUSED[name]
    path = tmp_path / "program.py"
    path.write_text("import numpy as np\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(f"program_{abs(hash(name))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = (X, 3) if "run-time list" in name else (X,)
    with pytest.raises(CompileError) as info:
        grad(module.f)(*args)
    err = info.value
    assert isinstance(err, UnsupportedError) or "key" in name
    assert words in err.message, err.message
    line = path.read_text().splitlines()[err.line - 1]
    assert caret in line and line.index(caret) == err.col, (line, err.col)
