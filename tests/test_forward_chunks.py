"""Forward mode with many inputs runs in chunks of directions under a memory bound.

One batched pass carries a tangent row per input direction: for n inputs an n x n seed.
Above `FORWARD_MEMORY` the directions are taken in chunks, each a batched pass; the
results are checked against central differences and analytic Jacobians, with the bound
lowered so that small problems are chunked, and with the default bound on a problem
whose single pass would need far more than the bound (its peak memory measured).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import ad_compiler.ad.jacobian as jacobian
from ad_compiler import grad, hessian, jacfwd, value_and_grad
from tests.numeric import numeric_grad


def loss(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


def residuals(w):
    return np.tanh(w * 2.0) + w[::-1]


@pytest.fixture
def small_bound(monkeypatch):
    monkeypatch.setattr(jacobian, "FORWARD_MEMORY", 400)  # bytes: a few directions a pass


def test_a_gradient_by_chunks_of_directions(small_bound) -> None:
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=(6, 3)), rng.normal(size=(4, 6))
    df = grad(loss, mode="forward")
    np.testing.assert_allclose(df(w, x), numeric_grad(loss, (w, x), 0), rtol=1e-7, atol=1e-9)
    assert "for start in range(0, 18, 2):" in df.source, df.source
    value, g = value_and_grad(loss, mode="forward")(w, x)
    assert value == pytest.approx(loss(w, x))
    np.testing.assert_allclose(g, numeric_grad(loss, (w, x), 0), rtol=1e-7, atol=1e-9)


def test_a_jacobian_by_chunks_cuts_the_last_partial_chunk(small_bound) -> None:
    w = np.random.default_rng(1).normal(size=7)  # 7 directions in chunks of 6: 6 + 1
    expected = np.diag(2 / np.cosh(2 * w) ** 2) + np.eye(7)[::-1]
    np.testing.assert_allclose(jacfwd(residuals)(w), expected, rtol=1e-12, atol=1e-15)


def test_a_hessian_by_chunks(small_bound) -> None:
    def f(w):
        return np.sum(np.sin(w) * w[::-1])

    w = np.linspace(-1.0, 1.0, 9)
    expected = np.diag(-np.sin(w) * w[::-1]) + np.diag(np.cos(w))[::-1] + np.diag(np.cos(w[::-1]))[::-1]
    np.testing.assert_allclose(hessian(f)(w), expected, rtol=1e-10, atol=1e-12)


def test_many_inputs_stay_under_the_bound() -> None:
    """6,000 inputs: one pass would hold a 288 MB seed; chunks keep to two bounds."""
    rng = np.random.default_rng(2)
    w, x = rng.normal(size=(1500, 4)), rng.normal(size=(3, 1500))
    df = grad(loss, mode="forward")
    df(w[:2, :1], x[:, :2])  # (a compile for other shapes: the machinery is warm)
    tracemalloc.start()
    got = df(w, x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 3 * jacobian.FORWARD_MEMORY, f"peak {peak / 2**20:.0f} MiB"  # one pass: 276 MiB
    t = np.tanh(x @ w)
    np.testing.assert_allclose(got, x.T @ (2 * t * (1 - t * t)), rtol=1e-10, atol=1e-12)
