"""The rules of linear algebra (`primitives/linalg.py`, `primitives/scipy_linalg.py`) in
four modes against central differences (`tests/rules/checks.py`), a Gaussian process's
negative log marginal likelihood written as a user writes it, a solve with LU factors
against np.linalg.solve, the conventions (norms at 0 and at ties, symmetric inputs), and
the refusals.

Operands are drawn in (0.2, 0.9), so each call builds from them a matrix its function
takes: shifted by a multiple of the identity (inverses, solves), `x x.T + I` (Cholesky),
symmetric with eigenvalues kept apart (eigh), or with singular values kept apart.

Where shared code stops a mode, the table skips it:
- SPLICED_STACKS: reverse over reverse of stacks of matrices: a product `@` of stacks whose
  operands are of kinds not known there gets matmul's rule for ranks not known, written
  for matrices (`.T` of a stack reverses all its axes). The gradient spliced into `along`
  is its version for any kinds, and the checks' weights, read from a closure, keep the
  kind of the cotangent unknown. `test_second_order_of_stacks` checks the same rules on
  functions without such weights and without `@` of stacks of their own.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from ad_compiler import grad, hessian, jacfwd, jvp
from ad_compiler.errors import CompileError, NoDerivativeError
from tests.numeric import numeric_grad
from tests.rules.checks import ALONG, Spec, family_tests, numeric_jacobian

SCIPY_STACKS = tuple(int(v) for v in scipy.__version__.split(".")[:2]) >= (1, 16)
"""SciPy solves stacks of matrices (and `inv` takes `assume_a`) from 1.16: a user's call
of those needs it (the rules do not: they solve stacks column by column)."""

SPREAD = np.diag([0.0, 4.0, 8.0])
"""Added to a symmetric matrix of draws, keeps its eigenvalues apart."""
APART = np.array([[4.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
"""Added to a 3 x 2 matrix of draws, keeps its singular values apart."""


def eye_like(x):
    return np.eye(np.shape(x)[-1])


def swap(x):
    return np.swapaxes(x, -1, -2)


def spd(x):
    return x @ swap(x) + eye_like(x)


def symmetric(x):
    return x + swap(x) + SPREAD


# --- inverses, determinants, solves -----------------------------------------------------


def inv_call(x):
    return np.linalg.inv(x + 2.0 * eye_like(x))


def det_call(x):
    return np.linalg.det(x + eye_like(x))


def slogdet_negative(x):
    """log|det| of a matrix of negative determinant (3 x 3, eigenvalues near -2)."""
    return np.linalg.slogdet(x - 2.0 * eye_like(x))[1]


def slogdet_both(x):
    sign, logdet = np.linalg.slogdet(x - 2.0 * eye_like(x))
    return sign * logdet


def solve_call(x, y):
    return np.linalg.solve(x + 3.0 * eye_like(x), y)


def cholesky_call(x):
    return np.linalg.cholesky(spd(x))


def cholesky_upper(x):
    return np.linalg.cholesky(spd(x), upper=True)


def matrix_power_3(x):
    return np.linalg.matrix_power(x, 3)


def matrix_power_1(x):
    return np.linalg.matrix_power(x, 1)


def matrix_power_0(x):
    return np.linalg.matrix_power(x, 0) * x


def matrix_power_negative(x):
    return np.linalg.matrix_power(x + 2.0 * eye_like(x), -2)


def pinv_call(x):
    return np.linalg.pinv(x)


def pinv_hermitian(x):
    return np.linalg.pinv(symmetric(x), hermitian=True)


def multi_dot_call(x, y):
    return np.linalg.multi_dot([x, y, x])


def multi_dot_vectors(x, y):
    return np.linalg.multi_dot([x, y])


def multi_dot_vector_ends(x, y):
    return np.linalg.multi_dot([x[0], y, y.T, x[1]])


def multi_dot_rectangular(x, y):
    return np.linalg.multi_dot((x, y, (x @ y).T))


# --- decompositions ---------------------------------------------------------------------


def eigvalsh_call(x):
    return np.linalg.eigvalsh(symmetric(x))


def eigh_values(x):
    return np.linalg.eigh(symmetric(x))[0]


def eigh_vectors(x):
    """The eigenvectors, each times its first entry: free of the sign LAPACK picks."""
    v = np.linalg.eigh(symmetric(x), UPLO="U")[1]
    return v * v[..., :1, :]


def svd_values(x):
    return np.linalg.svd(x, compute_uv=False)


def svd_values_apart(x):
    return np.linalg.svd(x + APART, compute_uv=False)


def svd_u(x):
    u = np.linalg.svd(x + APART, full_matrices=False)[0]
    return u * u[..., :1, :]


def svd_s(x):
    return np.linalg.svd(x + APART, full_matrices=False)[1]


def svd_vh(x):
    vh = np.linalg.svd(swap(x + APART), full_matrices=False)[2]
    return vh * vh[..., :, :1]


def svd_square(x):
    """The default `full_matrices=True` of a square matrix: the reduced decomposition."""
    u, s, vh = np.linalg.svd(x + SPREAD)
    return (u * s) @ vh + u * u[..., :1, :]


def qr_q(x):
    q = np.linalg.qr(x)[0]
    return q


def qr_r(x):
    return np.linalg.qr(x)[1]


def qr_r_only(x):
    return np.linalg.qr(x, mode="r")


def qr_complete_wide(x):
    q, r = np.linalg.qr(x, mode="complete")
    return q @ r + r[..., :1, :] * q[..., :1]


def lstsq_vector(x, y):
    return np.linalg.lstsq(x + APART, y)[0]


def lstsq_matrix(x, y):
    return np.linalg.lstsq(x + APART, y, rcond=None)[0]


def lstsq_residuals(x, y):
    return np.linalg.lstsq(x + APART, y)[1]


def lstsq_singular_values(x, y):
    return np.linalg.lstsq(x + APART, y)[3]


# --- norms ------------------------------------------------------------------------------


def norm_call(x):
    return np.linalg.norm(x)


def norm_keepdims(x):
    return np.linalg.norm(x, keepdims=True)


def norm_vector_2(x):
    return np.linalg.norm(x, 2)


def norm_vector_1(x):
    return np.linalg.norm(x - 0.5, 1)


def norm_vector_inf(x):
    return np.linalg.norm(x - 0.5, np.inf)


def norm_vector_minus_inf(x):
    return np.linalg.norm(x - 0.5, -np.inf)


def norm_vector_0(x):
    return np.linalg.norm(x - 0.5, 0) * x


def norm_vector_3(x):
    return np.linalg.norm(x - 0.5, ord=3)


def norm_vector_half(x):
    return np.linalg.norm(x, 0.5)


def norm_vector_minus_1(x):
    return np.linalg.norm(x - 0.5, -1)


def norm_vector_minus_2(x):
    return np.linalg.norm(x, -2)


def norm_fro(x):
    return np.linalg.norm(x, "fro")


def norm_nuc(x):
    return np.linalg.norm(x + APART, "nuc")


def norm_spectral(x):
    return np.linalg.norm(x, 2)


def norm_spectral_smallest(x):
    return np.linalg.norm(x + SPREAD, -2)


def norm_matrix_1(x):
    return np.linalg.norm(x - 0.5, 1)


def norm_matrix_minus_1(x):
    return np.linalg.norm(x - 0.5, -1)


def norm_matrix_inf(x):
    return np.linalg.norm(x - 0.5, np.inf)


def norm_matrix_minus_inf(x):
    return np.linalg.norm(x - 0.5, ord=-np.inf)


def norm_rows(x):
    return np.linalg.norm(x, axis=1)


def norm_columns_3_keepdims(x):
    return np.linalg.norm(x, 3, axis=0, keepdims=True)


def norm_rows_inf(x):
    return np.linalg.norm(x - 0.5, np.inf, -1)


def norm_pairs_spectral(x):
    return np.linalg.norm(x, 2, axis=(0, 2))


def norm_pairs_nuc(x):
    return np.linalg.norm(x, "nuc", axis=(2, 0), keepdims=True)


def norm_pairs_1(x):
    return np.linalg.norm(x - 0.5, 1, axis=(1, 2))


def norm_pairs_inf(x):
    return np.linalg.norm(x - 0.5, np.inf, axis=(0, 1), keepdims=True)


def norm_pairs_fro(x):
    return np.linalg.norm(x, "fro", axis=(-2, -1))


# --- scipy.linalg -----------------------------------------------------------------------


def solve_triangular_lower(x, y):
    return scipy.linalg.solve_triangular(x + 2.0 * eye_like(x), y, lower=True)


def solve_triangular_transposed(x, y):
    return scipy.linalg.solve_triangular(x + 2.0 * eye_like(x), y, trans=1)


def solve_triangular_unit(x, y):
    """Positional trans and lower; the diagonal of `x` is not read."""
    return scipy.linalg.solve_triangular(x, y, "T", True, True)


def solve_triangular_stack(x, y):
    return scipy.linalg.solve_triangular(x + 2.0 * eye_like(x), y)


def cho_factor_call(x):
    return scipy.linalg.cho_factor(spd(x))[0]


def cho_solve_factored(x, y):
    return scipy.linalg.cho_solve(scipy.linalg.cho_factor(spd(x)), y)


def cho_solve_factored_lower(x, y):
    return scipy.linalg.cho_solve(scipy.linalg.cho_factor(spd(x), lower=True), y)


def cho_solve_pair(x, y):
    """A pair the user makes: `(c, False)` reads the upper triangle of `c` only."""
    return scipy.linalg.cho_solve((x + 2.0 * eye_like(x), False), y)


def swapping(x):
    """`x` plus twice the reversed identity: LU factors it with row swaps."""
    return x + 2.0 * eye_like(x)[::-1]


def lu_factor_call(x):
    return scipy.linalg.lu_factor(x + eye_like(x))[0]


def lu_factor_swapping(x):
    return scipy.linalg.lu_factor(swapping(x))[0]


def lu_solve_factored(x, y):
    return scipy.linalg.lu_solve(scipy.linalg.lu_factor(swapping(x)), y)


def lu_solve_transposed(x, y):
    return scipy.linalg.lu_solve(scipy.linalg.lu_factor(swapping(x)), y, trans=1)


def lu_solve_pair(x, y):
    """A pair the user makes: the rule's derivative in the packed factor itself."""
    return scipy.linalg.lu_solve((x + 2.0 * eye_like(x), np.array([2, 1, 2], dtype=np.int32)), y)


