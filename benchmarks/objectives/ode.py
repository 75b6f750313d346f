"""An ODE solution (GradBench's ``ode``, after cmpad's ``an_ode``): integrate

    y_0' = x_0,   y_i' = x_i y_{i-1}  (i > 0),   y(0) = 0,

from t = 0 to 2 by s steps of the classical fourth-order Runge-Kutta method, and
differentiate the last component of y(2) with respect to x. Written as the natural
Python loop over the steps.

GradBench's sizes: n in {1000, 10000, 100000}, s in {1, 10, 100}, x uniform on [0, 1).
"""

from __future__ import annotations

import numpy as np

ARGNUMS = 0
DERIVATIVE = "grad"
SIZES = {"small": dict(n=1000, s=10), "medium": dict(n=1000, s=100)}


def rates(x, y):
    return np.concatenate((x[:1], x[1:] * y[:-1]))


def solve(x, s):
    """y(2) by s Runge-Kutta steps (the primal GradBench asks for)."""
    h = 2.0 / s
    y = np.zeros_like(x)
    for _ in range(s):
        k1 = rates(x, y)
        k2 = rates(x, y + h / 2 * k1)
        k3 = rates(x, y + h / 2 * k2)
        k4 = rates(x, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def objective(x, s):
    return solve(x, s)[-1]


def _rates_adjoint(x, y, dz, dx):
    """Add the adjoint of z = rates(x, y) to dx; return y's."""
    dx[0] += dz[0]
    dx[1:] += dz[1:] * y[:-1]
    dy = np.zeros_like(y)
    dy[:-1] = dz[1:] * x[1:]
    return dy


def hand(x, s):
    """The reverse sweep: the forward loop keeps each step's y and its three stage points,
    then the steps are walked back, each stage's adjoint flowing into x and y."""
    h = 2.0 / s
    y = np.zeros_like(x)
    tape = []
    for _ in range(s):
        k1 = rates(x, y)
        y1 = y + h / 2 * k1
        k2 = rates(x, y1)
        y2 = y + h / 2 * k2
        k3 = rates(x, y2)
        y3 = y + h * k3
        k4 = rates(x, y3)
        tape.append((y, y1, y2, y3))
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    dx = np.zeros_like(x)
    dy = np.zeros_like(x)
    dy[-1] = 1.0
    for y, y1, y2, y3 in reversed(tape):
        dk4 = h / 6 * dy
        dy3 = _rates_adjoint(x, y3, dk4, dx)
        dk3 = h / 3 * dy + h * dy3
        dy2 = _rates_adjoint(x, y2, dk3, dx)
        dk2 = h / 3 * dy + h / 2 * dy2
        dy1 = _rates_adjoint(x, y1, dk2, dx)
        dk1 = h / 6 * dy + h / 2 * dy1
        dy = dy + dy3 + dy2 + dy1 + _rates_adjoint(x, y, dk1, dx)
    return dx


def check_data(seed=0):
    """Arguments at which the gradient is not zero, to check derivatives at: y_{n-1}
    depends on x only through n - 1 couplings, four per step, so at GradBench's sizes
    (n > 4 s) its gradient is exactly zero."""
    return np.random.default_rng(seed).random(8), 3


def make_data(size="small", seed=0):
    n, s = SIZES[size].values()
    return np.random.default_rng(seed).random(n), s
