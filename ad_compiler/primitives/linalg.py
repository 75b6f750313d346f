"""Linear algebra (np.linalg): inverses, determinants, solves, the Cholesky, QR, symmetric
eigen- and singular value decompositions, norms, the pseudo-inverse, least squares, matrix
powers and chained products. SciPy's (`scipy_linalg`) share these rules.

NumPy's functions work on stacks of matrices `(..., m, n)`, and so do the rules: they
transpose with `mT` and multiply with `@`, which broadcasts stack axes, so a batched
tangent's leading axis of directions is one more stack axis and most JVPs need no `batch`
case. A rule calls only functions that have rules themselves (each other, `@`, sums,
`np.where`, `np.linalg.solve` for triangular solves), so derivatives of any order follow.
The formulas are the standard ones (Giles, "Collected matrix derivative results", 2008;
the rules of JAX's `lax.linalg`), written in NumPy.

Conventions, JAX's where it has one:
- cholesky, eigh, eigvalsh (and pinv with hermitian=True) read one triangle of a matrix
  they take to be symmetric; they are differentiated as functions of the symmetric matrix
  (`jnp.linalg` symmetrizes its input): a tangent is symmetrized, a cotangent symmetric.
- eigh's vectors need distinct eigenvalues, svd's vectors distinct singular values (and
  nonzero ones for a matrix that is not square), qr a matrix of full rank: elsewhere the
  derivative does not exist and the rules give inf or NaN, as JAX's.
- norm: at a kink, the subgradient JAX's rules of `abs`, `max` and `sqrt` would give
  there, except that the 2-norm (and the Frobenius norm) has derivative 0 at 0, where JAX
  gives NaN: see `norm_slope`.
- functions of a tuple (slogdet, eigh, svd, qr, lstsq) take their cotangent as the items'
  cotangents, `g[0]`, `g[1]`, ..., and give a tuple of tangents; a piecewise constant
  item (slogdet's sign, lstsq's rank) has none.
"""

from __future__ import annotations

import functools

import numpy as np

from ..ir import Const
from ..ir.types import Array, Scalar, TupleKind
from .helpers import batch_axis, lift, lifted, most, no_batching, no_derivative, raised, reduce_tangent
from .joining import packed
from .kinds import NUMPY_DTYPES, array_kind, shape_of
from .record import PRIMITIVES, compile_time, defbatch, defjvp, defvjp, defzero, primitive

# ---- kinds ------------------------------------------------------------------------------


def _probe(kind):
    """An operand of this kind for NumPy to compute a result's kind from: identity
    matrices, which every function here takes (zeros are singular); length-1 axes where
    the shape is not known. None where the kind is not known."""
    if isinstance(kind, TupleKind):
        items = [_probe(k) for k in kind.items]
        return None if any(item is None for item in items) else tuple(items)
    if isinstance(kind, Scalar):
        return NUMPY_DTYPES[kind.dtype](1)
    if not isinstance(kind, Array) or kind.dtype not in NUMPY_DTYPES:
        return None
    shape = kind.shape if kind.shape is not None else (1,) * kind.ndim
    dtype = NUMPY_DTYPES[kind.dtype]
    if len(shape) < 2:
        return np.ones(shape, dtype)
    return np.broadcast_to(np.eye(shape[-2], shape[-1], dtype=dtype), shape).copy()


def _result_kind(value, known):
    """The kind of what a probe gave (of its rank only where not every shape was known); a
    list of results (SciPy's factorizations of a stack give one) is read as a tuple."""
    if isinstance(value, (tuple, list)):
        return TupleKind(tuple(_result_kind(item, known) for item in value))
    if isinstance(value, bool):
        return Scalar("bool")
    made = np.asarray(value)
    dtype = {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}.get(made.dtype.kind)
    if dtype is None:
        return None
    return array_kind(made.shape if known else None, dtype, made.ndim)


_STATIC = "static"
"""The kind `_probed` is given for a constant operand, whose value it passes as it is."""


@functools.lru_cache(maxsize=1024)
def _probed(prim, kinds, statics, attrs):
    """The kind of `prim` of operands of these kinds, by running it on probes (cached:
    kind inference asks again for each pass, and a probe may be a large matrix)."""
    inputs = [value if kind == _STATIC else _probe(kind) for kind, value in zip(kinds, statics)]
    if any(x is None for x, kind in zip(inputs, kinds) if kind != _STATIC):
        return None
    try:
        with np.errstate(all="ignore"):
            made = PRIMITIVES.callable(prim)(*inputs, **dict(attrs))
    except Exception:  # noqa: BLE001 - operands the function refuses: it says so at run time
        return None
    known = all(shape_of(k) is not None for k in kinds if k != _STATIC and not isinstance(k, TupleKind))
    return _result_kind(made, known)


