"""Which derivatives a command asks for (`--wrt`, `--mode`, `--order`, `--value`,
`--shapes`), compiled, and the standalone module `adc grad` writes from them.

Order 1 is the gradient (`grad_f`, or `value_and_grad_f` with `--value`); a module also
holds its VJP (`vjp_f`, reverse mode) or JVP (`jvp_f`, forward mode). Order 2 is the
Hessian (`hessian_f`: forward over `--mode`), order n > 2 the forward-mode Jacobian of
order n - 1 (`d3_f`, ...), of shape `out.shape + n * in.shape`. Without `--shapes` the
code is the generic version, for arguments of any shape; Hessians and higher orders need
shapes (their result's shape depends on them). With them, each function of the module
first checks that its arguments are of the kinds it was specialized for (`_specialized`,
`runtime.CHECK_ARGUMENTS`).
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import sys
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import __version__
from ..api import Compiled, compile_version
from ..codegen.module import Check, Specialization, standalone_module
from ..errors import CompileError
from ..frontend.callables import user_function
from ..ir.types import Array, Scalar, kind_of
from ..backends import backend_named
from ..pipeline import GradOptions, JacobianOptions, JVPOptions, Options, Version, VJPOptions
from .targets import Target, UsageError
from .values import random_arguments


@dataclass(frozen=True)
class Request:
    """A derivative of `target.function` as the command line describes it."""

    target: Target
    argnums: tuple[int, ...]
    tuple_out: bool
    mode: str = "reverse"
    order: int = 1
    with_value: bool = False
    shapes: str | None = None
    """The `--shapes` text, when the code is specialized."""
    backend: str = "numpy"
    """What the emitted code runs on (`ad_compiler/backends`)."""

    @property
    def params(self) -> list[str]:
        return list(inspect.signature(self.target.function).parameters)

    @property
    def examples(self) -> tuple | None:
        """Arguments of the kinds `--shapes` describes (a fixed random draw)."""
        if self.shapes is None:
            return None
        return random_arguments(self.target.function, self.shapes, self.argnums, seed=0, option="--shapes")

    @property
    def kinds(self) -> tuple | None:
        examples = self.examples
        return None if examples is None else tuple(kind_of(v) for v in examples)


def request(target: Target, wrt: str | None, argnums: str | None, **options: Any) -> Request:
    """Check the options against the function: names, positions, order."""
    params = list(inspect.signature(target.function).parameters)
    if wrt is not None:
        names = [n.strip() for n in wrt.split(",")]
        for name in names:
            if name not in params:
                raise UsageError(f"--wrt: {target.name} has no parameter {name!r} (its parameters: {', '.join(params)})")
        nums = tuple(params.index(n) for n in names)
    else:
        try:
            nums = tuple(int(n) for n in (argnums or "0").split(","))
        except ValueError:
            raise UsageError(f"--argnums {argnums!r} is not a comma-separated list of positions") from None
        for n in nums:
            if not -len(params) <= n < len(params):
                raise UsageError(f"--argnums: {target.name} has {len(params)} parameters, no position {n}")
        nums = tuple(n % len(params) for n in nums)
    if len(set(nums)) != len(nums):
        raise UsageError("the same argument is named twice")
    tuple_out = "," in (wrt if wrt is not None else argnums or "")
    req = Request(target, nums, tuple_out, **options)
    if req.order < 1:
        raise UsageError(f"--order must be 1 or more, not {req.order}")
    if req.order > 1 and req.with_value:
        raise UsageError("--value goes with --order 1 (the value and the gradient)")
    if req.order > 1 and req.shapes is None:
        example = ", ".join(f"{name}=(...)" for name in params)
        raise UsageError(f"--order {req.order} needs the shapes of the arguments: add --shapes \"{example}\"")
    if req.order > 2 and len(nums) > 1:
        raise UsageError(f"--order {req.order} differentiates one argument: give one name to --wrt or one position to --argnums")
    if req.backend == "numba" and req.shapes is None:
        example = ", ".join(f"{name}=(...)" for name in params)
        raise UsageError(f"--backend numba compiles the module for the arguments' types when it is written: add "
                         f"--shapes \"{example}\"")
    if req.shapes is not None:
        _check_shapes(req)
    return req


def _check_shapes(req: Request) -> None:
    """Run the function once on arguments of the given shapes: shapes it cannot take (a
    matrix product of the wrong sizes) are an error here, not code that always fails."""
    examples = req.examples  # (what the function prints is kept off stdout, as when it is loaded)
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        try:
            req.target.function(*examples)
        except ArithmeticError:
            pass  # a value it cannot take (1 / 0.0), not a shape
        except Exception as err:
            raise UsageError(f"--shapes: {req.target.name} fails on arguments of these shapes: "
                             f"{type(err).__name__}: {err}") from None


def _chain(req: Request) -> tuple[Any, Options]:
    """The function to differentiate and how, for the requested order."""
    name = user_function(req.target.function).name
    fun: Any = req.target.function
    options: Options = GradOptions(req.argnums, req.tuple_out, req.with_value, req.mode)
    for order in range(2, req.order + 1):
        fun = Compiled(fun, options)
        label = "hessian_" if order == 2 else f"d{order}_"
        options = JacobianOptions(req.argnums, req.tuple_out, "forward", label + name)
    return fun, replace(options, backend=req.backend)


def derivative(req: Request) -> Version:
    """The compiled derivative the request names (what `adc show` prints)."""
    fun, options = _chain(req)
    return compile_version(fun, options, req.kinds)


def companion(req: Request) -> Version | None:
    """The VJP (reverse mode) or JVP (forward mode) a first-order module also holds."""
    if req.order > 1:
        return None
    options = (VJPOptions(req.argnums, backend=req.backend) if req.mode == "reverse"
               else JVPOptions(req.argnums, backend=req.backend))
    return compile_version(req.target.function, options, req.kinds)


def module_text(req: Request, command: str) -> str:
    """The standalone module: a header saying what it is and how it was made, then code."""
    main, extra = derivative(req), companion(req)
    names = [req.params[i] for i in req.argnums]
    wrt = f"({', '.join(names)})" if req.tuple_out else names[0]
    described = [(main, _describe(req, wrt))]
    if extra is not None and req.mode == "reverse":
        cotangent = _parameters(extra)[-1]
        described.append((extra, f"the cotangent {cotangent} of the result pulled back to {_tuple(names)}"))
    elif extra is not None:
        tangents = _parameters(extra)[-len(names):]
        described.append((extra, f"({req.target.name}, its derivative along {', '.join(tangents)})"))
    target = req.target
    header = [f"Derivatives of {target.name} ({target.where}), written by ad_compiler {__version__}:"]
    header += [f"  {_signature(version):<32} {text}" for version, text in described]
    shapes = f"specialized to {req.shapes}" if req.shapes else "generic: arguments of any shape"
    header += [f"Mode: {req.mode}{' (innermost; outer orders forward)' if req.order > 1 else ''}; {shapes}."]
    specialized = _specialized(req, main, extra)
    if specialized and any(check.entry is not None for check in specialized.values()):
        header += ["Each function checks its arguments' shapes and dtypes first: ValueError if they differ."]
    functions = [version.emitted for version, _ in described]
    backend = backend_named(req.backend)
    imports, decorators = backend.module_lines(functions)
    header += [
        f"Source SHA-256: {target.digest}",
        f"Regenerate with: {command}",
        f"It needs only {backend.needs if decorators or imports else 'NumPy'}; edits are lost when it is regenerated.",
    ]
    return standalone_module(header, functions, specialized, imports, decorators)


def _specialized(req: Request, main: Version, extra: Version | None) -> Specialization | None:
    """What a module written with `--shapes` checks its arguments against: each parameter's
    kind as `--shapes` gave it (by its name in the source, which `--shapes` takes), then
    the cotangent (VJP) or the tangents (JVP) where the compiler knows their shapes (a
    tangent has its argument's, the cotangent the result's). Generic modules: None."""
    if req.shapes is None:
        return None
    spelled = _parameters(main)  # a parameter named like a builtin is renamed: input_1
    entries = {name: Check(_entry(kind), "" if written == name else written)
               for name, written, kind in zip(req.params, spelled, req.kinds)}
    if extra is None:
        return entries
    params = _parameters(extra)
    if params[: len(spelled)] != spelled:
        raise CompileError(f"{extra.emitted.name} names its parameters unlike {main.emitted.name}")
    if req.mode == "reverse":
        roles = ["the cotangent of the result"]
    else:
        roles = [f"the tangent of {req.params[i]}" for i in req.argnums]
    for name, param, role in zip(params[len(spelled):], extra.ir.params[len(spelled):], roles):
        kind = _entry(param.kind)
        if kind is not None:  # else left unchecked: its shape is not known
            entries[name] = Check((*kind, role))
    return entries


def _entry(kind: Any) -> tuple | None:
    """(dtype, shape) of a scalar or an array of known shape, else None (not checked)."""
    if isinstance(kind, Scalar) and kind.dtype in _DTYPES:
        return kind.dtype, ()
    if isinstance(kind, Array) and kind.dtype in _DTYPES and kind.shape is not None:
        return kind.dtype, tuple(kind.shape)
    return None


_DTYPES = ("bool", "int", "float", "complex")


def _tuple(names: list[str]) -> str:
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"


def _parameters(version: Version) -> list[str]:
    """The parameter names of an emitted function, as written."""
    return [a.arg for a in ast.parse(version.emitted.definition).body[0].args.args]


def _signature(version: Version) -> str:
    return f"{version.emitted.name}({', '.join(_parameters(version))})"


def _describe(req: Request, wrt: str) -> str:
    if req.order > 1:
        what = "the Hessian" if req.order == 2 else f"the derivative of order {req.order}"
        return f"{what} with respect to {wrt}"
    if req.with_value:
        return f"({req.target.name}, its gradient with respect to {wrt})"
    return f"the gradient with respect to {wrt}"
