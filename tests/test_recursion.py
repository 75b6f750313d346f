"""Recursion whose depth values known at compile time decide (a constant count, the
length of a list known here) is unrolled call by call; other recursion is refused at its
call, saying what to do. Derivatives against central differences, both modes, generic
and specialized, and to second order."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, hessian
from ad_compiler.errors import CompileError
from tests.numeric import assert_grad_close, numeric_hessian

X = np.array([0.3, -0.7, 1.1])


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def chebyshev(x, n):
    """T_n(x) by its recurrence, two calls per level."""
    if n == 0:
        return np.ones_like(x)
    return x if n == 1 else 2.0 * x * chebyshev(x, n - 1) - chebyshev(x, n - 2)


def det(rows):
    """A determinant by minors, of a matrix given as a list of rows known here."""
    n = len(rows)
    if n == 1:
        return rows[0][0]
    total = 0.0
    for j in range(n):
        minor = [[r[k] for k in range(n) if k != j] for r in rows[1:]]
        total = total + (-1.0) ** j * rows[0][j] * det(minor)
    return total


def det_by_shape(a):
    """A determinant by minors whose depth is the matrix's size: unrolled for the shapes
    of the arguments of a call."""
    n = a.shape[0]
    if n == 1:
        return a[0, 0]
    total = 0.0
    for j in range(n):
        minor = np.concatenate((a[1:, :j], a[1:, j + 1:]), axis=1)
        total = total + (-1.0) ** j * a[0, j] * det_by_shape(minor)
    return total


def determinant_of_a_shape(x):
    return det_by_shape(np.outer(x, x) + np.eye(3) * np.cos(x) + 0.5)


def polynomials(x):
    return np.sum(power(x, 4) + chebyshev(np.sin(x), 5)) + power(x[0], 3)


def determinant(x):
    a = np.outer(x, x) + np.eye(3) * np.cos(x) + 0.5
    return det([[a[i, j] for j in range(3)] for i in range(3)])


DEPTH = 3


def tree_sum(x):
    """A balanced binary recursion over halves of a list known here."""
    def reduce(items):
        if len(items) == 1:
            return items[0]
        half = len(items) // 2
        return np.tanh(reduce(items[:half])) * reduce(items[half:])

    return reduce([x[i % 3] * (i + 1) for i in range(2 ** DEPTH)])


PROGRAMS = [polynomials, determinant, determinant_of_a_shape, tree_sum]


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_against_central_differences(f):
    for mode in ("reverse", "forward"):
        g = grad(f, mode=mode)
        assert_grad_close(f, (X,), 0, g(X))
        if f is not determinant_of_a_shape:  # (its depth needs the shapes of a call)
            assert_grad_close(f, (X,), 0, g.generic(X))
    np.testing.assert_allclose(hessian(f)(X), numeric_hessian(f, X), rtol=1e-5, atol=1e-5)


def test_the_determinant_by_minors_is_the_determinant():
    a = np.outer(X, X) + np.eye(3) * np.cos(X) + 0.5
    assert determinant(X) == pytest.approx(np.linalg.det(a))


def halve(x, n):
    if n <= 0:
        return x
    return halve(x * 0.5, n - 1)


def run_time_depth(x):
    return halve(x, int(x[0] * 10.0))


def test_recursion_of_a_depth_known_only_at_run_time_is_refused():
    with pytest.raises(CompileError, match="calls itself"):
        grad(run_time_depth)(X)


def test_a_determinant_by_minors_of_any_specialized_size():
    """The gradient of the determinant is det(A) A^-T, for each size it is called with."""
    g = grad(det_by_shape)
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 4):
        a = rng.normal(size=(n, n))
        np.testing.assert_allclose(g(a), np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-9, atol=1e-12)


def test_a_version_for_any_shape_refuses_a_recursion_on_shapes():
    with pytest.raises(CompileError, match="calls itself"):
        grad(det_by_shape).generic(np.eye(3))
