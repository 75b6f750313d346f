"""ad_compiler: a source-to-source differentiating compiler for Python and NumPy."""

from .ad.rules import defjvp, defvjp
from .api import (
    Compiled, clear_cache, grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, show, stop_gradient,
    value_and_grad, vjp,
)
from .check.report import check  # (the function shadows the package's name here, as intended)
from .errors import CompileError

__version__ = "0.1.0"

__all__ = [
    "CompileError", "Compiled", "check", "clear_cache", "defjvp", "defvjp", "grad", "hessian", "hvp", "jacfwd",
    "jacobian", "jacrev", "jvp", "show", "stop_gradient", "value_and_grad", "vjp",
]
