#!/usr/bin/env python
"""Benchmark of forward mode: batched Jacobians and Hessian-vector products.

Run from anywhere:

    python benchmarks/bench_forward.py            # full run
    python benchmarks/bench_forward.py --quick    # short run, noisier numbers
    python benchmarks/bench_forward.py --source   # also print the emitted sources

Two questions, each timed in one process, columns interleaved (the method and
helpers of bench_grad.py):

1. Jacobian of f: R^n -> R^n (n = 100): one call of the batched `jacfwd`
   (all n directions in one pass) against n calls of the emitted JVP function,
   one per unit direction (the JVP function is called directly: no dispatch
   cost is counted against it). `jacrev` (one reverse sweep per output) is
   shown too. Target: jacfwd >= 10x faster than the n JVPs.
2. Hessian-vector product, forward over reverse (`hvp`), against one gradient
   of the same function (`grad`), both emitted functions called directly.
   Target: hvp <= 4x one gradient.
3. The gradient of a function of a few scalars (the README's f(a, b, c)) by
   forward mode (one plain scalar pass per argument) against reverse mode.
   Target: forward <= 2x reverse.

Every result is first checked: the Jacobians against each other and against
the n JVPs, the HVP against the Hessian times v (`hessian`, itself checked
in the test suite against analytic Hessians).

This is a script, not a test: its exit status is 0 whatever the verdicts
(2 only for bad command-line arguments). See benchmarks/README.md.
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
from ad_compiler.api import _CACHE  # noqa: E402
from ad_compiler.ir.types import kind_of  # noqa: E402
from ad_compiler.pipeline import GradOptions, JVPOptions  # noqa: E402

N = 100
_RNG = np.random.default_rng(0)
W = _RNG.normal(size=(N, N)) / np.sqrt(N)


def layer(x):
    """R^n -> R^n: a dense layer with a residual, elementwise terms around it."""
    return np.tanh(W @ x) + np.sin(x) * x


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic_loss(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _emitted(fun, options, args):
    return _CACHE.version(fun, options, tuple(kind_of(a) for a in args))


def jacobian_row(repeat, target, show):
    x = _RNG.uniform(-1, 1, size=N)
    jvp_fn = _emitted(layer, JVPOptions((0,)), (x,)).function
    directions = list(np.eye(N))

    def n_jvps(x):
        return np.stack([jvp_fn(x, v)[1] for v in directions], axis=1)

    forward, reverse = ad_compiler.jacfwd(layer), ad_compiler.jacrev(layer)
    reference = n_jvps(x)
    for name, fn in (("jacfwd", forward), ("jacrev", reverse)):
        if not np.allclose(fn(x), reference, rtol=1e-10, atol=1e-12):
            raise SystemExit(f"{name} disagrees with the {N} JVPs")
    if show:
        print(forward.source)
    best, _ = time_row({"jacfwd": make_timer(forward, (x,)), "jacrev": make_timer(reverse, (x,)),
                        f"{N} jvps": make_timer(n_jvps, (x,))}, repeat, target)
    speedup = best[f"{N} jvps"] / best["jacfwd"]
    return [f"Jacobian of layer, R^{N} -> R^{N}", fmt_time(best["jacfwd"]), fmt_time(best["jacrev"]),
            fmt_time(best[f"{N} jvps"]), f"{speedup:.1f}x", "PASS" if speedup >= 10 else "FAIL"]


def hvp_row(label, fun, args, repeat, target, show):
    v = _RNG.normal(size=np.shape(args[0]))
    gradient = _emitted(fun, GradOptions((0,), False), args).function
    product = _emitted(ad_compiler.grad(fun), JVPOptions((0,)), args).function
    expected = ad_compiler.hessian(fun)(*args) @ v
    if not np.allclose(product(*args, v)[1], expected, rtol=1e-9, atol=1e-12):
        raise SystemExit(f"hvp of {label} disagrees with the Hessian times v")
    if show:
        print(_emitted(ad_compiler.grad(fun), JVPOptions((0,)), args).source)
    best, _ = time_row({"grad": make_timer(gradient, args), "hvp": make_timer(product, (*args, v))},
                       repeat, target)
    ratio = best["hvp"] / best["grad"]
    return [label, fmt_time(best["grad"]), fmt_time(best["hvp"]), fmt_ratio(ratio),
            "PASS" if ratio <= 4 else "FAIL"]


def spine(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def scalar_row(repeat, target, show):
    args = (1.5, 0.5, 2.0)
    forward = _emitted(spine, GradOptions((0, 1, 2), True, mode="forward"), args).function
    reverse = _emitted(spine, GradOptions((0, 1, 2), True), args).function
    if not np.allclose(forward(*args), reverse(*args), rtol=1e-13):
        raise SystemExit("forward and reverse gradients of spine disagree")
    if show:
        print(_emitted(spine, GradOptions((0, 1, 2), True, mode="forward"), args).source)
    best, _ = time_row({"forward": make_timer(forward, args), "reverse": make_timer(reverse, args)}, repeat, target)
    ratio = best["forward"] / best["reverse"]
    return ["f(a, b, c), 3 scalars", fmt_time(best["forward"]), fmt_time(best["reverse"]), fmt_ratio(ratio),
            "PASS" if ratio <= 2 else "FAIL"]


def _table(headers, rows):
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    for r in [headers, ["-" * w for w in widths]] + rows:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print()


def main(argv=None):
    opts, target, repeat = parse_options(argv, __doc__)
    print("\n".join(machine_info()))
    print(f"timing: min over {repeat} repeats of the per-call mean, ~{target:.2f} s per repeat\n")
    _table(["row", "jacfwd", "jacrev", f"{N} jvps", "jvps/jacfwd", "verdict (>= 10x)"],
           [jacobian_row(repeat, target, opts.source)])
    X = _RNG.normal(size=(1000, 50))
    y = (_RNG.random(1000) < 0.5).astype(float)
    _table(["row", "grad", "hvp", "hvp/grad", "verdict (<= 4x)"], [
        hvp_row("Rosenbrock n=1000", rosenbrock, (_RNG.uniform(-1, 1, size=1000),), repeat, target, opts.source),
        hvp_row("logistic loss 1000x50", logistic_loss, (_RNG.normal(size=50) * 0.1, X, y), repeat, target,
                opts.source),
    ])
    _table(["row", "forward", "reverse", "forward/reverse", "verdict (<= 2x)"], [scalar_row(repeat, target, opts.source)])


if __name__ == "__main__":
    main()
