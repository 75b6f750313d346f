"""Programs written the way a user writes them, over the library primitives, each
differentiated in both modes against central differences: an LSTM sequence loss
(np.concatenate in a loop, parameters in a dict) and a Gaussian mixture's negative
log-likelihood with a Wishart-style prior (np.einsum, scipy.special.logsumexp and
multigammaln). The families' own tests (tests/rules/) hold the others: a Gaussian
process's marginal likelihood, a bundle-adjustment residual, a Student-t regression."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp, multigammaln

from ad_compiler import grad
from tests.numeric import numeric_grad

MODES = ("reverse", "forward")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_loss(params, xs, ys):
    hidden = params["bf"].shape[0]
    h = np.zeros(hidden)
    c = np.zeros(hidden)
    loss = 0.0
    for t in range(xs.shape[0]):
        z = np.concatenate([h, xs[t]])
        f = sigmoid(params["Wf"] @ z + params["bf"])
        i = sigmoid(params["Wi"] @ z + params["bi"])
        o = sigmoid(params["Wo"] @ z + params["bo"])
        g = np.tanh(params["Wc"] @ z + params["bc"])
        c = f * c + i * g
        h = o * np.tanh(c)
        loss = loss + np.sum((params["Wy"] @ h - ys[t]) ** 2)
    return loss / xs.shape[0]


def _lstm_problem(hidden=3, inputs=2, outputs=2, steps=4):
    rng = np.random.default_rng(0)
    params = {name: rng.normal(scale=0.5, size=(hidden, hidden + inputs)) for name in ("Wf", "Wi", "Wo", "Wc")}
    params.update({name: rng.normal(scale=0.1, size=hidden) for name in ("bf", "bi", "bo", "bc")})
    params["Wy"] = rng.normal(scale=0.5, size=(outputs, hidden))
    return params, rng.normal(size=(steps, inputs)), rng.normal(size=(steps, outputs))


@pytest.mark.parametrize("mode", MODES)
def test_lstm_loss_with_concatenate(mode: str) -> None:
    params, xs, ys = _lstm_problem()
    got = grad(lstm_loss, mode=mode)(params, xs, ys)
    for name, value in params.items():
        def of(v, name=name):
            return lstm_loss({**params, name: v}, xs, ys)

        np.testing.assert_allclose(got[name], numeric_grad(of, (value,), 0), rtol=1e-6, atol=1e-9, err_msg=name)


def gmm_objective(alphas, means, icf, x, wishart_gamma, wishart_m):
    """A Gaussian mixture's negative log-likelihood with a Wishart prior on the precision
    matrices, each given by the log of its Cholesky factor's diagonal and the entries below
    it (as in the standard AD benchmark)."""
    n, d = x.shape
    k = alphas.shape[0]
    log_diag = icf[:, :d]
    diag = np.exp(log_diag)
    lower = icf[:, d:]
    rows, cols = np.tril_indices(d, -1)
    factors = np.zeros((k, d, d))
    factors[:, rows, cols] = lower
    factors = factors + np.einsum("ki,ij->kij", diag, np.eye(d))
    centered = x[:, None, :] - means[None, :, :]
    mahalanobis = np.einsum("kij,nkj->nki", factors, centered)
    log_weights = alphas + np.sum(log_diag, axis=1) - 0.5 * np.sum(mahalanobis ** 2, axis=2)
    likelihood = -np.sum(logsumexp(log_weights, axis=1)) + n * logsumexp(alphas)
    frobenius = np.sum(diag ** 2) + np.sum(lower ** 2)
    prior = 0.5 * wishart_gamma ** 2 * frobenius - wishart_m * np.sum(log_diag)
    constant = n * d * 0.5 * np.log(2 * np.pi) - k * multigammaln(0.5 * (wishart_m + d + 1), d)
    return likelihood + prior + constant


def _gmm_problem(n=5, d=3, k=2):
    rng = np.random.default_rng(1)
    return (rng.normal(size=k), rng.normal(size=(k, d)), rng.normal(scale=0.3, size=(k, d + d * (d - 1) // 2)),
            rng.normal(size=(n, d)))


@pytest.mark.parametrize("mode", MODES)
def test_gmm_objective_with_einsum_logsumexp_and_multigammaln(mode: str) -> None:
    alphas, means, icf, x = _gmm_problem()
    args = (alphas, means, icf, x, 1.0, 0.0)
    got = grad(gmm_objective, argnums=(0, 1, 2), mode=mode)(*args)
    for i in range(3):
        np.testing.assert_allclose(got[i], numeric_grad(gmm_objective, args, i), rtol=1e-6, atol=1e-8)
