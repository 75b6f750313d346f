"""A notebook session: define, differentiate, redefine a helper in a later cell,
differentiate again. Run in a real IPython shell, cell by cell."""

from __future__ import annotations

import numpy as np
import pytest

IPython = pytest.importorskip("IPython")
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

CELLS = [
    "import numpy as np\nfrom ad_compiler import grad",
    "def helper(x):\n    return np.sin(x)",
    "def loss(x):\n    return helper(x) * x",
    "df = grad(loss)\nfirst = df(0.7)",
    "def helper(x):\n    return x ** 3",
    "second = df(0.7)\nfresh = grad(loss)(0.7)",
    "X = np.ones(3)\ndef batch(w):\n    return np.sum(X * w ** 2)\ndb = grad(batch)\nthird = db(np.ones(3))",
    "X = np.arange(3.0)\nfourth = db(np.ones(3))",
]


def test_redefining_a_helper_in_a_later_cell():
    shell = InteractiveShell.instance()
    try:
        for cell in CELLS:
            result = shell.run_cell(cell)
            assert result.success, result.error_in_exec or result.error_before_exec
        ns = shell.user_ns
        x = 0.7
        assert ns["first"] == pytest.approx(np.cos(x) * x + np.sin(x))
        assert ns["second"] == pytest.approx(4 * x ** 3)
        assert ns["fresh"] == pytest.approx(4 * x ** 3)
        np.testing.assert_allclose(ns["third"], 2 * np.ones(3))
        np.testing.assert_allclose(ns["fourth"], 2 * np.arange(3.0))
    finally:
        InteractiveShell.clear_instance()

