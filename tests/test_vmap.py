"""vmap against independent baselines: each mapped result equals a Python loop over the
batch calling the original function and stacking what it returns (moved to `out_axes`);
each mapped derivative equals central differences of the original function, example by
example. Also: the emitted code is vectorized NumPy (no loop but where it says so), and
what cannot be mapped exactly is refused with JAX's errors or a located CompileError.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest

import ad_compiler
from ad_compiler import CompileError, grad, hessian, jacfwd, jacrev, vmap
from tests.numeric import CBRT_EPS

B = 5
RNG = np.random.default_rng(20240521)


# ---- baselines ----------------------------------------------------------------------

def _axes(in_axes: Any, count: int) -> list:
    return list(in_axes) if isinstance(in_axes, (tuple, list)) else [in_axes] * count


def looped(f: Callable[..., Any], args: tuple, in_axes: Any = 0, out_axes: Any = 0) -> Any:
    """What vmap must give: f of each example, stacked along `out_axes` (leaves only)."""
    axes = _axes(in_axes, len(args))
    size = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    results = [f(*(a if ax is None else np.take(a, b, axis=ax) for a, ax in zip(args, axes))) for b in range(size)]

    def stacked(items: list, axis: Any) -> Any:
        if isinstance(items[0], tuple):
            per = axis if isinstance(axis, tuple) else (axis,) * len(items[0])
            return tuple(stacked([r[j] for r in items], per[j]) for j in range(len(items[0])))
        if isinstance(items[0], dict):
            return {k: stacked([r[k] for r in items], axis[k] if isinstance(axis, dict) else axis) for k in items[0]}
        if axis is None:
            for r in items[1:]:
                np.testing.assert_allclose(r, items[0])
            return items[0]
        return np.moveaxis(np.stack([np.asarray(r) for r in items]), 0, axis)

    return stacked(results, out_axes)


def assert_tree_close(got: Any, want: Any, **kw: Any) -> None:
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_tree_close(g, w, **kw)
    elif isinstance(want, dict):
        assert set(got) == set(want)
        for k in want:
            assert_tree_close(got[k], want[k], **kw)
    else:
        assert np.shape(got) == np.shape(want), (np.shape(got), np.shape(want))
        np.testing.assert_allclose(got, want, **kw)


def check(f: Callable[..., Any], args: tuple, in_axes: Any = 0, out_axes: Any = 0) -> ad_compiler.Compiled:
    """vmap(f) against the loop; returns the vmapped function (for its source)."""
    mapped = vmap(f, in_axes=in_axes, out_axes=out_axes)
    assert_tree_close(mapped(*args), looped(f, args, in_axes, out_axes), rtol=1e-10, atol=1e-12)
    return mapped


def central_jacobian(f: Callable[..., Any], args: tuple, argnum: int) -> np.ndarray:
    """d f(*args) / d args[argnum], `out.shape + in.shape`, by central differences."""
    x = np.asarray(args[argnum], dtype=float)
    out = np.asarray(f(*args))
    jac = np.empty(out.shape + x.shape)
    for index in np.ndindex(x.shape):
        h = CBRT_EPS * max(1.0, abs(float(x[index])))
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        at = [list(args), list(args)]
        at[0][argnum] = plus if x.ndim else float(plus)
        at[1][argnum] = minus if x.ndim else float(minus)
        jac[(...,) + index] = (np.asarray(f(*at[0])) - np.asarray(f(*at[1]))) / (plus[index] - minus[index])
    return jac


def per_example_central(f: Callable[..., Any], args: tuple, argnum: int, in_axes: Any = 0) -> np.ndarray:
    """Each example's central-difference Jacobian of `f`, stacked."""
    axes = _axes(in_axes, len(args))
    size = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    return np.stack([central_jacobian(f, tuple(a if ax is None else np.take(a, b, axis=ax)
                                               for a, ax in zip(args, axes)), argnum) for b in range(size)])


def code(mapped: ad_compiler.Compiled) -> str:
    """The emitted statements, without the comments (which quote the source)."""
    return "\n".join(line.split("#")[0] for line in mapped.source.splitlines())


def rand(*shape: int) -> np.ndarray:
    return RNG.uniform(0.2, 1.2, shape)


