"""Sparsity patterns detected from the function (`jacobian(f, sparsity="detect")`,
`sparsity_pattern`, `ad/sparsity.py`): the pattern holds every nonzero of the dense
Jacobian at several random points (where branches, `np.where` and `np.maximum` choose
differently too), equals the known pattern of standard structures, and the sparse
Jacobian it gives equals the dense one and central differences."""

from __future__ import annotations

import numpy as np
import pytest

scipy_sparse = pytest.importorskip("scipy.sparse")

from ad_compiler import CompileError, jacfwd, jacobian, sparsity_pattern  # noqa: E402
from benchmarks.objectives import ba  # noqa: E402
from tests.numeric import numeric_grad  # noqa: E402


def _dense_numeric(f, x, *rest):
    rows = [numeric_grad(lambda v, i=i: np.reshape(f(v.reshape(x.shape), *rest), -1)[i], (x.reshape(-1),), 0)
            for i in range(np.size(f(x, *rest)))]
    return np.array(rows)


def _points(shape, count=6, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) * scale for scale in np.geomspace(0.3, 3.0, count)]


def _detected(f, x, *rest):
    return sparsity_pattern(f, x, *rest).toarray()


def assert_covers(f, x, *rest, count=6):
    """The pattern detected holds every nonzero of the dense Jacobian at `count` random
    points of `x`'s shape (and at `x`); returns the pattern and the union of nonzeros."""
    pattern = _detected(f, x, *rest)
    seen = np.zeros(pattern.shape, dtype=bool)
    for point in [x] + _points(np.shape(x), count):
        dense = np.reshape(jacfwd(f)(point, *rest), pattern.shape)
        missed = (dense != 0) & ~pattern
        assert not missed.any(), f"entries {np.argwhere(missed)[:5].tolist()} missed at {point}"
        seen |= dense != 0
    return pattern, seen


def assert_sparse_jacobian_right(f, x, *rest):
    sparse = jacobian(f, sparsity="detect")(x, *rest)
    assert isinstance(sparse, scipy_sparse.csr_array)
    dense = np.reshape(jacfwd(f)(x, *rest), sparse.shape)
    np.testing.assert_allclose(sparse.toarray(), dense, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sparse.toarray(), _dense_numeric(f, x, *rest), rtol=1e-6, atol=1e-7)


def _band(m, n, offsets):
    pattern = np.zeros((m, n), dtype=bool)
    for d in offsets:
        pattern[np.arange(m), np.arange(m) + d] = True
    return pattern


# ---- standard structures: the pattern is exactly the known one ----

def elementwise(x):
    return np.sin(x) * x ** 2 + np.exp(-x)


def neighbours(x):
    return x[1:] - x[:-1] + np.sin(x[1:]) * x[:-1]


def diffs(x):
    return np.diff(np.tanh(x), n=2)


def stencil(x):
    """A 2-D five-point Laplacian on the interior."""
    return (x[1:-1, :-2] + x[1:-1, 2:] + x[:-2, 1:-1] + x[2:, 1:-1] - 4 * x[1:-1, 1:-1]) ** 2


def chain(x, h):
    """The residual of an implicit Euler step of a chain of coupled oscillators: each
    state reads itself and its two neighbours (tridiagonal), the ends held."""
    inner = x[1:-1] - h * (x[:-2] - 2 * x[1:-1] + x[2:] + np.sin(x[1:-1]))
    return np.concatenate([x[:1] - 1.0, inner, x[-1:] + 1.0])


def _chain_pattern(n):
    pattern = np.eye(n, dtype=bool)
    for i in range(1, n - 1):
        pattern[i, i - 1] = pattern[i, i + 1] = True
    return pattern


def _stencil_pattern(n):
    index = np.arange(n * n).reshape(n, n)
    pattern = np.zeros(((n - 2) ** 2, n * n), dtype=bool)
    for k, (i, j) in enumerate(np.ndindex(n - 2, n - 2)):
        for di, dj in ((1, 0), (1, 2), (0, 1), (2, 1), (1, 1)):
            pattern[k, index[i + di, j + dj]] = True
    return pattern


