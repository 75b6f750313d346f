"""Functions in another module, called by tests/test_calls.py."""

import numpy as np

GRAVITY = 9.81


def energy(h, v, m=2.0):
    kinetic = 0.5 * m * v * v
    potential = m * GRAVITY * h
    return kinetic + potential


def polar(x, y):
    r = np.sqrt(x * x + y * y)
    return r, np.arctan2(y, x)
