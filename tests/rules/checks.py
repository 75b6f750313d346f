"""The checks every primitive's rules pass, against central differences, in four modes:
reverse (`grad`), forward (`jvp` along a random direction), batched forward (`jacfwd`,
whose tangents carry a leading axis of directions) and second order (forward over reverse
and reverse over reverse, against central differences of the first-order gradient, which
the reverse check has compared with central differences itself).

A family's test module lists its `Spec`s (in the manner of JAX's grad test specs: a
callable, how many operands it takes, the interval its operands are drawn from and, for
array ops, their shapes) and gets the four parametrized tests from `family_tests`. The
callable is reached through a closure, which the frontend resolves at compile time, so
one small function per arity exercises every prim. `test_rules.py` checks that every prim
with a rule is in some family's table.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

from ad_compiler import grad, jacfwd, jvp
from ad_compiler.primitives import PRIMITIVES
from tests.numeric import _step, numeric_grad


@dataclass(frozen=True)
class Spec:
    fn: Callable[..., Any]
    arity: int = 1
    lo: float = 0.2
    hi: float = 0.9
    scalar_only: bool = False
    call: Callable[..., Any] | None = None  # called in place of fn (np.where's condition)
    shapes: tuple[tuple[int, ...], ...] | None = None  # the operands' (array case only)
    known_shape: bool = True  # whether shape inference knows the result's shape
    batched: bool = True  # False: jacfwd cannot batch it (an elementwise op of unknown shape)
    reverse: bool = True  # False: no VJP rule covers it (matmul of stacks)
    smooth: bool = True  # False: no second-order check (a kink near the draws, an integer result)
    rtol: float = 1e-6

    @property
    def prim(self) -> str:
        return PRIMITIVES.name_of(self.fn)

    @property
    def id(self) -> str:
        if self.shapes is None:
            return self.prim
        shapes = ",".join("x".join(map(str, s)) or "()" for s in self.shapes)
        return "-".join([self.prim, *([self.call.__name__] if self.call else []), shapes])


WEIGHTS = np.array([0.7, -1.3, 2.1])


def weights(shape: tuple) -> np.ndarray:
    """Weights for a result of this shape: WEIGHTS, repeated as needed."""
    return np.resize(WEIGHTS, shape)


def unary_array(f, w):
    def apply(x):
        return np.sum(f(x) * w)

    return apply


def binary_array(f, w):
    def apply(x, y):
        return np.sum(f(x, y) * w)

    return apply


def ternary_array(f, w):
    def apply(x, y, z):
        return np.sum(f(x, y, z) * w)

    return apply


def unary_scalar(f, w):
    def apply(x):
        return f(x) * 1.7

    return apply


def binary_scalar(f, w):
    def apply(x, y):
        return f(x, y) * 1.7

    return apply


def ternary_scalar(f, w):
    def apply(x, y, z):
        return f(x, y, z) * 1.7

    return apply


APPLY = {
    (1, True): unary_scalar, (2, True): binary_scalar, (3, True): ternary_scalar,
    (1, False): unary_array, (2, False): binary_array, (3, False): ternary_array,
}
"""Scalar-valued functions of the callable, for `grad`: a weighted sum of its result."""


def unary(f):
    def apply(x):
        return f(x)

    return apply


def binary(f):
    def apply(x, y):
        return f(x, y)

    return apply


def ternary(f):
    def apply(x, y, z):
        return f(x, y, z)

    return apply


def unary_placed(f, shape):
    def apply(x):
        out = np.zeros(shape)
        out[...] = f(x)
        return out

    return apply


def binary_placed(f, shape):
    def apply(x, y):
        out = np.zeros(shape)
        out[...] = f(x, y)
        return out

    return apply


RAW = {1: unary, 2: binary, 3: ternary}
"""The callable itself, for `jvp` and `jacfwd`: every entry of its result is checked."""
PLACED = {1: unary_placed, 2: binary_placed}
"""The callable's result written into an array of its shape, for `jacfwd` where shape
inference does not know that shape (a Jacobian is built for it)."""


def arguments(spec: Spec, scalar: bool) -> tuple:
    rng = np.random.default_rng(zlib.crc32(spec.id.encode()))

    def draw(shape: tuple) -> Any:
        if shape == ():
            return float(rng.uniform(spec.lo, spec.hi))
        return rng.uniform(spec.lo, spec.hi, size=shape)

    shapes = ((),) * spec.arity if scalar else spec.shapes or ((3,),) * spec.arity
    return tuple(draw(shape) for shape in shapes)


def direction(spec: Spec, args: tuple) -> tuple:
    """A random tangent for every argument."""
    rng = np.random.default_rng(zlib.crc32(("direction:" + spec.id).encode()))
    return tuple(
        rng.uniform(-1, 1, np.shape(a)) if isinstance(a, np.ndarray) else float(rng.uniform(-1, 1))
        for a in args
    )


def _difference(f: Callable[..., Any], x: Any, at: Callable[[Any], tuple]) -> np.ndarray:
    """Central differences of every entry of f's result at once, in the entries of x: each
    entry is `numeric_grad`'s of that entry of the result (the same step, the same
    quotient), f called twice per entry of x (not twice per entry of x and of the result).
    `at(value)` is f's arguments with x replaced; shape: result's + x's."""

    def value(v: Any) -> np.ndarray:
        return np.asarray(f(*at(v)), dtype=np.float64)

    if not isinstance(x, np.ndarray):
        x = float(x)
        h = _step(x)
        plus, minus = x + h, x - h
        return (value(plus) - value(minus)) / (plus - minus)
    base = np.array(x, dtype=np.float64)
    out = np.empty(np.shape(f(*at(x))) + base.shape)
    for index in np.ndindex(base.shape):
        h = _step(base[index])
        plus, minus = base.copy(), base.copy()
        plus[index] += h
        minus[index] -= h
        out[(...,) + index] = (value(plus) - value(minus)) / (plus[index] - minus[index])
    return out