# ---- functions mapped (module level: their source is read) --------------------------

def scalar_math(x, y):
    return math.sin(x) * y + x ** 2 - math.exp(-y) / (1.0 + math.cos(x) ** 2)


def affine_tanh(W, x, b):
    return np.tanh(W @ x + b)


def against_ranks(s, v, M, T):
    return s * v + (s - M) * 2.0 + T / (1.0 + s) + np.sum(v)


def vector_against_matrix(v, M):
    return (v + M) * v - np.exp(-M)


def reductions(x):
    return (np.sum(x, axis=0) + np.max(x) + np.mean(x, axis=-1, keepdims=True) + np.var(x, ddof=1)
            + np.std(x, axis=(0, 1)) + np.min(x, axis=1)[:, None] + np.prod(x, axis=0) - np.median(x)
            + np.ptp(x))


def positions(x):
    return np.argmax(x) + np.argmin(x, axis=1) + np.sum(np.cumsum(x)) + np.sum(np.sort(x, axis=0)[0]) + \
        np.count_nonzero(x > 0.5) + np.all(x > 0.1)


def running(x):
    return np.cumsum(x, axis=1) * np.cumprod(x)[:4].reshape(2, 2)[0, 0]


def matmul(a, b):
    return a @ b


def products(a, b, u):
    return np.dot(a, b) + np.einsum("ij,jk->ik", a, b) + np.outer(u, np.ones(2)) @ np.ones((2, 4))


def crossed(a, b):
    return np.cross(a, b) + np.cross(a, np.array([0.0, 0.0, 1.0]))


def solved(A, b, M):
    return np.linalg.solve(A, b), np.linalg.solve(A, M), np.linalg.inv(A) @ b + np.linalg.det(A)


def norms(x, M):
    return np.linalg.norm(x) + np.linalg.norm(M) + np.linalg.norm(M, axis=0) + np.linalg.norm(M, ord=1) \
        + np.linalg.norm(x, ord=np.inf)


def factorized(S):
    L = np.linalg.cholesky(S)
    w, V = np.linalg.eigh(S)
    return L @ L.T + V * w, np.linalg.slogdet(S)[1]


def reads(x, i, j):
    return x[0] + x[1:].sum() + x[:, 0] @ x[:, -1] + x[i, j] + x[i][j] + x[::-1, 1][i]


def table_lookup(table, i):
    return table[i] * 2.0


def gathers(x, idx, mask):
    return np.sum(x[idx]) + np.sum(x[mask]) + x[idx, 1] @ x[0]


def writes(x, v, i):
    y = x * 1.0
    y[0] = v
    y[1:, 1] = v[0]
    y[i] = y[i] + 1.0
    return y


def rearranged(x, y):
    z = np.concatenate([x, y], axis=0)
    w = np.stack((x, y), axis=-1)
    return (np.reshape(z, (-1,)) @ np.ravel(w.T) + np.sum(np.moveaxis(w, 2, 0)[0] * np.flip(x, axis=1))
            + np.expand_dims(x, 0).squeeze(0)[0, 0] + np.roll(x, 1)[0, 1] + np.transpose(w, (2, 0, 1))[1, 0, 0]
            + np.where(x > 0.5, x, -y).sum())


