"""What the peer benchmarks set before NumPy, JAX or PyTorch is imported (import this
first): one thread for every BLAS and for XLA, tangent-ad's disk cache off and its
generated code's SyntaxWarnings quiet, and the repository's root on `sys.path` (so a
checkout's ad_compiler runs without being installed)."""

import os
import sys
import warnings

warnings.filterwarnings("ignore", category=SyntaxWarning)   # tangent-ad's generated code
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("TANGENT_DISK_CACHE", "0")

_HERE = os.path.dirname(os.path.abspath(__file__))
for _p in (_HERE, os.path.dirname(_HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)
