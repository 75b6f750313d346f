"""docs/api.md names every public function, and each of its examples runs (as a file:
lambdas need their source) with its assertions holding."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

import ad_compiler

PAGE = Path(__file__).resolve().parent.parent / "docs" / "api.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)


def test_every_public_name_has_a_section() -> None:
    headings = [line for line in PAGE.read_text().splitlines() if line.startswith("## ")]
    missing = [name for name in ad_compiler.__all__ if not any(f"`{name}" in h for h in headings)]
    assert missing == []


@pytest.mark.parametrize("k", range(len(EXAMPLES)))
def test_example_runs(k: int, tmp_path: Path) -> None:
    example = EXAMPLES[k]
    assert re.search(r"\bassert\b|check_grads\(", example), "an example checks what it shows"
    script = tmp_path / f"example_{k}.py"
    script.write_text(example)
    runpy.run_path(str(script))  # (its assertions raise AssertionError if a result is wrong)
