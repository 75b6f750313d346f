"""Code that does not depend on the differentiated arguments runs as the user wrote it,
once per call of the derivative, in program order; on a differentiated path it is a
located error naming the callable."""

from __future__ import annotations

import numpy as np
import pytest

import ad_compiler
from ad_compiler import grad, hessian, value_and_grad
from ad_compiler.errors import NoDerivativeError
from tests.numeric import numeric_grad


class CountingState(np.random.RandomState):
    """A RandomState that counts its draws."""

    draws = 0

    def randn(self, *shape):
        CountingState.draws += 1
        return super().randn(*shape)


RS = CountingState(0)
LOG: list = []


def svi(params):
    mu, log_sigma = params[0:2], params[2:4]
    eps = RS.randn(2)
    z = mu + np.exp(log_sigma) * eps
    print(f"z = {z[0]:.3f}")
    return np.sum(z ** 2) - np.sum(log_sigma)


def _reseeded(f, x):
    RS.seed(0)
    return f(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_random_draw_runs_once_and_the_gradient_sees_it(mode, capsys):
    x = np.array([0.2, -0.4, 0.1, 0.3])
    expected = numeric_grad(lambda p: _reseeded(svi, p), (x,), 0)
    g = grad(svi, mode=mode)
    for _ in range(3):
        RS.seed(0)
        before = CountingState.draws
        np.testing.assert_allclose(g(x), expected, rtol=1e-6, atol=1e-9)
        assert CountingState.draws == before + 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[-3:] == [printed[-1]] * 3 and printed[-1].startswith("z = ")
    assert "RS.randn(2)" in g.source and "print(f'z = {" in g.source.replace('"', "'")


def test_second_order_runs_the_draw_once():
    x = np.array([0.2, -0.4, 0.1, 0.3])
    h = hessian(svi)
    RS.seed(0)
    before = CountingState.draws
    got = h(x)
    assert CountingState.draws == before + 1
    grad_at = lambda p: grad(svi)(p)  # noqa: E731
    columns = [numeric_grad(lambda p: _reseeded(lambda q: grad_at(q)[i], p), (x,), 0) for i in range(4)]
    np.testing.assert_allclose(got, np.array(columns), rtol=1e-5, atol=1e-7)


def log_progress(w, data):
    loss = np.sum((data @ w - 1.0) ** 2)
    LOG.append(float(loss))  # a method of a list, on an active value: only observed
    assert data.ndim == 2, "data must be a matrix"
    if not np.all(np.isfinite(data)):
        raise ValueError("data has NaNs")
    return loss


def test_observers_of_active_values_run_once():
    w, data = np.array([0.5, -0.2]), np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])
    value = np.sum((data @ w - 1.0) ** 2)
    for mode in ("reverse", "forward"):
        LOG.clear()
        got = grad(log_progress, mode=mode)(w, data)
        assert LOG == [pytest.approx(value)]
        np.testing.assert_allclose(got, 2 * data.T @ (data @ w - 1.0))


