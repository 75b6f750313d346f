"""An array a loop writes element by element, from a value it may not change, is copied
once before the loop (`passes/copied.py`), not at every write: gradients against central
differences, and the emitted loops checked for copies."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, jacfwd
from tests.numeric import assert_grad_close, numeric_grad


def rhs(x, y):
    z = np.empty_like(y)
    z[0] = x[0]
    for i in range(1, len(y)):
        z[i] = x[i] * y[i - 1]
    return z


def runge_kutta(x, s):
    """GradBench's ODE: y0' = x0, yi' = xi * y(i-1), integrated by RK4 in s steps."""
    h = 2.0 / s
    y = np.zeros_like(x)
    for _ in range(s):
        k1 = rhs(x, y)
        k2 = rhs(x, y + h / 2 * k1)
        k3 = rhs(x, y + h / 2 * k2)
        k4 = rhs(x, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y[-1]


def squared_rhs(x):
    return np.sum(rhs(x, x ** 2) ** 2)


@pytest.mark.parametrize("f, args", [
    (runge_kutta, (np.linspace(0.1, 1.0, 8), 4)),
    (squared_rhs, (np.linspace(-1.0, 1.0, 6),)),
])
def test_against_central_differences(f, args):
    df = grad(f)
    assert_grad_close(f, args, 0, df(*args))


def test_the_reverse_sweep_of_element_writes_copies_once():
    df = grad(runge_kutta)
    df(np.linspace(0.1, 1.0, 8), 4)
    lines = [line.split("#")[0] for line in df.source.splitlines()]
    copies = [line for line in lines if "copy(" in line]
    assert len(copies) == 1, df.source
    # the one copy is made before the inner loop it serves, not in it
    at = lines.index(copies[0])
    depth = len(copies[0]) - len(copies[0].lstrip())
    following = next(line for line in lines[at + 1:] if line.strip().startswith("for "))
    assert len(following) - len(following.lstrip()) == depth, df.source


def test_forward_mode_too():
    x = np.linspace(0.1, 1.0, 5)
    got = jacfwd(lambda x: rhs(x, np.cos(x)))(x)
    rows = [numeric_grad(lambda x, i=i: rhs(x, np.cos(x))[i], (x,), 0) for i in range(5)]
    np.testing.assert_allclose(got, np.array(rows), rtol=1e-7, atol=1e-9)
