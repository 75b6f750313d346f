"""Functions inside functions: a nested `def` or lambda closing over the function's
locals, functions passed as arguments and held in variables (an RK4 integrator written in
Python, differentiated with respect to the dynamics' parameters), and differentiation
inside differentiation (meta-learning: gradient steps with an inner `grad`). Both modes,
second order, against central differences."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, hessian, hvp, jvp, value_and_grad
from ad_compiler.testing import check_grads
from tests.numeric import assert_grad_close, assert_grads_close, numeric_hessian

RNG = np.random.default_rng(11)
XS = RNG.normal(size=(4, 2))
TARGET = RNG.normal(size=3)


def rnn_loss(W, U):
    def cell(h, x):
        return np.tanh(W @ h + U @ x)

    h = np.zeros(3)
    hs = []
    for t in range(4):
        h = cell(h, XS[t])
        hs.append(h)
    return np.sum((np.stack(hs) - TARGET) ** 2)


def odeint(f, y0, ts):
    """Classic fourth-order Runge-Kutta, written as a user would."""
    y = y0
    ys = [y0]
    for i in range(len(ts) - 1):
        dt = ts[i + 1] - ts[i]
        k1 = f(y, ts[i])
        k2 = f(y + dt / 2 * k1, ts[i] + dt / 2)
        k3 = f(y + dt / 2 * k2, ts[i] + dt / 2)
        k4 = f(y + dt * k3, ts[i] + dt)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys.append(y)
    return np.stack(ys)


def ode_fit(theta):
    def dynamics(y, t):
        return np.array([y[1], -theta[0] * y[0] - theta[1] * y[1] + np.sin(t)])

    ys = odeint(dynamics, np.array([1.0, 0.0]), (0.0, 0.1, 0.2, 0.3, 0.4))
    return np.sum(ys[:, 0] ** 2)


def ode_fit_lambda(theta):
    decay = lambda y, t: -theta[0] * y + theta[1] * np.cos(t)  # noqa: E731
    return np.sum(odeint(decay, np.array([1.0, -0.5]), (0.0, 0.2, 0.4)) ** 2)


USE_SINE = True


def held_in_variables(x):
    f = np.sin if USE_SINE else np.cos  # (a function chosen where it is known)
    square = lambda v, k=2.0: v ** k  # noqa: E731
    g = square
    return np.sum(f(x) * g(x)) + square(x[1], k=3.0)


def closure_late_binding(x):
    scale = 2.0

    def scaled(v):
        return v * scale

    first = scaled(x)
    scale = 3.0  # read when called, as Python's closures do
    return np.sum(first + scaled(x) * x)


def inner_loss(w, X, y):
    return np.mean((np.tanh(X @ w) - y) ** 2)


X_META = RNG.normal(size=(5, 2))
Y_META = RNG.normal(size=5)


def meta(theta):
    w = theta
    for _ in range(10):
        w = w - 0.3 * grad(inner_loss)(w, X_META, Y_META)
    return inner_loss(w, X_META * 1.1, Y_META)


inner_gradient = grad(inner_loss)


def meta_module_level(theta):
    w = theta
    for _ in range(3):
        w = w - 0.5 * inner_gradient(w, X_META, Y_META)
    return inner_loss(w, X_META, Y_META)


def smooth(x, y):
    return np.sin(x) * y + x ** 3


def energy(x):
    return np.sum(np.sin(x) * x ** 2)


def directional(theta):
    """`jvp` and `hvp` of module-level functions inside the differentiated function."""
    x = theta * np.array([1.0, 2.0, -0.5])
    value, tangent = jvp(smooth, (x, 1.5), (np.ones(3), None))
    curvature = hvp(energy, (x,), (np.array([1.0, 0.0, -1.0]),))
    return np.sum(value * tangent) + np.sum(curvature * x)


def loss_of(w, x, y):
    return np.mean((x @ w - y) ** 2)


def maml_with_a_lambda(theta):
    """The inner gradient of a lambda closing over the data (JAX's MAML idiom)."""
    w = theta
    for _ in range(3):
        w = w - 0.1 * grad(lambda p: loss_of(p, X_META, Y_META))(w)
    return loss_of(w, X_META, Y_META)


def derivatives_of_closures(theta):
    """`grad` and `value_and_grad` of functions defined here that read a variable of
    the enclosing function (which the outer derivative differentiates through)."""
    scale = np.sum(theta ** 2)

    def inner(p):
        return np.sum(np.sin(p) * scale)

    g = grad(inner)(theta * 2.0)
    v, g2 = value_and_grad(lambda q: np.sum(q ** 3) * scale)(theta)
    return np.sum(g * theta) + v + np.sum(g2)


def directional_of_closures(theta):
    """`jvp` and `hvp` of functions defined here, closing over a variable."""
    c = np.sum(theta)

    def wave(x):
        return np.sin(x) * c

    value, tangent = jvp(wave, (theta,), (np.ones(2),))
    curvature = hvp(lambda x: np.sum(x ** 3) * c, (theta,), (np.array([1.0, -1.0]),))
    return np.sum(value * tangent) + np.sum(curvature)


CASES = {
    "rnn cell helper": (rnn_loss, (RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=(3, 2))), 0),
    "rk4 odeint, nested def": (ode_fit, (np.array([0.8, 0.3]),), 0),
    "rk4 odeint, lambda": (ode_fit_lambda, (np.array([0.7, 0.4]),), 0),
    "functions in variables": (held_in_variables, (np.array([0.4, 0.9, -0.3]),), 0),
    "late binding": (closure_late_binding, (np.array([0.4, 0.9]),), 0),
    "meta-learning, inner grad": (meta, (np.array([0.1, -0.2]),), 0),
    "meta-learning, module-level grad": (meta_module_level, (np.array([0.1, -0.2]),), 0),
    "jvp and hvp inside": (directional, (np.array([0.7, -0.4, 0.2]),), 0),
    "meta-learning, grad of a lambda": (maml_with_a_lambda, (np.array([0.1, -0.2]),), 0),
    "grad of closures": (derivatives_of_closures, (np.array([0.3, -0.2]),), 0),
    "jvp and hvp of closures": (directional_of_closures, (np.array([0.3, -0.2]),), 0),
}


