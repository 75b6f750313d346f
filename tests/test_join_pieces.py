"""The cotangent of a join is cut into its items' pieces as a person writes it
(`g[:, :j]`, `g[..., j:]`), pieces of empty items are not added anywhere, and a
one-element array of zeros written once is the number it holds. Derivatives against
central differences, both modes, at every axis."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad
from tests.numeric import assert_grad_close

A = np.random.default_rng(3).normal(size=(3, 4, 2))


def assert_agrees(f, a, generic=True):
    """Checks `f`'s gradient at `a` in both modes (and generic) against central
    differences; the reverse-mode gradient, called, for its source."""
    for mode in ("forward", "reverse"):
        g = grad(f, mode=mode)
        assert_grad_close(f, (a,), 0, g(a))
        if generic:
            assert_grad_close(f, (a,), 0, g.generic(a))
    return g


def along_each(axis):
    def f(a):
        w = np.cos(np.arange(24.0)).reshape(3, 4, 2)
        return np.sum(np.concatenate((a * w, np.sin(a), a[:1, :1, :1] * 0.0 + 2.0 * a), axis=axis) ** 2)
    return f


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3, None])
def test_a_join_along_each_axis(axis):
    f = along_each(axis)
    g = assert_agrees(f, A, generic=False)
    assert "moveaxis" not in g.source, g.source


def halves(a):
    """Rows without column j, for every j: the items of the ends are empty."""
    total = 0.0
    n = a.shape[1]
    for j in range(n):
        kept = np.concatenate((a[1:, :j], a[1:, j + 1:]), axis=1)
        total = total + a[0, j] * np.sum(np.tanh(kept))
    return total


def ends(a):
    """Rows without the first column, then without the last: one item of each is empty."""
    first = np.concatenate((a[1:, :0], a[1:, 1:]), axis=1)
    last = np.concatenate((a[1:, :3], a[1:, 4:]), axis=1)
    inside = np.concatenate((a[1:, :1], a[1:, 2:]), axis=1)
    return np.sum(np.tanh(first) * last * inside) * a[0, 0]


def one_element(a):
    """The cotangent of a 1 x 1 array read at its one element, added into a slice."""
    b = a[1:, :1] * 1.0
    return b[0, 0] * a[0, 0] + np.sum(a[1:, :1] * b)


@pytest.mark.parametrize("f", [halves, ends, one_element], ids=lambda f: f.__name__)
def test_pieces_of_joins_and_one_element_arrays(f):
    a = A[:2, :, 0].copy()
    assert_agrees(f, a)


def test_the_emitted_cut_is_plain_slices():
    g = grad(ends)
    a = A[:2, :, 0].copy()
    g(a)
    text = g.source[g.source.index("ba = "):]  # (the reverse sweep)
    for absent in ("moveaxis", "slice(", "np.reshape", ":0]", "4:4", "[:, 0:"):
        assert absent not in text, text
    assert "[:, :1]" in text and "[:, 1:]" in text, text


def test_a_one_element_scatter_is_its_number():
    g = grad(one_element)
    a = A[:2, :, 0].copy()
    g(a)
    assert "zeros_like(b" not in g.source, g.source


def slices_of_slices(a):
    """Elements read from slices of a slice: their adjoints go into `a` at composed
    indices (steps, negative ints, a reversed slice, which is not composed)."""
    b = np.sin(a) * 1.0
    total = 0.0
    for view in (b[1:, ::2], b[:, 1:-1], b[::-1, 1:]):
        total = total + view[0, 1] * view[-1, 0] + np.sum(view[1:, :1] ** 2)
    return total + np.sum(b * b)


def test_writes_into_a_slice_go_into_the_array():
    a = np.random.default_rng(5).normal(size=(4, 5))
    g = assert_agrees(slices_of_slices, a)
    assert ".copy()" not in g.source, g.source


def test_composed_indices_select_what_the_two_select():
    """`x[compose(i, j)]` is `x[i][j]` for ints and slices of every sign and step."""
    import itertools

    from ad_compiler.ir import Const
    from ad_compiler.passes.indices import compose

    x = np.arange(20).reshape(4, 5)
    parts = [0, -1, 2, slice(None), slice(1, None), slice(None, None, -1), slice(4, None), slice(None, None, 2),
             slice(-2, 0, -1), slice(1, -1)]
    composed = 0
    for first in itertools.product(parts, repeat=2):
        for second in [*itertools.product(parts, repeat=2), *parts]:
            try:
                want = x[first][second]
            except IndexError:
                continue
            index = compose(Const(first), Const(second), x.shape)
            if index is not None:
                np.testing.assert_array_equal(x[index.value], want)
                assert x[index.value].shape == want.shape
                composed += 1
    assert composed > 4000


def written_then_cut(a):
    """Zeros with numbers written and added at constant indices (a row at once, a write
    over an addition, negative indices), cut into pieces and stored into zeros: the
    pieces are the numbers that fall inside them."""
    z = np.zeros_like(a)
    z[0, 1] = a[1, 1] * a[0, 0]
    z[1, :] = 2.0 * a[0, 0]
    z[0, 1] = z[0, 1] + a[2, 2]
    z[-1, -2] = np.sin(a[0, 2])
    z[1, 2] = z[1, 2] + a[1, 0]
    z[0, 0] = a[2, 3]
    w = np.zeros((4, 6))
    w[1:, 1:5] = z
    return np.sum(np.sin(z[:, 1:3])) + np.sum(np.cos(z[1:, :1]) * z[:2, 3:]) + np.sum(np.tanh(w) * np.arange(24.0).reshape(4, 6))


def test_pieces_of_numbers_written_into_zeros():
    a = np.random.default_rng(7).normal(size=(3, 4))
    assert_agrees(written_then_cut, a)


def test_restricted_writes_land_where_they_fall():
    """`zeros[w] = 1` cut at `q` is `zeros[q][restrict(w, q)] = 1`."""
    import itertools

    from ad_compiler.ir import Const
    from ad_compiler.passes.indices import OUTSIDE, restrict

    shape = (4, 5)
    parts = [0, -1, 2, slice(None), slice(1, None), slice(None, 2), slice(4, None), slice(1, -1), slice(-2, None)]
    for written in [*itertools.product(parts, repeat=2), *parts]:
        for piece in [*itertools.product(parts, repeat=2), *parts]:
            whole = np.zeros(shape)
            whole[written] = 1.0
            want = whole[piece]
            at = restrict(Const(written), Const(piece), shape)
            got = np.zeros(np.shape(want))
            if at is not OUTSIDE:
                got[at.value] = 1.0
            np.testing.assert_array_equal(got, want, err_msg=f"{written} {piece} {at}")


def test_the_determinants_cotangent_goes_into_the_matrix():
    """By minors: every adjoint is a number added into the gradient, no minor's zeros."""
    from tests.test_recursion import det_by_shape

    g = grad(det_by_shape)
    a = np.random.default_rng(2).normal(size=(4, 4))
    np.testing.assert_allclose(g(a), np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-9)
    reverse = g.source[g.source.index("ba = "):]
    assert "zeros_like" not in reverse.replace("ba = np.zeros_like(a)", ""), g.source


