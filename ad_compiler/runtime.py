"""The source of the few helpers emitted code may need.

Emitted code never imports ad_compiler: codegen copies the source of each helper it uses
into the emitted text, beside the function that calls it. Specialized code needs no
`unbroadcast` when shapes are known; generic code (any input) does. `add_at` and
`kept_writes` are the reverse of indexing with an index that may select a position more
than once (an integer array): where the index is known to select each position once,
specialization writes a plain assignment instead.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

UNBROADCAST = '''\
def unbroadcast(g, x):
    """Sum g over the axes along which x was broadcast, giving g the shape of x."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    extra = np.ndim(g) - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g
'''

ADD_AT = '''\
def add_at(a, index, v):
    """A copy of a with v added at index. Where index selects a position more than once,
    every value selected there is added (np.add.at): a[index] += v would add one."""
    out = np.array(a, dtype=np.result_type(a, v))
    np.add.at(out, index, v)
    return out
'''

KEPT_WRITES = '''\
def kept_writes(y, index):
    """1.0 for each value that y[index] = v keeps, 0.0 for one that a later value written
    to the same position replaces (index selects it twice); shaped as y[index]."""
    slots = np.full(np.shape(y), -1)
    order = np.reshape(np.arange(np.size(slots[index])), np.shape(slots[index]))
    slots[index] = order
    return (slots[index] == order) * 1.0
'''

HELPERS: dict[str, str] = {"unbroadcast": UNBROADCAST, "add_at": ADD_AT, "kept_writes": KEPT_WRITES}
"""Helper name -> its source; a prim of the same name is emitted as a call of it."""


def _run(name: str) -> Callable[..., Any]:
    """The helper itself, defined by running its source; marked with its prim, so that a
    derivative rule calling it is lowered to that prim (a call in the emitted code)."""
    scope: dict[str, Any] = {"np": np}
    exec(HELPERS[name], scope)  # noqa: S102 - our own source
    fn = scope[name]
    fn.__adc_prim__ = name
    return fn


add_at = _run("add_at")
kept_writes = _run("kept_writes")
