#!/usr/bin/env python
"""Benchmark of vmap: many small independent Jacobians, and a function mapped over a batch.

Run from anywhere:

    python benchmarks/bench_vmap.py            # full run
    python benchmarks/bench_vmap.py --quick    # short run, noisier numbers
    python benchmarks/bench_vmap.py --source   # also print the emitted sources

The case is bundle adjustment's residual of one observation (`reproj` below: a camera
of 11 parameters, a point of 3, a weight, 2 residuals; Rodrigues rotation, pinhole
projection, radial distortion) over 30,000 observations:

1. The residuals: `vmap(reproj)` against a Python loop calling `reproj` per observation,
   and against the same residual written by hand for arrays of observations.
2. The Jacobians: `vmap(jacfwd(reproj, argnums=(0, 1, 2)))` (each observation's three
   blocks, 2x11, 2x3 and 2x1) against the vectorized residual (`vmap(reproj)`): the
   ratio a Jacobian costs over a residual, with 15 directions. Target: <= 40x (under
   three residuals per direction). Also against a Python loop calling the emitted
   Jacobian of one observation (`jacfwd(reproj)`) per observation.

Every result is first checked: the mapped residuals and Jacobians against the loops (the
per-observation Jacobian itself checked against central differences in tests/test_vmap.py).
Interleaved min-of-means timing, as bench_grad.py (the loops, which take seconds, fewer
repeats). This is a script, not a test: its exit status is 0 whatever the verdicts (2
only for bad command-line arguments). See benchmarks/README.md.
"""

from __future__ import annotations

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