def lu_lower(x):
    return scipy.linalg.lu(swapping(x))[1]


def lu_upper(x):
    return scipy.linalg.lu(swapping(x))[2]


def lu_all(x):
    p, l, u = scipy.linalg.lu(swapping(x))
    return p @ l + u


def lu_indices(x):
    p, l, u = scipy.linalg.lu(swapping(x), p_indices=True)
    return l[p] * u


def scipy_cholesky(x):
    return scipy.linalg.cholesky(spd(x))


def scipy_cholesky_lower(x):
    return scipy.linalg.cholesky(spd(x), lower=True)


def scipy_inv(x):
    return scipy.linalg.inv(x + 2.0 * eye_like(x))


def scipy_inv_positive(x):
    return scipy.linalg.inv(spd(x), assume_a="pos")


def scipy_solve(x, y):
    return scipy.linalg.solve(x + 2.0 * eye_like(x), y)


def scipy_solve_transposed(x, y):
    return scipy.linalg.solve(x + 2.0 * eye_like(x), y, transposed=True)


def scipy_solve_positive(x, y):
    return scipy.linalg.solve(spd(x), y, assume_a="pos")


PLAIN = [
    Spec(np.linalg.inv, call=inv_call, shapes=((3, 3),)),
    Spec(np.linalg.det, call=det_call, shapes=((3, 3),)),
    Spec(np.linalg.det, call=det_call, shapes=((2, 2, 2),)),
    Spec(np.linalg.slogdet, call=slogdet_negative, shapes=((3, 3),)),
    Spec(np.linalg.slogdet, call=slogdet_negative, shapes=((2, 3, 3),)),
    Spec(np.linalg.slogdet, call=slogdet_both, shapes=((3, 3),), smooth=False),  # (test_slogdet_sign_...)
    Spec(np.linalg.solve, 2, call=solve_call, shapes=((3, 3), (3,))),
    Spec(np.linalg.solve, 2, call=solve_call, shapes=((3, 3), (3, 2))),
    Spec(np.linalg.cholesky, call=cholesky_call, shapes=((3, 3),)),
    Spec(np.linalg.cholesky, call=cholesky_upper, shapes=((3, 3),)),
    Spec(np.linalg.matrix_power, call=matrix_power_3, shapes=((3, 3),)),
    Spec(np.linalg.matrix_power, call=matrix_power_1, shapes=((2, 2),)),
    Spec(np.linalg.matrix_power, call=matrix_power_0, shapes=((3, 3),)),
    Spec(np.linalg.matrix_power, call=matrix_power_negative, shapes=((3, 3),)),
    Spec(np.linalg.pinv, call=pinv_call, shapes=((3, 2),)),
    Spec(np.linalg.pinv, call=pinv_call, shapes=((2, 3),)),
    Spec(np.linalg.pinv, call=pinv_hermitian, shapes=((3, 3),)),
    Spec(np.linalg.multi_dot, 2, call=multi_dot_vectors, shapes=((3,), (3,))),
    Spec(np.linalg.multi_dot, 2, call=multi_dot_vector_ends, shapes=((2, 3), (3, 2))),
    Spec(np.linalg.multi_dot, 2, call=multi_dot_rectangular, shapes=((2, 3), (3, 4))),
    Spec(np.linalg.qr, call=qr_q, shapes=((3, 3),)),
    Spec(np.linalg.norm, call=norm_call, shapes=((2, 3),)),
    Spec(np.linalg.norm, call=norm_call, shapes=((2, 2, 2),)),
    Spec(np.linalg.norm, call=norm_keepdims, shapes=((2, 3),)),
    Spec(np.linalg.norm, call=norm_vector_2, shapes=((3,),)),
    Spec(np.linalg.norm, call=norm_vector_1, shapes=((3,),)),
    Spec(np.linalg.norm, call=norm_vector_inf, shapes=((3,),)),
    Spec(np.linalg.norm, call=norm_vector_minus_inf, shapes=((3,),)),
    Spec(np.linalg.norm, call=norm_vector_0, shapes=((3,),)),
    Spec(np.linalg.norm, call=norm_vector_3, shapes=((3,),)),
    Spec(np.linalg.norm, call=norm_vector_half, shapes=((3,),)),
    Spec(np.linalg.norm, call=norm_vector_minus_1, shapes=((3,),)),
    Spec(np.linalg.norm, call=norm_vector_minus_2, shapes=((3,),)),
    Spec(np.linalg.norm, call=norm_fro, shapes=((2, 3),)),
    Spec(np.linalg.norm, call=norm_matrix_1, shapes=((2, 3),)),
    Spec(np.linalg.norm, call=norm_matrix_minus_1, shapes=((3, 2),)),
    Spec(np.linalg.norm, call=norm_matrix_inf, shapes=((2, 3),)),
    Spec(np.linalg.norm, call=norm_matrix_minus_inf, shapes=((3, 2),)),
    Spec(np.linalg.norm, call=norm_rows, shapes=((2, 3),)),
    Spec(np.linalg.norm, call=norm_columns_3_keepdims, shapes=((2, 3),)),
    Spec(np.linalg.norm, call=norm_rows_inf, shapes=((2, 3),)),
    Spec(np.linalg.norm, call=norm_pairs_1, shapes=((2, 2, 3),)),
    Spec(np.linalg.norm, call=norm_pairs_inf, shapes=((2, 3, 2),)),
    Spec(np.linalg.norm, call=norm_pairs_fro, shapes=((2, 2, 3),)),
    Spec(scipy.linalg.solve_triangular, 2, call=solve_triangular_lower, shapes=((3, 3), (3,))),
    Spec(scipy.linalg.solve_triangular, 2, call=solve_triangular_transposed, shapes=((3, 3), (3, 2))),
    Spec(scipy.linalg.solve_triangular, 2, call=solve_triangular_unit, shapes=((3, 3), (3, 2))),
    Spec(scipy.linalg.cho_solve, 2, call=cho_solve_pair, shapes=((3, 3), (3,))),
    Spec(scipy.linalg.lu_solve, 2, call=lu_solve_pair, shapes=((3, 3), (3,))),
    Spec(scipy.linalg.lu_solve, 2, call=lu_solve_pair, shapes=((3, 3), (3, 2))),
    Spec(scipy.linalg.cholesky, call=scipy_cholesky, shapes=((3, 3),)),
    Spec(scipy.linalg.cholesky, call=scipy_cholesky_lower, shapes=((3, 3),)),
    Spec(scipy.linalg.expm, shapes=((3, 3),)),
    Spec(scipy.linalg.expm, shapes=((2, 2, 2),)),
    Spec(scipy.linalg.inv, call=scipy_inv, shapes=((3, 3),)),
    *([Spec(scipy.linalg.inv, call=scipy_inv_positive, shapes=((3, 3),))] if SCIPY_STACKS else []),
    Spec(scipy.linalg.det, shapes=((3, 3),)),
    Spec(scipy.linalg.solve, 2, call=scipy_solve, shapes=((3, 3), (3,))),
    Spec(scipy.linalg.solve, 2, call=scipy_solve_transposed, shapes=((3, 3), (3, 2))),
    Spec(scipy.linalg.solve, 2, call=scipy_solve_positive, shapes=((3, 3), (3,))),
]

