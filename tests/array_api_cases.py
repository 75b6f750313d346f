"""The workloads the array-api backend is checked on, on NumPy (test_backend_array_api.py)
and on dask.array (test_backend_dask.py): the peer table's rows (benchmarks/rows.py) and
the benchmark objectives (benchmarks/objectives/), each with the derivative it is timed
with, at sizes that keep the checks quick (the determinant of a 4x4 matrix, the LSTM over
9 characters, 10 observations of bundle adjustment, 3 steps of the ODE)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

import ad_compiler

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@dataclass
class Case:
    name: str
    fn: Callable[..., Any]
    args: tuple
    argnums: Any
    jacobian: bool = False

    def derivative(self, backend: str) -> Callable[..., Any]:
        transform = ad_compiler.jacfwd if self.jacobian else ad_compiler.grad
        return transform(self.fn, argnums=self.argnums, backend=backend)


def _rows() -> list[Case]:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # (rows.py imports bench_grad and bench_loops, beside it)
    import rows

    return [Case(f"{name} {size}", fn, args, argnums) for name, size, fn, args, argnums, _ in rows.make_rows()]


def _objectives() -> list[Case]:
    from benchmarks.objectives import ba, det, gmm, ht, kmeans, llsq, lse, lstm, ode

    gmm_args = list(gmm.make_data("small"))
    gmm_args[5] = 2  # (the Wishart prior's m, so its term is not zero)
    main_params, extra_params, state, sequence = lstm.make_data("small")
    cams, xs, w, feats = (a[:10] for a in ba.make_data("small"))
    cases = [
        Case("gmm", gmm.objective, tuple(gmm_args), gmm.ARGNUMS),
        Case("lstm", lstm.objective, (main_params, extra_params, state, sequence[:9]), lstm.ARGNUMS),
        Case("ode", ode.objective, (ode.check_data()[0], 3), ode.ARGNUMS),
        Case("kmeans", kmeans.objective, kmeans.make_data("small"), 1),
        Case("lse", lse.objective, lse.make_data("small"), lse.ARGNUMS),
        Case("llsq", llsq.objective, llsq.make_data("small"), llsq.ARGNUMS),
        Case("det", det.objective, (det.make_data("small")[0][:4, :4],), det.ARGNUMS),  # (24 products, not 120)
        Case("ht", ht.objective, ht.make_data("small"), ht.ARGNUMS, jacobian=True),
        Case("ba", ba.reproj_all, (cams, xs, w, feats), (0, 1, 2), jacobian=True),
    ]
    return cases


def cases() -> list[Case]:
    """Every workload: the rows, then the objectives."""
    return _rows() + _objectives()


def as_tuple(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def argnums_of(case: Case) -> tuple:
    return case.argnums if isinstance(case.argnums, tuple) else (case.argnums,)


def directional_difference(case: Case, h: float = 1e-6, seed: int = 0) -> tuple[tuple, np.ndarray]:
    """A random direction for the differentiated arguments, and the change of the function
    along it by central differences (a number, or the output's shape for a Jacobian)."""
    rng = np.random.default_rng(seed)
    direction = tuple(rng.standard_normal(np.shape(case.args[i])) for i in argnums_of(case))
    up, down = list(case.args), list(case.args)
    for i, d in zip(argnums_of(case), direction):
        x = case.args[i]
        up[i] = x + h * d if np.ndim(x) else float(x + h * d)
        down[i] = x - h * d if np.ndim(x) else float(x - h * d)
    change = (np.asarray(case.fn(*up)) - np.asarray(case.fn(*down))) / (2 * h)
    return direction, change


def along(case: Case, derivative: tuple, direction: tuple) -> np.ndarray:
    """The derivative (per differentiated argument) applied to the direction."""
    total = 0.0
    for d, x in zip(derivative, direction):
        d = np.asarray(d)
        if case.jacobian:
            total = total + np.tensordot(d, x, axes=np.ndim(x))
        else:
            total = total + np.sum(d * x)
    return np.asarray(total)


def assert_close(got: Any, want: Any, rtol: float) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(1.0, float(np.max(np.abs(want)))))
