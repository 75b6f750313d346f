"""Sparse Jacobians (`jacobian(f, sparsity=...)`, `ad/sparse.py`): every entry against
the dense forward Jacobian and central differences, the colouring's one property, and
what is refused."""

from __future__ import annotations

import numpy as np
import pytest

scipy_sparse = pytest.importorskip("scipy.sparse")

from ad_compiler import jacfwd, jacobian  # noqa: E402
from ad_compiler.ad.sparse import colour_columns, sparsity_of  # noqa: E402
from ad_compiler.errors import ArgumentError, CompileError  # noqa: E402
from tests.numeric import numeric_grad  # noqa: E402


def neighbours(x):
    return np.sin(x[1:]) * x[:-1] + x[1:] ** 2


def grid(x):
    """A 2-D stencil: each output reads its point and the one to its right."""
    return np.tanh(x[:, :-1] * x[:, 1:]) + x[:, :-1]


def rotate(r, p):
    """Rodrigues' rotation of points p (rows) by rotation vectors r (rows)."""
    theta = np.sqrt(np.sum(r * r, axis=1) + 1e-12)[:, None]
    k = r / theta
    along = np.sum(k * p, axis=1)[:, None]
    return p * np.cos(theta) + np.cross(k, p) * np.sin(theta) + k * along * (1 - np.cos(theta))


def residuals(params):
    """A small bundle adjustment: 3 cameras (rotation 3, centre 3, focal 1) and 4 points;
    each observation's 2 residuals read its camera's 7 parameters and its point's 3."""
    cams = np.reshape(params[:21], (3, 7))[CAMERA]
    points = np.reshape(params[21:], (4, 3))[POINT]
    p = rotate(cams[:, :3], points - cams[:, 3:6])
    return np.reshape(cams[:, 6:7] * p[:, :2] / p[:, 2:3] - FEATURES, -1)


CAMERA = np.array([0, 0, 1, 1, 2, 2, 0])
POINT = np.array([0, 1, 1, 2, 2, 3, 3])
FEATURES = np.random.default_rng(0).normal(size=(7, 2))


def _ba_pattern() -> np.ndarray:
    pattern = np.zeros((14, 33), dtype=bool)
    for k, (c, j) in enumerate(zip(CAMERA, POINT)):
        pattern[2 * k:2 * k + 2, 7 * c:7 * c + 7] = True
        pattern[2 * k:2 * k + 2, 21 + 3 * j:21 + 3 * j + 3] = True
    return pattern


def _dense_numeric(f, x):
    flat = x.reshape(-1)
    rows = [numeric_grad(lambda v, i=i: np.reshape(f(v.reshape(x.shape)), -1)[i], (flat,), 0)
            for i in range(np.size(f(x)))]
    return np.array(rows)


def _band(m, n, offsets):
    pattern = np.zeros((m, n), dtype=bool)
    for d in offsets:
        pattern[np.arange(m), np.arange(m) + d] = True
    return pattern


CASES = {
    "neighbours": (neighbours, np.linspace(0.1, 1.0, 9), lambda: _band(8, 9, (0, 1))),
    "grid": (grid, np.random.default_rng(1).normal(size=(3, 4)),
             lambda: np.kron(np.eye(3, dtype=bool), _band(3, 4, (0, 1)))),
    "bundle_adjustment": (residuals, np.concatenate([np.random.default_rng(2).normal(scale=0.3, size=21),
                                                     np.tile([0.0, 0.0, 6.0], 4) + np.random.default_rng(3).normal(size=12)]),
                          _ba_pattern),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_entry_against_the_dense_jacobian_and_central_differences(name):
    f, x, pattern = CASES[name]
    sparse = jacobian(f, sparsity=pattern())(x)
    assert isinstance(sparse, scipy_sparse.csr_array) and sparse.nnz == pattern().sum()
    dense = np.reshape(jacfwd(f)(x), sparse.shape)
    np.testing.assert_allclose(sparse.toarray(), dense, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sparse.toarray(), _dense_numeric(f, x), rtol=1e-6, atol=1e-8)


def test_the_bundle_adjustment_needs_few_directions():
    """However many parameters, as many passes as colours: at least the 10 columns every
    row reads (7 of its camera, 3 of its point), and here fewer than the 33 parameters."""
    f, x, pattern = CASES["bundle_adjustment"]
    jac = jacobian(f, sparsity=pattern())
    jac(x)
    assert 10 <= jac.sparsity.count <= 20 and "directions" in jac.source, jac.source


def test_a_scipy_pattern():
    f, x, pattern = CASES["neighbours"]
    sparse = jacobian(f, sparsity=scipy_sparse.csr_array(pattern()))(x)
    np.testing.assert_allclose(sparse.toarray(), jacfwd(f)(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_columns_that_share_a_row_have_different_colours(seed):
    rng = np.random.default_rng(seed)
    dense = rng.random((rng.integers(1, 30), rng.integers(1, 30))) < rng.uniform(0.05, 0.5)
    rows, cols = np.nonzero(dense)
    colours = colour_columns(rows, cols, dense.shape[1])
    for r in range(dense.shape[0]):
        used = colours[np.nonzero(dense[r])[0]]
        assert len(set(used.tolist())) == len(used)
    # greedy colouring needs at most one colour more than a column has neighbours
    neighbours_of = [np.any(dense[dense[:, c]], axis=0).sum() - 1 for c in range(dense.shape[1])]
    assert sparsity_of(dense).count <= max(neighbours_of + [0]) + 1


def test_a_pattern_of_the_wrong_shape_is_refused():
    f, x, _ = CASES["neighbours"]
    with pytest.raises(CompileError, match="the sparsity pattern is 9 x 9, but the Jacobian is 8 x 9"):
        jacobian(f, sparsity=np.ones((9, 9), dtype=bool))(x)


@pytest.mark.parametrize("options", [dict(argnums=(0,)), dict(mode="reverse")])
def test_reverse_mode_and_several_arguments_are_refused(options):
    with pytest.raises(ArgumentError, match="a sparse Jacobian is taken by forward passes w.r.t. one argument"):
        jacobian(neighbours, sparsity=_band(8, 9, (0, 1)), **options)
