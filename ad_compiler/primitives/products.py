"""Products: `@` (np.matmul), np.dot, np.inner, np.vdot, np.outer, np.kron, np.tensordot,
np.cross, and NumPy 2's np.vecdot, np.matvec and np.vecmat.

Each is linear in each operand, so a JVP is the product of each tangent with the other
operand, and a VJP contracts the cotangent with the other operand. Most are a tensordot:
`contraction_vjp` writes its cotangents as two matrix products (the contracted axes moved
together and flattened, as NumPy's own tensordot computes), which holds for any rank.

Rules are lowered before ranks are known, so where the product depends on ranks (np.dot
above matrices contracts the second-to-last axis of `y`, a number times an array is a
plain product, np.kron pairs the axes of its operands) there is a rule per rank
combination up to `MAX_RANK`, each with its axes fixed, chosen once specialization knows
the ranks; code for operands of any rank (`.generic`) gets a rule that decides at run time.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from ..runtime import _run
from .helpers import after_batch, batch_axis, lift, lifted, most, no_batching, supported
from .kinds import array_kind, broadcast, by_probing, shape_of
from .reads import Ids, are_ids, einsum_reads
from .record import PRIMITIVES, compile_time, defbatch, defjvp, defvjp, primitive
from ..ir.types import Array, Scalar, promote

MAX_RANK = 6
"""Operands up to this rank get rules of their rank; above it, the rule for any rank."""

unbroadcast = _run("unbroadcast")
"""The transform's own reduction of a cotangent to an operand's shape (`runtime`), for a
rule that reduces before it reshapes."""


def matmul_kind(op, kinds, producers):
    """`x @ y` as NumPy does it: vectors promoted and their axis dropped again, stacks of
    matrices broadcast; np.dot of a number is a product, above matrices a tensordot."""
    x, y = kinds
    if op.prim == "np.dot" and (isinstance(x, Scalar) or isinstance(y, Scalar)):
        return broadcast(kinds)
    if not isinstance(x, Array) or not isinstance(y, Array):
        return None
    if op.prim == "np.dot" and (x.ndim > 2 or y.ndim > 2):
        return same_call(op, kinds, producers)
    dtype = promote(x.dtype, y.dtype)
    if x.shape is None or y.shape is None:
        ndim = max(x.ndim, y.ndim) if min(x.ndim, y.ndim) >= 2 else x.ndim + y.ndim - 2
        return array_kind(None, dtype, ndim)
    xs = (1,) + x.shape if x.ndim == 1 else x.shape
    ys = y.shape + (1,) if y.ndim == 1 else y.shape
    if xs[-1] != ys[-2]:
        return None
    try:
        stack = np.broadcast_shapes(xs[:-2], ys[:-2])
    except ValueError:
        return None
    shape = stack + (xs[-2],) * (x.ndim > 1) + (ys[-1],) * (y.ndim > 1)
    return array_kind(shape, dtype)


def outer_kind(op, kinds, producers):
    x, y = (shape_of(k) for k in kinds)
    if x is None or y is None:
        return None
    return array_kind((int(np.prod(x)), int(np.prod(y))), promote(kinds[0].dtype, kinds[1].dtype))


def _call(op, *operands):
    return PRIMITIVES.callable(op.prim)(*operands, **op.attrs)


same_call = by_probing(_call)
"""The kind of the result NumPy gives for operands of the kinds of the op's (its static
parameters, by position or keyword, as the op has them)."""
stacked_call = by_probing(_call, exact=False)
"""`same_call`, and the rank alone where a shape is not known: that of a product of
stacks (np.vecdot, np.matvec) follows from the ranks."""


def at_ranks(define, *prims, ranks, statics=3, **options):
    """A decorator registering a rule (`define`: defvjp or defjvp) for a first operand of
    each rank in `ranks`, followed by up to `statics` numbers given by position (an
    offset, an axis): a rule whose axes are fixed by the rank while lowering."""
    def register(fn):
        for rank in ranks:
            for count in range(statics + 1):
                define(*prims, ranks=(rank,) + (0,) * count, **options)(fn)
        return fn

    return register


primitive("matmul", np.matmul, np.dot, arity=2, infer=matmul_kind, linear=True, fresh=True, product=True)
primitive(np.dot, methods=("dot",))
primitive(np.outer, arity=2, infer=outer_kind, linear=True, fresh=True)
primitive(np.inner, np.vdot, np.kron, arity=2, infer=same_call, linear=True, fresh=True)
primitive(np.tensordot, np.cross, infer=same_call, linear=True, fresh=True)
primitive(*[getattr(np, name) for name in ("vecdot", "matvec", "vecmat") if hasattr(np, name)], arity=2,
          infer=stacked_call, linear=True, fresh=True)


# ---- which elements a product reads (the `reads` trait; arrays of element ids) ----

def _lead(n, start):
    """`n` distinct lowercase labels from letter `start` on."""
    return "abcdefghijklmnopqrstuvw"[start:start + n]


def _by_ranks(a, b, subscripts):
    """`einsum_reads` of `subscripts(rank of a, rank of b)`, or of the broadcast product
    where one operand is a number (np.dot, np.inner)."""
    if not are_ids(a, b):
        return None
    if a.ndim == 0 or b.ndim == 0:
        return einsum_reads("...,...->...", a, b)
    spec = subscripts(a.ndim, b.ndim)
    return None if spec is None else einsum_reads(spec, a, b)


def matmul_reads(a, b):
    return _by_ranks(a, b, lambda m, n: None if 0 in (m, n) else
                     ("...iz" if m > 1 else "z") + "," + ("...zk" if n > 1 else "z")
                     + "->..." + ("i" if m > 1 else "") + ("k" if n > 1 else ""))


def dot_reads(a, b):
    return _by_ranks(a, b, lambda m, n: f"{_lead(m - 1, 0)}z,z->{_lead(m - 1, 0)}" if n == 1 else
                     f"{_lead(m - 1, 0)}z,{_lead(n - 2, 8)}zy->{_lead(m - 1, 0)}{_lead(n - 2, 8)}y")


def inner_reads(a, b):
    return _by_ranks(a, b, lambda m, n: f"{_lead(m - 1, 0)}z,{_lead(n - 1, 8)}z->{_lead(m - 1, 0)}{_lead(n - 1, 8)}")


def outer_reads(a, b):
    return einsum_reads("i,j->ij", np.ravel(a).view(Ids), np.ravel(b).view(Ids)) if are_ids(a, b) else None


def tensordot_reads(a, b, axes=2):
    if not are_ids(a, b):
        return None
    if isinstance(axes, int):
        axes = (list(range(a.ndim - axes, a.ndim)), list(range(axes)))
    first, second = ([x] if isinstance(x, int) else list(x) for x in axes)
    left, right = list(_lead(a.ndim, 0)), list(_lead(b.ndim, 12))
    for i, j in zip(first, second):
        right[j] = left[i]
    out = [x for k, x in enumerate(left) if k not in [i % a.ndim for i in first]]
    out += [x for k, x in enumerate(right) if k not in [j % b.ndim for j in second]]
    return einsum_reads(f"{''.join(left)},{''.join(right)}->{''.join(out)}", a, b)


def cross_reads(a, b, **axes):
    """Component c of a cross product is a[c+1] b[c+2] - a[c+2] b[c+1] (indices mod 3; a
    2-vector has a third component 0, and the product of two is component 2 alone);
    vectors along the last axes (other axes: not said)."""
    if axes or not are_ids(a, b) or a.ndim == 0 or b.ndim == 0 or {a.shape[-1], b.shape[-1]} - {2, 3}:
        return None
    a, b = np.asarray(a), np.asarray(b)
    planar = a.shape[-1] == b.shape[-1] == 2
    a, b = np.broadcast_arrays(*(np.concatenate([x, np.zeros(x.shape[:-1] + (1,), dtype=x.dtype)], axis=-1)
                                 if x.shape[-1] == 2 else x for x in (a, b)))
    after, later = [1, 2, 0], [2, 0, 1]
    terms = np.stack([np.stack([a[..., after], b[..., later]], axis=-1),
                      np.stack([a[..., later], b[..., after]], axis=-1)], axis=-2)
    table = np.where(np.all(terms != 0, axis=-1, keepdims=True), terms, 0).reshape(a.shape + (4,))
    return table[..., 2, :] if planar else table


def stacked_reads(subscripts):
    """The reads of np.vecdot, np.matvec or np.vecmat on their default axes."""
    return lambda a, b, **axes: None if axes else einsum_reads(subscripts, a, b)


primitive("matmul", np.matmul, reads=matmul_reads)
primitive(np.dot, reads=dot_reads)
primitive(np.inner, reads=inner_reads)
primitive(np.outer, reads=outer_reads)
primitive(np.tensordot, reads=tensordot_reads)
for _fn in (np.matmul, np.tensordot, *[getattr(np, name) for name in ("vecdot",) if hasattr(np, name)]):
    primitive(_fn, array_api=_fn.__name__)  # (the Array API standard's names are NumPy's)
primitive(np.cross, reads=cross_reads)
for _name, _spec in (("vecdot", "...z,...z->..."), ("matvec", "...iz,...z->...i"), ("vecmat", "...z,...zi->...i")):
    if hasattr(np, _name):
        primitive(getattr(np, _name), reads=stacked_reads(_spec))


# ---- helpers the rules share ----

@compile_time
def last_axes(n):
    return tuple(range(-n, 0))


@compile_time
def first_axes(n):
    return tuple(range(n))


@compile_time
def contracted_axes(axes):
    """np.tensordot's `axes` as two tuples, of `a`'s axes and of `b`'s: a number `n` is
    `a`'s last `n` axes and `b`'s first `n`."""
    if isinstance(axes, int):
        return last_axes(axes), first_axes(axes)
    left, right = axes
    return tuple(np.atleast_1d(left).tolist()), tuple(np.atleast_1d(right).tolist())


def moved(x, source, destination):
    """np.moveaxis of the axes `source` (a tuple) to `destination`, left out where they
    are the same (known while lowering, except for np.dot of ranks known at run time)."""
    if source == destination:
        return x
    if len(source) == 1:
        return np.moveaxis(x, source[0], destination[0])
    return np.moveaxis(x, source, destination)


def contraction_vjp(g, a, b, ia, ib, b_last=False):
    """The cotangents of `a` and `b` in `np.tensordot(a, b, (ia, ib))`: with `a`'s
    contracted axes moved last and `b`'s first (or, with `b_last`, last, where np.inner
    has them), both flattened to matrices, `g` is a matrix too, and each cotangent a
    matrix product, reshaped and moved back."""
    n = len(ia)
    k = math.prod(tuple(np.shape(b)[i] for i in ib))
    rows, cols = np.size(a) // k, np.size(b) // k
    am = moved(a, ia, last_axes(n))
    a2 = np.reshape(am, (rows, k))
    g2 = np.reshape(g, (rows, cols))
    if b_last:
        b2 = np.reshape(b, (cols, k))
        return moved(np.reshape(g2 @ b2, np.shape(am)), last_axes(n), ia), np.reshape(g2.T @ a2, np.shape(b))
    bm = moved(b, ib, first_axes(n))
    b2 = np.reshape(bm, (k, cols))
    ga = moved(np.reshape(g2 @ b2.T, np.shape(am)), last_axes(n), ia)
    gb = moved(np.reshape(a2.T @ g2, np.shape(bm)), first_axes(n), ib)
    return ga, gb


def contraction_jvp(da, db, ans, a, b, ia, ib, batch):
    """The tangent of `np.tensordot(a, b, (ia, ib))`. Batched, `da`'s directions come
    first as the result's must; those of `db` come out after `a`'s free axes and are
    moved in front."""
    if not batch:
        return np.tensordot(da, b, (ia, ib)) + np.tensordot(a, db, (ia, ib))
    front = np.tensordot(da, b, (batch_axis(ia, 1), ib))
    back = np.tensordot(a, db, (ia, batch_axis(ib, 1)))
    return front + np.moveaxis(back, np.ndim(a) - len(ia), 0)


def scalar_product_vjp(g, ans, x, y):
    """A number times an array (np.dot, np.inner): the product, reduced by the transform."""
    return g * y, g * x


def scalar_product_jvp(dx, dy, ans, x, y):
    return dx * y + x * dy


# ---- matmul, and np.dot up to matrices: a rule per rank pair ----

@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(2, 2))
def matmul_vjp_2_2(g, ans, x, y):
    return g @ y.T, x.T @ g


@defjvp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(2, 2))
def matmul_jvp_2_2(dx, dy, ans, x, y):
    return dx @ y + x @ dy


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(2, 1))
def matmul_vjp_2_1(g, ans, x, y):
    return np.outer(g, y), x.T @ g


@defjvp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(2, 1))
def matmul_jvp_2_1(dx, dy, ans, x, y, *, batch=0):
    if batch:  # a stack of vectors dy: each row times x.T
        return dx @ y + dy @ x.T
    return dx @ y + x @ dy


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(1, 2))
def matmul_vjp_1_2(g, ans, x, y):
    return y @ g, np.outer(x, g)


@defjvp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(1, 2))
def matmul_jvp_1_2(dx, dy, ans, x, y):
    return dx @ y + x @ dy


@defvjp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(1, 1))
def matmul_vjp_1_1(g, ans, x, y):
    return g * y, g * x


@defjvp(operator.matmul, np.matmul, np.dot, broadcasting=False, ranks=(1, 1))
def matmul_jvp_1_1(dx, dy, ans, x, y, *, batch=0):
    if batch:
        return dx @ y + dy @ x
    return dx @ y + x @ dy


def matmul_vjp_stacks(g, ans, x, y):
    """Stacks of matrices (a batched tangent meeting a matrix, in a derivative of a
    derivative): matmul broadcasts the stack axes as arithmetic broadcasts, so, as a
    broadcasting rule, each cotangent is summed back over the stack axes its operand
    lacks."""
    return g @ np.swapaxes(y, -1, -2), np.swapaxes(x, -1, -2) @ g


for _ranks in [(a, b) for a in (2, 3, 4) for b in (2, 3, 4) if (a, b) != (2, 2)]:
    defvjp(operator.matmul, np.matmul, broadcasting=True, ranks=_ranks)(matmul_vjp_stacks)


def _stack_vector_rules(rank: int) -> None:
    """A stack of matrices times a vector, and a vector times a stack (rank 3 or 4): the
    vector's cotangent sums over the stack."""
    stack = tuple(range(rank - 1))
    around = tuple(range(rank - 2)) + (rank - 1,)

    @defvjp(operator.matmul, np.matmul, broadcasting=False, ranks=(rank, 1))
    def matmul_vjp_stack_vector(g, ans, x, y):
        gx = np.expand_dims(g, -1)
        return gx * y, np.sum(x * gx, axis=stack)

    @defvjp(operator.matmul, np.matmul, broadcasting=False, ranks=(1, rank))
    def matmul_vjp_vector_stack(g, ans, x, y):
        gy = np.expand_dims(g, -2)
        return np.sum(y * gy, axis=around), np.expand_dims(x, -1) * gy