def probed_kind(op, kinds, producers):
    """The kind rule of the functions here: the kind of what the function gives for
    probes of its operands' kinds (`_probe`) and its static arguments; of a function that
    gives a tuple, a tuple of its length at least (`TUPLES`), so that its items are read
    as items, whatever their kinds."""
    statics = tuple(x.value if isinstance(x, Const) else None for x in op.inputs)
    keys = tuple(_STATIC if isinstance(x, Const) else k for x, k in zip(op.inputs, kinds))
    try:
        found = _probed(op.prim, keys, statics, tuple(sorted(op.attrs.items())))
    except TypeError:  # a static argument that cannot be a cache key
        found = _probed.__wrapped__(op.prim, keys, statics, tuple(sorted(op.attrs.items())))
    length = TUPLES.get(op.prim, lambda op: None)(op)
    if found is None and length is not None:
        return TupleKind((None,) * length)
    return found


def _static(op, position, name, default):
    return op.inputs[position].value if len(op.inputs) > position and isinstance(op.inputs[position], Const) \
        else op.attrs.get(name, default)


TUPLES = {
    "np.linalg.slogdet": lambda op: 2,
    "np.linalg.eigh": lambda op: 2,
    "np.linalg.svd": lambda op: 3 if _static(op, 2, "compute_uv", True) else None,
    "np.linalg.qr": lambda op: None if _static(op, 1, "mode", "reduced") == "r" else 2,
    "np.linalg.lstsq": lambda op: 4,
    "scipy.linalg.cho_factor": lambda op: 2,
    "scipy.linalg.lu_factor": lambda op: 2,
    "scipy.linalg.lu": lambda op: 2 if _static(op, 1, "permute_l", False) else 3,
}
"""The functions here that give a tuple: its length, from the call's static arguments."""


def lstsq_kind(op, kinds, producers):
    """np.linalg.lstsq: the residuals are empty when the rank is not full, which only the
    values tell: their length is not known."""
    x, residuals, rank, s = probed_kind(op, kinds, producers).items
    return TupleKind((x, None if residuals is None else Array(1, residuals.dtype), rank, s))


FUNCTIONS = (np.linalg.inv, np.linalg.det, np.linalg.slogdet, np.linalg.solve, np.linalg.cholesky,
             np.linalg.norm, np.linalg.pinv, np.linalg.eigh, np.linalg.eigvalsh, np.linalg.svd, np.linalg.qr,
             np.linalg.matrix_power, np.linalg.matrix_rank)
primitive(*FUNCTIONS, infer=probed_kind, fresh=True)
primitive(np.linalg.lstsq, infer=lstsq_kind, fresh=True)
defzero(np.linalg.matrix_rank)
primitive(np.linalg.inv, np.linalg.det, np.linalg.slogdet, np.linalg.cholesky, np.linalg.pinv, np.linalg.eigh,
          np.linalg.eigvalsh, np.linalg.svd, np.linalg.qr, np.linalg.matrix_power, np.linalg.matrix_rank,
          stacks=(2,))
primitive(np.linalg.inv, np.linalg.solve, np.linalg.cholesky, np.linalg.eigh, np.linalg.eigvalsh, np.linalg.svd,
          np.linalg.pinv, np.linalg.lstsq, np.linalg.matrix_power, raises=True)  # (singular, not converging)


# ---- what the rules share ------------------------------------------------------------


def mT(x):
    """The transpose of each matrix of a stack."""
    return np.swapaxes(x, -1, -2)


def sym(x):
    """The symmetric part of each matrix."""
    return 0.5 * (x + mT(x))


def expanded(s):
    """A number per matrix as a factor of each matrix: two length-1 axes after it."""
    return np.expand_dims(np.expand_dims(s, -1), -1)


def diagonal(x):
    """The diagonal of each square matrix (a product with the identity: no indexing,
    which a batch axis would complicate)."""
    return np.sum(x * np.eye(np.shape(x)[-1]), axis=-1)


def diagonal_matrix(d):
    """The square matrices with diagonals `d`."""
    return np.expand_dims(d, -1) * np.eye(np.shape(d)[-1])


def below(x):
    """Row minus column index of each entry of a matrix of `x`'s (last two) axes."""
    return np.expand_dims(np.arange(np.shape(x)[-2]), -1) - np.arange(np.shape(x)[-1])


def triangle(x, lower, unit=False):
    """`x` with zeros outside its lower (or upper) triangle, and on its diagonal too
    with `unit`: what a function that reads that triangle reads of it. A product with
    the triangle's 0/1 pattern as floats, not `np.where(keep, x, 0.0)`: reverse mode
    takes a cotangent made so for one that stays 0 outside `keep` through what follows,
    which a product of stacks of matrices does not (ad/masks.py)."""
    offset = below(x)
    if not lower:
        offset = -offset
    if unit:
        return x * np.where(offset > 0, 1.0, 0.0)
    return x * np.where(offset >= 0, 1.0, 0.0)


