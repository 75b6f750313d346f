"""ad_compiler: a source-to-source differentiating compiler for Python and NumPy."""

from .ad.rules import defvjp
from .api import Compiled, clear_cache, grad, show, value_and_grad
from .errors import CompileError

__version__ = "0.1.0"

__all__ = ["CompileError", "Compiled", "clear_cache", "defvjp", "grad", "show", "value_and_grad"]