KNOWN = {
    "elementwise": (elementwise, (np.linspace(0.1, 1, 7),), lambda: np.eye(7, dtype=bool)),
    "neighbours": (neighbours, (np.linspace(0.1, 1, 9),), lambda: _band(8, 9, (0, 1))),
    "diff": (diffs, (np.linspace(0.1, 1, 9),), lambda: _band(7, 9, (0, 1, 2))),
    "stencil": (stencil, (np.random.default_rng(1).normal(size=(5, 5)),), lambda: _stencil_pattern(5)),
    "chain": (chain, (np.linspace(-1, 1, 8), 0.1), lambda: _chain_pattern(8)),
}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_structures_are_found_exactly(name):
    f, args, known = KNOWN[name]
    pattern, seen = assert_covers(f, *args)
    np.testing.assert_array_equal(pattern, known())
    np.testing.assert_array_equal(seen, known())  # (the known pattern is the nonzeros')
    assert_sparse_jacobian_right(f, *args)


# ---- bundle adjustment: cameras and points gathered by index arrays ----

CAMERAS = 3


def ba_residuals(params, feats, obs):
    cams = np.reshape(params[:11 * CAMERAS], (CAMERAS, 11))
    points = np.reshape(params[11 * CAMERAS:], (-1, 3))
    return np.reshape(ba.reproj_all(cams[obs[:, 0]], points[obs[:, 1]], np.ones(obs.shape[0]), feats), -1)


def _ba_problem(n=CAMERAS, m=5, p=9, seed=0):
    rng = np.random.default_rng(seed)
    cams = np.concatenate([0.1 * rng.normal(size=(n, 3)), rng.normal(size=(n, 2)), -5 - rng.random((n, 1)),
                           1 + rng.random((n, 1)), 0.1 * rng.normal(size=(n, 2)), 0.01 * rng.normal(size=(n, 2))],
                          axis=1)
    params = np.concatenate([cams.reshape(-1), rng.normal(size=3 * m)])
    obs = np.stack([rng.integers(0, n, p), rng.integers(0, m, p)], axis=1)
    return params, 0.3 * rng.normal(size=(p, 2)), obs


def _ba_pattern(obs, n, m):
    pattern = np.zeros((2 * len(obs), 11 * n + 3 * m), dtype=bool)
    for k, (c, j) in enumerate(obs):
        for row, unused in ((2 * k, 8), (2 * k + 1, 7)):  # (u reads x0's first coordinate, v its second)
            pattern[row, [11 * c + i for i in range(11) if i != unused]] = True
            pattern[row, 11 * n + 3 * j:11 * n + 3 * j + 3] = True
    return pattern


def test_bundle_adjustment_by_its_index_arrays():
    params, feats, obs = _ba_problem()
    pattern = sparsity_pattern(ba_residuals, params, feats, obs).toarray()
    np.testing.assert_array_equal(pattern, _ba_pattern(obs, CAMERAS, 5))
    for point in _points(params.shape, 3):  # (the point does not matter: the pattern holds everywhere)
        dense = jacfwd(ba_residuals)(params + 0.01 * point, feats, obs)
        assert not ((dense != 0) & ~pattern).any()
    assert_sparse_jacobian_right(ba_residuals, params, feats, obs)


def test_other_index_arrays_detect_again():
    """The pattern follows the arguments not differentiated: equal ones find the pattern
    detected before, others detect anew (never the stale one)."""
    params, feats, obs = _ba_problem()
    jac = jacobian(ba_residuals, sparsity="detect")
    jac(params, feats, obs)
    first = jac.sparsity
    jac(params * 1.1, feats.copy(), obs.copy())
    assert jac.sparsity is first
    other = obs[::-1].copy()
    sparse = jac(params, feats, other)
    assert jac.sparsity is not first
    np.testing.assert_array_equal(sparse.toarray() != 0, sparse.toarray() != 0)
    np.testing.assert_array_equal(jac.sparsity.rows.size, _ba_pattern(other, CAMERAS, 5).sum())
    np.testing.assert_allclose(sparse.toarray(), jacfwd(ba_residuals)(params, feats, other), rtol=1e-12,
                               atol=1e-12)
    obs[0] = (obs[0] + 1) % [CAMERAS, 5]  # (the caller's array written in place: detected again)
    np.testing.assert_allclose(jac(params, feats, obs).toarray(), jacfwd(ba_residuals)(params, feats, obs),
                               rtol=1e-12, atol=1e-12)


