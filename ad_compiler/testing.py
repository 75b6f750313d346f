"""Assertions for users' own test suites: the compiler's derivatives against central
differences (`check.numeric`), with a message that says which argument, which entry, and
the two values."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .api import grad
from .check import numeric

_TOLERANCES = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 2e-2}
"""Default relative tolerance by dtype (central differences keep about 2/3 of the digits)."""


def _tolerance(x: Any, given: float | None) -> float:
    if given is not None:
        return given
    return _TOLERANCES.get(np.asarray(x).dtype, 1e-6)


def assert_grad_close(
    f: Callable[..., Any],
    *args: Any,
    argnums: int | Sequence[int] = 0,
    mode: str = "reverse",
    rtol: float | None = None,
    atol: float | None = None,
    richardson: bool = False,
) -> None:
    """Assert that `grad(f, argnums, mode)` agrees with central differences at `args`.

    A mismatch raises `AssertionError` naming the argument, the entry that disagrees most,
    the emitted and numeric values there, and the tolerances. `atol` defaults to `rtol`
    times the size of the function value and of the gradient (a difference quotient's
    rounding error grows with them)."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    computed = grad(f, argnums=nums, mode=mode)(*args)
    value = float(np.max(np.abs(f(*args))))
    for k, got in zip(nums, computed):
        expected = numeric.gradient(f, args, k, richardson=richardson)
        r = _tolerance(args[k], rtol)
        scale = max(1.0, value, float(np.max(np.abs(expected))) if np.size(expected) else 1.0)
        a = atol if atol is not None else r * scale
        got_a, expected_a = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        if got_a.shape != expected_a.shape:
            raise AssertionError(
                f"gradient w.r.t. argument {k} has shape {got_a.shape}, the argument has {expected_a.shape}"
            )
        excess = np.abs(got_a - expected_a) - (a + r * np.abs(expected_a))
        if np.size(excess) and np.max(excess) > 0:
            index = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.ndim else ()
            where = f"[{', '.join(map(str, index))}]" if index else ""
            bad = int(np.sum(excess > 0))
            raise AssertionError(
                f"gradient of {getattr(f, '__name__', 'f')} w.r.t. argument {k}{where}: "
                f"emitted {got_a[index]!r}, central differences {expected_a[index]!r} "
                f"(rtol={r:g}, atol={a:g}; {bad} of {excess.size} entries disagree)"
            )
