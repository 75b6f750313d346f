"""The rules of the products and contractions (`primitives/products.py`,
`primitives/contractions.py`): np.dot of every rank and of numbers, np.inner, np.vdot,
np.vecdot, np.matvec, np.vecmat, np.outer, np.kron, np.tensordot, np.cross, np.einsum,
np.trace, np.diagonal, np.diag, np.tril, np.triu, checked against central differences in the four modes of
`tests.rules.checks`, in generic code (ranks known only at run time), and on a
bundle-adjustment reprojection residual.
"""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, jacfwd, jacrev
from ad_compiler.errors import NoDerivativeError
from tests.numeric import numeric_grad
from tests.rules.checks import APPLY, Spec, arguments, cases, family_tests, numeric_jacobian, weights

pytestmark = pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
"""(NumPy 2 deprecates np.cross of 2-vectors, which it still computes: they are tested.)"""


def dot_number_left(x):
    return np.dot(2.0, x)


def dot_number_right(x):
    return np.dot(x, 3.0)


def inner_number(x):
    return np.inner(x, 1.5)


def tensordot_one(a, b):
    return np.tensordot(a, b, axes=1)


def tensordot_pairs(a, b):
    return np.tensordot(a, b, axes=((0, 2), (2, 0)))


def tensordot_positional(a, b):
    return np.tensordot(a, b, 0)


def tensordot_default(a, b):
    return np.tensordot(a, b)


def cross_axis(a, b):
    return np.cross(a, b, axis=0)


def cross_axes(a, b):
    return np.cross(a, b, axisa=0, axisb=-1, axisc=0)


def einsum_matmul(a, b):
    return np.einsum("ij,jk->ik", a, b)


def einsum_implicit(a, b):
    return np.einsum("ij,jk", a, b)


def einsum_diagonal(a):
    return np.einsum("ii->i", a)


def einsum_trace(a):
    return np.einsum("ii", a)


def einsum_rows(a):
    return np.einsum("ij->i", a)


def einsum_batched(a, b):
    return np.einsum("...ij,...jk->...ik", a, b)


def einsum_ellipsis_inside(a, b):
    return np.einsum("i...j,...j->i...", a, b)


def einsum_three(a, b, c):
    return np.einsum("ijk,ikl,lm->jm", a, b, c)


def einsum_repeated_with_others(a, b):
    return np.einsum("iij,j->i", a, b)


def einsum_transpose_sum(a):
    return np.einsum("ij->", a) * np.einsum("ji", a)


def einsum_implicit_ellipsis(a, b):
    return np.einsum("...j,jk", a, b)


def vecdot_axis0(a, b):
    return np.vecdot(a, b, axis=0)


def trace_offset(x):
    return np.trace(x, 1)


def trace_axes(x):
    return np.trace(x, -1, 0, 2)


def diagonal_offset(x):
    return np.diagonal(x, 1)


def diagonal_axes(x):
    return np.diagonal(x, -1, 2, 0)


def diagonal_keywords(x):
    return np.diagonal(x, offset=1, axis1=1, axis2=0)


def diag_above(x):
    return np.diag(x, 1)


def diag_below(x):
    return np.diag(x, -1)


def tril_below(x):
    return np.tril(x, -1)


def triu_above(x):
    return np.triu(x, k=1)


