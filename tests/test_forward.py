"""Forward mode over both corpora (straight-line and control flow), every differentiable
argument, against independent baselines:

- `grad(f, argnums=k, mode="forward")` against central differences, specialized (one
  batched pass) and generic (a loop over directions, shapes read at run time);
- `jvp` along a random direction against the directional central difference
  `(f(x + h v) - f(x - h v)) / 2h`;
- `vjp` by the dot-product test `<u, J v> == <J^T u, v>`, with `J v` from `jvp` (itself
  checked against central differences above);
- the emitted JVP reads as the dual-number view: each primal line, then its tangent line.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest

from ad_compiler import grad, jacfwd, jvp, vjp
from tests.corpus import CASES as STRAIGHT
from tests.corpus_control import CASES as CONTROL
from tests.numeric import CBRT_EPS, assert_grad_close

CASES = [c for c in list(STRAIGHT) + list(CONTROL) if not getattr(c, "xfail", None)]
PAIRS = [pytest.param(case, k, id=f"{case.id}-arg{k}") for case in CASES for k in case.float_argnums()]


def _direction(case: Any, args: tuple) -> tuple:
    """A random tangent for every float argument (None for the others)."""
    rng = np.random.default_rng(zlib.crc32(("direction:" + case.id).encode()))
    floats = set(case.float_argnums())
    return tuple(
        (rng.uniform(-1, 1, np.shape(a)) if isinstance(a, np.ndarray) else float(rng.uniform(-1, 1)))
        if i in floats else None
        for i, a in enumerate(args)
    )


def _shifted(args: tuple, tangents: tuple, h: float) -> tuple:
    return tuple(a if t is None else a + h * t for a, t in zip(args, tangents))


def _directional(f: Any, args: tuple, tangents: tuple) -> float:
    """The central difference of f along the tangents, with a step scaled to the point."""
    scale = max([1.0] + [float(np.max(np.abs(a))) for a, t in zip(args, tangents) if t is not None])
    h = CBRT_EPS * scale
    return (f(*_shifted(args, tangents, h)) - f(*_shifted(args, tangents, -h))) / (2 * h)


@pytest.mark.parametrize("case, k", PAIRS)
def test_forward_gradient_matches_central_differences(case: Any, k: int) -> None:
    args = case.args()
    forward = grad(case.fn, argnums=k, mode="forward")
    assert_grad_close(case.fn, args, k, forward(*args))
    assert_grad_close(case.fn, args, k, forward.generic(*args))  # one pass per direction, any shapes


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_jvp_matches_directional_differences(case: Any) -> None:
    args = case.args()
    tangents = _direction(case, args)
    out, tangent_out = jvp(case.fn, args, tangents)
    assert np.allclose(out, case.fn(*args), rtol=1e-12, atol=1e-12)
    expected = _directional(case.fn, args, tangents)
    assert np.allclose(tangent_out, expected, rtol=1e-5, atol=1e-6), (tangent_out, expected)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_vjp_passes_the_dot_product_test(case: Any) -> None:
    args = case.args()
    tangents = _direction(case, args)
    out, pullback = vjp(case.fn, *args)
    u = 0.7  # the outputs are scalars: <u, J v> = u * (J v)
    cotangents = pullback(u)
    assert len(cotangents) == len(args)
    lhs = u * jvp(case.fn, args, tangents)[1]
    rhs = sum(float(np.sum(c * t)) for c, t in zip(cotangents, tangents) if t is not None)
    assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-9), (lhs, rhs)


def test_emitted_jvp_puts_each_tangent_line_after_its_primal_line() -> None:
    def f(a, b, c):
        g = np.sin(a * b) + np.exp(c - a / b)
        return np.log(g * g) * c

    from ad_compiler.api import _CACHE
    from ad_compiler.ir.types import kind_of
    from ad_compiler.pipeline import JVPOptions

    args = (1.0, 2.0, 0.5)
    version = _CACHE.version(f, JVPOptions((0, 1, 2)), tuple(kind_of(a) for a in args))
    lines = [line.strip() for line in version.source.splitlines()]
    assert lines[0] == "def jvp_f(a, b, c, da, db, dc):"
    assert "dt1 = da * b + a * db" in lines
    assert lines.index("dt1 = da * b + a * db") == lines.index("t1 = a * b") + 1
    assert lines[-1].startswith("return ")
    assert "np.broadcast_to" not in version.source and "unbroadcast" not in version.source


def test_zero_tangents_leave_no_terms() -> None:
    def f(a, b):
        return a * b + np.sin(b)

    from ad_compiler.api import _CACHE
    from ad_compiler.ir.types import kind_of
    from ad_compiler.pipeline import JVPOptions

    version = _CACHE.version(f, JVPOptions((0,)), (kind_of(1.0), kind_of(2.0)))
    body = version.source
    assert "db" not in body and "np.cos" not in body
    assert jvp(f, (1.0, 2.0), (1.0, None)) == (f(1.0, 2.0), 2.0)


# --- the API: JAX's semantics where names match -------------------------------------------


def _power(x, n):
    return x**n * np.sin(x)


def test_tangents_of_integer_arguments_are_ignored() -> None:
    x = 0.8
    expected = (3 * x**2 * np.sin(x) + x**3 * np.cos(x)) * 0.5
    for ignored in (0, None):
        out, tangent = jvp(_power, (x, 3), (0.5, ignored))
        assert np.isclose(out, _power(x, 3)) and np.isclose(tangent, expected)


def test_a_none_tangent_of_a_float_argument_is_zero() -> None:
    def f(a, b):
        return a * np.exp(b)

    assert jvp(f, (2.0, 0.5), (None, 1.0))[1] == pytest.approx(2.0 * np.exp(0.5))
    assert jvp(f, (2.0, 0.5), (None, None))[1] == 0.0


def test_vjp_returns_the_value_and_a_pullback_that_shows_its_source() -> None:
    x = np.array([0.3, -0.4, 0.9])
    out, pullback = vjp(_power, x, 2)
    np.testing.assert_allclose(out, _power(x, 2))
    cotangent_x, cotangent_n = pullback(np.ones(3))
    np.testing.assert_allclose(cotangent_x, 2 * x * np.sin(x) + x**2 * np.cos(x))
    assert cotangent_n == 0
    assert pullback.source.startswith("def vjp__power(x, n):")  # the forward sweep, then
    assert "def pullback__power(" in pullback.source  # the reverse sweep on its residuals
    assert "vjp__power" in pullback.ir and "pullback__power" in pullback.ir


def test_a_pullback_runs_only_the_reverse_sweep() -> None:
    def horner(x, coeffs):
        acc = 0.0
        for c in coeffs:
            acc = acc * x + c
        return acc

    coeffs = np.array([1.0, -2.0, 0.5, 3.0])
    out, pullback = vjp(horner, 0.7, coeffs)
    assert np.isclose(out, horner(0.7, coeffs))
    forward, reverse = pullback.source.split("def pullback_horner")
    assert "tape.append" in forward and "append" not in reverse and "reversed(" in reverse
    for u in (1.0, -2.5):  # called again and again on the same residuals
        bx, bcoeffs = pullback(u)
        assert np.isclose(bx, u * (3 * 1.0 * 0.49 - 4 * 0.7 + 0.5))
        np.testing.assert_allclose(bcoeffs, u * 0.7 ** np.arange(3, -1, -1))


def test_forward_gradient_of_several_arguments_is_a_tuple() -> None:
    def f(x, y):
        return np.sum(np.sin(x) * y)

    x, y = np.array([0.1, 0.2]), 0.7
    gx, gy = grad(f, argnums=(0, 1), mode="forward")(x, y)
    np.testing.assert_allclose(gx, np.cos(x) * y)
    assert np.isclose(gy, np.sum(np.sin(x)))
    assert isinstance(gy, float) or np.ndim(gy) == 0


def test_a_bad_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be 'auto', 'reverse' or 'forward'"):
        grad(np.sin, mode="sideways")


def test_a_jacobian_has_no_generic_version() -> None:
    from ad_compiler import jacfwd
    from ad_compiler.errors import NoDerivativeError

    with pytest.raises(NoDerivativeError, match="call it with arguments first"):
        jacfwd(lambda_free_square).generic(1.5)


def lambda_free_square(x):
    return x * x


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_emitted_forward_code_has_no_redundant_arithmetic(case: Any) -> None:
    from ad_compiler.api import _CACHE
    from ad_compiler.ir.types import kind_of
    from ad_compiler.pipeline import JVPOptions
    from tests.test_grad_corpus import redundant_arithmetic

    args = case.args()
    wrt = case.float_argnums()
    for kinds in (tuple(kind_of(a) for a in args), None):
        source = _CACHE.version(case.fn, JVPOptions(wrt), kinds).source
        assert redundant_arithmetic(source) == [], source


# --- custom forward rules ----------------------------------------------------------------------


def _wave(x):
    return np.sin(np.pi * x) / (np.pi * x)


def _wave_sum(x):
    return np.sum(_wave(x) * x)


def test_a_missing_forward_rule_is_reported_at_its_line_then_a_custom_rule_works() -> None:
    import inspect

    from ad_compiler import defjvp, primitive
    from ad_compiler.errors import NoDerivativeError
    from ad_compiler.primitives import PRIMITIVES
    from tests.numeric import numeric_grad

    x = np.array([0.3, 1.2, 2.7])
    with PRIMITIVES.scope():
        primitive(_wave)
        with pytest.raises(NoDerivativeError) as info:
            grad(_wave_sum, mode="forward")(x)
        message = str(info.value)
        line = inspect.getsourcelines(_wave_sum)[1] + 1
        assert f"test_forward.py:{line}:" in message
        assert "no forward-mode rule for" in message and "_wave" in message and "defjvp" in message

        @defjvp(_wave)
        def wave_jvp(dx, ans, x):
            return dx * (np.cos(np.pi * x) - ans) / x

        forward = grad(_wave_sum, mode="forward")
        result = forward(x)
        assert "ans" not in forward.source  # the rule's names do not leak
        direction = np.array([1.0, -2.0, 0.5])
        out, tangent = jvp(_wave_sum, (x,), (direction,))
    expected = numeric_grad(_wave_sum, (x,), 0)
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    assert np.isclose(tangent, expected @ direction, rtol=1e-6)


def test_a_forward_rule_must_name_its_tangents_after_operands() -> None:
    from ad_compiler import defjvp
    from ad_compiler.ad.rules import RULES
    from ad_compiler.errors import NoDerivativeError

    with RULES.scope():

        @defjvp(_wave)
        def badly_named(t, ans, x):
            return t * ans

        with pytest.raises(NoDerivativeError, match="tangent parameter 't' must be named 'd' \\+ the name"):
            grad(_wave_sum, mode="forward")(np.ones(2) * 0.3)


def test_repeated_hvp_calls_reuse_one_compiled_version() -> None:
    from ad_compiler import hvp
    from ad_compiler.api import _CACHE

    def f(x):
        return np.sum(np.sin(x) * x)

    x, v = np.array([0.1, 0.5, 0.9]), np.array([1.0, -1.0, 2.0])
    first = hvp(f, (x,), (v,))
    table = _CACHE.entry(f).versions
    count = len(table)
    for _ in range(3):
        np.testing.assert_allclose(hvp(f, (x,), (v,)), first)
    assert len(table) == count
    np.testing.assert_allclose(first, (2 * np.cos(x) - x * np.sin(x)) * v)


# --- the same text on every run ---------------------------------------------------------------

_DUMP_FORWARD_SOURCES = """
import json
from ad_compiler import grad, hessian, vjp
from ad_compiler.api import _CACHE
from ad_compiler.ir.types import kind_of
from ad_compiler.pipeline import JVPOptions
from tests.corpus import CASES as STRAIGHT
from tests.corpus_control import CASES as CONTROL

