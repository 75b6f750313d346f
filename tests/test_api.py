"""The public API: decorator forms, argnums, .source/.ir/show, recompilation, where functions live."""

from __future__ import annotations

import importlib
import math
import os
import sys

import numpy as np
import pytest

from ad_compiler import CompileError, grad, show, value_and_grad
from tests.numeric import assert_grad_close, numeric_grad


def poly(x, y):
    return x * x * y + 3.0 * y


def test_decorator_form() -> None:
    @grad
    def dcube(x):
        return x * x * x

    assert dcube(2.0) == pytest.approx(12.0, rel=1e-12)
    assert dcube(-0.5) == pytest.approx(0.75, rel=1e-12)


def test_decorator_with_keyword_arguments() -> None:
    @grad(argnums=(0, 1))
    def dpoly(x, y):
        return x * x * y + 3.0 * y

    dx, dy = dpoly(2.0, 5.0)
    assert dx == pytest.approx(20.0, rel=1e-12)  # 2xy
    assert dy == pytest.approx(7.0, rel=1e-12)  # x^2 + 3


def test_int_argnums_returns_one_gradient() -> None:
    dy = grad(poly, argnums=1)(2.0, 5.0)
    assert not isinstance(dy, tuple)
    assert dy == pytest.approx(7.0, rel=1e-12)
    (dx,) = grad(poly, argnums=(0,))(2.0, 5.0)  # a 1-tuple stays a tuple
    assert dx == pytest.approx(20.0, rel=1e-12)


def test_value_and_grad_tuple() -> None:
    value, (dx, dy) = value_and_grad(poly, argnums=(0, 1))(2.0, 5.0)
    assert value == pytest.approx(35.0, rel=1e-12)
    assert (dx, dy) == (pytest.approx(20.0, rel=1e-12), pytest.approx(7.0, rel=1e-12))


@pytest.mark.parametrize("argnums", [2, (0, 2), 5])
def test_argnums_out_of_range(argnums) -> None:
    with pytest.raises((ValueError, CompileError)):
        grad(poly, argnums=argnums)(2.0, 5.0)


def test_source_and_ir_are_text() -> None:
    g = grad(poly, argnums=(0, 1))
    for text in (g.source, g.ir):
        assert isinstance(text, str) and text.strip()
    assert "def " in g.ir
    g(2.0, 5.0)
    assert isinstance(g.source, str) and "def " in g.source
    assert isinstance(g.ir, str) and "def " in g.ir


def test_show_prints_source(capsys) -> None:
    g = grad(poly)
    g(2.0, 5.0)
    show(g)
    out = capsys.readouterr().out
    assert g.source.strip() in out


@pytest.mark.parametrize("args", [(3, 2.0), (np.arange(3), 2.0)], ids=["int", "int_array"])
def test_grad_with_respect_to_int_is_refused(args) -> None:
    def sumsq(x, y):
        return np.sum(x * x) * y

    with pytest.raises((TypeError, CompileError)):
        grad(sumsq)(*args)


def test_int_argument_not_differentiated_is_fine() -> None:
    assert grad(poly)(2.0, 5) == pytest.approx(20.0, rel=1e-12)


def test_non_scalar_output_is_refused() -> None:
    def double(x):
        return x * 2.0

    def spread(x):
        return np.sin(x) * np.ones(3)

    for f, x in [(double, np.array([1.0, 2.0, 3.0])), (spread, 2.0)]:
        with pytest.raises((TypeError, ValueError, CompileError), match="scalar"):
            grad(f)(x)


MODULE_V1 = """
import numpy as np

def f(x):
    return x * x * 3.0
"""

MODULE_V2 = MODULE_V1.replace("x * x * 3.0", "x * x * 5.0")  # same size: only the mtime tells


def test_function_edited_on_disk_is_recompiled(tmp_path, monkeypatch) -> None:
    name = "adc_edited_module"
    path = tmp_path / f"{name}.py"
    path.write_text(MODULE_V1)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module(name)
    assert grad(module.f)(2.0) == pytest.approx(12.0, rel=1e-12)

    path.write_text(MODULE_V2)
    stat = path.stat()
    os.utime(path, (stat.st_atime + 10, stat.st_mtime + 10))
    importlib.invalidate_caches()
    module = importlib.reload(module)
    assert module.f(1.0) == 5.0  # Python sees the new body
    assert grad(module.f)(2.0) == pytest.approx(20.0, rel=1e-12)
    monkeypatch.delitem(sys.modules, name, raising=False)


class Shapes:
    def area(w, h):
        return w * h + math.sin(w)

    @staticmethod
    def volume(w, h, d):
        return w * h * d


