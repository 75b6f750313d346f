"""The IR: the one thing the compiler's stages share (DESIGN §3). It imports nothing else of the compiler."""

from .core import Const, Function, Loc, Op, Operand, Region, Value, absent, is_absent, walk_ops
from .printer import format_function

__all__ = ["Const", "Function", "Loc", "Op", "Operand", "Region", "Value", "absent", "format_function", "is_absent",
           "walk_ops"]
