"""Turning emitted source into a live function, traceable like any other.

The source is registered in `linecache` under a stable pseudo-filename, so a traceback
through emitted code shows the emitted line and `inspect.getsource` returns the text.
"""

from __future__ import annotations

import hashlib
import linecache
import math
from typing import Any, Callable

import numpy as np


def filename_for(name: str, source: str) -> str:
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    return f"<ad_compiler {name} {digest}>"


def load(source: str, name: str, namespace: dict[str, Any] | None = None) -> Callable[..., Any]:
    """Execute `source` (which defines `name`) and return that function."""
    filename = filename_for(name, source)
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    scope: dict[str, Any] = {"np": np, "math": math, "__name__": "ad_compiler.emitted"}
    scope.update(namespace or {})
    exec(compile(source, filename, "exec"), scope)  # noqa: S102 - compiling our own output
    return scope[name]
