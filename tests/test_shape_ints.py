"""Int arguments that decide shapes are compiled for their values (`shape_ints`), and
np.linspace's derivative in its ends, which such code reads."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import CompileError, grad, hessian, jacfwd, jvp, vmap
from ad_compiler.api import _CACHE
from ad_compiler.shape_ints import LIMIT
from benchmarks.objectives.llsq import objective as least_squares
from tests.numeric import numeric_grad


def picked(x, i):
    return np.sum(x * x) * x[i]


def stacked(x, n):
    hs = []
    h = x
    for _ in range(n):
        h = np.tanh(0.9 * h + 0.1)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def zeros_then_filled(x, n):
    out = np.zeros((n, x.shape[0]))
    for k in range(n):
        out[k] = x * (k + 1)
    return np.sum(np.sin(out))


X = np.array([0.3, -0.2, 0.5, 1.1])


def versions_of(g) -> int:
    """How many versions of `g`'s derivative the cache holds (one per key)."""
    return sum(1 for key in _CACHE.entry(g.fun).versions if key[1] == g.options)


@pytest.mark.parametrize("f, n", [(least_squares, 9), (least_squares, 30), (stacked, 3), (zeros_then_filled, 5)])
def test_an_int_deciding_shapes_is_compiled_for_its_value(f, n) -> None:
    g = grad(f)
    np.testing.assert_allclose(g(X, n), numeric_grad(f, (X, n), 0), rtol=1e-6, atol=1e-9)
    assert "unbroadcast" not in g.source, g.source
    np.testing.assert_allclose(g(X, n + 2), numeric_grad(f, (X, n + 2), 0), rtol=1e-6, atol=1e-9)


def test_the_text_is_the_hand_written_gradient() -> None:
    g = grad(least_squares)
    g(X, 12)
    assert "np.linspace(-1.0, 1.0, 12)" in g.source and "powers.T @ r" in g.source, g.source


def test_an_index_is_not_compiled_for_its_value() -> None:
    g = grad(picked)
    for i in range(4):
        want = 2 * X * X[i]
        want[i] += np.sum(X * X)
        np.testing.assert_allclose(g(X, i), want, rtol=1e-12)
    assert "x[i]" in g.source, g.source
    assert versions_of(g) == 1


def test_past_the_limit_the_version_for_the_type_runs() -> None:
    g = grad(least_squares)
    sizes = range(5, 5 + LIMIT + 3)
    for n in sizes:
        np.testing.assert_allclose(g(X, n), numeric_grad(least_squares, (X, n), 0), rtol=1e-6, atol=1e-9)
    assert "np.linspace(-1.0, 1.0, n)" in g.source, g.source
    assert versions_of(g) == LIMIT + 1


def test_a_numpy_int_is_not_compiled_for_its_value() -> None:
    g = grad(least_squares)
    np.testing.assert_allclose(g(X, np.int64(7)), numeric_grad(least_squares, (X, 7), 0), rtol=1e-6, atol=1e-9)
    assert "np.linspace(-1.0, 1.0, n)" in g.source, g.source


def test_jvp_and_second_order_of_a_shape_deciding_int() -> None:
    v = np.array([1.0, 0.5, -0.25, 2.0])
    _, tangent = jvp(least_squares, (X, 11), (v, None))
    np.testing.assert_allclose(tangent, numeric_grad(least_squares, (X, 11), 0) @ v, rtol=1e-6)
    h = hessian(least_squares)(X, 11)
    g = grad(least_squares)
    columns = [numeric_grad(lambda x, k=k: g(x, 11)[k], (X,), 0) for k in range(4)]
    np.testing.assert_allclose(h, np.stack(columns), rtol=1e-5, atol=1e-7)


def test_vmap_of_the_gradient_with_the_int_not_mapped() -> None:
    batch = np.random.default_rng(0).normal(size=(3, 4))
    got = vmap(grad(stacked), in_axes=(0, None))(batch, 4)
    np.testing.assert_allclose(got, np.stack([numeric_grad(stacked, (x, 4), 0) for x in batch]), rtol=1e-6)


def sampled(a, b, x):
    t = np.linspace(a, b, x.shape[0])
    return np.sum(np.sin(t) * x)


def sampled_open(a, b, x):
    t = np.linspace(2.0 * a, b, 7, endpoint=False)
    return np.sum(np.cos(t)) * np.sum(x * x)


def sampled_arrays(a, b, x):
    t = np.linspace(a, b * x, 5)
    return np.sum(np.sin(t) * t)


@pytest.mark.parametrize("f, b", [(sampled, 1.7), (sampled_open, 1.7), (sampled_arrays, np.array([1.7, -0.4, 0.9, 2.0]))])
def test_linspace_derivatives_in_its_ends(f, b) -> None:
    args = (0.3, b, X)
    for i in range(3):
        np.testing.assert_allclose(grad(f, argnums=i)(*args), numeric_grad(f, args, i), rtol=1e-6, atol=1e-9)
    tangents = (1.0, np.ones_like(b) * 0.5, np.zeros_like(X))
    want = numeric_grad(f, args, 0) + 0.5 * np.sum(numeric_grad(f, args, 1))
    np.testing.assert_allclose(jvp(f, args, tangents)[1], want, rtol=1e-6)
    second = jacfwd(grad(f, argnums=0), argnums=0)(*args)
    np.testing.assert_allclose(second, numeric_grad(grad(f, argnums=0), args, 0), rtol=1e-5, atol=1e-8)


def along_columns(a, b):
    return np.sum(np.sin(np.linspace(a, b, 4, axis=1)))


def along_columns_moved(a, b):
    return np.sum(np.sin(np.moveaxis(np.linspace(a, b, 4), 0, 1)))


def test_linspace_along_another_axis_is_refused_with_advice_that_works() -> None:
    a, b = np.array([0.1, 0.2]), np.array([1.0, 3.0])
    with pytest.raises(CompileError, match="np.moveaxis"):
        grad(along_columns)(a, b)
    np.testing.assert_allclose(grad(along_columns_moved)(a, b), numeric_grad(along_columns, (a, b), 0), rtol=1e-6)


def weighted_samples(x, n):
    return np.sum(np.linspace(0.0, 1.0, n)[:, None] * np.sin(x))


def test_a_value_compiled_for_is_found_by_the_dispatcher(monkeypatch) -> None:
    """A call with an int value a version was compiled for takes the dispatcher's fast
    path (generated checks of the value), not the binding and lookups of the general
    path; another value takes the general path."""
    g = grad(weighted_samples)
    want = g(X, 10)
    np.testing.assert_allclose(want, numeric_grad(weighted_samples, (X, 10), 0), rtol=1e-6)

    def general(args, kwargs):
        raise AssertionError("the general path")

    monkeypatch.setattr(g, "_find", general)
    np.testing.assert_array_equal(g(X, 10), want)
    with pytest.raises(AssertionError, match="the general path"):
        g(X, 13)
