"""Calls of the linear algebra of `primitives/linalg.py` and `primitives/scipy_linalg.py`,
their operands kept where the functions are smooth: matrices shifted by a multiple of the
identity (invertible), `m @ m.T + I` (positive definite), symmetric matrices with
eigenvalues kept apart, and matrices with singular values kept apart.

The forms that read an item of a tuple a primitive returns (eigh, lstsq, lu; svd, qr,
cho_solve and lu_solve in their rules) meet shared code's reverse mode through tuple items (see
tests/rules/test_linalg.py, TUPLE_ITEM): they are rare until it is fixed."""

from __future__ import annotations

from .forms import Form, only

SQUARE = (3, 3)
SHIFTED = "{0} + 3.0 * np.eye(3)"
"""An invertible 3 x 3 matrix (the operands are about unit size)."""
SWAPPING = "{0} + 3.0 * np.eye(3)[::-1]"
"""An invertible 3 x 3 matrix whose LU factorization swaps rows."""
DEFINITE = "(lambda m: m @ m.T + np.eye(3))({0})"
"""A symmetric positive definite 3 x 3 matrix (the operand read once: it may draw)."""
SPREAD = "(lambda m: m + m.T + np.diag([0.0, 8.0, 16.0]))({0})"
"""A symmetric 3 x 3 matrix with eigenvalues apart."""
APART = "{0} + np.array([[4.0, 0.0], [0.0, 2.0], [0.0, 0.0]])"
"""A 3 x 2 matrix with singular values apart."""
RARE = 0.2


def any_shape(*first):
    """Operands `first`, then one of the result's shape (a factor of it)."""
    return lambda shape: first + (shape,)


FORMS = [
    Form(f"np.linalg.inv({SHIFTED})", only(SQUARE, SQUARE), ("np.linalg.inv",)),
    Form(f"np.linalg.det({SHIFTED})", only((), SQUARE), ("np.linalg.det",)),
    Form("np.linalg.slogdet({0} - 3.0 * np.eye(3))[1]", only((), SQUARE), ("np.linalg.slogdet",)),
    Form(f"np.linalg.solve({SHIFTED}, {{1}})", only((3,), SQUARE, (3,)), ("np.linalg.solve",)),
    Form(f"np.linalg.solve({SHIFTED}, {{1}})", only((3, 2), SQUARE, (3, 2)), ("np.linalg.solve",)),
    Form(f"np.linalg.cholesky({DEFINITE})", only(SQUARE, SQUARE), ("np.linalg.cholesky",)),
    Form(f"np.linalg.eigvalsh({SPREAD})", only((3,), SQUARE), ("np.linalg.eigvalsh",)),
    Form(f"np.linalg.eigh({SPREAD})[0]", only((3,), SQUARE), ("np.linalg.eigh",), weight=RARE),
    Form(f"np.linalg.svd({APART}, compute_uv=False)", only((2,), (3, 2)), ("np.linalg.svd",)),
    Form(f"np.linalg.qr({SHIFTED})[0]", only(SQUARE, SQUARE), ("np.linalg.qr",)),
    Form(f"np.linalg.qr({SHIFTED}, mode='r')", only(SQUARE, SQUARE), ("np.linalg.qr",)),
    Form(f"np.linalg.pinv({APART})", only((2, 3), (3, 2)), ("np.linalg.pinv",)),
    Form("np.linalg.matrix_power({0}, 3)", only(SQUARE, SQUARE), ("np.linalg.matrix_power",)),
    Form(f"np.linalg.matrix_power({SHIFTED}, -2)", only(SQUARE, SQUARE), ("np.linalg.matrix_power",)),
    Form("np.linalg.multi_dot([{0}, {1}, {0}])", only(SQUARE, SQUARE, SQUARE), ("np.linalg.multi_dot",)),
    Form("np.linalg.multi_dot([{0}[0], {1}, {1}.T, {0}[1]])", only((), (2, 3), (3, 2)), ("np.linalg.multi_dot",)),
    Form(f"np.linalg.lstsq({APART}, {{1}})[0]", only((2,), (3, 2), (3,)), ("np.linalg.lstsq",), weight=RARE),
    Form("np.linalg.matrix_rank({0}) * {1}", any_shape(SQUARE), ("np.linalg.matrix_rank",), weight=RARE),
    Form("np.linalg.norm({0})", only((), (2, 3)), ("np.linalg.norm",)),
    Form("np.linalg.norm({0}, axis=-1)", only((2,), (2, 3)), ("np.linalg.norm",)),
    Form("np.linalg.norm({0}, 3)", only((), (3,)), ("np.linalg.norm",)),
    Form("np.linalg.norm({0}, np.inf)", only((), (3,)), ("np.linalg.norm",)),
    Form("np.linalg.norm({0}, 1)", only((), (2, 3)), ("np.linalg.norm",)),
    Form(f"np.linalg.norm({APART}, 'nuc')", only((), (3, 2)), ("np.linalg.norm",)),
    Form(f"scipy.linalg.solve_triangular({SHIFTED}, {{1}}, lower=True)", only((3,), SQUARE, (3,)),
         ("scipy.linalg.solve_triangular",)),
    Form(f"scipy.linalg.cho_solve(scipy.linalg.cho_factor({DEFINITE}), {{1}})", only((3,), SQUARE, (3,)),
         ("scipy.linalg.cho_factor", "scipy.linalg.cho_solve")),
    Form(f"scipy.linalg.lu_solve(scipy.linalg.lu_factor({SWAPPING}), {{1}})", only((3,), SQUARE, (3,)),
         ("scipy.linalg.lu_factor", "scipy.linalg.lu_solve")),
    Form(f"scipy.linalg.lu_solve(scipy.linalg.lu_factor({SHIFTED}), {{1}}, trans=1)", only((3, 2), SQUARE, (3, 2)),
         ("scipy.linalg.lu_factor", "scipy.linalg.lu_solve")),
    Form(f"scipy.linalg.lu({SWAPPING})[2]", only(SQUARE, SQUARE), ("scipy.linalg.lu",), weight=RARE),
    Form(f"scipy.linalg.cholesky({DEFINITE})", only(SQUARE, SQUARE), ("scipy.linalg.cholesky",)),
    Form("scipy.linalg.expm(0.5 * {0})", only(SQUARE, SQUARE), ("scipy.linalg.expm",)),
    Form(f"scipy.linalg.inv({SHIFTED})", only(SQUARE, SQUARE), ("scipy.linalg.inv",)),
    Form(f"scipy.linalg.det({SHIFTED})", only((), SQUARE), ("scipy.linalg.det",)),
    Form(f"scipy.linalg.solve({SHIFTED}, {{1}})", only((3, 2), SQUARE, (3, 2)), ("scipy.linalg.solve",)),
]
