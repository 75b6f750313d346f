"""Gradients with known exact values (computed symbolically or by hand), and the look of emitted code."""

from __future__ import annotations

import io
import tokenize

import numpy as np
import pytest

from ad_compiler import grad, value_and_grad
from tests.numeric import assert_grad_close
from tests.test_grad_corpus import redundant_arithmetic


def sin_exp_log(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def product_of_differences(a, b):
    return (a / b - a) * (b / a + a + b) * (a - b)


def affine(x, y, c):
    z = (x * y + c) * c + x
    return z


def logistic_loss(beta, X, y):
    p = 1.0 / (1.0 + np.exp(-X @ beta))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_sin_exp_log_exact() -> None:
    got = grad(sin_exp_log, argnums=(0, 1, 2))(43.0, 3.0, 2.0)
    expected = (60.85353612046653, 872.2331479536114, -3.2853671032530305)  # SymPy, 20 digits
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)


def test_sin_exp_log_gradients_are_scalars() -> None:
    got = grad(sin_exp_log, argnums=(0, 1, 2))(43.0, 3.0, 2.0)
    for g in got:
        assert isinstance(g, (float, np.floating)), f"{type(g).__name__}: {g!r}"
        assert np.shape(g) == ()
    value, ba = value_and_grad(sin_exp_log)(43.0, 3.0, 2.0)
    assert value == pytest.approx(sin_exp_log(43.0, 3.0, 2.0), rel=1e-12)
    assert isinstance(ba, (float, np.floating)) and np.shape(ba) == ()
    assert ba == pytest.approx(60.85353612046653, rel=1e-9)


def test_product_of_differences_exact() -> None:
    got = grad(product_of_differences, argnums=(0, 1))(230.3, 33.2)
    np.testing.assert_allclose(got, (-153284.83150602411, 3815.0389441500993), rtol=1e-9, atol=0)


def test_affine_exact() -> None:
    dx, dy, dc = grad(affine, argnums=(0, 1, 2))(0.9, 0.4, 1.3)
    # dz/dx = y*c + 1, dz/dy = x*c, dz/dc = x*y + 2c
    assert dx == pytest.approx(1.52, abs=1e-12)
    assert dy == pytest.approx(1.17, abs=1e-12)
    assert dc == pytest.approx(2.96, abs=1e-12)


@pytest.fixture(scope="module")
def logistic_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240601)
    n, d = 100, 10
    X = rng.normal(size=(n, d))
    beta = 0.3 * rng.normal(size=d)
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-X @ rng.normal(size=d)))).astype(np.float64)
    return beta, X, y


def test_logistic_regression_matches_hand_written(logistic_data) -> None:
    beta, X, y = logistic_data
    n = X.shape[0]
    p = 1.0 / (1.0 + np.exp(-X @ beta))
    gbeta, gX = grad(logistic_loss, argnums=(0, 1))(beta, X, y)
    np.testing.assert_allclose(gbeta, X.T @ (p - y) / n, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(gX, np.outer(p - y, beta) / n, rtol=1e-10, atol=1e-13)
    assert gbeta.shape == beta.shape and gX.shape == X.shape


def test_logistic_regression_matches_central_differences(logistic_data) -> None:
    args = logistic_data
    assert_grad_close(logistic_loss, args, 0, grad(logistic_loss)(*args))


def _names(source: str) -> set[str]:
    return {t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.NAME}


def test_emitted_source_reads_like_hand_written() -> None:
    g = grad(sin_exp_log, argnums=(0, 1, 2))
    g(43.0, 3.0, 2.0)
    source = g.source
    missing = {"a", "b", "c", "g", "ba", "bb", "bc"} - _names(source)
    assert not missing, f"names {sorted(missing)} missing from:\n{source}"
    assert "# line" in source, source
    assert "unbroadcast" not in source and "broadcast_to" not in source, "float arguments need no shape helpers"
    assert not redundant_arithmetic(source), source
