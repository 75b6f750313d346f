#!/usr/bin/env python
"""Peak memory and time of an RNN gradient with and without checkpointing, against the
number of steps T (`grad(f, checkpoint="sqrt")` and `checkpoint="log"`, docs/reverse-mode.md).

    python benchmarks/bench_checkpoint.py [--steps 1000 4000 10000 40000] [--hidden 64]

Peak memory: one call to warm up, then `tracemalloc` around another call (NumPy reports
its buffers to it), minus what was traced before. Times: the best of three calls, without
tracemalloc (its cost per allocation would weigh on the schedules that allocate more
small arrays), still noisy; the
ratio checkpointed / plain is what to read (one more forward pass for "sqrt", about
log4 T more for "log", and per-step outer products in the segments' reverse loops, whose
trip counts are known only at run time).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from ad_compiler import grad  # noqa: E402


def rnn_loss(W, U, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def measure(f, args, repeats: int = 3) -> tuple[int, float]:
    f(*args)
    seconds = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        f(*args)
        seconds = min(seconds, time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    f(*args)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 4000, 10000, 40000])
    parser.add_argument("--hidden", type=int, default=64)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    hidden, inputs = args.hidden, 16
    W = 0.5 * rng.normal(size=(hidden, hidden)) / np.sqrt(hidden)
    U = rng.normal(size=(hidden, inputs)) / np.sqrt(inputs)
    h0 = rng.normal(size=hidden)
    plain = grad(rnn_loss, argnums=(0, 1), mode="reverse")
    cut = grad(rnn_loss, argnums=(0, 1), checkpoint="sqrt")
    nested = grad(rnn_loss, argnums=(0, 1), checkpoint="log")
    print(f"RNN gradient, hidden {hidden}, input {inputs}; peak memory of one call (KiB) and its time (s)")
    print(f"{'T':>7}  {'plain KiB':>10}  {'sqrt KiB':>9}  {'sqrt/plain':>10}  {'sqrt KiB/sqrt(T)':>16}  "
          f"{'log KiB':>8}  {'log/plain':>9}  {'plain s':>8}  {'sqrt s':>7}  {'log s':>7}  "
          f"{'sqrt time ratio':>15}  {'log time ratio':>14}")
    for steps in args.steps:
        xs = rng.normal(size=(steps, inputs))
        (pp, tp), (pc, tc), (pn, tn) = (measure(f, (W, U, h0, xs)) for f in (plain, cut, nested))
        expected = plain(W, U, h0, xs)
        for f in (cut, nested):
            check = [np.max(np.abs(a - b)) for a, b in zip(expected, f(W, U, h0, xs))]
            assert max(check) < 1e-9 * max(1.0, max(np.max(np.abs(a)) for a in expected)), check
        print(f"{steps:>7}  {pp / 1024:>10.0f}  {pc / 1024:>9.0f}  {pc / pp:>10.3f}  {pc / 1024 / np.sqrt(steps):>16.1f}  "
              f"{pn / 1024:>8.0f}  {pn / pp:>9.3f}  {tp:>8.2f}  {tc:>7.2f}  {tn:>7.2f}  {tc / tp:>15.2f}  {tn / tp:>14.2f}")


if __name__ == "__main__":
    main()
