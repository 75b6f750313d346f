"""The determinant by expansion in minors along the first row (GradBench's ``det``,
after cmpad's ``det_by_minor``): a recursion of depth ell and ell! products, a source of
many scalar operations rather than a way to compute a determinant.

GradBench's sizes: ell from 5 to 11, entries uniform on [0, 1). Differentiated with
respect to the matrix.
"""

from __future__ import annotations

import numpy as np

ARGNUMS = 0
DERIVATIVE = "grad"
SIZES = {"small": dict(ell=5), "medium": dict(ell=7)}


def objective(a):
    n = a.shape[0]
    if n == 1:
        return a[0, 0]
    total = 0.0
    sign = 1.0
    for j in range(n):
        minor = np.concatenate((a[1:, :j], a[1:, j + 1:]), axis=1)
        total = total + sign * a[0, j] * objective(minor)
        sign = -sign
    return total


def hand(a):
    """The cofactors, by the same recursion: each level returns its minor's determinant
    and gradient, and scatters the gradient of each sub-minor back into its rows and
    columns. (det(a) inv(a)^T is the same matrix, by elimination.)"""
    return _det_and_cofactors(a)[1]


def _det_and_cofactors(a):
    n = a.shape[0]
    if n == 1:
        return a[0, 0], np.ones((1, 1))
    total = 0.0
    cofactors = np.zeros_like(a)
    sign = 1.0
    for j in range(n):
        keep = np.r_[0:j, j + 1:n]
        d, g = _det_and_cofactors(a[1:, keep])
        total += sign * a[0, j] * d
        cofactors[0, j] = sign * d
        cofactors[1:, keep] += sign * a[0, j] * g
        sign = -sign
    return total, cofactors


def make_data(size="small", seed=0):
    ell = SIZES[size]["ell"]
    return (np.random.default_rng(seed).random((ell, ell)),)
