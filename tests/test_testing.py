"""`ad_compiler.testing.assert_grad_close`: passes on right gradients, and fails, with a
message naming the argument, the entry and both values, on a wrong one."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import defvjp
from ad_compiler.ad.rules import RULES
from ad_compiler.testing import assert_grad_close


def model(w, x, scale):
    return np.sum(np.arctan2(w * x, scale) ** 2)


W, XS = np.array([0.3, -0.8, 1.1]), np.array([1.5, 0.2, -0.7])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_right_gradients_pass(mode: str) -> None:
    assert_grad_close(model, W, XS, 0.9, argnums=(0, 1, 2), mode=mode)
    assert_grad_close(model, W, XS, 0.9, argnums=0, richardson=True, rtol=1e-9)


def test_a_deliberately_wrong_rule_is_caught_with_its_entry_and_values() -> None:
    with RULES.scope():

        @defvjp(np.arctan2)
        def wrong(g, ans, y, x):
            bt = g / (x * x + y * y)
            return bt * x * 1.1, -bt * y  # 10% off for y

        with pytest.raises(AssertionError) as info:
            assert_grad_close(model, W, XS, 0.9, argnums=(0, 2))
    message = str(info.value)
    assert "argument 0[" in message and "emitted" in message and "central differences" in message
    assert "3 of 3 entries disagree" in message


def test_a_wrong_shape_is_reported() -> None:
    def f(x):
        return np.sum(x)

    with RULES.scope():

        @defvjp(np.sum, broadcasting=False)
        def flat(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
            return g  # a scalar where an array is due

        with pytest.raises(AssertionError, match="has shape \\(\\)"):
            assert_grad_close(f, np.ones(3))


# --- check_grads ---------------------------------------------------------------------------------

from ad_compiler.testing import check_grads  # noqa: E402


def vector_field(x, y, n):
    return np.sin(x * y) * n + np.cos(x) ** 2


def scalar_loss(w, b):
    return np.sum(np.tanh(w * b + 1.0) ** 2)


def with_a_loop(x):
    acc = 0.0
    for i in range(len(x)):
        acc = acc * x[i] + np.sin(x[i])
    return acc


@pytest.mark.parametrize("fn, args", [
    (vector_field, (np.array([0.3, -0.7, 1.1]), np.array([0.5, 0.9, -0.2]), 2)),
    (scalar_loss, (np.array([0.3, -0.7]), 0.4)),
    (with_a_loop, (np.array([0.3, -0.7, 1.1, 0.2]),)),
])
@pytest.mark.parametrize("modes", [("fwd",), ("rev",), ("fwd", "rev")])
def test_check_grads_passes_on_the_compiler(fn, args, modes) -> None:
    check_grads(fn, args, order=2, modes=modes)


@pytest.mark.parametrize("fn, args", [
    (vector_field, (np.array([0.3, -0.7]), np.array([0.5, 0.9]), 2)),
    (scalar_loss, (np.array([0.3, -0.7]), 0.4)),
])
def test_check_grads_recurses_to_the_third_order(fn, args) -> None:
    check_grads(fn, args, order=3)


def second_wrong(x):
    return np.sum(np.arctan2(x, 0.7) * x)


def test_check_grads_catches_a_wrong_rule_at_each_order() -> None:
    x = np.array([0.3, -0.7, 1.1])
    with RULES.scope():
        from ad_compiler import defjvp

        @defvjp(np.arctan2)
        def wrong_vjp(g, ans, y, x):
            bt = g / (x * x + y * y)
            return bt * x * 1.05, -bt * y

        with pytest.raises(AssertionError, match="first-order VJP"):
            check_grads(second_wrong, (x,), order=1, modes=("rev",))

        @defjvp(np.arctan2)
        def wrong_jvp(dy, dx, ans, y, x):
            return (dy * x - dx * y) / (x * x + y * y + 0.1)

        with pytest.raises(AssertionError, match="first-order JVP"):
            check_grads(second_wrong, (x,), order=1, modes=("fwd",))


def test_check_grads_refuses_what_it_cannot_do() -> None:
    with pytest.raises(ValueError, match="order of 1 or more"):
        check_grads(scalar_loss, (np.ones(2), 0.4), order=0)
    with pytest.raises(ValueError, match="modes"):
        check_grads(scalar_loss, (np.ones(2), 0.4), modes=("sideways",))


def sines(x):
    return np.sum(np.sin(x) * x)


def test_check_grads_catches_a_rule_right_in_value_but_wrong_in_its_own_derivative() -> None:
    """The rule's value is right (to 1e-6, within the tolerance), but its body does not
    depend on x smoothly: the first order passes and the second order does not."""
    x = np.array([0.3, -0.7, 1.1])
    check_grads(sines, (x,), order=2)
    with RULES.scope():
        from ad_compiler import defjvp

        @defjvp(np.sin)
        def rounded(dx, ans, x):
            return dx * np.cos(np.round(x * 1e6) / 1e6)

        check_grads(sines, (x,), order=1, modes=("fwd",))
        with pytest.raises(AssertionError, match="second-order"):
            check_grads(sines, (x,), order=2, modes=("fwd",))