SPECS = [
    # np.dot: matrices and vectors (matmul's rules), numbers, and above matrices (a tensordot)
    Spec(np.dot, 2, shapes=((2, 3), (3, 2))),
    Spec(np.dot, 2, shapes=((3,), (3, 2))),
    Spec(np.dot, 2, shapes=((), (3,))),
    Spec(np.dot, 2, shapes=((2, 3), ())),
    Spec(np.dot, 2, shapes=((), ()), batched=False),  # (two numbers: jacfwd takes plain passes)
    Spec(np.dot, call=dot_number_left, shapes=((3,),)),
    Spec(np.dot, call=dot_number_right, shapes=((2, 3),)),
    Spec(np.dot, 2, shapes=((2, 2, 3), (3, 2))),
    Spec(np.dot, 2, shapes=((2, 3), (2, 3, 2))),
    Spec(np.dot, 2, shapes=((2, 3), (2, 2, 3, 2))),
    Spec(np.dot, 2, shapes=((2, 1, 3), (3,))),
    Spec(np.dot, 2, shapes=((3,), (2, 3, 2))),
    # np.inner: the last axes
    Spec(np.inner, 2, shapes=((3,), (3,))),
    Spec(np.inner, 2, shapes=((2, 3), (3,))),
    Spec(np.inner, 2, shapes=((2, 3), (2, 2, 3))),
    Spec(np.inner, 2, shapes=((), (2, 3))),
    Spec(np.inner, call=inner_number, shapes=((3,),)),
    # np.vdot flattens (operands of one size)
    Spec(np.vdot, 2, shapes=((3,), (3,))),
    Spec(np.vdot, 2, shapes=((2, 3), (3, 2))),
    # np.vecdot (NumPy 2.0), np.matvec and np.vecmat (2.2): stacks broadcast as matmul's
    *([Spec(np.vecdot, 2, shapes=((3,), (3,))),
       Spec(np.vecdot, 2, shapes=((2, 3), (3,))),
       Spec(np.vecdot, 2, shapes=((3,), (2, 2, 3))),
       Spec(np.vecdot, 2, shapes=((2, 1, 3), (2, 3))),
       Spec(np.vecdot, 2, call=vecdot_axis0, shapes=((3, 2), (3,))),
       Spec(np.vecdot, 2, call=vecdot_axis0, shapes=((3, 2, 2), (3, 2)))] if hasattr(np, "vecdot") else []),
    *([Spec(np.matvec, 2, shapes=((2, 3), (3,))),
       Spec(np.matvec, 2, shapes=((2, 2, 3), (3,))),
       Spec(np.matvec, 2, shapes=((2, 3), (2, 2, 3))),
       Spec(np.matvec, 2, shapes=((2, 1, 2, 3), (2, 3))),
       Spec(np.vecmat, 2, shapes=((2,), (2, 3))),
       Spec(np.vecmat, 2, shapes=((2, 2), (2, 3))),
       Spec(np.vecmat, 2, shapes=((2,), (2, 2, 3)))] if hasattr(np, "matvec") else []),
    # np.outer flattens (and (3,) x (2,), (2, 2) x (3,) in the core table, tests/test_rules.py)
    Spec(np.outer, 2, shapes=((), (3,))),
    # np.kron: axes paired, the lower rank padded
    Spec(np.kron, 2, shapes=((2,), (3,))),
    Spec(np.kron, 2, shapes=((2, 2), (3, 2))),
    Spec(np.kron, 2, shapes=((2,), (2, 3))),
    Spec(np.kron, 2, shapes=((2, 1, 2), (3,))),
    Spec(np.kron, 2, shapes=((), (3,))),
    # np.tensordot: axes a number, pairs, by position, the default 2
    Spec(np.tensordot, 2, call=tensordot_one, shapes=((2, 3), (3, 2))),
    Spec(np.tensordot, 2, call=tensordot_one, shapes=((2, 2, 3), (3,))),
    Spec(np.tensordot, 2, call=tensordot_pairs, shapes=((2, 3, 3), (3, 2, 2))),
    Spec(np.tensordot, 2, call=tensordot_positional, shapes=((2,), (3,))),
    Spec(np.tensordot, 2, call=tensordot_default, shapes=((2, 3, 2), (3, 2))),
    # np.cross: 3-vectors, 2-vectors, both, stacked and broadcast, axes
    Spec(np.cross, 2, shapes=((3,), (3,))),
    Spec(np.cross, 2, shapes=((2, 3), (3,))),
    Spec(np.cross, 2, shapes=((3,), (2, 2, 3))),
    Spec(np.cross, 2, shapes=((2,), (2,))),
    Spec(np.cross, 2, shapes=((3, 2), (2,))),
    Spec(np.cross, 2, shapes=((2,), (3,))),
    Spec(np.cross, 2, shapes=((2, 3), (2,))),
    Spec(np.cross, 2, call=cross_axis, shapes=((3, 2), (3, 2))),
    Spec(np.cross, 2, call=cross_axes, shapes=((3, 2), (2, 3))),
    Spec(np.cross, 2, call=cross_axis, shapes=((2, 2), (2, 2))),
    # np.einsum: explicit, implicit, '...', repeated labels, three operands
    Spec(np.einsum, 2, call=einsum_matmul, shapes=((2, 3), (3, 2))),
    Spec(np.einsum, 2, call=einsum_implicit, shapes=((2, 3), (3, 2))),
    Spec(np.einsum, call=einsum_diagonal, shapes=((3, 3),)),
    Spec(np.einsum, call=einsum_trace, shapes=((3, 3),)),
    Spec(np.einsum, call=einsum_rows, shapes=((2, 3),)),
    Spec(np.einsum, 2, call=einsum_batched, shapes=((2, 2, 3), (3, 2))),
    Spec(np.einsum, 2, call=einsum_ellipsis_inside, shapes=((2, 2, 3), (3, 1, 3))),
    Spec(np.einsum, 3, call=einsum_three, shapes=((2, 3, 2), (2, 2, 3), (3, 2))),
    Spec(np.einsum, 2, call=einsum_repeated_with_others, shapes=((3, 3, 2), (2,))),
    Spec(np.einsum, call=einsum_transpose_sum, shapes=((3, 3),)),
    Spec(np.einsum, 2, call=einsum_implicit_ellipsis, shapes=((2, 2, 3), (3, 2))),
    # diagonals
    Spec(np.trace, shapes=((3, 3),)),
    Spec(np.trace, call=trace_offset, shapes=((3, 2),)),
    Spec(np.trace, call=trace_axes, shapes=((3, 2, 3),)),
    Spec(np.diagonal, shapes=((3, 3),)),
    Spec(np.diagonal, call=diagonal_offset, shapes=((2, 3),)),
    Spec(np.diagonal, call=diagonal_axes, shapes=((3, 2, 3),)),
    Spec(np.diagonal, call=diagonal_keywords, shapes=((3, 3),)),
    Spec(np.diag, shapes=((3,),)),
    Spec(np.diag, call=diag_above, shapes=((3,),)),
    Spec(np.diag, shapes=((3, 3),)),
    Spec(np.diag, call=diag_below, shapes=((3, 2),)),
    # triangles
    Spec(np.tril, shapes=((3, 3),)),
    Spec(np.triu, shapes=((2, 3),)),
    Spec(np.tril, call=tril_below, shapes=((2, 3, 3),)),
    Spec(np.triu, call=triu_above, shapes=((3,),)),
    Spec(np.tril, shapes=((3,),)),
]