PAIRS = np.array([[0, 3], [2, 5], [1, 1]])


def read_pairs(x):
    """Index pairs read from a module global: its values at the call decide the pattern."""
    return x[PAIRS[:, 0]] * np.cos(x[PAIRS[:, 1]])


def test_an_index_array_read_from_outside_is_read_at_each_call():
    global PAIRS
    x = np.linspace(0.1, 1, 6)
    jac = jacobian(read_pairs, sparsity="detect")
    np.testing.assert_allclose(jac(x).toarray(), jacfwd(read_pairs)(x), rtol=1e-12, atol=1e-12)
    saved = PAIRS
    try:
        PAIRS = np.array([[4, 0], [3, 2], [5, 5]])
        np.testing.assert_allclose(jac(x).toarray(), jacfwd(read_pairs)(x), rtol=1e-12, atol=1e-12)
    finally:
        PAIRS = saved


# ---- where the function chooses: every choice is in the pattern ----

def relu_max(x):
    return np.maximum(x[:-1], 0.0) * np.where(x[1:] > x[:-1], x[1:], 2 * x[:-1]) + np.abs(x[1:])


def branch(x):
    if np.sum(x) > 0:
        y = x[:-1] * 2.0
    else:
        y = np.sin(x[1:])
    return y * y


def argmax_read(x):
    return x * x[np.argmax(x)]


def loops(x, k):
    """A counted loop (k smoothing steps widen the band by one each) and a while loop
    whose trip count the values of x decide."""
    y = x
    for _ in range(k):
        y = np.concatenate([y[:1], 0.5 * (y[:-2] + y[2:]), y[-1:]])
    i = 0
    while np.sum(y * y) > 0.5 and i < 4:
        y = 0.9 * y
        i += 1
    return y


def fixed_while(x):
    """A while loop whose trip count depends on x, moving values along: every element
    may come to depend on each one before it."""
    y = x
    while y[0] > 0.1:
        y = np.concatenate([y[:1] * 0.5, y[:-1] + y[1:]])
    return y


CHOICES = {
    "relu_max": (relu_max, (np.linspace(-1, 1, 7),), lambda: _band(6, 7, (0, 1))),
    "branch": (branch, (np.linspace(-1, 1.5, 6),), lambda: _band(5, 6, (0, 1))),
    "argmax": (argmax_read, (np.linspace(-1, 1, 5),), lambda: np.ones((5, 5), dtype=bool)),
    "loops": (loops, (np.linspace(-1, 1, 8), 2), None),  # (the nonzeros')
    "fixed_while": (fixed_while, (np.linspace(0.5, 1, 5),), lambda: np.tril(np.ones((5, 5), dtype=bool))),
}


@pytest.mark.parametrize("name", sorted(CHOICES))
def test_every_choice_is_covered(name):
    f, args, expected = CHOICES[name]
    pattern, seen = assert_covers(f, *args)
    np.testing.assert_array_equal(pattern, seen if expected is None else expected())
    assert_sparse_jacobian_right(f, *args)


# ---- products, joins, writes ----

A = np.zeros((4, 6))
A[0, 1] = A[1, 1] = A[2, 5] = A[3, 0] = 1.5


def products(x):
    m = np.reshape(x[:6], (2, 3))
    return np.concatenate([A @ np.tanh(x), np.einsum("ij,kj->ik", m, m).ravel(), np.cross(x[:3], x[3:])])


def written(x, idx):
    y = np.zeros(8)
    y[idx] = x[::2]
    y[1:3] += x[1] * 2.0
    return np.stack([y, np.roll(y, 1)], axis=1).T


@pytest.mark.parametrize("f, args", [(products, (np.linspace(0.1, 1, 6),)),
                                     (written, (np.linspace(0.1, 1, 6), np.array([7, 0, 4])))])
def test_products_joins_and_writes_are_exact(f, args):
    pattern, seen = assert_covers(f, *args)
    np.testing.assert_array_equal(pattern, seen)
    assert_sparse_jacobian_right(f, *args)


# ---- what falls back to dense ----

