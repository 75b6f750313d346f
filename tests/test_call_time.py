"""Nothing stale: globals, closure cells and helpers are read when the derivative is
called, and what the compiled code was specialized on is checked at every call."""

from __future__ import annotations

import numpy as np
import pytest

import ad_compiler
from ad_compiler import grad, hessian, value_and_grad
from tests.numeric import numeric_grad

X = np.arange(6.0).reshape(3, 2) / 4.0
SCALE = 0.5
POWER = 2


def batch_loss(w):
    return np.sum((X @ w) ** 2) * SCALE


def powered(x):
    return x ** POWER


def _helper(x):
    return np.sin(x)


def uses_helper(x):
    return _helper(x) * 2.0


def _expected_batch_grad(w):
    return 2.0 * SCALE * X.T @ (X @ w)


@pytest.fixture
def rebind(monkeypatch):
    """`rebind(name, value)` rebinds a global of this module, as a user's later line would;
    the old value is back after the test."""
    return lambda name, value: monkeypatch.setitem(globals(), name, value)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_rebound_module_array_is_read_at_call_time(mode, rebind):
    w = np.array([0.3, -0.7])
    g = grad(batch_loss, mode=mode)
    np.testing.assert_allclose(g(w), _expected_batch_grad(w), rtol=1e-12)
    rebind("X", np.ones((5, 2)) * 1.5)  # the next batch, of another size
    np.testing.assert_allclose(g(w), _expected_batch_grad(w), rtol=1e-12)
    np.testing.assert_allclose(grad(batch_loss, mode=mode)(w), numeric_grad(batch_loss, (w,), 0), rtol=1e-6)
    rebind("X", X * 2.0)  # same shape, new values: the fast path must read them too
    np.testing.assert_allclose(g(w), _expected_batch_grad(w), rtol=1e-12)


def test_a_rebound_float_and_int_are_seen(rebind):
    w = np.array([0.3, -0.7])
    g, d = grad(batch_loss), grad(powered)
    g(w), d(1.5)
    rebind("SCALE", 3.0)
    rebind("POWER", 3)
    np.testing.assert_allclose(g(w), _expected_batch_grad(w), rtol=1e-12)
    assert d(1.5) == pytest.approx(3 * 1.5 ** 2)


def test_a_redefined_helper_is_seen(rebind):
    g = grad(uses_helper)
    assert g(0.4) == pytest.approx(2.0 * np.cos(0.4))
    rebind("_helper", lambda x: x ** 3)  # redefined, as in a later notebook cell
    assert g(0.4) == pytest.approx(2.0 * 3 * 0.4 ** 2)
    assert grad(uses_helper)(0.4) == pytest.approx(2.0 * 3 * 0.4 ** 2)


def test_a_closure_cell_is_read_at_call_time():
    def make():
        scale = 2.0

        def f(x):
            return scale * x * x

        def set_scale(s):
            nonlocal scale
            scale = s

        return f, set_scale

    f, set_scale = make()
    g = grad(f)
    assert g(1.5) == pytest.approx(2 * 2.0 * 1.5)
    set_scale(5.0)
    assert g(1.5) == pytest.approx(2 * 5.0 * 1.5)


def test_emitted_code_reads_the_global_by_its_name():
    g = grad(batch_loss)
    g(np.array([0.3, -0.7]))
    assert "X @" in g.source or "X.T" in g.source
    assert "SCALE" in g.source


def test_a_global_of_a_callee_module_is_read_through_that_module(tmp_path, monkeypatch):
    (tmp_path / "adc_test_weights.py").write_text(
        "import numpy as np\nW = np.array([1.0, 2.0])\n\ndef inner(x):\n    return np.sum(W * x)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import adc_test_weights as module

    def outer(x):
        return module.inner(x) ** 2

    g = grad(outer)
    x = np.array([0.5, 0.25])
    np.testing.assert_allclose(g(x), 2 * 1.0 * module.W)
    assert "adc_test_weights.W" in g.source
    module.W = np.array([3.0, 1.0])
    np.testing.assert_allclose(g(x), 2 * 1.75 * module.W)
    np.testing.assert_allclose(g(x), numeric_grad(outer, (x,), 0), rtol=1e-6)


def test_hessian_sees_a_rebound_global(rebind):
    h = hessian(batch_loss)
    w = np.array([0.3, -0.7])
    np.testing.assert_allclose(h(w), 2 * SCALE * X.T @ X, rtol=1e-12)
    rebind("X", np.eye(2) * 3.0)
    np.testing.assert_allclose(h(w), 2 * SCALE * X.T @ X, rtol=1e-12)


def test_value_and_grad_sees_a_rebound_global(rebind):
    vg = value_and_grad(batch_loss)
    w = np.array([0.3, -0.7])
    vg(w)
    rebind("X", np.eye(2))
    value, g = vg(w)
    assert value == pytest.approx(batch_loss(w))
    np.testing.assert_allclose(g, _expected_batch_grad(w))


def linear_in_x(w):
    return X @ np.sin(w)


def test_a_pullback_keeps_what_the_forward_sweep_read(rebind):
    w, g = np.array([0.3, 0.5]), np.array([1.0, -1.0, 0.5])
    out, pullback = ad_compiler.vjp(linear_in_x, w)
    expected = (X.T @ g) * np.cos(w)
    rebind("X", X * 10.0)  # rebound between the forward sweep and the pullback
    np.testing.assert_allclose(pullback(g)[0], expected, rtol=1e-12)
