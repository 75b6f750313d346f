"""Every corpus function, every differentiable argument: reverse-mode gradients vs central differences.

Also: the tuple-argnums and value_and_grad forms agree, the gradient leaves its arguments alone,
and the emitted source is deterministic (same text in two fresh processes with different hash
seeds), self-contained, valid Python that computes the gradient when run on its own (generic and
specialized), and free of arithmetic a person would not write (adding a literal zero,
multiplying by a literal one).
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import inspect
import io
import textwrap
import tokenize
from pathlib import Path

import numpy as np
import pytest

from ad_compiler import grad, value_and_grad
from tests.corpus import CASES, Case
from tests.fresh import json_in_fresh_processes
from tests.numeric import assert_grad_close

ROOT = Path(__file__).resolve().parent.parent

PAIRS = [(case, k) for case in CASES for k in case.float_argnums()]


def by_case(cases: list[Case]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])


# --- the check for redundant arithmetic in emitted code ------------------------------------

_CODE_TOKENS = (tokenize.NAME, tokenize.NUMBER, tokenize.OP)


def _literal(tok: tokenize.TokenInfo, value: float) -> bool:
    if tok.type != tokenize.NUMBER:
        return False
    try:
        return float(tok.string) == value
    except ValueError:  # complex or otherwise odd literal
        return False


def redundant_arithmetic(source: str) -> list[str]:
    """Code (comments and strings excluded) that adds a literal 0 or multiplies by a literal 1.

    Flags `0 + t`, `t + 0.0`, `bx += 0.0`, `1.0 * t`, `t * 1`, `t *= 1.0`; leaves `10 + t`,
    `1.0 + t`, `t * 10`, `t ** 1`, `1e-3 * t`, `x.shape[0] + 1` alone.
    """
    toks = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type in _CODE_TOKENS]
    found = []
    for left, right in zip(toks, toks[1:]):
        pair = (left.string, right.string)
        if (_literal(left, 0) and right.string == "+") or (left.string in ("+", "+=") and _literal(right, 0)):
            found.append(f"line {left.start[0]}: {' '.join(pair)}")
        if (_literal(left, 1) and right.string == "*") or (left.string in ("*", "*=") and _literal(right, 1)):
            found.append(f"line {left.start[0]}: {' '.join(pair)}")
    return found


@pytest.mark.parametrize(
    "source, flagged",
    [
        ("bx = 0.0 + t", True),
        ("bx = t + 0", True),
        ("bx += 0.0", True),
        ("y = 1.0 * t", True),
        ("y = t * 1", True),
        ("y *= 1.0", True),
        ("y = 10 + t", False),
        ("y = t + 10.5", False),
        ("y = 1.0 + t", False),
        ("y = t * 10", False),
        ("y = t ** 1", False),
        ("y = 1e-3 * t", False),
        ("y = x.shape[0] + 1", False),
        ("y = t  # line 3: 0 + 1.0 * x", False),
    ],
)
def test_redundant_arithmetic_checker(source: str, flagged: bool) -> None:
    assert bool(redundant_arithmetic(source)) == flagged


def assert_clean_source(source: str) -> None:
    assert isinstance(source, str) and source.strip()
    assert "ad_compiler" not in source, "emitted code must not depend on ad_compiler"
    compile(source, "x", "exec")
    assert not redundant_arithmetic(source), f"redundant arithmetic {redundant_arithmetic(source)} in:\n{source}"


# --- gradients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case, k", PAIRS, ids=[f"{c.id}-arg{k}" for c, k in PAIRS])
def test_grad_matches_central_differences(case: Case, k: int) -> None:
    args = case.args()
    got = grad(case.fn, argnums=k)(*args)
    assert_grad_close(case.fn, args, k, got)


@by_case(CASES)
def test_grad_tuple_argnums(case: Case) -> None:
    args, argnums = case.args(), case.float_argnums()
    got = grad(case.fn, argnums=argnums)(*args)
    for before, after in zip(case.args(), args):
        np.testing.assert_array_equal(after, before, err_msg="the gradient modified its arguments")
    assert isinstance(got, tuple) and len(got) == len(argnums)
    for k, g in zip(argnums, got):
        assert_grad_close(case.fn, args, k, g)


@by_case(CASES)
def test_value_and_grad(case: Case) -> None:
    args, argnums = case.args(), case.float_argnums()
    value, grads = value_and_grad(case.fn, argnums=argnums)(*args)
    assert np.ndim(value) == 0
    np.testing.assert_allclose(value, case.fn(*args), rtol=1e-12, atol=1e-13)
    assert isinstance(grads, tuple) and len(grads) == len(argnums)
    for k, g in zip(argnums, grads):
        np.testing.assert_allclose(g, grad(case.fn, argnums=k)(*args), rtol=1e-10, atol=1e-12)

    first = argnums[0]
    value, g = value_and_grad(case.fn, argnums=first)(*args)
    np.testing.assert_allclose(value, case.fn(*args), rtol=1e-12, atol=1e-13)
    assert_grad_close(case.fn, args, first, g)


# --- emitted source ---------------------------------------------------------------------------


@by_case(CASES)
def test_emitted_source_is_clean(case: Case) -> None:
    g = grad(case.fn, argnums=case.float_argnums())
    assert_clean_source(g.source)  # generic, before any call
    g(*case.args())
    assert_clean_source(g.source)  # specialized for these argument kinds


@by_case(CASES)
@pytest.mark.parametrize("version", ["generic", "specialized"])
def test_emitted_source_runs_on_its_own(case: Case, version: str) -> None:
    """Executed by hand in the function's globals (plus its closure), the emitted text is the gradient."""
    args, argnums = case.args(), case.float_argnums()
    g = grad(case.fn, argnums=argnums)
    if version == "specialized":
        g(*args)
    namespace = dict(case.fn.__globals__, **inspect.getclosurevars(case.fn).nonlocals)
    exec(compile(g.source, f"<{version} gradient of {case.id}>", "exec"), namespace)
    last_def = [node.name for node in ast.parse(g.source).body if isinstance(node, ast.FunctionDef)][-1]
    got = namespace[last_def](*args)
    assert isinstance(got, tuple) and len(got) == len(argnums)
    for k, gk in zip(argnums, got):
        assert_grad_close(case.fn, args, k, gk)