def directional_difference(f: Callable[..., Any], args: tuple, tangents: tuple) -> np.ndarray:
    """The derivative of f along the tangents, by central differences in the step s of
    `f(args + s * tangents)`."""
    return _difference(f, 0.0, lambda s: tuple(a + s * t for a, t in zip(args, tangents)))


def numeric_jacobian(f: Callable[..., Any], args: tuple, argnum: int) -> np.ndarray:
    """d f / d args[argnum] by central differences: `out.shape + in.shape`."""
    return _difference(f, args[argnum], lambda v: args[:argnum] + (v,) + args[argnum + 1:])



def cases(specs: list[Spec]) -> tuple[list[tuple[Spec, bool]], list[str]]:
    """(spec, scalar) pairs, a spec without shapes tried on numbers and on arrays, and their ids."""
    found = [(spec, scalar) for spec in specs
             for scalar in ((True,) if spec.scalar_only else (False,) if spec.shapes else (True, False))]
    ids = [s.id if s.shapes else f"{s.id}-{'scalar' if k else 'array'}" for s, k in found]
    return found, ids


def check_reverse(spec: Spec, scalar: bool) -> None:
    if not spec.reverse:
        pytest.skip("no VJP rule covers it")
    fn = spec.call or spec.fn
    args = arguments(spec, scalar)
    f = APPLY[spec.arity, scalar](fn, weights(np.shape(fn(*args))))
    argnums = tuple(range(spec.arity))
    result = grad(f, argnums=argnums)(*args)
    for i in argnums:
        expected = numeric_grad(f, args, i)
        np.testing.assert_allclose(result[i], expected, rtol=spec.rtol, atol=1e-9, err_msg=spec.id)


