"""Session setup. With ADC_TEST_WITHOUT_ASTOR=1 in the environment, astor cannot be imported
by the tests or by the interpreters they start (with the environment passed on), so the
suite checks the printer codegen falls back to, `ast.unparse`: what prints the emitted
code where astor cannot run (DESIGN §6)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

WITHOUT_ASTOR = os.environ.get("ADC_TEST_WITHOUT_ASTOR") == "1"
_HIDING = Path(__file__).resolve().parent / "without_astor"  # an `astor.py` whose import fails


def pytest_configure(config: pytest.Config) -> None:
    if WITHOUT_ASTOR:
        sys.path.insert(0, str(_HIDING))
        sys.modules.pop("astor", None)
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_HIDING), os.environ.get("PYTHONPATH")]))


def pytest_report_header(config: pytest.Config) -> str | None:
    return "astor hidden (ADC_TEST_WITHOUT_ASTOR=1): emitted code is printed by ast.unparse" if WITHOUT_ASTOR else None
