"""The array-api backend (docs/backend-array-api.md) on NumPy arrays: the benchmark rows'
and objectives' derivatives against the NumPy backend's and central differences, the text
it emits, what it refuses, its helpers against NumPy's meaning, a module written by
`adc grad --backend array-api`, and PyTorch and CuPy arrays where they are installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("array_api_compat")

from ad_compiler import CompileError, grad  # noqa: E402
from ad_compiler.errors import ArgumentError  # noqa: E402
from ad_compiler.backends.array_api import HELPERS  # noqa: E402
from tests.corpus import CASES as CORPUS_CASES  # noqa: E402
from tests.array_api_cases import (  # noqa: E402
    along, as_tuple, assert_close, cases, directional_difference,
)

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_numpy_values_and_central_differences(case):
    got = as_tuple(case.derivative("array-api")(*case.args))
    want = as_tuple(case.derivative("numpy")(*case.args))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert type(g) is type(w) or isinstance(g, np.ndarray) == isinstance(w, np.ndarray)
        assert_close(g, w, rtol=1e-10)
    direction, change = directional_difference(case)
    assert_close(along(case, got, direction), change, rtol=1e-5)


def test_text_takes_its_namespace_from_the_arguments():
    def f(x, w):
        return np.sum(np.arcsin(np.tanh(x @ w)) ** 2)

    g = grad(f, backend="array-api")
    x, w = np.random.default_rng(0).standard_normal((2, 5, 5)) / 5
    g(x, w)
    source = "\n".join(line for line in g.source.splitlines() if not line.strip().startswith("#"))
    assert "xp = np if type(x) is type(w) is np.ndarray else namespace(x, w)" in source
    assert "xp.asin(" in source and "np." not in source.replace("np.ndarray", "").replace("else np\n", "")
    assert "def namespace(" in source


def test_python_scalars_stay_python_scalars():
    def f(a, b):
        return np.sin(a * b) + np.exp(b)

    g = grad(f, argnums=(0, 1), backend="array-api")
    got = g(0.3, 1.2)
    assert "math.cos(" in g.source and "xp." not in g.source and "namespace" not in g.source
    assert all(type(v) is float for v in got)
    assert_close(got, (1.2 * np.cos(0.36), 0.3 * np.cos(0.36) + np.exp(1.2)), rtol=1e-12)


def _backwards(x):
    return np.sum(np.sin(x[::-1]) * np.arange(1.0, 21.0).reshape(5, 4))


def _backwards_by_two(x):
    return np.sum(np.sin(x[::-2, 1]) * np.arange(1.0, 4.0))


def _backwards_both(x):
    return np.sum(np.sin(x[3:0:-1, ::-1]) * np.arange(1.0, 13.0).reshape(3, 4))


def _backwards_empty(x):
    return np.sum(np.sin(x[1:1:-1])) + np.sum(x * x)


@pytest.mark.parametrize("f", [_backwards, _backwards_by_two, _backwards_both, _backwards_empty])
def test_negative_steps_are_flips(f):
    x = np.random.default_rng(2).standard_normal((5, 4))
    g = grad(f, backend="array-api")
    got = g(x)
    assert ("xp.flip(" in g.source) == (f is not _backwards_empty)
    from tests.numeric import numeric_grad
    assert_close(got, grad(f)(x), rtol=1e-12)
    assert_close(got, numeric_grad(f, (x,), 0), rtol=1e-6)


def test_a_primitive_without_an_array_api_spelling_is_refused():
    def f(x):
        return np.sum(np.cbrt(x))

    with pytest.raises(CompileError) as caught:
        grad(f, backend="array-api")(np.ones(3))
    message = str(caught.value)
    assert "np.cbrt has no Array API spelling" in message
    assert "backend='numpy'" in message
    assert "return np.sum(np.cbrt(x))" in message  # (the source line, with a caret)


def test_a_scatter_is_a_one_hot_product():
    index = np.array([0, 2, 2, -1, 1])

    def f(x):
        return np.sum(x[index] ** 2)

    x = np.arange(1.0, 5.0)
    g = grad(f, backend="array-api")
    got = g(x)
    assert "bx = add_at(bx, index, bt1)" in g.source and "xp.matmul(hits.T" in g.source
    want = np.zeros(4)
    np.add.at(want, index, 2 * x[index])
    assert_close(got, want, rtol=1e-12)


def _helper(name):
    from array_api_compat import array_namespace, is_array_api_obj

    scope = {"np": np, "array_namespace": array_namespace, "is_array_api_obj": is_array_api_obj}
    exec(HELPERS["namespace"], scope)
    exec(HELPERS[name], scope)
    return scope[name]


@pytest.mark.parametrize("index", [
    (slice(None), slice(2, None)), -1, (slice(None, -1),), (1, slice(1, 3)), (None, slice(None), 0),
    (Ellipsis, 1), (2, 3), (slice(1, 1),), (slice(None, None, -1),), (slice(3, 0, -2), slice(None, None, 3)),
    (1, slice(None, None, 2)),
], ids=repr)
def test_put_writes_as_numpy_does(index):
    put = _helper("put")
    y = np.arange(20.0).reshape(4, 5)
    v = np.random.default_rng(1).standard_normal(np.shape(y[index]))
    want = y.copy()
    want[index] = v
    assert_close(put(y, index, v), want, rtol=0)
    want = y.copy()
    want[index] += v
    assert_close(put(y, index, v, True), want, rtol=0)
    assert_close(y, np.arange(20.0).reshape(4, 5), rtol=0)  # (never written)


def test_put_refuses_what_it_cannot_write():
    put = _helper("put")
    with pytest.raises(TypeError, match="not ndarray"):
        put(np.zeros(4), np.array([0, 1]), 1.0)


def test_element_writes_are_new_arrays():
    def f(x):
        y = np.zeros_like(x)
        y[1:] = x[:-1] * x[1:]
        y[0] += x[0]
        return np.sum(y * y)

    x = np.array([0.5, -1.0, 2.0, 3.0])
    g = grad(f, backend="array-api")
    got = g(x)
    code = "\n".join(line for line in g.source.splitlines() if not line.strip().startswith("#"))
    assert "put(" in code and "] =" not in code.split("def put")[0] and "] +=" not in code
    assert_close(got, grad(f)(x), rtol=1e-12)
    from tests.numeric import numeric_grad
    assert_close(got, numeric_grad(f, (x,), 0), rtol=1e-6)


def test_unknown_backend_arrays_are_refused_by_the_numpy_backend():
    da = pytest.importorskip("dask.array")

    def f(x):
        return np.sum(x * x)

    with pytest.raises(ArgumentError, match="backend='array-api'"):
        grad(f)(da.ones(3))


CLI_SOURCE = '''
import numpy as np


def loss(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
'''


def test_cli_module_runs_on_numpy_and_dask(tmp_path):
    da = pytest.importorskip("dask.array")
    (tmp_path / "model.py").write_text(CLI_SOURCE)
    out = tmp_path / "grad_model.py"
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, str(root / "cli.py"), "grad", f"{tmp_path / 'model.py'}:loss",
                    "--backend", "array-api", "-o", str(out)], check=True, capture_output=True, text=True, cwd=root)
    text = out.read_text()
    assert "from array_api_compat import array_namespace" in text
    assert "needs only NumPy and array-api-compat" in text
    assert "--backend array-api" in text
    scope: dict = {}
    exec(compile(text, str(out), "exec"), scope)
    rng = np.random.default_rng(0)
    w, X, y = rng.standard_normal(3), rng.standard_normal((40, 3)), (rng.random(40) < 0.5) * 1.0
    want = X.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y) / 40
    assert_close(scope["grad_loss"](w, X, y), want, rtol=1e-10)
    lazy = scope["grad_loss"](da.from_array(w), da.from_array(X, chunks=(10, 3)), da.from_array(y, chunks=10))
    assert_close(lazy.compute(scheduler="synchronous"), want, rtol=1e-10)


TORCH_CASES = [c for c in CASES if c.name.split()[0] in ("logistic", "mlp", "rnn", "gmm", "ode", "lse", "llsq")]


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.name for c in TORCH_CASES])
def test_torch_tensors(case):
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)  # (NumPy's default float; docs/backend-array-api.md)
    args = tuple(torch.asarray(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in case.args)
    got = as_tuple(case.derivative("array-api")(*args))
    want = as_tuple(case.derivative("numpy")(*case.args))
    for g, w in zip(got, want):
        assert isinstance(g, torch.Tensor)
        assert_close(g.numpy(), w, rtol=1e-9)


def _gpu() -> bool:
    cupy = pytest.importorskip("cupy")
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no driver, no device
        return False


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.name for c in TORCH_CASES])
def test_cupy_arrays(case):
    if not _gpu():
        pytest.skip("no GPU")
    import cupy

    args = tuple(cupy.asarray(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in case.args)
    got = as_tuple(case.derivative("array-api")(*args))
    want = as_tuple(case.derivative("numpy")(*case.args))
    for g, w in zip(got, want):
        assert isinstance(g, cupy.ndarray)
        assert_close(cupy.asnumpy(g), w, rtol=1e-9)


CORPUS = [c for c in CORPUS_CASES
          if c.fn.__name__ in ("dot_products", "matvec_tanh", "module_constants", "np_dot_squared", "two_layer_mlp",
                               "x_to_the_x", "pow_variable")]


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_corpus_functions_of_dot_outer_and_module_arrays(case):
    """np.dot and np.outer (rules write them) by helpers; a module's arrays by NumPy;
    arithmetic of boolean masks and floats with the masks made floats."""
    from tests.numeric import numeric_grad

    args, argnums = case.args(), case.float_argnums()
    got = grad(case.fn, argnums=argnums, backend="array-api")(*args)
    want = grad(case.fn, argnums=argnums)(*args)
    for g, w, k in zip(got, want, argnums):
        assert_close(g, w, rtol=1e-10)
        assert_close(g, numeric_grad(case.fn, args, k), rtol=1e-5)


def _hessian_target(x):
    return np.sum(np.tanh(x) ** 2 * x[::-1])


def test_hessian_on_numpy_and_dask():
    from ad_compiler import hessian

    x = np.linspace(-1.0, 1.0, 5)
    want = hessian(_hessian_target)(x)
    assert_close(hessian(_hessian_target, backend="array-api")(x), want, rtol=1e-12)
    da = pytest.importorskip("dask.array")
    lazy = hessian(_hessian_target, backend="array-api")(da.from_array(x, chunks=2))
    assert_close(lazy.compute(scheduler="synchronous"), want, rtol=1e-12)


REPEATED = np.array([0, 1, 1])


def _written_twice(x):
    y = np.zeros(2)
    y[REPEATED] = x
    return np.sum(y * y)


def test_a_write_through_a_repeating_index_is_refused():
    with pytest.raises(CompileError) as caught:
        grad(_written_twice, backend="array-api")(np.array([1.0, 2.0, 3.0]))
    assert "has no Array API spelling" in str(caught.value) and "backend='numpy'" in str(caught.value)


def _written_through_an_array(x):
    y = np.zeros(4)
    y[np.array([0, 2])] = x
    return np.sum(y * y)


def test_a_write_through_an_index_array_is_refused():
    with pytest.raises(CompileError, match="writing through an index array or a mask"):
        grad(_written_through_an_array, backend="array-api")(np.array([1.0, 2.0]))
