"""The command line as a user runs it: a subprocess, its output, its files and its exit
status (its one-line errors, help texts and the output of several runs of one command,
by `main` in this process: `adc_here`). Derivatives written by `adc grad` run in a fresh
interpreter that cannot import ad_compiler, and are compared with central differences."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from ad_compiler.cli.main import main
from numeric import numeric_grad

ROOT = Path(__file__).resolve().parent.parent
LOGISTIC = ROOT / "examples" / "logistic_regression.py"

MODEL = '''\
import numpy as np

W = np.array([[1.0, 2.0, -0.5], [0.25, -1.5, 3.0], [0.5, 0.0, -1.0]])


def tanh_layer(x):
    return np.sum(np.tanh(W @ x) * x)


def seed(x, y, c):
    z = (x * y + c) * c + x
    return z


def repeated(x, n):
    acc = 0.0
    for i in range(n):
        acc = acc + np.sin(x) * x
    return acc


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def vector(x):
    return x * 2.0
'''

BLOCK_AD_COMPILER = """\
import importlib.abc, json, sys
import numpy as np

class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('ad_compiler', 'astor', 'sympy'):
            raise ImportError('blocked: ' + name)

sys.meta_path.insert(0, Blocked())
sys.path.insert(0, '.')
"""


def adc(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=cwd, env=env
    )


@pytest.fixture
def adc_here(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> Callable[..., subprocess.CompletedProcess]:
    """`adc` run by its `main` in this process, from the repository's root, with what
    `adc()` gives: for the one-line errors of options and targets, dozens of them, the
    help texts, and the tests that compare what several runs of one command print, which
    need no interpreter of their own (an interpreter's start and the compiler's import
    were most of their time); the rest still run in one, as a user runs them, exit
    status and stderr included."""
    def run(*args: str) -> subprocess.CompletedProcess:
        monkeypatch.chdir(ROOT)
        try:
            status = main(list(args))
        except SystemExit as exit:  # (argparse's usage errors)
            status = exit.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["adc", *args], status, out, err)
    return run


def run_standalone(module: Path, body: str) -> object:
    """Run `body` in a fresh interpreter, in the module's directory, where ad_compiler,
    astor and SymPy cannot be imported; it prints a JSON result."""
    script = BLOCK_AD_COMPILER + textwrap.dedent(body)
    result = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, cwd=module.parent
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return path


def imported_modules(source: str) -> set[str]:
    tree = ast.parse(source)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module)
    return names


# -- help -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["grad"], ["show"], ["ir"], ["check"], ["graph"]])
def test_every_command_has_help_with_an_example_that_works(command: list[str], tmp_path: Path, adc_here) -> None:
    result = adc_here(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "example:\n  adc " in result.stdout
    example = result.stdout.split("example:\n  adc ")[1].splitlines()[0]
    if " graph " in f" {example}" and shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    run = adc(*shlex.split(example), cwd=tmp_path)
    assert run.returncode == 0, f"adc {example}\n{run.stderr}"


# -- adc grad -------------------------------------------------------------------------


def test_grad_module_runs_without_ad_compiler_and_matches_central_differences(tmp_path: Path) -> None:
    out = tmp_path / "dloss.py"
    result = adc("grad", "examples/logistic_regression.py:loss", "--wrt", "beta", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    source = out.read_text()
    assert imported_modules(source) == {"numpy"}
    rng = np.random.default_rng(3)
    beta, X = rng.normal(size=4), rng.normal(size=(7, 4))
    y = (rng.random(7) < 0.5).astype(float)
    g = 0.7
    values = run_standalone(out, f"""
        import dloss
        beta, X, y = np.array({beta.tolist()}), np.array({X.tolist()}), np.array({y.tolist()})
        assert not any(m.startswith('ad_compiler') for m in sys.modules)
        print(json.dumps({{"grad": dloss.grad_loss(beta, X, y).tolist(),
                          "vjp": [b.tolist() for b in dloss.vjp_loss(beta, X, y, {g})]}}))
    """)
    namespace: dict = {}
    exec(compile(LOGISTIC.read_text(), str(LOGISTIC), "exec"), namespace)
    expected = numeric_grad(namespace["loss"], (beta, X, y), 0)
    np.testing.assert_allclose(values["grad"], expected, rtol=1e-7, atol=1e-9)
    (vjp,) = values["vjp"]
    np.testing.assert_allclose(vjp, g * expected, rtol=1e-7, atol=1e-9)


def test_grad_module_header_says_where_it_came_from(tmp_path: Path) -> None:
    out = tmp_path / "dloss.py"
    assert adc("grad", "examples/logistic_regression.py:loss", "--wrt", "beta", "-o", str(out)).returncode == 0
    header = [line for line in out.read_text().splitlines() if line.startswith("#")][:8]
    text = "\n".join(header)
    from ad_compiler import __version__

    assert f"Derivatives of loss (examples/logistic_regression.py), written by ad_compiler {__version__}" in text
    assert "grad_loss(beta, X, y)" in text and "vjp_loss(beta, X, y, g)" in text
    assert hashlib.sha256(LOGISTIC.read_bytes()).hexdigest() in text
    assert f"Regenerate with: adc grad examples/logistic_regression.py:loss --wrt beta -o {out.as_posix()}" in text
    assert "Mode: reverse; generic" in text


def test_regenerating_gives_byte_identical_modules(tmp_path: Path) -> None:
    texts = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = adc("grad", "examples/rnn.py:rnn_loss", "--argnums", "0,1", env=env)
        assert result.returncode == 0, result.stderr
        texts.append(result.stdout)
    assert texts[0] == texts[1]
    out = tmp_path / "d.py"
    for force in ([], ["--force"]):
        assert adc("grad", "examples/logistic_regression.py:loss", "-o", str(out), *force).returncode == 0
        texts.append(out.read_bytes())
    assert texts[2] == texts[3]


def test_grad_prints_the_module_without_output_file(model: Path) -> None:
    result = adc("grad", f"{model}:seed", "--argnums", "0,1,2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Derivatives of seed (")
    assert "def grad_seed(x, y, c):" in result.stdout and "def vjp_seed(x, y, c, bz):" in result.stdout
    compile(result.stdout, "module", "exec")


def test_grad_refuses_to_overwrite_without_force(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.py"
    out.write_text("precious\n")
    refused = adc("grad", f"{model}:seed", "-o", str(out))
    assert refused.returncode == 2
    assert refused.stderr == f"error: {out} exists; pass --force to overwrite it\n"
    assert out.read_text() == "precious\n"
    forced = adc("grad", f"{model}:seed", "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "def grad_seed(x, y, c):" in out.read_text()
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__")  # (Python's own cache)
    assert left == ["model.py", "out.py"]  # no temporary left


def test_module_embeds_module_level_arrays_exactly(model: Path) -> None:
    out = model.parent / "dlayer.py"
    assert adc("grad", f"{model}:tanh_layer", "-o", str(out)).returncode == 0
    x = np.array([0.3, -1.2, 0.8])
    values = run_standalone(out, f"""
        import dlayer
        print(json.dumps(dlayer.grad_tanh_layer(np.array({x.tolist()})).tolist()))
    """)
    W = np.array([[1.0, 2.0, -0.5], [0.25, -1.5, 3.0], [0.5, 0.0, -1.0]])
    expected = numeric_grad(lambda v: np.sum(np.tanh(W @ v) * v), (x,), 0)
    np.testing.assert_allclose(values, expected, rtol=1e-7)


def test_forward_mode_module_has_gradient_and_jvp(model: Path) -> None:
    out = model.parent / "dseed.py"
    result = adc("grad", f"{model}:seed", "--argnums", "0,1,2", "--mode", "forward", "-o", str(out))
    assert result.returncode == 0, result.stderr
    x, y, c = 1.5, -0.5, 2.0
    values = run_standalone(out, f"""
        import dseed
        print(json.dumps([list(dseed.grad_seed({x}, {y}, {c})),
                          list(dseed.jvp_seed({x}, {y}, {c}, 1.0, 2.0, 3.0))]))
    """)
    gradient, (value, tangent) = values
    np.testing.assert_allclose(gradient, [1 + y * c, x * c, x * y + 2 * c], rtol=1e-12)
    assert value == pytest.approx((x * y + c) * c + x)
    assert tangent == pytest.approx(np.dot(gradient, [1.0, 2.0, 3.0]))


def test_value_and_specialized_gradient(model: Path) -> None:
    result = adc("grad", f"{model}:seed", "--argnums", "0,1,2", "--value", "--shapes", "x=(), y=(), c=()")
    assert result.returncode == 0, result.stderr
    assert "def value_and_grad_seed(x, y, c):" in result.stdout
    assert "unbroadcast" not in result.stdout  # specialized to floats: no helper
    scope: dict = {}
    exec(result.stdout, scope)
    value, grads = scope["value_and_grad_seed"](1.5, -0.5, 2.0)
    assert value == pytest.approx(4.0)
    np.testing.assert_allclose(grads, [0.0, 3.0, 3.25])


def test_second_and_third_order_modules(model: Path) -> None:
    out = model.parent / "d2.py"
    result = adc("grad", f"{model}:rosenbrock", "--order", "2", "--shapes", "x=(4,)", "-o", str(out))
    assert result.returncode == 0, result.stderr
    x = np.array([0.5, -0.3, 1.2, 0.9])
    hessian = np.array(run_standalone(out, f"""
        import d2
        print(json.dumps(d2.hessian_rosenbrock(np.array({x.tolist()})).tolist()))
    """))
    expected = np.zeros((4, 4))  # the analytic Hessian of the Rosenbrock function
    for i in range(3):
        expected[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        expected[i, i + 1] = expected[i + 1, i] = -400 * x[i]
        expected[i + 1, i + 1] += 200
    np.testing.assert_allclose(hessian, expected, rtol=1e-12)

    third = adc("grad", f"{model}:repeated", "--order", "3", "--shapes", "x=(), n=3", "--mode", "forward")
    assert third.returncode == 0, third.stderr
    scope: dict = {}
    exec(third.stdout, scope)
    t = 0.7  # d3/dx3 of n * x * sin(x) is -n (3 sin x + x cos x)
    assert scope["d3_repeated"](t, 3) == pytest.approx(-3 * (3 * np.sin(t) + t * np.cos(t)), rel=1e-12)


def test_higher_order_needs_shapes(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.py"
    result = adc("grad", f"{model}:rosenbrock", "--order", "2", "-o", str(out))
    assert result.returncode == 2
    assert result.stderr == 'error: --order 2 needs the shapes of the arguments: add --shapes "x=(...)"\n'
    assert not out.exists()


# -- adc show -------------------------------------------------------------------------


def test_show_prints_the_generic_gradient() -> None:
    result = adc("show", "examples/quickstart.py:f", "--argnums", "0,1,2")
    assert result.returncode == 0, result.stderr
    assert "def grad_f(a, b, c):" in result.stdout
    assert "return ba, bb, bc" in result.stdout
    compile(result.stdout, "emitted", "exec")


def test_show_specialized_and_colored(model: Path) -> None:
    plain = adc("show", f"{model}:seed", "--argnums", "0,1,2", "--shapes", "x=(), y=(), c=()")
    assert plain.returncode == 0, plain.stderr
    assert "\x1b[" not in plain.stdout  # not a terminal: no colors
    scope: dict = {}
    exec(plain.stdout, {"np": np}, scope)
    np.testing.assert_allclose(scope["grad_seed"](1.5, -0.5, 2.0), [0.0, 3.0, 3.25])
    pytest.importorskip("pygments")
    colored = adc("show", f"{model}:seed", "--color", "always")
    assert "\x1b[" in colored.stdout and "grad_seed" in colored.stdout


# -- adc ir ---------------------------------------------------------------------------


def test_ir_prints_each_stage(model: Path, adc_here) -> None:
    primal = adc_here("ir", f"{model}:seed")
    assert primal.returncode == 0, primal.stderr
    assert primal.stdout.splitlines()[0] == "def seed(%x, %y, %c):"
    assert "%z = add(%2, %x)" in primal.stdout
    optimized = adc_here("ir", f"{model}:tanh_layer", "--stage", "optimized", "--shapes", "x=(3,)")
    assert optimized.returncode == 0, optimized.stderr
    assert "%1: float[3] = np.tanh(%0)" in optimized.stdout
    derivative = adc_here("ir", f"{model}:seed", "--stage", "derivative", "--argnums", "0,1", "--shapes", "x=(), y=(), c=()")
    assert derivative.returncode == 0, derivative.stderr
    assert derivative.stdout.startswith("def grad_seed(%x: float, %y: float, %c: float):")
    assert "tuple(%bx, %by)" in derivative.stdout


# -- adc check ------------------------------------------------------------------------


def test_check_at_values_agrees(model: Path) -> None:
    result = adc("check", f"{model}:seed", "--argnums", "0,1,2", "--at", "x=1.5, y=2, c=0.5", "--timing", "0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("check of seed: all methods agree")
    for method in ("emitted (reverse)", "emitted (forward)", "numeric", "complex step", "symbolic"):
        assert method in result.stdout


def test_check_random_values(model: Path) -> None:
    result = adc("check", f"{model}:tanh_layer", "--random", "x=(3,)", "--mode", "reverse", "--seed", "4")
    assert result.returncode == 0, result.stderr
    assert "all methods agree" in result.stdout and "time per evaluation" in result.stdout
    assert "emitted (forward)" not in result.stdout


def test_check_exits_1_when_a_method_disagrees(tmp_path: Path) -> None:
    source = tmp_path / "wrong.py"
    source.write_text(textwrap.dedent("""\
        import numpy as np
        from ad_compiler import defvjp

        @defvjp(np.sinh)
        def _(g, ans, x):
            return g * ans  # wrong: the derivative is cosh

        def f(x):
            return np.sinh(x) * x
    """))
    result = adc("check", f"{source}:f", "--at", "x=0.5", "--mode", "reverse", "--timing", "0")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("check of f: A METHOD DISAGREES")
    numeric_row = next(line for line in result.stdout.splitlines() if "numeric" in line)
    assert numeric_row.endswith("DISAGREES")


MLP = """\
import numpy as np