_stack_vector_rules(3)
_stack_vector_rules(4)


@defvjp(operator.matmul, np.matmul, broadcasting=False)
def matmul_vjp(g, ans, x, y):
    """Any ranks (known only at run time, or above the rules of their ranks): vectors
    promoted to a row (x) and a column (y) as matmul promotes them, the stacks of each
    cotangent summed back to its operand's."""
    x2 = np.atleast_2d(x)
    y2 = np.atleast_2d(y.T).T
    stack = np.broadcast_shapes(np.shape(x2[..., 0, 0]), np.shape(y2[..., 0, 0]))
    g2 = np.reshape(g, stack + (np.shape(x2)[-2], np.shape(y2)[-1]))
    gx = unbroadcast(g2 @ np.swapaxes(y2, -1, -2), x2)
    gy = unbroadcast(np.swapaxes(x2, -1, -2) @ g2, y2)
    return np.reshape(gx, np.shape(x)), np.reshape(gy, np.shape(y))


@defjvp(operator.matmul, np.matmul, broadcasting=False)
def matmul_jvp(dx, dy, ans, x, y, *, batch=0):
    """Any ranks. Batched (ranks are then known, so only stacks of matrices come here):
    vectors promoted as matmul promotes them, and each tangent's batch axis put in front
    of all the stack axes."""
    if batch:
        x2 = np.atleast_2d(x)
        y2 = np.atleast_2d(y.T).T
        rank = max(np.ndim(x2), np.ndim(y2))
        dx2 = np.reshape(dx, (np.shape(dx)[0],) + (1,) * (rank - np.ndim(x2)) + np.shape(x2))
        dy2 = np.reshape(dy, (np.shape(dy)[0],) + (1,) * (rank - np.ndim(y2)) + np.shape(y2))
        t = dx2 @ y2 + x2 @ dy2
        return np.reshape(t, (np.shape(t)[0],) + np.shape(ans))
    return dx @ y + x @ dy


