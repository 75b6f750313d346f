"""The stochastic corpus (tests/corpus_stochastic.py): code that does not depend on the
differentiated arguments runs as written, exactly once per call of a derivative.

First, in plain Python (these check the corpus itself and pass whatever the compiler
does): each objective runs, is deterministic after reseeding, has the effects it claims,
and its central differences (reseeding before each evaluation) are finite and stable in
the step.

Then the compiler, always against central differences of the plain function at the same
draws (never against its own output alone):
  - grad in reverse and forward mode, value_and_grad (value and gradient);
  - hessian and hvp (one array parameter of at most 6 entries);
  - every effect (draws, counted helper calls, printed text, LOG entries) once per call of
    grad (both modes), value_and_grad, hessian and hvp, on the first call (which compiles)
    and on the next;
  - a global or closure variable rebound after compiling is seen by the next call;
  - a ValueError / AssertionError the objective raises on bad data is raised by the
    derivative, with the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

from ad_compiler import grad, hessian, hvp, value_and_grad
from ad_compiler.errors import CompileError
from tests import corpus_stochastic as cs
from tests.corpus_stochastic import OBJECTIVES, Objective

GRAD_STEP = 1e-6  # relative step of first-order central differences
HESS_STEP = 1e-4  # relative step of second-order central differences
GRAD_RTOL, GRAD_ATOL = 1e-5, 1e-7
HESS_RTOL, HESS_ATOL = 1e-4, 1e-6
VALUE_RTOL = 1e-10

EFFECTFUL = [o for o in OBJECTIVES if o.effects or o.stochastic]
SECOND_ORDER = [o for o in OBJECTIVES if o.hessian_ok]
REBOUND = [o for o in OBJECTIVES if o.rebind is not None]
VALIDATING = [o for o in OBJECTIVES if o.bad_args is not None]
MODES = ("reverse", "forward")


def by_objective(objs: list[Objective]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("obj", objs, ids=[o.name for o in objs])


@pytest.fixture(autouse=True)
def _fresh_effects():
    """Each test starts with empty counters and every random source reseeded."""
    cs.reset_effects()
    cs.reseed_all()
    yield
    cs.reset_effects()
    cs.reseed_all()


def prepare(obj: Objective) -> tuple:
    for module in obj.needs:
        pytest.importorskip(module)
    return obj.args()


# --- the plain function, and central differences of it --------------------------------------


def evaluate(obj: Objective, args: tuple) -> float:
    """The plain objective at the draws of a freshly reseeded source."""
    obj.reseed()
    return float(obj.fn(*args))


def _with(args: tuple, k: int, value: Any) -> tuple:
    return args[:k] + (value,) + args[k + 1:]


def central_grad(obj: Objective, args: tuple, k: int, rel: float = GRAD_STEP) -> Any:
    """d obj.fn / d args[k] by central differences, reseeding before each evaluation."""
    x = args[k]
    if isinstance(x, float):
        h = rel * max(1.0, abs(x))
        plus, minus = x + h, x - h
        return (evaluate(obj, _with(args, k, plus)) - evaluate(obj, _with(args, k, minus))) / (plus - minus)
    base = np.array(x, dtype=np.float64)
    out = np.empty(base.shape)
    for index in np.ndindex(base.shape):
        h = rel * max(1.0, abs(base[index]))
        plus, minus = base.copy(), base.copy()
        plus[index] += h
        minus[index] -= h
        out[index] = (evaluate(obj, _with(args, k, plus)) - evaluate(obj, _with(args, k, minus))) / (
            plus[index] - minus[index])
    return out


def central_hessian(obj: Objective, args: tuple, rel: float = HESS_STEP) -> np.ndarray:
    """The Hessian w.r.t. args[0] by second-order central differences,
    (f(x+hi+hj) - f(x+hi-hj) - f(x-hi+hj) + f(x-hi-hj)) / (4 hi hj), reseeding before
    each evaluation; shape x.shape + x.shape."""
    x = np.array(args[0], dtype=np.float64)
    flat = x.ravel()
    n = flat.size
    steps = rel * np.maximum(1.0, np.abs(flat))

    def at(delta: np.ndarray) -> float:
        return evaluate(obj, _with(args, 0, (flat + delta).reshape(x.shape)))

    H = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = steps[i], steps[j]
            H[i, j] = H[j, i] = (at(ei + ej) - at(ei - ej) - at(ej - ei) + at(-ei - ej)) / (4 * steps[i] * steps[j])
    return H.reshape(x.shape + x.shape)


def direction(obj: Objective) -> np.ndarray:
    x = obj.args()[0]
    return np.random.default_rng(len(obj.name)).standard_normal(x.shape)


def scale_of(*values: Any) -> float:
    return max([1.0] + [float(np.max(np.abs(v))) for v in values if np.size(v)])


def assert_close(got: Any, expected: Any, what: str, rtol: float, atol: float) -> None:
    got_a, expected_a = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got_a.shape == expected_a.shape, f"{what}: shape {got_a.shape}, expected {expected_a.shape}"
    np.testing.assert_allclose(got_a, expected_a, rtol=rtol, atol=atol, err_msg=what)


def check_gradients(obj: Objective, args: tuple, grads: tuple, what: str) -> None:
    assert isinstance(grads, tuple) and len(grads) == len(obj.argnums), f"{what}: got {type(grads).__name__}"
    value = evaluate(obj, args)
    for k, got in zip(obj.argnums, grads):
        expected = central_grad(obj, args, k)
        assert_close(got, expected, f"{what}, d/d argument {k} vs central differences",
                     GRAD_RTOL, GRAD_ATOL * scale_of(value, expected))


# --- observing effects ----------------------------------------------------------------------


@dataclass
class Effects:
    counts: dict
    log: list
    printed: str
    states: list


def observe(obj: Objective, call: Callable[[], Any], capsys) -> tuple[Effects, Any]:
    """Reseed, run `call`, and record what it did."""
    cs.reset_effects()
    capsys.readouterr()
    obj.reseed()
    result = call()
    printed = capsys.readouterr().out
    return Effects(dict(cs.COUNTS), list(cs.LOG), printed, [cs.fingerprint(r) for r in obj.rngs()]), result


def assert_same_effects(plain: Effects, got: Effects, what: str) -> None:
    assert got.counts == plain.counts, f"{what}: calls counted {got.counts}, a plain call makes {plain.counts}"
    assert got.printed == plain.printed, (
        f"{what}: printed\n{got.printed!r}\na plain call prints\n{plain.printed!r}")
    assert len(got.log) == len(plain.log), f"{what}: LOG got {got.log}, a plain call appends {plain.log}"
    np.testing.assert_allclose(np.asarray(got.log, dtype=float), np.asarray(plain.log, dtype=float),
                               rtol=1e-10, atol=1e-12, err_msg=f"{what}: LOG entries")
    assert got.states == plain.states, (
        f"{what}: the random source ends in another state than after a plain call "
        "(a different number of draws)")


# === plain Python: the corpus itself ===========================================================


def test_corpus_size():
    assert len(OBJECTIVES) >= 24
    assert len(SECOND_ORDER) >= 10
    assert len({o.name for o in OBJECTIVES}) == len(OBJECTIVES)


@by_objective(OBJECTIVES)
def test_plain_runs_and_is_deterministic(obj):
    args = prepare(obj)
    first = evaluate(obj, args)
    second = evaluate(obj, args)
    assert np.isfinite(first) and abs(first) < 100.0, first
    assert first == second, "not deterministic after reseeding"
    assert np.ndim(obj.fn(*args)) == 0
    if obj.stochastic:  # a second call without reseeding draws other numbers
        obj.reseed()
        obj.fn(*args)
        assert float(obj.fn(*args)) != first, "claims a random source but does not depend on it"


@by_objective(OBJECTIVES)
def test_plain_effects_as_declared(obj, capsys):
    args = prepare(obj)
    start = [cs.fingerprint(r) for r in obj.rngs()]
    effects, _ = observe(obj, lambda: obj.fn(*args), capsys)
    again, _ = observe(obj, lambda: obj.fn(*args), capsys)
    assert_same_effects(effects, again, "a second plain call")
    for effect in obj.effects:
        if effect == "print":
            assert effects.printed, "prints nothing"
        elif effect == "log":
            assert effects.log, "appends nothing to LOG"
        elif effect == "draws":
            assert effects.states != start, "draws nothing"
        else:
            assert effects.counts.get(effect, 0) > 0, f"never counts {effect}: {effects.counts}"
    if obj.stochastic:
        obj.reseed()
        assert [cs.fingerprint(r) for r in obj.rngs()] == start, "reseed does not restore the random state"


@by_objective(OBJECTIVES)
def test_plain_central_differences(obj):
    args = prepare(obj)
    for k in obj.argnums:
        coarse = central_grad(obj, args, k, rel=10 * GRAD_STEP)
        fine = central_grad(obj, args, k)
        assert np.all(np.isfinite(fine)), fine
        # the same to the test's tolerance at two steps: the objective is smooth at args
        assert_close(fine, coarse, f"d/d argument {k} at two steps", GRAD_RTOL / 10, GRAD_ATOL / 10 * scale_of(fine))


@by_objective(SECOND_ORDER)
def test_plain_second_differences(obj):
    args = prepare(obj)
    H = central_hessian(obj, args)
    H2 = central_hessian(obj, args, rel=2 * HESS_STEP)
    assert np.all(np.isfinite(H))
    n = np.size(args[0])
    flat = H.reshape(n, n)
    assert_close(flat, flat.T, "symmetry", HESS_RTOL, HESS_ATOL * scale_of(H))
    assert_close(H, H2, "second differences at two steps", HESS_RTOL / 4, HESS_ATOL / 4 * scale_of(H))
    # and against central differences of the (numeric) gradient
    g = lambda x: central_grad(obj, _with(args, 0, x), 0, rel=HESS_STEP)  # noqa: E731
    x = np.array(args[0], dtype=np.float64)
    cols = []
    for index in np.ndindex(x.shape):
        h = HESS_STEP * max(1.0, abs(x[index]))
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        cols.append((g(plus) - g(minus)) / (plus[index] - minus[index]))
    blocks = np.array(cols).reshape(x.shape + x.shape)  # [i..., j...] = d g_j / d x_i
    nested = np.moveaxis(blocks, list(range(x.ndim)), list(range(x.ndim, 2 * x.ndim)))
    assert_close(H, nested, "second differences vs differences of differences", 10 * HESS_RTOL,
                 10 * HESS_ATOL * scale_of(H))


@by_objective(REBOUND)
def test_plain_rebinding_changes_the_value(obj):
    args = prepare(obj)
    before = evaluate(obj, args)
    restore = obj.rebind()
    try:
        assert evaluate(obj, args) != before
    finally:
        restore()
    assert evaluate(obj, args) == before


@by_objective(VALIDATING)
def test_plain_bad_data_is_refused(obj):
    prepare(obj)
    with pytest.raises((ValueError, AssertionError)) as refused:
        obj.fn(*obj.invalid_args())
    assert str(refused.value)


# === the compiler ==============================================================================


@pytest.mark.parametrize("mode", MODES)
@by_objective(OBJECTIVES)
def test_grad(obj, mode):
    args = prepare(obj)
    df = grad(obj.fn, argnums=obj.argnums, mode=mode)
    obj.reseed()
    got = df(*args)
    check_gradients(obj, args, got, f"grad(mode={mode!r})")
    obj.reseed()
    again = df(*args)  # the second call, compiled already, at the same draws
    for a, b in zip(got, again):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg="second call after reseeding")


@pytest.mark.parametrize("mode", MODES)
@by_objective(OBJECTIVES)
def test_value_and_grad(obj, mode):
    args = prepare(obj)
    expected = evaluate(obj, args)
    obj.reseed()
    value, grads = value_and_grad(obj.fn, argnums=obj.argnums, mode=mode)(*args)
    assert np.ndim(value) == 0
    assert_close(value, expected, "value_and_grad's value vs the plain function", VALUE_RTOL, 1e-12)
    check_gradients(obj, args, grads, f"value_and_grad(mode={mode!r})")


@by_objective(SECOND_ORDER)
def test_hessian(obj):
    args = prepare(obj)
    H = hessian(obj.fn)
    obj.reseed()
    got = H(*args)
    expected = central_hessian(obj, args)
    assert_close(got, expected, "hessian vs second-order central differences", HESS_RTOL,
                 HESS_ATOL * scale_of(evaluate(obj, args), expected))


@by_objective(SECOND_ORDER)
def test_hvp(obj):
    args = prepare(obj)
    v = direction(obj)
    obj.reseed()
    got = hvp(obj.fn, args, (v,) + (None,) * (len(args) - 1))
    x = np.asarray(args[0])
    expected = (central_hessian(obj, args).reshape(x.size, x.size) @ v.ravel()).reshape(x.shape)
    assert_close(got, expected, "hvp vs second-order central differences times v", HESS_RTOL,
                 HESS_ATOL * scale_of(evaluate(obj, args), expected))


def _derivative(kind: str, obj: Objective) -> Callable[..., Any]:
    if kind == "grad_reverse":
        return grad(obj.fn, argnums=obj.argnums, mode="reverse")
    if kind == "grad_forward":
        return grad(obj.fn, argnums=obj.argnums, mode="forward")
    if kind == "value_and_grad":
        return value_and_grad(obj.fn, argnums=obj.argnums)
    if kind == "hessian":
        return hessian(obj.fn)
    assert kind == "hvp"
    v = direction(obj)
    return lambda *args: hvp(obj.fn, args, (v,) + (None,) * (len(args) - 1))


ONCE = [(obj, kind) for obj in EFFECTFUL
        for kind in ("grad_reverse", "grad_forward", "value_and_grad", "hessian", "hvp")
        if kind not in ("hessian", "hvp") or obj.hessian_ok]


@pytest.mark.parametrize("obj, kind", ONCE, ids=[f"{kind}-{obj.name}" for obj, kind in ONCE])
def test_effects_once_per_call(obj, kind, capsys):
    """Every draw, counted call, printed line and LOG entry of a plain call, once, in a
    derivative call: the first (which compiles) and the next."""
    args = prepare(obj)
    plain, _ = observe(obj, lambda: obj.fn(*args), capsys)
    derivative = _derivative(kind, obj)
    for call in ("first call", "second call"):
        got, _ = observe(obj, lambda: derivative(*args), capsys)
        assert_same_effects(plain, got, f"{kind}, {call}")


@pytest.mark.parametrize("mode", MODES)
@by_objective(REBOUND)
def test_rebinding_after_compiling_is_seen(obj, mode):
    args = prepare(obj)
    df = grad(obj.fn, argnums=obj.argnums, mode=mode)
    obj.reseed()
    df(*args)  # compiled with the first binding
    restore = obj.rebind()
    try:
        obj.reseed()
        got = df(*args)
        check_gradients(obj, args, got, f"grad(mode={mode!r}) after rebinding")
    finally:
        restore()


@pytest.mark.parametrize("mode", MODES)
@by_objective(VALIDATING)
def test_bad_data_refused_by_the_derivative(obj, mode):
    prepare(obj)
    bad = obj.invalid_args()
    with pytest.raises((ValueError, AssertionError)) as plain:
        obj.fn(*bad)
    df = grad(obj.fn, argnums=obj.argnums, mode=mode)
    with pytest.raises(Exception) as refused:
        obj.reseed()
        df(*bad)
    assert not isinstance(refused.value, CompileError), f"refused at compile time: {refused.value}"
    assert type(refused.value) is type(plain.value), f"raised {refused.value!r}, the plain function {plain.value!r}"
    assert str(refused.value) == str(plain.value)
