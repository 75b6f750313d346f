"""Products of a matrix a loop does not change with the rows it reads, taken in one
matrix product before it (`passes/projected.py`): gradients against central differences,
the emitted product, and the function's own values and decisions left as it computes them."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, hessian, jacfwd, value_and_grad, vjp
from tests.numeric import assert_grad_close, numeric_hessian
from tests.test_stacked import rnn


def rows_on_the_left(W, V, h, xs):
    for t in range(xs.shape[0]):
        h = np.sin(h @ W + xs[t] @ V)
    return np.sum(h ** 2)


def branch_on_the_product(W, U, h, xs):
    for t in range(xs.shape[0]):
        drive = U @ xs[t]
        if drive[0] > 0.0:
            h = np.tanh(W @ h + drive)
        else:
            h = np.tanh(W @ h - drive)
    return np.sum(h * h)


def some_rows(W, U, h, xs):
    for t in range(1, xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def _args(rng, hidden=4, inputs=3, steps=6):
    return (0.5 * rng.normal(size=(hidden, hidden)), 0.5 * rng.normal(size=(hidden, inputs)),
            rng.normal(size=hidden), rng.normal(size=(steps, inputs)))


def _left_args(rng):
    return (0.5 * rng.normal(size=(4, 4)), 0.5 * rng.normal(size=(3, 4)), rng.normal(size=4),
            rng.normal(size=(6, 3)))


CASES = {"rnn": (rnn, _args), "rows_on_the_left": (rows_on_the_left, _left_args),
         "branch_on_the_product": (branch_on_the_product, _args), "some_rows": (some_rows, _args)}


def _code(source: str) -> str:
    return "\n".join(line.split("#")[0] for line in source.splitlines())


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_central_differences(name):
    f, make = CASES[name]
    args = make(np.random.default_rng(0))
    got = grad(f, argnums=(0, 1, 2, 3))(*args)
    for k, g in enumerate(got):
        assert_grad_close(f, args, k, g)


@pytest.mark.parametrize("name, product", [("rnn", "xs @ U.T"), ("rows_on_the_left", "xs @ V")])
def test_the_rows_are_projected_before_the_loop(name, product):
    f, make = CASES[name]
    g = grad(f, argnums=(0, 1))
    g(*make(np.random.default_rng(1)))
    code = _code(g.source)
    assert product in code.split("for t in")[0], g.source
    assert "xs[t]" not in code.split("reversed")[0], g.source


@pytest.mark.parametrize("name", ["branch_on_the_product", "some_rows"])
def test_decisions_and_partial_reads_are_left(name):
    f, make = CASES[name]
    g = grad(f, argnums=(0, 1))
    g(*make(np.random.default_rng(2)))
    assert "xs[t]" in _code(g.source).split("reversed")[0], g.source


def test_the_functions_own_value_is_computed_as_it_computes_it():
    args = _args(np.random.default_rng(3), hidden=16, inputs=8, steps=50)
    vg = value_and_grad(rnn, argnums=(0, 1))
    value, grads = vg(*args)
    assert value == rnn(*args)
    assert "U @ xs[t]" in vg.source and "xs @ U.T" not in vg.source
    for k, g in enumerate(grads):
        assert_grad_close(rnn, args, k, g)
    value, pullback = vjp(rnn, *args)
    assert value == rnn(*args)
    grads = pullback(1.0)
    assert "xs @ U.T" not in pullback.source
    for k, g in enumerate(grads):
        assert_grad_close(rnn, args, k, g)


def test_second_order():
    W, U, h, xs = _args(np.random.default_rng(4), hidden=3, inputs=2, steps=4)
    expected = numeric_hessian(lambda u: rnn(W, u.reshape(U.shape), h, xs), U.ravel()).reshape(U.shape * 2)
    np.testing.assert_allclose(hessian(rnn, argnums=1)(W, U, h, xs), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(jacfwd(grad(rnn, argnums=1), argnums=1)(W, U, h, xs), expected, rtol=1e-5, atol=1e-7)