def phi(x):
    """The lower triangle of each matrix, with its diagonal halved (the Cholesky rules)."""
    offset = below(x)
    return x * ((offset > 0) + 0.5 * (offset == 0))


def gaps(w):
    """`1 / (w[j] - w[i])` at (i, j) off the diagonal, 0 on it: how eigenvectors turn
    toward each other (infinite for repeated values, where they have no derivative)."""
    eye = np.eye(np.shape(w)[-1])
    return 1.0 / (np.expand_dims(w, -2) - np.expand_dims(w, -1) + eye) - eye


def columns(x, b):
    """`x`, of the shape of a solution or of a right-hand side `b`, as a stack of
    matrices: one column for a vector `b` (one axis: NumPy 2 and SciPy take it as a
    vector; `shaped` undoes it). A reshape, not a branch on the rank, which known shapes
    fold."""
    return np.reshape(x, np.shape(x) + (1,) * (np.ndim(b) == 1))


def shaped(t, like, batch=0):
    """`t` (`columns` of a vector) with the shape of `like`, after `batch` axes of
    directions (its shape written from indices, which fold once shapes are known)."""
    return np.reshape(t, (np.shape(t)[0],) * batch + np.shape(like))


def unbroadcast(t, x):
    """`t` summed over the axes along which `x` was broadcast (its stack axes, against
    another operand's): the compiler's own `unbroadcast`, which specialization turns
    into the one `np.sum` it stands for once shapes are known."""
    raise AssertionError("unbroadcast is lowered, never called")


unbroadcast.__adc_prim__ = "unbroadcast"


# ---- inverses, determinants, solves ----------------------------------------------------


@defvjp(np.linalg.inv, broadcasting=False)
def inv_vjp(g, ans, a):
    t = mT(ans)
    return -(t @ g @ t)


@defjvp(np.linalg.inv, broadcasting=False)
def inv_jvp(da, ans, a):
    return -(ans @ da @ ans)


@defvjp(np.linalg.det, broadcasting=False)
def det_vjp(g, ans, a):
    """`g det(a) inv(a).T`: an exactly singular `a` raises LinAlgError at run time."""
    return expanded(g * ans) * mT(np.linalg.inv(a))


@defjvp(np.linalg.det, broadcasting=False)
def det_jvp(da, ans, a):
    return ans * np.sum(mT(np.linalg.inv(a)) * da, axis=(-2, -1))


@defvjp(np.linalg.slogdet, broadcasting=False)
def slogdet_vjp(g, ans, a):
    """Of (sign, log|det|): the sign is piecewise constant, so only `g[1]` enters."""
    return expanded(g[1]) * mT(np.linalg.inv(a))


@defjvp(np.linalg.slogdet, broadcasting=False)
def slogdet_jvp(da, ans, a):
    dlogdet = np.sum(mT(np.linalg.inv(a)) * da, axis=(-2, -1))
    return np.zeros_like(dlogdet), dlogdet


@defvjp(np.linalg.solve, broadcasting=False)
def solve_vjp(g, ans, a, b):
    """`gb = a^-T g`, `ga = -gb x.T`; the stacks of `a` and `b` broadcast, so the
    cotangents are summed back to their shapes."""
    gb = np.linalg.solve(mT(a), columns(g, b))
    ga = -(gb @ mT(columns(ans, b)))
    return unbroadcast(ga, a), unbroadcast(shaped(gb, ans), b)


def solve_tangent(da, db, ans, a, b, batch):
    """`dx = a^-1 (db - da x)`."""
    x = columns(ans, b)
    db = columns(db, b)
    if batch:
        da, db = lift(da, a, np.ndim(x)), lift(db, columns(b, b), np.ndim(x))
    return shaped(np.linalg.solve(a, db - da @ x), ans, batch)


@defjvp(np.linalg.solve, broadcasting=False)
def solve_jvp(da, db, ans, a, b, *, batch=0):
    return solve_tangent(da, db, ans, a, b, batch)


@defbatch(np.linalg.solve)
def solve_batch(a, b, *, batched, ranks):
    """Each example's solve. NumPy 2 reads `b` as a vector only where it has one axis, so
    a batched vector becomes a column (and the column is taken off the result); the
    operands are given one rank (axes of length 1 after a batch axis, before an
    unbatched operand), which NumPy reads the same way in every version."""
    ra, rb = ranks
    ba, bb = batched
    if ra < 2 or rb < 1:
        no_batching("np.linalg.solve of a number")
    if rb == 1:
        b = b[..., None]
        rb = 2
        vector = True
    else:
        vector = False
    rank = most(ra, rb) + 1
    a = lifted(a, rank - ra - 1) if ba else raised(a, rank - ra)
    b = lifted(b, rank - rb - 1) if bb else raised(b, rank - rb)
    x = np.linalg.solve(a, b)
    if vector:
        return x[..., 0]
    return x


