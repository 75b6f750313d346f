"""The symbolic baseline (`ad_compiler.check.symbolic`): SymPy's derivative of the
primal's IR agrees with central differences and with the compiler, covers branches and
loops with static bounds, says why it cannot cover the rest, and swells."""

from __future__ import annotations

import builtins
import math

import numpy as np
import pytest

from ad_compiler import grad
from ad_compiler.check import numeric
from ad_compiler.check.symbolic import INSTALL_HINT, NoSymbolicBaseline, symbolic_derivative

pytest.importorskip("sympy")


def spine(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def horner(x):
    acc = 0.0
    for k in range(6):
        acc = acc * x + (k + 1.0)
    return acc


def piecewise(x, y):
    if x > 0.5:
        z = x * y
    else:
        z = np.sin(x) + math.atan2(y, 2.0)
    return z * np.tanh(y)


def elementwise(x, y):
    return np.hypot(x, y) + np.log1p(x * x) - np.expm1(-y) + np.arcsinh(x) * np.square(y)


CASES = [
    (spine, (1.0, 2.0, 0.5)),
    (horner, (0.7,)),
    (piecewise, (0.8, 0.3)),
    (piecewise, (0.2, 0.3)),
    (elementwise, (0.4, 1.3)),
]


@pytest.mark.parametrize("fn, args", CASES, ids=[f"{c[0].__name__}-{c[1][0]}" for c in CASES])
def test_symbolic_derivative_agrees_with_differences_and_the_compiler(fn, args) -> None:
    argnums = tuple(range(len(args)))
    symbolic = symbolic_derivative(fn, args, argnums).evaluate(*args)
    emitted = grad(fn, argnums=argnums)(*args)
    for k in argnums:
        numeric_value = numeric.gradient(fn, args, k, richardson=True)
        assert symbolic[k] == pytest.approx(numeric_value, rel=1e-9, abs=1e-10)
        assert symbolic[k] == pytest.approx(emitted[k], rel=1e-12, abs=1e-13)


def array_max(x):
    return np.max(x * x)


def logistic(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def rows_in_a_loop(M, w):
    total = 0.0
    for i in range(M.shape[0]):
        total = total + np.sum(np.sin(M[i] * w)) * M[i, 0]
    return total


def test_arrays_are_arrays_of_symbols() -> None:
    rng = np.random.default_rng(3)
    X, y, beta = rng.normal(size=(8, 3)), (rng.random(8) < 0.5).astype(float), rng.normal(size=3) * 0.3
    (symbolic,) = symbolic_derivative(logistic, (beta, X, y), (0,)).evaluate(beta, X, y)
    np.testing.assert_allclose(symbolic, X.T @ (1 / (1 + np.exp(-(X @ beta))) - y) / 8, rtol=1e-12)
    M, w = rng.normal(size=(3, 2)), rng.normal(size=2)
    sym_M, sym_w = symbolic_derivative(rows_in_a_loop, (M, w), (0, 1)).evaluate(M, w)
    np.testing.assert_allclose(sym_M, numeric.gradient(rows_in_a_loop, (M, w), 0, richardson=True), rtol=1e-9)
    np.testing.assert_allclose(sym_w, numeric.gradient(rows_in_a_loop, (M, w), 1, richardson=True), rtol=1e-9)


def runs_while(x):
    while x < 3.0:
        x = x * 1.5
    return x


def runtime_bound(x, n):
    acc = x
    for _ in range(n):
        acc = acc * x
    return acc


@pytest.mark.parametrize("fn, args, reason", [
    (array_max, (np.ones(3),), "np.max has no symbolic form"),
    (runs_while, (0.5,), "while loop has no bound known at compile time"),
])
def test_outside_the_subset_it_says_why(fn, args, reason: str) -> None:
    with pytest.raises(NoSymbolicBaseline, match=reason):
        symbolic_derivative(fn, args, (0,))


def test_an_integer_argument_is_fixed_at_its_value() -> None:
    (value,) = symbolic_derivative(runtime_bound, (0.5, 3), (0,)).evaluate(0.5, 3)
    assert value == pytest.approx(4 * 0.5**3, rel=1e-14)


def test_a_float_argument_not_differentiated_is_given_when_evaluated() -> None:
    args = (1.0, 2.0, 0.5)
    symbolic = symbolic_derivative(spine, args, (1,))
    (value,) = symbolic.evaluate(*args)
    assert value == pytest.approx(numeric.gradient(spine, args, 1, richardson=True), rel=1e-9)
    other = (1.0, 2.0, 0.75)
    (value,) = symbolic.evaluate(*other)
    assert value == pytest.approx(numeric.gradient(spine, other, 1, richardson=True), rel=1e-9)


def test_without_sympy_it_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_sympy(name, *args, **kwargs):
        if name == "sympy" or name.startswith("sympy."):
            raise ImportError("No module named 'sympy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sympy)
    with pytest.raises(NoSymbolicBaseline) as info:
        symbolic_derivative(horner, (0.7,), (0,))
    assert str(info.value) == INSTALL_HINT and "pip install" in INSTALL_HINT


def test_the_symbolic_derivative_swells() -> None:
    """sin(x) * x composed k times: SymPy's raw derivative grows much faster than k."""
    def composed(k):
        def f(x):
            for _ in range(k):
                x = np.sin(x) * x
            return x
        return f

    sizes = {k: symbolic_derivative(composed(k), (0.7,), (0,)).size() for k in (2, 4, 8)}
    assert sizes[4] > 5 * sizes[2] and sizes[8] > 20 * sizes[4]  # exponential in k
    shared = symbolic_derivative(composed(8), (0.7,), (0,)).size(cse=True)
    assert shared < 20 * 8  # common subexpressions shared: about linear again


def products_and_sums(A, v):
    rows = np.sum(A * A, axis=1, keepdims=True)  # (3, 1)
    columns = np.sum(np.sin(A), axis=0)  # (4,)
    left = v @ A.T  # 1-d @ 2-d: (3,)
    right = A @ columns  # 2-d @ 1-d: (3,)
    return np.sum(rows * left[:, None]) + right @ left + np.mean(np.cos(A.T @ A), axis=0) @ v  # 1-d @ 1-d


def test_sums_and_products_keep_numpys_shapes() -> None:
    """Sums along axes (kept or not) and matrix products of 1-d and 2-d operands, as
    NumPy has them, each built as one `Add` per entry."""
    rng = np.random.default_rng(5)
    args = (rng.normal(size=(3, 4)), rng.normal(size=4))
    assert np.ndim(products_and_sums(*args)) == 0
    sym_A, sym_v = symbolic_derivative(products_and_sums, args, (0, 1)).evaluate(*args)
    np.testing.assert_allclose(sym_A, numeric.gradient(products_and_sums, args, 0, richardson=True), rtol=1e-8)
    np.testing.assert_allclose(sym_v, numeric.gradient(products_and_sums, args, 1, richardson=True), rtol=1e-8)
