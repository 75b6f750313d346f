"""Runs autograd's own NumPy/SciPy test suite against ad_compiler: `python
tools/peer_suites/autograd_suite.py [pytest options]` (needs network access to PyPI and
pytest; not part of the project's tests).

The autograd sdist is downloaded into a temporary directory; its tests run with
`shim/` first on the path, where `autograd.numpy` is NumPy itself and `check_grads`
checks ad_compiler's reverse and forward derivatives along random directions against
central differences (shim/autograd/test_util.py). A failure is a wrong value (an
AssertionError: the worst kind), a refusal with a message (CompileError, ArgumentError,
NoDerivativeError), or a limit of the shim (tests that check autograd's own containers,
or differentiate a tuple argument, which the shim perturbs as an array).
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

FILES = ["test_numpy.py", "test_systematic.py", "test_linalg.py", "test_scipy.py", "test_fft.py",
         "test_scalar_ops.py", "test_binary_ops.py", "test_truediv.py", "test_complex.py"]
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.executable, "-m", "pip", "download", "autograd==1.9.1", "--no-binary", ":all:",
                        "--no-deps", "-q", "-d", work], check=True)
        (archive,) = glob.glob(os.path.join(work, "autograd-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")
        (tests,) = glob.glob(os.path.join(work, "autograd-*", "tests"))
        os.remove(os.path.join(tests, "conftest.py"))
        config = os.path.join(work, "pytest.ini")  # (not autograd's: it requires its plugins)
        Path(config).write_text("[pytest]\n")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE / "shim"), str(ROOT)])}
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-c", config, "--rootdir", tests,
                               "-p", "no:cacheprovider", *FILES, *argv], cwd=tests, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
