"""vmap of the fuzzer's random programs (tests/fuzz, docs/fuzzing.md) against a loop over
the batch: no wrong value, no internal error, most programs mapped.

Every generated program has effects, which vmap refuses by design (it would run them once
for the whole batch): it reseeds a global RandomState, draws from it, appends to a log and
prints. Here each is made a function of its arguments without effects: the generator is
an object of this module whose methods give fixed values (they have source: the compiler
inlines them, as any method of an object read from outside), and the lines that log or
print are dropped. What remains is the fuzzer's language (arithmetic and NumPy over
floats and arrays, indexing, branches, loops with breaks and early returns, helper
functions, lists, dicts, lambdas), mapped over a batch of three points.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

import ad_compiler
from tests.fuzz.grammar import generate
from tests.fuzz.oracle import Modules

SEED = 7
PROGRAMS = range(150, 230)
BATCH = 3

FIXED_DRAWS = '''class FixedDraws:
    """A generator whose draws are fixed: a function of its arguments, without effects."""

    def normal(self, loc=0.0, scale=1.0, size=None):
        return loc + 0.3 * scale if size is None else np.full(size, loc + 0.3 * scale)

    def uniform(self, low=0.0, high=1.0, size=None):
        return 0.5 * (low + high) if size is None else np.full(size, 0.5 * (low + high))

    def randn(self, *shape):
        return np.full(shape, 0.25) if shape else 0.25

    def standard_normal(self, size=None):
        return 0.1 if size is None else np.full(size, 0.1)

    def rand(self, *shape):
        return np.full(shape, 0.6) if shape else 0.6

    def random(self, size=None):
        return 0.6 if size is None else np.full(size, 0.6)

    def exponential(self, scale=1.0, size=None):
        return scale if size is None else np.full(size, scale)


RS = FixedDraws()'''


def without_effects(source: str) -> str | None:
    """The program with its draws fixed and its logging and printing dropped (each such
    line a `pass`); None where an effect remains (a log read back, a print in an
    expression)."""
    source = source.replace("RS = np.random.RandomState(0)", FIXED_DRAWS).replace("    RS.seed(0)\n", "", 1)
    lines = [re.sub(r"^(\s*)(LOG\.|OUT\.|print\().*$", r"\1pass", line) for line in source.splitlines()]
    text = "\n".join(lines) + "\n"
    if re.search(r"LOG|OUT|print|VERBOSE|RS\.seed", text.split("SQ = lambda", 1)[1]):
        return None
    return text


def test_vmap_of_random_programs(tmp_path: Path) -> None:
    modules = Modules(tmp_path, prefix="mapped")
    outcomes: dict[str, list[int]] = {"checked": [], "refused": [], "skipped": []}
    for number in PROGRAMS:
        program = generate(SEED, number)
        source = without_effects(program.source)
        if source is None:
            outcomes["skipped"].append(number)
            continue
        rng = np.random.default_rng(number)
        shapes = [shape for _, shape in program.params]
        args = [rng.uniform(-1, 1, (BATCH,) + tuple(shape)) for shape in shapes]
        with warnings.catch_warnings(), np.errstate(all="ignore"), modules.loaded(source, twin=False) as (f, _):
            warnings.simplefilter("ignore")
            try:
                loop = np.stack([np.asarray(f(*(a[k] for a in args)), dtype=float) for k in range(BATCH)])
            except Exception:  # noqa: BLE001 - the program fails as plain Python at this point
                outcomes["skipped"].append(number)
                continue
            try:
                mapped = np.asarray(ad_compiler.vmap(f)(*args), dtype=float)
            except ad_compiler.CompileError:
                outcomes["refused"].append(number)
                continue
        assert mapped.shape == loop.shape, f"program {number}: vmap gives {mapped.shape}, the loop {loop.shape}"
        np.testing.assert_allclose(mapped, loop, rtol=1e-7, atol=1e-9, equal_nan=True,
                                   err_msg=f"program {number} (seed {SEED}): vmap disagrees with the loop")
        outcomes["checked"].append(number)
    tried = len(outcomes["checked"]) + len(outcomes["refused"])
    assert len(outcomes["checked"]) >= 0.6 * tried, outcomes
