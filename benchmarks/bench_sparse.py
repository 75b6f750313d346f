#!/usr/bin/env python
"""Sparse Jacobians of bundle adjustment (benchmarks/objectives/ba.py): the pattern given
by hand against the pattern detected from the function (`sparsity="detect"`).

    python benchmarks/bench_sparse.py            # the small size (n=49, m=7776, p=31843)
    python benchmarks/bench_sparse.py --quick    # fewer repeats
    python benchmarks/bench_sparse.py --size medium

The residuals are ADBench's reprojection errors as a function of one parameter vector
(every camera's 11 parameters, then every point's 3), the observations' camera and point
read by index arrays (`obs`), the weights fixed. Printed: the time to detect the pattern
and its colour count (forward directions) against the given pattern's; the time of the
residuals and of each sparse Jacobian (each checked against the other and against the
hand-written blocks first), and their ratios. A script, not a test: it exits 0.
"""

from __future__ import annotations

import argparse
import time
import timeit

import isolated  # noqa: F401  (first: threads and paths, before NumPy is imported)
import compare
import numpy as np
import scipy.sparse
from objectives import ba

from ad_compiler import jacobian, sparsity_pattern


def residuals(params, feats, obs):
    n = (params.size - 3 * XS) // 11
    cams = np.reshape(params[:11 * n], (n, 11))
    xs = np.reshape(params[11 * n:], (-1, 3))
    return np.reshape(ba.reproj_all(cams[obs[:, 0]], xs[obs[:, 1]], np.ones(obs.shape[0]), feats), -1)


XS = 0
"""The number of points (set for the size run: the function reads it as a constant)."""


def _warm(x):
    return x * 2.0


def given_pattern(obs, n, m):
    """By hand: each observation's two rows read its camera's 11 columns and its point's 3."""
    p = obs.shape[0]
    cols = np.concatenate([11 * obs[:, :1] + np.arange(11), 11 * n + 3 * obs[:, 1:2] + np.arange(3)], axis=1)
    indptr = np.arange(2 * p + 1) * 14
    return scipy.sparse.csr_array((np.ones(28 * p, dtype=bool), np.repeat(cols, 2, axis=0).reshape(-1), indptr),
                                  shape=(2 * p, 11 * n + 3 * m))


def main(argv=None) -> int:
    global XS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 repeats of ~0.02 s")
    ap.add_argument("--size", choices=("small", "medium"), default="small")
    opts = ap.parse_args(argv)
    repeat, target, budget = (3, 0.02, 1.0) if opts.quick else (7, 0.1, 5.0)
    cams, xs, w, feats, obs = ba.make_problem(opts.size)
    n, m = cams.shape[0], xs.shape[0]
    XS = m
    params = np.concatenate([cams.reshape(-1), xs.reshape(-1)])
    args = (params, feats, obs)
    print(f"bundle adjustment's sparse Jacobian, {opts.size}: n={n} m={m} p={obs.shape[0]}, "
          f"{2 * obs.shape[0]} x {params.size}")

    sparsity_pattern(_warm, np.ones(2))  # (SciPy imported, its primitives defined: not detection's cost)
    started = time.perf_counter()
    detected = sparsity_pattern(residuals, *args)
    detect_seconds = time.perf_counter() - started
    given = given_pattern(obs, n, m)
    by_hand = jacobian(residuals, sparsity=given)
    found = jacobian(residuals, sparsity="detect")
    first = {}
    for name, jac in (("given", by_hand), ("detected", found)):
        started = time.perf_counter()
        jac(*args)
        first[name] = time.perf_counter() - started
    print(f"  detection alone: {detect_seconds:.2f} s; first calls (detection, colouring, compilation): "
          f"given {first['given']:.2f} s, detected {first['detected']:.2f} s")
    print(f"  entries: given {given.nnz}, detected {detected.nnz} (the u rows do not read the principal point's "
          f"v, nor the v rows its u); colours: given {by_hand.sparsity.count}, detected {found.sparsity.count}")
    a, b = by_hand(*args), found(*args)
    blocks = ba.jacobian_blocks(cams[obs[:, 0]], xs[obs[:, 1]], np.ones(obs.shape[0]), feats)[:, :, :14]
    hand = given.astype(float)
    hand.data[:] = blocks.reshape(-1)  # (the given pattern's entries are the blocks' in their order)
    problems = [what for what, bad in (
        ("a detected entry outside the given pattern", detected.multiply(given).nnz != detected.nnz),
        ("the two sparse Jacobians differ", abs(a - b).max() > 1e-9 * abs(a).max()),
        ("the sparse Jacobian is not the hand-written blocks", abs(a - hand).max() > 1e-9 * abs(hand).max()),
    ) if bad]
    if problems:
        print("  CHECK FAILED: " + "; ".join(problems))
        return 0

    timers = {name: timeit.Timer(lambda f=f: f(*args)) for name, f in
              (("residuals", residuals), ("given", by_hand), ("detected", found))}
    best = compare.time_interleaved(timers, repeat, target, budget)
    print(f"  residuals {compare.fmt_seconds(best['residuals'])}, sparse Jacobian with the given pattern "
          f"{compare.fmt_seconds(best['given'])} ({best['given'] / best['residuals']:.1f}x), with the detected one "
          f"{compare.fmt_seconds(best['detected'])} ({best['detected'] / best['residuals']:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
