"""The expression-swell script: SymPy's raw derivative of sin(x) * x composed k times
swells, the emitted derivative grows linearly; and docs/ carries its table to k = 12."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sympy")

ROOT = Path(__file__).resolve().parent.parent


def _rows(text: str, family: str) -> list[list[str]]:
    section = text.split(f"`{family}_k`:")[1].split("\n\n", 2)[1]
    return [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()[2:] if line.startswith("|")]


def test_the_emitted_derivative_grows_linearly_while_sympys_swells() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "expression_swell.py"), "--max-k", "6"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout, "composed")
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5, 6]
    emitted = [int(r[3]) for r in rows]
    steps = {b - a for a, b in zip(emitted[1:], emitted[2:])}
    assert len(steps) == 1  # a fixed number of operations per composed step
    raw = [int(r[1]) for r in rows]
    assert all(b > 2 * a for a, b in zip(raw[2:], raw[3:]))  # more than doubling each step


def test_docs_carry_the_table_to_twelve() -> None:
    text = (ROOT / "docs" / "expression-swell.md").read_text()
    for family in ("composed", "horner"):
        rows = _rows(text, family)
        assert [int(r[0]) for r in rows] == list(range(1, 13))
    assert re.search(r"\| 12 \| 413696 \| 213 \| 81 \|", text)
