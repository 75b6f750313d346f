"""The frontend: a Python function's source → IR (DESIGN §1, §8)."""

from .callables import UserFunction, user_function
from .containers import Parameters
from .lower import lower, lower_user
from ..primitives import compile_time
from .source import FunctionSource, get_source

__all__ = ["FunctionSource", "Parameters", "UserFunction", "compile_time", "get_source", "lower", "lower_user", "user_function"]
