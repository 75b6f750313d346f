"""The numba backend: the same derivative compiled by numba, checked against central
differences and against the NumPy backend (to 1e-12); what numba cannot take runs the
NumPy backend's code after a one-line warning."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from ad_compiler import BackendWarning, grad, hessian, jacfwd
from ad_compiler.errors import ArgumentError
from tests.corpus import CASES as CORPUS
from tests.numeric import assert_grad_close
from tests.test_modes import horner  # (Horner's rule, the benchmark row)

pytest.importorskip("numba")

ROOT = Path(__file__).resolve().parent.parent

GLOBAL_SCALE = np.array([1.0, 2.0, 3.0])


def rnn_loss(W, U, h0, xs):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def scalar_f(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def mlp(w1, b1, w2, x, y):
    h = np.tanh(x @ w1 + b1)
    return np.mean((h @ w2 - y) ** 2)


def two_tapes(x, ys):
    total = 0.0
    for k in range(4):
        x = np.sin(x) * ys[k] + x
        total = total + np.sum(x * x)
    return total


def strided(x):
    out = 0.0
    for t in range(2, 11, 3):
        x = np.cos(x) * t
        out = out + np.sum(x)
    return out


def until_small(x):
    while np.sum(x * x) > 0.1:
        x = x * 0.5
    return np.sum(np.sin(x))


def reads_global(x):
    return np.sum(np.sin(x) * GLOBAL_SCALE)


RS = np.random.RandomState(0)


def draws(x):
    noise = RS.uniform(-1.0, 1.0, 3)
    return np.sum(np.sin(x) * noise)


def contracts(a, b):
    return np.einsum("ij,jk->", np.sin(a), b)


def sines(x):
    return np.sin(x)


def quartic(x):
    return np.sum(x ** 4) + x[0] * x[1]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _rnn_args(T=12, H=5, d=3):
    r = _rng()
    return (0.4 * r.standard_normal((H, H)), r.standard_normal((H, d)), r.standard_normal(H),
            r.standard_normal((T, d)))


CASES = [
    (rnn_loss, _rnn_args(), (0, 1, 2)),
    (horner, (0.7, _rng(1).standard_normal(20)), (0, 1)),
    (scalar_f, (1.3, 3.0, 2.0), (0, 1, 2)),
    (mlp, (_rng(2).standard_normal((4, 6)), np.zeros(6), _rng(3).standard_normal((6, 2)),
           _rng(4).standard_normal((8, 4)), _rng(5).standard_normal((8, 2))), (0, 1, 2)),
    (two_tapes, (_rng(6).standard_normal(3), _rng(7).standard_normal((4, 3))), (0, 1)),
    (strided, (_rng(8).standard_normal(4),), (0,)),
]


@pytest.mark.parametrize("fn, args, argnums", CASES, ids=[c[0].__name__ for c in CASES])
def test_numba_gradient_matches_differences_and_numpy(fn, args, argnums):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendWarning)  # numba takes every one of these
        got = grad(fn, argnums=argnums, backend="numba")(*args)
    expected = grad(fn, argnums=argnums)(*args)
    for k, g, e in zip(argnums, got, expected):
        assert_grad_close(fn, args, k, g)
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_rnn_tapes_are_preallocated_arrays():
    g = grad(rnn_loss, argnums=(0, 1), backend="numba")
    g(*_rnn_args(T=50, H=16, d=8))
    text = g.source
    assert ".append(" not in text and "np.stack" not in text and "[]" not in text
    assert "hs = np.empty((51, 16))" in text
    assert "for t in range(49, -1, -1):" in text and "reversed" not in text
    assert g._version().function.jitted.signatures  # compiled by numba


def test_horner_reads_the_array_itself():
    g = grad(horner, backend="numba")
    g(0.5, np.arange(5.0))
    assert "tolist" not in g.source and "for c in coeffs:" in g.source


@pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaPerformanceWarning")  # (numba's, on a Fortran array)
def test_other_layouts_and_dtypes_compile_at_their_first_call():
    args = _rnn_args()
    g = grad(rnn_loss, argnums=0, backend="numba")
    expected = g(*args)
    W = np.asfortranarray(args[0])
    np.testing.assert_allclose(g(W, *args[1:]), expected, rtol=1e-12)
    xs = np.repeat(args[3], 2, axis=0)[::2]  # (a view: every other row)
    np.testing.assert_allclose(g(args[0], args[1], args[2], xs), expected, rtol=1e-12)


@pytest.mark.parametrize("fn, args, reason", [
    (until_small, (np.array([3.0, -2.0]),), "a list (line"),
    (draws, (np.array([0.1, 0.2, 0.3]),), "it reads 'RS', which is not an array or a number"),
    (contracts, (np.ones((2, 3)), np.ones((3, 2))), "numba cannot compile it"),
], ids=["unknown-length-tape", "random-draw", "einsum"])
def test_what_numba_cannot_take_runs_numpy_after_one_line(fn, args, reason):
    with pytest.warns(BackendWarning) as caught:
        got = grad(fn, backend="numba")(*args)
    message = str(caught[0].message)
    assert reason in message and "\n" not in message and "the NumPy backend's code is used instead" in message
    if fn is not draws:  # (each call draws anew)
        assert_grad_close(fn, args, 0, got)
        np.testing.assert_allclose(got, grad(fn)(*args), rtol=1e-12)


def test_globals_are_read_at_each_call():
    global GLOBAL_SCALE
    x = np.array([0.1, 0.2, 0.3])
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendWarning)
        g = grad(reads_global, backend="numba")
        np.testing.assert_allclose(g(x), np.cos(x) * GLOBAL_SCALE, rtol=1e-12)
    saved, GLOBAL_SCALE = GLOBAL_SCALE, np.array([-1.0, 0.5, 4.0])
    try:
        np.testing.assert_allclose(g(x), np.cos(x) * GLOBAL_SCALE, rtol=1e-12)  # (not the compiled value)
    finally:
        GLOBAL_SCALE = saved


def test_hessian_and_jacfwd_on_numba():
    x = np.array([0.5, -1.0, 2.0])
    H = hessian(quartic, backend="numba")(x)
    expected = np.diag(12 * x ** 2)
    expected[0, 1] = expected[1, 0] = 1.0
    np.testing.assert_allclose(H, expected, rtol=1e-12)
    J = jacfwd(sines, backend="numba")(x)
    np.testing.assert_allclose(J, np.diag(np.cos(x)), rtol=1e-12)


def test_unknown_backend_is_refused_with_the_names():
    with pytest.raises(ArgumentError, match="backend must be one of 'numpy', 'numba', 'array-api'"):
        grad(horner, backend="jax")


def test_adc_grad_writes_a_numba_module_that_runs(tmp_path):
    source = tmp_path / "model.py"
    source.write_text(textwrap.dedent('''
        import numpy as np

        def rnn_loss(W, xs):
            h = np.zeros(W.shape[0])
            for t in range(xs.shape[0]):
                h = np.tanh(W @ h + xs[t])
            return np.sum(h * h)
    '''))
    out = tmp_path / "d_model.py"
    run = subprocess.run([sys.executable, str(ROOT / "cli.py"), "grad", f"{source}:rnn_loss",
                          "--shapes", "W=(4, 4), xs=(6, 4)", "--backend", "numba", "-o", str(out)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    text = out.read_text()
    assert "from numba import njit" in text and "@njit(cache=True)\ndef grad_rnn_loss_compiled(W, xs):" in text
    assert "def grad_rnn_loss(W, xs):\n    check_arguments(" in text  # (the check runs in Python)
    assert "It needs only NumPy and numba" in text and "--backend numba" in text
    check = textwrap.dedent(f'''
        import numpy as np, sys
        sys.path.insert(0, {str(tmp_path)!r})
        from d_model import grad_rnn_loss
        r = np.random.default_rng(0)
        W, xs = 0.3 * r.standard_normal((4, 4)), r.standard_normal((6, 4))
        print(repr(grad_rnn_loss(W, xs).tolist()))
    ''')
    ran = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    r = np.random.default_rng(0)
    W, xs = 0.3 * r.standard_normal((4, 4)), r.standard_normal((6, 4))

    def loss(W):
        h = np.zeros(4)
        for t in range(6):
            h = np.tanh(W @ h + xs[t])
        return np.sum(h * h)
    assert_grad_close(loss, (W,), 0, np.array(eval(ran.stdout)))


def test_adc_grad_numba_needs_shapes_and_notes_a_fallback(tmp_path):
    source = tmp_path / "model.py"
    source.write_text("import numpy as np\n\ndef f(x):\n    return np.einsum('ij,ij->', np.sin(x), x)\n")
    cli = [sys.executable, str(ROOT / "cli.py"), "grad", f"{source}:f", "--backend", "numba"]
    run = subprocess.run(cli, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and run.stderr == (
        "error: --backend numba compiles the module for the arguments' types when it is written: add "
        "--shapes \"x=(...)\"\n")
    run = subprocess.run(cli + ["--shapes", "x=(2, 3)"], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0
    notes = run.stderr.splitlines()
    assert notes[0].startswith("note: grad_f: numba cannot compile it (") and len(notes) == 2  # (grad_f, vjp_f)
    assert "njit" not in run.stdout and "It needs only NumPy;" in run.stdout


def steps(x, n):
    for _ in range(n):
        x = x + 0.1 * np.sin(x)
    return np.sum(x * x)


def backwards_steps(x, n):
    total = 0.0
    for k in range(n - 1, 0, -1):
        x = np.cos(x) * k
        total = total + np.sum(x)
    return total


@pytest.mark.parametrize("fn", [steps, backwards_steps])
@pytest.mark.parametrize("n", [0, 1, 7])
def test_run_time_trip_counts_size_the_tape_when_it_is_made(fn, n):
    x = np.array([0.3, -0.8, 1.1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendWarning)
        g = grad(fn, backend="numba")
        got = g(x, n)
    assert "np.empty((max(" in g.source and ".append(" not in g.source
    np.testing.assert_allclose(got, grad(fn)(x, n), rtol=1e-12, atol=1e-14)
    assert_grad_close(fn, (x, n), 0, got)


REDUCING = list({case.fn.__name__: case for case in CORPUS if case.fn.__name__ in (
    "row_broadcast", "outer_broadcast", "normalize_rows_keepdims", "center_columns_keepdims", "mean_axis",
    "mean_last_axis")}.values())
"""One argument set of each (numba compiles each for seconds)."""


@pytest.mark.parametrize("case", REDUCING, ids=[case.id for case in REDUCING])
def test_sums_and_means_over_axes_are_spelled_for_numba(case):
    """numba takes `np.sum` and `np.mean` over one axis and without keepdims alone: the
    backend spells the others as sums one axis at a time."""
    args, argnums = case.args(), case.float_argnums()
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendWarning)
        got = grad(case.fn, argnums=argnums, backend="numba")(*args)
    for k, g, e in zip(argnums, got, grad(case.fn, argnums=argnums)(*args)):
        assert_grad_close(case.fn, args, k, g)
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
