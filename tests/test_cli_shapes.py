"""Modules written with `adc grad --shapes` check their arguments: code specialized to some
shapes (a loop over 4 particles is `range(4)`, a mean over 16 rows `/ 16`) would give a
wrong number for others, so each function raises ValueError for an argument of another
shape or dtype kind than the module was written for. Generic modules check nothing.

Derivatives are compared with central differences (never with the compiler alone). The
CLI runs in this process (a subprocess only where the module must run without
ad_compiler), so that the file takes a few seconds.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from ad_compiler.cli.main import main
from numeric import numeric_grad

ROOT = Path(__file__).resolve().parent.parent

MODEL = '''\
import numpy as np


def energy(x):
    """Lennard-Jones energy (sigma = epsilon = 1) of the particles at the rows of x."""
    n = x.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            d = x[i] - x[j]
            s6 = 1.0 / np.sum(d * d) ** 3
            e = e + 4.0 * (s6 * s6 - s6)
    return e


def loss(w, X, y):
    r = X @ w - y
    return np.mean(r * r)


def gathered(x, idx):
    return np.sum(np.sin(x[idx]) * x[idx])


def scaled(x, n):
    acc = 0.0
    for i in range(n):
        acc = acc + np.sin(x) * x
    return acc


def quartic(x, w):
    return np.sum(w * x ** 4) + np.sum(np.sin(x))


def activated(x, act="tanh"):
    if act == "tanh":
        return np.sum(np.tanh(x))
    return np.sum(x)


def renamed(input, x):
    return np.sum(np.sin(input) * x)


def seed(x, y, c):
    z = (x * y + c) * c + x
    return z
'''


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shapes") / "model.py"
    path.write_text(MODEL)
    return path


@pytest.fixture(scope="module")
def source(model: Path) -> dict:
    """The model's functions as Python runs them: what central differences evaluate."""
    namespace: dict = {}
    exec(compile(MODEL, str(model), "exec"), namespace)
    return namespace


_modules = itertools.count()


def write(model: Path, function: str, *options: str) -> tuple[ModuleType, str]:
    """`adc grad model.py:function OPTIONS -o FILE`, the module imported, and its text."""
    out = model.parent / f"d{function}_{next(_modules)}.py"
    assert main(["grad", f"{model}:{function}", *options, "-o", str(out)]) == 0
    return load(out), out.read_text()


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def positions(n: int) -> np.ndarray:
    """n particles near the sites of a cubic lattice of spacing 1.2 (no two too close)."""
    sites = np.array(list(itertools.product(range(2), repeat=3)), dtype=float)[:n] * 1.2
    return sites + np.random.default_rng(n).uniform(-0.1, 0.1, size=sites.shape)


def refusal(call) -> str:
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


# -- the case that motivated the check ------------------------------------------------


def test_energy_of_6_particles_through_a_module_for_4_is_refused(model: Path, source: dict) -> None:
    module, text = write(model, "energy", "--shapes", "x=(4, 3)")
    assert "range(4)" in text  # the specialization the check guards
    x4, x6 = positions(4), positions(6)
    np.testing.assert_allclose(module.grad_energy(x4), numeric_grad(source["energy"], (x4,), 0), rtol=1e-6)

    message = refusal(lambda: module.grad_energy(x6))
    assert message == (
        "grad_energy: argument x has shape (6, 3), but this module was specialized for x of shape (4, 3); "
        'regenerate it with --shapes "x=(6, 3)" or without --shapes for a generic module'
    )
    assert "argument x has shape (6, 3)" in refusal(lambda: module.vjp_energy(x6, 1.0))

    # without the check, the same code answers, wrongly: 6 of the 15 pairs
    module.check_arguments = lambda function, /, **arguments: None
    unchecked = module.grad_energy(x6)
    expected = numeric_grad(source["energy"], (x6,), 0)
    assert not np.allclose(unchecked, expected, rtol=1e-3)


def test_the_advice_writes_a_module_that_takes_the_arguments(model: Path, source: dict) -> None:
    module, text = write(model, "energy", "--shapes", "x=(4, 3)")
    x6 = positions(6)
    advised = re.search(r"regenerate it with --shapes (\"[^\"]*\")", refusal(lambda: module.grad_energy(x6)))
    command = shlex.split(re.search(r"^# Regenerate with: (.*)$", text, re.M).group(1))
    at = command.index("--shapes")
    command[at + 1] = shlex.split(advised.group(1))[0]
    out = model.parent / "denergy_6.py"
    command[command.index("-o") + 1] = str(out)
    assert command[:2] == ["adc", "grad"] and main(command[1:]) == 0
    np.testing.assert_allclose(load(out).grad_energy(x6), numeric_grad(source["energy"], (x6,), 0), rtol=1e-6)


