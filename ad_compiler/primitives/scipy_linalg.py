"""SciPy's linear algebra (scipy.linalg): triangular solves, the Cholesky factor and solves
with it (SciPy's `cholesky` gives the upper factor by default), the LU factors and solves
with them, the matrix exponential, and inv, det, solve, whose rules are NumPy's (`linalg`)
where SciPy reads the whole matrix.

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
from .helpers import lift, no_derivative, supported
from .record import compile_time, defjvp, defvjp, primitive

for _name in ("solve_triangular", "cho_factor", "cho_solve", "cholesky", "lu_factor", "lu_solve", "lu", "expm", "inv",
              "det", "solve"):
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


# ---- LU: scipy.linalg.lu_factor, lu_solve, lu ----
# `a = P L U`, L unit lower triangular, U upper; lu_factor packs L's strict lower triangle
# and U into one matrix `lu`, and gives P as LAPACK's row swaps `piv` (integers: no
# derivative). P is piecewise constant, so the derivative is that of `P.T a = L U` at P:
# with `X = L^-1 P.T da U^-1`, `dL = L tril(X, -1)` and `dU = triu(X) U` (JAX's `lu_jvp_rule`).
# A solve needs no P: `a^-1 b = U^-1 L^-1 P.T b`, whose derivative in L and U holds at P.

LU_SQUARE = ("the LU rules differentiate the factors of one square matrix (not of a rectangular one): factor "
             "each matrix of a stack on its own")


def square_matrix(a):
    """`a`, refused where the call runs if it is not what the LU rules cover."""
    if np.ndim(a) != 2 or np.shape(a)[0] != np.shape(a)[1]:
        raise ValueError(LU_SQUARE)
    return a


def unit_lower(lu):
    """L of a packed factor: its strict lower triangle, ones on the diagonal."""
    return triangle(lu, True, unit=True) + np.eye(np.shape(lu)[-1])


def swapped(piv, x, trans=0):
    """`P.T x` (`P x` with `trans`) for the permutation P of LAPACK's row swaps `piv`:
    lu_solve with the identity for both factors, which swaps the rows and nothing else
    (no rounding: its solves subtract zeros and divide by ones)."""
    return lu_solved((np.eye(np.shape(piv)[0]), piv), x, trans)


def lu_tangents(pda, l, u):
    """The tangents of L and U along `pda = P.T da`."""
    x = triangular_solve(l, pda, 0, True, True)
    x = mT(triangular_solve(u, mT(x), 1, False, False))
    return l @ triangle(x, True, unit=True), triangle(x, False) @ u


def lu_pullback(gl, gu, l, u):
    """`P.T ga` of the cotangents of L and U (the transpose of `lu_tangents`): with
    `M = tril(L.T gL, -1) + triu(gU U.T)`, `L^-T M U^-T`."""
    m = triangle(mT(l) @ gl, True, unit=True) + triangle(gu @ mT(u), False)
    y = triangular_solve(l, m, 1, True, True)
    return mT(triangular_solve(u, mT(y), 0, False, False))


@defvjp(scipy.linalg.lu_factor, broadcasting=False)
def lu_factor_vjp(g, ans, a, overwrite_a=False, check_finite=True):
    """Of `(lu, piv)`: `lu`'s cotangent is L's below the diagonal and U's on and above it."""
    kept(overwrite_a)
    a = square_matrix(a)
    lu, gl = ans[0], g[0]
    return swapped(ans[1], lu_pullback(triangle(gl, True, unit=True), triangle(gl, False), unit_lower(lu),
                                       triangle(lu, False)), 1)


@defjvp(scipy.linalg.lu_factor, broadcasting=False)
def lu_factor_jvp(da, ans, a, overwrite_a=False, check_finite=True):
    kept(overwrite_a)
    a = square_matrix(a)
    lu = ans[0]
    dl, du = lu_tangents(swapped(ans[1], da), unit_lower(lu), triangle(lu, False))
    return dl + du, None


@compile_time
def lu_options(permute_l, p_indices):
    supported(not permute_l, "scipy.linalg.lu with permute_l=True is not differentiated: take (p, l, u) and "
                             "multiply p @ l")
    return p_indices


def permutation_matrix(p, p_indices):
    """scipy.linalg.lu's P, given as a matrix or, with `p_indices`, as the row indices of
    `L U` that make `a`."""
    if p_indices:
        return np.eye(np.shape(p)[0])[p]
    return p