test_reverse, test_forward, test_batched, test_second_order = family_tests(SPECS)


CORE_OUTER = [Spec(np.outer, 2, shapes=((3,), (2,))), Spec(np.outer, 2, shapes=((2, 2), (3,)))]
"""np.outer's specs in the core table (tests/test_rules.py), which runs the four checks
of them; their generic code is checked here."""
GENERIC, GENERIC_IDS = cases(SPECS + CORE_OUTER)


@pytest.mark.parametrize("spec, scalar", GENERIC, ids=GENERIC_IDS)
def test_generic(spec: Spec, scalar: bool) -> None:
    """Code for arguments of any kind (`.generic`: ranks known only at run time) takes the
    rules that decide at run time."""
    fn = spec.call or spec.fn
    args = arguments(spec, scalar)
    f = APPLY[spec.arity, scalar](fn, weights(np.shape(fn(*args))))
    result = grad(f, argnums=tuple(range(spec.arity))).generic(*args)
    for i in range(spec.arity):
        np.testing.assert_allclose(result[i], numeric_grad(f, args, i), rtol=1e-6, atol=1e-9, err_msg=spec.id)


def dot_sum(a, b):
    return np.sum(np.sin(np.dot(a, b)))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_dot_above_matrices_is_a_tensordot(mode: str) -> None:
    """np.dot of a 3-d array is not a stack of matrix products: it contracts the last axis
    of `a` with the second-to-last of `b`, pairing every stack of one with every stack of
    the other."""
    a, b = np.linspace(0.1, 0.9, 12).reshape(2, 2, 3), np.linspace(-0.5, 0.5, 18).reshape(3, 3, 2)
    ga, gb = grad(dot_sum, argnums=(0, 1), mode=mode)(a, b)
    np.testing.assert_allclose(ga, numeric_grad(dot_sum, (a, b), 0), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(gb, numeric_grad(dot_sum, (a, b), 1), rtol=1e-7, atol=1e-10)


def dot_by_number(x):
    return np.sum(np.dot(2.0, x))


def dot_number_after(x):
    return np.sum(np.dot(x, 3.0))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_dot_with_a_number_is_a_product(mode: str) -> None:
    """(np.dot with a number once crashed inside the emitted code, in both modes.)"""
    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_array_equal(grad(dot_by_number, mode=mode)(x), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(grad(dot_number_after, mode=mode)(x), [3.0, 3.0, 3.0])


def einsum_sublists(a, b):
    return (np.sum(np.einsum(a, [0, 1], b, [1, 2], [0, 2]) ** 2) + np.sum(np.einsum(a, [0, 1]) * a)
            + np.sum(np.einsum(a, [Ellipsis, 1], [1, Ellipsis]) ** 3) + np.einsum(b, (1, 1)))


SUBLISTS = [0, 1]


def einsum_sublist_by_name(a):
    return np.sum(np.einsum(a, SUBLISTS, [0]))


def einsum_over_the_ellipsis(a):
    return np.sum(np.einsum("...b->b", a) ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_einsum_with_subscripts_as_lists(mode: str) -> None:
    """np.einsum(a, [0, 1], b, [1, 2], [0, 2]) is np.einsum('ab,bc->ac', a, b)."""
    a, b = np.arange(6.0).reshape(2, 3) / 5, np.arange(9.0).reshape(3, 3) / 7
    got = grad(einsum_sublists, argnums=(0, 1), mode=mode)(a, b)
    for i in (0, 1):
        np.testing.assert_allclose(got[i], numeric_grad(einsum_sublists, (a, b), i), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("f, message", [(einsum_sublist_by_name, "subscripts"),
                                        (einsum_over_the_ellipsis, "name those axes with letters")])
def test_einsum_forms_without_a_rule_are_refused(f, message) -> None:
    with pytest.raises(NoDerivativeError, match=message):
        grad(f)(np.ones((2, 2)))


def matmul_einsum(a, b):
    return np.sum(np.sin(np.einsum("ij,jk->ik", a, b)))


def test_einsum_derivatives_are_einsums() -> None:
    """Each cotangent is one einsum of the cotangent with the other operand; one that is
    a matrix product is written with `@`."""
    derivative = grad(matmul_einsum, argnums=(0, 1))
    derivative(np.ones((2, 3)), np.ones((3, 2)))
    assert "ba = t1 @ b.T" in derivative.source and "bb = a.T @ t1" in derivative.source
    derivative = grad(outer_einsum, argnums=(0, 1))
    derivative(np.ones(2), np.ones(3))
    assert "np.einsum('ij,j->i'" in derivative.source


def outer_einsum(a, b):
    return np.sum(np.sin(np.einsum("i,j->ij", a, b)))


def stacked_einsum(a, b):
    return np.sum(np.sin(np.einsum("kij,nkj->nki", a, b)) * weights((4, 3, 2)))


def test_einsum_cotangents_of_stacked_matrix_products_are_matrix_products() -> None:
    """'kij,nkj->nki' (a stack over k of matrices times vectors) has cotangents
    'nki,nkj->kij' and 'nki,kij->nkj': each one `@` of transposed operands."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 2, 2)), rng.standard_normal((4, 3, 2))
    derivative = grad(stacked_einsum, argnums=(0, 1))
    for got, argnum in zip(derivative(a, b), (0, 1)):
        np.testing.assert_allclose(got, numeric_grad(stacked_einsum, (a, b), argnum), rtol=1e-6, atol=1e-8)
    assert derivative.source.count(" @ ") == 2 and derivative.source.count("np.einsum('") == 1  # (the primal's)


# ---- a user program: bundle adjustment ----

def rotate(w, points):
    """Rodrigues' rotation of `points` (rows) by the rotation vector `w`."""
    theta = np.sqrt(np.dot(w, w))
    k = w / theta
    cos, sin = np.cos(theta), np.sin(theta)
    return points * cos + np.cross(k, points) * sin + np.outer(np.dot(points, k), k) * (1.0 - cos)


def reprojection_residual(camera, points, observed):
    """The reprojection residual of 3-d points seen by a pinhole camera: rotation vector
    (0:3), translation (3:6), focal length (6)."""
    moved = rotate(camera[0:3], points) + camera[3:6]
    projected = moved[:, 0:2] / moved[:, 2:3] * camera[6]
    return np.ravel(projected - observed)


CAMERA = np.array([0.3, -0.2, 0.1, 0.1, -0.3, 4.0, 2.0])
POINTS = np.array([[0.5, -0.4, 1.0], [-0.6, 0.2, 0.8], [0.1, 0.9, -0.5], [0.7, 0.3, 0.2]])
OBSERVED = np.array([[0.2, -0.3], [-0.4, 0.1], [0.0, 0.5], [0.4, 0.2]])


@pytest.mark.parametrize("transform", [jacfwd, jacrev], ids=["jacfwd", "jacrev"])
def test_bundle_adjustment_jacobian(transform) -> None:
    """The Jacobian of the residual with respect to the camera and the points matches
    central differences."""
    args = (CAMERA, POINTS, OBSERVED)
    jac_camera, jac_points = transform(reprojection_residual, argnums=(0, 1))(*args)
    np.testing.assert_allclose(jac_camera, numeric_jacobian(reprojection_residual, args, 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jac_points, numeric_jacobian(reprojection_residual, args, 1), rtol=1e-6, atol=1e-8)


MASK = np.array([[True, False, True], [False, True, True]])


def cross_masked(a, b):
    return np.sum(np.where(MASK, np.cross(a, b), 0.0) * weights((2, 3)))


def einsum_masked(a, b):
    return np.sum(np.where(MASK, np.einsum("ij,jk->ik", a, b), 0.0) * weights((2, 3)))


def inner_masked(a, b):
    return np.sum(np.where(MASK, np.inner(a, b), 0.0) * weights((2, 3)))


@pytest.mark.parametrize("f, shapes", [(cross_masked, ((2, 3), (2, 3))), (einsum_masked, ((2, 4), (4, 3))),
                                       (inner_masked, ((2, 4), (3, 4)))], ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_where_mask_does_not_pass_through_a_contraction(f, shapes, mode):
    """A contraction's cotangents mix its result's elements: the mask np.where puts on the
    result's cotangent is not theirs (it was, for rules that broadcast their operands)."""
    rng = np.random.default_rng(1)
    args = tuple(rng.normal(size=s) for s in shapes)
    got = grad(f, argnums=(0, 1), mode=mode)(*args)
    for i in (0, 1):
        np.testing.assert_allclose(got[i], numeric_grad(f, args, i), rtol=1e-6, atol=1e-9)


def cross_rows(a, b):
    return np.cross(a, b)


@pytest.mark.parametrize("shapes", [((4, 3), (4, 3)), ((4, 2), (4, 3)), ((4, 3), (2,)), ((4, 2), (4, 2))])
def test_cross_derivatives_are_cross_products(shapes):
    """The cotangents are `b x g` and `g x a` (no matrices of cross products with unit
    vectors); a tangent's cross product is written without the default axes."""
    rng = np.random.default_rng(5)
    a, b = (rng.standard_normal(s) for s in shapes)
    for argnum in (0, 1):
        np.testing.assert_allclose(jacrev(cross_rows, argnums=argnum)(a, b),
                                   numeric_jacobian(cross_rows, (a, b), argnum), rtol=1e-6, atol=1e-8)
    back, ahead = jacrev(cross_rows, argnums=(0, 1)), jacfwd(cross_rows, argnums=(0, 1))
    for (ja, jb) in (back(a, b), ahead(a, b)):
        np.testing.assert_allclose(ja, numeric_jacobian(cross_rows, (a, b), 0), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(jb, numeric_jacobian(cross_rows, (a, b), 1), rtol=1e-6, atol=1e-8)
    assert "-1, -1, -1" not in ahead.source
    loss = grad(cross_loss, argnums=(0, 1))
    for got, argnum in zip(loss(a, b), (0, 1)):
        np.testing.assert_allclose(got, numeric_grad(cross_loss, (a, b), argnum), rtol=1e-6, atol=1e-8)
    assert "np.eye" not in loss.source


def cross_loss(a, b):
    return np.sum(np.cross(a, b) ** 2)
