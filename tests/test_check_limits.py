"""The limits of the symbolic baseline (`ad_compiler.check.limits`): past a number of
operations or of seconds it gives up, at the step it was at, with a reason that says how
to raise the limit in the caller's words; and it leaves nothing running behind."""

from __future__ import annotations

import signal
import sys
import threading
import time
from itertools import count

import numpy as np
import pytest

from ad_compiler.check import numeric
from ad_compiler.check.limits import COMMAND_LINE, PYTHON, UNLIMITED, Budget, LimitReached, Limits
from ad_compiler.check.symbolic import Sizes, symbolic_derivative

sympy = pytest.importorskip("sympy")


def spine(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def mlp(W, X, y):
    h = np.tanh(X @ W * 0.05)
    return np.mean((np.sum(h, axis=1) - y) ** 2)


def composed(x):
    for _ in range(9):
        x = np.sin(x) * x
    return x


def ticking(step: float = 1.0):
    """A clock that advances by `step` each time it is read."""
    ticks = count()
    return lambda: next(ticks) * step


def test_past_the_operations_limit_the_reason_says_how_to_raise_it() -> None:
    budget = Budget(Limits(operations=20_000, seconds=None))
    budget.size("the thing", 20_000)  # at the limit: fine
    with pytest.raises(LimitReached) as info:
        budget.size("the thing", 20_001)
    assert str(info.value) == ("the thing passed 20,000 operations "
                               "(limit symbolic_limit=20000; raise it, or symbolic_limit=None for no limit)")
    with pytest.raises(LimitReached) as info:
        Budget(Limits(operations=10, seconds=None), COMMAND_LINE).size("the thing", 11)
    assert "(limit --symbolic-limit 10; raise it, or --symbolic-limit none for no limit)" in str(info.value)


def test_past_the_time_limit_the_reason_says_where_it_stopped() -> None:
    budget = Budget(Limits(operations=None, seconds=2.5), clock=ticking())  # started at 0
    budget.tick("a")  # 1 s
    budget.tick("b")  # 2 s
    with pytest.raises(LimitReached) as info:
        budget.tick("differentiating")  # 3 s
    assert str(info.value) == ("SymPy took more than 2.5 s, stopped differentiating "
                               "(limit symbolic_seconds=2.5; raise it, or symbolic_seconds=None for no limit)")
    with pytest.raises(LimitReached, match="limit --symbolic-seconds 0; raise it, or --symbolic-seconds none"):
        Budget(Limits(operations=None, seconds=0.0), COMMAND_LINE, clock=ticking()).tick("here")


def test_no_limit_is_no_limit() -> None:
    budget = Budget(UNLIMITED, clock=ticking(1e9))
    done = []
    for name, step in (("size", lambda: budget.size("anything", 10**12)), ("tick", lambda: budget.tick("anywhere"))):
        try:
            step()
        except LimitReached as err:
            pytest.fail(f"an unlimited budget stopped: {err}")
        done.append(name)
    assert done == ["size", "tick"]


@pytest.mark.parametrize("operations, seconds, message", [
    (-1, None, "symbolic_limit=-1: give a number of operations"),
    (2.5, None, "symbolic_limit=2.5: give a number of operations"),
    (True, None, "symbolic_limit=True"),
    (None, -1.0, "symbolic_seconds=-1.0: give a number of seconds"),
    (None, "5", "symbolic_seconds='5'"),
    (None, float("nan"), "symbolic_seconds=nan"),
])
def test_a_limit_that_is_not_a_number_is_refused(operations, seconds, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Limits(operations, seconds)


def test_numpy_numbers_are_numbers() -> None:
    with pytest.raises(LimitReached, match="passed 5 operations"):
        Budget(Limits(np.int64(5), np.float32(2.0))).size("it", 6)


def test_the_spellings_of_the_settings() -> None:
    assert PYTHON.setting("symbolic", False) == "symbolic=False"
    assert COMMAND_LINE.setting("symbolic", False) == "--no-symbolic"
    assert PYTHON.setting("symbolic_seconds", 4.0) == "symbolic_seconds=4.0"
    assert COMMAND_LINE.setting("symbolic_seconds", 4.0) == "--symbolic-seconds 4"
    assert COMMAND_LINE.setting("symbolic_limit", None) == "--symbolic-limit none"


def test_a_large_mlp_stops_at_its_matrix_product_before_building_it() -> None:
    """(64, 8) weights on 32 samples: the product alone is 32 * 8 entries of 127 operations."""
    rng = np.random.default_rng(0)
    W, X, y = rng.normal(size=(64, 8)), rng.normal(size=(32, 64)), rng.normal(size=32)
    start = time.perf_counter()
    with pytest.raises(LimitReached) as info:
        symbolic_derivative(mlp, (W, X, y), (0,), Budget(Limits(operations=20_000, seconds=None)))
    assert time.perf_counter() - start < 1.0  # refused from the shapes, not after building 32,512 operations
    assert str(info.value).startswith("the function's SymPy expression passed 20,000 operations (limit symbolic_limit=")


def test_a_derivative_that_swells_stops_at_its_size() -> None:
    """sin(x) * x composed 9 times is 1,022 operations; its derivative, 31,744."""
    with pytest.raises(LimitReached, match="^SymPy's derivative passed 20,000 operations"):
        symbolic_derivative(composed, (0.7,), (0,), Budget(Limits(operations=20_000, seconds=None)))
    (value,) = symbolic_derivative(composed, (0.7,), (0,), Budget(Limits(operations=40_000, seconds=None))).evaluate(0.7)
    assert value == pytest.approx(numeric.gradient(composed, (0.7,), 0, richardson=True), rel=1e-9)


def test_the_clock_is_read_in_every_stage() -> None:
    """With a clock that advances a second per reading, a limit of s seconds stops the
    baseline at its (s+1)-th step: every stage has steps, in order, until it finishes."""
    stages = []
    for seconds in range(200):
        try:
            symbolic_derivative(spine, (1.0, 2.0, 0.5), (0, 1, 2),
                                Budget(Limits(operations=None, seconds=seconds), clock=ticking()))
        except LimitReached as err:
            stages.append(str(err).split("stopped ")[1].split(",")[0].split(" (")[0])
            continue
        break
    else:
        pytest.fail("the baseline never finished")
    assert list(dict.fromkeys(stages)) == ["converting the function", "differentiating", "compiling the derivative"]
    assert stages.count("differentiating") == 3 and stages.count("compiling the derivative") == 3


def test_giving_up_leaves_nothing_behind() -> None:
    """The limits are read between steps in the caller's thread: no thread, alarm or trace
    hook is left in the user's process."""
    before = (threading.active_count(), signal.getsignal(signal.SIGALRM), sys.gettrace(), sys.getprofile())
    with pytest.raises(LimitReached):
        symbolic_derivative(spine, (1.0, 2.0, 0.5), (0,), Budget(Limits(operations=None, seconds=0.0)))
    after = (threading.active_count(), signal.getsignal(signal.SIGALRM), sys.gettrace(), sys.getprofile())
    assert after == before


def test_sizes_count_as_count_ops_does() -> None:
    x = sympy.Symbol("x", real=True)
    e = x
    for _ in range(8):
        e = sympy.sin(e) * e  # a tree of 2 ** 8 leaves, 17 distinct nodes
    derivative = sympy.diff(e, x)
    assert Sizes().of(derivative) == sympy.count_ops(derivative) == 13_056
    y = sympy.Symbol("y", real=True)
    entries = np.array([x + y, sympy.exp(x * y * 2), 1.5], dtype=object)
    assert Sizes().of(entries) == sum(sympy.count_ops(v) for v in entries) == 1 + 3
    assert Sizes().of(3) == Sizes().of((2, 3)) == Sizes().of(np.ones(4)) == 0