def joins_with_empty_items(a):
    """Empty items first, last, in the middle, along a negative axis, and an empty item of
    another dtype: left out of the join (of one item left: that item)."""
    first = np.concatenate((a[:, :0], a[:, 1:]), axis=1)
    last = np.concatenate((a[:2], a[3:], a[:1]), axis=0)
    middle = np.concatenate((a[:, :1], a[:, 2:2], a[:, 3:]), axis=-1)
    counted = np.concatenate((np.zeros((0, 4), dtype=int), a[1:]))
    return np.sum(np.sin(first) * a[:, 1:]) + np.sum(last ** 3) + np.sum(np.tanh(middle)) + np.sum(counted * a[:2])


def test_joins_leave_out_empty_items():
    a = np.random.default_rng(11).normal(size=(3, 4))
    g = assert_agrees(joins_with_empty_items, a)
    code = "\n".join(line for line in g.source.splitlines() if not line.strip().startswith("#"))
    assert "first = a[:, 1:]" in code and ":0]" not in code and "2:2" not in code and "..." not in code, code


def scattered_then_read(a):
    """Numbers written into zeros, then read back as a number, as a row, and broadcast
    into a region larger than the scatter."""
    z = np.zeros_like(a)
    z[0, 1] = a[1, 1] * a[0, 0]
    z[1, 2] = np.sin(a[0, 2])
    row = np.zeros((1, 4))
    row[0, 3] = a[2, 0] ** 2
    w = np.zeros((3, 4))
    w[1:, :] = row
    return z[0, 1] * z[1, 2] + np.sum(np.tanh(z[1]) * z[1]) + np.sum(np.cos(w) * a)


def test_numbers_read_back_from_zeros_and_broadcast_stores():
    a = np.random.default_rng(13).normal(size=(3, 4))
    assert_agrees(scattered_then_read, a, generic=False)
