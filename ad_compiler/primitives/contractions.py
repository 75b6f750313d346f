"""Contractions and diagonals: np.einsum, np.trace, np.diagonal, np.diag, np.tril, np.triu.

np.einsum is linear in each operand. Its subscripts are a constant, so the rules derive
new subscripts while lowering (`compile_time`): the JVP is one einsum per operand, its
tangent in place of the operand (an extra label `Z` for the directions, batched); the VJP
of an operand is the einsum of the cotangent with the other operands into that operand's
labels, with an identity matrix where a label repeats in the operand (`'ii'`: only the
diagonal is read) and ones where a label appears nowhere else (`'ij->i'`: the cotangent
is broadcast along `j`). (`optimize=` is not passed on to the derivative's einsums; one
of two operands that is a stacked matrix product is written with `@`: `matmul_plan`.)
np.einsum of one operand without a sum returns a view of it ('ii->i', 'ij->ji'): it is a
view primitive of its first array (`viewed=1`, after the subscripts), so an element write
through either is refused where the other is read, as for any view.

np.diagonal (a view) and np.trace read a diagonal: a cotangent is placed on the diagonal
of zeros. Their rules take the operand's rank, when known, to fix the axes while lowering
(a rule per rank: `products.at_ranks`), and an axis arithmetic that holds for any rank
otherwise.
"""

from __future__ import annotations

import ast
import string

import numpy as np

from ..errors import NoDerivativeError
from .helpers import batch_axis, no_derivative
from .products import MAX_RANK, at_ranks, first_axes, moved, same_call, unbroadcast
from .reads import einsum_reads
from .record import compile_time, defbatch, defjvp, defvjp, primitive

MAX_OPERANDS = 12
"""The most operands an einsum a rule writes may take (NumPy's limit is 52 labels)."""

def with_subscripts(call):
    """`np.einsum(a, [0, 1], b, [1, 2], [0, 2])` written as `np.einsum('ab,bc->ac', a, b)`,
    where every sublist is a display of ints (and `...`); None for another call."""
    args = call.args
    if len(args) < 2 or any(isinstance(a, ast.Starred) for a in args) or (
            isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)):
        return None
    labels = [_labels(a) for a in args[1::2]] + ([_labels(args[-1])] if len(args) % 2 else [])
    if any(label is None for label in labels):
        return None
    count = len(args) // 2
    spec = ",".join(labels[:count]) + ("->" + labels[count] if len(labels) > count else "")
    return ast.copy_location(ast.Call(call.func, [ast.Constant(spec), *args[0:2 * count:2]], call.keywords), call)


