"""The random-program fuzzer (tests/fuzz, docs/fuzzing.md), in a bounded run and in parts.

The bounded run generates a fixed range of programs from a fixed seed (assignments,
arithmetic and NumPy functions over floats and arrays, indexing reads and writes, ifs,
for and while loops nested two deep with break, continue and early returns, helper
functions, tuples, random draws and appends to a log, which every derivative must run
once per call), differentiates each in every mode and compares with central
differences. No internal error, wrong value or wrong effect count may appear, and most
programs must compile and be checked: a grammar that drifted into refusals tests
nothing. The range is one the compiler passes today, so a failure here is a regression;
larger runs (`python -m tests.fuzz`, docs/fuzzing.md) find the bugs still open. The other
tests show that the parts have teeth: the checks catch a wrong gradient and a repeated
effect, the twin sees a kink, the shrinker keeps a failure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fuzz import checks
from tests.fuzz.grammar import generate
from tests.fuzz.oracle import Modules, smooth_at
from tests.fuzz.run import Settings, campaign
from tests.fuzz.shrink import shrink
from tests.fuzz.summary import BUGS

SEED = 15
PROGRAMS = range(46, 126)
CONSTRUCTS = {"draw", "log", "if_else", "for_range", "while_loop", "unary", "binary", "reduction", "setitem",
              "early_return", "jump", "call", "element"}
"""Constructs the bounded run must use (those of the hypothesis-based generator it replaced, and more)."""

PROGRAM = """
import numpy as np

LOG = []


def f(x, y):
    s = np.sum(np.sin(x) * y)
    LOG.append(float(s))
    if abs(s) > 0.25:
        s = s * np.tanh(y[0])
    return s
"""


@pytest.fixture()
def modules(tmp_path: Path) -> Modules:
    return Modules(tmp_path)


def test_bounded_run() -> None:
    tally = campaign(PROGRAMS, Settings(seed=SEED, second_order=0.3, timeout=60.0), jobs=1)
    bugs = {k: n for k, n in tally.classes.items() if tally.kinds[k] in BUGS}
    assert not bugs, "\n".join(
        f"{n} x {k}: reproduce with `python -m tests.fuzz --seed {SEED} --only {tally.first[k][0].number}`"
        for k, n in bugs.items())
    assert tally.checked_fraction() >= 0.7, tally.report(0.0, 1)
    assert CONSTRUCTS <= set(tally.rules), f"constructs not generated: {CONSTRUCTS - set(tally.rules)}"


def test_programs_are_deterministic_per_seed_and_number() -> None:
    assert generate(3, 17).source == generate(3, 17).source
    assert generate(3, 17).source != generate(3, 18).source != generate(4, 17).source


def test_the_checks_catch_a_wrong_gradient(modules: Modules, monkeypatch: pytest.MonkeyPatch) -> None:
    with modules.loaded(PROGRAM) as (f, _):
        args = (np.array([0.3, -0.4, 0.8]), np.array([0.5, 0.2, -0.7]))
        checks.run_check("grad", f, args, 0)  # right as compiled
        grad = checks.ad_compiler.grad

        def off(*a, **k):
            derivative = grad(*a, **k)
            return lambda *xs: tuple(g * 1.001 for g in derivative(*xs))

        monkeypatch.setattr(checks.ad_compiler, "grad", off)
        with pytest.raises(checks.WrongValue, match="central differences"):
            checks.run_check("grad", f, args, 0)


def test_the_checks_catch_an_effect_run_twice(modules: Modules, monkeypatch: pytest.MonkeyPatch) -> None:
    with modules.loaded(PROGRAM) as (f, _):
        args = (np.array([0.3, -0.4, 0.8]), np.array([0.5, 0.2, -0.7]))
        jvp = checks.ad_compiler.jvp

        def twice(fun, primals, tangents):
            fun(*primals)
            return jvp(fun, primals, tangents)

        monkeypatch.setattr(checks.ad_compiler, "jvp", twice)
        with pytest.raises(checks.WrongEffects, match="2 appends to LOG, one call of the program makes 1"):
            checks.run_check("jvp", f, args, 0)


def test_the_twin_sees_a_kink(modules: Modules) -> None:
    y = np.array([0.5, 0.2, -0.7])
    with modules.loaded(PROGRAM) as (f, twin):
        # s = sum(sin(x) * y) is 0.25 + 1e-6 here, next to the kink of abs(s) > 0.25 ...
        x = np.array([np.arcsin((0.25 + 1e-6) / 0.5), 0.0, 0.0])
        assert not smooth_at(f, twin, (x, y))
        # ... and far from it here
        assert smooth_at(f, twin, (np.array([0.3, -0.4, 0.8]), y))


def test_the_shrinker_keeps_the_failure_and_drops_the_rest() -> None:
    program = generate(SEED, 5)
    args = tuple(0.5 if not shape else np.full(shape, 0.5) for _, shape in program.params)

    def fails(candidate: str, args: tuple) -> bool:
        return "RS.seed(0)" in candidate and "return" in candidate

    small, _, tried = shrink(program.source, args, fails, budget=30.0)
    assert fails(small, ()) and tried > 0
    assert len(small.splitlines()) < len(program.source.splitlines()) // 2, small


def test_every_primitive_of_the_family_tables_is_in_the_grammar() -> None:
    """The primitives the families of tests/rules/ test are written by the fuzzer's
    library-call construct (tests/fuzz/forms_*.py)."""
    from tests.fuzz.forms import every_form
    from tests.test_rules import every_spec, SPECS

    family = {s.prim for s in every_spec()} - {s.prim for s in SPECS}
    written = {prim for form in every_form() for prim in form.prims}
    assert sorted(family - written) == []


def test_every_form_gives_the_shapes_it_says() -> None:
    """Each form, at each shape the grammar asks for, run on operands of the shapes it
    asks for, gives an array of that shape (so generated programs are valid)."""
    from tests.fuzz.forms import every_form
    from tests.fuzz.gen import SHAPES

    rng = np.random.default_rng(0)
    for form in every_form():
        for shape in SHAPES:
            operands = form.operands(shape)
            if operands is None:
                continue
            args = [rng.uniform(-1.0, 1.0, s) if s else float(rng.uniform(-1.0, 1.0)) for s in operands]
            scope = {"np": np, "args": args}
            exec("import math\nimport scipy.linalg\nimport scipy.special\nimport scipy.stats\n"  # noqa: S102
                 "from scipy import linalg, special, stats", scope)
            text = form.template.format(*(f"args[{k}]" for k in range(len(args))))
            value = eval(text, scope)  # noqa: S307 - the grammar's own templates
            assert np.shape(value) == shape, (form.template, shape)
