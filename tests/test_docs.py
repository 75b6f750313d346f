"""The documentation names every primitive that has a rule, so the table cannot fall behind."""

from pathlib import Path

from ad_compiler.ad.rules import RULES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_primitive_table_names_every_rule() -> None:
    text = (DOCS / "primitives.md").read_text()
    missing = [p for p in RULES.prims() if f"`{p}`" not in text]
    assert missing == []


def test_readme_shows_the_source_the_compiler_emits(tmp_path) -> None:
    """The README's first example, run as a file, prints exactly the README's second block."""
    import re
    import runpy

    readme = (DOCS.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    program, shown = blocks[0], blocks[1]
    script = tmp_path / "example.py"
    script.write_text(program.replace("print(df.source)", "SOURCE = df.source"))
    namespace = runpy.run_path(str(script))
    assert namespace["SOURCE"] == shown


def test_reverse_mode_picture_is_what_the_compiler_emits() -> None:
    """docs/reverse-mode.md shows the RNN gradient exactly as examples/rnn.py emits it."""
    import re
    import runpy

    import numpy as np

    from ad_compiler import grad

    doc = (DOCS / "reverse-mode.md").read_text()
    shown = re.findall(r"```python\n(.*?)```", doc, re.S)[1]
    example = runpy.run_path(str(DOCS.parent / "examples" / "rnn.py"))
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(16, 16)), rng.normal(size=(16, 8)), rng.normal(size=16), rng.normal(size=(50, 8)))
    dloss = grad(example["rnn_loss"], argnums=(0, 1))
    dloss(*args)
    assert dloss.source == shown