STACKED = [
    Spec(np.linalg.inv, call=inv_call, shapes=((2, 3, 3),), smooth=False),
    Spec(np.linalg.solve, 2, call=solve_call, shapes=((2, 3, 3), (3,)), smooth=False),
    Spec(np.linalg.solve, 2, call=solve_call, shapes=((3, 3), (2, 3, 2)), smooth=False),
    Spec(np.linalg.solve, 2, call=solve_call, shapes=((2, 3, 3), (2, 3, 1)), smooth=False),
    Spec(np.linalg.cholesky, call=cholesky_upper, shapes=((2, 3, 3),), smooth=False),
    Spec(np.linalg.pinv, call=pinv_call, shapes=((2, 3, 2),), smooth=False),
    Spec(np.linalg.multi_dot, 2, call=multi_dot_call, shapes=((3, 3), (3, 3)), smooth=False),
    *([Spec(scipy.linalg.solve_triangular, 2, call=solve_triangular_stack, shapes=((2, 3, 3), (3,)), smooth=False)]
      if SCIPY_STACKS else []),
    Spec(np.linalg.svd, call=svd_values_apart, shapes=((2, 3, 2),), smooth=False),
]
"""Stacks of matrices (and multi_dot's, of its list): second order in
`test_second_order_of_stacks` (SPLICED_STACKS)."""

