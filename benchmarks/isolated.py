"""What the peer benchmarks set before NumPy, JAX or PyTorch is imported (import this
first): one thread for every BLAS and for XLA, the process pinned to one core, tangent-ad's
disk cache off and its generated code's SyntaxWarnings quiet, and the repository's root on
`sys.path` (so a checkout's ad_compiler runs without being installed).

The pin is what makes "one thread" hold for every tool: XLA's CPU backend runs work on a
second core whatever its flags say (measured: a 512-1024-10 MLP gradient under jax.jit took
0.74x a hand-written NumPy one unpinned, 1.02x pinned). `BENCH_CPUS=all` leaves the
process on every core."""

import os
import sys
import warnings

warnings.filterwarnings("ignore", category=SyntaxWarning)   # tangent-ad's generated code
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("TANGENT_DISK_CACHE", "0")
if os.environ.get("BENCH_CPUS") != "all" and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

_HERE = os.path.dirname(os.path.abspath(__file__))
for _p in (_HERE, os.path.dirname(_HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)
