"""ad_compiler: a source-to-source differentiating compiler for Python and NumPy."""

from .api import (
    Compiled, clear_cache, grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, show, sparsity_pattern, stop_gradient,
    value_and_grad, vjp, vmap,
)
from .check.report import check  # (the function shadows the package's name here, as intended)
from .custom import custom_jvp, custom_vjp
from .errors import BackendWarning, CompileError
from .primitives import defbatch, defjvp, defvjp, defzero, primitive

__version__ = "0.1.0"

__all__ = [
    "BackendWarning", "CompileError", "Compiled", "check", "clear_cache", "custom_jvp", "custom_vjp", "defbatch", "defjvp", "defvjp",
    "defzero",
    "grad", "hessian", "hvp", "jacfwd", "jacobian", "jacrev", "jvp", "primitive", "show", "sparsity_pattern",
    "stop_gradient",
    "value_and_grad", "vjp", "vmap",
]
