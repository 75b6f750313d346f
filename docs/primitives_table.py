"""Writes docs/primitives.md from the primitives' records: `python docs/primitives_table.py`.

The page is generated, never edited by hand: `tests/test_docs.py` fails when it differs
from what the records say (with the versions it was generated with: which functions
NumPy, SciPy and `math` have depends on them).
"""

from __future__ import annotations

import ast
import inspect
import platform
import sys
import textwrap
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg
import scipy.special
import scipy.stats

from ad_compiler.primitives import PRIMITIVES, Primitive

PAGE = Path(__file__).resolve().parent / "primitives.md"

INTRO = """\
# Primitives

A primitive is an IR prim: a call the compiler does not look into (`np.sin(x)`,
`x @ y`, `np.linalg.inv(a)`, `scipy.special.gammaln(x)`). What the compiler knows about
each is one record (`ad_compiler/primitives/record.py`), defined in the family module of
`ad_compiler/primitives/` beside its rules: the callable and the ndarray methods written
for it, its operand count, its traits, its kind (shape and dtype) rule, its VJP and JVP
rules (Python source, inlined into derivatives, so every order works), and its SymPy
counterpart. Passes, codegen, the verifier and the checker ask the record; no other table
names primitives. SciPy's families are defined when SciPy is first seen: the compiler
never imports it itself.

Adding an elementwise NumPy function touches two files: its two rules in its family module
(a ufunc's traits and kind come from the ufunc) and a line in its family's test table in
`tests/rules/`, which checks reverse, forward, batched forward and second-order
derivatives against central differences. A function of your own, SciPy's or a C
extension's gets rules the same way (`ad_compiler.defvjp`, [api.md](api.md)).

Traits: **E** elementwise; **B** broadcasting (several operands broadcast against each
other: the transform, not the rule, reduces each cotangent to its operand's shape);
**L** linear (zero when an operand is: the forward transform drops the term); **V** may
return a view of its first operand (element writes through either are refused where the
other is read); **R** a reduction over `axis`. The rule column shows what the VJP rule
returns (the general rule, where there is one per rank); every primitive listed with a
VJP rule has a JVP rule too.
"""


def _family(p: Primitive) -> str:
    """The family module that defines the primitive's rules (SciPy's by its namespace: a
    rule maker of another family may have made them)."""
    if p.name.startswith("scipy."):
        return "scipy_" + p.name.split(".")[1]
    if p.name.startswith("ad_compiler.primitives.fused."):
        return "fused (NumPy expressions differentiated whole: see reverse-mode.md)"
    fn = p.vjps[0].fn if p.vjps else p.infer
    module = getattr(fn, "__module__", None) or ""
    return module.rpartition(".")[2] if module.startswith("ad_compiler.primitives") else "defined elsewhere"


def _returned(fn) -> str:
    """The expression a rule returns last, as its source writes it."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return ""
    found = [node for node in ast.walk(tree.body[0]) if isinstance(node, ast.Return) and node.value is not None]
    text = ast.unparse(found[-1].value) if found else ""
    return text if len(text) <= 90 else text[:87] + "..."


def _traits(p: Primitive) -> str:
    flags = [(p.elementwise, "E"), (p.broadcasting, "B"), (p.linear, "L"), (p.view, "V"), (p.reduces, "R")]
    return " ".join(letter for on, letter in flags if on)


def _row(p: Primitive) -> str:
    methods = ", ".join(f"`x.{m}()`" for m in p.methods)
    general = next((r for r in p.vjps if r.ranks is None and r.dtypes is None), p.vjps[0])
    rule = _returned(general.fn).replace("|", "\\|")
    more = f" (+{len(p.vjps) - 1} by rank or dtype)" if len(p.vjps) > 1 else ""
    return f"| `{p.name}` | {methods} | {_traits(p)} | `{rule}`{more} | {p.sympy and '✓' or ''} |"


def render() -> str:
    PRIMITIVES.name_of(scipy.special.gammaln)  # (SciPy's families: defined at the first lookup)
    records = list(PRIMITIVES)
    derived = [p for p in records if p.vjps]
    families: dict[str, list[Primitive]] = {}
    for p in derived:
        families.setdefault(_family(p), []).append(p)
    versions = (f"Python {platform.python_version_tuple()[0]}.{platform.python_version_tuple()[1]}, "
                f"NumPy {np.__version__.rsplit('.', 1)[0]}, SciPy {scipy.__version__.rsplit('.', 1)[0]}")
    out = [INTRO, f"{len(derived)} primitives have derivative rules (generated with {versions}).\n"]
    for family in sorted(families):
        out.append(f"## {family}\n")
        out.append("| prim | methods | traits | VJP rule returns | SymPy |")
        out.append("|---|---|---|---|---|")
        out += [_row(p) for p in sorted(families[family], key=lambda p: p.name)]
        out.append("")
    zero = sorted(p.name for p in records if not p.differentiable)
    out.append("## Without derivative\n")
    out.append("Piecewise constant, integer-valued or structural: they stop derivatives (no rule needed).\n")
    out.append(", ".join(f"`{name}`" for name in zero) + "\n")
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--print"]:
        sys.stdout.write(render())
    else:
        PAGE.write_text(render())
        sys.stdout.write(f"wrote {PAGE}\n")