READING_ITEMS = [
    Spec(np.linalg.eigvalsh, call=eigvalsh_call, shapes=((3, 3),)),
    Spec(np.linalg.svd, call=svd_values, shapes=((3, 2),)),
    Spec(np.linalg.svd, call=svd_values, shapes=((2, 3),)),
    Spec(np.linalg.qr, call=qr_r_only, shapes=((3, 2),)),
    Spec(np.linalg.qr, call=qr_r_only, shapes=((2, 3),)),
    Spec(np.linalg.norm, call=norm_nuc, shapes=((3, 2),)),
    Spec(np.linalg.norm, call=norm_spectral, shapes=((2, 3),)),
    Spec(np.linalg.norm, call=norm_spectral_smallest, shapes=((3, 3),)),
    Spec(np.linalg.norm, call=norm_pairs_spectral, shapes=((2, 3, 2),)),
    Spec(np.linalg.norm, call=norm_pairs_nuc, shapes=((3, 2, 2),)),
    Spec(scipy.linalg.cho_solve, 2, call=cho_solve_factored, shapes=((3, 3), (3,))),
    Spec(scipy.linalg.cho_solve, 2, call=cho_solve_factored_lower, shapes=((3, 3), (3, 2))),
    Spec(scipy.linalg.lu_solve, 2, call=lu_solve_factored, shapes=((3, 3), (3,))),
    Spec(scipy.linalg.lu_solve, 2, call=lu_solve_factored, shapes=((3, 3), (3, 2))),
    Spec(scipy.linalg.lu_solve, 2, call=lu_solve_transposed, shapes=((3, 3), (3,))),
    Spec(scipy.linalg.lu_solve, 2, call=lu_solve_transposed, shapes=((3, 3), (3, 2))),
]
"""Rules that read an item of a tuple a primitive returns."""

