"""`import ad_compiler` stays light: it loads none of the heavy modules that only one
command or one checking method needs (benchmarks/bench_import.py measures the time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAVY = ("numpy.f2py", "numpy.testing", "numpy.random", "sympy", "scipy", "astor", "IPython", "pygments")
"""numpy.f2py and numpy.testing are NumPy submodules it loads only when asked for (getting
every name of `dir(np)` asks); numpy.random is needed only once a generator exists;
astor only when code is printed; SymPy, SciPy, IPython and pygments only by `check`, a
user's program, a notebook and `adc show` on a terminal."""


def modules_after(statement: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `statement`."""
    script = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def test_importing_ad_compiler_loads_no_heavy_module() -> None:
    loaded = modules_after("import ad_compiler")
    assert "ad_compiler.api" in loaded  # (the import ran, from this checkout)
    assert heavy(loaded) == []


def test_the_probe_sees_a_heavy_module_when_one_is_loaded() -> None:
    """The same probe, on an import that does load some: an empty list above means absent."""
    assert "numpy.testing" in heavy(modules_after("import ad_compiler, numpy.testing"))


def heavy(modules: set[str]) -> list[str]:
    """The heavy modules among `modules` (a package, not each of its submodules)."""
    return sorted(h for h in HEAVY if h in modules)
