"""Indexing and element assignment: x[i], slices, y[i] = v, y[a:b] += v, with their
scatter adjoints, against central differences."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import CompileError, grad
from tests.numeric import numeric_grad


def first_and_last(x):
    return x[0] * x[-1] + np.sum(x[1:3] ** 2)


def column(M):
    return np.sum(np.sin(M[:, 0]) * M[1, :].sum())


def element(M, i, j):
    return M[i, j] ** 2 + M[i - 1, 0]


def strided(x):
    return np.sum(x[::2] * x[1::2])


def window(x, i):
    return np.sum(x[i:i + 2] ** 2)


def assign_element(x, i):
    y = x * 2.0
    y[i] = np.sin(x[0])
    return np.sum(y * y)


def accumulate_slice(x, v):
    y = np.ones_like(x) * x
    y[1:3] += v
    y[0] -= v * 2.0
    return np.sum(np.exp(y))


def broadcast_into_row(M, r):
    N = M * 1.5
    N[0, :] = r
    return np.sum(N ** 2)


def writes_parameter(x):
    x[0] = 5.0
    return np.sum(x * x)


VECTOR = np.array([0.3, -1.2, 0.7, 2.0, 0.5, -0.4])
MATRIX = np.array([[0.2, -0.5, 1.1], [0.7, 0.3, -0.9], [-1.4, 0.6, 0.25]])
CASES = [
    (first_and_last, (VECTOR,), (0,)),
    (column, (MATRIX,), (0,)),
    (element, (MATRIX, 2, 1), (0,)),
    (strided, (VECTOR,), (0,)),
    (window, (VECTOR, 3), (0,)),
    (assign_element, (VECTOR, 4), (0,)),
    (accumulate_slice, (VECTOR, 0.8), (0, 1)),
    (broadcast_into_row, (MATRIX, 0.9), (0, 1)),
]


@pytest.mark.parametrize("f, args, argnums", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_indexing_gradient(f, args, argnums, mode) -> None:
    df = grad(f, argnums=argnums, mode=mode)
    for version, result in (("specialized", df(*args)), ("generic", df.generic(*args))):
        for k, i in enumerate(argnums):
            np.testing.assert_allclose(
                result[k], numeric_grad(f, args, i), rtol=1e-6, atol=1e-9, err_msg=version
            )


def test_writing_into_a_parameter() -> None:
    """The function overwrites x[0], so x[0] has no influence: gradient 2x elsewhere, 0
    there (analytic: central differences cannot see through the mutation). The caller's
    array is left as it was."""
    x = VECTOR.copy()
    expected = 2 * VECTOR
    expected[0] = 0.0
    np.testing.assert_allclose(grad(writes_parameter)(x), expected)
    np.testing.assert_array_equal(x, VECTOR)


def test_a_fresh_dead_array_is_written_in_place() -> None:
    g = grad(assign_element)
    g(VECTOR, 4)
    assert "y[i] = " in g.source or "y_1[i] = " in g.source
    g = grad(writes_parameter)
    g(VECTOR.copy())
    assert ".copy()" in g.source  # a parameter is copied before it is written


def aliased(x):
    y = x * 2.0
    z = y
    y[0] = 1.0
    return np.sum(z)


def test_writing_through_an_alias_is_refused() -> None:
    with pytest.raises(CompileError, match="'y' is also named 'z'"):
        grad(aliased)(VECTOR)


def test_specialized_column_code_reads_plainly() -> None:
    g = grad(column)
    g(MATRIX)
    assert "M[:, 0]" in g.source and "unbroadcast" not in g.source
