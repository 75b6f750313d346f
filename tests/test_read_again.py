"""What a reverse loop recomputes rather than records (`ad/regions.py`, `_read_again`):
reads of outer arrays at indices made from the counter, and numbers made from outer
ones; and the adjoint of reads at indices that may repeat, added in place. Every
gradient against an analytic one or central differences."""

from __future__ import annotations

import re

import numpy as np

from ad_compiler import grad
from tests.numeric import assert_grad_close


def cofactor_det(A):
    """The determinant by expansion along the first row."""
    n = A.shape[0]
    total = 0.0
    for j in range(n):
        rest = np.delete(A[1:], j, axis=1)
        total = total + (-1.0) ** j * A[0, j] * np.linalg.det(rest)
    return total


def shifted_reads(x, y, scale):
    acc = 0.0
    for i in range(1, x.shape[0]):
        acc = acc + np.sin(x[i] * y[i - 1]) * (scale / 2)
    return acc


def test_the_cofactor_expansion():
    A = np.random.default_rng(0).normal(size=(4, 4))
    df = grad(cofactor_det)
    np.testing.assert_allclose(df(A), np.linalg.det(A) * np.linalg.inv(A).T, rtol=1e-10, atol=1e-12)
    forward = df.source.split("for j in reversed")[0]
    assert "tape.append((rest, t2))" in forward and "t2 = np.linalg.det(rest)" in forward, df.source
    # (not the sign, the index or A[0, j]; A[1:] is taken once, before the loop)
    assert "np.add.at(" in df.source and "add_at(" not in df.source.replace("np.add.at(", ""), df.source


def test_reads_at_shifted_indices_and_numbers_from_outside_are_not_recorded():
    rng = np.random.default_rng(1)
    args = (rng.normal(size=6), rng.normal(size=6), 1.5)
    df = grad(shifted_reads, argnums=(0, 1, 2))
    got = df(*args)
    for k in range(3):
        assert_grad_close(shifted_reads, args, k, got[k])
    # np.sin(...) alone: not i - 1, x[i], y[i - 1], scale / 2
    assert re.search(r"tape\.append\(t\d+\)", df.source) and "tape.append((" not in df.source, df.source
