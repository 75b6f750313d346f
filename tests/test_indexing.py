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


# ---- integer-array indices that repeat a position: adjoints accumulate ----

WEIGHTS = np.array([1.0, -2.0, 0.5])
REPEATS = np.array([0, 0, 1])
"""A module-level index that selects x[0] twice (x[[0, 0, 1]]: a list display is refused)."""


def fancy_repeated(x):
    idx = np.array((2, 0, 0))
    return np.sum(x[idx] * WEIGHTS)


def fancy_constant(x):
    return np.sum(x[REPEATS] * WEIGHTS)


def fancy_argument(x, idx):
    return np.sum(np.sin(x[idx]) * WEIGHTS)


def fancy_rows(M):
    return np.sum(M[REPEATS, 1:] ** 2)


def fancy_and_plain(x):
    return np.sum(x[REPEATS] * WEIGHTS) * x[1] + np.sum(x[2:] ** 2)


def fancy_in_loop(x):
    s = 0.0
    for i in range(2):
        s = s + np.sum(x[REPEATS] * WEIGHTS) * x[i]
    return s


def assign_repeated(x, v):
    y = x * 1.5
    idx = np.array((2, 0, 0))
    y[idx] = v * x[:3]  # y[0] keeps the last value written there: v * x[2]
    return np.sum(np.sin(y))


def accumulate_repeated(x):
    y = x * 1.0
    y[REPEATS] += x[:3] ** 2  # NumPy adds one value at a repeated position, not both
    return np.sum(y * y)


INDEX = np.array([2, 0, 0, 5])
FANCY_CASES = [
    (fancy_repeated, (VECTOR,), (0,)),
    (fancy_constant, (VECTOR,), (0,)),
    (fancy_argument, (VECTOR, INDEX[:3]), (0,)),
    (fancy_rows, (MATRIX,), (0,)),
    (fancy_and_plain, (VECTOR,), (0,)),
    (fancy_in_loop, (VECTOR,), (0,)),
    (assign_repeated, (VECTOR, 0.8), (0, 1)),
    (accumulate_repeated, (VECTOR,), (0,)),
]


@pytest.mark.parametrize("f, args, argnums", FANCY_CASES, ids=[c[0].__name__ for c in FANCY_CASES])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_repeated_integer_array_indices(f, args, argnums, mode) -> None:
    """Each selection of a position is a separate use of it: the gradient adds them up
    (`np.add.at`, not `bx[idx] = g`, which keeps one), in the generic version too."""
    df = grad(f, argnums=argnums, mode=mode)
    for version, result in (("specialized", df(*args)), ("generic", df.generic(*args))):
        for k, i in enumerate(argnums):
            np.testing.assert_allclose(
                result[k], numeric_grad(f, args, i), rtol=1e-6, atol=1e-9, err_msg=version
            )


def test_fancy_repeated_by_hand() -> None:
    """x[[2, 0, 0]] . (1, -2, 0.5): x[0] is used twice, with weights -2 and 0.5."""
    x = np.array([0.3, -0.7, 1.2])
    df = grad(fancy_repeated)
    np.testing.assert_allclose(df(x), [-1.5, 0.0, 1.0])
    np.testing.assert_allclose(df.generic(x), [-1.5, 0.0, 1.0])


def test_an_index_argument_is_read_at_run_time() -> None:
    """The generic version cannot know an index argument is an int: it accumulates, and
    is right for an int as well as for an array with repeats."""
    df = grad(fancy_argument)
    for idx in (INDEX[:3], np.array([1, 1, 1]), INDEX[1:]):
        np.testing.assert_allclose(df(VECTOR, idx), numeric_grad(fancy_argument, (VECTOR, idx), 0),
                                   rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(df.generic(VECTOR, idx), numeric_grad(fancy_argument, (VECTOR, idx), 0),
                                   rtol=1e-6, atol=1e-9)
    assert "np.add.at(bx, idx, " in df.source, df.source  # (into the adjoint itself: no copy)


def distinct_constant(x):
    return np.sum(x[np.array((3, 0, 1))] * WEIGHTS)


@pytest.mark.parametrize("f, args, plain", [
    (first_and_last, (VECTOR,), True),
    (column, (MATRIX,), True),
    (window, (VECTOR, 3), True),
    (distinct_constant, (VECTOR,), True),
    (fancy_repeated, (VECTOR,), False),
    (fancy_constant, (VECTOR,), False),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_scatter_is_an_assignment_only_where_the_index_selects_once(f, args, plain) -> None:
    """Ints, slices and constant arrays without repeats keep the plain `bx[index] = g`;
    an index that may repeat a position accumulates with `add_at` (np.add.at)."""
    generic = grad(f).source  # before any call
    df = grad(f)
    df(*args)
    for source in (generic, df.source):
        assert ("add_at(" not in source and "np.add.at(" not in source) == plain, source
        assert ("] = " in source) == plain, source


def list_display_indices(x):
    picked = x[[0, 2, 2]] * x[[True, False, True, True]]
    rows = x.reshape(2, 2)[[1, 0]]
    return np.sum(np.sin(picked)) + np.sum(rows[:, [1]] ** 3)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_list_display_of_constant_indices_is_an_array_index(mode):
    """`x[[0, 2]]` indexes as NumPy does with np.array([0, 2]) (repeated indices add up)."""
    x = np.array([0.3, -0.4, 1.2, 0.7])
    np.testing.assert_allclose(grad(list_display_indices, mode=mode)(x), numeric_grad(list_display_indices, (x,), 0),
                               rtol=1e-6, atol=1e-9)


ROWS, LAST = np.array([0, 1, 1]), np.array([2, 0, 1])


def apart(x):
    """Arrays indexing axes 0 and 2, a slice between: NumPy puts their axis first."""
    return np.sin(x[ROWS, :, LAST])


def together(x):
    return np.sin(x[ROWS, 1:, 0])


def gathered(x):
    return np.cos(x[ROWS])


@pytest.mark.parametrize("f", [apart, together, gathered], ids=lambda f: f.__name__)
def test_batched_forward_mode_through_array_indices(f) -> None:
    """jacfwd carries its directions on a leading axis: `dx[:, rows]` where the arrays
    stand side by side, the general rule where they do not."""
    from ad_compiler import jacfwd

    x = np.random.default_rng(0).normal(size=(2, 4, 3))
    got = jacfwd(f)(x)
    out = f(x)
    for at in np.ndindex(out.shape):
        expected = numeric_grad(lambda x: f(x)[at], (x,), 0)
        np.testing.assert_allclose(got[at], expected, rtol=1e-6, atol=1e-9)
