"""A VJP in two functions, as `jax.vjp` returns it: the forward sweep, run once, and the
pullback, run for each cotangent.

The VJP function (the cotangent its last parameter) is split at the cotangent
(`split.split_at_seeds`): what does not depend on it is the forward part, which returns
the primal result and the *residuals*, the values the reverse part reads; the reverse
part takes the residuals and the cotangent. Both are ordinary functions, optimized and
emitted on their own.
"""

from __future__ import annotations

from dataclasses import replace

from ..ir import Function, Op, Region, Value
from ..ir.clone import clone_function
from ..passes.activity import region_reads
from .split import split_at_seeds


def split_vjp(fn: Function) -> tuple[Function, Function]:
    """`fn(*params, g) -> (out, cotangents)` as `forward(*params) -> (out, residuals)` and
    `backward(*residuals, g) -> cotangents`."""
    seed = fn.params[-1]
    out, cotangents = fn.body.yields
    before, during = split_at_seeds(fn.body.ops, {seed})
    made_before = set(fn.params[:-1]) | {r for op in before for r in op.results}
    needed = set().union(*(region_reads(op) for op in during)) if during else set()
    if isinstance(cotangents, Value):
        needed.add(cotangents)
    order = {v: k for k, v in enumerate(list(fn.params) + [r for op in before for r in op.results])}
    residuals = sorted((v for v in needed if v in made_before), key=order.get)

    packed = Value("residuals")
    forward_ops = before + [Op("tuple", list(residuals), [packed])]
    forward = replace(fn, params=fn.params[:-1], body=Region([], forward_ops, [out, packed]))
    backward = replace(fn, name=fn.name.replace("vjp_", "pullback_", 1), params=list(residuals) + [seed],
                       body=Region([], during, [cotangents]))
    return clone_function(forward), clone_function(backward)
