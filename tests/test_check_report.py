"""`ad_compiler.check`: the emitted derivatives beside central differences, the complex
step and SymPy, with times and sizes; a wrong rule shows as a disagreement."""

from __future__ import annotations

import numpy as np
import pytest

import ad_compiler
from ad_compiler import defvjp
from ad_compiler.ad.rules import RULES

pytest.importorskip("sympy")


def spine(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def logistic(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_the_scalar_example_agrees_with_every_baseline() -> None:
    report = ad_compiler.check(spine, 1.0, 2.0, 0.5, argnums=(0, 1, 2), timing=0.01)
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
    report = ad_compiler.check(logistic, np.full(3, 0.1), X, y, timing=0)
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