# ---- batching (vmap): matmul of stacks broadcasts, vectors are rows or columns ----

@defbatch(operator.matmul, np.matmul)
def matmul_batch(x, y, *, batched, ranks):
    """`x @ y` for each example, of operands whose batch axis (if `batched`) is in front.
    Matmul broadcasts stacks of matrices, so a batched operand has the batch axis in
    front of the other's stack axes (axes of length 1 after it where it has fewer); a
    vector is a row (`x`) or a column (`y`), as matmul promotes it, except where numpy
    reads a stack of vectors right as it is: `x @ W.T` for `W @ x` mapped over `x`."""
    bx, by = batched
    rx, ry = ranks
    if rx == 0 or ry == 0:
        no_batching("matmul of a number")
    if rx == 1 and ry == 1:
        if bx and by:
            return np.einsum("...i,...i->...", x, y)
        return x @ y if bx else y @ x
    if rx == 1:
        if not bx or (ry == 2 and not by):
            return x @ y
        return (x[after_batch(ry - 1)] @ y)[..., 0, :]
    if ry == 1:
        if not by:
            return x @ y
        if rx == 2 and not bx:
            return y @ x.T
        return (x @ lifted(y, rx - 2)[..., None])[..., 0]
    if bx and rx < ry:
        x = lifted(x, ry - rx)
    if by and ry < rx:
        y = lifted(y, rx - ry)
    return x @ y