TUPLE_ITEMS = [
    Spec(np.linalg.eigh, call=eigh_values, shapes=((3, 3),)),
    Spec(np.linalg.eigh, call=eigh_vectors, shapes=((3, 3),)),
    Spec(np.linalg.svd, call=svd_u, shapes=((3, 2),)),
    Spec(np.linalg.svd, call=svd_s, shapes=((3, 2),)),
    Spec(np.linalg.svd, call=svd_vh, shapes=((3, 2),)),
    Spec(np.linalg.svd, call=svd_square, shapes=((3, 3),)),
    Spec(np.linalg.qr, call=qr_r, shapes=((3, 2),)),
    Spec(np.linalg.qr, call=qr_q, shapes=((2, 3),)),
    Spec(np.linalg.qr, call=qr_complete_wide, shapes=((2, 3),)),
    Spec(np.linalg.lstsq, 2, call=lstsq_vector, shapes=((3, 2), (3,))),
    Spec(np.linalg.lstsq, 2, call=lstsq_matrix, shapes=((3, 2), (3, 2))),
    Spec(np.linalg.lstsq, 2, call=lstsq_residuals, shapes=((3, 2), (3, 2)), known_shape=False,
         batched=False),  # (empty at a rank that is not full: their length is known at run time)
    Spec(np.linalg.lstsq, 2, call=lstsq_singular_values, shapes=((3, 2), (3,))),
    Spec(scipy.linalg.cho_factor, call=cho_factor_call, shapes=((3, 3),)),
    Spec(scipy.linalg.lu_factor, call=lu_factor_call, shapes=((3, 3),)),
    Spec(scipy.linalg.lu_factor, call=lu_factor_swapping, shapes=((3, 3),)),
    Spec(scipy.linalg.lu, call=lu_lower, shapes=((3, 3),)),
    Spec(scipy.linalg.lu, call=lu_upper, shapes=((3, 3),)),
    Spec(scipy.linalg.lu, call=lu_all, shapes=((3, 3),)),
    Spec(scipy.linalg.lu, call=lu_indices, shapes=((3, 3),)),
]
"""Calls that read an item of a tuple a primitive returns (its cotangent a tuple)."""

SPECS = PLAIN + STACKED + READING_ITEMS + TUPLE_ITEMS

test_reverse, test_forward, test_batched, test_second_order = family_tests(SPECS)


def inverse_squared(x):
    return np.sum(np.linalg.inv(x + 2.0 * eye_like(x)) ** 2)


def solved_squared(x, y):
    return np.sum(np.linalg.solve(x + 3.0 * eye_like(x), y) ** 2)


def cholesky_squared(x):
    """(`x + x.T`, not `x @ x.T`: see SPLICED_STACKS.)"""
    return np.sum(np.linalg.cholesky(x + swap(x) + 6.0 * eye_like(x), upper=True) ** 2)


def pinv_squared(x):
    return np.sum(np.linalg.pinv(x) ** 2)


def chained_squared(x, y):
    return np.sum(np.linalg.multi_dot([x, y, x, y]) ** 2)


def triangular_squared(x, y):
    return np.sum(scipy.linalg.solve_triangular(x + 2.0 * eye_like(x), y) ** 2)


@pytest.mark.parametrize("f, shapes", [
    (inverse_squared, ((2, 3, 3),)), (solved_squared, ((2, 3, 3), (3,))), (solved_squared, ((3, 3), (2, 3, 2))),
    (cholesky_squared, ((2, 3, 3),)), (pinv_squared, ((2, 3, 2),)), (chained_squared, ((3, 3), (3, 3))),
    *([(triangular_squared, ((2, 3, 3), (3,)))] if SCIPY_STACKS else []),
], ids=lambda v: getattr(v, "__name__", None))
def test_second_order_of_stacks(f, shapes) -> None:
    """The Hessian of a function of stacks of matrices, forward over reverse and reverse
    over reverse, against central differences of the gradient (SPLICED_STACKS)."""
    rng = np.random.default_rng(len(shapes[0]) + 7 * len(shapes))
    args = tuple(rng.uniform(0.2, 0.9, s) for s in shapes)
    gradient = grad(f)
    expected = numeric_jacobian(gradient, args, 0)
    np.testing.assert_allclose(jacfwd(gradient)(*args), expected, rtol=1e-5, atol=1e-7)
    v = rng.uniform(-1.0, 1.0, shapes[0])
    along = ALONG[len(shapes)](gradient, v)
    np.testing.assert_allclose(grad(along)(*args), np.tensordot(v, expected, v.ndim), rtol=1e-5, atol=1e-7)


# --- a Gaussian process, as a user writes it ----------------------------------------------

X_TRAIN = np.array([-1.2, -0.4, 0.1, 0.7, 1.5, 2.0])
Y_TRAIN = np.array([0.3, -0.2, 0.5, 0.9, 0.1, -0.6])
DIAGONAL = np.arange(6)


