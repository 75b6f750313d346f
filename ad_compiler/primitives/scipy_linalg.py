"""SciPy's linear algebra (scipy.linalg): triangular solves, the Cholesky factor and solves
with it (SciPy's `cholesky` gives the upper factor by default), the matrix exponential, and
inv, det, solve, whose rules are NumPy's (`linalg`) where SciPy reads the whole matrix.

As in `linalg`, a function that reads one triangle of a matrix it takes to be symmetric
(cholesky, cho_factor, solve and inv with assume_a='sym' or 'pos') is differentiated as a
function of the symmetric matrix; one that reads one triangle of a triangular matrix
(solve_triangular, cho_solve's factor) as a function of that triangle: the other has
derivative 0. `overwrite_a=True` (`overwrite_b`) lets SciPy write over an operand the rules
read: refused.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from .linalg import (
    cholesky_jvp, cholesky_vjp, columns, det_jvp, det_vjp, inv_jvp, inv_vjp, mT, probed_kind, shaped,
    solve_tangent, solve_vjp, sym, triangle, unbroadcast,
)
from .helpers import lift, no_derivative
from .record import compile_time, defjvp, defvjp, primitive

for _name in ("solve_triangular", "cho_factor", "cho_solve", "cholesky", "expm", "inv", "det", "solve"):
    primitive(getattr(scipy.linalg, _name), name=f"scipy.linalg.{_name}", infer=probed_kind, fresh=True)


@compile_time
def kept(overwrite_a=False, overwrite_b=False):
    """Refuse a call that lets SciPy write over its operands."""
    if overwrite_a or overwrite_b:
        no_derivative("a scipy.linalg call with overwrite_a=True or overwrite_b=True may write over an operand "
               "that the derivative reads: leave them False")
    return True


@compile_time
def symmetric(assume_a):
    """Whether `assume_a` makes SciPy read one triangle of a symmetric matrix; refused for
    the structures whose other entries it ignores (diagonal, banded, triangular)."""
    if assume_a in (None, "gen", "general"):
        return False
    if assume_a in ("sym", "symmetric", "her", "hermitian", "pos", "positive definite"):
        return True
    no_derivative(f"scipy.linalg with assume_a={assume_a!r} is not differentiated: use assume_a='gen' "
           "(or scipy.linalg.solve_triangular for a triangular matrix)")


@compile_time
def transposes(trans):
    """Whether solve_triangular's `trans` solves with the transpose (for real matrices
    'C' is 'T')."""
    return trans not in (0, "N")


def as_columns(b):
    """A stack of right-hand sides `b` (..., n, m) as the columns of one (n, k) matrix,
    and the stack moved for `from_columns`: SciPy before 1.16 solves one matrix at a time,
    and a batched tangent adds a stack axis to a user's single system."""
    moved = np.moveaxis(b, -2, 0)
    return np.reshape(moved, (np.shape(moved)[0], np.size(moved) // np.shape(moved)[0])), moved


def from_columns(x, moved):
    return np.moveaxis(np.reshape(x, np.shape(moved)), 0, -2)


def triangular_solve(a, b, trans, lower, unit_diagonal):
    if np.ndim(a) == 2 and np.ndim(b) > 2:
        flat, moved = as_columns(b)
        x = scipy.linalg.solve_triangular(a, flat, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
        return from_columns(x, moved)
    return scipy.linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def factored_solve(c, lower, b):
    """`scipy.linalg.cho_solve((c, lower), b)`, for stacks of `b` as `triangular_solve`."""
    if np.ndim(c) == 2 and np.ndim(b) > 2:
        flat, moved = as_columns(b)
        return from_columns(scipy.linalg.cho_solve((c, lower), flat), moved)
    return scipy.linalg.cho_solve((c, lower), b)


@defvjp(scipy.linalg.solve_triangular, broadcasting=False)
def solve_triangular_vjp(g, ans, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                         check_finite=True):
    """`x = op(T)^-1 b`, `T` the triangle of `a` it reads (with ones on the diagonal for
    `unit_diagonal`): `gb = op(T)^-T g`, and `a` gets `-gb x.T` (transposed for
    op = transpose) on that triangle only."""
    kept(overwrite_b=overwrite_b)
    x = columns(ans, b)
    gb = triangular_solve(a, columns(g, b), 0 if transposes(trans) else 1, lower, unit_diagonal)
    ga = -(x @ mT(gb)) if transposes(trans) else -(gb @ mT(x))
    return unbroadcast(triangle(ga, lower, unit_diagonal), a), unbroadcast(shaped(gb, ans), b)


@defjvp(scipy.linalg.solve_triangular, broadcasting=False)
def solve_triangular_jvp(da, db, ans, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                         check_finite=True, *, batch=0):
    kept(overwrite_b=overwrite_b)
    x = columns(ans, b)
    db = columns(db, b)
    dt = triangle(da, lower, unit_diagonal)
    if transposes(trans):
        dt = mT(dt)
    if batch:
        dt, db = lift(dt, a, np.ndim(x)), lift(db, columns(b, b), np.ndim(x))
    return shaped(triangular_solve(a, db - dt @ x, trans, lower, unit_diagonal), ans, batch)


@defvjp(scipy.linalg.cholesky, broadcasting=False)
def cholesky_vjp_scipy(g, ans, a, lower=False, overwrite_a=False, check_finite=True):
    kept(overwrite_a)
    return cholesky_vjp(g, ans, a, not lower)


@defjvp(scipy.linalg.cholesky, broadcasting=False)
def cholesky_jvp_scipy(da, ans, a, lower=False, overwrite_a=False, check_finite=True):
    kept(overwrite_a)
    return cholesky_jvp(da, ans, a, not lower)


@defvjp(scipy.linalg.cho_factor, broadcasting=False)
def cho_factor_vjp(g, ans, a, lower=False, overwrite_a=False, check_finite=True):
    """Of `(c, lower)`: `c` holds the factor in one triangle and, in the other, the
    entries of `a` there (which SciPy leaves as they are): those pass their cotangent
    through; the flag has none."""
    kept(overwrite_a)
    gc = g[0]
    factor = triangle(ans[0], lower)
    return cholesky_vjp(triangle(gc, lower), factor, a, not lower) + triangle(gc, not lower, unit=True)


@defjvp(scipy.linalg.cho_factor, broadcasting=False)
def cho_factor_jvp(da, ans, a, lower=False, overwrite_a=False, check_finite=True):
    kept(overwrite_a)
    factor = triangle(ans[0], lower)
    return cholesky_jvp(da, factor, a, not lower) + triangle(da, not lower, unit=True), None


def factored(factor, dfactor, lower):
    """The tangent of `L L.T` (of `U.T U` for an upper factor) along `dfactor`."""
    if lower:
        return dfactor @ mT(factor) + factor @ mT(dfactor)
    return mT(dfactor) @ factor + mT(factor) @ dfactor


@defvjp(scipy.linalg.cho_solve, broadcasting=False)
def cho_solve_vjp(g, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    """`x = A^-1 b` for `A = L L.T` (`U.T U`), `L` the triangle of `c` that `lower` says:
    `gb = A^-1 g`, `gA = -gb x.T`, so `gL = (gA + gA.T) L` (`gU = U (gA + gA.T)`) on
    that triangle; the pair `(c, lower)` gets the pair `(gc, None)`."""
    kept(overwrite_b=overwrite_b)
    c, lower = c_and_lower[0], c_and_lower[1]
    x = columns(ans, b)
    gb = factored_solve(c, lower, columns(g, b))
    spread = -(gb @ mT(x) + x @ mT(gb))
    factor = triangle(c, lower)
    gc = triangle(spread @ factor if lower else factor @ spread, lower)
    return (unbroadcast(gc, c), None), unbroadcast(shaped(gb, ans), b)


@defjvp(scipy.linalg.cho_solve, broadcasting=False)
def cho_solve_jvp(dc_and_lower, db, ans, c_and_lower, b, overwrite_b=False, check_finite=True, *, batch=0):
    kept(overwrite_b=overwrite_b)
    c, lower = c_and_lower[0], c_and_lower[1]
    x = columns(ans, b)
    db = columns(db, b)
    factor = triangle(c, lower)
    da = factored(factor, triangle(dc_and_lower[0], lower), lower)
    if batch:
        da, db = lift(da, c, np.ndim(x)), lift(db, columns(b, b), np.ndim(x))
    return shaped(factored_solve(c, lower, db - da @ x), ans, batch)


def frechet(a, e):
    """The derivative of expm at `a` along `e`: the upper right block of
    `expm([[a, e], [0, a]])` (Higham, "Functions of Matrices", 2008, (3.16)); `a` is
    broadcast to `e`'s shape (`e` may carry directions)."""
    a = np.broadcast_to(a, np.shape(e))
    n = np.shape(a)[-1]
    top = np.concatenate([a, e], axis=-1)
    bottom = np.concatenate([np.zeros_like(a), a], axis=-1)
    return scipy.linalg.expm(np.concatenate([top, bottom], axis=-2))[..., :n, n:]


@defvjp(scipy.linalg.expm, broadcasting=False)
def expm_vjp(g, ans, a):
    """The Frechet derivative is its own adjoint at the transpose: `L(a.T, g)`."""
    return frechet(mT(a), g)


@defjvp(scipy.linalg.expm, broadcasting=False)
def expm_jvp(da, ans, a):
    return frechet(a, da)


@defvjp(scipy.linalg.inv, broadcasting=False)
def inv_vjp_scipy(g, ans, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    kept(overwrite_a)
    if symmetric(assume_a):
        return sym(inv_vjp(g, ans, a))
    return inv_vjp(g, ans, a)


@defjvp(scipy.linalg.inv, broadcasting=False)
def inv_jvp_scipy(da, ans, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    kept(overwrite_a)
    if symmetric(assume_a):
        return inv_jvp(sym(da), ans, a)
    return inv_jvp(da, ans, a)


@defvjp(scipy.linalg.det, broadcasting=False)
def det_vjp_scipy(g, ans, a, overwrite_a=False, check_finite=True):
    kept(overwrite_a)
    return det_vjp(g, ans, a)


@defjvp(scipy.linalg.det, broadcasting=False)
def det_jvp_scipy(da, ans, a, overwrite_a=False, check_finite=True):
    kept(overwrite_a)
    return det_jvp(da, ans, a)


@defvjp(scipy.linalg.solve, broadcasting=False)
def solve_vjp_scipy(g, ans, a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
                    assume_a=None, transposed=False):
    """NumPy's rule, of `a.T` for `transposed`."""
    kept(overwrite_a, overwrite_b)
    if transposed:
        ga, gb = solve_vjp(g, ans, mT(a), b)
        ga = mT(ga)
    else:
        ga, gb = solve_vjp(g, ans, a, b)
    if symmetric(assume_a):
        ga = sym(ga)
    return ga, gb


@defjvp(scipy.linalg.solve, broadcasting=False)
def solve_jvp_scipy(da, db, ans, a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
                    assume_a=None, transposed=False, *, batch=0):
    kept(overwrite_a, overwrite_b)
    if symmetric(assume_a):
        da = sym(da)
    if transposed:
        return solve_tangent(mT(da), db, ans, mT(a), b, batch)
    return solve_tangent(da, db, ans, a, b, batch)