@defbatch(np.dot)
def dot_batch(x, y, *, batched, ranks):
    """np.dot is matmul up to matrices, and a product with a number."""
    rx, ry = ranks
    if rx == 0 or ry == 0:
        if batched[0]:
            x = lifted(x, most(ry - rx, 0))
        if batched[1]:
            y = lifted(y, most(rx - ry, 0))
        return x * y
    if rx > 2 or ry > 2:
        no_batching("np.dot above matrices")
    return matmul_batch(x, y, batched=batched, ranks=ranks)


@defbatch(np.outer)
def outer_batch(x, y, *, batched, ranks):
    """Each example's outer product of its operands flattened: a column times a row."""
    bx, by = batched
    if bx:
        x = np.reshape(x, (np.shape(x)[0], -1))[:, :, None]
    else:
        x = np.reshape(x, (-1, 1))
    if by:
        y = np.reshape(y, (np.shape(y)[0], -1))[:, None, :]
    else:
        y = np.ravel(y)
    return x * y


# ---- np.dot and np.inner of any ranks: a product with a number, else a tensordot ----

def _contract_rules(prim, axis_of_y, y_last) -> None:
    """The rules of np.dot and np.inner, which contract the last axis of `x` with the axis
    `axis_of_y(rank of y)` of `y` (its last: `y_last`), and multiply where either is a
    number."""
    for r in range(MAX_RANK + 1):
        for ranks in {(0, r), (r, 0)}:
            defvjp(prim, broadcasting=True, ranks=ranks)(scalar_product_vjp)
            defjvp(prim, broadcasting=True, ranks=ranks)(scalar_product_jvp)
    for rx in range(1, MAX_RANK + 1):
        for ry in range(1, MAX_RANK + 1):
            if prim is not np.dot or max(rx, ry) > 2:  # (np.dot of matrices and vectors: matmul's)
                _contract_rank_rules(prim, rx, ry, (axis_of_y(ry),), y_last)

    @defvjp(prim, broadcasting=True)
    def contract_vjp(g, ans, x, y):
        """Ranks known only at run time (generic code)."""
        return product_or_contraction_vjp(g, x, y, axis_of_y, y_last)

    @defjvp(prim, broadcasting=False)
    def contract_jvp(dx, dy, ans, x, y, *, batch=0):
        """Ranks known only at run time: batched (a Jacobian of an operand of unknown
        kind), one direction at a time."""
        if batch:
            return np.stack([prim(dx[k], y) + prim(x, dy[k]) for k in range(np.shape(dx)[0])])
        return prim(dx, y) + prim(x, dy)