def horner(x, coeffs):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def rnn(W, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return h


def rows_of(x):
    total = np.zeros(3)
    for row in x:
        total = total + np.sin(row) * row[0]
    return total


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def clipped(x, lo):
    if x > lo:
        y = x * 2.0
        z = np.sin(y)
    else:
        y = -x
        z = y * y
    return y + z


def nested_branches(x, v):
    if x > 0.5:
        if v[0] > 0.5:
            out = v * x, x
        else:
            out = v + x, 2.0 * x
    else:
        out = v - x, x * x
    return out


def unmapped_test(x, flag):
    if flag > 0:
        return x * flag
    return x - flag


def two_results(x, y):
    return x * y, np.sum(x) + y[0]


def tree_argument(params, x):
    return np.tanh(params["w"] @ x + params["b"]) * params["scale"]


def tree_result(x):
    return {"sum": np.sum(x), "parts": (x * 2.0, x[0])}


def with_default(x, scale=2.0):
    return x * scale


def special(x):
    return math.erf(x) + math.gamma(x + 1.0)


def reproj(cam, point, w, feat):
    """One observation's weighted reprojection residual (Rodrigues rotation, pinhole
    projection, radial distortion)."""
    theta = np.sqrt(np.sum(cam[0:3] * cam[0:3]))
    k = cam[0:3] / theta
    p = point * np.cos(theta) + np.cross(k, point) * np.sin(theta) + k * (np.dot(k, point) * (1 - np.cos(theta)))
    p = p + cam[3:6]
    xy = -p[0:2] / p[2]
    r2 = np.sum(xy * xy)
    return w * (xy * (1 + cam[7] * r2 + cam[8] * r2 * r2) * cam[6] + cam[9:11] - feat)


# ---- results against the loop -------------------------------------------------------

def test_scalars_and_math_functions_become_numpy() -> None:
    mapped = check(scalar_math, (rand(B), rand(B)))
    assert "np.sin(x)" in code(mapped) and "math." not in code(mapped) and "for " not in code(mapped)


def test_matrix_times_mapped_vector_reads_as_a_person_writes_it() -> None:
    mapped = check(affine_tanh, (rand(3, 4), rand(B, 4), rand(3)), in_axes=(None, 0, None))
    assert "np.tanh(x @ W.T + b)" in mapped.source


def test_a_mapped_number_meets_unbatched_arrays_of_several_ranks() -> None:
    mapped = check(against_ranks, (rand(B), rand(4), rand(3, 4), rand(2, 3, 4)), in_axes=(0, None, None, None))
    assert "s)[:, None, None, None]" in code(mapped)
    check(vector_against_matrix, (rand(B, 4), rand(3, 4)), in_axes=(0, None))


@pytest.mark.parametrize("f, shape", [(reductions, (4, 4)), (positions, (3, 4)), (running, (3, 4))],
                         ids=["reductions", "positions", "running"])
def test_reductions_and_functions_of_an_axis(f: Callable, shape: tuple) -> None:
    mapped = check(f, (rand(B, *shape),))
    assert "for " not in code(mapped)


SHAPES = {1: (4,), 2: (3, 4), 3: (2, 3, 4)}
RIGHT = {1: (4,), 2: (4, 5), 3: (2, 4, 5)}


@pytest.mark.parametrize("ra", [1, 2, 3])
@pytest.mark.parametrize("rb", [1, 2, 3])
@pytest.mark.parametrize("mapped_axes", [(0, 0), (0, None), (None, 0), (1, -1)], ids=str)
def test_matmul_in_every_rank_combination(ra: int, rb: int, mapped_axes: tuple) -> None:
    a = rand(*SHAPES[ra])
    b = rand(*RIGHT[rb])
    if mapped_axes[0] is not None:
        a = np.stack([rand(*SHAPES[ra]) for _ in range(B)], axis=mapped_axes[0] % (ra + 1))
    if mapped_axes[1] is not None:
        b = np.stack([rand(*RIGHT[rb]) for _ in range(B)], axis=mapped_axes[1] % (rb + 1))
    mapped = check(matmul, (a, b), in_axes=mapped_axes)
    assert "for " not in code(mapped)


def test_products_contractions_and_cross_products() -> None:
    check(products, (rand(B, 3, 4), rand(B, 4, 4), rand(B, 3)))
    check(products, (rand(3, 4), rand(B, 4, 4), rand(3)), in_axes=(None, 0, None))
    mapped = check(crossed, (rand(B, 3), rand(B, 3)))
    assert "np.cross(a, b)" in mapped.source and "for " not in code(mapped)
    check(crossed, (rand(3), rand(B, 2, 3)), in_axes=(None, 0))


def spd(*lead: int) -> np.ndarray:
    a = rand(*lead, 3, 3)
    return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)


def test_linear_algebra_of_stacks() -> None:
    check(solved, (spd(B), rand(B, 3), rand(B, 3, 2)))
    check(solved, (spd(), rand(B, 3), rand(3, 2)), in_axes=(None, 0, None))
    check(solved, (spd(B), rand(3), rand(3, 2)), in_axes=(0, None, None))
    check(norms, (rand(B, 3), rand(B, 2, 3)))
    mapped = check(factorized, (spd(B),))
    assert "for " not in code(mapped)