def kernel(params):
    """A squared exponential kernel with noise, of (log length, log scale, log noise)."""
    lengthscale, scale, noise = np.exp(params[0]), np.exp(params[1]), np.exp(params[2])
    d = X_TRAIN[:, None] - X_TRAIN[None, :]
    return scale ** 2 * np.exp(-0.5 * (d / lengthscale) ** 2) + noise ** 2 * np.eye(len(X_TRAIN))


def gp_nlml_triangular(params):
    """Cholesky, two triangular solves, the log-determinant from the factor's diagonal."""
    L = np.linalg.cholesky(kernel(params))
    v = scipy.linalg.solve_triangular(L, Y_TRAIN, lower=True)
    alpha = scipy.linalg.solve_triangular(L.T, v, lower=False)
    return 0.5 * Y_TRAIN @ alpha + np.sum(np.log(L[DIAGONAL, DIAGONAL])) + 0.5 * len(X_TRAIN) * np.log(2 * np.pi)


def gp_nlml_cho_solve(params):
    """SciPy's upper factor, cho_solve with the pair, the log-determinant as twice the
    sum of the logs of the factor's diagonal."""
    U = scipy.linalg.cholesky(kernel(params))
    alpha = scipy.linalg.cho_solve((U, False), Y_TRAIN)
    logdet = 2.0 * np.sum(np.log(U[DIAGONAL, DIAGONAL]))
    return 0.5 * np.dot(Y_TRAIN, alpha) + 0.5 * logdet


def gp_nlml_slogdet(params):
    """np.linalg.solve and slogdet."""
    K = kernel(params)
    sign, logdet = np.linalg.slogdet(K)
    return 0.5 * Y_TRAIN @ np.linalg.solve(K, Y_TRAIN) + 0.5 * logdet


def gp_nlml_cho_factor(params):
    """cho_factor's result passed on to cho_solve, twice (data and a second target)."""
    K = kernel(params)
    factor = scipy.linalg.cho_factor(K, lower=True)
    alpha = scipy.linalg.cho_solve(factor, Y_TRAIN)
    beta = scipy.linalg.cho_solve(factor, Y_TRAIN ** 2)
    return 0.5 * Y_TRAIN @ alpha + 0.1 * np.sum(beta) + 0.5 * np.linalg.slogdet(K)[1]


GP = [gp_nlml_triangular, gp_nlml_cho_solve, gp_nlml_slogdet, gp_nlml_cho_factor]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("nlml", GP, ids=lambda f: f.__name__)
def test_gaussian_process_marginal_likelihood(nlml, mode: str) -> None:
    params = np.array([-0.3, 0.2, -1.1])
    np.testing.assert_allclose(grad(nlml, mode=mode)(params), numeric_grad(nlml, (params,), 0), rtol=1e-6)


@pytest.mark.parametrize("nlml", GP, ids=lambda f: f.__name__)
def test_gaussian_process_hessian(nlml) -> None:
    """Forward over reverse (`hessian`), against central differences of the gradient."""
    params = np.array([-0.3, 0.2, -1.1])
    expected = numeric_jacobian(grad(nlml), (params,), 0)
    np.testing.assert_allclose(hessian(nlml)(params), expected, rtol=1e-5, atol=1e-8)


# --- LU: a solve with the factors is a solve -------------------------------------------

SWAPPED = np.array([[0.1, 0.3, 0.2, 1.0], [0.2, 0.1, 1.1, 0.3], [0.3, 1.2, 0.4, 0.1], [1.3, 0.2, 0.1, 0.5]])
"""LU factors it with row swaps that do not commute (pivots [3, 2, 2, 3])."""


def lu_solved(a, b, trans):
    return scipy.linalg.lu_solve(scipy.linalg.lu_factor(a), b, trans=trans)


def lu_solved_plain(a, b):
    return np.sum(np.sin(lu_solved(a, b, 0)))


def lu_solved_transposed(a, b):
    return np.sum(np.sin(lu_solved(a, b, 1)))


def numpy_solved(a, b, trans):
    return np.linalg.solve(a.T if trans else a, b)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("trans", [0, 1])
@pytest.mark.parametrize("b", [np.array([0.5, -1.0, 0.3, 0.8]), np.arange(8.0).reshape(4, 2) / 7.0 - 0.4],
                         ids=["vector", "matrix"])