def product_or_contraction_vjp(g, x, y, axis_of_y, y_last):
    """A number times an array, or else a contraction: decided at run time."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        gx, gy = g * y, g * x
    else:  # (np.atleast_1d: a branch not taken must still make sense with a number y)
        gx, gy = contraction_vjp(g, x, np.atleast_1d(y), (-1,), (axis_of_y(np.ndim(y)),), y_last)
    return gx, gy


def _contract_rank_rules(prim, rx: int, ry: int, iy: tuple[int], y_last: bool) -> None:
    @defvjp(prim, broadcasting=False, ranks=(rx, ry))
    def contract_vjp(g, ans, x, y):
        return contraction_vjp(g, x, y, (-1,), iy, y_last)

    @defjvp(prim, broadcasting=False, ranks=(rx, ry))
    def contract_jvp(dx, dy, ans, x, y, *, batch=0):
        if batch:
            return contraction_jvp(dx, dy, ans, x, y, (-1,), iy, batch)
        return prim(dx, y) + prim(x, dy)


def dot_axis(rank):
    """The axis of `y` np.dot contracts: the second-to-last, or a vector's only one."""
    return max(rank - 2, 0)


def inner_axis(rank):
    return -1


_contract_rules(np.dot, dot_axis, False)
_contract_rules(np.inner, inner_axis, True)


# ---- np.tensordot, np.vdot, np.outer ----

@defvjp(np.tensordot, broadcasting=False)
def tensordot_vjp(g, ans, a, b, axes=2):
    ia, ib = contracted_axes(axes)
    return contraction_vjp(g, a, b, ia, ib)


@defjvp(np.tensordot, broadcasting=False)
def tensordot_jvp(da, db, ans, a, b, axes=2, *, batch=0):
    if not batch:
        return np.tensordot(da, b, axes=axes) + np.tensordot(a, db, axes=axes)
    ia, ib = contracted_axes(axes)
    return contraction_jvp(da, db, ans, a, b, ia, ib, batch)


def as_is(x):
    return x


