"""Loop-invariant code motion (`passes/hoist.py`): what a loop computes from outer values
alone runs once, before it; gradients against central differences, and the emitted
loops checked for what is left in them."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad
from tests.numeric import assert_grad_close


def invariant(x, W):
    acc = 0.0
    for i in range(5):
        rates = np.exp(W) * 2.0
        acc = acc + np.sum(rates * x[i]) * acc + x[i, 0]
    return acc


def runtime_count(x, W, n):
    acc = 0.0
    for i in range(n):
        rates = np.exp(W) * 2.0
        acc = acc + np.sum(rates * x[i])
    return acc


def fresh_each_time(x):
    acc = 0.0
    for i in range(3):
        row = np.zeros(4)
        row[i] = x[i]
        acc = acc + np.sum(np.sin(row) * x)
    return acc


def printing(x, W):
    acc = 0.0
    for i in range(3):
        rates = np.exp(W)
        print(i)
        acc = acc + np.sum(rates * x[i])
    return acc


def _loops(source: str) -> str:
    """The emitted code inside loops (its lines indented under a `for`), comments dropped."""
    inside, depth, lines = False, 0, []
    for line in source.splitlines():
        code = line.split("#")[0].rstrip()
        if not code:
            continue
        indent = len(code) - len(code.lstrip())
        if inside and indent <= depth:
            inside = False
        if inside:
            lines.append(code)
        if code.lstrip().startswith("for "):
            inside, depth = True, indent
    return "\n".join(lines)


RNG = np.random.default_rng(0)
X, W = 0.3 * RNG.normal(size=(5, 4)), 0.3 * RNG.normal(size=4)


def test_an_invariant_value_runs_once_and_is_not_recorded():
    df = grad(invariant, argnums=(0, 1))
    got = df(X, W)
    for k in (0, 1):
        assert_grad_close(invariant, (X, W), k, got[k])
    assert "np.exp(" not in _loops(df.source), df.source


@pytest.mark.parametrize("n", [0, 3])
def test_a_loop_that_may_not_run_keeps_it(n):
    df = grad(runtime_count, argnums=(0, 1))
    got = df(X, W, n)
    for k in (0, 1):
        assert_grad_close(runtime_count, (X, W, n), k, got[k])
    assert "np.exp(" in _loops(df.source), df.source


def test_an_array_the_loop_writes_is_made_in_it():
    x = RNG.normal(size=4)
    df = grad(fresh_each_time)
    assert_grad_close(fresh_each_time, (x,), 0, df(x))
    assert "np.zeros(4)" in _loops(df.source), df.source


def test_a_loop_with_effects_keeps_it(capsys):
    df = grad(printing)
    got = df(X, W)
    assert capsys.readouterr().out.split() == ["0", "1", "2"]
    assert_grad_close(printing, (X, W), 0, got)
    assert "np.exp(" in _loops(df.source), df.source
