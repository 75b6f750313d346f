"""VJP rules of indexing: reading an element or slice, and writing one.

An index is an int, a slice, None, `...` or a tuple of them (integer-array indexing is
not supported yet), so every element of the array is selected at most once and
scattering the cotangent back is a plain assignment into zeros.
"""

from __future__ import annotations

import numpy as np

from .registry import defvjp, defzero


@defvjp("getitem", broadcasting=False)
def getitem_vjp(g, ans, x, index):
    bx = np.zeros_like(x)
    bx[index] = g
    return bx, None


@defvjp("setitem", broadcasting=True)
def setitem_vjp(g, ans, y, index, v):
    bv = g[index]
    g[index] = 0.0  # a new value of g: written in place only where no one else reads g
    return g, None, bv


defzero("slice")