def test_indexing_skips_the_batch_axis_or_picks_each_example() -> None:
    x = rand(B, 4, 3)
    mapped = check(reads, (x, np.arange(B) % 4, np.arange(B) % 3))
    assert "x[:, 0]" in mapped.source
    mapped = check(table_lookup, (rand(6, 2), np.array([5, 0, 3, 3, 1])), in_axes=(None, 0))
    assert "table[i]" in mapped.source
    check(gathers, (rand(B, 4, 3), np.array([2, 0, 2]), rand(4, 3) > 0.5), in_axes=(0, None, None))
    check(writes, (rand(B, 4, 3), rand(B, 3), np.arange(B) % 4))
    check(writes, (rand(4, 3), rand(B, 3), 2), in_axes=(None, 0, None))


def test_shapes_joins_and_selections() -> None:
    check(rearranged, (rand(B, 2, 3), rand(B, 2, 3)))
    check(rearranged, (rand(2, 3), rand(B, 2, 3)), in_axes=(None, 0))


def test_loops_carry_mapped_values() -> None:
    mapped = check(horner, (rand(B), np.array([1.0, -2.0, 0.5])), in_axes=(0, None))
    assert "for c in coeffs" in mapped.source
    check(rnn, (rand(3, 3), rand(B, 3), rand(4, 3)), in_axes=(None, 0, None))
    check(rnn, (rand(3, 3), rand(3), rand(B, 4, 3)), in_axes=(None, None, 0))
    check(rows_of, (rand(B, 4, 3),))


def test_a_while_loop_on_a_mapped_test_runs_until_every_example_is_done() -> None:
    a = np.array([0.5, 2.0, 9.0, 100.0, 1e-3])
    mapped = check(newton_sqrt, (a,))
    assert "np.any(" in mapped.source and "np.where(" in mapped.source


def test_a_branch_on_a_mapped_test_selects_each_examples_side() -> None:
    mapped = check(clipped, (rand(B), 0.7), in_axes=(0, None))
    assert "np.where(" in code(mapped) and "if " not in code(mapped)
    check(nested_branches, (rand(B), rand(B, 3)))
    mapped = check(unmapped_test, (rand(B, 3), -1.5), in_axes=(0, None))
    assert "if flag > 0" in mapped.source


def checked_sqrt(x):
    if x < 0.0:
        raise ValueError("negative")
    y = np.sqrt(x)
    if not np.isfinite(y):
        raise ValueError("not finite")
    return y * 2.0


def test_a_branch_that_raises_raises_if_any_example_takes_it() -> None:
    mapped = check(checked_sqrt, (rand(B),))
    assert "if np.any(x < 0.0):" in mapped.source
    with pytest.raises(ValueError, match="negative"):
        mapped(np.array([1.0, -1.0, 2.0, 3.0, 4.0]))


def test_in_axes_and_out_axes() -> None:
    x, y = rand(3, B), rand(B, 2, 3)
    check(two_results, (rand(B, 3), rand(3)), in_axes=(0, None))
    check(two_results, (rand(3, B), rand(3)), in_axes=[-1, None], out_axes=(1, 0))
    check(matmul, (x.T[:, :, None] * np.ones(2), y), in_axes=(0, 0), out_axes=-1)
    check(two_results, (rand(3), rand(B, 3)), in_axes=(None, 0), out_axes=(0, 0))
    mapped = vmap(lambda a, b: (a * 2.0, np.sum(b)), in_axes=(0, None), out_axes=(0, None))
    got = mapped(rand(B, 2), rand(3))
    assert got[0].shape == (B, 2) and np.ndim(got[1]) == 0


def test_an_unmapped_result_is_broadcast_as_jax_does() -> None:
    mapped = vmap(lambda a, b: np.sum(b) * np.ones(2), in_axes=(0, None))
    b = rand(3)
    got = mapped(rand(B), b)
    np.testing.assert_allclose(got, np.broadcast_to(np.sum(b) * np.ones(2), (B, 2)))
    got[0, 0] = 7.0  # (a real array, not a read-only broadcast)


