"""Scripts run in fresh interpreters, one per hash seed, side by side (as
tests/test_graph.py runs its two): what emitted text must not depend on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def json_in_fresh_processes(script: str, hash_seeds: tuple[str, ...] = ("0", "4242")) -> list:
    """What `script` prints as JSON, run with `python -c` in the repository's root, with
    each PYTHONHASHSEED, the interpreters started together and awaited in turn."""
    runs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                             env=dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for seed in hash_seeds]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        outputs.append(json.loads(out))
    return outputs
