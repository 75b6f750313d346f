"""A loop reads a float64 array's items as Python floats where that changes nothing
(`passes/floats.py`): each derivative equals, bit for bit and on awkward inputs, the
one compiled without the pass, and central differences; what may differ is not read so."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ad_compiler
from ad_compiler import grad, jacfwd, value_and_grad
from ad_compiler.backends import base  # (the NumPy backend runs the pass last)
from tests.numeric import assert_grad_close
from tests.test_modes import horner  # (the loop the pass is for)


def indexed(x, w):
    """Items read by index, compared, passed to math and NumPy, mixed with an array."""
    total = 0.0
    for i in range(w.shape[0]):
        if w[i] > 0.0:
            total = total + math.sin(w[i] * x) + np.exp(-w[i])
        else:
            total = total - w[i] * x * x
    return total


def two_arrays(x, a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s = s + a[i] * b[i] * x
    return s


def mixed_with_array(x, coeffs, v):
    acc = np.zeros_like(v)
    for c in coeffs:
        acc = acc * x + c * v
    return np.sum(acc)


def divides(x, coeffs):
    acc = 1.0
    for c in coeffs:
        acc = acc * x + 1.0 / c
    return acc


def powers(x, coeffs):
    acc = 0.0
    for c in coeffs:
        acc = acc + (c * c + x) ** 1.5
    return acc


def after_loop(x, coeffs):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc * np.sin(x) - x


def divided_after_loop(x, coeffs):
    """The items' sum reaches a division after the loop: not read as Python floats."""
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc / x


def _awkward(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(n), rng.standard_normal(n) * 1e150, np.r_[0.0, -0.0, rng.standard_normal(n - 2)],
            np.r_[np.inf, rng.standard_normal(n - 1)], np.r_[np.nan, rng.standard_normal(n - 1)]]


def _outcome(derivative, args):
    """What a call gives: its value, or the type of what it raised."""
    try:
        with np.errstate(all="ignore"):
            return derivative(*args)
    except (ArithmeticError, ValueError) as error:
        return type(error)


@pytest.fixture
def without_pass(monkeypatch):
    """What the derivative compiled without the pass gives."""
    def run(fn, args, argnums):
        ad_compiler.clear_cache()
        with monkeypatch.context() as patched:
            patched.setattr(base.floats, "run", lambda ir: False)
            found = _outcome(grad(fn, argnums=argnums), args)
        ad_compiler.clear_cache()
        return found
    return run


def assert_same_bits(fn, args, argnums, without_pass, converted=True):
    fast = grad(fn, argnums=argnums)
    got = _outcome(fast, args)
    assert ("tolist()" in fast.source) is converted, fast.source
    want = without_pass(fn, args, argnums)
    if isinstance(want, type):
        assert got is want
        return
    np.testing.assert_array_equal(got, want)
    assert np.asarray(got).dtype == np.asarray(want).dtype


@pytest.mark.parametrize("fn, converted", [(horner, True), (indexed, True), (after_loop, True), (powers, False),
                                           (divided_after_loop, False)])
@pytest.mark.parametrize("seed", [0, 1])
def test_same_bits_as_without_the_pass(fn, converted, seed, without_pass):
    for coeffs in _awkward(12, seed):
        for x in (0.93, 0.0, -2.5):
            assert_same_bits(fn, (x, coeffs), 0, without_pass, converted)


@pytest.mark.parametrize("fn", [horner, indexed, after_loop])
def test_against_central_differences(fn):
    coeffs = np.random.default_rng(3).standard_normal(10)
    assert_grad_close(fn, (0.8, coeffs), 0, grad(fn)(0.8, coeffs))


def test_two_arrays_and_an_array_operand(without_pass):
    rng = np.random.default_rng(4)
    a, b, v = rng.standard_normal(7), rng.standard_normal(7), rng.standard_normal(3)
    assert_same_bits(two_arrays, (0.7, a, b), 0, without_pass)
    assert_same_bits(mixed_with_array, (0.7, a, v), 0, without_pass)
    assert_grad_close(mixed_with_array, (0.7, a, v), 0, grad(mixed_with_array)(0.7, a, v))


def test_checked_at_run_time_where_kinds_do_not_say():
    """Kinds say float, not which precision: a float32 array, or a float32 x, reads the
    array as it is, and keeps float32 arithmetic as NumPy does it."""
    coeffs = np.random.default_rng(5).standard_normal(9)
    g = grad(horner)
    g(0.5, coeffs)  # (compiled for a float and a float array: the check is in its text)
    assert "tolist()" in g.source
    for x, array in [(0.5, coeffs.astype(np.float32)), (np.float32(0.5), coeffs), (np.float16(0.5), coeffs)]:
        got, want = g(x, array), horner_forward(x, array)
        assert type(got) is type(want) and got == want


def horner_forward(x, coeffs):
    """Horner's derivative by hand, over the array's NumPy items."""
    acc = dacc = 0.0
    for c in coeffs:
        dacc = dacc * x + acc
        acc = acc * x + c
    return dacc


def test_division_is_not_read_as_python_floats():
    """`1.0 / c` raises ZeroDivisionError on a Python float where float64 gives inf."""
    g = grad(divides)
    coeffs = np.r_[0.0, 1.0, 2.0]
    with np.errstate(divide="ignore"):
        assert np.isnan(g(0.5, coeffs)) or np.isinf(g(0.5, coeffs))
    assert "tolist" not in g.source


def test_value_and_grad_and_jacfwd():
    coeffs = np.random.default_rng(6).standard_normal(8)
    value, slope = value_and_grad(horner)(0.6, coeffs)
    assert value == horner(0.6, coeffs) and slope == horner_forward(0.6, coeffs)
    np.testing.assert_array_equal(jacfwd(horner)(0.6, coeffs), horner_forward(0.6, coeffs))


def test_emitted_text():
    g = grad(horner)
    g(0.9, np.ones(5))
    assert "coeffs = coeffs.tolist() if coeffs.dtype == np.float64 and isinstance(x, float) else coeffs" in g.source


def first_three(x, w):
    """Three items of a long array: copying them all would cost more than it saves."""
    s = 0.0
    for i in range(3):
        s = s + w[i] * x
    return s


def test_a_loop_reading_few_of_the_items_reads_the_array():
    g = grad(first_three)
    assert g(0.5, np.arange(100.0)) == 3.0
    assert "tolist" not in g.source
