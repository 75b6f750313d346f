"""VJP and JVP rules of the functions that select among their operands: `np.maximum`,
`np.minimum`, `np.fmax`, `np.fmin`, the builtins `max`, `min`, `abs`, `float` (and the
integer-valued builtins, which have none), `np.where`, `np.clip` and the reductions
`np.max`, `np.amax`, `np.min`, `np.amin`.

Ties follow JAX's subgradient conventions:

- maximum/minimum: the operand equal to the result gets `g`; where both are (x == y) each
  gets half (`_balanced_eq` in `jax/_src/lax/lax.py`, the JVP of `max_p` and `min_p`);
- `abs`: `g * sign(x)`, 0 at 0;
- `np.clip(x, lo, hi)`: differentiated as `jnp.clip` computes it,
  `minimum(hi, maximum(lo, x))`, so at a bound `x` and the bound share `g` half and half;
- max/min reductions: `g` is shared equally by all the elements equal to the result (the
  `_reduce_chooser_jvp_rule` of `reduce_max_p`).

Comparison results enter the arithmetic as 0/1 factors, as in JAX's `_balanced_eq`, so a
float operand keeps getting a float cotangent. Each JVP follows its VJP and weighs the
tangents as its VJP shares the cotangent.
"""

from __future__ import annotations

import numpy as np

from .helpers import reduce_tangent
from .kinds import broadcast, float_kind, int_kind, is_none, same_kind
from .record import defbatch, defjvp, defvjp, defzero, primitive
from .reductions import reduction_kind
from .arithmetic import arithmetic_kind


def where_kind(op, kinds, producers):
    """np.where(c, a, b): the broadcast of all three, with the dtype of a and b."""
    if len(kinds) != 3:
        return None
    shape_kind = broadcast(kinds)
    value_kind = broadcast(kinds[1:])
    return broadcast([shape_kind], value_kind.dtype) if shape_kind and value_kind else None


def clip_kind(op, kinds, producers):
    """np.clip(x, lo, hi): the broadcast of the operands, a bound of None left out."""
    if len(kinds) != 3:
        return None
    return broadcast([k for k, x in zip(kinds, op.inputs) if not is_none(x)])


primitive(max, min, arity=2, elementwise=True, infer=arithmetic_kind)
primitive(max, sympy="Max")
primitive(min, sympy="Min")
primitive(np.maximum, np.fmax, sympy="Max")
primitive(np.minimum, np.fmin, sympy="Min")
primitive(abs, arity=1, elementwise=True, infer=same_kind, sympy="Abs")
primitive(float, arity=1, infer=float_kind, sympy=lambda sp, x: x)
primitive(int, round, len, infer=int_kind)
primitive(len, reads_shape_only=True)
primitive(np.where, infer=where_kind, elementwise=True, takes_scalar_zero=True, fresh=True)
primitive(np.clip, infer=clip_kind, elementwise=True, fresh=True, methods=("clip",))
primitive(np.max, np.amax, np.min, np.amin, infer=reduction_kind, reduces=True)
primitive(np.max, methods=("max",))
primitive(np.min, methods=("min",))
for _fn, _name in ((np.maximum, "maximum"), (np.minimum, "minimum"), (np.where, "where"), (np.clip, "clip"),
                   (np.max, "max"), (np.min, "min"), (np.amax, "max"), (np.amin, "min")):
    primitive(_fn, array_api=_name)  # (their names in the Array API standard)


@defbatch(max)
def max_batch(x, y, *, batched, ranks):
    """`max(x, y)` as Python picks it, the first unless the second is larger (not
    np.maximum, which gives NaN where either is)."""
    return np.where(y > x, y, x)


@defbatch(min)
def min_batch(x, y, *, batched, ranks):
    """`min(x, y)` as Python picks it, the first unless the second is smaller."""
    return np.where(y < x, y, x)


@defvjp(np.maximum, np.minimum, np.fmax, np.fmin, max, min, broadcasting=True)
def maximum_vjp(g, ans, x, y):
    share = g / ((x == y) + 1.0)
    return share * (x == ans), share * (y == ans)


@defjvp(np.maximum, np.minimum, np.fmax, np.fmin, max, min, broadcasting=True)
def maximum_jvp(dx, dy, ans, x, y):
    share = 1.0 / ((x == y) + 1.0)
    return dx * (share * (x == ans)) + dy * (share * (y == ans))


@defvjp(abs)
def builtin_abs_vjp(g, ans, x):
    return g * np.sign(x)


@defjvp(abs)
def builtin_abs_jvp(dx, ans, x):
    return dx * np.sign(x)


