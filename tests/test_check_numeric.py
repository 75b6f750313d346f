"""The numerical baselines (`ad_compiler.check.numeric`) on functions with known
derivatives, including the cases where a method must refuse or must disagree."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ad_compiler.check import numeric

X = np.array([0.3, -1.2, 2.5])


def cubic_sum(x):
    return np.sum(x**3 - 2.0 * x)


def cubic_sum_gradient(x):
    return 3 * x**2 - 2.0


def rotation(theta, r):
    return r * np.stack([np.cos(theta), np.sin(theta)])


def scalar_exp(x):
    return math.exp(x) * x


@pytest.mark.parametrize("richardson, rtol", [(False, 1e-8), (True, 1e-11)])
def test_central_gradient_of_a_known_function(richardson: bool, rtol: float) -> None:
    got = numeric.gradient(cubic_sum, (X,), 0, richardson=richardson)
    assert got.shape == X.shape
    np.testing.assert_allclose(got, cubic_sum_gradient(X), rtol=rtol)


def test_richardson_is_more_accurate_than_central_differences() -> None:
    x = np.array([1.7])
    exact = np.exp(1.7) * np.cos(np.exp(1.7))

    def f(v):
        return np.sum(np.sin(np.exp(v)))

    plain = abs(numeric.gradient(f, (x,), 0)[0] - exact)
    extrapolated = abs(numeric.gradient(f, (x,), 0, richardson=True)[0] - exact)
    assert extrapolated < plain / 10


def test_a_float_argument_gets_a_float_gradient() -> None:
    got = numeric.gradient(scalar_exp, (0.4,), 0)
    assert isinstance(got, float)
    assert math.isclose(got, math.exp(0.4) * 1.4, rel_tol=1e-9)


def test_step_scales_with_the_point() -> None:
    assert numeric.step(0.5) == numeric.CENTRAL_STEP
    assert numeric.step(1e6) == pytest.approx(numeric.CENTRAL_STEP * 1e6)


def test_jacobian_has_the_shape_out_by_in() -> None:
    theta = np.array([0.2, 0.9])
    jac = numeric.jacobian(rotation, (theta, 1.5), 0)
    assert jac.shape == (2, 2, 2)
    for i in range(2):
        np.testing.assert_allclose(jac[:, i, i], [-1.5 * np.sin(theta[i]), 1.5 * np.cos(theta[i])], rtol=1e-8)
    np.testing.assert_allclose(numeric.jacobian(rotation, (theta, 1.5), 1), np.stack([np.cos(theta), np.sin(theta)]),
                               rtol=1e-9)


def test_a_gradient_needs_a_scalar_function() -> None:
    with pytest.raises(ValueError, match="scalar-valued"):
        numeric.gradient(rotation, (X[:2], 1.0), 0)


def test_directional_derivative_costs_two_evaluations() -> None:
    calls = []

    def counted(x):
        calls.append(1)
        return cubic_sum(x)

    x = np.linspace(-1, 1, 1000)
    v = np.random.default_rng(1).standard_normal(1000)
    got = numeric.directional(counted, (x,), 0, v)
    assert len(calls) == 2
    assert got == pytest.approx(cubic_sum_gradient(x) @ v, rel=1e-7)


def test_random_direction_check_agrees_for_the_true_gradient_and_not_for_a_wrong_one() -> None:
    pairs = numeric.random_direction_check(cubic_sum_gradient(X), cubic_sum, (X,), 0)
    assert all(claimed == pytest.approx(measured, rel=1e-7) for claimed, measured in pairs)
    wrong = cubic_sum_gradient(X) * np.array([1.0, 1.0, 1.01])
    pairs = numeric.random_direction_check(wrong, cubic_sum, (X,), 0)
    assert any(claimed != pytest.approx(measured, rel=1e-6) for claimed, measured in pairs)


# --- the complex step -------------------------------------------------------------------------


def test_complex_step_is_exact_to_rounding() -> None:
    got = numeric.complex_step_gradient(cubic_sum, (X,), 0)
    np.testing.assert_allclose(got, cubic_sum_gradient(X), rtol=1e-15)

    def scalar(x):
        return np.exp(x) * x

    value = numeric.complex_step_gradient(scalar, (0.4,), 0)
    assert isinstance(value, float) and value == pytest.approx(np.exp(0.4) * 1.4, rel=1e-15)


def test_complex_step_of_a_math_function_is_detected_unsupported() -> None:
    reason = numeric.complex_step_support(scalar_exp, (0.4,), 0)  # math.exp refuses complex input
    assert reason is not None and "does not accept complex input" in reason
    with pytest.raises(numeric.ComplexStepUnsupported):
        numeric.complex_step_gradient(scalar_exp, (0.4,), 0)


def abs_sum(x):
    return np.sum(np.abs(x) * x)


def writes_into_a_float_buffer(x):
    out = np.zeros(3)
    out[:] = x * x
    return np.sum(out)


def squared_modulus(x):
    return np.sum(x * np.conj(x))


def norm_by_math(x):
    return math.sqrt(np.sum(x * x))


@pytest.mark.parametrize("fn, reason", [
    (abs_sum, "the function returns a real value|disagrees"),
    (writes_into_a_float_buffer, "ComplexWarning"),
    (squared_modulus, "disagrees"),
    (norm_by_math, "ComplexWarning|does not accept complex input"),
])
def test_complex_step_support_is_detected_not_assumed(fn, reason: str) -> None:
    found = numeric.complex_step_support(fn, (X,), 0)
    assert found is not None
    assert any(part in found for part in reason.split("|")), found
