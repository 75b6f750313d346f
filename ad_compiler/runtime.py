"""The source of the few helpers emitted code may need.

Emitted code never imports ad_compiler: codegen copies the source of each helper it uses
into the emitted text, beside the function that calls it. Specialized code needs none of
them when shapes are known; generic code (any input) does.
"""

from __future__ import annotations

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

HELPERS: dict[str, str] = {"unbroadcast": UNBROADCAST}
"""Helper name -> its source; a prim of the same name is emitted as a call of it."""
