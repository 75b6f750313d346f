"""Numerical differentiation: the independent baselines emitted derivatives are checked
against. Nothing here knows about the compiler: each method only calls the function.

- **Central differences**, `(f(x + h) - f(x - h)) / 2h` per entry, with the step
  `h = cbrt(eps) * max(1, |x|)`. The truncation error is O(h^2) and the rounding error
  O(eps / h); this step balances them, leaving about two thirds of the float64 digits
  (relative error near 1e-10 for smooth functions). The quotient divides by the step
  actually taken (`(x + h) - (x - h)`, after rounding), not by `2h`.
- **Richardson extrapolation** (`richardson=True`): `(4 D(h/2) - D(h)) / 3` cancels the
  h^2 term, leaving O(h^4); the step grows to `eps^(1/5) * max(1, |x|)` to balance that
  against rounding (about 13 digits).
- **Random directions**: one central difference along a direction `v` gives `J v` with
  two evaluations, whatever the size of `x`: the check for large inputs.
- **Complex step**: `Im f(x + i h v) / h` with `h = 1e-20` has no cancellation at all, so
  it is exact to rounding; but only for a function that is analytic in its input and
  keeps the imaginary part (no `abs`, no comparisons of complex values, no writes into a
  float array). Support is *detected* (`complex_step_support`), never assumed.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np

EPS = float(np.finfo(np.float64).eps)
CENTRAL_STEP = float(np.cbrt(EPS))
RICHARDSON_STEP = float(EPS ** 0.2)
COMPLEX_STEP = 1e-20
_COMPLEX_WARNING = getattr(getattr(np, "exceptions", np), "ComplexWarning")


def step(x: Any, base: float = CENTRAL_STEP) -> Any:
    """The scaled step for entries of value `x`: `base * max(1, |x|)`."""
    return base * np.maximum(1.0, np.abs(x))


def _with(args: Sequence[Any], argnum: int, value: Any) -> tuple:
    return tuple(args[:argnum]) + (value,) + tuple(args[argnum + 1:])


def _as_input(template: Any, value: np.ndarray) -> Any:
    """`value` in the form of the argument it replaces (a Python float for a float)."""
    if isinstance(template, np.ndarray):
        return value
    return value.item() if np.ndim(value) == 0 else value


def _quotient(f: Callable[..., Any], args: Sequence[Any], argnum: int, direction: np.ndarray,
              h: float) -> np.ndarray:
    """`(f(x + h v) - f(x - h v)) / (actual step)` for one direction `v`."""
    x = np.asarray(args[argnum], dtype=np.float64)
    plus, minus = x + h * direction, x - h * direction
    taken = float(np.vdot(plus - minus, direction) / np.vdot(direction, direction))
    up = np.asarray(f(*_with(args, argnum, _as_input(args[argnum], plus))), dtype=np.float64)
    down = np.asarray(f(*_with(args, argnum, _as_input(args[argnum], minus))), dtype=np.float64)
    return (up - down) / taken


def directional(f: Callable[..., Any], args: Sequence[Any], argnum: int, direction: Any, *,
                richardson: bool = False) -> np.ndarray:
    """`J v`: the derivative of `f` along `direction` in argument `argnum`, by central
    differences (two evaluations; four with Richardson), the step scaled to the point."""
    x = np.asarray(args[argnum], dtype=np.float64)
    v = np.asarray(direction, dtype=np.float64)
    scale = float(np.max(np.maximum(1.0, np.abs(x)))) if x.size else 1.0
    if not richardson:
        return _quotient(f, args, argnum, v, CENTRAL_STEP * scale)
    h = RICHARDSON_STEP * scale
    coarse = _quotient(f, args, argnum, v, h)
    fine = _quotient(f, args, argnum, v, h / 2)
    return (4 * fine - coarse) / 3


def jacobian(f: Callable[..., Any], args: Sequence[Any], argnum: int = 0, *,
             richardson: bool = False) -> np.ndarray:
    """d f / d args[argnum] entry by entry, of shape `out.shape + in.shape` (for a scalar
    `f`, the gradient), each entry with its own scaled step."""
    x = np.asarray(args[argnum], dtype=np.float64)
    columns = []
    for index in np.ndindex(x.shape):
        unit = np.zeros(x.shape)
        unit[index] = 1.0
        h = float(step(x[index], RICHARDSON_STEP if richardson else CENTRAL_STEP))
        if richardson:
            columns.append((4 * _quotient(f, args, argnum, unit, h / 2) - _quotient(f, args, argnum, unit, h)) / 3)
        else:
            columns.append(_quotient(f, args, argnum, unit, h))
    stacked = np.array(columns)  # (in entries,) + out.shape
    out_shape = stacked.shape[1:]
    return np.moveaxis(stacked, 0, -1).reshape(out_shape + x.shape)


def gradient(f: Callable[..., Any], args: Sequence[Any], argnum: int = 0, *,
             richardson: bool = False) -> Any:
    """The gradient of scalar-valued `f` w.r.t. args[argnum], in the argument's form (a
    float for a float)."""
    shape = np.shape(f(*args))
    if shape != ():
        raise ValueError(f"a gradient needs a scalar-valued function; this one returns shape {shape}")
    return _as_input(args[argnum], jacobian(f, args, argnum, richardson=richardson))


class ComplexStepUnsupported(ValueError):
    """The function does not carry an imaginary part through (the reason is the message)."""


def complex_step_support(f: Callable[..., Any], args: Sequence[Any], argnum: int,
                         rng: np.random.Generator | None = None) -> str | None:
    """None if the complex step can be trusted for `f` in argument `argnum`, else the
    reason it cannot. Detected by trying it: `f` must accept a complex input without a
    `ComplexWarning` (an imaginary part discarded), return a complex value, and its
    derivative along a random direction must agree with central differences (a function
    that is not analytic, such as `abs`, keeps an imaginary part and gets it wrong)."""
    rng = rng or np.random.default_rng(0)
    x = np.asarray(args[argnum], dtype=np.float64)
    v = rng.standard_normal(x.shape)
    try:
        complex_value = _complex_directional(f, args, argnum, v)
    except ComplexStepUnsupported as err:
        return str(err)
    try:
        central = directional(f, args, argnum, v)
    except Exception as err:  # a function that fails at nearby real points: no baseline
        return f"central differences failed: {type(err).__name__}: {err}"
    scale = max(1.0, float(np.max(np.abs(central))) if np.size(central) else 1.0)
    if not np.allclose(complex_value, central, rtol=1e-5, atol=1e-6 * scale):
        return "the complex step disagrees with central differences (the function is not analytic in its input)"
    return None


def _complex_directional(f: Callable[..., Any], args: Sequence[Any], argnum: int, v: np.ndarray) -> np.ndarray:
    x = np.asarray(args[argnum], dtype=np.float64)
    shifted = x + 1j * COMPLEX_STEP * v
    value = shifted.item() if not isinstance(args[argnum], np.ndarray) and np.ndim(shifted) == 0 else shifted
    with warnings.catch_warnings():
        warnings.simplefilter("error", _COMPLEX_WARNING)
        try:
            out = f(*_with(args, argnum, value))
        except _COMPLEX_WARNING:
            raise ComplexStepUnsupported("the function discards an imaginary part (ComplexWarning)") from None
        except Exception as err:
            raise ComplexStepUnsupported(f"the function does not accept complex input: {type(err).__name__}: {err}") from None
    out = np.asarray(out)
    if not np.iscomplexobj(out):
        raise ComplexStepUnsupported("the function returns a real value for a complex input")
    return out.imag / COMPLEX_STEP


def complex_step_jacobian(f: Callable[..., Any], args: Sequence[Any], argnum: int = 0) -> np.ndarray:
    """d f / d args[argnum] by the complex step, entry by entry (`out.shape + in.shape`).
    Raises `ComplexStepUnsupported` when support is not detected."""
    reason = complex_step_support(f, args, argnum)
    if reason is not None:
        raise ComplexStepUnsupported(reason)
    x = np.asarray(args[argnum], dtype=np.float64)
    columns = []
    for index in np.ndindex(x.shape):
        unit = np.zeros(x.shape)
        unit[index] = 1.0
        columns.append(_complex_directional(f, args, argnum, unit))
    stacked = np.array(columns)
    return np.moveaxis(stacked, 0, -1).reshape(stacked.shape[1:] + x.shape)


def complex_step_gradient(f: Callable[..., Any], args: Sequence[Any], argnum: int = 0) -> Any:
    """The gradient of scalar-valued `f` by the complex step, in the argument's form."""
    return _as_input(args[argnum], complex_step_jacobian(f, args, argnum))


def random_direction_check(gradient_value: Any, f: Callable[..., Any], args: Sequence[Any], argnum: int,
                           *, directions: int = 3, rng: np.random.Generator | None = None) -> list[tuple[float, float]]:
    """For a claimed gradient of scalar-valued `f`: `(<gradient, v>, central difference
    along v)` for a few random unit directions; two evaluations of `f` each, whatever
    the size of the argument."""
    rng = rng or np.random.default_rng(0)
    shape = np.shape(args[argnum])
    pairs = []
    for _ in range(directions):
        v = rng.standard_normal(shape)
        v = v / max(float(np.linalg.norm(v)), 1e-300)
        claimed = float(np.sum(np.asarray(gradient_value) * v))
        pairs.append((claimed, float(directional(f, args, argnum, v))))
    return pairs