def test_generic_module_has_no_check_and_takes_any_shape(model: Path, source: dict) -> None:
    module, text = write(model, "energy")
    assert "check_arguments" not in text and "SPECIALIZED" not in text
    assert "checks its arguments" not in text and "Mode: reverse; generic" in text
    for n in (4, 6):
        x = positions(n)
        np.testing.assert_allclose(module.grad_energy(x), numeric_grad(source["energy"], (x,), 0), rtol=1e-6)


# -- every function a module can define checks -----------------------------------------


def test_value_and_gradient_of_a_mean_over_16_rows(model: Path, source: dict) -> None:
    module, text = write(model, "loss", "--value", "--shapes", "w=(4,), X=(16, 4), y=(16,)")
    assert "# Each function checks its arguments' shapes and dtypes first" in text
    rng = np.random.default_rng(1)
    w, X, y = rng.normal(size=4), rng.normal(size=(16, 4)), rng.normal(size=16)
    value, gradient = module.value_and_grad_loss(w, X, y)
    assert value == pytest.approx(source["loss"](w, X, y), rel=1e-12)
    np.testing.assert_allclose(gradient, numeric_grad(source["loss"], (w, X, y), 0), rtol=1e-6)

    message = refusal(lambda: module.value_and_grad_loss(w, X[:5], y[:5]))
    assert message.startswith("value_and_grad_loss: argument X has shape (5, 4), but this module was "
                              "specialized for X of shape (16, 4); ")
    assert 'regenerate it with --shapes "w=(4,), X=(5, 4), y=(5,)" or without --shapes' in message
    assert "argument y has shape (5,)" in refusal(lambda: module.value_and_grad_loss(w, X, y[:5]))


def test_vjp_checks_the_cotangent(model: Path, source: dict) -> None:
    module, text = write(model, "loss", "--shapes", "w=(4,), X=(16, 4), y=(16,)")
    assert "'g': ('float', (), 'the cotangent of the result')" in text
    rng = np.random.default_rng(2)
    w, X, y = rng.normal(size=4), rng.normal(size=(16, 4)), rng.normal(size=16)
    expected = numeric_grad(source["loss"], (w, X, y), 0)
    np.testing.assert_allclose(module.grad_loss(w, X, y), expected, rtol=1e-6)
    (pulled,) = module.vjp_loss(w, X, y, 0.5)
    np.testing.assert_allclose(pulled, 0.5 * expected, rtol=1e-6)
    assert refusal(lambda: module.vjp_loss(w, X, y, np.ones(2))) == (
        "vjp_loss: argument g (the cotangent of the result) has shape (2,), but this module was "
        "specialized for g of shape ()"
    )
    assert "argument g (the cotangent of the result) has dtype int" in refusal(lambda: module.vjp_loss(w, X, y, 2))
    assert refusal(lambda: module.grad_loss(w[:3], X, y)).startswith("grad_loss: argument w has shape (3,)")


def test_jvp_checks_the_tangents(model: Path, source: dict) -> None:
    module, text = write(model, "loss", "--mode", "forward", "--wrt", "w", "--shapes", "w=(4,), X=(16, 4), y=(16,)")
    rng = np.random.default_rng(3)
    w, X, y, dw = rng.normal(size=4), rng.normal(size=(16, 4)), rng.normal(size=16), rng.normal(size=4)
    expected = numeric_grad(source["loss"], (w, X, y), 0)
    np.testing.assert_allclose(module.grad_loss(w, X, y), expected, rtol=1e-6)
    value, tangent = module.jvp_loss(w, X, y, dw)
    assert value == pytest.approx(source["loss"](w, X, y), rel=1e-12)
    assert tangent == pytest.approx(expected @ dw, rel=1e-6)
    assert refusal(lambda: module.jvp_loss(w, X, y, dw[:3])) == (
        "jvp_loss: argument dw (the tangent of w) has shape (3,), but this module was specialized "
        "for dw of shape (4,)"
    )
    assert refusal(lambda: module.jvp_loss(w, X[:2], y[:2], dw)).startswith("jvp_loss: argument X has shape (2, 4)")