@compile_time
def norm_batch_axis(ord, axis, rank):
    """np.linalg.norm's `axis` for an operand with a batch axis in front (None where
    no axis says it: the norm of the whole flattened array, without an `ord`)."""
    if axis is not None:
        return batch_axis(axis, 1)
    if rank == 1:
        return 1
    if rank == 2:
        return (1, 2)  # (without `ord`: the Frobenius norm, the 2-norm of all entries)
    if ord is None:
        return None
    no_batching("np.linalg.norm with an ord of an array of more than two axes")


@defbatch(np.linalg.norm)
def norm_batch(x, ord=None, axis=None, keepdims=False, *, batched, ranks):
    """Each example's norm: its axes after the batch axis; the whole array's (no `axis`,
    no `ord`) as the norm of the rows of the batch flattened."""
    if ranks[0] == 0:
        no_batching("np.linalg.norm of a number")
    axes = norm_batch_axis(ord, axis, ranks[0])
    if axes is None:
        flat = np.linalg.norm(np.reshape(x, (np.shape(x)[0], -1)), axis=1)
        if keepdims:
            return np.reshape(flat, (np.shape(x)[0],) + (1,) * ranks[0])
        return flat
    if ord is None and not keepdims:
        return np.linalg.norm(x, axis=axes)
    if not keepdims:
        return np.linalg.norm(x, ord=ord, axis=axes)
    return np.linalg.norm(x, ord=ord, axis=axes, keepdims=True)


# ---- factorizations --------------------------------------------------------------------


@defvjp(np.linalg.cholesky, broadcasting=False)
def cholesky_vjp(g, ans, a, upper=False):
    """`a = L L.T`; with `upper`, the factor is `L.T`. With `P = phi(L.T gL)`, the
    cotangent is the symmetric part of `L^-T P L^-1` (Murray, "Differentiation of the
    Cholesky decomposition", 2016)."""
    if upper:
        g = mT(g)
    lt = ans if upper else mT(ans)
    left = np.linalg.solve(lt, phi(lt @ g))
    return sym(mT(np.linalg.solve(lt, mT(left))))


@defjvp(np.linalg.cholesky, broadcasting=False)
def cholesky_jvp(da, ans, a, upper=False):
    """`dL = L phi(L^-1 sym(da) L^-T)`."""
    factor = mT(ans) if upper else ans
    inner = np.linalg.solve(factor, mT(np.linalg.solve(factor, sym(da))))
    dfactor = factor @ phi(inner)
    if upper:
        return mT(dfactor)
    return dfactor


@defvjp(np.linalg.eigh, broadcasting=False)
def eigh_vjp(g, ans, a, UPLO="L"):
    """Of (w, v): `sym(v (diag(gw) + F * (v.T gv)) v.T)`, `F = gaps(w)`."""
    w, v = ans[0], ans[1]
    inner = diagonal_matrix(g[0]) + gaps(w) * (mT(v) @ g[1])
    return sym(v @ inner @ mT(v))


@defjvp(np.linalg.eigh, broadcasting=False)
def eigh_jvp(da, ans, a, UPLO="L"):
    w, v = ans[0], ans[1]
    rotated = mT(v) @ sym(da) @ v
    return diagonal(rotated), v @ (gaps(w) * rotated)


@defvjp(np.linalg.eigvalsh, broadcasting=False)
def eigvalsh_vjp(g, ans, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO=UPLO)[1]
    return (v * np.expand_dims(g, -2)) @ mT(v)


@defjvp(np.linalg.eigvalsh, broadcasting=False)
def eigvalsh_jvp(da, ans, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO=UPLO)[1]
    return diagonal(mT(v) @ da @ v)


COMPLETING = ("the vectors that complete a basis (svd with full_matrices=True, qr with mode='complete', of a "
              "matrix that is not square) are any rotation of each other: they have no derivative; pass "
              "full_matrices=False (mode='reduced')")


@compile_time
def svd_checked(compute_uv, hermitian):
    if hermitian:
        no_derivative("np.linalg.svd with hermitian=True (an eigendecomposition) is not differentiated: "
               "use np.linalg.eigh, or hermitian=False")
    return compute_uv


