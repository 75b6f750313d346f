"""Calls of the functions that make arrays and are differentiable in their operands
(`primitives/creation.py`): np.linspace, in its ends (numbers, or rows of them: the
samples along axis 0)."""

from __future__ import annotations

from .forms import Form, only

FORMS = [
    Form("np.linspace({0}, {1}, 3)", only((3,), (), ()), ("np.linspace",), weight=0.5),
    Form("np.linspace({0}, {1}, 3, endpoint=False)", only((3,), (), ()), ("np.linspace",), weight=0.3),
    Form("np.linspace({0}, {1}, 2)", only((2, 3), (3,), (3,)), ("np.linspace",), weight=0.3),
]
