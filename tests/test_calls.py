"""Calls of user functions: inlined where they are called, so differentiated with the
caller; checked against central differences."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import CompileError, grad
from tests.helpers.physics import energy, polar
from tests.numeric import numeric_grad


def square(x):
    return x * x


def softplus(x, beta=1.0):
    return np.log1p(np.exp(beta * x)) / beta


def sum_of_squares(x, y):
    return square(x) + square(y) + square(x * y)


def layered(x):
    return np.sum(softplus(square(x), beta=2.0))


def min_and_max(a, b):
    return a + b, a * b


def uses_tuple(a, b):
    s, p = min_and_max(a, b)
    return np.sum(s * np.sin(p))


def from_another_module(h, v):
    return energy(h, v) + energy(h, v, m=3.0)


def polar_radius(x, y):
    r, theta = polar(x, y)
    return r * theta


def weighted(x, *, weight=1.0, power=2):
    return weight * x ** power


def total(*terms, scale=1.0, **named):
    return scale * (sum(terms) + np.sum(named["bias"] * named["x"]))


def keyword_only_and_variadic(x, y):
    """Helpers with keyword-only, `*args` and `**kwargs` parameters are inlined as any call."""
    return np.sum(total(weighted(x, weight=2.0), weighted(y, power=3), np.sin(x * y), scale=0.5, bias=y, x=x))


def make_scaled(k):
    def scaled(x):
        return k * square(x)

    return scaled


CASES = [
    (sum_of_squares, (1.3, -0.7)),
    (layered, (np.array([0.1, -0.4, 0.9]),)),
    (uses_tuple, (np.array([0.5, 1.5]), np.array([-0.3, 0.2]))),
    (from_another_module, (2.0, 3.0)),
    (polar_radius, (0.6, 0.8)),
    (make_scaled(3.0), (0.25,)),
    (keyword_only_and_variadic, (np.array([0.3, -0.8]), np.array([1.1, 0.4]))),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_inlined_call_matches_central_differences(f, args, mode) -> None:
    argnums = tuple(range(len(args)))
    result = grad(f, argnums=argnums, mode=mode)(*args)
    for i in argnums:
        np.testing.assert_allclose(result[i], numeric_grad(f, args, i), rtol=1e-6, atol=1e-9)


def test_emitted_code_names_the_callee_lines() -> None:
    g = grad(from_another_module, argnums=(0, 1))
    g(2.0, 3.0)
    assert "# physics.py:" in g.source
    assert "kinetic" in g.source or "bv" in g.source


def countdown(x):
    return x * countdown(x - 1.0)


def test_recursion_is_refused_naming_the_callee() -> None:
    with pytest.raises(CompileError, match="'countdown' calls itself"):
        grad(countdown)(3.0)


def takes_builtin(x):
    return np.sum(sorted(x))


def test_a_call_without_source_or_rule_is_refused_naming_it() -> None:
    with pytest.raises(CompileError, match="sorted"):
        grad(takes_builtin)(np.array([1.0, 2.0]))
