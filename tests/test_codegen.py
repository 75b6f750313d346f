"""Emitted code as a product: traceable, inspectable, independent of astor's health,
and refusing clearly what has no derivative."""

from __future__ import annotations

import inspect
import traceback

import numpy as np
import pytest

from ad_compiler.primitives import PRIMITIVES, primitive

from ad_compiler import CompileError, defvjp, grad
from ad_compiler.ad.rules import RULES
from ad_compiler.codegen import emit as emit_module
from ad_compiler.errors import NoDerivativeError
from tests.numeric import numeric_grad


def matrix_loss(a, b):
    t = a @ b
    return np.sum(np.tanh(t))


def test_traceback_shows_the_emitted_line() -> None:
    g = grad(matrix_loss)
    with pytest.raises(ValueError) as info:
        g(np.ones((2, 3)), np.ones(4))
    text = "".join(traceback.format_exception(info.value))
    assert "<ad_compiler grad_matrix_loss" in text
    assert "t = a @ b" in text  # the emitted statement, shown by linecache


def test_inspect_getsource_returns_the_emitted_function() -> None:
    g = grad(matrix_loss)
    g(np.ones((2, 3)), np.ones(3))
    function = g._last.function
    source = inspect.getsource(function)
    assert source.startswith("def grad_matrix_loss(a, b):")
    assert source in g.source


def wave(x):
    return np.sin(np.pi * x) / (np.pi * x)


def wave_sum(x):
    return np.sum(wave(x) * x)


def test_missing_rule_is_reported_at_its_line_then_a_custom_rule_works() -> None:
    """`wave` declared a primitive without rules: refused at its call; given a rule, the
    rule is inlined; the declaration gone, `wave` is inlined from its source again."""
    x = np.array([0.3, 1.2, 2.7])
    with PRIMITIVES.scope():
        primitive(wave)
        with pytest.raises(NoDerivativeError) as info:
            grad(wave_sum)(x)
        message = str(info.value)
        line = inspect.getsourcelines(wave_sum)[1] + 1
        assert f"test_codegen.py:{line}:" in message
        assert "wave" in message and "defvjp" in message
        assert "^" in message.splitlines()[-1]

        @defvjp(wave)
        def wave_vjp(g, ans, x):
            t = np.pi * x
            return g * (np.cos(t) - ans) / x

        result = grad(wave_sum)(x)
        assert "ans" not in grad(wave_sum).source  # the rule's names do not leak
        assert "wave(" in grad(wave_sum).source  # called, not inlined
    np.testing.assert_allclose(result, numeric_grad(wave_sum, (x,), 0), rtol=1e-6)
    assert not PRIMITIVES.name_of(wave) or not RULES.vjp(PRIMITIVES.name_of(wave), [None])
    np.testing.assert_allclose(grad(wave_sum)(x), numeric_grad(wave_sum, (x,), 0), rtol=1e-6)


def test_astor_failure_falls_back_to_ast_unparse(monkeypatch: pytest.MonkeyPatch) -> None:
    astor = pytest.importorskip("astor")  # (the suite also runs without it: tests/conftest.py)

    def broken(node):
        raise AttributeError("module 'ast' has no attribute 'Num'")

    monkeypatch.setattr(astor, "to_source", broken)
    import ast

    assert emit_module.unparse(ast.parse("y = a * (b + c)").body[0]) == "y = a * (b + c)"


def test_compile_error_is_a_compile_error_subclass() -> None:
    assert issubclass(NoDerivativeError, CompileError)


def product(x, y):
    return np.sum(np.arctan2(x, y))


def test_a_rule_returning_too_few_cotangents_is_reported() -> None:
    with RULES.scope():

        @defvjp(np.arctan2)
        def wrong(g, ans, y, x):
            return g * x

        with pytest.raises(NoDerivativeError, match="returned 1 cotangents for 2 operands"):
            grad(product, argnums=(0, 1))(np.ones(2), np.ones(2))  # (y's cotangent is needed)


def _overwritten(x, y):
    a = x * y
    a[1] = 0.0
    c = a + x
    c[0] = 1.0
    return np.sum(c * a)


