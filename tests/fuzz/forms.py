"""Calls of library primitives the grammar may write, one `Form` each, listed by family in
`tests/fuzz/forms_*.py` (one module per family of `ad_compiler/primitives`).

A form is a template with `{0}`, `{1}`, ... for its operands and the shapes those operands
take for a wanted result shape (None: the form cannot give that shape). The template keeps
operands in the primitive's domain itself (`np.linalg.inv(np.eye(3) * 3.0 + {0})`), since
the operands are arbitrary expressions of floats of about unit size.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .scope import Shape


@dataclass(frozen=True)
class Form:
    template: str
    operands: Callable[[Shape], tuple[Shape, ...] | None]
    prims: tuple[str, ...]
    """The prims the call exercises (what `test_fuzz` checks the grammar covers)."""
    view: bool = False
    """Its result may share memory with its first operand (np.flip): the grammar tracks it."""
    weight: float = 1.0


def same(n: int = 1) -> Callable[[Shape], tuple[Shape, ...]]:
    """Operands of the result's shape (an elementwise call of `n` operands)."""
    return lambda shape: (shape,) * n


def only(result: Shape, *operands: Shape) -> Callable[[Shape], tuple[Shape, ...] | None]:
    """One result shape, from operands of fixed shapes."""
    return lambda shape: operands if shape == result else None


def every_form() -> list[Form]:
    """The forms of every family module."""
    found: list[Form] = []
    for path in sorted(Path(__file__).parent.glob("forms_*.py")):
        found += importlib.import_module(f"{__package__}.{path.stem}").FORMS
    return found