def spectral(x):
    return np.real(np.fft.fft(x)) + x


def test_a_primitive_without_a_rule_falls_back_to_dense():
    x = np.linspace(0.1, 1, 6)
    pattern, _ = assert_covers(spectral, x)
    assert pattern.all()
    jac = jacobian(spectral, sparsity="detect")
    np.testing.assert_allclose(jac(x).toarray(), jacfwd(spectral)(x), rtol=1e-12, atol=1e-12)
    assert "np.fft.fft" in jac.sparsity.dense


def big_dense(x):
    return np.real(np.fft.fft(x))


def test_a_pattern_too_big_to_hold_is_refused_with_advice():
    from ad_compiler.ad import sparsity

    saved = sparsity._MAX_ENTRIES
    sparsity._MAX_ENTRIES = 1000
    try:
        with pytest.raises(CompileError, match="pass the pattern with sparsity="):
            sparsity_pattern(big_dense, np.ones(100))
    finally:
        sparsity._MAX_ENTRIES = saved


def test_a_pattern_is_a_boolean_scipy_array():
    pattern = sparsity_pattern(neighbours, np.linspace(0.1, 1, 9))
    assert isinstance(pattern, scipy_sparse.csr_array) and pattern.dtype == bool and pattern.shape == (8, 9)
    assert pattern.nnz == 16


# ---- every program of the gradient corpus: the pattern covers the gradient ----

def _corpus_pairs():
    from tests.corpus import CASES
    from tests.corpus_control import CASES as CONTROL

    return [(case, k) for case in CASES + [c for c in CONTROL if c not in CASES] for k in case.float_argnums()
            if isinstance(case.args()[k], np.ndarray)]


@pytest.mark.parametrize("case, argnum", _corpus_pairs(), ids=lambda p: getattr(p, "id", str(p)))
def test_the_pattern_covers_every_corpus_gradient(case, argnum):
    """Branches, loops, indexing, reductions of the corpus (scalar results: one row):
    detection either refuses, saying to pass the pattern, or covers the gradient's
    nonzeros at the case's point and at three others."""
    from ad_compiler import grad

    args = case.args()
    try:
        pattern = sparsity_pattern(case.fn, *args, argnums=argnum).toarray().reshape(-1)
    except CompileError as err:
        assert "sparsity=" in str(err)
        return
    rng = np.random.default_rng(0)
    for scale in (0.0, 0.05, 0.3, 1.0):
        point = list(args)
        point[argnum] = args[argnum] + scale * rng.normal(size=args[argnum].shape)
        try:
            g = np.reshape(grad(case.fn, argnums=argnum)(*point), -1)
        except (FloatingPointError, ValueError, ZeroDivisionError, np.linalg.LinAlgError):
            continue
        missed = (g != 0) & np.isfinite(g) & ~pattern
        assert not missed.any(), f"entries {np.nonzero(missed)[0].tolist()} missed at scale {scale}"


# ---- a gradient's Jacobian: a sparse Hessian ----