@pytest.mark.parametrize("name", CASES)
def test_against_central_differences(name):
    f, args, argnum = CASES[name]
    gradients = []
    for mode in ("reverse", "forward"):
        g = grad(f, argnums=argnum, mode=mode)
        gradients += [g(*args), g.generic(*args)]
    assert_grads_close(f, args, argnum, gradients)


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][0] is not rnn_loss])
def test_second_order(name):
    f, args, _ = CASES[name]
    (x,) = args
    np.testing.assert_allclose(hessian(f)(x), numeric_hessian(f, x), rtol=1e-4, atol=1e-5)


def test_the_rnn_gradient_is_checked_to_second_order():
    W, U = CASES["rnn cell helper"][1]
    check_grads(lambda w: rnn_loss(w, U), (W,), order=2)


def test_the_inner_gradient_is_spliced_not_called():
    g = grad(meta_module_level)
    g(np.array([0.1, -0.2]))
    code = [line for line in g.source.splitlines() if not line.strip().startswith("#")]
    assert not any("inner_gradient(" in line for line in code)  # its derivative's code is spliced in


def test_a_nested_function_calling_itself_without_end_is_refused():
    from ad_compiler.errors import UnsupportedError

    def f(x):
        def again(v):
            return again(v * 0.5)

        return again(x)

    with pytest.raises(UnsupportedError, match="calls itself"):
        grad(f)(1.5)


def test_a_return_inside_a_nested_def_is_its_own():
    """A nested def's `return` is not the enclosing function's: a def after a `continue`
    (inside the `if not _continue:` the loop is rewritten with) or in a branch."""
    def f(x):
        total = 0.0
        n = 0
        while n < 3:
            n += 1
            if n < 2:
                continue

            def term(v):
                return v * n

            total = total + term(x)
        if x > 0:
            def half(v):
                return v * 0.5

            total = total + half(x)
        return total * x

    for x in (0.7, -0.4):
        assert_grad_close(f, (x,), 0, grad(f)(x))
        assert_grad_close(f, (x,), 0, grad(f, mode="forward")(x))