def test_function_in_class_body() -> None:
    dw, dh = grad(Shapes.area, argnums=(0, 1))(2.0, 3.0)
    assert dw == pytest.approx(3.0 + math.cos(2.0), rel=1e-12)
    assert dh == pytest.approx(2.0, rel=1e-12)
    assert grad(Shapes.volume, argnums=2)(2.0, 3.0, 4.0) == pytest.approx(6.0, rel=1e-12)


def test_nested_function_with_closure() -> None:
    k = 3.0
    w = np.array([1.0, -2.0, 0.5])

    def f(x):
        return k * np.sum(w * x * x)

    x = np.array([0.3, 0.2, -1.0])
    np.testing.assert_allclose(grad(f)(x), 2.0 * k * w * x, rtol=1e-12)

    def outer(scale):
        def inner(x):
            return scale * np.sin(x)

        return inner

    assert grad(outer(2.0))(0.5) == pytest.approx(2.0 * math.cos(0.5), rel=1e-12)
    assert grad(outer(-1.0))(0.5) == pytest.approx(-math.cos(0.5), rel=1e-12)


def scaled_square(x, s=2.0, p=3.0):
    return s * x**p


def test_default_arguments() -> None:
    assert grad(scaled_square)(1.5) == pytest.approx(2.0 * 3.0 * 1.5**2, rel=1e-12)
    assert grad(scaled_square)(1.5, 4.0) == pytest.approx(4.0 * 3.0 * 1.5**2, rel=1e-12)
    assert grad(scaled_square, argnums=1)(1.5, 4.0) == pytest.approx(1.5**3, rel=1e-12)


def test_keyword_arguments_at_call_time() -> None:
    g = grad(scaled_square)
    assert g(1.5, p=2.0) == pytest.approx(2.0 * 2.0 * 1.5, rel=1e-12)
    assert g(1.5, s=1.0, p=4.0) == pytest.approx(4.0 * 1.5**3, rel=1e-12)
    assert grad(poly)(2.0, y=5.0) == pytest.approx(20.0, rel=1e-12)
    assert grad(poly, argnums=(0, 1))(2.0, y=5.0)[0] == pytest.approx(20.0, rel=1e-12)


def softsum(x, y):
    return np.sum(np.exp(x) * y + x * x)


def test_float_then_array_arguments() -> None:
    g = grad(softsum, argnums=(0, 1))
    calls = [
        (0.3, 2.0),
        (np.array([0.3, -0.1, 0.7]), 2.0),
        (0.3, np.array([1.0, 2.0])),
        (np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([1.0, -1.0])),
        (0.3, 2.0),
    ]
    for args in calls:
        gx, gy = g(*args)
        assert_grad_close(softsum, args, 0, gx)
        assert_grad_close(softsum, args, 1, gy)


def mean_square(x):
    (n,) = x.shape
    return np.mean(x * x) + np.sum(x) / n


def column_mean_square(X):
    return np.sum(np.mean(X * X, axis=0))


def test_same_ndim_different_shapes() -> None:
    g = grad(mean_square)
    for n in (2, 5, 2, 7):
        x = np.linspace(-1.0, 1.0, n)
        np.testing.assert_allclose(g(x), (2.0 * x + 1.0) / n, rtol=1e-12, atol=1e-15)
    g = grad(column_mean_square)
    for shape in ((2, 3), (5, 3), (5, 1), (2, 3)):
        X = np.linspace(-1.0, 1.0, shape[0] * shape[1]).reshape(shape)
        np.testing.assert_allclose(g(X), 2.0 * X / shape[0], rtol=1e-12, atol=1e-15)


def test_same_gradient_object_scalar_values() -> None:
    g = grad(softsum)
    gx = g(0.3, 2.0)
    assert isinstance(gx, (float, np.floating))
    assert gx == pytest.approx(2.0 * math.exp(0.3) + 0.6, rel=1e-12)
    assert numeric_grad(softsum, (0.3, 2.0), 0) == pytest.approx(gx, rel=1e-8)


def complex_sine(z):
    return np.sin(z)


def test_complex_primals_of_jvp_and_vjp_are_refused_not_constants():
    """A complex primal is refused, as grad refuses one (its derivative was zero)."""
    from ad_compiler import jvp, vjp
    from ad_compiler.errors import ArgumentError

    with pytest.raises(ArgumentError, match="complex derivatives are not supported yet"):
        vjp(complex_sine, 0.4 + 0.3j)
    with pytest.raises(ArgumentError, match="complex derivatives are not supported yet"):
        jvp(complex_sine, (np.array([0.4 + 0.3j]),), (np.array([1.0 + 0j]),))
