"""`mode="auto"` (`ad_compiler/modes.py`): the mode each compiled version runs, and the
values, which no choice may change (against central differences)."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, jacobian, value_and_grad
from ad_compiler.errors import ArgumentError
from tests.numeric import assert_grad_close, numeric_grad


def horner(x, coeffs):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def two_floats(x, y, n):
    acc = 0.0
    for i in range(n):
        acc = np.sin(acc * x + y) + i
    return acc


def straight(x):
    return np.sin(x) * np.exp(x)


def printing(x, n):
    acc = x
    for _ in range(n):
        acc = np.sin(acc)
    print("acc", acc)
    return acc


COEFFS = np.random.default_rng(0).normal(size=20)


def test_one_float_through_a_loop_runs_forward():
    df = grad(horner)
    assert_grad_close(horner, (0.93, COEFFS), 0, df(0.93, COEFFS))
    assert "tape" not in df.source and "dacc" in df.source, df.source


def test_value_and_grad_too():
    value, slope = value_and_grad(horner)(0.5, COEFFS)
    assert value == pytest.approx(horner(0.5, COEFFS), rel=1e-14)
    assert slope == pytest.approx(numeric_grad(horner, (0.5, COEFFS), 0), rel=1e-7)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_the_mode_asked_for_is_the_mode_run(mode):
    df = grad(horner, mode=mode)
    assert_grad_close(horner, (0.93, COEFFS), 0, df(0.93, COEFFS))
    assert ("tape" in df.source) == (mode == "reverse"), df.source


def test_several_inputs_run_in_reverse():
    df = grad(two_floats, argnums=(0, 1))
    got = df(0.3, 0.2, 10)
    for k in (0, 1):
        assert_grad_close(two_floats, (0.3, 0.2, 10), k, got[k])
    assert "tape" in df.source and "np.eye" not in df.source, df.source


def test_an_array_input_runs_in_reverse():
    df = grad(horner, argnums=1)
    assert_grad_close(horner, (0.93, COEFFS), 1, df(0.93, COEFFS))
    assert "reversed(range(20))" in df.source, df.source


def test_straight_line_code_runs_in_reverse():
    df, reverse = grad(straight), grad(straight, mode="reverse")
    assert df(0.4) == pytest.approx(numeric_grad(straight, (0.4,), 0), rel=1e-8)
    reverse(0.4)
    assert df.source == reverse.source


def test_effects_keep_reverse_mode(capsys):
    df = grad(printing)
    got = df(0.7, 3)
    assert capsys.readouterr().out.count("acc") == 1  # the print ran once, in the forward sweep
    assert got == pytest.approx(numeric_grad(lambda x: printing(x, 3), (0.7,), 0), rel=1e-7)
    assert "tape" in df.source


def tanh_map(A, x):
    return np.tanh(A @ np.sin(x)) * 2.0


@pytest.mark.parametrize("outputs, inputs, built", [(3, 40, "jacrev_"), (10, 40, "jacfwd_"), (40, 40, "jacfwd_")])
def test_a_jacobian_runs_in_reverse_where_inputs_outnumber_outputs_eight_times(outputs, inputs, built):
    rng = np.random.default_rng(outputs)
    A, x = rng.normal(size=(outputs, inputs)), rng.normal(size=inputs)
    jac = jacobian(tanh_map, argnums=1)
    got = jac(A, x)
    rows = [numeric_grad(lambda x, i=i: tanh_map(A, x)[i], (x,), 0) for i in range(outputs)]
    np.testing.assert_allclose(got, np.array(rows), rtol=1e-6, atol=1e-8)
    assert f"def {built}tanh_map" in jac.source, jac.source


def test_an_unknown_mode_is_refused():
    with pytest.raises(ArgumentError, match="'auto', 'reverse' or 'forward'"):
        grad(horner, mode="fastest")