def test_hessian_and_third_derivative_check(model: Path) -> None:
    x, w = np.array([0.3, -0.7, 1.1]), np.array([0.5, 2.0, -1.0])

    def gradient(x: np.ndarray) -> np.ndarray:  # of quartic, by hand
        return 4 * w * x ** 3 + np.cos(x)

    def hessian(x: np.ndarray) -> np.ndarray:
        return np.diag(12 * w * x ** 2 - np.sin(x))

    def central(f, x: np.ndarray) -> np.ndarray:  # the Jacobian of f by central differences
        return np.stack([numeric_grad(lambda v: f(v)[index], (x,), 0)
                         for index in np.ndindex(f(x).shape)]).reshape(f(x).shape + x.shape)

    second, _ = write(model, "quartic", "--order", "2", "--shapes", "x=(3,), w=(3,)")
    np.testing.assert_allclose(second.hessian_quartic(x, w), central(gradient, x), rtol=1e-6, atol=1e-8)
    assert refusal(lambda: second.hessian_quartic(np.ones(4), np.ones(4))) == (
        "hessian_quartic: argument x has shape (4,), but this module was specialized for x of shape (3,); "
        'regenerate it with --shapes "x=(4,), w=(4,)" or without --shapes for a generic module'
    )
    third, _ = write(model, "quartic", "--order", "3", "--shapes", "x=(3,), w=(3,)")
    np.testing.assert_allclose(third.d3_quartic(x, w), central(hessian, x), rtol=1e-6, atol=1e-8)
    assert refusal(lambda: third.d3_quartic(x, w[:2])).startswith("d3_quartic: argument w has shape (2,)")


# -- what passes ------------------------------------------------------------------------


def test_scalars_floats_and_dtype_kinds(model: Path) -> None:
    module, _ = write(model, "scaled", "--shapes", "x=(), n=3")
    t = 0.7
    derivative = 3 * (np.sin(t) + t * np.cos(t))
    for x in (t, np.float64(t), np.float32(t), np.array(t)):  # each of shape ()
        assert module.grad_scaled(x, 3) == pytest.approx(derivative, rel=1e-6)
    for n in (np.int64(3), np.int32(3), np.uint8(3), np.array(3)):
        assert module.grad_scaled(t, n) == pytest.approx(derivative, rel=1e-12)
    assert refusal(lambda: module.grad_scaled(1, 3)) == (
        "grad_scaled: argument x has dtype int, but this module was specialized for x of dtype float; pass float(x)"
    )
    assert refusal(lambda: module.grad_scaled(t, True)) == (
        "grad_scaled: argument n has dtype bool, but this module was specialized for n of dtype int; pass int(n)"
    )
    assert "argument n has dtype float" in refusal(lambda: module.grad_scaled(t, 3.0))
    assert "argument x is a list" in refusal(lambda: module.grad_scaled([t], 3))
    assert "argument x has shape (2,), but this module was specialized for x of shape ()" in refusal(
        lambda: module.grad_scaled(np.array([t, t]), 3))


def test_arrays_and_dtype_kinds(model: Path, source: dict) -> None:
    module, text = write(model, "gathered", "--shapes", "x=(5,), idx=[0, 2, 2]")
    assert "'idx': ('int', (3,))" in text
    x = np.array([0.1, 0.5, -0.3, 0.8, 1.2])
    for idx in (np.array([4, 1, 1]), np.array([0, 3, 4], dtype=np.uint16)):  # other values: fine
        expected = numeric_grad(source["gathered"], (x, idx), 0)
        np.testing.assert_allclose(module.grad_gathered(x, idx), expected, rtol=1e-6)
    np.testing.assert_allclose(module.grad_gathered(x.astype(np.float32), np.array([4, 1, 1])),
                               numeric_grad(source["gathered"], (x, np.array([4, 1, 1])), 0), rtol=1e-5)
    assert refusal(lambda: module.grad_gathered(np.arange(5), np.array([0, 2, 2]))) == (
        "grad_gathered: argument x has dtype int, but this module was specialized for x of dtype float; "
        "pass x.astype(float)"
    )
    assert "argument idx has dtype bool" in refusal(lambda: module.grad_gathered(x, np.array([True, False, True])))
    assert refusal(lambda: module.grad_gathered(list(x), np.array([0, 2, 2]))) == (
        "grad_gathered: argument x is a list, but this module was specialized for x, an ndarray of shape (5,); "
        "pass numpy.asarray(x, dtype=float)"
    )
    # an int array is advised by value: the option is a literal that --shapes reads
    assert 'with --shapes "x=(6,), idx=[0, 5, 5, 1]"' in refusal(
        lambda: module.grad_gathered(np.ones(6), np.array([0, 5, 5, 1])))
    assert "regenerate it for these arguments or without --shapes" in refusal(
        lambda: module.grad_gathered(np.ones(6), np.arange(100) % 6))