def _labels(node):
    """The letters of a sublist display (ints 0..51 and `...`), or None."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    text = ""
    for item in node.elts:
        if (isinstance(item, ast.Constant) and item.value is Ellipsis) or (
                isinstance(item, ast.Name) and item.id == "Ellipsis"):
            text += "..."
        elif isinstance(item, ast.Constant) and type(item.value) is int and 0 <= item.value < 52:
            text += string.ascii_letters[item.value]
        else:
            return None
    return text


primitive(np.einsum, infer=same_call, linear=True, view=True, viewed=1,  # (of one operand, a view of it)
          written=with_subscripts)
primitive(np.trace, infer=same_call, linear=True, fresh=True, methods=("trace",))
primitive(np.diagonal, infer=same_call, linear=True, view=True, methods=("diagonal",), moves=(0,))
primitive(np.diag, infer=same_call, linear=True, moves=(0,))
primitive(np.tril, np.triu, infer=same_call, linear=True, fresh=True, moves=(0,))
primitive(np.einsum, reads=lambda subscripts, *operands, **options: einsum_reads(subscripts, *operands)
          if isinstance(subscripts, str) and not set(options) - {"optimize"} else None)
primitive(np.trace, reads=lambda a, **options: einsum_reads("ii->", a) if not options and np.ndim(a) == 2 else None)
primitive(np.einsum, array_api="einsum")  # (not the standard's, but array-api-compat's for every library)


# ---- np.einsum ----

LISTED = "np.einsum is differentiated with its subscripts given as a string ('ij,jk->ik'), not as lists of axes"


def listed_subscripts(subscripts, *rest):
    """What the rules do where the subscripts are not a constant: the operands were given
    as lists of axes (`np.einsum(a, [0, 1], [0])`), which puts an array first."""
    no_derivative(LISTED)


@compile_time
def einsum_labels(subscripts, count):
    """The labels of each of `count` operands and of the result, the result's made
    explicit where NumPy infers it (the labels that appear once, in alphabetical order,
    after '...' if an operand has it)."""
    if not isinstance(subscripts, str):
        raise NoDerivativeError(LISTED)
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    operands = tuple(inputs.split(","))
    if len(operands) != count:
        raise NoDerivativeError(f"np.einsum: the subscripts {subscripts!r} name {len(operands)} operands, "
                                f"the call passes {count}")
    if arrow and "..." not in output and any("..." in s for s in operands):
        raise NoDerivativeError(f"np.einsum {subscripts!r} sums over the axes of '...' (in an operand, not in "
                                "the result), which is not differentiated: name those axes with letters")
    if not arrow:
        letters = "".join(operands).replace(".", "")
        output = "..." * any("..." in s for s in operands) + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    return operands, output


@compile_time
def fresh_label(*subscripts):
    return next(c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba" if c not in "".join(subscripts))


@compile_time
def positions(labels):
    """Each label of an operand with its axis: counted from the start before '...', from
    the end after it."""
    head, _, tail = labels.partition("...")
    return [(c, i) for i, c in enumerate(head)] + [(c, i - len(tail)) for i, c in enumerate(tail)]


@compile_time(run_time=listed_subscripts)
def cotangent_plan(subscripts, count, k):
    """How operand `k`'s cotangent is computed: the einsum's subscripts, its operands
    (`("g",)` the cotangent, `("x", j)` operand `j`, `("eye", axis)` / `("ones", axis)`
    an identity matrix / ones of the length of operand `k`'s `axis`), and, where operand
    `k` has labels before '...', the axes that move (see `einsum_cotangent`)."""
    operands, output = einsum_labels(subscripts, count)
    own = operands[k]
    used = "".join(operands) + output
    terms, labels = [("g",)], [output]
    for j, s in enumerate(operands):
        if j != k:
            terms.append(("x", j))
            labels.append(s)
    renamed = []
    for c, axis in positions(own):
        if c in [r for r, _ in renamed]:  # a repeated label: a new one, tied to the first by an identity
            new = fresh_label(used)
            used += new
            terms.append(("eye", axis))
            labels.append(c + new)
            c = new
        renamed.append((c, axis))
    for c, axis in renamed:
        if c not in "".join(labels):
            terms.append(("ones", axis))
            labels.append(c)
    head = "".join(c for c, axis in renamed if axis >= 0) if "..." in own else ""
    tail = "".join(c for c, _ in renamed)[len(head):]
    if head:
        result, move = "..." + head + tail, (first_axes(len(head)), tuple(range(-len(head) - len(tail), -len(tail))))
    else:  # ('...' of the others, which NumPy cannot sum away, leads: the transform sums it)
        result, move = "..." * ("..." in output) + tail, None
    if len(terms) > MAX_OPERANDS:
        raise NoDerivativeError(f"np.einsum: a derivative would take more than {MAX_OPERANDS} operands")
    return ",".join(labels) + "->" + result, tuple(terms), move


@compile_time(run_time=listed_subscripts)
def tangent_subscripts(subscripts, count, k, batch):
    """The subscripts of the einsum with operand `k`'s tangent in its place: explicit,
    and with a label `Z` for the directions in front of the tangent's and the result's
    labels, batched."""
    operands, output = einsum_labels(subscripts, count)
    if batch:
        z = fresh_label(subscripts)
        operands = operands[:k] + (z + operands[k],) + operands[k + 1:]
        output = z + output
    return ",".join(operands) + "->" + output


@compile_time
def matmul_plan(subscripts):
    """How an einsum of two operands is a matrix product, if it is one: which operand is
    the left factor (0 or 1), the axes of the left one in the order (labels both share
    and keep, then the row label, then the summed label) and of the right one (shared,
    summed, column), and the result's axes from the product's, the order chosen to
    transpose fewest; None where a label repeats, is summed in one operand alone, or
    where the rows, the summed axis or the columns are not one label each."""
    if not isinstance(subscripts, str) or "." in subscripts or "->" not in subscripts:
        return None
    inputs, _, output = subscripts.replace(" ", "").partition("->")
    a, _, b = inputs.partition(",")
    if "," in b or any(len(set(s)) != len(s) for s in (a, b, output)):
        return None
    plans = [product_axes(x, y, output) + (first,) for first, (x, y) in enumerate([(a, b), (b, a)])]
    plans = [plan for plan in plans if None not in plan]
    if not plans:
        return None
    left, right, result, first = min(plans, key=lambda plan: sum(axes != tuple(range(len(axes)))
                                                                 for axes in plan[:3]))
    return first, left, right, result


def product_axes(x, y, output):
    """`matmul_plan`'s axes for `x` the left factor (Nones if that is not a product)."""
    shared = [c for c in output if c in x and c in y]
    rows, columns = [c for c in x if c not in y], [c for c in y if c not in x]
    summed = [c for c in x if c in y and c not in output]
    if len(rows) != 1 or len(columns) != 1 or len(summed) != 1 or set(output) != set(shared + rows + columns):
        return None, None, None
    left, right, product = shared + rows + summed, shared + summed + columns, shared + rows + columns
    return (tuple(x.index(c) for c in left), tuple(y.index(c) for c in right),
            tuple(product.index(c) for c in output))


def arranged(x, axes):
    """`x` with its axes in the order `axes` (a constant): itself if they are in order,
    `x.T` for a matrix."""
    if axes == tuple(range(len(axes))):
        return x
    if axes == (1, 0):
        return x.T
    return np.transpose(x, axes)


def einsum_of(subscripts, xs):
    """np.einsum of the operands `xs` (a tuple whose length is known while lowering: a
    call cannot spread a tuple). Of two operands whose einsum is a (stacked) matrix
    product, the matrix product: NumPy's einsum loops over the labels in C, which is
    slow where they are short (10 to 50 times, for stacks of 2 x 2 matrices); `@` calls
    BLAS."""
    n = len(xs)
    if n == 1:
        return np.einsum(subscripts, xs[0])
    if n == 2 and matmul_plan(subscripts) is not None:
        first, left, right, result = matmul_plan(subscripts)
        return arranged(arranged(xs[first], left) @ arranged(xs[1 - first], right), result)
    if n == 2:
        return np.einsum(subscripts, xs[0], xs[1])
    if n == 3:
        return np.einsum(subscripts, xs[0], xs[1], xs[2])
    if n == 4:
        return np.einsum(subscripts, xs[0], xs[1], xs[2], xs[3])
    if n == 5:
        return np.einsum(subscripts, xs[0], xs[1], xs[2], xs[3], xs[4])
    if n == 6:
        return np.einsum(subscripts, xs[0], xs[1], xs[2], xs[3], xs[4], xs[5])
    if n == 7:
        return np.einsum(subscripts, xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], xs[6])
    if n == 8:
        return np.einsum(subscripts, xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], xs[6], xs[7])
    if n == 9:
        return np.einsum(subscripts, xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], xs[6], xs[7], xs[8])
    if n == 10:
        return np.einsum(subscripts, xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], xs[6], xs[7], xs[8], xs[9])
    if n == 11:
        return np.einsum(subscripts, xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], xs[6], xs[7], xs[8], xs[9],
                         xs[10])
    return np.einsum(subscripts, xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], xs[6], xs[7], xs[8], xs[9], xs[10],
                     xs[11])


