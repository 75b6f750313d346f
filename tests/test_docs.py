"""The documentation names every primitive that has a rule, so the table cannot fall behind."""

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_primitive_page_is_what_the_records_say() -> None:
    """docs/primitives.md is generated (`python docs/primitives_table.py`): it must be what
    the records say (in a fresh process: no test's own primitives), where the versions are
    those it was generated with."""
    import re
    import subprocess
    import sys

    import pytest

    generated = subprocess.run([sys.executable, str(DOCS / "primitives_table.py"), "--print"], check=True,
                               capture_output=True, text=True).stdout
    text = (DOCS / "primitives.md").read_text()
    versions = [re.search(r"generated with ([^)]*)", t).group(1) for t in (text, generated)]
    if versions[0] != versions[1]:
        pytest.skip(f"the page was generated with {versions[0]}, this is {versions[1]}")
    assert text == generated, "docs/primitives.md is stale: run python docs/primitives_table.py"


def test_readme_counts_the_primitives_the_page_lists() -> None:
    """The README's number of primitives with rules is the generated page's."""
    import re

    page = re.search(r"(\d+) primitives have derivative rules", (DOCS / "primitives.md").read_text()).group(1)
    readme = re.search(r"(\d+) NumPy and SciPy primitives have derivative rules",
                       (DOCS.parent / "README.md").read_text()).group(1)
    assert readme == page


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


def test_forward_mode_pictures_are_what_the_compiler_emits(tmp_path) -> None:
    """docs/forward-mode.md shows the JVP of its example and the Hessian of the RNN loss
    exactly as the compiler emits them."""
    import re
    import runpy

    import numpy as np

    from ad_compiler import hessian
    from ad_compiler.api import _CACHE
    from ad_compiler.ir.types import kind_of
    from ad_compiler.pipeline import JVPOptions

    doc = (DOCS / "forward-mode.md").read_text()
    program, jvp_shown, hessian_shown = re.findall(r"```python\n(.*?)```", doc, re.S)[:3]
    script = tmp_path / "example.py"
    script.write_text(program)
    f = runpy.run_path(str(script))["f"]
    args = (1.0, 2.0, 0.5)
    assert _CACHE.version(f, JVPOptions((0, 1, 2)), tuple(kind_of(a) for a in args)).source == jvp_shown

    example = runpy.run_path(str(DOCS.parent / "examples" / "rnn.py"))
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(16, 16)), rng.normal(size=(16, 8)), rng.normal(size=16), rng.normal(size=(50, 8)))
    h = hessian(example["rnn_loss"], argnums=2)
    h(*args)
    assert h.source == hessian_shown