def test_lu_solve_of_lu_factor_is_differentiated_as_solve(b, trans: int, mode: str) -> None:
    """`lu_solve(lu_factor(a), b)` has the derivative of `np.linalg.solve(a, b)` (of
    `a.T` transposed) in `a` and `b`, through the packed factor and the pivots."""
    assert not np.array_equal(scipy.linalg.lu_factor(SWAPPED)[1], np.arange(4))
    f = lu_solved_transposed if trans else lu_solved_plain

    def expected(a, b):
        return np.sum(np.sin(numpy_solved(a, b, trans)))

    ga, gb = grad(f, argnums=(0, 1), mode=mode)(SWAPPED, b)
    ea, eb = grad(expected, argnums=(0, 1))(SWAPPED, b)
    np.testing.assert_allclose(ga, ea, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(gb, eb, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ga, numeric_grad(f, (SWAPPED, b), 0), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(gb, numeric_grad(f, (SWAPPED, b), 1), rtol=1e-7, atol=1e-9)


def test_lu_solve_of_lu_factor_hessian() -> None:
    """Forward over reverse through the factor, the pivots and the solve."""
    b = np.array([0.5, -1.0, 0.3, 0.8])

    def in_a(a):
        return lu_solved_plain(a, b)

    np.testing.assert_allclose(hessian(in_a)(SWAPPED), numeric_jacobian(grad(in_a), (SWAPPED,), 0), rtol=1e-5,
                               atol=1e-8)


# --- conventions ------------------------------------------------------------------------

MODES = ("reverse", "forward")


def two_norm(x):
    return np.linalg.norm(x) * 1.5


def two_norm_rows(x):
    return np.sum(np.linalg.norm(x, axis=1))


@pytest.mark.parametrize("mode", MODES)
def test_the_two_norm_has_derivative_zero_at_zero(mode: str) -> None:
    """Where JAX gives NaN (0 / 0), the derivative is 0: the 2-norm's subgradient at 0
    of least norm."""
    np.testing.assert_array_equal(grad(two_norm, mode=mode)(np.zeros(3)), np.zeros(3))
    x = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 4.0]])
    np.testing.assert_allclose(grad(two_norm_rows, mode=mode)(x), [[0.0, 0.0, 0.0], [0.6, 0.0, 0.8]])


def largest_entry(x):
    return np.linalg.norm(x, np.inf)


def largest_column_sum(x):
    return np.linalg.norm(x, 1)


def power_norm(x):
    return np.linalg.norm(x, 0.5)


def counted(x):
    return np.linalg.norm(x, 0) * np.sum(x)


@pytest.mark.parametrize("mode", MODES)
def test_ties_share_the_cotangent_as_max_does(mode: str) -> None:
    """|x| has slope sign(x), 0 at 0; a largest entry (column sum) shared by several has
    its cotangent shared equally among them (JAX's reduce_max rule)."""
    x = np.array([0.5, -2.0, 2.0, 0.0])
    np.testing.assert_array_equal(grad(largest_entry, mode=mode)(x), [0.0, -0.5, 0.5, 0.0])
    m = np.array([[1.0, -2.0, 0.5], [-1.0, 0.0, 0.5]])  # columns sum to 2, 2, 1 in absolute value
    np.testing.assert_array_equal(grad(largest_column_sum, mode=mode)(m), [[0.5, -0.5, 0.0], [-0.5, 0.0, 0.0]])


@pytest.mark.parametrize("mode", MODES)
def test_zero_entries_and_the_count(mode: str) -> None:
    """An entry 0 of a p-norm of p < 1 has derivative 0 (abs's at its kink, where the true
    one-sided slopes are infinite); ord=0 counts entries: derivative 0."""
    x = np.array([0.25, 0.0, 1.0])
    expected = np.array([np.sqrt(2.25 / 0.25), 0.0, np.sqrt(2.25)])  # (|x| / norm) ** -0.5, norm = 2.25
    np.testing.assert_allclose(grad(power_norm, mode=mode)(x), expected)
    np.testing.assert_array_equal(grad(counted, mode=mode)(x), [2.0, 2.0, 2.0])


def spectral(x):
    return np.linalg.norm(x, 2)


@pytest.mark.parametrize("mode", MODES)
def test_the_spectral_norm_shares_a_repeated_largest_singular_value(mode: str) -> None:
    """At `2 I` every singular value is the largest: the cotangent is shared among them,
    `U diag(1/n) Vh = I / n`, whatever singular vectors LAPACK picks."""
    np.testing.assert_allclose(grad(spectral, mode=mode)(2.0 * np.eye(3)), np.eye(3) / 3, atol=1e-15)


def cholesky_entry(a):
    return np.linalg.cholesky(a)[2, 1]


def eigenvalue(a):
    return np.linalg.eigvalsh(a)[2]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [cholesky_entry, eigenvalue], ids=lambda f: f.__name__)
def test_a_function_of_a_symmetric_matrix_has_a_symmetric_gradient(f, mode: str) -> None:
    """NumPy reads one triangle; the derivative is that of `f((a + a.T) / 2)` (JAX's), whose
    central differences it matches, and is symmetric."""
    a = spd(np.array([[0.9, 0.2, 0.4], [0.1, 0.7, 0.3], [0.5, 0.6, 0.8]]))

    def symmetrized(a):
        return f(0.5 * (a + a.T))

    got = grad(f, mode=mode)(a)
    np.testing.assert_allclose(got, got.T, atol=1e-14)
    np.testing.assert_allclose(got, numeric_grad(symmetrized, (a,), 0), rtol=1e-6, atol=1e-10)


def rank_times(x):
    return np.linalg.matrix_rank(x) * np.sum(x)


@pytest.mark.parametrize("mode", MODES)
def test_matrix_rank_has_derivative_zero(mode: str) -> None:
    x = np.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_array_equal(grad(rank_times, mode=mode)(x), np.ones((2, 2)))


def determinant(x):
    return np.linalg.det(x)


def test_the_determinant_of_a_singular_matrix_is_not_differentiated_silently() -> None:
    """`g det(a) inv(a).T` needs the inverse: a singular matrix raises LinAlgError (JAX
    gives the adjugate)."""
    with pytest.raises(np.linalg.LinAlgError):
        grad(determinant)(np.zeros((2, 2)))


