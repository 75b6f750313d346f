"""The array-api backend on dask.array, for real: a `dask.distributed` LocalCluster (in
this process, one worker, one thread) runs the emitted derivatives of the benchmark rows
and objectives on chunked dask arrays, checked against the NumPy backend on the same
data; the logistic example runs at a small size."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("array_api_compat")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")

from tests.array_api_cases import as_tuple, assert_close, cases  # noqa: E402
from tests.corpus import CASES as CORPUS_CASES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SLOW = {"ht"}
"""Thousands of operations on 3x3 matrices, each a task (20,000): 40 s through the
cluster. Run with ADC_SLOW_TESTS=1."""


def _cases():
    found = []
    for case in cases():
        marks = [pytest.mark.skipif(not os.environ.get("ADC_SLOW_TESTS"), reason="slow: ADC_SLOW_TESTS=1")] \
            if case.name in SLOW else []
        found.append(pytest.param(case, id=case.name, marks=marks))
    return found


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                       dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def chunked(value):
    """A float array as a dask array of two chunks along its first axis."""
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or value.ndim == 0:
        return value
    return da.from_array(value, chunks=(max(1, (value.shape[0] + 1) // 2),) + value.shape[1:])


@pytest.mark.parametrize("case", _cases())
def test_numpy_values_through_a_local_cluster(case, client):
    args = tuple(chunked(a) for a in case.args)
    lazy = as_tuple(case.derivative("array-api")(*args))
    assert any(isinstance(x, da.Array) for x in lazy) or not any(isinstance(a, da.Array) for a in args)
    got = client.compute(list(lazy), sync=True)
    want = as_tuple(case.derivative("numpy")(*case.args))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_close(g, w, rtol=1e-10)


def test_a_version_per_shape(client):
    """Calls with dask arrays of other shapes are dispatched anew (by the general path),
    never to the version compiled for the first shape."""
    from ad_compiler import grad

    def f(x):
        return np.sum(np.tanh(x) * x[0])

    g = grad(f, backend="array-api")
    for n in (3, 5, 3):
        x = np.linspace(-1.0, 1.0, n)
        got = client.compute(g(da.from_array(x, chunks=2)), sync=True)
        assert_close(got, grad(f)(x), rtol=1e-12)


def test_logistic_example_small(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "dask_logistic.py"), "--small"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "step 3/3" in result.stdout
    assert "driver peak memory" in result.stdout
    assert "agrees with NumPy" in result.stdout


CORPUS = [c for c in CORPUS_CASES
          if c.fn.__name__ in ("mean_last_axis", "dot_products", "two_layer_mlp", "module_constants", "matvec_tanh")]


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_corpus_functions_through_a_local_cluster(case, client):
    """np.full of an array (the standard's fill is a number), np.dot, np.outer, a
    module's NumPy arrays beside dask ones."""
    from ad_compiler import grad

    args, argnums = case.args(), case.float_argnums()
    lazy = grad(case.fn, argnums=argnums, backend="array-api")(*(chunked(a) for a in args))
    got = client.compute(list(lazy), sync=True)
    for g, w in zip(got, grad(case.fn, argnums=argnums)(*args)):
        assert_close(g, w, rtol=1e-10)