def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def chained(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + (x[i + 1] - x[i]) ** 2 * x[i] + np.cos(x[i] * x[i + 1])
    return s


@pytest.mark.parametrize("f", [rosenbrock, chained])
def test_a_sparse_hessian_through_the_reverse_sweep(f):
    """The gradient's IR (its reverse loop over the tape too) is detected like any other:
    a chain's Hessian is tridiagonal."""
    from ad_compiler import grad, hessian

    x = np.linspace(-0.5, 1.0, 7)
    pattern, seen = assert_covers(grad(f), x)
    tridiagonal = np.abs(np.subtract.outer(np.arange(7), np.arange(7))) <= 1
    np.testing.assert_array_equal(pattern, tridiagonal)
    np.testing.assert_array_equal(seen, tridiagonal)
    sparse = jacobian(grad(f), sparsity="detect")(x)
    np.testing.assert_allclose(sparse.toarray(), hessian(f)(x), rtol=1e-12, atol=1e-12)


def steps_from_values(x):
    """A counted loop whose trip count the differentiated values decide."""
    y = x
    for _ in range(int(abs(x[0]) * 3) + 1):
        y = np.concatenate([y[:1], y[1:] * y[:-1]])
    return y


def test_a_trip_count_the_values_decide_is_a_fixed_point():
    x = np.linspace(0.2, 1.2, 5)
    pattern, _ = assert_covers(steps_from_values, x)
    np.testing.assert_array_equal(pattern, np.tril(np.ones((5, 5), dtype=bool)))
    assert_sparse_jacobian_right(steps_from_values, x)


def _near(x):
    return x[1:] * x[:-1]


def _far(x):
    return x[2:] * x[:-2] + x[1:-1]


PAIR = _near


def through_global(x):
    return PAIR(x)


def test_a_global_rebound_detects_again():
    """A function the derivative calls through a global, rebound: lowered again, and its
    pattern detected again."""
    global PAIR
    x = np.linspace(0.1, 1, 5)
    jac = jacobian(through_global, sparsity="detect")
    assert jac(x).nnz == 8
    try:
        PAIR = _far
        np.testing.assert_allclose(jac(x).toarray(), jacfwd(through_global)(x), rtol=1e-12, atol=1e-12)
        assert jac.sparsity.rows.size == 9
    finally:
        PAIR = _near


# ---- random programs of the fuzzer's grammar ----

@pytest.mark.parametrize("number", range(30))
def test_random_programs_are_covered(number, tmp_path):
    """A program of the fuzzer (docs/fuzzing.md) w.r.t. its first array argument: the
    pattern covers the dense forward Jacobian at four random points, or detection
    refuses saying to pass the pattern."""
    from tests.fuzz.grammar import generate
    from tests.fuzz.oracle import Modules

    program = generate(7, number)
    shapes = [shape for _, shape in program.params]
    k = next((i for i, shape in enumerate(shapes) if shape), None)
    if k is None:
        pytest.skip("no array argument")
    rng = np.random.default_rng(number)
    args = tuple(float(rng.uniform(-1, 1)) if not shape else rng.uniform(-1, 1, shape) for shape in shapes)
    with Modules(tmp_path).loaded(program.source, twin=False) as (f, _), np.errstate(all="ignore"):
        try:
            pattern = sparsity_pattern(f, *args, argnums=k).toarray()
        except CompileError as err:
            assert "sparsity=" in str(err) or "sparsity" not in str(err)  # (the program's own refusal, or advice)
            return
        for _ in range(4):
            point = list(args)
            point[k] = rng.uniform(-1.5, 1.5, shapes[k])
            dense = np.reshape(jacfwd(f, argnums=k)(*point), pattern.shape)
            assert not ((dense != 0) & np.isfinite(dense) & ~pattern).any()


def masked(x):
    """A mask the values decide: its shape is the values' (never probed with zeros)."""
    return np.sum(x[x < 0.2] ** 2)


def test_a_mask_the_values_decide_reads_everything():
    from ad_compiler import grad

    x = np.linspace(-1, 1, 5)
    pattern = sparsity_pattern(masked, x).toarray()
    assert pattern.all()
    for point in _points(x.shape):
        assert not ((grad(masked)(point) != 0) & ~pattern[0]).any()


def pairs_energy(x, pairs):
    r = x[pairs[:, 0]] * np.sin(x[pairs[:, 1]])
    return np.sum(r * r)


def test_a_sparse_hessian_through_gathers_by_index_arrays():
    """The reverse sweep adds each gathered element's adjoint back at its index
    (`add_at`): each element reads the adjoints added there, so the Hessian pattern is
    the pairs'."""
    from ad_compiler import grad, hessian

    pairs = np.array([[0, 1], [2, 3], [3, 0], [4, 4]])
    x = np.linspace(0.1, 1, 6)
    pattern, seen = assert_covers(grad(pairs_energy), x, pairs)
    expected = np.eye(6, dtype=bool)
    expected[pairs[:, 0], pairs[:, 1]] = expected[pairs[:, 1], pairs[:, 0]] = True
    expected[5, 5] = False
    np.testing.assert_array_equal(pattern, expected)
    np.testing.assert_array_equal(seen, expected)
    sparse = jacobian(grad(pairs_energy), sparsity="detect")(x, pairs)
    np.testing.assert_allclose(sparse.toarray(), hessian(pairs_energy)(x, pairs), rtol=1e-12, atol=1e-12)