def plan_operand(term, g, arrays, x):
    """One operand of a cotangent's einsum (see `cotangent_plan`)."""
    if term[0] == "g":
        return g
    if term[0] == "x":
        return arrays[term[1]]
    if term[0] == "eye":
        return np.eye(np.shape(x)[term[1]])
    return np.ones(np.shape(x)[term[1]])


def einsum_cotangent(g, subscripts, arrays, k):
    """The cotangent of operand `k`. Where its labels start with '...', the transform
    sums it over what '...' broadcast (it is a broadcasting rule); with labels before
    '...' the einsum gives '...' first, the sum is taken here against the operand with
    its '...' first, and the axes are moved back."""
    spec, terms, move = cotangent_plan(subscripts, len(arrays), k)
    x = arrays[k]
    t = einsum_of(spec, tuple(plan_operand(term, g, arrays, x) for term in terms))
    if move is None:
        return t
    return moved(unbroadcast(t, moved(x, move[0], move[1])), move[1], move[0])


def items(xs, start):
    """`xs[start:]` of a tuple of operands (which a rule cannot slice)."""
    return tuple(xs[i] for i in range(start, len(xs)))


@defvjp(np.einsum, broadcasting=True)
def einsum_vjp(g, ans, *operands):
    """The subscripts (operand 0) have no cotangent."""
    arrays = items(operands, 1)
    return tuple(einsum_cotangent(g, operands[0], arrays, k - 1) if k else None for k in range(len(operands)))


