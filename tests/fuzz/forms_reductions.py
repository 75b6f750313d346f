"""Calls of the reductions and the functions along an axis (`primitives/reductions.py`,
`primitives/cumulative.py`) that the expression rules do not write themselves. The nan
forms get NaNs where an operand is large (a comparison, recorded as a kink by the twin).
The functions of the elements' order (sort, median, ptp, nanmax, nanmin, and nanstd,
whose kink is a zero spread) are not in the twin's table of kinks: their operand is a
fixed spread of distinct values moved a little by the operand, so that no two elements
tie and the order is that of the spread, not always the identity.
"""

from __future__ import annotations

import numpy as np

from .forms import Form, only
from .scope import Shape

NAN = "np.where({0} > 0.8, np.nan, {0})"
"""The operand with NaN where it is above 0.8."""
WEIGHTS = "(1.0 + {1} * {1})"
"""Positive weights (np.average)."""


def spread(shape: Shape) -> str:
    """The operand as a perturbation of distinct values of this shape (gaps above 0.05)."""
    values = np.cos(7.0 * np.arange(int(np.prod(shape))))
    assert np.min(np.diff(np.sort(values))) > 0.05
    return f"(0.02 * np.tanh({{0}}) + np.cos(7.0 * np.arange({len(values)}.0)).reshape({shape}))"


def ordered(call: str, prim: str, result: Shape, operand: Shape, weight: float = 0.5) -> Form:
    """`call` (its operand `{x}`) of the spread of a fixed operand shape."""
    return Form(call.format(x=spread(operand)), only(result, operand), (prim,), weight=weight)


def nonscalar(shape: Shape) -> tuple[Shape, ...] | None:
    return (shape,) if shape else None


def vector(shape: Shape) -> tuple[Shape, ...] | None:
    return (shape,) if len(shape) == 1 else None


def rows(shape: Shape) -> tuple[Shape, ...] | None:
    """A (rows, 3) operand for a result of `rows` entries (reduced along axis 1)."""
    return ((shape[0], 3),) if len(shape) == 1 else None


def columns(shape: Shape) -> tuple[Shape, ...] | None:
    """A (2, n) operand for a result of n entries (reduced along axis 0)."""
    return ((2, shape[0]),) if len(shape) == 1 else None


def weighed_rows(shape: Shape) -> tuple[Shape, ...] | None:
    return ((shape[0], 3), (3,)) if len(shape) == 1 else None


def one_shorter(shape: Shape) -> tuple[Shape, ...] | None:
    """The operand of a difference along the last axis: one longer there."""
    return (shape[:-1] + (shape[-1] + 1,),) if shape and shape[-1] == 2 else None


def one_longer(shape: Shape) -> tuple[Shape, ...] | None:
    """The operand of a running sum with its initial 0 along axis 0: one shorter there."""
    return ((2,) + shape[1:],) if shape in ((3,), (3, 3)) else None


FORMS = [
    Form("np.prod({0})", only((), (2, 3)), ("np.prod",)),
    Form("np.prod({0}, axis=1)", rows, ("np.prod",)),
    Form("{0}.prod(axis=0)", columns, ("np.prod",)),
    Form("np.prod({0}, axis=(0, 1))", only((), (3, 3)), ("np.prod",), weight=0.5),
    Form(f"np.nansum({NAN}, axis=0)", columns, ("np.nansum",)),
    Form(f"np.nanmean({NAN}, axis=1)", rows, ("np.nanmean",)),
    Form("np.nanvar({0})", only((), (2, 3)), ("np.nanvar",)),
    Form(f"np.nanprod({NAN}, axis=0)", columns, ("np.nanprod",)),
    Form(f"np.average({{0}}, axis=1, weights={WEIGHTS})", weighed_rows, ("np.average",)),
    Form(f"np.average({{0}}, weights={WEIGHTS})", only((), (3, 2), (3, 2)), ("np.average",)),
    Form("np.average({0}, axis=0)", columns, ("np.average",), weight=0.5),
    Form("np.cumsum({0}, axis=-1)", nonscalar, ("np.cumsum",)),
    Form("{0}.cumsum()", vector, ("np.cumsum",)),
    Form("np.cumprod({0}, axis=0)", nonscalar, ("np.cumprod",)),
    Form("{0}.cumprod()", vector, ("np.cumprod",)),
    Form(f"np.nancumsum({NAN}, axis=0)", nonscalar, ("np.nancumsum",), weight=0.5),
    Form(f"np.nancumprod({NAN}, axis=-1)", nonscalar, ("np.nancumprod",), weight=0.5),
    Form("np.diff({0})", one_shorter, ("np.diff",)),
    Form("np.diff({0}, axis=0, prepend=0.5)", nonscalar, ("np.diff",)),
    Form("np.diff({0}, n=2, append=(0.5, 1.0))", vector, ("np.diff",), weight=0.5),
    Form("np.ediff1d({0}, to_begin=1.0)", vector, ("np.ediff1d",)),
    ordered("np.sort({x})", "np.sort", (3, 2), (3, 2)),
    ordered("np.sort({x}, axis=0)", "np.sort", (2, 3), (2, 3)),
    ordered("np.sort({x}, axis=None)", "np.sort", (3,), (3,)),
    ordered("np.median({x})", "np.median", (), (2, 3)),
    ordered("np.median({x}, axis=1)", "np.median", (3,), (3, 3)),
    ordered("np.ptp({x}, axis=0)", "np.ptp", (2,), (3, 2)),
    ordered("np.nanmax({x}, axis=1)", "np.nanmax", (2,), (2, 3)),
    ordered("np.nanmin({x})", "np.nanmin", (), (3, 3)),
    ordered("np.nanstd({x}, axis=0)", "np.nanstd", (3,), (2, 3)),
]
if hasattr(np, "cumulative_sum"):  # (NumPy 2.1)
    FORMS += [
        Form("np.cumulative_sum({0}, axis=0, include_initial=True)", one_longer, ("np.cumulative_sum",), weight=0.5),
        Form("np.cumulative_prod({0}, axis=-1)", nonscalar, ("np.cumulative_prod",), weight=0.5),
    ]
