"""What a user's `python -W error` run sees: no warning from the compiler, on any supported
Python (3.10-3.13; astor 0.8 warns about `ast.Num` on 3.12 and 3.13, and the compiler
keeps that to itself). The compiles run in a fresh interpreter, as a user's test suite
would run them, and their derivatives are checked against analytic formulas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

MODEL = '''\
import numpy as np


def f(x, y):
    return np.sum(np.sin(x) * y ** 2) + np.log1p(x @ x)


def looped(x, n):
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    s = 0.0
    for i in range(n):
        if i % 2 == 0 and not n < 0:
            s = s + np.sum(x ** 2) / (i + 1)
        else:
            s = s + np.sum(x ** -2.0) / (i + 1)
    return s
'''

SCRIPT = '''\
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import ad_compiler as adc
from model import f, looped

x, y = np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -0.7])
generic = adc.grad(f).source  # before any call: the version for arguments of any shape
bx, by = adc.grad(f, argnums=(0, 1))(x, y)
forward = adc.grad(f, mode="forward")(x, y)
_, tangent = adc.jvp(f, (x, y), (np.ones(3), np.zeros(3)))
hessian = adc.hessian(f)(x, y)
loop = adc.grad(looped)(x, 3)
import dmodel  # the module `adc grad` wrote
written = dmodel.grad_f(x, y)
print(json.dumps({
    "generic": generic, "bx": bx.tolist(), "by": by.tolist(), "forward": forward.tolist(),
    "tangent": float(tangent), "hessian": hessian.tolist(), "loop": loop.tolist(),
    "written": [g.tolist() for g in written],
}))
'''


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """A fresh interpreter with every warning an error, as `pytest -W error` makes them."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run([sys.executable, "-W", "error", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_no_warning_reaches_a_run_with_warnings_as_errors(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "script.py").write_text(SCRIPT)
    cli = run([str(ROOT / "cli.py"), "grad", "model.py:f", "--argnums", "0,1", "--shapes", "x=(3,), y=(3,)",
               "-o", "dmodel.py"], tmp_path)
    assert (cli.returncode, cli.stderr) == (0, "")
    result = run([str(tmp_path / "script.py"), str(tmp_path)], tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    out = json.loads(result.stdout)

    x, y = np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -0.7])
    s = 1.0 + x @ x
    bx, by = np.cos(x) * y ** 2 + 2 * x / s, 2 * np.sin(x) * y
    hessian = np.diag(-np.sin(x) * y ** 2 + 2 / s) - 4 * np.outer(x, x) / s ** 2
    for got, want in [(out["bx"], bx), (out["by"], by), (out["forward"], bx), (out["tangent"], bx.sum()),
                      (out["hessian"], hessian), (out["written"], [bx, by])]:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out["loop"], 2 * x * (1 + 1 / 3) - 2 * x ** -3.0 / 2, rtol=1e-12)
    assert out["generic"].startswith("def ") and "# line 5: return np.sum(np.sin(x) * y ** 2)" in out["generic"]
