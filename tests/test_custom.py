"""Custom derivatives: `custom_jvp` and `custom_vjp` (JAX's names and semantics), and
`defvjp` / `defjvp` given a function of the user's, a SciPy function or one without
source. Each is checked in both modes and to second order against central differences or
an analytic formula; and every error message that advises giving a rule is followed here,
and then the function differentiates."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.special

import ad_compiler
from ad_compiler import custom_jvp, custom_vjp, defjvp, defvjp, grad, hessian, jacfwd, primitive
from ad_compiler.primitives import PRIMITIVES
from tests.numeric import numeric_grad

W = np.array([0.3, -1.2, 0.8])
V = np.array([0.7, 1.1, -0.4])
MODES = ("reverse", "forward")


@custom_jvp
def sin_times(x, y):
    return np.sin(x) * y


@sin_times.defjvp
def sin_times_jvp(primals, tangents):
    x, y = primals
    dx, dy = tangents
    return sin_times(x, y), np.cos(x) * y * dx + np.sin(x) * dy


def uses_custom_jvp(w, v):
    return np.sum(sin_times(w, v) * 2.0) + np.sum(sin_times(v, w))


@pytest.mark.parametrize("mode", MODES)
def test_custom_jvp_in_both_modes(mode: str) -> None:
    got = grad(uses_custom_jvp, argnums=(0, 1), mode=mode)(W, V)
    for i in (0, 1):
        np.testing.assert_allclose(got[i], numeric_grad(uses_custom_jvp, (W, V), i), rtol=1e-7)


def test_custom_jvp_to_second_order() -> None:
    expected = np.diag(-2.0 * np.sin(W) * V) + np.diag(0.0 * W)  # d2/dw2 of 2 sin(w) v + sin(v) w
    np.testing.assert_allclose(hessian(uses_custom_jvp)(W, V), expected, atol=1e-12)
    np.testing.assert_allclose(jacfwd(grad(uses_custom_jvp))(W, V), expected, atol=1e-12)


def test_custom_jvp_rule_is_used_not_the_body() -> None:
    """A rule that is not the body's derivative (a straight-through estimator) wins, in
    both modes: the derivative is the rule's."""
    np.testing.assert_allclose(grad(straight_through_sum)(W), np.ones(3))
    np.testing.assert_allclose(grad(straight_through_sum, mode="forward")(W), np.ones(3))


@custom_jvp
def rounded(x):
    return np.round(x)


@rounded.defjvp
def rounded_jvp(primals, tangents):
    return rounded(primals[0]), tangents[0]


def straight_through_sum(x):
    return np.sum(rounded(x * 3.0) / 3.0)


@functools.partial(custom_jvp, nondiff_argnums=(0,))
def scaled(k, x):
    return k * np.tanh(x)


@scaled.defjvp
def scaled_jvp(k, primals, tangents):
    (x,), (dx,) = primals, tangents
    return scaled(k, x), k * (1.0 - np.tanh(x) ** 2) * dx


def uses_nondiff(x):
    return np.sum(scaled(2.5, x))


@pytest.mark.parametrize("mode", MODES)
def test_custom_jvp_with_nondiff_argnums(mode: str) -> None:
    np.testing.assert_allclose(grad(uses_nondiff, mode=mode)(W), 2.5 * (1.0 - np.tanh(W) ** 2), rtol=1e-12)


@custom_vjp
def clipped_square(x):
    return x * x


def clipped_square_fwd(x):
    return x * x, x


def clipped_square_bwd(x, g):
    """The gradient of x * x, clipped to [-1, 1] (not the true derivative on purpose)."""
    return (np.clip(2.0 * x * g, -1.0, 1.0),)


clipped_square.defvjp(clipped_square_fwd, clipped_square_bwd)


def uses_custom_vjp(w):
    return np.sum(clipped_square(w))


def test_custom_vjp_gives_the_rules_derivative() -> None:
    """The derivative is bwd's (clipped), not the body's."""
    np.testing.assert_allclose(grad(uses_custom_vjp)(W), np.clip(2.0 * W, -1.0, 1.0), rtol=1e-12)


