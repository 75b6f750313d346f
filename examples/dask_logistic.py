"""Logistic regression by gradient descent on 10 million rows of a dask array.

The loss is written in NumPy, as in logistic_regression.py; `value_and_grad(...,
backend="array-api")` emits code that takes its namespace from its arguments, so the same
function runs on the dask array: each step builds a graph, which the cluster's workers
compute chunk by chunk. The rows are generated chunk by chunk on the workers (never one
array in one piece), and the driver (this process) holds only the parameters and the
results: its peak memory is measured and printed beside the chunk size.

    python examples/dask_logistic.py             # 10,000,000 rows x 10, chunks of 250,000 rows
    python examples/dask_logistic.py --small     # 200,000 rows, 3 steps (seconds)
    python examples/dask_logistic.py --scheduler tcp://scheduler:8786   # a real cluster

Needs `pip install ad_compiler[dask]` (dask[distributed] and array-api-compat).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster

from ad_compiler import value_and_grad


def loss(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def data(rows: int, features: int, chunk: int, seed: int = 0) -> tuple[da.Array, da.Array, np.ndarray]:
    """X standard normal and y drawn from a logistic model, both generated chunk by chunk
    on the workers (each chunk from its own seed), and the model's coefficients."""
    truth = np.random.default_rng(seed).normal(size=features) / np.sqrt(features)
    rng = da.random.default_rng(seed + 1)
    X = rng.standard_normal((rows, features), chunks=(chunk, features))
    p = 1 / (1 + da.exp(-(X @ truth)))
    y = (rng.random(rows, chunks=chunk) < p).astype(float)
    return X, y, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--chunk", type=int, default=250_000, help="rows per chunk")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rate", type=float, default=2.0, help="the step size")
    parser.add_argument("--scheduler", help="a running cluster's scheduler address (default: a LocalCluster)")
    parser.add_argument("--small", action="store_true", help="200,000 rows, chunks of 50,000, 3 steps")
    args = parser.parse_args()
    if args.small:
        args.rows, args.chunk, args.steps = 200_000, 50_000, 3

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        # On a real cluster this line is the only change: client = Client("tcp://scheduler:8786")
        client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
    print(f"cluster: {client}")

    X, y, truth = data(args.rows, args.features, args.chunk)
    step = value_and_grad(loss, backend="array-api")
    beta = np.zeros(args.features)
    step(beta, X, y)  # (compiled at its first call: the measurement below is of the fit alone)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    for k in range(args.steps):
        started = time.perf_counter()
        value, gradient = dask.compute(*step(beta, X, y))  # (the graph, computed by the workers)
        beta = beta - args.rate * gradient
        print(f"step {k + 1}/{args.steps}: loss {value:.6f}, |gradient| {np.linalg.norm(gradient):.2e}, "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    chunk_mb = args.chunk * (args.features + 1) * 8 / 2 ** 20
    print(f"rows {args.rows:,} in chunks of {args.chunk:,} rows: a chunk of X and y is {chunk_mb:.1f} MB "
          f"({args.rows * (args.features + 1) * 8 / 2 ** 20:,.0f} MB in all)")
    print(f"driver peak memory during the fit: {peak / 2 ** 20:.2f} MB allocated "
          f"({peak / 2 ** 20 / chunk_mb:.2f} chunks); process peak RSS {after:.0f} MB, "
          f"{before:.0f} MB before the fit")
    print("coefficients found:", np.round(beta, 3))
    print("coefficients drawn:", np.round(truth, 3))

    # the emitted gradient against the NumPy backend's, on the first chunk materialized
    head = slice(0, args.chunk)
    on_dask = dask.compute(step(beta, X[head], y[head])[1])[0]
    on_numpy = value_and_grad(loss)(beta, X[head].compute(), y[head].compute())[1]
    difference = np.max(np.abs(on_dask - on_numpy))
    print(f"gradient on dask agrees with NumPy on the first chunk: largest difference {difference:.1e}")
    assert difference < 1e-10
    client.close()


if __name__ == "__main__":
    main()