@defvjp(np.linalg.svd, broadcasting=False)
def svd_vjp(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """Of the reduced `a = U diag(s) Vh`: `U (diag(gs) + (J + J.T) S + S (K + K.T)) Vh`
    with `J = F * (U.T gU)`, `K = F * (Vh gV)`, `F = gaps(s ** 2)`, plus the parts of
    `gU`, `gV` outside the spans of U, V for a matrix that is not square."""
    if not svd_checked(compute_uv, hermitian):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return (u * np.expand_dims(g, -2)) @ vh
    if full_matrices and np.shape(a)[-2] != np.shape(a)[-1]:
        raise ValueError(COMPLETING)  # (no derivative exists: refused where the call runs)
    u, s, vh = ans[0], ans[1], ans[2]
    gu, gs, gv = g[0], g[1], mT(g[2])
    f = gaps(s * s)
    j = f * (mT(u) @ gu)
    k = f * (vh @ gv)
    inner = diagonal_matrix(gs) + (j + mT(j)) * np.expand_dims(s, -2) + np.expand_dims(s, -1) * (k + mT(k))
    ga = u @ inner @ vh
    if np.shape(a)[-2] > np.shape(a)[-1]:
        ga = ga + ((gu - u @ (mT(u) @ gu)) / np.expand_dims(s, -2)) @ vh
    if np.shape(a)[-2] < np.shape(a)[-1]:
        ga = ga + u @ (mT(gv - mT(vh) @ (vh @ gv)) / np.expand_dims(s, -1))
    return ga


@defjvp(np.linalg.svd, broadcasting=False)
def svd_jvp(da, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """JAX's `svd_jvp_rule`: with `dS = U.T da V`, `ds = diag(dS)`,
    `dU = U (F * (dS S + S dS.T))` and `dV = V (F * (S dS + dS.T S))`, plus the parts
    outside the spans of U, V for a matrix that is not square."""
    if not svd_checked(compute_uv, hermitian):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return diagonal(mT(u) @ da @ mT(vh))
    if full_matrices and np.shape(a)[-2] != np.shape(a)[-1]:
        raise ValueError(COMPLETING)  # (no derivative exists: refused where the call runs)
    u, s, vh = ans[0], ans[1], ans[2]
    v = mT(vh)
    rotated = mT(u) @ da @ v
    f = gaps(s * s)
    right = rotated * np.expand_dims(s, -2)
    left = np.expand_dims(s, -1) * rotated
    du = u @ (f * (right + mT(right)))
    dv = v @ (f * (left + mT(left)))
    if np.shape(a)[-2] > np.shape(a)[-1]:
        dav = da @ v
        du = du + (dav - u @ (mT(u) @ dav)) / np.expand_dims(s, -2)
    if np.shape(a)[-2] < np.shape(a)[-1]:
        dau = mT(da) @ u
        dv = dv + (dau - v @ (vh @ dau)) / np.expand_dims(s, -2)
    return du, diagonal(rotated), mT(dv)


def qr_tall_pullback(gq, gr, q, r):
    """The cotangent of `a = Q R` of at least as many rows as columns: `(gQ + Q N) R^-T`
    with `M = gR R.T - Q.T gQ` and `N = M - tril(M - M.T, -1)` (the transpose of JAX's
    `qr_jvp_rule`)."""
    m = gr @ mT(r) - mT(q) @ gq
    n = m - triangle(m - mT(m), True, unit=True)
    return mT(np.linalg.solve(r, mT(gq + q @ n)))


def qr_tall_tangents(da, q, r):
    """JAX's `qr_jvp_rule`: with `X = da R^-1`, `C = Q.T X` and `O` the skew-symmetric
    matrix of C's strictly lower triangle, `dQ = Q (O - C) + X` and `dR = (C - O) R`."""
    x = mT(np.linalg.solve(mT(r), mT(da)))
    c = mT(q) @ x
    low = triangle(c, True, unit=True)
    o = low - mT(low)
    return q @ (o - c) + x, (c - o) @ r


@compile_time
def qr_mode(mode):
    if mode not in ("reduced", "complete", "r"):
        no_derivative(f"np.linalg.qr with mode={mode!r} is not differentiated: use mode='reduced'")
    return mode


def qr_pullback(gq, gr, a, q, r):
    """Of a matrix with fewer rows than columns, `a = [X | Y]` (X square): `X = Q R_X`
    and `R = [R_X | Q.T Y]`, so Y's cotangent is `Q gR_Y` and Q's gains `Y gR_Y.T`."""
    rows = np.shape(a)[-2]
    if rows >= np.shape(a)[-1]:
        return qr_tall_pullback(gq, gr, q, r)
    gx = qr_tall_pullback(gq + a[..., :, rows:] @ mT(gr[..., :, rows:]), gr[..., :, :rows], q, r[..., :, :rows])
    return np.concatenate([gx, q @ gr[..., :, rows:]], axis=-1)


def qr_tangents(da, a, q, r):
    rows = np.shape(a)[-2]
    if rows >= np.shape(a)[-1]:
        return qr_tall_tangents(da, q, r)
    dq, drx = qr_tall_tangents(da[..., :, :rows], q, r[..., :, :rows])
    dry = mT(dq) @ a[..., :, rows:] + mT(q) @ da[..., :, rows:]
    return dq, np.concatenate([drx, dry], axis=-1)


@defvjp(np.linalg.qr, broadcasting=False)
def qr_vjp(g, ans, a, mode="reduced"):
    """Of (Q, R), or of R alone with mode='r' (Q found again)."""
    if qr_mode(mode) != "r":
        if mode == "complete" and np.shape(a)[-2] > np.shape(a)[-1]:
            raise ValueError(COMPLETING)  # (no derivative exists: refused where the call runs)
        return qr_pullback(g[0], g[1], a, ans[0], ans[1])
    q = np.linalg.qr(a)[0]
    return qr_pullback(np.zeros_like(q), g, a, q, ans)


@defjvp(np.linalg.qr, broadcasting=False)
def qr_jvp(da, ans, a, mode="reduced"):
    if qr_mode(mode) != "r":
        if mode == "complete" and np.shape(a)[-2] > np.shape(a)[-1]:
            raise ValueError(COMPLETING)  # (no derivative exists: refused where the call runs)
        return qr_tangents(da, a, ans[0], ans[1])
    q = np.linalg.qr(a)[0]
    return qr_tangents(da, a, q, ans)[1]


# ---- pseudo-inverse, least squares -----------------------------------------------------


def pinv_pullback(g, a, p):
    """Of `p = pinv(a)` where the rank is constant (Golub and Pereyra, 1973):
    `-p.T g p.T + p.T p g.T (I - p a) + (I - a p) g.T p p.T`."""
    t, gt = mT(p), mT(g)
    away_rows = np.eye(np.shape(a)[-1]) - p @ a
    away_cols = np.eye(np.shape(a)[-2]) - a @ p
    return -(t @ g @ t) + t @ p @ gt @ away_rows + away_cols @ gt @ p @ t


def pinv_tangent(da, a, p):
    """`-p da p + p p.T da.T (I - a p) + (I - p a) da.T p.T p`."""
    t, dat = mT(p), mT(da)
    away_rows = np.eye(np.shape(a)[-1]) - p @ a
    away_cols = np.eye(np.shape(a)[-2]) - a @ p
    return -(p @ da @ p) + p @ t @ dat @ away_cols + away_rows @ dat @ t @ p


@defvjp(np.linalg.pinv, broadcasting=False)
def pinv_vjp(g, ans, a, rcond=None, hermitian=False, rtol=None):
    """Exact where the rank of `a` does not change nearby (no singular value near the
    cutoff); with `hermitian`, of the symmetric matrix, as eigh's."""
    ga = pinv_pullback(g, a, ans)
    return sym(ga) if hermitian else ga


@defjvp(np.linalg.pinv, broadcasting=False)
def pinv_jvp(da, ans, a, rcond=None, hermitian=False, rtol=None):
    if hermitian:
        da = sym(da)
    return pinv_tangent(da, a, ans)


def lstsq_pinv(a, rcond):
    """The pseudo-inverse of `a` with lstsq's cutoff (`rcond`, by default machine
    precision times the larger side), whose product with `b` is lstsq's solution."""
    if rcond is None:
        return np.linalg.pinv(a, rtol=None)
    return np.linalg.pinv(a, rcond=rcond)


@defvjp(np.linalg.lstsq, broadcasting=False)
def lstsq_vjp(g, ans, a, b, rcond=None):
    """Of (x, residuals, rank, s): `x = pinv(a) b`; the residuals, `|b - a x|^2` per
    column (empty unless the rank is full and there are more rows than columns), vary
    as `2 r.(db - da x)` with `r = b - a x` (`a.T r = 0`); `s` as the singular values
    (`svd_vjp`: an SVD more, whether `s` is used or not)."""
    p = lstsq_pinv(a, rcond)
    gx, x, bc = columns(g[0], b), columns(ans[0], b), columns(b, b)
    ga = pinv_pullback(gx @ mT(bc), a, p)
    gb = mT(p) @ gx
    if np.size(ans[1]) > 0:
        r = 2.0 * (bc - a @ x) * g[1]
        ga = ga - r @ mT(x)
        gb = gb + r
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return ga + (u * np.expand_dims(g[3], -2)) @ vh, shaped(gb, b)


@defjvp(np.linalg.lstsq, broadcasting=False)
def lstsq_jvp(da, db, ans, a, b, rcond=None, *, batch=0):
    """The tangents of x, of the residuals (empty where they are) and of s; the rank has none."""
    p = lstsq_pinv(a, rcond)
    x, bc, db = columns(ans[0], b), columns(b, b), columns(db, b)
    dx = pinv_tangent(da, a, p) @ bc + p @ db
    dres = 2.0 * np.sum((bc - a @ x) * (db - da @ x), axis=-2)
    if np.size(ans[1]) == 0:
        dres = dres[..., :0]
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return shaped(dx, ans[0], batch), dres, None, diagonal(mT(u) @ da @ mT(vh))


# ---- powers and chains of products ---------------------------------------------------


def power_terms(x, t, n):
    """`sum(x^k t x^(n-1-k) for k < n)`, the derivative of `x^n` along `t`."""
    total, power = t, x
    for _ in range(n - 1):
        total = total @ x + power @ t
        power = power @ x
    return total


@defvjp(np.linalg.matrix_power, broadcasting=False)
def matrix_power_vjp(g, ans, a, n):
    """An integer power `n`; a negative one is a power of `inv(a)`."""
    if n == 0:
        return np.zeros_like(a)
    if n > 0:
        return power_terms(mT(a), g, n)
    t = mT(np.linalg.inv(a))
    return -(t @ power_terms(t, g, -n) @ t)


@defjvp(np.linalg.matrix_power, broadcasting=False)
def matrix_power_jvp(da, ans, a, n):
    if n == 0:
        return 0.0 * da
    if n > 0:
        return power_terms(a, da, n)
    b = np.linalg.inv(a)
    return power_terms(b, -(b @ da @ b), -n)


# multi_dot takes one sequence of arrays (a packed primitive: its operands are the items),
# matrices, of which the first and the last may be vectors (a row, a column).

def as_matrices(arrays):
    """multi_dot's items as matrices: a first vector as a row, a last one as a column."""
    last = len(arrays) - 1
    return [np.reshape(a, (1, -1)) if k == 0 and np.ndim(a) == 1 else
            np.reshape(a, (-1, 1)) if k == last and np.ndim(a) == 1 else a for k, a in enumerate(arrays)]


def chained(matrices):
    return matrices[0] if len(matrices) == 1 else np.linalg.multi_dot(matrices)


packed(np.linalg.multi_dot,
       over_sequence_refused="np.linalg.multi_dot of a list whose length is known only at run time is not "
                             "supported: multiply the matrices with @ in a loop over the list")


@defvjp(np.linalg.multi_dot, broadcasting=False)
def multi_dot_vjp(g, ans, *arrays):
    """Item k's cotangent is `(A_0 .. A_k-1).T G (A_k+1 .. A_n-1).T`, of the items as
    matrices (G: the cotangent as a matrix)."""
    matrices = as_matrices(arrays)
    n = len(matrices)
    g = np.reshape(g, (np.shape(matrices[0])[0], np.shape(matrices[n - 1])[1]))
    pieces = []
    for k in range(n):
        piece = g if k == 0 else chained(matrices[:k]).T @ g
        piece = piece if k == n - 1 else piece @ chained(matrices[k + 1:]).T
        pieces.append(np.reshape(piece, np.shape(arrays[k])))
    return tuple(pieces)


def product_term(matrices, k, dk):
    """The chain product with `dk` (a tangent of item k as a matrix, or a stack of them
    over the directions: `@` of a stack) in the place of item k."""
    term = dk if k == 0 else chained(matrices[:k]) @ dk
    return term if k == len(matrices) - 1 else term @ chained(matrices[k + 1:])


@defjvp(np.linalg.multi_dot, broadcasting=False)
def multi_dot_jvp(darrays, ans, *arrays, batch=0):
    """The sum over items of the product with the item's tangent in its place."""
    matrices = as_matrices(arrays)
    lead = (np.shape(darrays[0])[0],) if batch else ()
    total = product_term(matrices, 0, np.reshape(darrays[0], lead + np.shape(matrices[0])))
    for k in range(1, len(matrices)):
        total = total + product_term(matrices, k, np.reshape(darrays[k], lead + np.shape(matrices[k])))
    return np.reshape(total, lead + np.shape(ans))


# ---- norms -------------------------------------------------------------------------------


@compile_time
def norm_case(ord, axis, matrix):
    """Which norm `np.linalg.norm(x, ord, axis)` computes: `matrix` says whether it is
    over two axes (axis a pair, or None of a matrix with an `ord`)."""
    if ord is None or (ord == 2 and not matrix) or (ord in ("fro", "f") and matrix):
        return "two"  # sqrt(sum(x ** 2)): the vector 2-norm, the Frobenius norm
    if ord == "nuc" and matrix:
        return "nuclear"
    if ord in (2, -2) and matrix:
        return "spectral"
    if ord in (np.inf, -np.inf, 1, -1) and matrix:
        return "sums"
    if ord in (np.inf, -np.inf) and not matrix:
        return "largest"
    if isinstance(ord, (int, float)) and not isinstance(ord, bool) and not matrix:
        return "zero" if ord == 0 else "power"
    return "invalid"  # (NumPy refuses it: never reached)


@compile_time
def is_pair(axis):
    return isinstance(axis, tuple) and len(axis) == 2


@compile_time
def summed_axes(ord, axes):
    """For the matrix norms of ord 1, -1, inf, -inf over `axes` (rows, columns; None: of
    a matrix): the axis the absolute values are summed over, then the one the extreme sum
    is taken over."""
    rows, columns = axes if axes is not None else (-2, -1)
    return (rows, columns) if ord in (1, -1) else (columns, rows)


def safe(ans):
    """A norm as a divisor: 1 where it is 0 (where the rules take the derivative 0)."""
    return np.where(ans == 0, 1.0, ans)


def shared(hit, axis):
    """1 / count at the `hit` entries along `axis`, 0 elsewhere: how `max` shares its
    cotangent among ties (JAX's reduce_max rule)."""
    return hit / np.sum(hit, axis=axis, keepdims=True)


def singular_slope(x, ord, axes):
    """The derivative of the nuclear norm (`U Vh`, the sum of the singular values) or of
    the largest or smallest singular value (`U diag(w) Vh`, `w` shared among ties) of the
    matrices of `x` over `axes` (None: `x` is a matrix)."""
    if axes is not None:
        x = np.moveaxis(x, axes, (-2, -1))
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    if ord == "nuc":
        slope = u @ vh
    else:
        extreme = np.max(s, axis=-1, keepdims=True) if ord == 2 else np.min(s, axis=-1, keepdims=True)
        slope = (u * np.expand_dims(shared(s == extreme, -1), -2)) @ vh
    if axes is not None:
        return np.moveaxis(slope, (-2, -1), axes)
    return slope


def norm_slope(x, ans, ord, axis, matrix):
    """The derivative of each norm with respect to each entry of `x` (`ans` with the
    reduced axes kept). At a kink, JAX's subgradient: sign(0) = 0 for |x|; the cotangent
    of a largest (smallest) entry or column sum shared among ties; but the 2-norm and the
    Frobenius norm have derivative 0 at 0, where JAX's is NaN, and so has an entry 0 in a
    p-norm of p < 1, where the true slope is infinite (`|x|` has 0 at its kink too)."""
    case = norm_case(ord, axis, matrix)
    if case == "two":
        return x / safe(ans)
    if case == "largest":
        return np.sign(x) * shared(np.abs(x) == ans, axis)
    if case == "zero":
        return np.zeros_like(x)
    if case == "power":
        kink = np.logical_or(x == 0, ans == 0)
        scaled = np.where(kink, 1.0, np.abs(x) / safe(ans))  # (no 0 ** negative: no inf to mask)
        return np.where(kink, 0.0, np.sign(x) * scaled ** (ord - 1))
    if case == "sums":
        summed, extreme = summed_axes(ord, axis)
        totals = np.sum(np.abs(x), axis=summed, keepdims=True)
        return np.sign(x) * shared(totals == ans, extreme)
    if case == "invalid":
        raise ValueError("invalid norm order")
    return singular_slope(x, ord, axis)


def norm_slope_of(x, ans, ord, axis, rank):
    """`norm_slope` with the axes NumPy takes for `axis=None`: all of them, as one vector,
    without an `ord`; with one, the vector or the matrix `x` is (`rank`, 1 or 2 when the
    rule is chosen for it, else found at run time)."""
    if axis is None and ord is None:
        return norm_slope(x, ans, None, None, False)
    if axis is None and rank is None:
        if np.ndim(x) == 1:
            return norm_slope(x, ans, ord, 0, False)
        return norm_slope(x, ans, ord, None, True)
    if axis is None:  # (the axes of a matrix: None for singular_slope, which needs no move)
        return norm_slope(x, ans, ord, 0 if rank == 1 else None, rank == 2)
    if is_pair(axis):
        return norm_slope(x, ans, ord, axis, True)
    return norm_slope(x, ans, ord, axis, False)


def _norm_rules(rank):
    """The rules of np.linalg.norm of an `x` of this rank (None: any, the rule for ranks
    not known), whose `axis=None` says whether it is a vector or a matrix norm; chosen
    for the calls that pass `ord` by keyword or by position."""

    def norm_vjp(g, ans, x, ord=None, axis=None, keepdims=False):
        if axis is not None and not keepdims:
            g, ans = np.expand_dims(g, axis), np.expand_dims(ans, axis)
        return g * norm_slope_of(x, ans, ord, axis, rank)

    def norm_jvp(dx, ans, x, ord=None, axis=None, keepdims=False, *, batch=0):
        full = ans
        if axis is not None and not keepdims:
            full = np.expand_dims(ans, axis)
        return reduce_tangent(dx * norm_slope_of(x, full, ord, axis, rank), ans, x, axis, keepdims, batch)

    for ranks in ([None] if rank is None else [(rank,), (rank, 0), (rank, None)]):
        defvjp(np.linalg.norm, broadcasting=False, ranks=ranks)(norm_vjp)
        defjvp(np.linalg.norm, broadcasting=False, ranks=ranks)(norm_jvp)


_norm_rules(1)
_norm_rules(2)
_norm_rules(None)
