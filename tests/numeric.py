"""Central-difference gradients for tests, independent of ad_compiler.

The step for an entry with value x is h = cbrt(eps) * max(1, |x|): it balances the O(h**2)
truncation error of the central difference against the O(eps / h) rounding error, which
leaves about 2/3 of the float64 digits (relative error around 1e-10 for smooth functions).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

EPS = np.finfo(np.float64).eps
CBRT_EPS = float(np.cbrt(EPS))


def _step(x: float) -> float:
    return CBRT_EPS * max(1.0, abs(x))


def numeric_grad(f: Callable[..., Any], args: tuple, argnum: int, **kwargs: Any) -> Any:
    """d f(*args, **kwargs) / d args[argnum] by central differences.

    A float argument gives a float; an ndarray argument gives a float64 array of its shape.
    f must return a scalar.
    """
    x = args[argnum]

    def at(value: Any) -> float:
        new_args = args[:argnum] + (value,) + args[argnum + 1 :]
        return float(f(*new_args, **kwargs))

    if isinstance(x, np.ndarray):
        base = np.array(x, dtype=np.float64)
        out = np.empty(base.shape, dtype=np.float64)
        for index in np.ndindex(base.shape):
            h = _step(base[index])
            plus, minus = base.copy(), base.copy()
            plus[index] += h
            minus[index] -= h
            # the step actually taken, after rounding of x + h and x - h
            out[index] = (at(plus) - at(minus)) / (plus[index] - minus[index])
        return out
    x = float(x)
    h = _step(x)
    plus, minus = x + h, x - h
    return (at(plus) - at(minus)) / (plus - minus)


def tolerance_scale(f: Callable[..., Any], args: tuple, numeric: Any, **kwargs: Any) -> float:
    """A size for absolute tolerances: max(1, |f(args)|, max |numeric gradient|)."""
    value = abs(float(f(*args, **kwargs)))
    return max(1.0, value, float(np.max(np.abs(numeric))))


def assert_grad_close(
    f: Callable[..., Any],
    args: tuple,
    argnum: int,
    got: Any,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    **kwargs: Any,
) -> None:
    """Assert that `got` is d f / d args[argnum]: same shape, float, close to central differences.

    The absolute tolerance is `atol` times tolerance_scale, since the rounding error of a
    difference quotient grows with the size of the function value.
    """
    assert_grads_close(f, args, argnum, [got], rtol, atol, **kwargs)


def assert_grads_close(
    f: Callable[..., Any],
    args: tuple,
    argnum: int,
    gots: list,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    **kwargs: Any,
) -> None:
    """`assert_grad_close` of each of `gots` (gradients of one function at one point by
    several routes), the central differences computed once: where f is costly to call
    (it compiles a derivative of its own), they are most of the check's time."""
    expected = numeric_grad(f, args, argnum, **kwargs)
    scale = tolerance_scale(f, args, expected, **kwargs)
    x = args[argnum]
    for got in gots:
        assert np.shape(got) == np.shape(x), f"gradient shape {np.shape(got)} != argument shape {np.shape(x)}"
        assert np.issubdtype(np.asarray(got).dtype, np.floating), \
            f"gradient dtype {np.asarray(got).dtype} is not float"
        if not isinstance(x, np.ndarray):
            assert isinstance(got, (float, np.floating)), f"gradient of a float argument is {type(got).__name__}"
        np.testing.assert_allclose(
            got, expected, rtol=rtol, atol=atol * scale, err_msg=f"d/d arg {argnum} vs central differences"
        )


def numeric_hessian(f: Callable[..., Any], x: Any, h: float = 1e-4) -> np.ndarray:
    """d2 f / dx2 of a scalar function of one float or array by the four-point central
    difference of f itself (no gradient involved); shape x.shape + x.shape. Its error is
    O(h**2) plus rounding of order eps |f| / h**2: compare at about 1e-5."""
    base = np.array(x, dtype=np.float64)
    n = base.size

    def at(*steps: tuple[int, float]) -> float:
        moved = base.copy().reshape(-1)
        for j, step in steps:
            moved[j] += step
        return float(f(moved.reshape(base.shape) if base.ndim else float(moved[0])))

    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            out[i, j] = (at((i, h), (j, h)) - at((i, h), (j, -h)) - at((i, -h), (j, h)) + at((i, -h), (j, -h))) / (4 * h * h)
    return out.reshape(base.shape + base.shape)
