"""Control flow: every function of tests/corpus_control.py (branches, for/while loops, enumerate,
zip, element writes in loops, early return), every differentiable argument.

- the specialized gradient and the generic one (`.generic`) against central differences
  (or the analytic derivative, for iterations converged to a tolerance);
- `value_and_grad`'s value is `f(*args)`, and the gradient leaves its arguments alone;
- the emitted source keeps the loops as loops (a `for`/`while` statement) and the branches as
  branches (an `if`), and compiles;
- the corpus itself: arguments away from kinks (two step sizes of central differences agree).

Functions with break / continue / return inside a loop are expected to fail for now.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np
import pytest

from ad_compiler import grad, value_and_grad
from tests.corpus_control import CASES, FUNCTIONS, LOOP_EXITS, ControlCase
from tests.numeric import CBRT_EPS, assert_grad_close, numeric_grad, tolerance_scale



def _marks(case: ControlCase) -> list:
    return [pytest.mark.xfail(reason=case.xfail, strict=False)] if case.xfail else []


def by_case(cases: list[ControlCase]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=_marks(c)) for c in cases])


PAIRS = [
    pytest.param(case, k, id=f"{case.id}-arg{k}", marks=_marks(case))
    for case in CASES
    for k in case.float_argnums()
]


def assert_derivative(case: ControlCase, args: tuple, k: int, got: Any, what: str) -> None:
    """got is d f / d args[k]: against the analytic derivative if the case has one, else
    against central differences (tests/numeric.py, rtol 1e-6, atol 1e-8 * scale)."""
    if case.analytic is None:
        assert_grad_close(case.fn, args, k, got)
        return
    expected = case.analytic(args, k)
    assert np.shape(got) == np.shape(args[k]), f"{what}: gradient shape {np.shape(got)} != {np.shape(args[k])}"
    assert np.issubdtype(np.asarray(got).dtype, np.floating), f"{what}: gradient dtype {np.asarray(got).dtype}"
    scale = max(1.0, abs(float(case.fn(*args))), float(np.max(np.abs(expected))))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8 * scale, err_msg=f"{what} vs analytic")


def assert_args_unchanged(case: ControlCase, args: tuple) -> None:
    for before, after in zip(case.args(), args):
        np.testing.assert_array_equal(after, before, err_msg="the gradient modified its arguments")


# --- gradients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case, k", PAIRS)
def test_grad_matches_central_differences(case: ControlCase, k: int) -> None:
    args = case.args()
    got = grad(case.fn, argnums=k)(*args)
    assert_args_unchanged(case, args)
    assert_derivative(case, args, k, got, "specialized gradient")


@pytest.mark.parametrize("case, k", PAIRS)
def test_generic_grad_matches_central_differences(case: ControlCase, k: int) -> None:
    args = case.args()
    got = grad(case.fn, argnums=k).generic(*args)
    assert_args_unchanged(case, args)
    assert_derivative(case, args, k, got, "generic gradient")


@by_case(CASES)
def test_grad_tuple_argnums(case: ControlCase) -> None:
    args, argnums = case.args(), case.float_argnums()
    got = grad(case.fn, argnums=argnums)(*args)
    assert isinstance(got, tuple) and len(got) == len(argnums)
    for k, g in zip(argnums, got):
        assert_derivative(case, args, k, g, f"argnums={argnums}, d/d arg {k}")


@by_case(CASES)
def test_value_and_grad(case: ControlCase) -> None:
    args, argnums = case.args(), case.float_argnums()
    value, grads = value_and_grad(case.fn, argnums=argnums)(*args)
    assert_args_unchanged(case, args)
    assert np.ndim(value) == 0
    np.testing.assert_allclose(value, case.fn(*args), rtol=1e-12, atol=1e-13)
    assert isinstance(grads, tuple) and len(grads) == len(argnums)
    for k, g in zip(argnums, grads):
        assert_derivative(case, args, k, g, f"value_and_grad, d/d arg {k}")

    value, g = value_and_grad(case.fn, argnums=argnums[0]).generic(*args)
    np.testing.assert_allclose(value, case.fn(*args), rtol=1e-12, atol=1e-13, err_msg="generic value")
    assert_derivative(case, args, argnums[0], g, "generic value_and_grad")


# --- emitted source: loops stay loops, branches stay branches -------------------------------------


def control_statements(source: str) -> set[str]:
    """The kinds of control flow in the emitted gradient (the last top-level function of the
    text; helpers such as `unbroadcast` before it do not count): 'loop' (for/while), 'branch'
    (if statement or conditional expression)."""
    found = set()
    defs = [node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]
    for node in ast.walk(defs[-1]):
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            found.add("loop")
        elif isinstance(node, (ast.If, ast.IfExp)):
            found.add("branch")
    return found


@pytest.mark.parametrize(
    "source, found",
    [
        ("def g(x):\n    return x * 2.0\n", set()),
        ("def g(x):\n    for i in range(3):\n        x = x + i\n    return x\n", {"loop"}),
        ("def g(x):\n    while x < 1.0:\n        x = x * 2.0\n    return x\n", {"loop"}),
        ("def g(x):\n    if x > 0:\n        return x\n    return -x\n", {"branch"}),
        ("def g(x):\n    return x if x > 0 else -x\n", {"branch"}),
        ("def g(x):\n    # for i in range(3): if x > 0\n    return x\n", set()),
        ("def helper(x):\n    if x:\n        return 1\n    return 0\n\ndef g(x):\n    return x\n", set()),
    ],
    ids=["straight_line", "for", "while", "if", "conditional_expression", "comment", "helper_before"],
)
def test_control_statements_checker(source: str, found: set) -> None:
    assert control_statements(source) == found


STRUCTURED = [c for c in CASES if c.kind is not None]


@by_case(STRUCTURED)
@pytest.mark.parametrize("version", ["generic", "specialized"])
def test_emitted_source_keeps_control_flow(case: ControlCase, version: str) -> None:
    g = grad(case.fn, argnums=case.float_argnums())
    if version == "specialized":
        g(*case.args())
    source = g.source
    assert isinstance(source, str) and source.strip()
    compile(source, f"<{version} gradient of {case.id}>", "exec")
    found = control_statements(source)
    assert case.kind in found, (
        f"{version} gradient of {case.fn.__name__} has no "
        f"{'for/while loop' if case.kind == 'loop' else 'if'} (unrolled or flattened?):\n{source}"
    )


# --- the corpus itself ----------------------------------------------------------------------------


def _central(f: Any, args: tuple, k: int, factor: float) -> Any:
    """Central differences with `factor` times the step of tests/numeric.py."""
    x = args[k]

    def at(value: Any) -> float:
        return float(f(*(args[:k] + (value,) + args[k + 1 :])))

    base = np.array(x, dtype=np.float64)
    out = np.empty(base.shape)
    for index in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        h = factor * CBRT_EPS * max(1.0, abs(float(base[index])))
        plus[index] += h
        minus[index] -= h
        wrap = (lambda a: a) if isinstance(x, np.ndarray) else float
        out[index] = (at(wrap(plus)) - at(wrap(minus))) / (plus[index] - minus[index])
    return out if isinstance(x, np.ndarray) else float(out)


@pytest.mark.parametrize("case, k", [pytest.param(c, k, id=f"{c.id}-arg{k}") for c in CASES for k in c.float_argnums()])
def test_corpus_arguments_are_away_from_kinks(case: ControlCase, k: int) -> None:
    """No branch boundary or change of iteration count within 8 steps of central differences:
    the difference quotients with steps h and 8 h agree (independent of ad_compiler). A kink
    there would change the coarse quotient by a fraction of the jump in slope."""
    args = case.args()
    fine, coarse = numeric_grad(case.fn, args, k), _central(case.fn, args, k, 8.0)
    scale = tolerance_scale(case.fn, args, fine)
    np.testing.assert_allclose(coarse, fine, rtol=1e-4, atol=1e-6 * scale)
    if case.analytic is not None:
        np.testing.assert_allclose(case.analytic(args, k), fine, rtol=1e-5, atol=1e-7 * scale)


def test_corpus_size() -> None:
    assert len(FUNCTIONS) >= 32
    assert set(LOOP_EXITS) <= {c.fn.__name__ for c in CASES}
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    for case in CASES:
        assert case.float_argnums(), f"{case.id} has nothing to differentiate"
        np.testing.assert_array_equal(case.args()[0], case.args()[0])  # deterministic
