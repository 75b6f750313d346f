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


_CHECK_TOLERANCES = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 2e-2}
"""check_grads's default tolerances by dtype, JAX's `default_gradient_tolerance`."""

_FORWARD, _REVERSE = ("fwd", "forward"), ("rev", "reverse")


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Any],
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    eps: float | None = None,
    rng: np.random.Generator | None = None,
) -> None:
    """Check the compiler's derivatives of `f` at `args`, as `jax.test_util.check_grads`
    and autograd's do: JVPs ("fwd") against central differences along random directions;
    VJPs ("rev") by the dot-product test `<u, J v> == <J^T u, v>`, `J v` by central
    differences; then, order by order up to `order`, the same checks of the emitted
    derivative of the order below (nested `jacfwd`, applied to random directions),
    against central differences of that emitted derivative, as JAX recurses. Integer
    arguments are held fixed. `eps` is the step of the
    differences (default: scaled as in `check.numeric`); tolerances default by dtype."""
    from .api import jacfwd, jvp, vjp

    if not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads checks an order of 1 or more, not {order!r}")
    unknown = [m for m in modes if m not in _FORWARD + _REVERSE]
    if unknown:
        raise ValueError(f"modes are 'fwd' and 'rev', not {unknown[0]!r}")
    rng = rng or np.random.default_rng(0)
    args = tuple(args)
    floats = tuple(i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f")
    if not floats:
        raise ValueError("check_grads needs a float argument to differentiate")
    tol = rtol if rtol is not None else max(_CHECK_TOLERANCES.get(np.asarray(args[i]).dtype, 1e-5) for i in floats)
    atol = atol if atol is not None else tol

    def direction() -> tuple:
        return tuple(_like(args[i], rng.standard_normal(np.shape(args[i]))) if i in floats else None
                     for i in range(len(args)))

    def numeric_directional(g: Callable[..., Any], v: tuple) -> np.ndarray:
        scale = max([1.0] + [float(np.max(np.abs(args[i]))) for i in floats])
        h = eps if eps is not None else numeric.CENTRAL_STEP * scale
        plus = tuple(a if t is None else a + h * t for a, t in zip(args, v))
        minus = tuple(a if t is None else a - h * t for a, t in zip(args, v))
        return (np.asarray(g(*plus), dtype=float) - np.asarray(g(*minus), dtype=float)) / (2 * h)

    def close(what: str, got: Any, expected: Any) -> None:
        got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=tol, atol=atol * scale):
            raise AssertionError(f"{what} of {getattr(f, '__name__', 'f')}: emitted {got!r}, "
                                 f"expected {expected!r} (rtol={tol:g}, atol={atol * scale:g})")

    def first_order(g: Callable[..., Any], emitted_jvp: Callable, emitted_vjp: Callable, label: str) -> None:
        v = direction()
        expected = numeric_directional(g, v)
        if any(m in _FORWARD for m in modes):
            close(f"{label} JVP", emitted_jvp(v), expected)
        if any(m in _REVERSE for m in modes):
            u = _like(expected, rng.standard_normal(np.shape(expected)))
            cotangents = emitted_vjp(u)
            lhs = sum(float(np.sum(np.asarray(c) * t)) for c, t in zip(cotangents, v) if t is not None)
            close(f"{label} VJP (dot-product test)", lhs, float(np.sum(u * expected)))

    first_order(f, lambda v: jvp(f, args, v)[1], lambda u: vjp(f, *args)[1](u), "first-order")
    jac: Callable[..., Any] = f
    directions: list[tuple] = []  # one per order done: the direction each is contracted with
    for level in range(2, order + 1):
        jac = jacfwd(jac, argnums=floats)  # the emitted derivative of the order below, checked
        directions.append(direction())
        dirs = list(directions)

        def value(*xs: Any, jac=jac, dirs=dirs) -> np.ndarray:  # D(x) = d^(m-1)f(x)[v1, ..., v(m-1)]
            return _contract(jac(*xs), dirs, floats)

        def emitted_jvp(w: tuple, jac=jac, dirs=dirs) -> np.ndarray:
            return _contract(jvp(jac, args, w)[1], dirs, floats)

        def emitted_vjp(u: np.ndarray, jac=jac, dirs=dirs) -> tuple:
            return vjp(jac, *args)[1](_spread(u, dirs, floats))

        first_order(value, emitted_jvp, emitted_vjp, _ORDINALS.get(level, f"order-{level}"))


_ORDINALS = {2: "second-order", 3: "third-order", 4: "fourth-order"}


def _paths(tree: Any, depth: int) -> list[tuple[tuple[int, ...], Any]]:
    """The leaves of nested tuples `depth` deep, with their index paths."""
    if depth == 0:
        return [((), tree)]
    return [((k,) + path, leaf) for k, sub in enumerate(tree) for path, leaf in _paths(sub, depth - 1)]


def _contract(tree: Any, dirs: list[tuple], floats: tuple) -> np.ndarray:
    """Σ over index paths of each block contracted with its directions: a nested
    Jacobian (one tuple level per order, over the float arguments) applied to them."""
    total: Any = 0.0
    for path, block in _paths(tree, len(dirs)):
        result = np.asarray(block, dtype=float)
        for level in reversed(range(len(dirs))):  # the last order's axes come last
            v = dirs[level][floats[path[level]]]
            result = np.tensordot(result, v, axes=np.ndim(v))
        total = total + result
    return np.asarray(total)


def _spread(u: np.ndarray, dirs: list[tuple], floats: tuple) -> Any:
    """The cotangent of a nested Jacobian for `u` contracted as `_contract` does:
    `u ⊗ v1 ⊗ ... ⊗ vm` at each index path, in the same nesting."""
    def build(level: int, outer: np.ndarray) -> Any:
        if level == len(dirs):
            return outer
        return tuple(build(level + 1, np.multiply.outer(outer, dirs[level][i])) for i in floats)

    return build(0, np.asarray(u, dtype=float))


def _like(template: Any, value: np.ndarray) -> Any:
    """`value` in the form of `template` (a Python float for a float)."""
    return value if isinstance(template, np.ndarray) else float(value) if np.ndim(value) == 0 else value