@defvjp(float)
def float_vjp(g, ans, x):
    return g


@defjvp(float)
def float_jvp(dx, ans, x):
    return dx


defzero(int, round, len)


@defvjp(np.where, broadcasting=True)
def where_vjp(g, ans, c, x, y):
    return None, np.where(c, g, 0.0), np.where(c, 0.0, g)


@defjvp(np.where, broadcasting=True)
def where_jvp(dc, dx, dy, ans, c, x, y):
    """A float condition's tangent (`dc`) does not enter: the choice is piecewise constant."""
    return np.where(c, dx, dy)


def clip_bounds(lo, hi, a_min, a_max, min, max):
    """np.clip's bounds however they were passed: by position, or by one of the keywords
    NumPy accepts (inlined into the rules; the keywords are constants, folded away)."""
    if a_min is not None:
        lo = a_min
    if min is not None:
        lo = min
    if a_max is not None:
        hi = a_max
    if max is not None:
        hi = max
    return lo, hi


@defvjp(np.clip, broadcasting=True)
def clip_vjp(g, ans, x, lo=None, hi=None, out=None, a_min=None, a_max=None, min=None, max=None):
    """As jnp.clip computes it: `m = maximum(lo, x)`, then `ans = minimum(hi, m)`, each
    with the tie rule of `maximum_vjp`. A bound may be None: `None == v` is False, and
    `np.clip(x, lo, np.inf)` is `maximum(lo, x)` (`x` when lo is None), so one body
    serves every case. Bounds given by keyword (`min=`, `a_max=`) are constants."""
    lo, hi = clip_bounds(lo, hi, a_min, a_max, min, max)
    m = np.clip(x, lo, np.inf)
    share = g / ((hi == m) + 1.0)
    gm = share * (m == ans)
    ghi = share * (hi == ans)
    share = gm / ((lo == x) + 1.0)
    gx = share * (x == m)
    if a_min is None and a_max is None and min is None and max is None:
        return gx, share * (lo == m), ghi
    return gx  # bounds given by keyword are constants, x the only operand


@defjvp(np.clip, broadcasting=True)
def clip_jvp(dx, dlo, dhi, ans, x, lo=None, hi=None, out=None, a_min=None, a_max=None, min=None,
             max=None):
    """The tangents weighed as `clip_vjp` shares `g`: first through `m = maximum(lo, x)`,
    then through `minimum(hi, m)`. A bound given by keyword has no tangent."""
    lo, hi = clip_bounds(lo, hi, a_min, a_max, min, max)
    m = np.clip(x, lo, np.inf)
    dm = (dx * (x == m) + dlo * (lo == m)) / ((lo == x) + 1.0)
    return (dm * (m == ans) + dhi * (hi == ans)) / ((hi == m) + 1.0)


def ties(hit, axis):
    """How many elements each reduction along `axis` finds equal to its result, kept as
    an axis of length 1 (one number, for a reduction of all the elements)."""
    if axis is None:
        return np.sum(hit)
    return np.sum(hit, axis=axis, keepdims=True)


@defvjp(np.max, np.amax, np.min, np.amin, broadcasting=False)
def max_vjp(g, ans, x, axis=None, out=None, keepdims=False, initial=None, where=True):
    """`g` shared equally by the elements equal to the result (JAX's reduce_max). With
    `initial`, as `maximum(reduction, initial)`: half of `g` goes to `initial` at a tie,
    all of it when `initial` is the result alone; `where` (which NumPy accepts only with
    `initial`) masks elements out."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
    hit = x == ans
    if initial is None:
        return g * hit / ties(hit, axis)
    hit = np.logical_and(hit, where)
    count = np.maximum(ties(hit, axis), 1)
    return g * hit / (count * ((initial == ans) + 1.0))


@defjvp(np.max, np.amax, np.min, np.amin, broadcasting=False)
def max_jvp(dx, ans, x, axis=None, out=None, keepdims=False, initial=None, where=True, *, batch=0):
    """The average of the tangents at the elements equal to the result (JAX's
    reduce_max), weighed as `max_vjp` shares `g`."""
    full = ans
    if axis is not None and not keepdims:
        full = np.expand_dims(ans, axis)
    hit = x == full
    if initial is None:
        weight = hit / ties(hit, axis)
    else:
        hit = np.logical_and(hit, where)
        count = np.maximum(ties(hit, axis), 1)
        weight = hit / (count * ((initial == full) + 1.0))
    return reduce_tangent(dx * weight, ans, x, axis, keepdims, batch)