def test_unspecialized_and_renamed_parameters_in_the_advice(model: Path, source: dict) -> None:
    module, text = write(model, "activated", "--shapes", "x=(3,), act='relu'")
    assert "'act': None" in text
    x = np.array([0.2, -0.4, 0.9])
    for act in ("tanh", "relu"):  # not specialized to act: any value
        np.testing.assert_allclose(module.grad_activated(x, act), numeric_grad(source["activated"], (x, act), 0),
                                   rtol=1e-6)
    assert "with --shapes \"x=(4,), act='tanh'\" or" in refusal(lambda: module.grad_activated(np.ones(4)))
    assert """with --shapes 'x=(4,), act="it'\\''s"' or""" in refusal(
        lambda: module.grad_activated(np.ones(4), "it's"))

    module, text = write(model, "renamed", "--shapes", "input=(2,), x=()")
    assert "def grad_renamed(input_1, x):" in text  # a builtin's name is renamed in the code
    assert "check_arguments('grad_renamed', input=input_1, x=x)" in text
    assert "argument input has shape (3,)" in refusal(lambda: module.grad_renamed(np.ones(3), 1.0))
    assert 'with --shapes "input=(3,), x=()"' in refusal(lambda: module.grad_renamed(np.ones(3), 1.0))


# -- the module as a whole ---------------------------------------------------------------


def test_the_check_is_defined_once_and_the_text_is_the_same_every_time(model: Path) -> None:
    _, first = write(model, "loss", "--shapes", "w=(4,), X=(16, 4), y=(16,)")
    _, second = write(model, "loss", "--shapes", "w=(4,), X=(16, 4), y=(16,)")
    strip = re.compile(r"^# Regenerate with: .*$", re.M)  # names the output file
    assert strip.sub("", first) == strip.sub("", second)
    assert first.count("def check_arguments(") == 1 and first.count("SPECIALIZED = {") == 1
    assert first.count("    check_arguments(") == 2  # grad_loss and vjp_loss, first thing
    for function in ("grad_loss", "vjp_loss"):
        body = first.split(f"def {function}(")[1].splitlines()
        assert body[1].startswith(f"    check_arguments('{function}', w=w, X=X, y=y")


def test_checked_module_runs_without_ad_compiler(model: Path) -> None:
    """The real command, and the module in a fresh interpreter that cannot import
    ad_compiler: a module of scalar code imports nothing, and its check needs nothing."""
    out = model.parent / "dseed_alone.py"
    result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "grad", f"{model}:seed", "--argnums", "0,1,2",
                             "--shapes", "x=(), y=(), c=()", "-o", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "import numpy" not in out.read_text()
    script = textwrap.dedent(f"""
        import importlib.abc, json, sys
        class Blocked(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.split('.')[0] in ('ad_compiler', 'astor', 'sympy', 'numpy'):
                    raise ImportError('blocked: ' + name)
        sys.meta_path.insert(0, Blocked())
        sys.path.insert(0, '.')
        import {out.stem} as d
        try:
            d.grad_seed(1.5, 2, 0.5)
        except ValueError as err:
            print(json.dumps([d.grad_seed(1.5, 2.0, 0.5), str(err)]))
    """)
    run = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, cwd=out.parent)
    assert run.returncode == 0, run.stderr
    gradient, message = json.loads(run.stdout)
    x, y, c = 1.5, 2.0, 0.5  # z = (x y + c) c + x
    np.testing.assert_allclose(gradient, [1 + y * c, x * c, x * y + 2 * c], rtol=1e-12)
    assert message == "grad_seed: argument y has dtype int, but this module was specialized for y of dtype float; pass float(y)"


def test_the_messages_in_the_docs_are_real(model: Path) -> None:
    shown = re.search(r"### Argument checks.*?```text\n(.*?)```", (ROOT / "docs" / "cli.md").read_text(), re.S)
    module, _ = write(model, "energy", "--shapes", "x=(4, 3)")
    x4 = positions(4)
    raised = [refusal(call) for call in (
        lambda: module.grad_energy(positions(6)),
        lambda: module.grad_energy(x4.astype(int)),
        lambda: module.vjp_energy(x4, np.ones(2)),
    )]
    assert shown.group(1).splitlines() == [f"ValueError: {m}" for m in raised]
