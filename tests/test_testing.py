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