def mlp(W, X, y):
    h = np.tanh(X @ W * 0.05)
    return np.mean((np.sum(h, axis=1) - y) ** 2)
"""


def test_check_of_a_64_by_8_mlp_skips_sympy_at_its_limit(tmp_path: Path) -> None:
    """SymPy's derivative of this MLP has millions of operations (minutes without a
    word); the report says it gave up and how to raise the limit, in lines of at most
    100 characters, and the other methods agree."""
    source = tmp_path / "mlp.py"
    source.write_text(MLP)
    result = adc("check", f"{source}:mlp", "--random", "W=(64, 8), X=(32, 64), y=(32,)")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "check of mlp: all methods agree"
    assert max(len(line) for line in lines) <= 100, result.stdout
    for method in ("emitted (forward)", "numeric", "complex step"):
        row = next(line for line in lines if line.startswith(f"W         {method} "))
        assert "float[64,8]" in row and "  ok  " in row
    reason = " ".join(" ".join(line.split()) for line in lines if line.startswith(("W         symbolic", " " * 29)))
    assert reason == ("W symbolic skipped: the function's SymPy expression passed 20,000 operations "
                      "(limit --symbolic-limit 20000; raise it, or --symbolic-limit none for no limit)")
    assert "  SymPy derivative       skipped (see the symbolic row)" in lines


def test_check_without_sympy_or_with_other_limits(model: Path, adc_here) -> None:
    at = ["--argnums", "0,1,2", "--at", "x=1.5, y=2, c=0.5", "--timing", "0"]
    off = adc_here("check", f"{model}:seed", *at, "--no-symbolic")
    assert off.returncode == 0, off.stderr
    assert "x         symbolic           skipped: --no-symbolic" in off.stdout.splitlines()
    low = adc_here("check", f"{model}:seed", *at, "--symbolic-limit", "2")
    assert low.returncode == 0, low.stderr
    assert ("skipped: the function's SymPy expression passed 2 operations (limit --symbolic-limit 2; "
            "raise it, or --symbolic-limit none for no limit)") in " ".join(low.stdout.split())
    late = adc_here("check", f"{model}:seed", *at, "--symbolic-seconds", "0")
    assert ("skipped: SymPy took more than 0 s, stopped converting the function (limit --symbolic-seconds 0; "
            "raise it, or --symbolic-seconds none for no limit)") in " ".join(late.stdout.split())
    lifted = adc_here("check", f"{model}:seed", *at, "--symbolic-limit", "none", "--symbolic-seconds", "none")
    assert lifted.returncode == 0, lifted.stderr
    row = next(line for line in lifted.stdout.splitlines() if line.startswith("x         symbolic"))
    assert row.split()[2] == "2." and row.endswith("ok")  # d/dx ((x y + c) c + x) = y c + 1


@pytest.mark.parametrize(
    "option, message",
    [
        (["--at", "x=[1.5, 0.5, 2.0],"], None),
        (["--at", "x 1.5"], "error: --at 'x 1.5' is not a list of name=value\n"),
        (["--at", "x=np.ones(3)"], "error: --at: the value of x is not a literal: np.ones(3)\n"),
        (["--at", "z=1.0"], "error: --at: tanh_layer has no parameter 'z' (its parameters: x)\n"),
        (["--at", "x=[[1.0], [2.0, 3.0]]"], "error: --at: x is not a rectangular array: [[1.0], [2.0, 3.0]]\n"),
        (["--random", "x=(3, 4"], "error: --random 'x=(3, 4' is not a list of name=value\n"),
    ],
)
def test_bad_values_are_one_line_errors(model: Path, option: list[str], message: str | None, adc_here) -> None:
    result = adc_here("check", f"{model}:tanh_layer", *option, "--timing", "0")
    if message is None:  # a trailing comma is fine
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2
    assert result.stderr == message


# -- adc graph ------------------------------------------------------------------------


def test_graph_writes_dot(model: Path, tmp_path: Path) -> None:
    printed = adc("graph", f"{model}:seed")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("digraph")
    out = tmp_path / "seed.dot"
    written = adc("graph", f"{model}:seed", "-o", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_text() == printed.stdout
    derivative = adc("graph", f"{model}:seed", "--derivative", "--argnums", "0,1,2", "--shapes", "x=(), y=(), c=()")
    assert derivative.returncode == 0, derivative.stderr
    assert derivative.stdout.startswith("digraph") and derivative.stdout != printed.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graph_renders_svg_and_png(model: Path, tmp_path: Path) -> None:
    svg = tmp_path / "seed.svg"
    assert adc("graph", f"{model}:seed", "-o", str(svg)).returncode == 0
    assert "<svg" in svg.read_text()
    png = tmp_path / "seed.out"
    assert adc("graph", f"{model}:seed", "--format", "png", "-o", str(png)).returncode == 0
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_graph_without_graphviz_says_how_to_install_it(model: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"seed{suffix}"
    result = adc("graph", f"{model}:seed", "-o", str(out), env=dict(os.environ, PATH=str(tmp_path)))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot write {suffix[1:].upper()}: ")
    assert "install graphviz" in result.stderr and f"-o {tmp_path / 'seed.dot'}" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not out.exists()


FAKE_DOT = """\
#!{python}
import sys
text = sys.stdin.read()
assert text.startswith("digraph"), text
sys.stdout.write("drawn as " + sys.argv[1])
"""


def test_graph_renders_pdf_through_dot_on_the_path(model: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    dot = bin_dir / "dot"
    dot.write_text(FAKE_DOT.format(python=sys.executable))
    dot.chmod(0o755)
    out = tmp_path / "seed.pdf"
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = adc("graph", f"{model}:seed", "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == b"drawn as -Tpdf"  # what `dot -Tpdf` wrote, never DOT text


@pytest.mark.parametrize(
    "options, message",
    [
        (["-o", "g.jpg"], "error: cannot tell the format of g.jpg from its suffix: name it .dot, .gv, .svg, "
                          ".png, .pdf, or pass --format\n"),
        (["--format", "dot", "-o", "g.pdf"], "error: g.pdf names a PDF file, but --format is dot; drop "
                                             "--format or name the file .dot\n"),
        (["--format", "pdf"], "error: a PDF is written to a file: add -o FILE.pdf\n"),
    ],
)
def test_graph_output_names_its_format(model: Path, tmp_path: Path, options: list[str], message: str) -> None:
    result = adc("graph", f"{model}:seed", *options, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, message)
    assert list(tmp_path.glob("g.*")) == []


def test_a_module_name_that_is_a_file_here_is_answered_with_the_path_form(model: Path) -> None:
    result = adc("grad", "model:seed", cwd=model.parent)
    assert result.returncode == 2
    assert result.stderr == ("error: cannot import model: No module named 'model'; to use the file "
                             "model.py, name the file: model.py:seed\n")
    assert adc("grad", "model.py:seed", cwd=model.parent).returncode == 0  # the advice works


# -- errors ---------------------------------------------------------------------------


def test_unsupported_construct_is_a_diagnostic_with_exit_2(tmp_path: Path) -> None:
    source = tmp_path / "model.py"
    source.write_text("import numpy as np\n\ndef f(x):\n    with open('log') as log:\n        x = x * 2\n    return x\n")
    out = tmp_path / "out.py"
    for command in (["grad", f"{source}:f", "-o", str(out)], ["show", f"{source}:f"]):
        result = adc(*command)
        assert result.returncode == 2
        assert result.stderr.startswith(f"{source}:4:5: error: with statements are not supported")
        assert "Traceback" not in result.stderr
        assert result.stderr.rstrip().endswith("^")
    assert not out.exists()


def test_syntax_error_in_the_users_file(tmp_path: Path) -> None:
    source = tmp_path / "broken.py"
    source.write_text("def f(x):\n    return x +* 2\n")
    result = adc("grad", f"{source}:f", "-o", str(tmp_path / "out.py"))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"{source}:2:15: error: invalid syntax"
    assert lines[1:] == ["    return x +* 2", "              ^"]
    assert not (tmp_path / "out.py").exists()


@pytest.mark.parametrize(
    "target, options, message",
    [
        ("nowhere.py:f", [], "error: no such file: nowhere.py\n"),
        ("examples/quickstart.py:nothing", [], "error: examples/quickstart.py defines no function 'nothing'\n"),
        ("examples/quickstart.py", [], "error: target 'examples/quickstart.py' must look like path/to/file.py:function or package.module:function\n"),
        ("no_such_package.module:f", [], "error: cannot import no_such_package.module: No module named "
         "'no_such_package'; a module is imported from sys.path (set PYTHONPATH to its directory), a file "
         "is named by its path: path/to/file.py:function\n"),
        ("examples/quickstart.py:f", ["--wrt", "q"], "error: --wrt: f has no parameter 'q' (its parameters: a, b, c)\n"),
        ("examples/quickstart.py:f", ["--argnums", "5"], "error: --argnums: f has 3 parameters, no position 5\n"),
    ],
)
def test_command_errors_are_one_line_with_exit_2(target: str, options: list[str], message: str, tmp_path: Path,
                                                 adc_here) -> None:
    out = tmp_path / "out.py"
    result = adc_here("grad", target, *options, "-o", str(out))
    assert (result.returncode, result.stderr) == (2, message)
    assert not out.exists()


def test_a_module_that_fails_to_run_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "fails.py"
    source.write_text("import numpy as np\nraise RuntimeError('no data here')\n\ndef f(x):\n    return x\n")
    result = adc("show", f"{source}:f")
    assert (result.returncode, result.stderr) == (2, f"error: running {source} failed: RuntimeError: no data here\n")


def test_package_module_targets(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text("def f(x):\n    return x * x * x\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = adc("grad", "pkg.model:f", "--shapes", "x=()", env=env)
    assert result.returncode == 0, result.stderr
    assert "Derivatives of f (pkg.model)" in result.stdout
    scope: dict = {}
    exec(result.stdout, scope)
    assert scope["grad_f"](2.0) == pytest.approx(12.0)


def test_a_large_module_level_array_is_not_embedded(tmp_path: Path) -> None:
    source = tmp_path / "big.py"
    source.write_text("import numpy as np\n\nW = np.ones((101, 101))\n\n\ndef f(x):\n    return np.sum(W @ x)\n")
    out = tmp_path / "out.py"
    result = adc("grad", f"{source}:f", "-o", str(out))
    assert result.returncode == 2
    assert result.stderr == (
        "error: the derivative reads the module-level array 'W' of 10201 entries; a standalone "
        "module embeds arrays of up to 10000: pass it as an argument\n"
    )
    assert not out.exists()


def test_output_into_a_missing_directory(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "nowhere" / "out.py"
    result = adc("grad", f"{model}:seed", "-o", str(out))
    assert (result.returncode, result.stderr) == (2, f"error: no such directory: {out.parent}\n")


def test_the_console_script_is_the_same_command() -> None:
    """`adc`, as installed by pip (when this environment has it), runs the same `main`."""
    script = shutil.which("adc", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("ad_compiler is not installed in this environment")
    result = subprocess.run([script, "show", "examples/quickstart.py:f", "--shapes", "a=(), b=(), c=()"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == adc("show", "examples/quickstart.py:f", "--shapes", "a=(), b=(), c=()").stdout


def test_module_imports_only_what_its_code_uses(tmp_path: Path) -> None:
    source = tmp_path / "scalar.py"
    source.write_text("import math\n\n\ndef m(x):\n    return math.sin(x) * x\n")
    result = adc("grad", f"{source}:m", "--shapes", "x=()")
    assert result.returncode == 0, result.stderr
    assert imported_modules(result.stdout) == {"math"}
    scope: dict = {}
    exec(result.stdout, scope)
    x = 0.8
    assert scope["grad_m"](x) == pytest.approx(np.sin(x) + x * np.cos(x), rel=1e-14)
    assert scope["vjp_m"](x, 2.0) == pytest.approx((2.0 * (np.sin(x) + x * np.cos(x)),), rel=1e-14)


def test_forced_output_to_a_pipe_writes_to_it_and_leaves_it_a_pipe(model: Path, tmp_path: Path) -> None:
    """Like `-o /dev/null`: a path that is not a regular file is written to, not replaced."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with subprocess.Popen(["cat", str(pipe)], stdout=subprocess.PIPE, text=True) as reader:
        result = adc("grad", f"{model}:seed", "-o", str(pipe), "--force")
        received = reader.communicate(timeout=30)[0]
    assert result.returncode == 0, result.stderr
    assert pipe.is_fifo() and "def grad_seed(x, y, c):" in received
    refused = adc("grad", f"{model}:seed", "-o", str(pipe))
    assert refused.returncode == 2 and "exists" in refused.stderr


