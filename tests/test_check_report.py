"""`ad_compiler.check`: the emitted derivatives beside central differences, the complex
step and SymPy, with times and sizes; a wrong rule shows as a disagreement."""

from __future__ import annotations

import numpy as np
import pytest

import ad_compiler
from ad_compiler import defvjp
from ad_compiler.ad.rules import RULES
from ad_compiler.check.report import Report, Row

pytest.importorskip("sympy")


def spine(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def logistic(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_the_scalar_example_agrees_with_every_baseline() -> None:
    report = ad_compiler.check(spine, 1.0, 2.0, 0.5, argnums=(0, 1, 2), timing=0.01,
                               symbolic_seconds=None)  # SymPy's values are asserted: no time limit
    assert report.ok
    for rows in report.arguments.values():
        methods = {row.method: row for row in rows}
        assert methods["symbolic"].abs_error < 1e-12 and methods["numeric"].rel_error < 1e-6
        assert methods["complex step"].reason is None and methods["complex step"].abs_error < 1e-14
    text = str(report)
    assert "all methods agree" in text and "SymPy derivative, cse" in text
    assert set(report.times) == {"f", "emitted (reverse)", "emitted (forward)", "numeric", "symbolic"}
    assert report.sizes["emitted (reverse)"] < report.sizes["SymPy derivative"]


def test_the_array_example_agrees_with_every_baseline() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), (rng.random(20) < 0.5).astype(float)
    report = ad_compiler.check(logistic, np.full(3, 0.1), X, y, timing=0, symbolic_seconds=None)
    assert report.ok
    (rows,) = report.arguments.values()
    methods = {row.method: row for row in rows}
    assert methods["symbolic"].abs_error < 1e-12 and methods["numeric"].abs_error < 1e-6
    assert report.sizes["SymPy derivative"] > 20 * report.sizes["emitted (reverse)"]


def unsupported_symbolically(x):
    return np.max(x) * np.sum(x)


def test_a_function_outside_the_symbolic_subset_says_why() -> None:
    report = ad_compiler.check(unsupported_symbolically, np.array([0.2, 0.9, 0.4]), timing=0)
    assert report.ok
    (rows,) = report.arguments.values()
    symbolic = next(row for row in rows if row.method == "symbolic")
    assert symbolic.value is None and "np.max" in symbolic.reason
    assert "no symbolic baseline: np.max has no symbolic form" in str(report)


def test_a_deliberately_wrong_rule_is_caught() -> None:
    with RULES.scope():

        @defvjp(np.log)
        def wrong(g, ans, x):
            return g / (x + 1e-3)

        report = ad_compiler.check(spine, 1.0, 2.0, 0.5, argnums=(0, 1, 2), modes=("reverse",), timing=0)
    assert not report.ok
    lines = str(report).splitlines()
    assert lines[0] == "check of spine: A METHOD DISAGREES"
    assert any(line.startswith("a ") and "numeric" in line and line.endswith("DISAGREES") for line in lines)


def test_a_wrong_reverse_rule_is_named_as_the_outlier() -> None:
    """The rows are compared with the reverse-mode gradient; when that is the wrong one,
    the report says so rather than leave every correct row marked as disagreeing."""
    with RULES.scope():

        @defvjp(np.log)
        def wrong(g, ans, x):
            return g / (x + 1e-3)

        report = ad_compiler.check(spine, 1.0, 2.0, 0.5, argnums=(0, 1, 2), timing=0)
    text = str(report)
    assert "a: emitted (reverse) disagrees with every other method" in text
    right = ad_compiler.check(spine, 1.0, 2.0, 0.5, argnums=(0, 1, 2), timing=0)
    assert "disagrees with every other method" not in str(right)


def flat_at_zero(x):
    return x * x * x


def test_relative_error_is_left_out_where_the_reference_is_zero() -> None:
    report = ad_compiler.check(flat_at_zero, 0.0, timing=0)
    rows = {row.method: row for row in report.arguments["x"]}
    assert rows["numeric"].abs_error < 1e-9 and rows["numeric"].rel_error is None
    assert "e+300" not in str(report)


def mlp(W, X, y):
    h = np.tanh(X @ W * 0.05)
    return np.mean((np.sum(h, axis=1) - y) ** 2)


def mlp_arguments(rows: int, samples: int) -> tuple:
    rng = np.random.default_rng(1)
    return rng.normal(size=(rows, 8)), rng.normal(size=(samples, rows)), rng.normal(size=samples)


def symbolic_row(report: Report) -> Row:
    (rows,) = report.arguments.values()
    return next(row for row in rows if row.method == "symbolic")


def test_a_large_mlp_skips_sympy_with_the_reason_and_how_to_raise_the_limit() -> None:
    """(64, 8) weights on 32 samples: SymPy's expression would pass the default limit at
    the first matrix product, so it is refused there; the other baselines still agree."""
    report = ad_compiler.check(mlp, *mlp_arguments(64, 32), timing=0)
    row = symbolic_row(report)
    assert row.value is None and row.skipped and row.ok is None and report.ok
    assert row.reason == ("the function's SymPy expression passed 20,000 operations "
                          "(limit symbolic_limit=20000; raise it, or symbolic_limit=None for no limit)")
    text = str(report)
    assert "symbolic           skipped: the function's SymPy expression passed 20,000 operations" in text
    assert "symbolic_limit=None for no limit" in text.replace("\n" + " " * 29, " ")
    assert ad_compiler.check(mlp, *mlp_arguments(64, 32), timing=0, symbolic=True).arguments["W"][-1].reason == row.reason


def test_symbolic_false_leaves_sympy_out() -> None:
    report = ad_compiler.check(spine, 1.0, 2.0, 0.5, timing=0.01, symbolic=False)
    row = symbolic_row(report)
    assert (row.value, row.reason, row.skipped, row.ok) == (None, "symbolic=False", True, None)
    assert report.ok and report.times["symbolic"] is None
    text = str(report)
    assert "a         symbolic           skipped: symbolic=False" in text
    assert "SymPy derivative       skipped (see the symbolic row)" in text


def test_the_limits_can_be_raised_or_lifted() -> None:
    low = ad_compiler.check(spine, 1.0, 2.0, 0.5, timing=0, symbolic_limit=10)
    assert symbolic_row(low).reason.startswith("the function's SymPy expression passed 10 operations")
    for limit in (100, None):
        report = ad_compiler.check(spine, 1.0, 2.0, 0.5, timing=0, symbolic_limit=limit, symbolic_seconds=None)
        assert symbolic_row(report).abs_error < 1e-12 and report.sizes["SymPy derivative"] == 18
    late = ad_compiler.check(spine, 1.0, 2.0, 0.5, timing=0, symbolic_seconds=0)
    assert symbolic_row(late).reason == ("SymPy took more than 0 s, stopped converting the function "
                                         "(limit symbolic_seconds=0; raise it, or symbolic_seconds=None for no limit)")
    with pytest.raises(ValueError, match="symbolic_limit=-5: give a number of operations"):
        ad_compiler.check(spine, 1.0, 2.0, 0.5, timing=0, symbolic_limit=-5)


@pytest.mark.parametrize("rows, samples", [(4, 3), (64, 10)])
def test_no_line_is_longer_than_100_characters(rows: int, samples: int) -> None:
    """Arrays are summarized and reasons wrapped, whatever the shape: a (4, 8) gradient
    printed 455-character rows, a (64, 8) one would print thousands."""
    report = ad_compiler.check(mlp, *mlp_arguments(rows, samples), timing=0.001, symbolic_seconds=0)
    lines = str(report).splitlines()
    assert any(line.startswith("W         symbolic           skipped: SymPy took more than 0 s") for line in lines)
    assert max(len(line) for line in lines) <= 100, "\n".join(lines)
    assert any(line.startswith("W         numeric            float[" + f"{rows},8]") for line in lines)
    (rows_,) = report.arguments.values()
    assert np.shape(rows_[0].value) == (rows, 8)  # the full arrays stay on the report


def masked_sinh(x):
    return np.sum(np.sinh(x) * x)


def test_an_array_row_names_its_largest_differences() -> None:
    """A wrong rule for sinh (its value where its derivative cosh belongs) is off by
    cosh(x) - sinh(x) = exp(-x) times x: largest at the entries whose x e^-x is largest,
    which the row names, largest first."""
    x = np.linspace(-1.5, 2.0, 32).reshape(4, 8)
    with RULES.scope():

        @defvjp(np.sinh)
        def wrong(g, ans, x):
            return g * ans

        report = ad_compiler.check(masked_sinh, x, modes=("reverse",), timing=0, symbolic=False)
    error = np.abs(x * np.exp(-x))
    expected = [tuple(int(i) for i in np.unravel_index(k, x.shape)) for k in np.argsort(-error, axis=None)[:3]]
    rows = {row.method: row for row in report.arguments["x"]}
    for method in ("numeric", "complex step"):
        assert rows[method].worst == expected
        assert rows[method].abs_error == pytest.approx(error.max(), rel=1e-6)
    line = next(line for line in str(report).splitlines() if line.startswith("x         numeric"))
    assert line.endswith("DISAGREES  " + " ".join(f"[{i},{j}]" for i, j in expected))
    assert len(line) <= 100


def test_identical_arrays_name_no_position() -> None:
    report = ad_compiler.check(masked_sinh, np.linspace(0.1, 1.0, 6), timing=0, symbolic=False)
    rows = {row.method: row for row in report.arguments["x"]}
    assert rows["emitted (forward)"].abs_error == 0.0 and rows["emitted (forward)"].worst == []
    assert len(rows["numeric"].worst) == 3
