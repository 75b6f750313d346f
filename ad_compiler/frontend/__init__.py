"""The frontend: a Python function's source → IR (DESIGN §1, §8)."""

from .lower import lower
from .resolve import compile_time
from .source import FunctionSource, get_source

__all__ = ["FunctionSource", "compile_time", "get_source", "lower"]
