"""The command line as a user runs it: a subprocess, its output and its exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def adc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=cwd
    )


def test_show_prints_the_generic_gradient() -> None:
    result = adc("show", "examples/quickstart.py:f", "--argnums", "0,1,2")
    assert result.returncode == 0, result.stderr
    assert "def grad_f(a, b, c):" in result.stdout
    assert "return ba, bb, bc" in result.stdout
    compile(result.stdout, "emitted", "exec")


def test_unsupported_construct_is_a_diagnostic_with_exit_2(tmp_path: Path) -> None:
    source = tmp_path / "model.py"
    source.write_text("import numpy as np\n\ndef f(x):\n    with open('log') as log:\n        x = x * 2\n    return x\n")
    result = adc("show", f"{source}:f")
    assert result.returncode == 2
    assert result.stderr.startswith(f"{source}:4:5: error: with statements are not supported")
    assert "Traceback" not in result.stderr
    assert result.stderr.rstrip().endswith("^")


def test_missing_file_and_unknown_function_exit_2(tmp_path: Path) -> None:
    missing = adc("show", "nowhere.py:f")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    unknown = adc("show", "examples/quickstart.py:nothing")
    assert unknown.returncode == 2 and "nothing" in unknown.stderr
    assert "Traceback" not in missing.stderr + unknown.stderr