@defvjp(scipy.linalg.lu, broadcasting=False)
def lu_vjp(g, ans, a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """Of `(p, l, u)`: P is piecewise constant, its cotangent not read."""
    kept(overwrite_a)
    a = square_matrix(a)
    p = permutation_matrix(ans[0], lu_options(permute_l, p_indices))
    return p @ lu_pullback(g[1], g[2], ans[1], ans[2])


@defjvp(scipy.linalg.lu, broadcasting=False)
def lu_jvp(da, ans, a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    kept(overwrite_a)
    a = square_matrix(a)
    p = permutation_matrix(ans[0], lu_options(permute_l, p_indices))
    dl, du = lu_tangents(mT(p) @ da, ans[1], ans[2])
    return np.zeros_like(ans[0]), dl, du


@compile_time
def lu_transposes(trans):
    """Whether lu_solve's `trans` solves with the transpose; `trans=2` (the conjugate
    transpose) is refused: the rules transpose without conjugating."""
    supported(trans in (0, 1), f"scipy.linalg.lu_solve with trans={trans!r} is not differentiated: pass trans=0 or "
                               "trans=1 (for a real matrix, trans=2 is trans=1)")
    return trans == 1


def lu_solved(lu_and_piv, b, trans):
    """`scipy.linalg.lu_solve(lu_and_piv, b, trans)`, for stacks of `b` as `triangular_solve`."""
    if np.ndim(lu_and_piv[0]) == 2 and np.ndim(b) > 2:
        flat, moved = as_columns(b)
        return from_columns(scipy.linalg.lu_solve(lu_and_piv, flat, trans=trans), moved)
    return scipy.linalg.lu_solve(lu_and_piv, b, trans=trans)


@defvjp(scipy.linalg.lu_solve, broadcasting=False)
def lu_solve_vjp(g, ans, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """`x = a^-1 b` (`a^-T b`): `gb = a^-T g` (`a^-1 g`); the packed factor gets
    `-(tril(h (U v).T, -1) + triu(w v.T))` with `w = U^-T g`, `v = x` (`w = U^-T b`,
    `v = gb`) and `h = L^-T w`, which is `P.T` of `a^-T g` (`x`): no P is needed. The pair
    `(lu, piv)` gets the pair `(glu, None)`."""
    kept(overwrite_b=overwrite_b)
    lu = square_matrix(lu_and_piv[0])
    x = columns(ans, b)
    gb = lu_solved(lu_and_piv, columns(g, b), 0 if lu_transposes(trans) else 1)
    if lu_transposes(trans):
        w, v = triangular_solve(lu, columns(b, b), 1, False, False), gb
    else:
        w, v = triangular_solve(lu, columns(g, b), 1, False, False), x
    h = triangular_solve(lu, w, 1, True, True)
    glu = -(triangle(h @ mT(triangle(lu, False) @ v), True, unit=True) + triangle(w @ mT(v), False))
    return (unbroadcast(glu, lu), None), shaped(gb, ans)


@defjvp(scipy.linalg.lu_solve, broadcasting=False)
def lu_solve_jvp(dlu_and_piv, db, ans, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True, *, batch=0):
    """`dx = a^-1 db - U^-1 (L^-1 dL U x + dU x)`; transposed, `dx = a^-T (db - dU.T w -
    U.T dL.T h)` with `w = U^-T b`, `h = L^-T w`."""
    kept(overwrite_b=overwrite_b)
    lu = square_matrix(lu_and_piv[0])
    x = columns(ans, b)
    db = columns(db, b)
    dlu = dlu_and_piv[0]
    dl, du, u = triangle(dlu, True, unit=True), triangle(dlu, False), triangle(lu, False)
    if lu_transposes(trans):
        w = triangular_solve(lu, columns(b, b), 1, False, False)
        h = triangular_solve(lu, w, 1, True, True)
        dx = lu_solved(lu_and_piv, db - mT(du) @ w - mT(u) @ (mT(dl) @ h), 1)
    else:
        inner = triangular_solve(lu, dl @ (u @ x), 0, True, True) + du @ x
        dx = lu_solved(lu_and_piv, db, 0) - triangular_solve(lu, inner, 0, False, False)
    return shaped(dx, ans, batch)


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