@defjvp(np.einsum, broadcasting=False)
def einsum_jvp(doperands, ans, *operands, batch=0):
    n = len(operands) - 1
    return sum(einsum_of(tangent_subscripts(operands[0], n, k, batch),
                         tuple(doperands[j] if j == k + 1 else operands[j] for j in range(1, n + 1)))
               for k in range(n))


@compile_time(run_time=listed_subscripts)
def batched_subscripts(subscripts, batched):
    """The subscripts with a label for the batch axis in front of the batched operands'
    labels and the result's (`batched` per operand, the subscripts first)."""
    operands, output = einsum_labels(subscripts, len(batched) - 1)
    z = fresh_label(subscripts)
    return ",".join(z + s if b else s for s, b in zip(operands, batched[1:])) + "->" + z + output


@defbatch(np.einsum)
def einsum_batch(*operands, batched, ranks):
    """Each example's einsum: one more label, for the batch axis."""
    return einsum_of(batched_subscripts(operands[0], batched), items(operands, 1))


# ---- diagonals: np.diagonal, np.trace, np.diag; triangles: np.tril, np.triu ----

@compile_time
def diagonal_axes(axis1, axis2, rank):
    """np.diagonal's axes, from the end where the rank is known (to see that they are
    already last: a matrix's (0, 1))."""
    if rank is None:
        return axis1, axis2
    return axis1 % rank - rank, axis2 % rank - rank


def diagonal_filled(out, g, offset):
    """`out` (zeros) with `g` written on the `offset` diagonal of its last two axes (`g`
    a diagonal's worth of values, last; or one value per diagonal, broadcast)."""
    n = np.shape(np.diagonal(out, offset, -2, -1))[-1]
    out[..., np.arange(n) + max(-offset, 0), np.arange(n) + max(offset, 0)] = g
    return out


def placed_on_diagonal(g, x, offset, axis1, axis2, rank):
    """Zeros of `x`'s shape with `g` on the `offset` diagonal of the axes `axis1`, `axis2`:
    the cotangent of np.diagonal, and, with `g` given a last axis of length 1, of np.trace.
    `rank` is `x`'s, if known."""
    axes = diagonal_axes(axis1, axis2, rank)
    xm = moved(x, axes, (-2, -1))
    return moved(diagonal_filled(np.zeros_like(xm), g, offset), (-2, -1), axes)


def _diagonal_rules(rank) -> None:
    """The VJP rules of np.diagonal and np.trace of operands of rank `rank` (None: any)."""

    def diagonal_vjp(g, ans, x, offset=0, axis1=0, axis2=1):
        return placed_on_diagonal(g, x, offset, axis1, axis2, rank)

    def trace_vjp(g, ans, x, offset=0, axis1=0, axis2=1, dtype=None, out=None):
        return placed_on_diagonal(np.expand_dims(g, -1), x, offset, axis1, axis2, rank)

    for prim, rule in ((np.diagonal, diagonal_vjp), (np.trace, trace_vjp)):
        if rank is None:
            defvjp(prim, broadcasting=False)(rule)
        else:
            at_ranks(defvjp, prim, ranks=(rank,), broadcasting=False)(rule)