def test_raise_on_bad_input_is_kept():
    bad = np.array([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="data has NaNs"):
        grad(log_progress)(np.array([0.5, -0.2]), bad)


def test_isinstance_dispatch_on_arguments():
    def f(x):
        if isinstance(x, float):
            return x ** 3
        return np.sum(x ** 3)

    assert grad(f)(2.0) == pytest.approx(12.0)
    np.testing.assert_allclose(grad(f)(np.array([1.0, 2.0])), [3.0, 12.0])


def test_slice_objects_and_library_calls_on_data():
    def f(c, t):
        s = slice(1, len(t) - 1)
        V = np.vander(t, 3)
        tol = 1e-3
        if np.linalg.norm(t) < tol:  # a stopping test on data
            return 0.0
        return np.sum((V[s] @ c) ** 2)

    c, t = np.array([0.3, -0.2, 0.5]), np.array([0.1, 0.4, 0.9, 1.3])
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(grad(f, mode=mode)(c, t), numeric_grad(f, (c, t), 0), rtol=1e-6)


def test_scipy_on_data():
    special = pytest.importorskip("scipy.special")

    def f(x, D):
        norm = special.multigammaln(0.5 * D, D)
        return np.sum(x ** 2) * norm

    x = np.array([0.3, 0.7])
    np.testing.assert_allclose(grad(f)(x, 3), 2 * x * special.multigammaln(1.5, 3))


def test_an_opaque_call_on_the_differentiated_path_is_a_located_error():
    def f(x):
        y = np.polynomial.polynomial.polyval(0.5, x)
        return y * 2.0

    with pytest.raises(NoDerivativeError) as info:
        grad(f)(np.array([1.0, 2.0]))
    message = str(info.value)
    assert "np.polynomial.polynomial.polyval" in message and "'x'" in message
    assert "y = np.polynomial.polynomial.polyval(0.5, x)" in message and "stop_gradient" in message


def test_stop_gradient_makes_the_advice_work():
    def f(x):
        y = np.polynomial.polynomial.polyval(0.5, ad_compiler.stop_gradient(x))
        return np.sum(x) * y

    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(grad(f)(x), np.full(2, np.polynomial.polynomial.polyval(0.5, x)))


def test_a_call_that_may_change_a_differentiated_array_is_refused():
    def f(x):
        y = x * 2.0
        y.sort()
        return np.sum(y)

    with pytest.raises(NoDerivativeError, match="in place"):
        grad(f)(np.array([2.0, 1.0]))


def test_value_and_grad_sees_the_same_draw():
    x = np.array([0.2, -0.4, 0.1, 0.3])
    RS.seed(0)
    value, _ = value_and_grad(svi)(x)
    RS.seed(0)
    assert value == pytest.approx(svi(x))


GEN = np.random.default_rng(0)
PLAIN = np.random.RandomState(0)


def generator_objective(w):
    eps = GEN.standard_normal(size=(3,))
    noise = GEN.normal(0.0, 1.0, 3)
    return np.sum((w + eps) ** 2 * noise)


def plain_objective(w):
    return np.sum(w * PLAIN.randn(*w.shape)) + PLAIN.uniform() * np.sum(w ** 2)


def _at_state(f, state):
    def run(w):
        GEN.bit_generator.state = state
        return f(w)
    return run


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_draws_of_a_numpy_generator_have_known_shapes(mode):
    w = np.array([0.3, -0.2, 0.5])
    state = GEN.bit_generator.state
    g = grad(generator_objective, mode=mode)
    got = _at_state(g, state)(w)
    assert "unbroadcast" not in g.source  # specialized: the draws are float arrays of shape (3,)
    np.testing.assert_allclose(got, numeric_grad(_at_state(generator_objective, state), (w,), 0), rtol=1e-6)


def test_a_generator_of_another_class_recompiles():
    global PLAIN
    saved = PLAIN
    w = np.array([0.3, -0.2, 0.5])
    try:
        g = grad(plain_objective)

        def reseeded(v):
            PLAIN.seed(1)
            return plain_objective(v)

        PLAIN.seed(1)
        np.testing.assert_allclose(g(w), numeric_grad(reseeded, (w,), 0), rtol=1e-6)
        assert "unbroadcast" not in g.source
        PLAIN = CountingState(0)  # a subclass may draw other shapes: nothing is assumed of it
        PLAIN.seed(1)
        np.testing.assert_allclose(g(w), numeric_grad(reseeded, (w,), 0), rtol=1e-6)
        assert "unbroadcast" in g.source
    finally:
        PLAIN = saved


def module_draws(w):
    eps = np.random.randn(3)
    z = np.random.normal(0.0, 1.0, size=(3,))
    return np.sum((w + eps) ** 2 * z)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_numpy_random_functions_draw_once_with_known_shapes(mode):
    w = np.array([0.1, 0.2, 0.3])

    def reseeded(v):
        np.random.seed(5)
        return module_draws(v)

    g = grad(module_draws, mode=mode)
    np.random.seed(5)
    got = g(w)
    np.testing.assert_allclose(got, numeric_grad(reseeded, (w,), 0), rtol=1e-6)
    assert "unbroadcast" not in g.source and "np.random.randn(3)" in g.source