_DUMP_SOURCES = textwrap.dedent(
    """
    import json
    from ad_compiler import grad
    from tests.corpus import CASES

    out = {}
    for case in CASES:
        try:
            g = grad(case.fn, argnums=case.float_argnums())
            generic = g.source
            g(*case.args())
            out[case.id] = [generic, g.source]
        except Exception as err:  # reported per case by the test
            out[case.id] = [f"{type(err).__name__}: {err}"] * 2
    print(json.dumps(out))
    """
)


def _compiler_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "ad_compiler").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


COMPILER_AT_IMPORT = _compiler_fingerprint()


@pytest.fixture(scope="module")
def fresh_sources() -> tuple[dict, dict]:
    sources = tuple(json_in_fresh_processes(_DUMP_SOURCES))
    if _compiler_fingerprint() != COMPILER_AT_IMPORT:
        pytest.skip("ad_compiler was edited during this run: fresh processes ran other code than this one")
    return sources


def _diff(one: str, two: str) -> str:
    return "\n".join(difflib.unified_diff(one.splitlines(), two.splitlines(), "first", "second", lineterm=""))


@by_case(CASES)
def test_emitted_source_is_deterministic(case: Case, fresh_sources: tuple[dict, dict]) -> None:
    argnums = case.float_argnums()
    first, second = grad(case.fn, argnums=argnums), grad(case.fn, argnums=argnums)
    assert first.source == second.source
    first(*case.args())
    second(*case.args())
    assert first.source == second.source

    one, two = (sources[case.id] for sources in fresh_sources)
    for version, a, b in zip(("generic", "specialized"), one, two):
        assert a == b, f"{version} source differs between two fresh processes:\n{_diff(a, b)}"
    assert one[1] == first.source, f"source differs between a fresh process and this one:\n{_diff(one[1], first.source)}"
