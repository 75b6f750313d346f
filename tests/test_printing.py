"""Printing emitted code: the same text whether astor or `ast.unparse` prints it (astor
does not run on Python 3.14, nor where it is not installed), and long lines wrapped
where they can be broken. `ADC_TEST_WITHOUT_ASTOR=1` runs the whole suite without astor
(tests/conftest.py); these tests set both printers side by side."""

from __future__ import annotations

import ast
import sys

import numpy as np
import pytest

from ad_compiler import clear_cache, grad, hessian
from ad_compiler.codegen.spelling import unparsed
from ad_compiler.codegen.text import unparse
from ad_compiler.codegen.wrap import MAX_LINE
from numeric import numeric_grad


def scalars(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def stops_early(x, n):
    print(f"n = {n:d}", n > 2 and not n > 9)
    s = 1.0
    t = 0.0
    for i in range(n):
        if s > 10.0 and not i < 1:
            break
        s = s * x + x ** -1.5
        t = t + np.clip(s, -0.5, np.inf)
    return s + t


def weighted(weight_one, weight_two, weight_three, weight_four, weight_five, weight_six):
    total = weight_one * weight_two + weight_three * np.sin(weight_four) - weight_five / weight_six
    return total * total


ALL_SIX = tuple(range(6))
CASES = [
    ("reverse", scalars, {"argnums": (0, 1, 2)}, (1.5, 0.5, 2.0)),
    ("loop with a break", stops_early, {}, (1.3, 4)),
    ("forward, loop", stops_early, {"mode": "forward"}, (1.3, 4)),
    ("long lines", weighted, {"argnums": ALL_SIX}, (0.5, 1.5, -0.7, 0.3, 2.0, 1.25)),
    ("long lines, forward", weighted, {"argnums": ALL_SIX, "mode": "forward"}, (0.5, 1.5, -0.7, 0.3, 2.0, 1.25)),
]


def emitted(f, options: dict, args: tuple) -> tuple[str, object]:
    clear_cache()
    df = grad(f, **options)
    value = df(*args)
    return df.source, value


@pytest.mark.parametrize("f, options, args", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_without_astor_the_emitted_source_is_the_same(f, options: dict, args: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("astor")
    with_astor, value = emitted(f, options, args)
    monkeypatch.setitem(sys.modules, "astor", None)  # `import astor` fails, as where it is not installed
    without, value_without = emitted(f, options, args)
    assert without == with_astor
    assert "# line " in without
    argnums = options.get("argnums", 0)
    for k, got in zip(argnums if isinstance(argnums, tuple) else (argnums,), np.atleast_1d(value_without)):
        np.testing.assert_allclose(got, numeric_grad(f, args, k), rtol=1e-7)
    np.testing.assert_array_equal(value_without, value)


def test_the_long_lines_of_those_cases_are_wrapped() -> None:
    """(So the comparison above covers wrapping: each long case has a broken line.)"""
    for name, f, options, args in CASES:
        source, _ = emitted(f, options, args)
        assert all(len(line) <= MAX_LINE + 8 for line in source.splitlines() if not line.lstrip().startswith("#"))
        assert any(line.endswith(",") for line in source.splitlines()) == name.startswith("long lines"), name


def test_where_astor_fails_on_a_statement_ast_unparse_prints_it_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Python 3.14 `ast.Str` is gone and astor 0.8 fails on f-strings: those statements
    fall back to `ast.unparse`, inside a function astor prints otherwise. Simulated here
    by taking the deprecated node classes away."""
    astor = pytest.importorskip("astor")
    statement = ast.parse('print(f"n = {n:d}", n ** -2, n > 2 and not n > 9, np.inf)').body[0]
    expected = unparse(statement)
    for name in ("Num", "Str", "Bytes", "NameConstant", "Ellipsis"):
        if name in vars(ast):  # (asking with hasattr would warn on 3.12+)
            monkeypatch.delattr(ast, name)
    if hasattr(ast, "_deprecated_globals"):  # (3.12+: served by the module's __getattr__)
        monkeypatch.setattr(ast, "_deprecated_globals", {})
    with pytest.raises(AttributeError, match="Str"):
        astor.to_source(statement)
    assert unparse(statement) == expected == "print(f'n = {n:d}', n ** -2, n > 2 and not n > 9, np.inf)"


@pytest.mark.parametrize(
    "source, printed",
    [
        ("a, b = b, a", "a, b = b, a"),
        ("return ba, bb", "return ba, bb"),
        ("return bx,", "return bx,"),
        ("y = x ** -1.5 * 2", "y = x ** -1.5 * 2"),
        ("y = x ** (-1) ** 2", "y = x ** (-1) ** 2"),  # (here they are needed)
        ("y = x ** (-a * b)", "y = x ** (-a * b)"),
        ("y = x ** (-1)[0]", "y = x ** (-1)[0]"),
        ("y = i < n and not done", "y = i < n and not done"),
        ("y = a or b and not c", "y = a or b and not c"),
        ("y = (a or b) and c", "y = (a or b) and c"),
        ("y = a and (not b) == c", "y = a and (not b) == c"),
        ("y = a or (b, c)", "y = a or (b, c)"),
        ("y = a or (b and c) + 1", "y = a or (b and c) + 1"),
        ("y = np.clip(x, 0.0, 1e1000)", "y = np.clip(x, 0.0, 1e1000)"),
        ("s = 'it\\'s (not) ** (-1)'", 's = "it\'s (not) ** (-1)"'),
    ],
)
def test_ast_unparse_is_spelled_as_astor_spells_it(source: str, printed: str) -> None:
    node = ast.parse(source if not source.startswith("return") else f"def f():\n    {source}").body[0]
    node = node.body[0] if isinstance(node, ast.FunctionDef) else node
    text = unparsed(node)
    assert text == printed
    assert ast.dump(ast.parse(text if not text.startswith("return") else f"def f():\n    {text}")) == ast.dump(
        ast.parse(source if not source.startswith("return") else f"def f():\n    {source}")
    )


@pytest.mark.parametrize(
    "source, wrapped",
    [
        (
            "bu = np.sum(t2 * w, axis=1, keepdims=True) - np.sum(np.broadcast_to(g, (3, 4)), axis=1, keepdims=True)",
            "bu = np.sum(t2 * w, axis=1, keepdims=True) - np.sum(np.broadcast_to(g, (3, 4)), axis=1,\n"
            "    keepdims=True)",
        ),
        (  # at the outer call's comma, not inside (12, 1, 4)
            "dbM = np.broadcast_to(np.reshape(2 * (np.mean(t1, axis=1, keepdims=False) / 3.0), (12, 1, 4)), (12, 3, 4))",
            "dbM = np.broadcast_to(np.reshape(2 * (np.mean(t1, axis=1, keepdims=False) / 3.0),\n"
            "    (12, 1, 4)), (12, 3, 4))",
        ),
        (  # a bare tuple is parenthesized to be broken
            "_index, _value, _return, _break, s, d_value, ds, dtape = 0, None, False, False, 0.0, 0, 0.0, []",
            "_index, _value, _return, _break, s, d_value, ds, dtape = (0, None, False, False, 0.0, 0,\n"
            "    0.0, [])",
        ),
        (
            "def grad_something_long(alpha_long_name, beta_long_name, gamma_long_name, delta_long_name, g=1.0):\n"
            "    pass",
            "def grad_something_long(alpha_long_name, beta_long_name, gamma_long_name, delta_long_name,\n"
            "        g=1.0):\n"
            "    pass",
        ),
        (  # no break inside the f-string, which has commas too
            "print(f'a long message, with commas, {x}, {y}, and more words to make it long, {z:.3f}, see', x, y)",
            "print(f'a long message, with commas, {x}, {y}, and more words to make it long, {z:.3f}, see',\n"
            "    x, y)",
        ),
        (  # nothing to break at: left long
            "y = a_very_long_name_of_a_variable + another_very_long_name_of_a_variable * yet_another_long_one",
            "y = a_very_long_name_of_a_variable + another_very_long_name_of_a_variable * yet_another_long_one",
        ),
    ],
)
def test_long_lines_are_broken_at_the_outermost_comma_that_fits(source: str, wrapped: str) -> None:
    node = ast.parse(source).body[0]
    assert unparse(node) == wrapped
    assert ast.dump(ast.parse(wrapped)) == ast.dump(ast.parse(source))


def test_a_hessian_with_wrapped_lines_is_right() -> None:
    args = (0.5, 1.5, -0.7, 0.3, 2.0, 1.25)
    h = hessian(weighted, argnums=ALL_SIX)(*args)
    first = grad(weighted, argnums=ALL_SIX)
    for i in range(6):
        row = [numeric_grad(lambda *a: first(*a)[i], args, j) for j in range(6)]
        np.testing.assert_allclose(np.array(h[i], dtype=float), row, rtol=1e-6, atol=1e-8)
