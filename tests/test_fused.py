"""The logistic function and its logarithms differentiated as wholes (`primitives/fused.py`,
`passes/fuse.py`), and terms of a derivative that cancel (`passes/cancel.py`): every
derivative against central differences or its formula, the function's own values to
the bit, and the emitted code checked for what it should hold."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, hessian, jacfwd, jvp, value_and_grad
from tests.numeric import assert_grad_close, numeric_hessian


def cross_entropy(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def cross_entropy_spelled(beta, X, y):
    """The same, spelled otherwise: 1.0, the exponential first, a sum, the ones swapped."""
    p = 1.0 / (np.exp(-(X @ beta)) + 1.0)
    return -np.sum((1.0 - y) * np.log(1.0 - p) + np.log(p) * y) / y.shape[0]


def log_logistic(z):
    return np.sum(np.log(1 / (1 + np.exp(-z))) * np.cos(z))


def log1m_logistic(z):
    return np.sum(np.log(1 - 1 / (1 + np.exp(z * z))))


def logistic_squared(z):
    p = 1 / (1 + np.exp(-2 * z))
    return np.sum(p * p) + np.sum(np.log(p))


def _data(n=40, d=5, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = scale * rng.normal(size=(n, d))
    return 0.3 * rng.normal(size=d), X, (rng.random(n) < 0.5).astype(float)


def _code(source: str) -> str:
    return "\n".join(line.split("#")[0] for line in source.splitlines())


@pytest.mark.parametrize("f", [cross_entropy, cross_entropy_spelled])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_cross_entropy_gradient(f, mode):
    args = _data()
    assert_grad_close(f, args, 0, grad(f, mode=mode)(*args))


@pytest.mark.parametrize("f", [cross_entropy, cross_entropy_spelled])
def test_cross_entropy_is_written_as_a_person_writes_it(f):
    args = _data()
    g = grad(f)
    g(*args)
    code = _code(g.source)
    assert "p - y" in code, g.source
    assert "/ p" not in code and "/ (1 - p)" not in code, g.source


def test_saturated_logistic_gradient_is_exact():
    """Where the logistic rounds to 0 or 1, the composed adjoint divides by them; the
    whole function's is the formula X.T @ (p - y) / n."""
    beta, X, y = _data(scale=400.0)
    p = 1 / (1 + np.exp(-(X @ beta)))
    assert np.any(p == 1.0)
    with np.errstate(divide="ignore", over="ignore"):
        got = grad(cross_entropy)(beta, X, y)
    np.testing.assert_allclose(got, X.T @ (p - y) / y.shape[0], rtol=1e-12, atol=0)


def test_value_is_the_functions_to_the_bit():
    args = _data()
    value, g = value_and_grad(cross_entropy)(*args)
    assert value == cross_entropy(*args)
    assert_grad_close(cross_entropy, args, 0, g)


@pytest.mark.parametrize("f", [log_logistic, log1m_logistic, logistic_squared])
def test_logarithms_of_the_logistic(f):
    z = np.random.default_rng(1).normal(size=6)
    assert_grad_close(f, (z,), 0, grad(f)(z))
    assert_grad_close(f, (z,), 0, grad(f, mode="forward")(z))
    _, tangent = jvp(f, (z,), (np.ones(6),))
    np.testing.assert_allclose(tangent, np.sum(grad(f)(z)), rtol=1e-10)


@pytest.mark.parametrize("f", [log_logistic, log1m_logistic, logistic_squared, cross_entropy])
def test_second_order(f):
    args = _data() if f is cross_entropy else (np.random.default_rng(2).normal(size=4),)
    expected = numeric_hessian(lambda x: f(x, *args[1:]), args[0])
    np.testing.assert_allclose(hessian(f)(*args), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(jacfwd(grad(f))(*args), expected, rtol=1e-5, atol=1e-7)


def compensated(x, y):
    """Kahan's correction term, (s + y) - s - y: zero in exact arithmetic, not in floats."""
    s = np.sum(x)
    t = s + y
    c = (t - s) - y
    return t * c + t


def branch_on_rounding(x, y):
    c = ((x + y) - x) - y
    if c == 0.0:
        return x * y
    return x * y * 2.0


def test_the_functions_own_values_are_not_cancelled():
    x, y = np.array([1.0, 1e-17, 3.0]), 1e-16
    value, g = value_and_grad(compensated, argnums=(0, 1))(x, y)
    assert value == compensated(x, y)
    assert_grad_close(compensated, (x, y), 0, g[0])
    for a, b in [(1.0, 1e-17), (1.0, 0.5)]:
        v, d = value_and_grad(branch_on_rounding, argnums=(0, 1))(a, b)
        assert v == branch_on_rounding(a, b)
        np.testing.assert_allclose(d, (b, a) if branch_on_rounding(a, b) == a * b else (2 * b, 2 * a))


def test_cancelled_terms_of_a_derivative():
    """d/dx of y * x * (x - 1) + (1 - y) * x * x summed is the adjoints of two products
    whose y * x terms cancel: their sum is written with fewer operations."""
    def f(x, y):
        return np.sum(y * (x - 1) * x + (1 - y) * x * x)

    x, y = np.random.default_rng(3).normal(size=(2, 5))
    assert_grad_close(f, (x, y), 0, grad(f)(x, y))
    assert_grad_close(f, (x, y), 1, grad(f, argnums=1)(x, y))