def test_pytree_arguments_and_results() -> None:
    params = {"w": rand(B, 2, 3), "b": rand(2), "scale": rand(B)}
    x = rand(3)
    mapped = vmap(tree_argument, in_axes=({"w": 0, "b": None, "scale": 0}, None))
    want = np.stack([tree_argument({"w": params["w"][k], "b": params["b"], "scale": params["scale"][k]}, x)
                     for k in range(B)])
    np.testing.assert_allclose(mapped(params, x), want)
    got = vmap(tree_result, out_axes={"sum": 0, "parts": (1, 0)})(rand(B, 3))
    assert set(got) == {"sum", "parts"} and got["parts"][0].shape == (3, B) and got["parts"][1].shape == (B,)


def test_keywords_are_mapped_and_defaults_are_not() -> None:
    x = rand(B, 3)
    np.testing.assert_allclose(vmap(with_default)(x), x * 2.0)
    scales = rand(B)
    np.testing.assert_allclose(vmap(with_default)(x, scale=scales), x * scales[:, None])
    np.testing.assert_allclose(vmap(with_default, in_axes=(0, None))(x, 3.0), x * 3.0)


def test_axis_size_with_nothing_mapped() -> None:
    got = vmap(lambda a: a * 2.0, in_axes=None, axis_size=4)(rand(3))
    assert got.shape == (4, 3)


def test_a_primitive_without_a_batching_rule_runs_once_per_example_and_says_so() -> None:
    mapped = check(special, (rand(B),))
    assert "# math.erf has no batching rule: one call per example" in mapped.source
    assert "for example in range(5):" in mapped.source


def differences(x, n):
    hs = []
    for i in range(n):
        hs.append(x * i)
    return np.ediff1d(np.stack(hs)[:, 0])


def test_one_call_per_example_of_a_result_whose_shape_the_run_decides() -> None:
    """A NumPy int is not compiled for its value (`shape_ints`): the length of `hs` is
    known only when it runs, so the examples' results are a list; a Python int's value
    fixes it, and they are written into an array made once."""
    mapped = check(differences, (rand(B, 3), np.int64(4)), in_axes=(0, None))
    assert "# np.ediff1d has no batching rule: one call per example" in mapped.source
    assert ".append(np.ediff1d(" in mapped.source
    mapped = check(differences, (rand(B, 3), 4), in_axes=(0, None))
    assert "t2 = np.empty((5, 3))" in mapped.source and "np.ediff1d(" in mapped.source, mapped.source


def test_compiled_once_per_signature() -> None:
    mapped = vmap(scalar_math)
    mapped(rand(B), rand(B))
    first = mapped.source
    mapped(rand(B), rand(B))
    assert mapped.source is first or mapped.source == first
    assert "float[5]" in mapped.ir
    mapped(rand(7), rand(7))
    assert "float[7]" in mapped.ir


# ---- nesting: derivatives per example against central differences -------------------

def loss(w, x):
    return np.sum(np.tanh(w * x) ** 2) + np.sin(w[0]) * x[1]


def vector_field(x, y):
    return np.sin(x) * y[0] + x ** 2 * np.sum(y)


