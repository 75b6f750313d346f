"""Sums of products across a loop's iterations become one product after it
(`passes/stacked.py`): every gradient against central differences, and the emitted code
checked for the one product it should now hold."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ad_compiler import grad, hessian
from tests.numeric import assert_grad_close, numeric_hessian


def rnn(W, U, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def rnn_from_step_one(W, U, h, xs):
    for t in range(1, xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + U @ xs[t - 1])
    return np.sum(h * h)


def batched_rnn(W, U, h, xs):
    """Rows are examples: the adjoint of `h @ W` adds `h.T @ dz` each step."""
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] @ U)
    return np.sum(h ** 2)


def outer_products(W, U, a, b):
    """A forward loop that sums outer products itself."""
    acc = np.zeros_like(W)
    for i in range(a.shape[0]):
        acc = acc + np.outer(a[i], np.sin(b[i]))
    return np.sum(np.tanh(acc @ U) ** 2) + np.sum(W * acc)


def mixed_terms(W, U, h, xs):
    """Terms the pass stacks, beside one it does not (`W * h[0]`, elementwise)."""
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t]) + np.sum(W * h[0]) * 0.01
    return np.sum(h * h)


def _code(source: str) -> str:
    """The emitted statements, without the comments that quote the source."""
    return "\n".join(line.split("#")[0] for line in source.splitlines())


def _rnn_args(rng, hidden=4, inputs=3, steps=5):
    return (0.5 * rng.normal(size=(hidden, hidden)), 0.5 * rng.normal(size=(hidden, inputs)),
            rng.normal(size=hidden), rng.normal(size=(steps, inputs)))


CASES = {
    "rnn": (rnn, _rnn_args),
    "rnn_from_step_one": (rnn_from_step_one, _rnn_args),
    "batched_rnn": (batched_rnn, lambda rng: (0.5 * rng.normal(size=(4, 4)), 0.5 * rng.normal(size=(3, 4)),
                                              rng.normal(size=(2, 4)), rng.normal(size=(5, 2, 3)))),
    "outer_products": (outer_products, lambda rng: (rng.normal(size=(3, 4)), rng.normal(size=(4, 2)),
                                                    rng.normal(size=(6, 3)), rng.normal(size=(6, 4)))),
    "mixed_terms": (mixed_terms, _rnn_args),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_central_differences(name):
    f, make = CASES[name]
    args = make(np.random.default_rng(0))
    argnums = (0, 1, 2, 3)
    got = grad(f, argnums=argnums)(*args)
    for k, g in zip(argnums, got):
        assert_grad_close(f, args, k, g)


def test_the_reverse_loop_of_an_rnn_adds_no_outer_product():
    """One product per weight after the loop, of the stacked steps; the rows of `xs` are
    read again, backwards, not collected, and so are the states the forward loop kept."""
    df = grad(rnn, argnums=(0, 1))
    df(*_rnn_args(np.random.default_rng(1)))
    assert "np.outer" not in _code(df.source)
    assert re.search(r"\n    bU = \w+ @ xs\[::-1\]\n", df.source), df.source
    assert re.search(r"\n    bW = \w+ @ np.stack\(hs\[4::-1\]\)\n", df.source), df.source


def test_one_step_reads_the_first_state_only():
    """Backwards from the state at 0 is `hs[0::-1]`, one state; `hs[::-1]` would be all."""
    args = _rnn_args(np.random.default_rng(5), steps=1)
    df = grad(rnn, argnums=0)
    assert_grad_close(rnn, args, 0, df(*args))
    assert "np.stack(hs[0::-1])" in df.source, df.source


def test_a_partial_range_reads_its_rows_as_a_slice():
    df = grad(rnn_from_step_one, argnums=1)
    df(*_rnn_args(np.random.default_rng(2)))
    assert "xs[4:0:-1]" in df.source, df.source


def test_matrix_products_are_concatenated():
    f, make = CASES["batched_rnn"]
    df = grad(f, argnums=(0, 1))
    df(*make(np.random.default_rng(3)))
    assert "np.concatenate(" in df.source and "np.outer" not in _code(df.source), df.source


def test_the_forward_loop_sums_its_outer_products_at_once():
    f, make = CASES["outer_products"]
    df = grad(f, argnums=2)
    df(*make(np.random.default_rng(4)))
    assert "np.outer" not in _code(df.source), df.source


def test_a_loop_that_may_not_run_stacks_only_where_it_ran():
    """Stacking the terms of no iteration would raise: where the trip count is known only
    at run time, the product is taken where the loop grew its lists, and zero steps
    give zeros."""
    def steps(W, h, n):
        for _ in range(n):
            h = np.tanh(W @ h)
        return np.sum(h)

    rng = np.random.default_rng(5)
    W, h = rng.normal(size=(3, 3)), rng.normal(size=3)
    df = grad(steps)
    np.testing.assert_array_equal(df(W, h, 0), np.zeros((3, 3)))
    for n in (1, 4):
        assert_grad_close(lambda W: steps(W, h, n), (W,), 0, df(W, h, n))
    code = _code(df.source)
    assert "np.outer" not in code and re.search(r"\n    if \w+:\n", code), df.source


def test_second_order_through_a_stacked_loop():
    """The Hessian differentiates the gradient before its sums are stacked."""
    rng = np.random.default_rng(6)
    W, U, h, xs = _rnn_args(rng, hidden=2, inputs=2, steps=3)
    hess = hessian(lambda W: rnn(W, U, h, xs))(W)
    np.testing.assert_allclose(hess, numeric_hessian(lambda W: rnn(W, U, h, xs), W), rtol=1e-5, atol=1e-6)
