"""What a standalone module does with what the derivative reads from outside the
function: numbers and arrays become literals, library modules and functions imports;
an object it cannot contain is a one-line error and no file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from numeric import numeric_grad
from test_cli import adc, run_standalone


def _write(tmp_path: Path, text: str) -> Path:
    source = tmp_path / "objective.py"
    source.write_text(textwrap.dedent(text))
    return source


def test_numbers_arrays_and_library_calls_are_defined_in_the_module(tmp_path: Path) -> None:
    source = _write(tmp_path, """\
        import math
        import sys

        import numpy as np
        from numpy.polynomial.polynomial import polyval

        SCALE = 0.5
        W = np.array([1.0, 2.0, 3.0])
        TOL = 1e-8


        def f(x):
            if polyval(0.5, W) < TOL:
                raise ValueError("W vanishes")
            print("scale", SCALE, math.pi, file=sys.stderr)
            return np.sum(W * x * x) * SCALE
        """)
    out = tmp_path / "dobjective.py"
    result = adc("grad", f"{source}:f", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "SCALE = 0.5" in text and "from numpy.polynomial.polynomial import polyval" in text and "import math" in text and "import sys" in text
    got = run_standalone(out, """
        import dobjective
        print(json.dumps(dobjective.grad_f(np.array([0.3, -0.2, 0.5])).tolist()))
    """)
    x = np.array([0.3, -0.2, 0.5])
    expected = numeric_grad(lambda v: float(np.sum(np.array([1.0, 2.0, 3.0]) * v * v) * 0.5), (x,), 0)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_an_object_the_module_cannot_contain_is_refused(tmp_path: Path) -> None:
    source = _write(tmp_path, """\
        import numpy as np

        RS = np.random.RandomState(0)


        def f(x):
            eps = RS.randn(3)
            return np.sum((x + eps) ** 2)
        """)
    out = tmp_path / "dobjective.py"
    result = adc("grad", f"{source}:f", "-o", str(out))
    assert result.returncode == 2
    assert result.stderr == (
        "error: the derivative reads 'RS', a RandomState object, which a standalone module "
        "cannot contain: pass it as an argument\n"
    )
    assert not out.exists()


def test_a_random_state_passed_as_an_argument_works(tmp_path: Path) -> None:
    source = _write(tmp_path, """\
        import numpy as np


        def f(x, rs):
            eps = rs.randn(3)
            return np.sum((x + eps) ** 2)
        """)
    out = tmp_path / "dobjective.py"
    result = adc("grad", f"{source}:f", "-o", str(out))
    assert result.returncode == 0, result.stderr
    got = run_standalone(out, """
        import dobjective
        rs = np.random.RandomState(0)
        print(json.dumps(dobjective.grad_f(np.array([0.3, -0.2, 0.5]), rs).tolist()))
    """)
    eps = np.random.RandomState(0).randn(3)
    np.testing.assert_allclose(got, 2 * (np.array([0.3, -0.2, 0.5]) + eps))
