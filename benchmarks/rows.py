"""The eight workloads of the peer table (bench_rows.py): the function, its arguments, what
is differentiated and a hand-written gradient written for speed.

The functions are those of bench_grad.py and bench_loops.py, plus a two-layer perceptron;
the hand-written gradients here are what a performance-minded person writes: the
recurrent network's weight gradients as one matrix product over the stacked steps after
the reverse loop (not an outer product per step), Horner's derivative in forward mode.
"""

from __future__ import annotations

import numpy as np

from bench_grad import _logistic_data, logistic_bce, logistic_hand, scalar_f, scalar_hand
from bench_loops import _horner_data, _rnn_data, horner, rnn_loss


def mlp(w1, b1, w2, b2, x, y):
    """A tanh hidden layer, a linear output, the mean squared error."""
    h = np.tanh(x @ w1 + b1)
    out = h @ w2 + b2
    return np.mean((out - y) ** 2)


def mlp_hand(w1, b1, w2, b2, x, y):
    h = np.tanh(x @ w1 + b1)
    d_out = (2.0 / y.size) * (h @ w2 + b2 - y)
    dz = (d_out @ w2.T) * (1.0 - h * h)
    return x.T @ dz, dz.sum(axis=0), h.T @ d_out, d_out.sum(axis=0)


def mlp_data(n, d, hidden, out, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((d, hidden)) / np.sqrt(d), np.zeros(hidden),
            rng.standard_normal((hidden, out)) / np.sqrt(hidden), np.zeros(out),
            rng.standard_normal((n, d)), rng.standard_normal((n, out)))


def rnn_hand(w, u, h0, xs):
    """Backpropagation through time: the states kept in one array, the inputs' products
    taken in one matrix product before the loop, the pre-activation adjoints stacked in the
    reverse loop, and each weight gradient one matrix product after it."""
    steps = xs.shape[0]
    driven = xs @ u.T
    hs = np.empty((steps + 1, h0.shape[0]))
    hs[0] = h0
    for t in range(steps):
        hs[t + 1] = np.tanh(w @ hs[t] + driven[t])
    dzs = np.empty((steps, h0.shape[0]))
    dh = 2.0 * hs[steps]
    wt = w.T
    for t in range(steps - 1, -1, -1):
        dz = dh * (1.0 - hs[t + 1] * hs[t + 1])
        dzs[t] = dz
        dh = wt @ dz
    return dzs.T @ hs[:-1], dzs.T @ xs


def horner_hand(x, coeffs):
    """Forward mode beside the recurrence: (acc x + c)' = acc' x + acc."""
    acc = dacc = 0.0
    for c in coeffs.tolist():
        dacc = dacc * x + acc
        acc = acc * x + c
    return dacc


def make_rows():
    """(name, size, function, arguments, argnums, hand-written gradient), in table order."""
    return [
        ("scalar", "3 floats", scalar_f, (43.0, 3.0, 2.0), (0, 1, 2), scalar_hand),
        ("logistic", "100x10", logistic_bce, _logistic_data(100, 10, seed=0), 0, logistic_hand),
        ("logistic", "10000x100", logistic_bce, _logistic_data(10000, 100, seed=1), 0, logistic_hand),
        ("mlp", "32-64-1 batch 64", mlp, mlp_data(64, 32, 64, 1, seed=2), (0, 1, 2, 3), mlp_hand),
        ("mlp", "512-1024-10 batch 64", mlp, mlp_data(64, 512, 1024, 10, seed=3), (0, 1, 2, 3),
         mlp_hand),
        ("rnn", "T=50 H=16 in=8", rnn_loss, _rnn_data(50, 16, 8, seed=0), (0, 1), rnn_hand),
        ("rnn", "T=50 H=256 in=64", rnn_loss, _rnn_data(50, 256, 64, seed=1), (0, 1), rnn_hand),
        ("horner", "100 coefficients", horner, _horner_data(100, seed=2), 0, horner_hand),
    ]
