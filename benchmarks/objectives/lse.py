"""Log-sum-exp of a vector (GradBench's ``lse``), written with the shift by the maximum
that keeps the exponentials finite: LSE(x) = a + log sum_i exp(x_i - a), a = max x.

GradBench's sizes: n from 2500 to 1280000 (doubling), x uniform on [0, 1).
Differentiated with respect to x.
"""

from __future__ import annotations

import numpy as np

ARGNUMS = 0
DERIVATIVE = "grad"
SIZES = {"small": dict(n=2500), "medium": dict(n=160000)}


def objective(x):
    a = np.max(x)
    return a + np.log(np.sum(np.exp(x - a)))


def hand(x):
    """The softmax of x."""
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def make_data(size="small", seed=0):
    return (np.random.default_rng(seed).random(SIZES[size]["n"]),)