_HERE = os.path.dirname(os.path.abspath(__file__))
for _p in (_HERE, os.path.dirname(_HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import numpy as np  # noqa: E402

from bench_grad import fmt_ratio, fmt_time, machine_info, make_timer, parse_options, time_row  # noqa: E402

import ad_compiler  # noqa: E402

OBSERVATIONS = 30_000


def rotate(rvec, point):
    """`point` rotated by the axis-angle vector `rvec` (Rodrigues' formula)."""
    theta = np.sqrt(np.sum(rvec * rvec))
    axis = rvec / theta
    c, s = np.cos(theta), np.sin(theta)
    return point * c + np.cross(axis, point) * s + axis * (np.dot(axis, point) * (1.0 - c))


def reproj(cam, point, w, feat):
    """One observation's weighted reprojection residual: the camera's rotation (0:3),
    translation (3:6), focal length (6) and radial distortion (7:9), then its principal
    point (9:11)."""
    p = rotate(cam[0:3], point) + cam[3:6]
    xy = -p[0:2] / p[2]
    r2 = np.sum(xy * xy)
    distortion = 1.0 + cam[7] * r2 + cam[8] * r2 * r2
    return w * (xy * (distortion * cam[6]) + cam[9:11] - feat)


def reproj_by_hand(cams, points, w, feats):
    """The residuals of all observations, written for arrays of them."""
    rvec = cams[:, 0:3]
    theta = np.sqrt(np.sum(rvec * rvec, axis=1))[:, None]
    axis = rvec / theta
    c, s = np.cos(theta), np.sin(theta)
    p = points * c + np.cross(axis, points) * s + axis * (np.sum(axis * points, axis=1)[:, None] * (1.0 - c))
    p = p + cams[:, 3:6]
    xy = -p[:, 0:2] / p[:, 2:3]
    r2 = np.sum(xy * xy, axis=1)
    distortion = 1.0 + cams[:, 7] * r2 + cams[:, 8] * r2 * r2
    return w[:, None] * (xy * (distortion * cams[:, 6])[:, None] + cams[:, 9:11] - feats)


def problem(n, seed=0):
    """Cameras in front of points, small rotations and distortions, weights about 1."""
    rng = np.random.default_rng(seed)
    cams = np.concatenate([0.3 + 0.1 * rng.normal(size=(n, 3)), rng.normal(size=(n, 2)),
                           5.0 + rng.normal(size=(n, 1)), 1.0 + 0.05 * rng.normal(size=(n, 1)),
                           0.1 * rng.normal(size=(n, 2)), 0.1 * rng.normal(size=(n, 2))], axis=1)
    return cams, rng.normal(size=(n, 3)), 0.5 + rng.random(n), rng.normal(size=(n, 2))


def looped(fn, args):
    """fn of each observation, stacked (the loop vmap replaces)."""
    return np.stack([fn(*(a[k] for a in args)) for k in range(len(args[0]))])


def _table(headers, rows):
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    for r in [headers, ["-" * w for w in widths]] + rows:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print()


def residual_row(args, repeat, target, show):
    mapped = ad_compiler.vmap(reproj)
    got = mapped(*args)
    if not np.allclose(got, looped(reproj, args), rtol=1e-12, atol=1e-12):
        raise SystemExit("vmap(reproj) disagrees with the loop over observations")
    if not np.allclose(got, reproj_by_hand(*args), rtol=1e-12, atol=1e-12):
        raise SystemExit("vmap(reproj) disagrees with the residual written by hand")
    if show:
        print(mapped.source)
    best, _ = time_row({"vmap": make_timer(mapped, args), "hand": make_timer(reproj_by_hand, args)}, repeat, target)
    loop, _ = time_row({"loop": make_timer(lambda *a: looped(reproj, a), args)}, max(1, repeat // 4), target)
    return best["vmap"], ["residuals", fmt_time(best["vmap"]), fmt_time(best["hand"]), fmt_time(loop["loop"]),
                          fmt_ratio(best["vmap"] / best["hand"]), f"{loop['loop'] / best['vmap']:.0f}x"]


def jacobian_row(args, residual, repeat, target, show):
    mapped = ad_compiler.vmap(ad_compiler.jacfwd(reproj, argnums=(0, 1, 2)))
    one = ad_compiler.jacfwd(reproj, argnums=(0, 1, 2))
    one(*(a[0] for a in args))
    single = one._last.function  # (the emitted Jacobian of one observation, called directly)

    def loop(*a):
        blocks = [single(*(x[k] for x in a)) for k in range(len(a[0]))]
        return tuple(np.stack([b[j] for b in blocks]) for j in range(3))

    got = mapped(*args)
    for g, want in zip(got, loop(*args)):
        if not np.allclose(g, want, rtol=1e-10, atol=1e-12):
            raise SystemExit("vmap(jacfwd(reproj)) disagrees with the loop of per-observation Jacobians")
    if show:
        print(mapped.source)
    best, _ = time_row({"jacobians": make_timer(mapped, args)}, repeat, target)
    looped_time, _ = time_row({"loop": make_timer(loop, args)}, max(1, repeat // 4), target)
    ratio = best["jacobians"] / residual
    return ["Jacobians (2x11, 2x3, 2x1)", fmt_time(best["jacobians"]), fmt_ratio(ratio), f"{ratio / 15:.2f}x",
            fmt_time(looped_time["loop"]), f"{looped_time['loop'] / best['jacobians']:.0f}x",
            "PASS" if ratio <= 40 else "FAIL"]


def main(argv=None):
    opts, target, repeat = parse_options(argv, __doc__)
    print("\n".join(machine_info()))
    print(f"timing: min over {repeat} repeats of the per-call mean, ~{target:.2f} s per repeat; "
          f"{OBSERVATIONS} observations\n")
    args = problem(OBSERVATIONS)
    residual, row = residual_row(args, repeat, target, opts.source)
    _table(["row", "vmap", "by hand", "loop", "vmap/hand", "loop/vmap"], [row])
    _table(["row", "vmap(jacfwd)", "/residuals", "per direction", "loop", "loop/vmap", "verdict (<= 40x)"],
           [jacobian_row(args, residual, repeat, target, opts.source)])


if __name__ == "__main__":
    main()
