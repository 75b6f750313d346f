"""Gaussian mixture model: the log-likelihood of N points under K components with a
Wishart prior on the precision matrices (ADBench's GMM objective).

Component k has a log-weight ``alphas[k]``, a mean ``means[k]`` and a precision factor
Q_k = diag(exp(q_k)) + L_k, where ``icf[k] = (q_k, l_k)``: D log-diagonal entries, then
the D(D-1)/2 entries of the strictly lower triangle L_k column by column. The precision
is Q_k^T Q_k, so the log-density of x_i is alpha_k + sum(q_k) - |Q_k (x_i - mu_k)|^2 / 2
up to constants, and the objective is

    sum_i logsumexp_k(...) - N logsumexp(alphas) + prior - N D log(2 pi) / 2,

with ADBench's prior term as ADBench defines it: per component
gamma^2 |Q_k|_F^2 / 2 - m sum(q_k) - C, the negative of the Wishart log-density
(kept, so that values agree with every ADBench and GradBench implementation).

Sizes are ADBench's: D in {2, 10, 20, 32, 64, 128}, K in {5, 10, 25, 50, 100, 200},
N = 1000 or 10000. Differentiated with respect to alphas, means and icf.
"""

from __future__ import annotations

import math

import numpy as np

ARGNUMS = (0, 1, 2)
DERIVATIVE = "grad"
SIZES = {"small": dict(D=2, K=5, N=1000), "medium": dict(D=10, K=25, N=1000)}


def lower_triangles(icf, d):
    """The strictly lower triangles L_k, shape (K, D, D), from icf's entries past the
    diagonal, laid out column after column."""
    k = icf.shape[0]
    columns = []
    start = d
    for i in range(d):
        below = d - i - 1
        column = np.concatenate([np.zeros((k, i + 1)), icf[:, start:start + below]], axis=1)
        columns.append(column)
        start = start + below
    return np.stack(columns, axis=2)


def logsumexp_rows(a):
    mx = np.max(a, axis=1)
    return np.log(np.sum(np.exp(a - mx[:, None]), axis=1)) + mx


def log_wishart_prior(d, wishart_gamma, wishart_m, sum_qs, q_diags, icf):
    k = icf.shape[0]
    n = d + wishart_m + 1
    frobenius = np.sum(q_diags ** 2, axis=1) + np.sum(icf[:, d:] ** 2, axis=1)
    out = np.sum(0.5 * wishart_gamma * wishart_gamma * frobenius - wishart_m * sum_qs)
    log_multigamma = 0.25 * d * (d - 1) * math.log(math.pi) + sum(
        math.lgamma(0.5 * n + 0.5 * (1 - j)) for j in range(1, d + 1))
    c = n * d * (math.log(wishart_gamma) - 0.5 * math.log(2.0)) - log_multigamma
    return out - k * c


def objective(alphas, means, icf, x, wishart_gamma, wishart_m):
    n, d = x.shape
    q = icf[:, :d]
    q_diags = np.exp(q)
    sum_qs = np.sum(q, axis=1)
    ls = lower_triangles(icf, d)
    centered = x[:, None, :] - means[None, :, :]                          # (N, K, D)
    qx = q_diags[None, :, :] * centered + np.einsum("kij,nkj->nki", ls, centered)
    inner = alphas[None, :] + sum_qs[None, :] - 0.5 * np.sum(qx ** 2, axis=2)
    mx = np.max(alphas)
    lse_alphas = np.log(np.sum(np.exp(alphas - mx))) + mx
    constant = -n * d * 0.5 * math.log(2 * math.pi)
    return (constant + np.sum(logsumexp_rows(inner)) - n * lse_alphas
            + log_wishart_prior(d, wishart_gamma, wishart_m, sum_qs, q_diags, icf))


def hand(alphas, means, icf, x, wishart_gamma, wishart_m):
    """The gradient by hand: the responsibilities r_ik = softmax_k(inner) weigh every
    point's pull on each component; dQ_k = -sum_i r_ik z_ik (x_i - mu_k)^T with
    z_ik = Q_k (x_i - mu_k), read on Q_k's diagonal (times exp q) and lower triangle."""
    n, d = x.shape
    q = icf[:, :d]
    q_diags = np.exp(q)
    cols, rows = np.triu_indices(d, 1)                  # column-major strict lower triangle
    qs = np.zeros((icf.shape[0], d, d))
    qs[:, rows, cols] = icf[:, d:]
    qs[:, np.arange(d), np.arange(d)] = q_diags
    centered = x[:, None, :] - means[None, :, :]
    z = np.einsum("kij,nkj->nki", qs, centered)
    inner = alphas + np.sum(q, axis=1) - 0.5 * np.sum(z * z, axis=2)
    r = np.exp(inner - np.max(inner, axis=1, keepdims=True))
    r /= np.sum(r, axis=1, keepdims=True)
    weights = np.exp(alphas - np.max(alphas))
    counts = np.sum(r, axis=0)
    d_alphas = counts - n * weights / np.sum(weights)
    rz = r[:, :, None] * z
    d_means = np.einsum("kij,nki->kj", qs, rz)
    d_qs = -np.einsum("nki,nkj->kij", rz, centered)
    gamma2 = wishart_gamma * wishart_gamma
    d_q = (d_qs[:, np.arange(d), np.arange(d)] * q_diags + counts[:, None] - wishart_m
           + gamma2 * q_diags * q_diags)
    d_l = d_qs[:, rows, cols] + gamma2 * icf[:, d:]
    return d_alphas, d_means, np.concatenate([d_q, d_l], axis=1)


def make_data(size="small", seed=0):
    """ADBench's generator: alphas, icf and x standard normal, means uniform on [0, 1);
    the Wishart prior's gamma = 1, m = 0."""
    d, k, n = SIZES[size].values()
    rng = np.random.default_rng(seed)
    alphas = rng.standard_normal(k)
    means = rng.random((k, d))
    icf = rng.standard_normal((k, d + d * (d - 1) // 2))
    x = rng.standard_normal((n, d))
    return alphas, means, icf, x, 1.0, 0
