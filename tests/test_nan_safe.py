"""The branch not taken puts no NaN into a derivative.

Each function chooses between branches with `np.where`, `np.select`, nested choices or a
boolean mask, at points where the branch not taken is NaN or infinite (or has an
infinite derivative). The derivative must be that of the branch that produced the value:
the analytic formulas below, chosen element by element, in reverse and forward mode, for
`vjp` and `jvp`, the generic version, and the Hessian.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ad_compiler import grad, hessian, jvp, vjp

X = np.array([-1.0, 0.0, 0.5, 2.0, 800.0])


def where_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def sinc(x):
    return np.sum(np.where(x == 0, 1.0, np.sin(x) / x))


def where_log(x):
    return np.sum(np.where(x > 0, np.log(x), 0.0))


def softplus(x):
    return np.sum(np.where(x > 30.0, x, np.log1p(np.exp(x))))


def mask_sqrt(x):
    return np.sum((x > 0) * np.sqrt(np.abs(x)))


def nested(x):
    return np.sum(np.where(x > 1.0, 1.0, np.where(x > 0, np.sqrt(x), 0.0)))


def select(x):
    return np.sum(np.select((x > 1.0, x > 0), (np.log(x) + 1.0, np.sqrt(x)), 0.0))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    CASES = {
        where_sqrt: (np.where(X > 0, 0.5 / np.sqrt(X), 0.0), np.where(X > 0, -0.25 * X ** -1.5, 0.0)),
        sinc: (np.where(X == 0, 0.0, (X * np.cos(X) - np.sin(X)) / X ** 2),
               np.where(X == 0, 0.0, ((2 - X ** 2) * np.sin(X) - 2 * X * np.cos(X)) / X ** 3)),
        where_log: (np.where(X > 0, 1 / X, 0.0), np.where(X > 0, -1 / X ** 2, 0.0)),
        softplus: (np.where(X > 30, 1.0, _sigmoid(X)), np.where(X > 30, 0.0, _sigmoid(X) * (1 - _sigmoid(X)))),
        mask_sqrt: (np.where(X > 0, 0.5 / np.sqrt(X), 0.0), np.where(X > 0, -0.25 * X ** -1.5, 0.0)),
        nested: (np.where(X > 1, 0.0, np.where(X > 0, 0.5 / np.sqrt(X), 0.0)),
                 np.where(X > 1, 0.0, np.where(X > 0, -0.25 * X ** -1.5, 0.0))),
        select: (np.where(X > 1, 1 / X, np.where(X > 0, 0.5 / np.sqrt(X), 0.0)),
                 np.where(X > 1, -1 / X ** 2, np.where(X > 0, -0.25 * X ** -1.5, 0.0))),
    }


@pytest.fixture(autouse=True)
def _quiet():
    """The primal itself evaluates the branch not taken (sqrt of -1): NumPy warns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.mark.parametrize("f", list(CASES), ids=lambda f: f.__name__)
def test_gradient_is_that_of_the_branch_taken(f) -> None:
    expected, _ = CASES[f]
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(grad(f, mode=mode)(X), expected, rtol=1e-12, err_msg=mode)


@pytest.mark.parametrize("f", [where_sqrt, sinc, where_log, softplus, nested, select], ids=lambda f: f.__name__)
def test_generic_gradient_is_that_of_the_branch_taken(f) -> None:
    np.testing.assert_allclose(grad(f).generic(X), CASES[f][0], rtol=1e-12)


@pytest.mark.parametrize("f", list(CASES), ids=lambda f: f.__name__)
def test_hessian_is_that_of_the_branch_taken(f) -> None:
    _, second = CASES[f]
    np.testing.assert_allclose(hessian(f)(X), np.diag(second), rtol=1e-12, atol=1e-300)


def test_vjp_and_jvp_of_an_elementwise_choice() -> None:
    def f(x):
        return np.where(x > 0, np.sqrt(x), 0.0) * 2.0

    expected = np.where(X > 0, 1.0 / np.sqrt(np.abs(X) + (X == 0)), 0.0)
    value, pullback = vjp(f, X)
    np.testing.assert_allclose(pullback(np.ones_like(X))[0], expected, rtol=1e-12)
    _, tangent = jvp(f, (X,), (np.ones_like(X),))
    np.testing.assert_allclose(tangent, expected, rtol=1e-12)


def test_a_float_stays_a_float() -> None:
    def f(x):
        return np.where(x > 0, np.sqrt(x), 0.0)

    for x, expected in ((-1.0, 0.0), (0.0, 0.0), (4.0, 0.25)):
        got = grad(f)(x)
        assert got == expected and np.ndim(got) == 0 and not isinstance(got, np.ndarray)


def test_the_mask_is_written_once_as_a_person_would() -> None:
    df = grad(where_sqrt)
    df(X)
    body = [line for line in df.source.split("def grad_where_sqrt")[1].splitlines() if "#" not in line]
    body = "\n".join(body)
    assert body.count("np.where") == 1, df.source
    assert "1.0 / (2 * np.sqrt(x))" in body, df.source


def test_a_mask_does_not_cross_a_broadcast_that_sums() -> None:
    """`b` is broadcast over the rows of a choice: its cotangent sums both rows, one of
    which is chosen: no mask may zero it."""

    def f(a, b):
        return np.sum(np.where(a > 0, np.sqrt(np.abs(b)) * a, 0.0))

    a = np.array([[1.0, -1.0], [-2.0, 3.0]])
    b = np.array([4.0, 9.0])
    expected = np.sum(np.where(a > 0, a, 0.0), axis=0) * 0.5 / np.sqrt(b)
    np.testing.assert_allclose(grad(f, argnums=1)(a, b), expected, rtol=1e-12)
    np.testing.assert_allclose(grad(f, argnums=1).generic(a, b), expected, rtol=1e-12)
