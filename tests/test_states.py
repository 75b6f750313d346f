"""A loop's carried value is taped once, as the list of its states (`passes/states.py`):
gradients against central differences, and the emitted tape checked."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, vjp
from tests.numeric import assert_grad_close


def rnn(W, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h * h)


def from_step_two(W, h, xs):
    for t in range(2, xs.shape[0]):
        h = np.tanh(W @ h * xs[t])
    return np.sum(h ** 2)


def with_more_on_the_tape(W, h, xs):
    """The step tapes something besides the two states."""
    for t in range(xs.shape[0]):
        a = np.cos(xs[t] * h)
        h = np.tanh(W @ h * a)
    return np.sum(h)


def scalar_state(x, ws):
    acc = x
    for i in range(ws.shape[0]):
        acc = np.sin(acc * ws[i]) + acc
    return acc * acc


def two_states(W, h, g, xs):
    for t in range(xs.shape[0]):
        h, g = np.tanh(W @ g + xs[t]), np.sin(h) * g
    return np.sum(h * g)


def _args(fn, rng):
    W = rng.standard_normal((4, 4)) / 2
    h, g, xs = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal((6, 4))
    if fn is scalar_state:
        return 0.3, rng.standard_normal(7)
    return (W, h, g, xs) if fn is two_states else (W, h, xs)


@pytest.mark.parametrize("fn", [rnn, from_step_two, with_more_on_the_tape, scalar_state, two_states])
def test_against_central_differences(fn):
    args = _args(fn, np.random.default_rng(0))
    argnums = tuple(range(len(args) - 1))
    got = grad(fn, argnums=argnums)(*args)
    for k, g in zip(argnums, got):
        assert_grad_close(fn, args, k, g)


@pytest.mark.parametrize("fn", [rnn, from_step_two, with_more_on_the_tape, two_states])
def test_each_state_is_taped_once(fn):
    df = grad(fn, argnums=0)
    df(*_args(fn, np.random.default_rng(1)))
    assert "hs = [h]" in df.source and "hs.append(" in df.source, df.source
    assert "tape.append((h, h" not in df.source, df.source


def test_a_pullback_reads_the_tape_the_forward_part_hands_it():
    """`vjp` splits the derivative in two: the tape is a residual, left as it is."""
    args = _args(rnn, np.random.default_rng(2))
    value, pullback = vjp(rnn, *args)
    assert value == rnn(*args)
    got = pullback(1.0)
    for k, g in zip(range(3), got):
        np.testing.assert_allclose(g, grad(rnn, argnums=k)(*args), rtol=1e-12, atol=1e-12)