def test_custom_vjp_has_no_forward_mode_as_in_jax() -> None:
    """bwd need not be linear in g (it clips it here): no JVP follows from it. Forward
    mode asks for one, and, given one, uses it."""
    with pytest.raises(ad_compiler.CompileError) as info:
        grad(uses_custom_vjp, mode="forward")(W)
    assert f"@ad_compiler.defjvp({clipped_square.__module__}.clipped_square)" in info.value.message
    with PRIMITIVES.scope():
        @defjvp(clipped_square)
        def clipped_square_jvp(dx, ans, x):
            return 2.0 * x * dx

        np.testing.assert_allclose(grad(uses_custom_vjp, mode="forward")(W), 2.0 * W)


@custom_vjp
def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def logistic_fwd(x):
    y = 1.0 / (1.0 + np.exp(-x))
    return y, y


def logistic_bwd(y, g):
    return (g * y * (1.0 - y),)


logistic.defvjp(logistic_fwd, logistic_bwd)


def uses_logistic(w, v):
    return np.sum(logistic(w * v) * v)


def test_custom_vjp_against_central_differences() -> None:
    got = grad(uses_logistic, argnums=(0, 1))(W, V)
    for i in (0, 1):
        np.testing.assert_allclose(got[i], numeric_grad(uses_logistic, (W, V), i), rtol=1e-7)


def test_custom_vjp_to_second_order_in_reverse_mode() -> None:
    """Reverse over reverse (forward over it needs a JVP of the function, as in JAX)."""
    expected = np.stack([numeric_grad(lambda w, k=k: GRAD_LOGISTIC(w, V)[k], (W,), 0) for k in range(3)])
    np.testing.assert_allclose(grad(logistic_gradient_along)(W, V), U @ expected, rtol=1e-6, atol=1e-9)


U = np.array([0.2, -0.5, 0.9])
GRAD_LOGISTIC = grad(uses_logistic)


def logistic_gradient_along(w, v):
    return np.sum(GRAD_LOGISTIC(w, v) * U)


def test_custom_vjp_emitted_code_calls_the_function() -> None:
    source = grad(uses_logistic).source
    assert "logistic(" in source and "exp" in source


# ---- defvjp / defjvp of a function of the user's, of SciPy's, of one without source ----

def softplus(x):
    return np.log1p(np.exp(x))


def uses_softplus(w):
    return np.sum(softplus(w * 2.0) * V)


def test_defvjp_of_a_users_function_makes_it_a_primitive() -> None:
    with PRIMITIVES.scope():
        @defvjp(softplus)
        def softplus_vjp(g, ans, x):
            return g / (1.0 + np.exp(-x))

        @defjvp(softplus)
        def softplus_jvp(dx, ans, x):
            return dx / (1.0 + np.exp(-x))

        expected = numeric_grad(uses_softplus, (W,), 0)
        for mode in MODES:
            np.testing.assert_allclose(grad(uses_softplus, mode=mode)(W), expected, rtol=1e-7)
        h = numeric_grad(lambda w: grad(uses_softplus)(w)[1], (W,), 0)
        np.testing.assert_allclose(hessian(uses_softplus)(W)[1], h, rtol=1e-6, atol=1e-9)
        source = grad(uses_softplus).source
        assert "softplus(" in source and "log1p" not in source  # called, not inlined


def uses_spence(x):
    return np.sum(scipy.special.spence(x) * V)