def test_vmap_of_grad() -> None:
    w, x = rand(B, 3), rand(B, 3)
    got = vmap(grad(loss))(w, x)
    np.testing.assert_allclose(got, per_example_central(loss, (w, x), 0), rtol=1e-6, atol=1e-8)
    got = vmap(grad(loss, argnums=1), in_axes=(None, 0))(w[0], x)
    np.testing.assert_allclose(got, per_example_central(loss, (w[0], x), 1, (None, 0)), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("jacobian", [jacfwd, jacrev], ids=["jacfwd", "jacrev"])
def test_vmap_of_jacobians(jacobian: Callable) -> None:
    x, y = rand(B, 3), rand(B, 2)
    jx, jy = vmap(jacobian(vector_field, argnums=(0, 1)))(x, y)
    np.testing.assert_allclose(jx, per_example_central(vector_field, (x, y), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jy, per_example_central(vector_field, (x, y), 1), rtol=1e-6, atol=1e-8)
    shared = vmap(jacobian(vector_field, argnums=1), in_axes=(0, None))(x, y[0])
    np.testing.assert_allclose(shared, per_example_central(vector_field, (x, y[0]), 1, (0, None)), rtol=1e-6,
                               atol=1e-8)
    moved = vmap(jacobian(vector_field), out_axes=-1)(x, y)
    np.testing.assert_allclose(moved, np.moveaxis(per_example_central(vector_field, (x, y), 0), 0, -1), rtol=1e-6,
                               atol=1e-8)


def test_vmap_of_hessian() -> None:
    w, x = rand(B, 3), rand(B, 3)
    got = vmap(hessian(loss))(w, x)
    want = np.stack([central_jacobian(lambda v, u: grad(loss)(v, u), (w[k], x[k]), 0) for k in range(B)])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_reprojection_jacobians_per_observation() -> None:
    """The bundle-adjustment case: many small independent Jacobians in one vectorized pass."""
    n = 40
    cams = np.concatenate([rand(n, 3) * 0.5, RNG.normal(size=(n, 2)), 4.0 + rand(n, 1), 1.0 + 0.0 * rand(n, 1),
                           0.1 * rand(n, 2), 0.1 * rand(n, 2)], axis=1)
    points, w, feats = RNG.normal(size=(n, 3)), rand(n), RNG.normal(size=(n, 2))
    jacobian = vmap(jacfwd(reproj, argnums=(0, 1, 2)))
    jc, jp, jw = jacobian(cams, points, w, feats)
    args = (cams, points, w, feats)
    for got, k in ((jc, 0), (jp, 1), (jw, 2)):
        np.testing.assert_allclose(got, per_example_central(reproj, args, k), rtol=1e-6, atol=1e-7)
    assert "for " not in code(jacobian)


def test_jacfwd_of_vmap() -> None:
    x, y = rand(B, 3), rand(B, 2)
    mapped = vmap(vector_field)
    got = jacfwd(mapped)(x, y)
    np.testing.assert_allclose(got, central_jacobian(mapped, (x, y), 0), rtol=1e-6, atol=1e-8)


def test_vmap_of_value_and_grad_and_jacrev_of_vmap() -> None:
    w, x = rand(B, 3), rand(B, 3)
    value, gradient = vmap(ad_compiler.value_and_grad(loss))(w, x)
    np.testing.assert_allclose(value, looped(loss, (w, x)), rtol=1e-12)
    np.testing.assert_allclose(gradient, per_example_central(loss, (w, x), 0), rtol=1e-6, atol=1e-8)
    mapped = vmap(vector_field)
    y = rand(B, 2)
    np.testing.assert_allclose(jacrev(mapped)(w, y), central_jacobian(mapped, (w, y), 0), rtol=1e-6, atol=1e-8)


def test_grad_through_a_vmapped_function() -> None:
    per = vmap(loss, in_axes=(None, 0))

    def total(w, xs):
        return np.sum(per(w, xs))

    w, xs = rand(3), rand(B, 3)
    derivative = grad(total)
    np.testing.assert_allclose(derivative(w, xs), central_jacobian(total, (w, xs), 0), rtol=1e-6, atol=1e-8)
    assert "for " not in code(derivative)
    inline = grad(lambda w, xs: np.sum(vmap(loss, in_axes=(None, 0))(w, xs)))
    np.testing.assert_allclose(inline(w, xs), central_jacobian(total, (w, xs), 0), rtol=1e-6, atol=1e-8)


def test_vmap_of_vmap() -> None:
    a, b = rand(4, B, 3, 2), rand(4, B, 2)
    got = vmap(vmap(matmul))(a, b)
    np.testing.assert_allclose(got, np.einsum("ijkl,ijl->ijk", a, b))
    got = vmap(vmap(matmul, in_axes=(0, None)), in_axes=(1, None))(a, b[0, 0])
    np.testing.assert_allclose(got, np.swapaxes(a, 0, 1) @ b[0, 0])


# ---- refusals -------------------------------------------------------------------------

def trip_count(x, n):
    total = 0.0
    for i in range(n):
        total = total + x
    return total


def branch_with_effect(x):
    if x > 0.5:
        print("large")
        return x
    return -x


def branch_with_solve(A, b):
    if b[0] > 0.5:
        return np.linalg.solve(A, b)
    return b


def mask_index(x):
    return np.sum(x[x > 0.5])


def drawing(x):
    return x + np.random.standard_normal()


def test_errors_as_jax_gives_them() -> None:
    with pytest.raises(ValueError, match="vmap got inconsistent sizes for array axes to be mapped"):
        vmap(matmul)(rand(3, 2), rand(4, 2))
    with pytest.raises(ValueError, match="vmap must have at least one non-None value in in_axes"):
        vmap(matmul, in_axes=None)(rand(2), rand(2))
    with pytest.raises(ValueError, match="its rank should be at least 3, but is only 2"):
        vmap(matmul, in_axes=(2, None))(rand(3, 2), rand(2))
    with pytest.raises(ValueError, match=r"len\(in_axes\)=1, len\(args\)=2"):
        vmap(matmul, in_axes=(0,))(rand(3, 2), rand(3, 2))
    with pytest.raises(ValueError, match="vmap has mapped output but out_axes is None"):
        vmap(matmul, out_axes=None)(rand(3, 2), rand(3, 2))
    with pytest.raises(ValueError, match="tree prefix"):
        vmap(tree_argument, in_axes=({"w": 0}, None))({"w": rand(B, 2, 3), "b": rand(2), "scale": 1.0}, rand(3))
    with pytest.raises(TypeError, match="in_axes must be an int, None, or"):
        vmap(matmul, in_axes="0")
    with pytest.raises(ValueError, match="axis_size was 4"):
        vmap(matmul, axis_size=4)(rand(3, 2), rand(3, 2))


@pytest.mark.parametrize("f, args, in_axes, message", [
    (trip_count, (rand(B), np.arange(B)), (0, 0), "number of iterations of this loop depends on the mapped"),
    (branch_with_effect, (rand(B),), 0, "has effects"),
    (branch_with_solve, (spd(B), rand(B, 3)), 0, "np.linalg.solve, which may raise"),
    (mask_index, (rand(B, 4),), 0, "different number of elements for each example"),
    (drawing, (rand(B),), 0, "once for the whole batch"),
], ids=["trip count", "effect", "raises", "mask", "draw"])
def test_unsupported_constructs_are_refused_at_their_line(f: Callable, args: tuple, in_axes: Any,
                                                          message: str) -> None:
    with pytest.raises(CompileError, match=message) as caught:
        vmap(f, in_axes=in_axes)(*args)
    assert caught.value.line is not None and "^" in str(caught.value)


def test_the_documented_example_is_what_the_compiler_emits(tmp_path) -> None:
    """docs/vmap.md shows its example's vmap exactly as the compiler emits it."""
    import re
    import runpy
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "vmap.md").read_text()
    program, shown = re.findall(r"```python\n(.*?)```", doc, re.S)[:2]
    script = tmp_path / "example.py"
    script.write_text(program)
    layer = runpy.run_path(str(script))["layer"]
    W, xs, b = RNG.normal(size=(3, 4)), RNG.normal(size=(6, 4)), RNG.normal(size=3)
    mapped = vmap(layer, in_axes=(None, 0, None))
    assert_tree_close(mapped(W, xs, b), looped(layer, (W, xs, b), (None, 0, None)), rtol=1e-12)
    assert mapped.source == shown


def stacked_states(x):
    hs = []
    h = x
    for i in range(x.shape[0]):
        h = np.sin(h) + x[i]
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def stacked_pairs(x, W):
    hs = [x]
    for i in range(W.shape[0] + 1):
        hs.append(np.tanh(W @ hs[-1]))
        hs.append(hs[-1] * x)
    return np.sum(np.stack(hs, axis=1) * x[:, None])


@pytest.mark.parametrize("f, args, in_axes", [
    (stacked_states, (rand(4, 3),), 0),
    (stacked_pairs, (rand(5, 3), rand(3, 3)), (0, None)),
])
def test_vmap_of_the_gradient_of_a_stacked_list_a_counted_loop_appends_to(f, args, in_axes) -> None:
    """The list's length follows from the loop's bounds (known once the shapes are), so
    the stack's shape is known, as vmap needs."""
    mapped = vmap(grad(f), in_axes=in_axes)
    np.testing.assert_allclose(mapped(*args), per_example_central(f, args, 0, in_axes), rtol=1e-6, atol=1e-8)
    single = grad(f)
    single(*(a if ax is None else a[0] for a, ax in zip(args, _axes(in_axes, len(args)))))
    assert "unbroadcast" not in single.source, single.source