for _rank in (*range(2, MAX_RANK + 1), None):
    _diagonal_rules(_rank)


@defjvp(np.diagonal, broadcasting=False)
def diagonal_jvp(dx, ans, x, offset=0, axis1=0, axis2=1, *, batch=0):
    if not batch and (offset, axis1, axis2) == (0, 0, 1):
        return np.diagonal(dx)
    return np.diagonal(dx, offset, batch_axis(axis1, batch), batch_axis(axis2, batch))


@defjvp(np.trace, broadcasting=False)
def trace_jvp(dx, ans, x, offset=0, axis1=0, axis2=1, dtype=None, out=None, *, batch=0):
    if not batch and (offset, axis1, axis2) == (0, 0, 1):
        return np.trace(dx)
    return np.trace(dx, offset, batch_axis(axis1, batch), batch_axis(axis2, batch))


def diag_of_vector_vjp(g, ans, v, k=0):
    """np.diag of a vector makes a matrix with `v` on its `k` diagonal."""
    if k == 0:
        return np.diagonal(g)
    return np.diagonal(g, k)


def diag_of_matrix_vjp(g, ans, v, k=0):
    """np.diag of a matrix reads its `k` diagonal."""
    return placed_on_diagonal(g, v, k, 0, 1, 2)


at_ranks(defvjp, np.diag, ranks=(1,), statics=1, broadcasting=False)(diag_of_vector_vjp)
at_ranks(defvjp, np.diag, ranks=(2,), statics=1, broadcasting=False)(diag_of_matrix_vjp)


@defvjp(np.diag, broadcasting=False)
def diag_vjp(g, ans, v, k=0):
    """A vector or a matrix: known at run time (generic code)."""
    return diag_of_vector_vjp(g, ans, v, k) if np.ndim(v) == 1 else diag_of_matrix_vjp(g, ans, v, k)


@at_ranks(defjvp, np.diag, ranks=(1,), statics=1, broadcasting=False)
def diag_of_vector_jvp(dv, ans, v, k=0, *, batch=0):
    """Batched: each direction's vector placed on the diagonal, by identity matrices: row
    `t` of `dv` goes to row `t + max(-k, 0)` and column `t + max(k, 0)`."""
    if not batch:
        return np.diag(dv, k)
    n, m = np.size(v), np.shape(ans)[0]
    return np.eye(m, n, -max(-k, 0)) * np.expand_dims(dv, -2) @ np.eye(n, m, max(k, 0))


@defjvp(np.diag, broadcasting=False)
def diag_jvp(dv, ans, v, k=0, *, batch=0):
    """A matrix (a vector's rule is `diag_of_vector_jvp`), or, never batched, either."""
    if batch:
        return np.diagonal(dv, k, 1, 2)
    return np.diag(dv, k)


def _triangle_rules(prim) -> None:
    """np.tril and np.triu keep a triangle of the last two axes and zero the rest: their
    cotangent is the same triangle of `g`. Of a vector, NumPy repeats it as the rows of a
    matrix first: the transform (a broadcasting rule) sums the rows back."""

    def triangle(x, k):
        if k == 0:
            return prim(x)
        return prim(x, k)

    @defvjp(prim, broadcasting=True)
    def triangle_vjp(g, ans, m, k=0):
        return triangle(g, k)

    @defjvp(prim, broadcasting=False)
    def triangle_jvp(dm, ans, m, k=0, *, batch=0):
        return triangle(dm, k)

    @at_ranks(defjvp, prim, ranks=(1,), statics=1, broadcasting=False)
    def triangle_of_vector_jvp(dm, ans, m, k=0, *, batch=0):
        """Batched: each direction's vector repeated as rows, as NumPy repeats `m`."""
        if batch:
            dm = np.broadcast_to(np.expand_dims(dm, -2), (np.shape(dm)[0],) + np.shape(ans))
        return triangle(dm, k)


_triangle_rules(np.tril)
_triangle_rules(np.triu)