def test_defaults_stay_with_their_parameters(tmp_path: Path) -> None:
    source = tmp_path / "scaled.py"
    source.write_text("def f(x, a=1.5, b=2.5):\n    return x * a * b\n")
    result = adc("grad", f"{source}:f")
    assert result.returncode == 0, result.stderr
    assert "def grad_f(x, a=1.5, b=2.5):" in result.stdout and "def vjp_f(x, a, b, g):" in result.stdout
    scope: dict = {}
    exec(result.stdout, scope)
    assert scope["grad_f"](2.0) == pytest.approx(3.75)
    assert scope["vjp_f"](2.0, 1.5, 2.5, 2.0) == pytest.approx((7.5,))
    forward = adc("grad", f"{source}:f", "--argnums", "0,1", "--mode", "forward")
    assert "def jvp_f(x, a, b, dx, da):" in forward.stdout


def test_the_users_module_cannot_disturb_the_command(tmp_path: Path) -> None:
    """Its prints go to stderr (stdout is the module being written), its sys.exit is an
    error, and a file named like a module the compiler uses does not replace it."""
    noisy = tmp_path / "noisy.py"
    noisy.write_text("print('hello from import')\n\n\ndef f(x):\n    return x * x\n")
    result = adc("grad", f"{noisy}:f", "--shapes", "x=()")
    assert result.returncode == 0 and result.stdout.startswith("# Derivatives of f")
    assert "hello from import" in result.stderr
    exits = tmp_path / "exits.py"
    exits.write_text("import sys\nsys.exit(0)\n\n\ndef f(x):\n    return x\n")
    result = adc("grad", f"{exits}:f")
    assert (result.returncode, result.stderr) == (2, f"error: running {exits} failed: SystemExit: 0\n")
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "ast.py").write_text("import numpy as np\n\n\ndef f(x):\n    return np.sin(x) * x\n")
    result = adc("grad", "ast.py:f", "--shapes", "x=()", cwd=shadow)
    assert result.returncode == 0, result.stderr
    assert "bx = np.sin(x) + x * np.cos(x)" in result.stdout


