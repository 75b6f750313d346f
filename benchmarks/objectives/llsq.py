"""Linear least squares (GradBench's ``llsq``, after cmpad's ``llsq_obj``): fit a
polynomial of m coefficients to the sign function sampled at n points of [-1, 1],

    y(x) = 1/2 sum_i (s_i - sum_j x_j t_i^j)^2,   t_i = -1 + 2 i / (n - 1),  s_i = sign(t_i).

Written vectorized, as the definition's two sums are in NumPy. GradBench's sizes: m = 128
and n from 16 to 16392 (doubling). Differentiated with respect to x.
"""

from __future__ import annotations

import numpy as np

ARGNUMS = 0
DERIVATIVE = "grad"
SIZES = {"small": dict(n=256, m=128), "medium": dict(n=4096, m=128)}


def objective(x, n):
    t = np.linspace(-1.0, 1.0, n)
    powers = t[:, None] ** np.arange(x.shape[0])
    r = np.sign(t) - powers @ x
    return 0.5 * np.sum(r * r)


def hand(x, n):
    """-T^T r, T the matrix of powers of t."""
    t = np.linspace(-1.0, 1.0, n)
    powers = t[:, None] ** np.arange(x.shape[0])
    return powers.T @ (powers @ x - np.sign(t))


def make_data(size="small", seed=0):
    n, m = SIZES[size].values()
    return np.random.default_rng(seed).random(m), n