def _conjugating_rules(conj, dtypes) -> None:
    """The VJP rules of the products that conjugate their first operand (np.vdot,
    np.vecdot, np.vecmat): its cotangent is conjugated back (JAX's convention); of real
    operands (`conj` then leaves its operand as it is) there is nothing to conjugate.
    np.matvec conjugates nothing, but its second cotangent is a np.vecmat of `g`, which
    conjugates `g` back."""

    @defvjp(np.vdot, broadcasting=False, dtypes=dtypes)
    def vdot_vjp(g, ans, x, y):
        """np.vdot flattens its operands (of one size, not necessarily one shape)."""
        return conj(g * np.reshape(y, np.shape(x))), g * np.reshape(conj(x), np.shape(y))

    @defjvp(np.vdot, broadcasting=False, dtypes=dtypes)
    def vdot_jvp(dx, dy, ans, x, y, *, batch=0):
        """Batched: each direction's flattened tangent against the other operand."""
        if batch:
            directions = (np.shape(dx)[0], np.size(x))
            return conj(np.reshape(dx, directions)) @ np.ravel(y) + np.reshape(dy, directions) @ conj(np.ravel(x))
        return np.vdot(dx, y) + np.vdot(x, dy)

    if hasattr(np, "vecdot"):
        @defvjp(np.vecdot, broadcasting=False, dtypes=dtypes)
        def vecdot_vjp(g, ans, x1, x2, axis=-1, axes=None, keepdims=False):
            """With the vectors last, `g` times the other operand, summed back over the
            stack axes its operand was broadcast along."""
            supported(axes is None and not keepdims, VECDOT_OPTIONS)
            a, b = vectors_last(x1, axis), vectors_last(x2, axis)
            gv = np.expand_dims(g, -1)
            return unbroadcast(vectors_back(conj(gv * b), x1, axis), x1), \
                unbroadcast(vectors_back(gv * conj(a), x2, axis), x2)

    if hasattr(np, "matvec"):
        @defvjp(np.matvec, broadcasting=False, dtypes=dtypes)
        def matvec_vjp(g, ans, x1, x2, axes=None):
            """The outer product of `g` and `x2` per stack, and `g` against the matrix's
            rows; each summed back over the stack axes its operand was broadcast along."""
            supported(axes is None, MATVEC_OPTIONS)
            return unbroadcast(np.expand_dims(g, -1) * np.expand_dims(x2, -2), x1), \
                unbroadcast(np.vecmat(conj(g), x1), x2)

        @defvjp(np.vecmat, broadcasting=False, dtypes=dtypes)
        def vecmat_vjp(g, ans, x1, x2, axes=None):
            supported(axes is None, MATVEC_OPTIONS)
            return unbroadcast(conj(np.matvec(x2, g)), x1), \
                unbroadcast(np.expand_dims(conj(x1), -1) * np.expand_dims(g, -2), x2)


VECDOT_OPTIONS = "np.vecdot with axes= or keepdims=True has no derivative rule: pass axis= (or move the axes first)"
MATVEC_OPTIONS = "np.matvec and np.vecmat with axes= have no derivative rule: move the axes with np.moveaxis first"

_conjugating_rules(as_is, ("float", "float"))
_conjugating_rules(np.conj, None)


@defvjp(np.outer, broadcasting=False)
def outer_vjp(g, ans, x, y):
    """np.outer flattens its operands: the cotangents take their shapes back."""
    return np.reshape(g @ np.ravel(y), np.shape(x)), np.reshape(np.ravel(x) @ g, np.shape(y))


@defjvp(np.outer, broadcasting=False)
def outer_jvp(dx, dy, ans, x, y, *, batch=0):
    """Batched: each direction's outer product, by broadcasting a column by a row."""
    if batch:
        return np.reshape(dx, (np.shape(dx)[0],) + (np.size(x), 1)) * np.ravel(y) + \
            np.reshape(x, (np.size(x), 1)) * np.reshape(dy, (np.shape(dy)[0],) + (1, np.size(y)))
    return np.outer(dx, y) + np.outer(x, dy)


# ---- np.kron: a rule per rank pair ----

@compile_time
def kron_subscripts(rank):
    """einsum subscripts of np.kron of operands of one rank: a's axes, b's, and the
    result's axes split into (a's, b's) pairs, interleaved."""
    a = "abcdefgh"[:rank]
    b = "ABCDEFGH"[:rank]
    return a, b, "".join(p + q for p, q in zip(a, b))


def kron_vjp_of_rank(g, a, b, rank):
    """The cotangents of np.kron's operands, their common rank `rank` (the operand of
    lower rank is taken with leading axes of length 1): the result, seen with each of
    its axes split into a pair (an axis of `a`, an axis of `b`), is the outer product of
    `a` and `b`."""
    sa, sb, pairs = kron_subscripts(rank)
    ap = np.reshape(a, (1,) * (rank - np.ndim(a)) + np.shape(a))
    bp = np.reshape(b, (1,) * (rank - np.ndim(b)) + np.shape(b))
    blocks = np.reshape(g, tuple(n for i in range(rank) for n in (np.shape(ap)[i], np.shape(bp)[i])))
    ga = np.einsum(pairs + "," + sb + "->" + sa, blocks, bp)
    gb = np.einsum(pairs + "," + sa + "->" + sb, blocks, ap)
    return np.reshape(ga, np.shape(a)), np.reshape(gb, np.shape(b))