def test_a_cotangent_is_never_written_into_a_primals_array() -> None:
    """The cotangent of `c` is `a` with one element cleared; `a` is dead by then, but
    clearing it in place would read as a change of the primal (`a[0] = 0.0`)."""
    df = grad(_overwritten, argnums=(0, 1))
    x, y = np.array([0.3, -0.2, 0.5]), np.array([1.5, 0.4, -0.7])
    for i, got in enumerate(df(x, y)):
        np.testing.assert_allclose(got, numeric_grad(_overwritten, (x, y), i), rtol=1e-8)
    body = df.source.split("c[0] = 1.0")[-1]
    assert "a[0]" not in body and "bc = a.copy()" in body, df.source


def _two_sums(x, w):
    h = np.tanh(x @ w)
    return np.sum(h * h) + np.mean(x)


def test_generic_code_computes_no_reduction_for_its_shape(tmp_path) -> None:
    """The seed summed to the shape of a whole reduction is the seed: the generic
    gradient does not compute np.sum(h * h) just to read that it is a number."""
    from ad_compiler.cli.main import main

    path = tmp_path / "two_sums.py"
    path.write_text(inspect.getsource(_two_sums).join(["import numpy as np\n\n\n", ""]))
    out = tmp_path / "d.py"
    assert main(["grad", f"{path}:_two_sums", "--argnums", "0,1", "-o", str(out)]) == 0
    source = out.read_text()
    body = source.split("def grad__two_sums")[1].split("\ndef ")[0]
    body = "\n".join(line for line in body.splitlines() if "#" not in line)
    assert "np.sum(" not in body and "np.mean(" not in body, source
    namespace: dict = {}
    exec(compile(source, str(out), "exec"), namespace)  # noqa: S102 - our own output
    x, w = np.array([[0.3, -0.2], [0.5, 0.1]]), np.array([[0.7], [-0.4]])
    for k, got in enumerate(namespace["grad__two_sums"](x, w)):
        np.testing.assert_allclose(got, numeric_grad(_two_sums, (x, w), k), rtol=1e-7)


def _power_loop(x, n):
    y = x
    for i in range(n):
        y = y * x
    return y


def _returns_from_an_inner_loop(x, n):
    y = x
    for i in range(n):
        for j in range(3):
            y = y * x
            if y > 10.0:
                return y
    return y


def test_a_reverse_loop_carries_the_adjoint_under_the_name_of_what_it_carries() -> None:
    """The reverse loop carries the adjoint of `y` from the seed to the adjoint of the
    loop's start, `x`: it is `by` throughout, and `bx` only where it is `x`'s."""
    df = grad(_power_loop, mode="reverse")
    assert df(1.1, 4) == pytest.approx(5 * 1.1 ** 4)
    assert "by, bx = 1.0, " in df.source and ("bx = bx + by" in df.source or "bx += by" in df.source), df.source


def test_a_return_passed_on_from_an_inner_loop_sets_no_flag_twice() -> None:
    """After the inner loop, `if _return:` only breaks the outer loop: `_return` and
    `_value` already hold (no `_return = True` under `if _return:`)."""
    df = grad(_returns_from_an_inner_loop)
    for x, n in ((1.1, 4), (1.3, 2), (0.9, 3)):
        assert df(x, n) == pytest.approx(numeric_grad(_returns_from_an_inner_loop, (x, n), 0), rel=1e-6)
    lines = df.source.splitlines()
    for k, line in enumerate(lines):
        if line.strip() == "if _return:":
            assert "_return" not in lines[k + 1], df.source


def _type_test(x, y):
    v = y[0] if isinstance(x, float) else 2.0
    return x * np.sum(y)


def test_an_unused_type_test_leaves_no_statement() -> None:
    """`isinstance` only answers a question: its unused call is dead code, not a call
    run as written."""
    df = grad(_type_test, argnums=(0, 1))
    bx, by = df(0.5, np.ones(3))
    assert bx == pytest.approx(3.0) and np.allclose(by, 0.5)
    assert "isinstance" not in df.source, df.source