out = {}
for case in STRAIGHT[::4] + CONTROL[::2]:
    if getattr(case, "xfail", None):
        continue
    args, wrt = case.args(), case.float_argnums()
    try:
        kinds = tuple(kind_of(a) for a in args)
        forward = grad(case.fn, argnums=wrt, mode="forward")
        texts = [_CACHE.version(case.fn, JVPOptions(wrt), kinds).source, forward.generic and
                 _CACHE.version(case.fn, forward.options, None).source, vjp(case.fn, *args)[1].source]
        if len(wrt) == 1:
            h = hessian(case.fn, argnums=wrt[0])
            h(*args)
            texts.append(h.source)
        out[case.id] = texts
    except Exception as err:  # reported per case by the test
        out[case.id] = [f"{type(err).__name__}: {err}"]
print(json.dumps(out))
"""


def test_emitted_forward_sources_are_the_same_in_fresh_processes() -> None:
    from tests.fresh import json_in_fresh_processes

    first, second = json_in_fresh_processes(_DUMP_FORWARD_SOURCES)
    assert first.keys() == second.keys() and len(first) > 20
    for case_id, texts in first.items():
        assert not texts[0].startswith(("Error", "NoDerivativeError", "CompileError")), (case_id, texts[0])
        assert texts == second[case_id], case_id


def three_scalars(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def test_forward_gradient_of_scalars_is_scalar_code() -> None:
    """One plain pass per scalar argument, the primal computed once: no identity matrix
    carrying three directions, and the gradients named after their arguments."""
    args = (1.5, 0.5, 2.0)
    d = grad(three_scalars, argnums=(0, 1, 2), mode="forward")
    values = d(*args)
    for k in range(3):
        assert_grad_close(three_scalars, args, k, values[k])
    code = "\n".join(line.split("#")[0] for line in d.source.splitlines())
    assert "np.eye" not in code and "[" not in code
    assert code.count("np.exp(") == 1 and code.count("np.sin(") == 1
    assert d.source.rstrip().endswith("return ba, bb, bc")


def written_at_rows(x, rows):
    y = np.zeros((4, 3))
    y[rows, 0] = x[0]
    return y


def read_around_a_slice(x, i, j):
    return x[i, :, j] * 2.0


@pytest.mark.parametrize("f, args", [
    (written_at_rows, (np.array([1.0, 2.0, 3.0]), np.array([0, 2, 3]))),  # (3 rows written, 3 directions)
    (read_around_a_slice, (np.arange(24.0).reshape(3, 2, 4) / 7, np.array([0, 2]), np.array([1, 3]))),
], ids=["write at an integer array", "integer arrays around a slice"])
def test_batched_indexing_by_run_time_integer_arrays(f: Any, args: tuple) -> None:
    """A run-time integer array in an index tuple: the value written is lifted to the rank
    of what the index selects (it was taken for an int, and a number broadcast along the
    directions where it should along the rows); arrays apart (around a slice) put their
    axes first, which a batch axis written in front does not survive: the rule's flat
    positions are used instead."""
    jacobian = jacfwd(f)(*args)
    x = args[0]
    expected = np.empty(np.shape(f(*args)) + x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        expected[(...,) + index] = (f(x + step, *args[1:]) - f(x - step, *args[1:])) / 2e-6
    np.testing.assert_allclose(jacobian, expected, rtol=1e-6, atol=1e-8)