def test_a_library_function_without_a_rule_is_refused_with_advice_that_works() -> None:
    """SciPy's dilogarithm: refused at the user's line, advising rules; given them
    (spence'(z) = log(z) / (1 - z)), it differentiates in both modes."""
    if PRIMITIVES.get("scipy.special.spence").vjps:
        pytest.skip("spence has a rule now: pick another function without one")
    x = np.array([0.3, 1.7, 2.4])
    with PRIMITIVES.scope():
        with pytest.raises(ad_compiler.CompileError) as info:
            grad(uses_spence)(x)
        assert "@ad_compiler.defvjp(scipy.special.spence)" in info.value.message, info.value.message
        assert info.value.line is not None

        @defvjp(scipy.special.spence)
        def spence_vjp(g, ans, z):
            return g * np.log(z) / (1.0 - z)

        @defjvp(scipy.special.spence)
        def spence_jvp(dz, ans, z):
            return dz * np.log(z) / (1.0 - z)

        expected = numeric_grad(uses_spence, (x,), 0)
        for mode in MODES:
            np.testing.assert_allclose(grad(uses_spence, mode=mode)(x), expected, rtol=1e-7)


def uses_plain(x):
    return np.sum(plain(x) * V)


def plain(x):
    return x * x * x


@pytest.mark.parametrize("mode", MODES)
def test_a_primitive_without_a_rule_is_refused_with_advice_that_works(mode: str) -> None:
    with PRIMITIVES.scope():
        primitive(plain)
        with pytest.raises(ad_compiler.CompileError) as info:
            grad(uses_plain, mode=mode)(W)
        advice = "defvjp" if mode == "reverse" else "defjvp"
        assert f"@ad_compiler.{advice}({plain.__module__}.plain)" in info.value.message, info.value.message

        @defvjp(plain)
        def plain_vjp(g, ans, x):
            return g * 3.0 * x * x

        @defjvp(plain)
        def plain_jvp(dx, ans, x):
            return dx * 3.0 * x * x

        np.testing.assert_allclose(grad(uses_plain, mode=mode)(W), 3.0 * W * W * V, rtol=1e-12)


NO_SOURCE: dict = {"np": np, "__name__": __name__}
exec("def cubed(x):\n    return x ** 3\n", NO_SOURCE)  # noqa: S102 - a function without readable source
cubed = NO_SOURCE["cubed"]


def uses_cubed(x):
    return np.sum(cubed(x) * V)


def test_a_function_without_source_is_refused_with_advice_that_works() -> None:
    with PRIMITIVES.scope():
        with pytest.raises(ad_compiler.CompileError) as info:
            grad(uses_cubed)(W)
        assert "@ad_compiler.defvjp(" in info.value.message, info.value.message

        @defvjp(cubed)
        def cubed_vjp(g, ans, x):
            return g * 3.0 * x * x

        @defjvp(cubed)
        def cubed_jvp(dx, ans, x):
            return dx * 3.0 * x * x

        for mode in MODES:
            np.testing.assert_allclose(grad(uses_cubed, mode=mode)(W), 3.0 * W * W * V, rtol=1e-12)


def uses_stop_gradient(x):
    return np.sum(ad_compiler.stop_gradient(x * x) * x)


@pytest.mark.parametrize("mode", MODES)
def test_stop_gradient_is_a_constant_to_the_derivative(mode: str) -> None:
    np.testing.assert_allclose(grad(uses_stop_gradient, mode=mode)(W), W * W, rtol=1e-12)


def scale_by(x, a):
    return x * a


def uses_scale_by(x, a):
    return scale_by(x, a) * 2.0


def test_a_rule_refuses_an_operand_it_cannot_serve_only_where_it_is_active() -> None:
    """A VJP rule declaring `active` refuses, with its own message, the operand it has no
    derivative for when that operand is differentiated, and serves the others."""
    from ad_compiler.primitives.helpers import no_derivative

    with PRIMITIVES.scope():
        @defvjp(scale_by)
        def scale_by_vjp(g, ans, x, a, *, active=()):
            if active[1]:
                no_derivative("scale_by has no derivative in a here")
            return g * a, None

        np.testing.assert_allclose(grad(uses_scale_by)(1.5, 3.0), 6.0)
        with pytest.raises(ad_compiler.CompileError, match="no derivative in a here") as info:
            grad(uses_scale_by, argnums=1)(1.5, 3.0)
        assert info.value.line is not None