def _rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_generic_code_reads_a_shape_from_the_operands(tmp_path) -> None:
    """The seed of the sum has the shape of `a + b`, the broadcast of theirs: the generic
    gradient does not compute the sum (or `100.0 * ...`) to read it."""
    from ad_compiler.cli.main import main

    path = tmp_path / "rosenbrock.py"
    path.write_text(inspect.getsource(_rosenbrock).join(["import numpy as np\n\n\n", ""]))
    out = tmp_path / "d.py"
    assert main(["grad", f"{path}:_rosenbrock", "-o", str(out)]) == 0
    source = out.read_text()
    body = source.split("def grad__rosenbrock")[1].split("\ndef ")[0]
    body = "\n".join(line for line in body.splitlines() if "#" not in line)
    assert "np.broadcast_shapes(" in body and "100.0 * (" not in body, source
    namespace: dict = {}
    exec(compile(source, str(out), "exec"), namespace)  # noqa: S102 - our own output
    for x in (np.array([0.3, -0.2, 0.5, 1.1]), np.array([[0.3, -0.2], [0.5, 1.1], [0.9, 0.1]])):
        np.testing.assert_allclose(namespace["grad__rosenbrock"](x), numeric_grad(_rosenbrock, (x,), 0), rtol=1e-7)


def clipped_above(x):
    return np.sum(np.minimum(x, np.inf) * np.maximum(x, -np.inf))


def test_infinity_is_spelled_np_inf() -> None:
    """Not `1e1000` (what astor prints for the float), which reads as a typo."""
    g = grad(clipped_above)
    x = np.array([0.5, -1.5, 2.0])
    np.testing.assert_allclose(g(x), numeric_grad(clipped_above, (x,), 0), rtol=1e-6)
    assert "np.inf" in g.source and "-np.inf" in g.source and "1e1000" not in g.source


def slices_subtracted(c, x):
    return np.sum(np.exp(x - c[:, 2:4])) + np.sum(np.sin(c[:, 0:2]) * x)


def test_a_cotangent_subtracted_at_an_index_is_written_in_place() -> None:
    """`bc[:, 2:4] = bc[:, 2:4] - t` is `bc[:, 2:] -= t`, as an addition is `+=` (the slice's
    stop at the axis's end is dropped)."""
    g = grad(slices_subtracted)
    c, x = np.random.default_rng(7).random((3, 4)), np.random.default_rng(8).random((3, 2))
    np.testing.assert_allclose(g(c, x), numeric_grad(slices_subtracted, (c, x), 0), rtol=1e-6, atol=1e-9)
    assert "bc[:, 2:] -= " in g.source


def _weighted_by_position(x):
    k = np.arange(x.shape[0], dtype=float)
    w = np.arange(x.shape[0], dtype=np.float32)
    e = np.eye(x.shape[0], dtype="float64")
    return np.sum(x * k * w) + np.sum(e @ x)


def test_a_dtype_is_spelled_as_the_source_spells_it(tmp_path) -> None:
    """`dtype=float` is written `dtype=float`, not a name bound in the function's globals
    (which a written module would not have), and fixes no shape less than without it."""
    from ad_compiler.cli.main import main

    g = grad(_weighted_by_position)
    x = np.array([0.3, -0.2, 0.5, 1.1])
    np.testing.assert_allclose(g(x), numeric_grad(_weighted_by_position, (x,), 0), rtol=1e-6)
    assert "dtype=float)" in g.source and "dtype=np.float32)" in g.source and "dtype='float64')" in g.source
    assert "unbroadcast" not in g.source, g.source
    path = tmp_path / "weighted.py"
    path.write_text(inspect.getsource(_weighted_by_position).join(["import numpy as np\n\n\n", ""]))
    out = tmp_path / "d.py"
    assert main(["grad", f"{path}:_weighted_by_position", "-o", str(out)]) == 0
    namespace: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)  # noqa: S102 - our own output
    np.testing.assert_allclose(namespace["grad__weighted_by_position"](x),
                               numeric_grad(_weighted_by_position, (x,), 0), rtol=1e-6)
