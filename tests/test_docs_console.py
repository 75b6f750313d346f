"""Every `console` block of the README and docs/ is real: each `$ adc ...` command is run
(in a copy of the examples) and the lines shown after it are what it prints.

An excerpt may leave lines out with a line `...`. Error columns of `adc check` (numbers
like `7.3e-11`) are compared by position only: their last digits depend on the platform's
libm, not on the compiler.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_ERROR_NUMBER = re.compile(r"\b\d\.\de[-+]\d\d\b")


def _blocks() -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """(page, [(command, expected lines), ...]) for every console block."""
    found = []
    for page in PAGES:
        for block in re.findall(r"```console\n(.*?)```", page.read_text(), re.S):
            session: list[tuple[str, list[str]]] = []
            for line in block.splitlines():
                if line.startswith("$ "):
                    session.append((line[2:], []))
                else:
                    session[-1][1].append(line)
            found.append((page.name, session))
    return found


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Whether `actual` is `expected` with each `...` standing for any run of lines."""
    pattern = "\n".join(
        ".*?" if line == "..." else re.escape(_ERROR_NUMBER.sub("#", line)) for line in expected
    )
    pattern = pattern.replace("\n.*?\n", "(?:\n.*?)?\n")
    text = "\n".join(_ERROR_NUMBER.sub("#", line) for line in actual)
    return re.fullmatch(pattern, text, re.S) is not None


BLOCKS = _blocks()


def test_the_pages_have_console_blocks() -> None:
    assert {page for page, _ in BLOCKS} >= {"README.md", "cli.md"}


@pytest.mark.parametrize("page, session", BLOCKS, ids=[f"{p}: {s[0][0][:60]}" for p, s in BLOCKS])
def test_console_block_is_real_output(page: str, session: list, tmp_path: Path) -> None:
    """The commands of a block run in turn, in one directory (a later one may read
    what an earlier one wrote)."""
    if any(" graph " in c and (".svg" in c or ".png" in c) for c, _ in session) and shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "docs").mkdir()
    for source in (ROOT / "docs").glob("*.py"):
        shutil.copy(source, tmp_path / "docs")
    for command, expected in session:
        shell = f'adc() {{ "{sys.executable}" "{ROOT / "cli.py"}" "$@"; }}\n{command} 2>&1'
        result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, cwd=tmp_path)
        actual = result.stdout.splitlines()
        assert _matches(expected, actual), f"{page}: $ {command}\n" + "\n".join(actual)


def test_excerpts_match_as_documented() -> None:
    assert _matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert _matches(["a", "...", "b"], ["a", "b"])
    assert _matches(["x 7.3e-11 ok"], ["x 1.0e-12 ok"])
    assert not _matches(["a", "d"], ["a", "b", "d"])
    assert not _matches(["a", "...", "d"], ["a", "b", "c", "d", "e"])
    assert not _matches(["value 1.25"], ["value 1.35"])
