"""The primitives: one record per prim (`record.Primitive`) with its traits, kind rule,
derivative rules and SymPy counterpart, in the table `PRIMITIVES`.

The family modules define them on import: arithmetic (operators, math functions), ufuncs
(NumPy's other elementwise functions), reductions and cumulative (sums, products, running
sums, differences, sorting), shapes and rearranging (views, tiles, flips, pads), products
and contractions (matmul, dot, einsum, tensordot, cross, ...), linalg, fft, indexing,
joining, select (np.where, max, clip), creation (arrays made from shapes) and structural
(what the compiler itself writes). SciPy's (scipy_special, scipy_stats, scipy_linalg) are
defined when a SciPy callable is first looked up, so that the compiler never imports SciPy
itself.
"""

import importlib

from . import (  # noqa: F401  (each defines its primitives on import)
    arithmetic, contractions, creation, cumulative, fft, fused, indexing, joining, linalg, products, rearranging,
    reductions, select, shapes, structural, ufuncs,
)
from .record import (
    PRIMITIVES, Primitive, Rule, Table, compile_time, defbatch, defjvp, defvjp, defzero, is_compile_time, primitive,
    run_time_form,
)


def _scipy() -> None:
    for family in ("scipy_special", "scipy_stats", "scipy_linalg"):
        importlib.import_module(f"{__name__}.{family}")


PRIMITIVES.lazy("scipy", _scipy)

__all__ = ["PRIMITIVES", "Primitive", "Rule", "Table", "compile_time", "defbatch", "defjvp", "defvjp", "defzero",
           "is_compile_time", "primitive", "run_time_form"]