def kron_jvp_of_rank(da, db, ans, a, b, rank):
    """Batched: the outer product of each direction with the other operand, its axes
    paired as np.kron pairs them, after the directions."""
    sa, sb, pairs = kron_subscripts(rank)
    directions = (np.shape(da)[0],)
    dap = np.reshape(da, directions + (1,) * (rank - np.ndim(a)) + np.shape(a))
    dbp = np.reshape(db, directions + (1,) * (rank - np.ndim(b)) + np.shape(b))
    ap = np.reshape(a, (1,) * (rank - np.ndim(a)) + np.shape(a))
    bp = np.reshape(b, (1,) * (rank - np.ndim(b)) + np.shape(b))
    t = np.einsum("Z" + sa + "," + sb + "->Z" + pairs, dap, bp) + np.einsum(sa + ",Z" + sb + "->Z" + pairs, ap, dbp)
    return np.reshape(t, directions + np.shape(ans))


def _kron_rules(ra: int, rb: int) -> None:
    rank = max(ra, rb)

    @defvjp(np.kron, broadcasting=False, ranks=(ra, rb))
    def kron_vjp(g, ans, a, b):
        return kron_vjp_of_rank(g, a, b, rank)

    @defjvp(np.kron, broadcasting=False, ranks=(ra, rb))
    def kron_jvp(da, db, ans, a, b, *, batch=0):
        if batch:
            return kron_jvp_of_rank(da, db, ans, a, b, rank)
        return np.kron(da, b) + np.kron(a, db)


for _ra in range(MAX_RANK + 1):
    for _rb in range(MAX_RANK + 1):
        _kron_rules(_ra, _rb)


def kron_vjp_of_any_rank(g, a, b):
    """The rule of the operands' rank, chosen at run time."""
    rank = max(np.ndim(a), np.ndim(b))
    if rank == 0:
        ga, gb = g * b, g * a
    elif rank == 1:
        ga, gb = kron_vjp_of_rank(g, a, b, 1)
    elif rank == 2:
        ga, gb = kron_vjp_of_rank(g, a, b, 2)
    elif rank == 3:
        ga, gb = kron_vjp_of_rank(g, a, b, 3)
    elif rank == 4:
        ga, gb = kron_vjp_of_rank(g, a, b, 4)
    elif rank == 5:
        ga, gb = kron_vjp_of_rank(g, a, b, 5)
    else:
        ga, gb = kron_vjp_of_rank(g, a, b, MAX_RANK)
    return ga, gb


@defvjp(np.kron, broadcasting=False)
def kron_vjp(g, ans, a, b):
    """Ranks known only at run time (generic code)."""
    return kron_vjp_of_any_rank(g, a, b)


@defjvp(np.kron, broadcasting=False)
def kron_jvp(da, db, ans, a, b):
    """Ranks known only at run time (so never batched)."""
    return np.kron(da, b) + np.kron(a, db)


# ---- np.cross ----

@compile_time
def cross_axes(axisa, axisb, axisc, axis):
    """np.cross's vector axes of `a`, `b` and the result: `axis`, if given, for all three."""
    return (axisa, axisb, axisc) if axis is None else (axis, axis, axis)


def shifted(axis, by):
    """`axis` of an array given `by` more leading axes: one counted from the end stays."""
    if axis < 0:
        return axis
    return axis + by


def vectors_last(x, axis):
    """`x` with its vector axis last (left as it is where it is last already)."""
    if axis == -1 or axis == np.ndim(x) - 1:
        return x
    return np.moveaxis(x, axis, -1)


def cross_cotangent(g, am, bm, axisc, left):
    """The cotangent of np.cross's left (`left`) or right operand, its vectors last
    (`am`, `bm`): as <g, a x b> = <b x g, a> = <g x a, b>, the cross product `b x g` or
    `g x a`. A 2-vector is a 3-vector whose third component is zero (NumPy's meaning):
    its cotangent is the first two components of that. The cross product of two
    2-vectors is only that third component, a number (the result has no vector axis, and
    `axisc` is ignored): the cotangents are `g` times (b1, -b0) and (-a1, a0)."""
    if np.shape(am)[-1] == 2 and np.shape(bm)[-1] == 2:
        if left:
            turned = np.stack([bm[..., 1], -bm[..., 0]], axis=-1)
        else:
            turned = np.stack([-am[..., 1], am[..., 0]], axis=-1)
        return np.expand_dims(g, -1) * turned
    if axisc != -1:  # the result's vector axis last
        g = np.moveaxis(g, axisc, -1)
    if left:
        ga = np.cross(bm, g)
        return ga[..., :2] if np.shape(am)[-1] == 2 else ga
    gb = np.cross(g, am)
    return gb[..., :2] if np.shape(bm)[-1] == 2 else gb


def vectors_back(t, x, axis):
    """A cotangent computed with the vectors last, its vector axis put back where `x`
    has it (counted from the end: `t` may have more leading axes than `x`)."""
    if axis == -1 or axis == np.ndim(x) - 1:
        return t
    if axis < 0:
        return np.moveaxis(t, -1, axis)
    return np.moveaxis(t, -1, axis - np.ndim(x))