@pytest.mark.parametrize(
    "command, message",
    [
        (["grad", "MODEL:tanh_layer", "--shapes", "x=(4,)"],
         "error: --shapes: tanh_layer fails on arguments of these shapes: ValueError: matmul: "),
        (["grad", "MODEL:seed", "--shapes", "x=(-1,), y=(), c=()"],
         "error: --shapes: x=(-1,) is not a shape (a tuple of non-negative ints)\n"),
        (["grad", "MODEL:repeated", "--shapes", "x=(), n=3, n=4"], "error: --shapes gives n twice\n"),
        (["check", "MODEL:tanh_layer", "--at", "x='abc'"],
         "error: --at: x is differentiated: give it a number or a list of numbers\n"),
        (["check", "MODEL:repeated", "--at", "x=0.5, n=-1.5", "--argnums", "0"],
         "error: repeated fails at these values: TypeError: 'float' object cannot be interpreted as an integer\n"),
        (["grad", "MODEL:seed", "--argnums", "0,1", "--order", "3", "--shapes", "x=(), y=(), c=()"],
         "error: --order 3 differentiates one argument: give one name to --wrt or one position to --argnums\n"),
        (["grad", "MODEL:W"], "error: MODEL: W is a ndarray, not a function\n"),
        (["grad", "MODEL:seed", "--mode", "sideways"],
         "error: argument --mode: invalid choice: 'sideways' (choose from 'reverse', 'forward') (see adc grad --help)\n"),
        (["check", "MODEL:seed", "--timing", "0"],
         "error: one of the arguments --at --random is required (see adc check --help)\n"),
        (["check", "MODEL:seed", "--at", "x=1.0, y=2.0, c=3.0", "--symbolic-limit", "-3"],
         "error: argument --symbolic-limit: -3 is not a number of operations (or none) (see adc check --help)\n"),
        (["check", "MODEL:seed", "--at", "x=1.0, y=2.0, c=3.0", "--symbolic-seconds", "soon"],
         "error: argument --symbolic-seconds: soon is not a number of seconds (or none) (see adc check --help)\n"),
    ],
)
def test_more_command_errors(model: Path, command: list[str], message: str, adc_here) -> None:
    result = adc_here(*[part.replace("MODEL", str(model)) for part in command])
    assert result.returncode == 2
    assert result.stderr.startswith(message.replace("MODEL", str(model)))
    assert len(result.stderr.splitlines()) == 1


def test_a_file_name_with_a_newline_keeps_the_header_a_comment(tmp_path: Path) -> None:
    source = tmp_path / "odd\nname.py"
    source.write_text("def f(x):\n    return x * x\n")
    result = adc("grad", f"{source}:f", "--shapes", "x=()")
    assert result.returncode == 0, result.stderr
    compile(result.stdout, "module", "exec")
    assert "odd\\nname.py" in result.stdout.splitlines()[0]
