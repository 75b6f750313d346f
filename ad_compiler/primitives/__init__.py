"""The primitives: one record per prim (`record.Primitive`) with its traits, kind rule,
derivative rules and SymPy counterpart, in the table `PRIMITIVES`. The family modules
define them on import (arithmetic: operators and math functions; reductions; shapes;
products; indexing; joining; select: choices such as np.where and max; creation: arrays
made from shapes; structural: what the compiler itself writes)."""

from . import arithmetic, creation, indexing, joining, products, reductions, select, shapes, structural  # noqa: F401
from .record import (
    PRIMITIVES, Primitive, Rule, Table, compile_time, defjvp, defvjp, defzero, is_compile_time, primitive,
)

__all__ = ["PRIMITIVES", "Primitive", "Rule", "Table", "compile_time", "defjvp", "defvjp", "defzero",
           "is_compile_time", "primitive"]
