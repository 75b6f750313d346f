"""Calls of every elementwise primitive of the family tables (`tests/rules/test_*.py`),
made from their `Spec`s: the operands squashed into the interval each spec draws from
(`lo + (hi - lo) * (0.5 + 0.5 * np.tanh(x))`), where the rules are tested. So a primitive
added with its two rules and a line in its family's table is in the grammar too."""

from __future__ import annotations

import importlib
from pathlib import Path

from ad_compiler.primitives import PRIMITIVES

from .forms import Form, only, same

SPELLED = ("np", "math", "scipy")
"""Prims a program spells by their names (`scipy.special.expit`: the header imports it)."""


def _squashed(lo: float, hi: float, k: int, scalar: bool) -> str:
    tanh = "math.tanh" if scalar else "np.tanh"
    return f"({lo!r} + {hi - lo!r} * (0.5 + 0.5 * {tanh}({{{k}}})))"


def _forms() -> list[Form]:
    found: list[Form] = []
    folder = Path(__file__).resolve().parent.parent / "rules"
    for path in sorted(folder.glob("test_*.py")):
        for spec in importlib.import_module(f"tests.rules.{path.stem}").SPECS:
            if spec.call is not None or spec.shapes is not None or spec.prim.split(".")[0] not in SPELLED:
                continue
            if not PRIMITIVES.get(spec.prim).elementwise:
                continue
            operands = ", ".join(_squashed(spec.lo, spec.hi, k, spec.scalar_only) for k in range(spec.arity))
            shapes = only((), *((),) * spec.arity) if spec.scalar_only else same(spec.arity)
            found.append(Form(f"{spec.prim}({operands})", shapes, (spec.prim,), weight=0.2))
    return found


FORMS = _forms()
