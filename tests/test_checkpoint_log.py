"""The recursive checkpointing schedule (`grad(f, checkpoint="log")`, `ad/checkpoint.py`):
segments cut into segments, each level recomputed by the reverse sweep. Gradients against
central differences and equal to the gradients recorded step by step, trip counts that
are constants and known only at run time, second order, and memory growing like log T."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, jacfwd, jacrev, value_and_grad
from tests.numeric import assert_grad_close, numeric_hessian
from tests.test_checkpoint import _rnn_args, peaks_of_rnn_gradients, rnn, steps


def two_carried(a, b, xs):
    for t in range(xs.shape[0]):
        a, b = np.sin(a) * xs[t] + b, 0.9 * b - a * xs[t]
    return a * b


def in_a_branch(x, xs):
    if x > 0:
        for t in range(xs.shape[0]):
            x = np.sin(x) * xs[t] + 0.1
    else:
        x = x * 2.0
    return x


def nested(W, h, xs):
    for t in range(xs.shape[0]):
        for j in range(3):
            h = np.tanh(W @ h) + xs[t] * j
    return np.sum(h)


def _same(got, plain) -> None:
    for a, b in zip(got, plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("length", [0, 1, 2, 3, 7, 64, 1000])
def test_rnn_against_central_differences(length):
    args = _rnn_args(np.random.default_rng(length), length=length)
    got = grad(rnn, argnums=(0, 1, 2, 3), checkpoint="log")(*args)
    _same(got, grad(rnn, argnums=(0, 1, 2, 3), mode="reverse")(*args))
    if length <= 64:
        for k in range(4 if length else 3):  # (no differences of an empty xs)
            assert_grad_close(rnn, args, k, got[k])


@pytest.mark.parametrize("n", [-3, 0, 1, 2, 3, 7, 64, 1000])
def test_a_trip_count_known_at_run_time(n):
    df = grad(steps, checkpoint="log", mode="reverse")
    got = df(0.4, n)
    assert_grad_close(lambda x: steps(x, n), (0.4,), 0, got)
    assert got == pytest.approx(grad(steps, mode="reverse")(0.4, n), rel=1e-12, abs=1e-12)
    assert "max(n, 0) ** 0.25" in df.source and "for segment3 in range(parts):" in df.source, df.source


def test_one_compiled_gradient_for_several_trip_counts():
    df = grad(steps, checkpoint="log", mode="reverse")
    for n in (5, 300, 0, 81):
        assert_grad_close(lambda x: steps(x, n), (0.7,), 0, df(0.7, n))


def test_several_carried_values():
    rng = np.random.default_rng(1)
    args = (0.3, -0.2, rng.uniform(0.5, 1.0, size=40))
    got = grad(two_carried, argnums=(0, 1, 2), checkpoint="log")(*args)
    _same(got, grad(two_carried, argnums=(0, 1, 2), mode="reverse")(*args))
    for k in range(3):
        assert_grad_close(two_carried, args, k, got[k])


@pytest.mark.parametrize("x", [0.7, -0.7])
def test_a_loop_in_a_branch(x):
    xs = np.linspace(0.5, 1.5, 20)
    df = grad(in_a_branch, argnums=(0, 1), checkpoint="log")
    got = df(x, xs)
    assert "for segment2 in range(3):" in df.source, df.source
    _same(got, grad(in_a_branch, argnums=(0, 1), mode="reverse")(x, xs))
    for k in range(2):
        assert_grad_close(in_a_branch, (x, xs), k, got[k])


def test_an_inner_loop_is_recomputed_with_its_segment():
    rng = np.random.default_rng(2)
    args = (0.5 * rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=(30, 3)))
    got = grad(nested, argnums=(0, 1, 2), checkpoint="log")(*args)
    _same(got, grad(nested, argnums=(0, 1, 2), mode="reverse")(*args))
    for k in range(3):
        assert_grad_close(nested, args, k, got[k])


def test_what_is_cut():
    """50 steps: 4 segments of 16, each cut into 4 of 4; the forward pass records the
    4 segments' starts, the reverse sweep of a segment the starts of its 4."""
    df = grad(rnn, argnums=0, checkpoint="log")
    df(*_rnn_args(np.random.default_rng(3), length=50))
    source = df.source
    for line in ("for segment in range(4):", "for segment2 in range(4):", "min(t3 + 4, t2)",
                 "for segment in reversed(", "for segment2 in reversed(", "tape_1.append(h)"):
        assert line in source, source


def test_value_and_grad():
    args = _rnn_args(np.random.default_rng(4), length=30)
    value, g = value_and_grad(rnn, checkpoint="log")(*args)
    assert value == pytest.approx(rnn(*args), rel=1e-14)
    assert_grad_close(rnn, args, 0, g)


@pytest.mark.parametrize("outer", [jacfwd, jacrev])
def test_second_order(outer):
    rng = np.random.default_rng(5)
    W, U, h, xs = _rnn_args(rng, hidden=2, inputs=2, length=20)
    loss = lambda W: rnn(W, U, h, xs)  # noqa: E731
    hess = outer(grad(loss, checkpoint="log"))(W)
    np.testing.assert_allclose(hess, numeric_hessian(loss, W), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n", [0, 3, 17])
def test_second_order_at_run_time(n):
    d2 = grad(grad(steps, checkpoint="log", mode="reverse"))
    h = 1e-5
    expected = (steps(0.4 + h, n) - 2 * steps(0.4, n) + steps(0.4 - h, n)) / h ** 2
    assert d2(0.4, n) == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_memory_grows_like_log_t():
    """From 400 to 1600 steps (4 times as many), the square-root schedule grows about
    twice; the recursive one by one level (6 tapes of at most 4 states, not 5)."""
    peaks = peaks_of_rnn_gradients("sqrt", "log", seed=6, lengths=(400, 1600))
    assert peaks[1600][1] < 1.4 * peaks[400][1], peaks
    assert peaks[1600][1] - peaks[400][1] < (peaks[1600][0] - peaks[400][0]) / 4, peaks


@pytest.mark.parametrize("policy", ["sqrt", "log"])
def test_the_adjoint_of_the_inputs(policy):
    """The reverse sweeps of all the levels add rows into one `bxs`, carried by the
    loops over segments: no copy of it per segment."""
    args = _rnn_args(np.random.default_rng(7), length=50)
    df = grad(rnn, argnums=3, checkpoint=policy)
    assert_grad_close(rnn, args, 3, df(*args))
    assert "np.copy(bxs)" not in df.source, df.source