@defvjp(np.cross, broadcasting=True)
def cross_vjp(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    axisa, axisb, axisc = cross_axes(axisa, axisb, axisc, axis)
    am, bm = vectors_last(a, axisa), vectors_last(b, axisb)
    ga = cross_cotangent(g, am, bm, axisc, True)
    gb = cross_cotangent(g, am, bm, axisc, False)
    return vectors_back(ga, a, axisa), vectors_back(gb, b, axisb)


def crossed(a, b, axisa, axisb, axisc):
    """np.cross, its axes written out only where they are not the defaults."""
    if (axisa, axisb, axisc) == (-1, -1, -1):
        return np.cross(a, b)
    return np.cross(a, b, axisa, axisb, axisc)


@defjvp(np.cross, broadcasting=False)
def cross_jvp(da, db, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, *, batch=0):
    """Batched: each tangent given the operands' common rank after its directions (so
    that the directions lead the broadcast), its vector axis moved along."""
    axisa, axisb, axisc = cross_axes(axisa, axisb, axisc, axis)
    if not batch:
        return crossed(da, b, axisa, axisb, axisc) + crossed(a, db, axisa, axisb, axisc)
    rank = max(np.ndim(a), np.ndim(b))
    directions = (np.shape(da)[0],)
    da = np.reshape(da, directions + (1,) * (rank - np.ndim(a)) + np.shape(a))
    db = np.reshape(db, directions + (1,) * (rank - np.ndim(b)) + np.shape(b))
    return crossed(da, b, shifted(axisa, 1 + rank - np.ndim(a)), axisb, shifted(axisc, 1)) + \
        crossed(a, db, axisa, shifted(axisb, 1 + rank - np.ndim(b)), shifted(axisc, 1))


# ---- np.vecdot (NumPy 2.0), np.matvec and np.vecmat (NumPy 2.2): stacks broadcast ----
# (Their VJP rules are `_conjugating_rules`'. A batched tangent is lifted to the rank of
# the stacks, so that its directions lead the broadcast: `helpers.lift`.)

if hasattr(np, "vecdot"):
    @defjvp(np.vecdot, broadcasting=False)
    def vecdot_jvp(dx1, dx2, ans, x1, x2, axis=-1, axes=None, keepdims=False, *, batch=0):
        """Batched: the vectors moved last (np.vecdot's one `axis` cannot name both a
        tangent's axis and its operand's)."""
        supported(axes is None and not keepdims, VECDOT_OPTIONS)
        if not batch and axis == -1:
            return np.vecdot(dx1, x2) + np.vecdot(x1, dx2)
        if not batch:
            return np.vecdot(dx1, x2, axis=axis) + np.vecdot(x1, dx2, axis=axis)
        a, b = vectors_last(x1, axis), vectors_last(x2, axis)
        da = lift(vectors_last(dx1, batch_axis(axis, 1)), a, np.ndim(ans) + 1)
        db = lift(vectors_last(dx2, batch_axis(axis, 1)), b, np.ndim(ans) + 1)
        return np.vecdot(da, b) + np.vecdot(a, db)

if hasattr(np, "matvec"):
    @defjvp(np.matvec, broadcasting=False)
    def matvec_jvp(dx1, dx2, ans, x1, x2, axes=None, *, batch=0):
        supported(axes is None, MATVEC_OPTIONS)
        if batch:
            dx1, dx2 = lift(dx1, x1, np.ndim(ans) + 1), lift(dx2, x2, np.ndim(ans))
        return np.matvec(dx1, x2) + np.matvec(x1, dx2)

    @defjvp(np.vecmat, broadcasting=False)
    def vecmat_jvp(dx1, dx2, ans, x1, x2, axes=None, *, batch=0):
        supported(axes is None, MATVEC_OPTIONS)
        if batch:
            dx1, dx2 = lift(dx1, x1, np.ndim(ans)), lift(dx2, x2, np.ndim(ans) + 1)
        return np.vecmat(dx1, x2) + np.vecmat(x1, dx2)


@defbatch(np.cross)
def cross_batch(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, *, batched, ranks):
    """Each example's cross product: a batched operand given the operands' common rank
    after its batch axis, so that the batch axis leads the broadcast, its vector axis
    moved along (as `cross_jvp` lifts a tangent)."""
    axisa, axisb, axisc = cross_axes(axisa, axisb, axisc, axis)
    ra, rb = ranks[0], ranks[1]  # (the axes may be operands too, constants)
    rank = most(ra, rb)
    if batched[0]:
        a = lifted(a, rank - ra)
        axisa = shifted(axisa, 1 + rank - ra)
    if batched[1]:
        b = lifted(b, rank - rb)
        axisb = shifted(axisb, 1 + rank - rb)
    return crossed(a, b, axisa, axisb, shifted(axisc, 1))
