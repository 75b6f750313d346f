"""What a call of a compiled derivative costs beyond the emitted function itself.

`grad(f)` returns a `Compiled` whose generated dispatcher finds the compiled version
(type checks, a table lookup) and, since globals are read at call time, first checks
what the versions assume of the names `f` reads from outside (that `np` is NumPy, that a
global array still has its shape and dtype). This script measures, in one run, with the
repeats interleaved so that machine noise hits every column alike:

  emitted   the emitted function, called directly (what the dispatch leads to)
  grad      the same derivative through `grad(f)` (dispatch, guard, then the emitted code)
  overhead  grad - emitted, in microseconds; and grad / emitted

for the README's three-float function (it reads `np` only), a function reading a module
array and a float (two kind checks), and one reading a closure variable. Run it from a
checkout; it prints a table and exits 0:

    python benchmarks/bench_call_overhead.py [--repeat 21]
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ad_compiler import grad  # noqa: E402

W = np.linspace(0.5, 1.5, 8)
SCALE = 0.5


def three_floats(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def reads_globals(x):
    return np.sum(W * x * x) * SCALE


def make_closure():
    k = 1.5

    def closed(x):
        return k * x * x

    return closed


CASES = [
    ("three floats (reads np)", three_floats, (43.0, 3.0, 2.0), (0, 1, 2)),
    ("module array + float", reads_globals, (np.linspace(-1.0, 1.0, 8),), 0),
    ("closure variable", make_closure(), (0.7,), 0),
]


def _per_call(fn, args, number: int) -> float:
    return timeit.Timer(lambda: fn(*args)).timeit(number) / number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--number", type=int, default=20000)
    args = parser.parse_args(argv)
    print(f"{'function':26} {'emitted us':>11} {'grad us':>9} {'overhead us':>12} {'grad/emitted':>13}")
    for name, f, point, argnums in CASES:
        df = grad(f, argnums=argnums)
        df(*point)  # compiles, and remembers the version
        emitted = df._last.function
        best = {"emitted": float("inf"), "grad": float("inf")}
        for _ in range(args.repeat):
            best["emitted"] = min(best["emitted"], _per_call(emitted, point, args.number))
            best["grad"] = min(best["grad"], _per_call(df, point, args.number))
        e, g = best["emitted"] * 1e6, best["grad"] * 1e6
        print(f"{name:26} {e:11.3f} {g:9.3f} {g - e:12.3f} {g / e:13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
