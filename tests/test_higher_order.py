"""Jacobians, Hessians, Hessian-vector products and nested derivatives, against analytic
formulas and central differences (never against the compiler's own output alone).

- `jacfwd` and `jacrev` of vector-valued functions (loops and branches included) both
  match a central-difference Jacobian, and so each other;
- the Hessian of the n-dimensional Rosenbrock function equals the analytic one;
- `hvp` of the logistic-regression loss equals `H @ v` with the analytic Hessian;
- third derivatives by `grad(grad(grad(f)))` match analytic values;
- second derivatives of functions with loops and branches match central differences of
  the (independently checked) first derivative.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest

from ad_compiler import grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, vjp
from tests.numeric import CBRT_EPS, numeric_grad

RNG = np.random.default_rng(20261123)


def numeric_jacobian(f: Callable[..., Any], args: tuple, argnum: int) -> np.ndarray:
    """Central differences of every output entry: shape out.shape + in.shape."""
    x = np.asarray(args[argnum], dtype=float)
    out = np.asarray(f(*args))
    jac = np.empty(out.shape + x.shape)
    for index in np.ndindex(x.shape):
        h = CBRT_EPS * max(1.0, abs(float(x[index])))
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        pick = (lambda v: float(v)) if np.ndim(args[argnum]) == 0 else (lambda v: v)
        up = np.asarray(f(*args[:argnum], pick(plus), *args[argnum + 1:]))
        down = np.asarray(f(*args[:argnum], pick(minus), *args[argnum + 1:]))
        jac[(...,) + index] = (up - down) / (plus[index] - minus[index])
    return jac


# --- vector-valued functions ----------------------------------------------------------

W = RNG.normal(size=(4, 5))
M = RNG.normal(size=(3, 3))


def elementwise(x):
    return np.sin(x) * x + np.exp(-x)


def affine(x):
    return W @ x + 1.0


def tanh_layer(x):
    return np.tanh(W @ x)


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def normalize(x):
    return x / np.sqrt(np.sum(x * x))


def outer_flat(x):
    return np.ravel(np.outer(x, x))


def cumulative(x):
    out = np.zeros(len(x))
    acc = 0.0
    for i in range(len(x)):
        acc = acc + x[i] * x[i]
        out[i] = acc
    return out


def rnn_states(x):
    h = np.zeros(3)
    for t in range(len(x)):
        h = np.tanh(M @ h + x[t])
    return h


def branchy(x):
    if np.sum(x) > 0:
        return x * x
    return -x


def clipped(x):
    return np.clip(x, -0.5, 0.5) * np.maximum(x, 0.1)


def matrix_square(a):
    return a @ a


def matrix_transpose_product(a):
    return a.T @ a + a


def row_sums(a):
    return np.sum(a * a, axis=1)


def column_means(a):
    return np.mean(np.sin(a), axis=0)


def polar(p):
    out = np.zeros(2)
    out[0] = p[0] * np.cos(p[1])
    out[1] = p[0] * np.sin(p[1])
    return out


def spherical(r, theta, phi):
    out = np.zeros(3)
    out[0] = r * np.sin(theta) * np.cos(phi)
    out[1] = r * np.sin(theta) * np.sin(phi)
    out[2] = r * np.cos(theta)
    return out


def power_iteration(x):
    v = x
    for _ in range(3):
        v = M @ v
        v = v / np.sqrt(np.sum(v * v))
    return v


def while_scaling(x):
    y = x
    n = 0
    while n < 4:
        y = y * 0.9 + np.sin(y)
        n = n + 1
    return y


def scalar_to_vector(t):
    out = np.ones(3) * t
    out[0] = np.cos(t)
    out[1] = np.sin(t)
    return out * t


def indexed_pairs(x):
    return x[1:] * x[:-1]


def reversed_cumprod(x):
    out = np.ones(len(x))
    acc = 1.0
    for i in range(len(x) - 1, -1, -1):
        acc = acc * x[i]
        out[i] = acc
    return out


def log_sum_exp_rows(a):
    m = np.max(a, axis=1, keepdims=True)
    return np.log(np.sum(np.exp(a - m), axis=1)) + m[:, 0]


VECTOR = RNG.uniform(0.2, 1.0, size=5)
MATRIX = RNG.uniform(0.2, 1.0, size=(3, 3))
JACOBIAN_CASES = [
    (elementwise, (VECTOR,), 0),
    (affine, (VECTOR,), 0),
    (tanh_layer, (VECTOR,), 0),
    (softmax, (VECTOR,), 0),
    (normalize, (VECTOR,), 0),
    (outer_flat, (VECTOR[:3],), 0),
    (cumulative, (VECTOR,), 0),
    (rnn_states, (VECTOR,), 0),
    (branchy, (VECTOR,), 0),
    (branchy, (-VECTOR,), 0),
    (clipped, (VECTOR - 0.55,), 0),
    (matrix_square, (MATRIX,), 0),
    (matrix_transpose_product, (MATRIX,), 0),
    (row_sums, (MATRIX,), 0),
    (column_means, (MATRIX,), 0),
    (polar, (np.array([1.5, 0.3]),), 0),
    (spherical, (1.2, 0.7, 0.4), 1),
    (spherical, (1.2, 0.7, 0.4), 2),
    (power_iteration, (VECTOR[:3],), 0),
    (while_scaling, (VECTOR,), 0),
    (scalar_to_vector, (0.8,), 0),
    (indexed_pairs, (VECTOR,), 0),
    (reversed_cumprod, (VECTOR,), 0),
    (log_sum_exp_rows, (MATRIX,), 0),
]


def _id(case: tuple) -> str:
    fn, args, k = case
    return f"{fn.__name__}-arg{k}"


@pytest.mark.parametrize("case", JACOBIAN_CASES, ids=[_id(c) for c in JACOBIAN_CASES])
def test_jacfwd_and_jacrev_match_central_differences(case: tuple) -> None:
    fn, args, k = case
    expected = numeric_jacobian(fn, args, k)
    forward = jacfwd(fn, argnums=k)(*args)
    reverse = jacrev(fn, argnums=k)(*args)
    assert np.shape(forward) == expected.shape and np.shape(reverse) == expected.shape
    np.testing.assert_allclose(forward, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(reverse, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(forward, reverse, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", JACOBIAN_CASES, ids=[_id(c) for c in JACOBIAN_CASES])
def test_vjp_of_vector_functions_passes_the_dot_product_test(case: tuple) -> None:
    """<u, J v> (J v by `jvp`, checked against differences) == <J^T u, v> (by `vjp`)."""
    fn, args, k = case
    v = RNG.normal(size=np.shape(args[k]))
    v = float(v) if np.ndim(args[k]) == 0 else v
    tangents = tuple(v if i == k else None for i in range(len(args)))
    out, jv = jvp(fn, args, tangents)
    np.testing.assert_allclose(out, fn(*args), rtol=1e-12)
    expected = (fn(*args[:k], args[k] + 1e-6 * v, *args[k + 1:]) - fn(*args[:k], args[k] - 1e-6 * v, *args[k + 1:])) / 2e-6
    np.testing.assert_allclose(jv, expected, rtol=1e-5, atol=1e-7)
    u = RNG.normal(size=np.shape(out))
    value, pullback = vjp(fn, *args)
    np.testing.assert_allclose(value, out, rtol=1e-12)
    cotangent = pullback(u)[k]
    assert np.isclose(np.sum(u * jv), np.sum(cotangent * v), rtol=1e-9, atol=1e-12)


def test_jacobian_of_several_arguments_is_a_tuple() -> None:
    args = (1.2, 0.7, 0.4)
    for mode in ("forward", "reverse"):
        jacs = jacobian(spherical, argnums=(0, 2), mode=mode)(*args)
        assert isinstance(jacs, tuple) and len(jacs) == 2
        np.testing.assert_allclose(jacs[0], numeric_jacobian(spherical, args, 0), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(jacs[1], numeric_jacobian(spherical, args, 2), rtol=1e-6, atol=1e-8)


def test_jacobians_show_their_source() -> None:
    f = jacfwd(tanh_layer)
    f(VECTOR)
    assert f.source.startswith("def jacfwd_tanh_layer(x):") and "for " not in f.source  # one pass
    assert "np.eye" not in f.source  # the identity seed meets W and leaves W
    r = jacrev(tanh_layer)
    r(VECTOR)
    assert r.source.startswith("def jacrev_tanh_layer(x):") and "for i in range(4):" in r.source
    assert "jacrev_tanh_layer" in r.ir


# --- Hessians ---------------------------------------------------------------------------


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


def test_rosenbrock_hessian_is_analytic() -> None:
    x = RNG.uniform(-1.5, 1.5, size=10)
    got = hessian(rosenbrock)(x)
    np.testing.assert_allclose(got, rosenbrock_hessian(x), rtol=0, atol=1e-8)


def logistic_loss(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_hvp_of_logistic_loss_is_analytic_hessian_times_v() -> None:
    X = RNG.normal(size=(50, 6))
    y = (RNG.random(50) < 0.5).astype(float)
    beta, v = RNG.normal(size=6) * 0.3, RNG.normal(size=6)
    p = 1 / (1 + np.exp(-(X @ beta)))
    hessian_analytic = X.T @ (X * (p * (1 - p))[:, None]) / len(y)
    got = hvp(logistic_loss, (beta, X, y), (v, None, None))
    np.testing.assert_allclose(got, hessian_analytic @ v, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hessian(logistic_loss)(beta, X, y), hessian_analytic, rtol=1e-9, atol=1e-12)


# --- third derivatives --------------------------------------------------------------------


def sine(x):
    return np.sin(x)


def exp_square(x):
    return np.exp(x * x)


def log_one_plus(x):
    return math.log(1.0 + x)


def x_tanh(x):
    return x * np.tanh(x)


def quartic(x):
    return x**4 - 3.0 * x**2


def inverse(x):
    return 1.0 / x


def _x_tanh_third(x: float) -> float:
    s, t = 1 / np.cosh(x) ** 2, np.tanh(x)
    return -6 * s * t + 4 * x * s * t * t - 2 * x * s * s


THIRD_CASES = [
    (sine, lambda x: -np.cos(x)),
    (exp_square, lambda x: np.exp(x * x) * (12 * x + 8 * x**3)),
    (log_one_plus, lambda x: 2.0 / (1.0 + x) ** 3),
    (x_tanh, _x_tanh_third),
    (quartic, lambda x: 24.0 * x),
    (inverse, lambda x: -6.0 / x**4),
]


@pytest.mark.parametrize("case", THIRD_CASES, ids=[c[0].__name__ for c in THIRD_CASES])
@pytest.mark.parametrize("x", [0.3, 1.1])
def test_third_derivatives_are_analytic(case: tuple, x: float) -> None:
    fn, third = case
    got = grad(grad(grad(fn)))(x)
    assert np.isclose(got, third(x), rtol=1e-10, atol=1e-10), (got, third(x))


def test_nested_modes_agree_on_a_third_derivative() -> None:
    x = 0.7
    expected = np.exp(x * x) * (12 * x + 8 * x**3)
    for inner in ("forward", "reverse"):
        for outer in ("forward", "reverse"):
            got = grad(grad(grad(exp_square, mode=inner), mode=outer))(x)
            assert np.isclose(got, expected, rtol=1e-10)


# --- second derivatives through control flow -------------------------------------------------


def horner(x, coeffs):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def piecewise(x):
    if x > 0.5:
        y = x * x * x
    else:
        y = np.sin(x)
    return y * x


def newton_sqrt(a):
    x = a
    n = 0
    while n < 6:
        x = 0.5 * (x + a / x)
        n = n + 1
    return x


def loop_with_branch(x):
    total = 0.0
    for k in range(4):
        if k % 2 == 0:
            total = total + np.sin(k * x)
        else:
            total = total * x
    return total


def vector_loop(x):
    acc = 0.0
    for i in range(len(x)):
        acc = acc + np.exp(x[i]) * x[i]
    return acc * np.sum(x * x)


SECOND_SCALAR = [
    (horner, (0.7, np.array([1.0, -2.0, 0.5, 3.0]))),
    (piecewise, (0.8,)),
    (piecewise, (0.2,)),
    (newton_sqrt, (2.0,)),
    (loop_with_branch, (0.6,)),
]


@pytest.mark.parametrize("case", SECOND_SCALAR, ids=[f"{c[0].__name__}-{c[1][0]}" for c in SECOND_SCALAR])
def test_second_derivatives_through_control_flow(case: tuple) -> None:
    fn, args = case
    first = grad(fn)
    np.testing.assert_allclose(first(*args), numeric_grad(fn, args, 0), rtol=1e-6)
    expected = numeric_grad(first, args, 0)
    np.testing.assert_allclose(grad(first)(*args), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grad(grad(fn, mode="forward"))(*args), expected, rtol=1e-6, atol=1e-8)


def test_hessian_through_a_loop_matches_differences_of_the_gradient() -> None:
    x = RNG.uniform(0.2, 1.0, size=4)
    gradient = grad(vector_loop)
    np.testing.assert_allclose(gradient(x), numeric_grad(vector_loop, (x,), 0), rtol=1e-6)
    expected = numeric_jacobian(gradient, (x,), 0)
    np.testing.assert_allclose(hessian(vector_loop)(x), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(jacfwd(jacrev(vector_loop))(x), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(jacrev(jacfwd(vector_loop))(x), expected, rtol=1e-6, atol=1e-7)


def polar_pair(r, theta):
    return r * np.cos(theta), r * np.sin(theta)


def test_jacobian_of_a_tuple_result() -> None:
    """jacfwd and jacrev of a function returning a tuple: one Jacobian per result (JAX's
    nesting)."""
    r, theta = 1.5, 0.4
    for jacobian in (jacfwd, jacrev):
        (dx, dy) = jacobian(polar_pair, argnums=1)(r, theta)
        assert np.isclose(dx, -r * np.sin(theta)) and np.isclose(dy, r * np.cos(theta))
        nested = jacobian(polar_pair, argnums=(0, 1))(r, theta)
        np.testing.assert_allclose(np.array(nested), [[np.cos(theta), -r * np.sin(theta)],
                                                       [np.sin(theta), r * np.cos(theta)]])


def test_hessian_of_several_arguments_is_nested() -> None:
    def f(x, y):
        return np.sum(x * x * y) + y**3

    x, y = np.array([0.5, -1.0]), 0.7
    (hxx, hxy), (hyx, hyy) = hessian(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(hxx, 2 * y * np.eye(2))
    np.testing.assert_allclose(hxy, 2 * x)
    np.testing.assert_allclose(hyx, 2 * x)
    assert np.isclose(hyy, 6 * y)


# --- hard cases: rows of arrays, counters, early returns, 2-d indices in loops, stacks --------


def first_row_sum(M):
    r = M[0]
    return r[0] + r[1] * r[2]


def sliced_then_indexed(x):
    return x[1:][0] * x[-1]


def powers_and_a_counter(x):
    y = x
    n = 0
    for _ in range(3):
        y = y * 1.5
        n = n + 1
    return y * n * x


def early_return(x):
    s = 1.0
    for _ in range(20):
        s = s * x
        if s > 3.0:
            return s
    return s


def plus_math_sine(x):
    return x * x + math.sin(x)


def column_cubes(M):
    s = 0.0
    for i in range(M.shape[0]):
        s = s + M[i, 0] ** 3
    return s


def sines_while(x):
    k = 0
    while k < 3:
        x = np.sin(x)
        k = k + 1
    return x


def gram_sum(x):
    M = x.reshape(2, 2)
    return np.sum(M.T @ M)


def outer_square(x):
    return np.outer(x, x)


def permuted_product(M):
    return np.sum(np.transpose(M, (1, 0)) * M * M)


HARD_SECOND = [
    (first_row_sum, (np.array([[0.5, 1.2, -0.8], [0.3, 0.9, -1.1]]),)),
    (sliced_then_indexed, (np.array([0.4, -0.7, 1.3, 0.9]),)),
    (powers_and_a_counter, (0.7,)),
    (early_return, (1.3,)),
    (plus_math_sine, (np.array(0.7),)),
    (column_cubes, (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),)),
    (gram_sum, (np.array([1.0, 2.0, 3.0, 4.0]),)),
    (permuted_product, (np.array([[1.0, 2.0], [0.5, -1.0]]),)),
]


@pytest.mark.parametrize("case", HARD_SECOND, ids=[c[0].__name__ for c in HARD_SECOND])
def test_second_derivatives_of_hard_cases(case: tuple) -> None:
    fn, args = case
    first = grad(fn)
    np.testing.assert_allclose(first(*args), numeric_grad(fn, args, 0), rtol=1e-6, atol=1e-9)
    expected = numeric_jacobian(first, args, 0)
    for name, second in (("hessian", hessian(fn)), ("jacrev(grad)", jacrev(grad(fn))),
                         ("jacfwd(grad fwd)", jacfwd(grad(fn, mode="forward")))):
        np.testing.assert_allclose(second(*args), expected, rtol=1e-6, atol=1e-7, err_msg=name)
    v = np.ones_like(np.asarray(args[0]))
    np.testing.assert_allclose(hvp(fn, args, (v,)), np.tensordot(expected, v, np.ndim(v)),
                               rtol=1e-6, atol=1e-7)


def test_a_third_derivative_through_a_while_loop() -> None:
    x = 0.7
    expected = numeric_grad(grad(grad(sines_while)), (x,), 0)
    assert np.isclose(grad(grad(grad(sines_while)))(x), expected, rtol=1e-6)


def test_jacobians_of_jacobians_of_a_matrix_result() -> None:
    x = np.array([1.0, 2.0])
    second = np.zeros((2, 2, 2, 2))  # d2 (x_i x_j) / dx_k dx_l
    for i, j in np.ndindex(2, 2):
        second[i, j, i, j] += 1
        second[i, j, j, i] += 1
    for name, f in (("jacfwd(jacfwd)", jacfwd(jacfwd(outer_square))),
                    ("jacrev(jacfwd)", jacrev(jacfwd(outer_square))),
                    ("jacfwd(jacrev)", jacfwd(jacrev(outer_square)))):
        np.testing.assert_allclose(f(x), second, err_msg=name)


def test_an_integer_cotangent_leaves_a_float_gradient() -> None:
    def scaled(x, n):
        return x * n

    result = grad(scaled)(2.0, 3)
    assert result == 3.0 and isinstance(result, float)


def test_vjp_of_a_tuple_result_takes_a_tuple_cotangent() -> None:
    r, theta = 1.5, 0.4
    out, pullback = vjp(polar_pair, r, theta)
    np.testing.assert_allclose(out, polar_pair(r, theta))
    u = (1.0, 2.0)
    br, btheta = pullback(u)
    jac = np.array([[np.cos(theta), -r * np.sin(theta)], [np.sin(theta), r * np.cos(theta)]])
    np.testing.assert_allclose((br, btheta), np.array(u) @ jac)


def squared_total(x):
    return np.sum(x) ** 2


def test_hessian_of_a_function_whose_gradient_is_a_broadcast() -> None:
    """The gradient is one number broadcast to x's shape: emitted as a fresh array
    (np.full) for callers, differentiated again as the broadcast it is."""
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(grad(squared_total)(x), 2 * np.sum(x) * np.ones(3))
    np.testing.assert_allclose(hessian(squared_total)(x), 2 * np.ones((3, 3)))


# --- second derivatives of both corpora ---------------------------------------------------------

from tests.corpus import CASES as STRAIGHT  # noqa: E402
from tests.corpus_control import CASES as CONTROL  # noqa: E402

CORPUS_PAIRS = [
    pytest.param(case, k, id=f"{case.id}-arg{k}")
    for case in list(STRAIGHT) + list(CONTROL)
    if not getattr(case, "xfail", None)
    for k in case.float_argnums()
]


@pytest.mark.parametrize("case, k", CORPUS_PAIRS)
def test_corpus_hessians_match_differences_of_the_gradient(case, k: int) -> None:
    """hessian (forward over reverse), jacrev(grad) (reverse over reverse, or forward
    where the gradient keeps tapes) and reverse over forward, against central differences
    of the gradient, itself checked against central differences of the function by the
    corpus tests."""
    args = case.args()
    expected = numeric_jacobian(grad(case.fn, argnums=k), args, k)
    scale = max(1.0, float(np.max(np.abs(expected))))
    for name, second in (("hessian", hessian(case.fn, argnums=k)),
                         ("jacrev(grad)", jacrev(grad(case.fn, argnums=k), argnums=k)),
                         ("jacrev(grad fwd)", jacrev(grad(case.fn, argnums=k, mode="forward"), argnums=k))):
        np.testing.assert_allclose(second(*args), expected, rtol=1e-5, atol=1e-6 * scale, err_msg=name)


def carried_twice(x):
    s = 0.0
    for i in range(2):
        s = s + np.sin(s + x)
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_third_derivative_through_a_loop_carrying_several_tangents(mode: str) -> None:
    """Order 3 carries several tangents of one loop value (`ds` of two passes): each is
    its own variable. The loop computes sin(x) + sin(sin(x) + x); SymPy differentiates it."""
    sympy = pytest.importorskip("sympy")
    t = sympy.Symbol("t")
    exact = sympy.diff(sympy.sin(t) + sympy.sin(sympy.sin(t) + t), t, 3)
    third = jacfwd(jacfwd(grad(carried_twice, mode=mode)))
    for x in (0.7, -1.3):
        assert third(x) == pytest.approx(float(exact.subs(t, x)), rel=1e-12)


# --- loops left by break: the reverse sweep's tape of loop indices -----------------------------
# A loop with `break` becomes a while loop whose condition reads a flag that depends on x,
# so every value it carries is varied, the tape of loop indices included. That tape holds
# ints: it has no tangent (it once had a tangent tape of Nones, and the tangent of the
# index read back from it entered the JVP of x ** i as a run-time None).


def powers_until_five(x):
    s = 0.0
    for i in range(10):
        s = s + x ** i
        if s > 5.0:
            break
    return s


def powers_until_five_while(x):
    s = 0.0
    i = 0
    while i < 10:
        s = s + x ** i
        if s > 5.0:
            break
        i = i + 1
    return s


def powers_until_five_n(x, n):
    s = 0.0
    for i in range(n):
        s = s + x ** i
        if s > 5.0:
            break
    return s


def _powers_taken(x: float, n: int = 10) -> list[int]:
    """The exponents powers_until_five adds before it breaks (plain Python)."""
    s, taken = 0.0, []
    for i in range(n):
        s += x ** i
        taken.append(i)
        if s > 5.0:
            break
    return taken


def _powers_derivative(x: float, order: int, n: int = 10) -> float:
    """d^order/dx^order of the sum of x**i over the exponents taken: piecewise a polynomial."""
    total = 0.0
    for i in _powers_taken(x, n):
        falling = math.prod(range(i - order + 1, i + 1))  # i (i-1) ... (i-order+1)
        total += falling * x ** (i - order) if falling else 0.0
    return total


@pytest.mark.parametrize("x", [0.9, 1.3, 0.3])  # breaks after i = 6, after i = 3, never
def test_second_and_third_derivatives_through_a_loop_with_break(x: float) -> None:
    assert _powers_taken(x)[-1] == {0.9: 6, 1.3: 3, 0.3: 9}[x]
    first = grad(powers_until_five)
    assert first(x) == pytest.approx(_powers_derivative(x, 1), rel=1e-12)
    second = _powers_derivative(x, 2)
    assert numeric_grad(first, (x,), 0) == pytest.approx(second, rel=1e-7)
    for name, f in (("hessian", hessian(powers_until_five)),
                    ("jacfwd(grad)", jacfwd(grad(powers_until_five))),
                    ("grad(grad)", grad(grad(powers_until_five))),
                    ("grad(grad fwd)", grad(grad(powers_until_five, mode="forward"))),
                    ("jacrev(grad)", jacrev(grad(powers_until_five)))):
        assert f(x) == pytest.approx(second, rel=1e-12), name
    assert hvp(powers_until_five, (x,), (2.0,)) == pytest.approx(2.0 * second, rel=1e-12)
    third = _powers_derivative(x, 3)
    for name, f in (("jacfwd(hessian)", jacfwd(hessian(powers_until_five))),
                    ("grad(grad(grad))", grad(grad(grad(powers_until_five)))),
                    ("grad(grad(grad fwd))", grad(grad(grad(powers_until_five, mode="forward"))))):
        assert f(x) == pytest.approx(third, rel=1e-12), name


def test_a_while_loop_with_break_has_second_and_third_derivatives() -> None:
    x = 0.9
    assert powers_until_five_while(x) == powers_until_five(x)
    second, third = _powers_derivative(x, 2), _powers_derivative(x, 3)
    assert hessian(powers_until_five_while)(x) == pytest.approx(second, rel=1e-12)
    assert grad(grad(powers_until_five_while))(x) == pytest.approx(second, rel=1e-12)
    assert grad(grad(powers_until_five_while, mode="forward"))(x) == pytest.approx(second, rel=1e-12)
    assert jacfwd(hessian(powers_until_five_while))(x) == pytest.approx(third, rel=1e-12)


@pytest.mark.parametrize("n", [10, 4])  # stopped by break, stopped by n
def test_a_loop_over_range_of_an_argument_with_break_has_second_derivatives(n: int) -> None:
    x = 0.9
    second = _powers_derivative(x, 2, n)
    assert hessian(powers_until_five_n)(x, n) == pytest.approx(second, rel=1e-12)
    assert grad(grad(powers_until_five_n))(x, n) == pytest.approx(second, rel=1e-12)
    assert grad(grad(powers_until_five_n, mode="forward"))(x, n) == pytest.approx(second, rel=1e-12)
    assert jacfwd(hessian(powers_until_five_n))(x, n) == pytest.approx(_powers_derivative(x, 3, n), rel=1e-12)


def test_a_tape_of_loop_indices_has_no_tangent_tape() -> None:
    h = hessian(powers_until_five)
    h(0.9)
    assert "tape.append(" in h.source and "append(None)" not in h.source
    assert "dtape" not in h.source