def slogdet_sign_used(x):
    sign, logdet = np.linalg.slogdet(x)
    return sign * np.exp(logdet)


SIGNED = np.array([[0.3, 1.0, 0.2], [1.1, 0.1, 0.4], [0.2, 0.5, 1.3]])
"""A matrix of negative determinant."""


@pytest.mark.parametrize("mode", MODES)
def test_slogdet_sign_has_no_derivative(mode: str) -> None:
    """sign * exp(log|det|) is det: the sign is piecewise constant."""
    np.testing.assert_allclose(grad(slogdet_sign_used, mode=mode)(SIGNED), np.linalg.det(SIGNED) *
                               np.linalg.inv(SIGNED).T)


def log_determinant_squared(x):
    return np.linalg.slogdet(x)[1] ** 2


@pytest.mark.parametrize("f", [slogdet_sign_used, log_determinant_squared], ids=lambda f: f.__name__)
def test_slogdet_second_order_where_its_cotangent_varies(f) -> None:
    """The Hessian where the cotangent of slogdet's pair varies (a tuple, item by item)."""
    expected = numeric_jacobian(grad(f), (SIGNED,), 0)
    np.testing.assert_allclose(hessian(f)(SIGNED), expected, rtol=1e-5, atol=1e-8)


def expm_trace(x):
    return np.sum(scipy.linalg.expm(x) * np.eye(3))


def test_expm_of_a_diagonal_matrix() -> None:
    """d tr(expm(a)) = tr(expm(a) da): the gradient is expm(a).T."""
    a = np.array([[0.1, 0.4, 0.0], [0.0, -0.3, 0.2], [0.5, 0.0, 0.2]])
    np.testing.assert_allclose(grad(expm_trace)(a), scipy.linalg.expm(a).T, rtol=1e-12)
    np.testing.assert_allclose(jvp(expm_trace, (a,), (np.eye(3),))[1], np.trace(scipy.linalg.expm(a)), rtol=1e-12)


# --- refusals ---------------------------------------------------------------------------


def hermitian_svd(x):
    return np.sum(np.linalg.svd(x, hermitian=True)[1])


def raw_qr(x):
    return np.sum(np.linalg.qr(x, mode="raw")[0])


def overwritten(x):
    return np.sum(scipy.linalg.inv(x, overwrite_a=True))


def banded(x, y):
    return np.sum(scipy.linalg.solve(x, y, assume_a="banded"))


@pytest.mark.parametrize("f, words", [
    (hermitian_svd, "hermitian=True"), (raw_qr, "mode='raw'"), (overwritten, "overwrite_a=True"),
], ids=lambda v: getattr(v, "__name__", None))
def test_refused_calls_say_why(f, words: str) -> None:
    with pytest.raises(NoDerivativeError) as info:
        grad(f)(np.eye(3) + 0.1)
    assert words in str(info.value)


def lu_permuted(x):
    return np.sum(scipy.linalg.lu(x, permute_l=True)[0])


def lu_solve_conjugate_transposed(x):
    return np.sum(scipy.linalg.lu_solve(scipy.linalg.lu_factor(x), np.ones(3), trans=2))


@pytest.mark.parametrize("f, words", [(lu_permuted, "permute_l=True"), (lu_solve_conjugate_transposed, "trans=2")],
                         ids=lambda v: getattr(v, "__name__", None))
def test_lu_options_without_a_rule_are_refused(f, words: str) -> None:
    with pytest.raises(NoDerivativeError, match=words):
        grad(f)(np.eye(3) + 0.1)


def lu_factor_sum(x):
    return np.sum(scipy.linalg.lu_factor(x)[0])


@pytest.mark.parametrize("shape", [(3, 2), (2, 3, 3)], ids=["rectangular", "stack"])
def test_lu_of_what_is_not_one_square_matrix_is_refused(shape) -> None:
    with pytest.raises(ValueError, match="one square matrix"):
        grad(lu_factor_sum)(np.ones(shape) + np.eye(*shape[-2:]))


def test_a_structure_scipy_reads_in_part_is_refused() -> None:
    with pytest.raises(NoDerivativeError, match="assume_a='banded'"):
        grad(banded)(np.eye(3) + 0.1, np.ones(3))


def full_vectors(x):
    u, s, vh = np.linalg.svd(x)
    return np.sum(u) + np.sum(vh)


def complete_q(x):
    return np.sum(np.linalg.qr(x, mode="complete")[0])


@pytest.mark.parametrize("f", [full_vectors, complete_q], ids=lambda f: f.__name__)
def test_vectors_completing_a_basis_have_no_derivative(f) -> None:
    """`full_matrices=True` (mode='complete') of a tall matrix: the columns beyond the
    rank are any rotation of each other."""
    with pytest.raises(ValueError, match="complete a basis"):
        jvp(f, (np.arange(6.0).reshape(3, 2) + np.eye(3, 2),), (np.ones((3, 2)),))


def multi_dot_of_rows(x):
    return np.linalg.multi_dot([v[:, None] * v for v in x])


def test_multi_dot_of_a_list_known_only_at_run_time_is_refused():
    with pytest.raises(CompileError, match="multiply the matrices with @ in a loop"):
        grad(lambda x: np.sum(multi_dot_of_rows(x)))(np.ones((3, 2)))
