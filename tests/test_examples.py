"""The example scripts run, and say what they promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    "script, promise",
    [
        ("quickstart.py", "ok: the emitted gradient agrees with central differences"),
        ("logistic_regression.py", "loss after 300 steps"),
        ("rnn.py", "largest difference from central differences"),
        ("newton.py", "Newton-CG with Hessian-vector products"),
    ],
)
def test_example_runs(script: str, promise: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLES.parent), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert promise in result.stdout
    assert "def grad_" in result.stdout or "def hessian_" in result.stdout
