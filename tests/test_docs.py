"""The documentation names every primitive that has a rule, so the table cannot fall behind."""

from pathlib import Path

from ad_compiler.ad.rules import RULES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_primitive_table_names_every_rule() -> None:
    text = (DOCS / "primitives.md").read_text()
    missing = [p for p in RULES.prims() if f"`{p}`" not in text]
    assert missing == []
