"""Random straight-line programs, compiled and checked against central differences.

Hypothesis writes small NumPy functions (assignments over two inputs mixing arithmetic,
constants, elementwise functions and reductions, inside ifs, for loops and while loops
nested two deep; random draws from a module-level RandomState used as data, and appends
of values to a module-level list, which the compiler runs as written); each is written
to a module, differentiated with respect to both inputs, and compared with central
differences, for scalar and for array inputs, through the specialized and the generic
version. Each program reseeds its RandomState first, so it is a deterministic function,
and counts its appends: every derivative must append exactly as often as one call of the
program does. This is what keeps the optimizer's rewrites and the reverse mode over
regions honest. The examples are derandomized: the same on every run.
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ad_compiler import grad
from tests.numeric import numeric_grad

_counter = itertools.count()

UNARY = ["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(0.3 * {})", "np.log(1.5 + np.sin({}))",
         "np.sqrt(2.0 + np.cos({}))", "-{}", "({}) ** 2", "np.arctan({})"]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / (2.5 + np.cos({}))", "np.hypot({}, {})"]
CONSTANTS = ["0.5", "2.0", "-1.5", "3"]


@st.composite
def expressions(draw, names: list[str], depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(names * 3 + CONSTANTS[:1]))
    if draw(st.booleans()):
        template = draw(st.sampled_from(UNARY))
        return "(" + template.format(draw(expressions(names, depth - 1))) + ")"
    template = draw(st.sampled_from(BINARY))
    left = draw(expressions(names, depth - 1))
    right = draw(st.one_of(expressions(names, depth - 1), st.sampled_from(CONSTANTS)))
    return "(" + template.format(left, right) + ")"


@st.composite
def statements(draw, names: list[str], indent: str, depth: int) -> list[str]:
    """Assignments, and (while depth allows) ifs on a comparison and short loops whose
    bodies are statements too; `names` grows with what is assigned at this level."""
    lines: list[str] = []
    for i in range(draw(st.integers(1, 3))):
        kinds = ["assign", "assign", "if", "for", "while", "draw", "log"]
        kind = draw(st.sampled_from(kinds)) if depth else draw(st.sampled_from(["assign", "assign", "draw", "log"]))
        if kind == "draw" and "a" in names:  # a random number: data to the derivative
            target = draw(st.sampled_from(["a", "b", "x", "y"]))
            lines.append(f"{indent}{target} = {draw(st.sampled_from(names))} * RS.uniform(0.5, 1.5)")
            if target not in names:
                names.append(target)
        elif kind == "log" and "a" in names:  # an effect reading a differentiated value
            lines.append(f"{indent}LOG.append(np.sum({draw(st.sampled_from(names))}))")
        elif kind in ("assign", "draw", "log") or not lines and i == 0 and "a" not in names:
            target = draw(st.sampled_from(["a", "b", "x", "y"])) if "a" in names else "a"
            lines.append(f"{indent}{target} = {draw(expressions(names))}")
            if target not in names:
                names.append(target)
        elif kind == "if":
            test = f"np.sum({draw(st.sampled_from(names))}) > {draw(st.sampled_from(['0.0', '0.3', '-0.2']))}"
            then = draw(statements(list(names), indent + "    ", depth - 1))
            other = draw(statements(list(names), indent + "    ", depth - 1))
            lines += [f"{indent}if {test}:", *then, f"{indent}else:", *other]
        elif kind == "for":
            lines += [f"{indent}for k in range({draw(st.integers(0, 3))}):"]
            lines += draw(statements(list(names), indent + "    ", depth - 1))
        else:  # a while loop that certainly stops: it counts, with a counter of its own depth
            n = f"n{depth}"
            lines += [f"{indent}{n} = 0", f"{indent}while {n} < {draw(st.integers(0, 3))}:", f"{indent}    {n} = {n} + 1"]
            lines += draw(statements(list(names), indent + "    ", depth - 1))
    return lines


@st.composite
def programs(draw) -> str:
    names = ["x", "y"]
    lines = ["    RS.seed(0)", "    a = x * 1.0"] + draw(statements(names, "    ", 2))
    names = ["x", "y", "a"]
    result = draw(expressions(names))
    reduce = draw(st.sampled_from(["np.sum({})", "np.mean({})", "np.sum({} * {})"]))
    lines.append("    return " + reduce.format(result, names[-1]))
    header = "import numpy as np\n\nRS = np.random.RandomState(0)\nLOG = []\n\n\ndef f(x, y):\n"
    return header + "\n".join(lines) + "\n"


def _load(source: str, folder: Path):
    path = folder / f"random_program_{next(_counter)}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(source=programs(), arrays=st.booleans(), seed=st.integers(0, 2**16))
def test_random_program_gradient(tmp_path: Path, source: str, arrays: bool, seed: int) -> None:
    f = _load(source, tmp_path)
    log = f.__globals__["LOG"]
    rng = np.random.default_rng(seed)
    if arrays:
        args = (rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (2, 3)))
    else:
        args = (float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1)))
    f(*args)
    appends = len(log)
    df = grad(f, argnums=(0, 1))
    forward = grad(f, argnums=(0, 1), mode="forward")
    versions = []
    for version, derivative in (("specialized", df), ("generic", df.generic), ("forward mode", forward)):
        log.clear()
        versions.append((version, derivative(*args)))
        assert len(log) == appends, f"{version}: {len(log)} appends, one call makes {appends}\n{source}"
    for version, result in versions:
        for i in (0, 1):
            expected = numeric_grad(f, args, i)
            scale = max(1.0, float(np.max(np.abs(expected))))
            np.testing.assert_allclose(
                result[i], expected, rtol=1e-5, atol=1e-6 * scale,
                err_msg=f"{version} gradient, argument {i} of\n{source}\n{df.source}",
            )
