"""Checkpointing (`grad(f, checkpoint=...)`, `ad/checkpoint.py`): the same gradients as
without, against central differences; what is cut and what is not; and the memory it
saves, measured with tracemalloc (the arrays NumPy allocates are reported to it)."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

from ad_compiler import grad, jacfwd, value_and_grad
from ad_compiler.errors import ArgumentError
from tests.numeric import assert_grad_close, numeric_hessian


def rnn(W, U, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def from_two(W, h, xs):
    for t in range(2, xs.shape[0]):
        h = np.sin(W @ h) * xs[t] + xs[t - 1]
    return np.sum(h)


def steps(x, n):
    acc = x
    for _ in range(n):
        acc = np.cos(acc) * x
    return acc


def printing(x, n):
    acc = x
    for i in range(n):
        print("step", i)
        acc = np.sin(acc) + x
    return acc


def _rnn_args(rng, hidden=3, inputs=2, length=10):
    return (0.5 * rng.normal(size=(hidden, hidden)), rng.normal(size=(hidden, inputs)),
            rng.normal(size=hidden), rng.normal(size=(length, inputs)))


@pytest.mark.parametrize("policy", ["sqrt", 1, 3, 4, 10, 25])
def test_against_central_differences(policy):
    args = _rnn_args(np.random.default_rng(0))
    got = grad(rnn, argnums=(0, 1, 2, 3), checkpoint=policy)(*args)
    for k in range(4):
        assert_grad_close(rnn, args, k, got[k])


def test_a_loop_from_another_start():
    rng = np.random.default_rng(1)
    args = (0.5 * rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=(9, 3)))
    got = grad(from_two, argnums=(0, 1, 2), checkpoint="sqrt")(*args)
    for k in range(3):
        assert_grad_close(from_two, args, k, got[k])


@pytest.mark.parametrize("n", [-3, 0, 1, 2, 7, 30])
def test_a_trip_count_known_at_run_time(n):
    df = grad(steps, checkpoint="sqrt", mode="reverse")
    assert_grad_close(lambda x: steps(x, n), (0.4,), 0, df(0.4, n))
    assert "np.sqrt(" in df.source and "tape" in df.source, df.source


def test_value_and_grad():
    args = _rnn_args(np.random.default_rng(2))
    value, g = value_and_grad(rnn, checkpoint=4)(*args)
    assert value == pytest.approx(rnn(*args), rel=1e-14)
    assert_grad_close(rnn, args, 0, g)


def test_what_is_cut():
    """The loop becomes segments; the tape of the forward pass holds what each segment
    starts from, and the reverse sweep runs each segment again with its own tape."""
    df = grad(rnn, argnums=0, checkpoint="sqrt")
    df(*_rnn_args(np.random.default_rng(3), length=50))
    source = df.source
    assert "for segment in range(8):" in source and "for segment in reversed(range(8)):" in source, source
    assert "tape.append(h)" in source and "min(t1 + 7, 50)" in source, source


def test_a_loop_with_effects_is_not_cut(capsys):
    df = grad(printing, checkpoint="sqrt", mode="reverse")
    got = df(0.3, 4)
    assert capsys.readouterr().out.count("step") == 4
    assert "segment" not in df.source
    assert_grad_close(lambda x: printing(x, 4), (0.3,), 0, got)


def test_second_order():
    rng = np.random.default_rng(4)
    W, U, h, xs = _rnn_args(rng, hidden=2, inputs=2, length=6)
    loss = lambda W: rnn(W, U, h, xs)  # noqa: E731
    hess = jacfwd(grad(loss, checkpoint=2))(W)
    np.testing.assert_allclose(hess, numeric_hessian(loss, W), rtol=1e-5, atol=1e-6)


def _peak(f, args) -> int:
    f(*args)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    f(*args)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def peaks_of_rnn_gradients(*policies, seed: int, lengths: tuple[int, int] = (1600, 6400)) -> dict[int, tuple[int, ...]]:
    """The peaks of the RNN's gradient under each checkpoint policy (None: every step
    recorded), at two numbers of steps (by default 1600 and 6400)."""
    rng = np.random.default_rng(seed)
    W, U, h, _ = _rnn_args(rng, hidden=16, inputs=4)
    derivatives = [grad(rnn, argnums=0, mode="reverse", checkpoint=policy) for policy in policies]
    peaks = {}
    for length in lengths:
        args = (W, U, h, rng.normal(size=(length, 4)))
        peaks[length] = tuple(_peak(f, args) for f in derivatives)
    return peaks


def test_memory_grows_like_the_square_root_of_the_steps():
    """Recording every step of 1600 and 6400 steps grows 4 times; by segments, about
    twice (the square root), plus what does not depend on the steps."""
    peaks = peaks_of_rnn_gradients(None, "sqrt", seed=5)
    assert peaks[6400][0] > 3.5 * peaks[1600][0], peaks
    assert peaks[6400][1] < 2.2 * peaks[1600][1], peaks
    assert peaks[6400][1] < peaks[6400][0] / 10, peaks


@pytest.mark.parametrize("policy", [0, -3, "binomial", "LOG", ("log", 3), 2.5, True])
def test_a_bad_policy_is_refused(policy):
    with pytest.raises(ArgumentError, match="checkpoint must be None, 'sqrt', 'log' or a positive int"):
        grad(rnn, checkpoint=policy)
