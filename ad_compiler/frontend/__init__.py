"""The frontend: a Python function's source → IR (DESIGN §1, §8)."""

from .lower import lower
from .source import FunctionSource, get_source

__all__ = ["FunctionSource", "get_source", "lower"]