def check_forward(spec: Spec, scalar: bool) -> None:
    f = RAW[spec.arity](spec.call or spec.fn)
    args = arguments(spec, scalar)
    tangents = direction(spec, args)
    out, tangent = jvp(f, args, tangents)
    np.testing.assert_allclose(out, f(*args), rtol=1e-12, err_msg=spec.id)
    assert np.shape(tangent) == np.shape(out), spec.id
    expected = directional_difference(f, args, tangents)
    np.testing.assert_allclose(tangent, expected, rtol=spec.rtol, atol=1e-9, err_msg=spec.id)


def check_batched(spec: Spec) -> None:
    """`jacfwd` pushes every input direction at once: each tangent has a leading batch
    axis, which the rules must carry through."""
    fn = spec.call or spec.fn
    args = arguments(spec, False)
    f = RAW[spec.arity](fn) if spec.known_shape else PLACED[spec.arity](fn, np.shape(fn(*args)))
    argnums = tuple(range(spec.arity))
    jacobian = jacfwd(f, argnums=argnums)
    jacobians = jacobian(*args)
    if spec.batched and (spec.arity > 1 or np.ndim(args[0]) > 0):  # one scalar: a plain pass
        plain_passes = "np.eye" not in jacobian.source and "for j in range(" in jacobian.source
        assert not plain_passes, "not one batched pass: one plain pass per direction instead"  # (or none left)
    for i in argnums:
        expected = numeric_jacobian(f, args, i)
        assert np.shape(jacobians[i]) == expected.shape, spec.id
        np.testing.assert_allclose(jacobians[i], expected, rtol=spec.rtol, atol=1e-9, err_msg=spec.id)


def along1(gradient, v):
    def apply(x):
        return np.sum(gradient(x) * v)

    return apply


def along2(gradient, v):
    def apply(x, y):
        return np.sum(gradient(x, y) * v)

    return apply


def along3(gradient, v):
    def apply(x, y, z):
        return np.sum(gradient(x, y, z) * v)

    return apply


ALONG = {1: along1, 2: along2, 3: along3}
"""`<grad f, v>` as a function of f's operands, for reverse over reverse."""


def check_second_order(spec: Spec, scalar: bool) -> None:
    """The Hessian of the weighted result with respect to the first operand: forward over
    reverse, and reverse over reverse along a direction, against central differences of
    the gradient."""
    if not spec.reverse or not spec.smooth:
        pytest.skip("no second-order check")
    fn = spec.call or spec.fn
    args = arguments(spec, scalar)
    f = APPLY[spec.arity, scalar](fn, weights(np.shape(fn(*args))))
    gradient = grad(f)
    expected = numeric_jacobian(gradient, args, 0)
    np.testing.assert_allclose(jacfwd(gradient)(*args), expected, rtol=1e-5, atol=1e-7, err_msg=spec.id)
    along = ALONG[spec.arity](gradient, direction(spec, args)[0])
    v = direction(spec, args)[0]
    np.testing.assert_allclose(grad(along)(*args), np.tensordot(v, expected, np.ndim(v)), rtol=1e-5,
                               atol=1e-7, err_msg=spec.id)


def family_tests(specs: list[Spec]) -> tuple[Callable[..., None], ...]:
    """The four tests of a family's table, to assign to `test_*` names of its module."""
    found, ids = cases(specs)
    arrays = [(s, k) for s, k in zip(found, ids) if not s[1]]

    @pytest.mark.parametrize("spec, scalar", found, ids=ids)
    def test_reverse(spec: Spec, scalar: bool) -> None:
        check_reverse(spec, scalar)

    @pytest.mark.parametrize("spec, scalar", found, ids=ids)
    def test_forward(spec: Spec, scalar: bool) -> None:
        check_forward(spec, scalar)

    @pytest.mark.parametrize("spec", [s for (s, _), _ in arrays], ids=[i for _, i in arrays])
    def test_batched(spec: Spec) -> None:
        check_batched(spec)

    @pytest.mark.parametrize("spec, scalar", found, ids=ids)
    def test_second_order(spec: Spec, scalar: bool) -> None:
        check_second_order(spec, scalar)

    return test_reverse, test_forward, test_batched, test_second_order
