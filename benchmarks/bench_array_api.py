#!/usr/bin/env python
"""The cost of the array-api backend on NumPy inputs: the peer table's rows (rows.py), each
gradient emitted by the NumPy backend and by the array-api backend, timed in the same run
(interleaved, one core, benchmarks/isolated.py) and their ratio printed. Target: array-api
/ numpy <= 1.1 on every row (docs/backend-array-api.md).

    python benchmarks/bench_array_api.py            # ~1 minute
    python benchmarks/bench_array_api.py --quick    # fewer, shorter repeats
    python benchmarks/bench_array_api.py --source   # also print each emitted gradient

A script, not a test: it exits 0 whatever the ratios.
"""

from __future__ import annotations

import argparse

import isolated  # noqa: F401  (first: threads and paths, before NumPy is imported)
import numpy as np

import ad_compiler
from bench_grad import make_timer
from compare import time_interleaved
from rows import make_rows

TARGET = 1.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--source", action="store_true")
    args = parser.parse_args()
    repeat = args.repeat or (5 if args.quick else 15)
    target = 0.02 if args.quick else 0.1

    print(f"{'row':<10} {'size':<22} {'numpy':>10} {'array-api':>10} {'ratio':>6}  check")
    worst = 0.0
    for name, size, fn, fargs, argnums, _ in make_rows():
        plain = ad_compiler.grad(fn, argnums=argnums)
        portable = ad_compiler.grad(fn, argnums=argnums, backend="array-api")
        want, got = plain(*fargs), portable(*fargs)  # (compiled here, before the timing)
        pairs = zip(got, want) if isinstance(want, tuple) else [(got, want)]
        same = all(np.allclose(g, w, rtol=1e-12, atol=0) for g, w in pairs)
        if args.source:
            print(portable.source)
        seconds = time_interleaved({"numpy": make_timer(plain, fargs), "array-api": make_timer(portable, fargs)},
                                   repeat, target, budget=10.0)
        ratio = seconds["array-api"] / seconds["numpy"]
        worst = max(worst, ratio)
        print(f"{name:<10} {size:<22} {seconds['numpy'] * 1e6:>8.1f}us {seconds['array-api'] * 1e6:>8.1f}us "
              f"{ratio:>6.2f}  {'ok' if same else 'MISMATCH'}", flush=True)
    print(f"worst ratio {worst:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
