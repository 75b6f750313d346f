"""The hand-written derivatives of the benchmark objectives (benchmarks/objectives/) and of
the peer table's rows (benchmarks/rows.py) against central differences, so that the
benchmarks can check every tool's derivative against them. Each objective is taken at its
small size (cut short where a sequence makes it slow: the LSTM's, the ODE's steps); no
peer (JAX, PyTorch, autograd, tangent-ad) is imported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ad_compiler import grad, jacobian
from benchmarks.objectives import ba, det, gmm, ht, kmeans, llsq, lse, lstm, ode
from tests.numeric import numeric_grad


def central_jacobian(f, args, argnum, h=1e-6):
    """d f(*args) / d args[argnum], shape f's + the argument's, by central differences."""
    x = np.asarray(args[argnum], dtype=np.float64)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = h
        up, down = list(args), list(args)
        up[argnum], down[argnum] = x + step.reshape(x.shape), x - step.reshape(x.shape)
        columns.append((np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * h))
    return np.stack(columns, axis=-1).reshape(np.shape(f(*args)) + x.shape)


def assert_close(got, want, rtol=1e-6):
    scale = np.max(np.abs(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


def lstm_args():
    main_params, extra_params, state, sequence = lstm.make_data("small")
    return main_params, extra_params, state, sequence[:9]


def gmm_args():
    args = list(gmm.make_data("small"))
    args[5] = 2                     # the Wishart prior's m, so its term is not zero
    return tuple(args)


@pytest.mark.parametrize("module, args", [
    (gmm, gmm_args()),
    (lstm, lstm_args()),
    (ode, ode.check_data()),
    (ode, (ode.check_data()[0], 1)),
    (lse, lse.make_data("small")),
    (llsq, llsq.make_data("small")),
    (det, det.make_data("small")),
], ids=["gmm", "lstm", "ode", "ode-one-step", "lse", "llsq", "det"])
def test_hand_gradient(module, args):
    hand = module.hand(*args)
    argnums = module.ARGNUMS if isinstance(module.ARGNUMS, tuple) else (module.ARGNUMS,)
    hand = hand if isinstance(module.ARGNUMS, tuple) else (hand,)
    for got, i in zip(hand, argnums):
        assert_close(got, numeric_grad(module.objective, args, i), rtol=1e-5)


def test_det_is_the_determinant_and_its_gradient_the_cofactors():
    (a,) = det.make_data("small")
    assert np.isclose(det.objective(a), np.linalg.det(a))
    assert_close(det.hand(a), np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-10)


def test_kmeans_newton_direction():
    points, centroids = kmeans.make_data("small")
    cost = kmeans.objective
    gradient = numeric_grad(cost, (points, centroids), 1)
    h = 1e-4                        # small enough that no point changes its nearest centroid
    curvature = np.empty_like(centroids)
    for index in np.ndindex(centroids.shape):
        step = np.zeros_like(centroids)
        step[index] = h
        curvature[index] = (cost(points, centroids + step) - 2 * cost(points, centroids)
                            + cost(points, centroids - step)) / h ** 2
    assert_close(kmeans.hand(points, centroids), gradient / curvature, rtol=1e-4)


def test_ba_blocks():
    cams, xs, w, feats = (a[:20] for a in ba.make_data("small"))
    blocks = ba.jacobian_blocks(cams, xs, w, feats)
    for i, cols in enumerate((slice(0, 11), slice(11, 14))):
        full = central_jacobian(ba.reproj_all, (cams, xs, w, feats), i)     # (20, 2, 20, k)
        assert_close(blocks[:, :, cols], np.einsum("iaik->iak", full))
    full = central_jacobian(ba.reproj_all, (cams, xs, w, feats), 2)         # (20, 2, 20)
    assert_close(blocks[:, :, 14], np.einsum("iai->ia", full))


@pytest.mark.parametrize("rotation", ["general", "zero"])
def test_ba_one_observation(rotation):
    cams, xs, w, feats = ba.make_data("small")
    cam, x, weight, feat = cams[3].copy(), xs[3], w[3], feats[3]
    if rotation == "zero":
        cam[0:3] = 0.0
    assert_close(ba.reproj(cam, x, weight, feat), ba.reproj_all(cam[None], x[None], w[3:4], feat[None])[0])
    args = (cam, x, weight, feat)
    want = np.concatenate([central_jacobian(ba.reproj, args, 0), central_jacobian(ba.reproj, args, 1),
                           central_jacobian(ba.reproj, args, 2)[:, None]], axis=1)
    assert_close(ba.hand_reproj(*args), want)


def test_rows_hand_gradients(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import rows                     # it imports bench_grad and bench_loops, beside it
    cases = [(fn, args, argnums, hand) for name, size, fn, args, argnums, hand in rows.make_rows()
             if name in ("scalar", "rnn", "horner") and "256" not in size]
    cases.append((rows.logistic_bce, rows._logistic_data(30, 4, seed=0), 0, rows.logistic_hand))
    cases.append((rows.mlp, rows.mlp_data(8, 5, 6, 2, seed=0), (0, 1, 2, 3), rows.mlp_hand))
    for fn, args, argnums, hand in cases:
        got = hand(*args)
        nums = argnums if isinstance(argnums, tuple) else (argnums,)
        got = got if isinstance(argnums, tuple) else (got,)
        for g, i in zip(got, nums):
            assert_close(g, numeric_grad(fn, args, i), rtol=1e-5)


def test_lstm_gradient_of_the_compiler():
    """The compiler's gradient of the LSTM (its layers a list whose length follows the
    state's shape, items assigned per layer) against central differences, in reverse
    and forward mode."""
    args = lstm_args()
    args = args[:3] + (args[3][:5],)
    for mode in ("reverse", "forward"):
        got = grad(lstm.objective, argnums=lstm.ARGNUMS, mode=mode)(*args)
        for g, i in zip(got, lstm.ARGNUMS):
            assert_close(g, numeric_grad(lstm.objective, args, i), rtol=1e-6)


def test_ht_jacobian_of_the_compiler():
    """The compiler's Jacobian of hand tracking (a bone's transform read from the list of
    those made so far at its parent, an int of a tuple argument known only at run time)
    against central differences: 3 x 100 residuals by 26 pose parameters."""
    args = ht.make_data("small")
    got = jacobian(ht.objective, argnums=ht.ARGNUMS)(*args)
    assert got.shape == (100, 3, 26)
    assert_close(got, central_jacobian(ht.objective, args, ht.ARGNUMS), rtol=1e-6)
