"""What a derivative can be asked for and called with, checked where the user asks
(the public API): `argnums` in range, a known mode, differentiated arguments that are
floats or float arrays, tangents and cotangents of the right shapes.

A wrong call raises `ArgumentError`, which the API's entry locates at the user's line
(`errors.for_user`). Without these checks some wrong calls would not fail at all: a
list passed to `grad(f)` compiles a generic derivative that treats it as one number,
and a tangent of another shape broadcasts silently.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .errors import ArgumentError
from .ir.trees import flatten
from .ir.types import Array, Scalar, TupleKind, foreign_array, kind_of

MODES = ("auto", "reverse", "forward")


def normalized_argnums(name: str, params: Sequence[str], argnums: Any) -> tuple[tuple[int, ...], bool]:
    """`argnums` as non-negative positions, and whether it was given as a tuple."""
    nums = (argnums,) if isinstance(argnums, (int, np.integer)) else argnums
    try:
        nums = tuple(nums)
    except TypeError:
        nums = (argnums,)
    n = len(params)
    listing = ", ".join(f"{k} ({p})" for k, p in enumerate(params))
    for k in nums:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
            raise ArgumentError(f"argnums must be an int or a tuple of ints, not {argnums!r}; the "
                                f"positional parameters of {name} are {listing or 'none'}")
        if not -n <= k < n:
            raise ArgumentError(f"argnums {argnums!r} is out of range: {name} takes {n} positional "
                                f"argument{'s' if n != 1 else ''}: {listing or 'none'}")
    return tuple(int(k) % n for k in nums), not isinstance(argnums, (int, np.integer))


def check_mode(mode: Any) -> str:
    if mode not in MODES:
        raise ArgumentError(f"mode must be 'auto', 'reverse' or 'forward', not {mode!r}")
    return mode


def check_checkpoint(policy: Any) -> Any:
    """None, "sqrt" (segments of about the square root of a loop's trip count), "log"
    (segments of segments, about log4 of it deep) or a positive number of steps per
    segment (`ad/checkpoint.py`)."""
    if policy is None or policy in ("sqrt", "log") or (isinstance(policy, int) and not isinstance(policy, bool) and policy > 0):
        return policy
    raise ArgumentError(f"checkpoint must be None, 'sqrt', 'log' or a positive int (steps per segment), not {policy!r}")


def _advice(value: Any, param: str, takes: Callable[[Any], bool] | None = None) -> str | None:
    """What `value` is and what to pass instead, if it cannot be differentiated (None: fine);
    `takes` says which other libraries' float arrays the backend runs on."""
    kind = kind_of(value)
    if foreign_array(value) and not (takes is not None and takes(value)):
        return (f"a {type(value).__module__.partition('.')[0]} {type(value).__name__}, which the NumPy backend does "
                "not run on; pass backend='array-api' (docs/backend-array-api.md), or a NumPy array")
    if isinstance(kind, TupleKind):
        return None
    if kind is None:
        if value is None:
            return "None; pass a float or a float array"
        if isinstance(value, list):
            return f"a list; pass np.asarray({param}, dtype=float)"
        what = type(value).__name__
        return f"{'an' if what[:1] in 'aeiou' else 'a'} {what}; pass a float or a float array"
    dtype = getattr(kind, "dtype", None)
    if dtype == "float":
        return None
    if dtype == "complex":
        return f"complex ({kind}); complex derivatives are not supported yet"
    if isinstance(kind, Array):
        return f"an array of {dtype} ({kind}); pass {param}.astype(float)"
    if isinstance(kind, Scalar):
        return f"{'an' if dtype[:1] in 'aeiou' else 'a'} {dtype}; pass float({param})"
    return f"{kind}; pass a float or a float array"


def check_differentiated(transform: str, name: str, params: Sequence[str], values: Sequence[Any],
                         argnums: Sequence[int], takes: Callable[[Any], bool] | None = None) -> None:
    """Refuse, as JAX does, to differentiate anything but floats, float arrays and
    pytrees of them (tuples, lists, dicts, NamedTuples, dataclasses); float arrays of
    another library where the backend `takes` them (`Backend.takes`)."""
    for k in argnums:
        leaves, tree = flatten(values[k])
        if values[k] is None:  # (an empty pytree in JAX, but as a whole argument a mistake)
            leaves, tree = [None], flatten(0.0)[1]
        for path, leaf in zip(tree.paths(), leaves):
            where = params[k] + "".join(f"[{key!r}]" for key in path)
            problem = _advice(leaf, where, takes)
            if problem is not None:
                part = f"argument {k} ({params[k]})" if tree.is_leaf else f"{where}, in argument {k},"
                raise ArgumentError(f"{transform} differentiates floats and float arrays, but {part} of "
                                    f"{name} is {problem}")


def check_tangents(primals: Sequence[Any], tangents: Sequence[Any], params: Sequence[str],
                   wrt: Sequence[int]) -> None:
    """Each tangent has its primal's shape (NumPy would broadcast a wrong one silently)."""
    if len(primals) != len(tangents):
        raise ArgumentError(f"jvp got {len(primals)} primals and {len(tangents)} tangents; "
                            "pass one tangent per primal (None or 0 for one not differentiated)")
    for k in wrt:
        if np.shape(tangents[k]) != np.shape(primals[k]):
            raise ArgumentError(f"the tangent of argument {k} ({params[k]}) has shape "
                                f"{np.shape(tangents[k])}, but {params[k]} has shape {np.shape(primals[k])}; "
                                "pass a tangent of the argument's shape")


def check_cotangent(name: str, out: Any, cotangent: Any) -> None:
    """The cotangent a pullback takes has the shape of the function's result."""
    if isinstance(out, tuple):
        return  # (each item's shape is checked where it is used)
    if np.shape(cotangent) != np.shape(out):
        raise ArgumentError(f"the cotangent has shape {np.shape(cotangent)}, but {name} returned shape "
                            f"{np.shape(out)}; pass a cotangent of the result's shape")
