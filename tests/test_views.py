"""Views and element writes agree with NumPy: a program whose compiled code would read old
values where NumPy shows an element write through a view (or through a view, in its
base) is refused at the write, naming both variables; programs near that boundary that
are exact compile, and their values and gradients (reverse and forward mode) are NumPy's
and central differences'. The rule: docs/supported-python.md, "A difference from Python".
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import ad_compiler
from ad_compiler.errors import UnsupportedError
from ad_compiler.primitives import PRIMITIVES
from tests.numeric import numeric_grad

X = np.array([0.3, -0.7, 1.1])
IDX = np.array([0, 2])
MASK = np.array([True, False, True])
A = np.array([1.0, 2.0, 3.0])


def line_of(fn, marker: str) -> int:
    """The line of `fn`'s source that holds `# marker`."""
    lines, start = inspect.getsourcelines(fn)
    (offset,) = [k for k, text in enumerate(lines) if text.rstrip().endswith(f"# {marker}")]
    return start + offset


def assert_refused(fn, *names: str, args=(X,)) -> UnsupportedError:
    """Compiling `fn` stops at the line marked `# write`, in this file, naming `names`."""
    with pytest.raises(UnsupportedError) as info:
        ad_compiler.grad(fn)(*args)
    err = info.value
    assert err.file == __file__ and err.line == line_of(fn, "write"), str(err)
    for name in names:
        assert f"'{name}'" in err.message, err.message
    assert err.source_line is not None and "# write" in err.source_line
    return err


def assert_exact(fn, args=(X,)) -> None:
    """The compiled value is the plain-Python value; both modes' gradients agree with
    central differences."""
    value, _ = ad_compiler.value_and_grad(fn)(*[np.copy(a) for a in args])
    np.testing.assert_allclose(value, fn(*[np.copy(a) for a in args]), rtol=1e-12, atol=1e-12)
    expected = numeric_grad(fn, tuple(np.copy(a) for a in args), 0)
    for mode in ("reverse", "forward"):
        got = ad_compiler.grad(fn, mode=mode)(*[np.copy(a) for a in args])
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8, err_msg=mode)


# ---- the two examples of the issue ----

def write_base_read_view(x):
    y = x * 2.0
    w = y[0:2]          # a view of y
    y[0] = 5.0  # write
    return np.sum(w * x[0:2])


def write_view_read_base(x):
    y = x * 2.0
    w = y[0:2]
    w[0] = 5.0  # write
    return np.sum(y * x)


def test_a_view_read_after_a_write_into_its_base_is_refused():
    err = assert_refused(write_base_read_view, "w", "y")
    view, read = line_of(write_base_read_view, "a view of y"), line_of(write_base_read_view, "write") + 1
    assert f"line {view}" in err.message and f"line {read}" in err.message
    assert "`w = np.copy(y[0:2])`" in err.message  # the advice, tested below


def test_a_base_read_after_a_write_through_its_view_is_refused():
    err = assert_refused(write_view_read_base, "w", "y")
    assert "write into 'y' itself" in err.message and "`w = np.copy(y[0:2])`" in err.message


def advice_copy_the_view(x):
    y = x * 2.0
    w = y[0:2] * 1.0
    y[0] = 5.0
    return np.sum(w * x[0:2])


def advice_take_the_view_after(x):
    y = x * 2.0
    y[0] = 5.0
    w = y[0:2]
    return np.sum(w * x[0:2])


def advice_write_into_the_base(x):
    y = x * 2.0
    y[0] = 5.0
    w = y[0:2]
    return np.sum(y * x) + np.sum(w)


def advice_copy_then_write(x):
    y = x * 2.0
    w = y[0:2] * 1.0
    w[0] = 5.0
    return np.sum(y * x) + np.sum(w * x[1:3])


@pytest.mark.parametrize("fn", [advice_copy_the_view, advice_take_the_view_after,
                                advice_write_into_the_base, advice_copy_then_write])
def test_the_advice_compiles_and_gives_numpys_numbers(fn):
    assert_exact(fn)


# ---- every way to make a view ----

def view_of_view(x):
    y = x * 2.0
    u = y[0:3]
    w = u[1:3]
    y[2] = 5.0  # write
    return np.sum(w)


def transpose_attr(x):
    Y = np.outer(x, x)
    w = Y.T
    Y[0, 1] = 5.0  # write
    return np.sum(w * Y)


def transpose_fn(x):
    Y = np.outer(x, x)
    w = np.transpose(Y)
    Y[0, 1] = 5.0  # write
    return np.sum(w * Y)


def reshape_fn(x):
    y = x * 2.0
    w = np.reshape(y, (3, 1))
    y[0] = 5.0  # write
    return np.sum(w)


def reshape_method(x):
    y = x * 2.0
    w = y.reshape((1, 3))
    y[0] = 5.0  # write
    return np.sum(w)


def ravel_fn(x):
    Y = np.outer(x, x)
    w = np.ravel(Y)
    Y[1, 1] = 5.0  # write
    return np.sum(w)


def ravel_method(x):
    Y = np.outer(x, x)
    w = Y.ravel()
    Y[1, 1] = 5.0  # write
    return np.sum(w)


def squeeze(x):
    y = np.reshape(x * 2.0, (1, 3))
    w = np.squeeze(y)
    y[0, 0] = 5.0  # write
    return np.sum(w)


def expand_dims(x):
    y = x * 2.0
    w = np.expand_dims(y, 0)
    y[1] = 5.0  # write
    return np.sum(w)


def moveaxis(x):
    Y = np.outer(x, x)
    w = np.moveaxis(Y, 0, 1)
    Y[0, 2] = 5.0  # write
    return np.sum(w * w)


def swapaxes(x):
    Y = np.outer(x, x)
    w = np.swapaxes(Y, 0, 1)
    Y[0, 2] = 5.0  # write
    return np.sum(w * w)


def broadcast_to(x):
    y = x * 2.0
    w = np.broadcast_to(y, (2, 3))
    y[1] = 5.0  # write
    return np.sum(w)


def atleast_1d(x):
    y = x * 2.0
    w = np.atleast_1d(y)
    y[1] = 5.0  # write
    return np.sum(w)


def atleast_2d(x):
    y = x * 2.0
    w = np.atleast_2d(y)
    y[1] = 5.0  # write
    return np.sum(w)


def atleast_3d(x):
    y = x * 2.0
    w = np.atleast_3d(y)
    y[1] = 5.0  # write
    return np.sum(w)


def asarray(x):
    y = x * 2.0
    w = np.asarray(y)
    y[1] = 5.0  # write
    return np.sum(w)


def int_index_of_a_matrix(x):
    Y = np.outer(x, x)
    w = Y[1]
    Y[1, 0] = 5.0  # write
    return np.sum(w)


def none_index(x):
    y = x * 2.0
    w = y[None]
    y[1] = 5.0  # write
    return np.sum(w)


def ellipsis_index(x):
    y = x * 2.0
    w = y[...]
    y[1] = 5.0  # write
    return np.sum(w)


def through_transpose(x):
    Y = np.outer(x, x)
    w = Y.T
    w[0, 1] = 5.0  # write
    return np.sum(Y)


def sibling_views(x):
    y = x * 2.0
    u = y[0:2]
    w = y[1:3]
    w[0] = 5.0  # write
    return np.sum(u)


def slice_assignment(x):
    y = x * 2.0
    w = y[0:2]
    y[1:3] += 1.0  # write
    return np.sum(w * x[0:2])


@pytest.mark.parametrize("fn", [
    view_of_view, transpose_attr, transpose_fn, reshape_fn, reshape_method, ravel_fn, ravel_method,
    squeeze, expand_dims, moveaxis, swapaxes, broadcast_to, atleast_1d, atleast_2d, atleast_3d,
    asarray, int_index_of_a_matrix, none_index, ellipsis_index, slice_assignment,
])
def test_a_view_read_after_a_write_into_its_base(fn):
    assert_refused(fn, "w")


@pytest.mark.parametrize("fn, names", [
    (through_transpose, ("w", "Y")),
    (sibling_views, ("w", "u")),
])
def test_a_write_through_a_view_seen_elsewhere(fn, names):
    assert_refused(fn, *names)


def scalar_or_view(x):
    y = x * 2.0
    a = y[0]
    y[0] = 5.0  # write
    return np.sum(a * y)


def test_an_element_of_an_array_of_unknown_rank_counts_as_a_view():
    """`y[0]` is a number for a vector and a view for a matrix; one lowered IR serves both."""
    err = assert_refused(scalar_or_view, "a", "y")
    assert "rank" in err.message and "`a = np.copy(y[0])`" in err.message


def scalar_or_view_copied(x):
    y = x * 2.0
    a = y[0] * 1.0
    y[0] = 5.0
    return np.sum(a * y)


def test_the_copied_element_gives_numpys_numbers_for_vectors_and_matrices():
    assert_exact(scalar_or_view_copied)
    assert_exact(scalar_or_view_copied, (np.outer(X, X[0:2]),))


def aliased_by_a_branch(x):
    y = x * 2.0
    z = y if np.sum(x) > 0.0 else x * 3.0
    z[0] = 5.0  # write
    return np.sum(y * x)


def module_array_by_another_name(x):
    z = A
    z[0] = x[0]  # write
    return np.sum(A * x)


def test_an_array_that_may_be_the_written_one():
    assert_refused(aliased_by_a_branch, "z", "y")
    err = assert_refused(module_array_by_another_name, "z", "A")
    assert "`z = np.copy(A)`" in err.message


def from_the_start_and_from_the_end(x):
    y = x * 2.0
    w = y[0:2]
    y[-1] = 5.0  # write
    return np.sum(w)


def unknown_index(x, i):
    y = x * 2.0
    w = y[i]
    y[0] = 5.0  # write
    return np.sum(w)


def test_regions_that_cannot_be_proven_disjoint():
    """`y[-1]` is `y[1]` for two elements; `i` may be 0 (or an array, or a slice)."""
    assert_refused(from_the_start_and_from_the_end, "w", "y")
    assert_refused(unknown_index, "w", "y", args=(np.outer(X, X), 1))


# ---- loops ----

def view_before_the_loop(x):
    y = x * 2.0
    w = y[0:2]
    s = 0.0
    for i in range(3):
        s = s + np.sum(w)  # read
        y[i] = x[i] * s  # write
    return s


def view_carried_to_the_next_iteration(x):
    y = x * 2.0
    w = y[0:1]
    s = 0.0
    for i in range(3):
        s = s + np.sum(w * w)
        w = y[i:i + 1]
        y[i] = 3.0 * x[i]  # write
    return s


def same_row_read_and_written(x):
    H = np.zeros((4, 2))
    H[0] = x[0:2]
    loss = 0.0
    for t in range(3):
        h = H[t + 1]
        H[t + 1] = np.tanh(0.5 * H[t] + x[1:3])  # write
        loss = loss + np.sum(h * h)
    return loss


def iterating_over_the_written_array(x):
    Y = np.outer(x, x)
    s = 0.0
    for i, row in enumerate(Y):
        s = s + np.sum(row * row)
        Y[2 - i] = row * 2.0  # write
    return s


def while_loop(x):
    y = x * 2.0
    w = y[1:3]
    s = 0.0
    k = 0
    while k < 2:
        s = s + np.sum(w * x[0:2])
        y[k + 1] = s  # write
        k = k + 1
    return s


def test_views_across_iterations():
    err = assert_refused(view_before_the_loop, "w", "y")
    assert "later iteration" in err.message and f"line {line_of(view_before_the_loop, 'read')}" in err.message
    assert_refused(view_carried_to_the_next_iteration, "w", "y")
    assert_refused(same_row_read_and_written, "h", "H")
    assert_refused(iterating_over_the_written_array, "row", "Y")
    assert_refused(while_loop, "w", "y")


# ---- exact programs near the boundary ----

def read_before_the_write(x):
    y = x * 2.0
    s = np.sum(y[0:2])
    y[0] = 5.0
    return s + np.sum(y * x)


def view_dead_after_the_write(x):
    y = x * 2.0
    w = y[0:2]
    t = np.sum(w * w)
    y[1] = x[2] * t
    return np.sum(y * x)


def no_views(x):
    y = x * 2.0
    y[0] = x[1] * x[2]
    y[2] = np.sin(x[0])
    return np.sum(y * y)


def element_of_a_vector(x):
    y = np.zeros(3)
    y[1] = x[1]
    a = y[1]
    y[1] = 5.0 * x[0]
    return a * np.sum(y * x)


def disjoint_constant_regions(x):
    y = x * 2.0
    w = y[0:2]
    y[2] = 5.0 * x[0]
    Y = np.outer(x, x)
    r = Y[0]
    Y[1:3, 0] = x[0:2]
    z = x * 3.0
    u = z[-3:-1]
    z[-1] = x[1]
    return np.sum(w * x[0:2]) + np.sum(r * Y[:, 1]) + np.sum(u * z[0:2])


def integer_and_boolean_array_indices(x):
    y = x * 2.0
    a = y[IDX]
    b = y[MASK]
    c = y[np.array((2, 1))]
    d = y[np.arange(0, 3, 2)]
    y[0] = 5.0 * x[1]
    y[2] = x[0]
    return np.sum(a * b) + np.sum(c * d) + np.sum(y * x)


def rnn(x):
    H = np.zeros((4, 2))
    H[0] = x[0:2]
    loss = 0.0
    for t in range(3):
        h = H[t]
        H[t + 1] = np.tanh(0.5 * h + x[1:3])
        loss = loss + np.sum(h * h)
    return loss + np.sum(H)


def rnn_from_one(x):
    H = np.zeros((4, 2))
    H[0] = x[0:2]
    h = H[0]
    for t in range(1, 4):
        h = H[t - 1]
        H[t] = np.tanh(0.5 * h + x[1:3])
    return np.sum(h) + np.sum(H * H)


def map_in_place(x):
    y = x * 2.0
    for i, v in enumerate(y):
        y[i] = v * v
    return np.sum(y * x)


def view_in_one_branch_write_in_the_other(x):
    y = x * 2.0
    if np.sum(x) > 0.0:
        w = y[0:2]
        s = np.sum(w)
    else:
        y[0] = 5.0
        s = np.sum(y)
    return s + np.sum(y * x)


def view_per_iteration_read_before_the_write(x):
    y = x * 2.0
    s = 0.0
    for i in range(2):
        w = y[i:i + 2]
        s = s + np.sum(w * w)
        y[i] = s * x[i]
    return s + np.sum(y)


@pytest.mark.parametrize("fn", [
    read_before_the_write, view_dead_after_the_write, no_views, element_of_a_vector,
    disjoint_constant_regions, integer_and_boolean_array_indices, rnn, rnn_from_one,
    map_in_place, view_in_one_branch_write_in_the_other, view_per_iteration_read_before_the_write,
])
def test_exact_programs_compile(fn):
    assert_exact(fn)


def test_map_in_place_over_the_rows_of_a_matrix():
    assert_exact(map_in_place, (np.outer(X, X[0:2]),))


INDEX = np.array([0, 2])


def indexed_by_a_module_array(x):
    y = x * 2.0
    w = y[INDEX]
    y[0] = 5.0  # write
    return np.sum(w * x[0:2])


def test_a_module_index_array_is_a_copy_while_the_name_holds_one():
    global INDEX
    assert_exact(indexed_by_a_module_array)
    saved = INDEX
    try:
        INDEX = slice(0, 2)  # now a view: the function is lowered, and checked, again
        assert_refused(indexed_by_a_module_array, "w", "y")
    finally:
        INDEX = saved
    assert_exact(indexed_by_a_module_array)


# ---- every view primitive, through an element write ----

VIEW_CALLS = {
    "getitem": lambda a: a[0:2],
    "np.einsum": lambda a: np.einsum("ij->ji", a),
    "transpose": lambda a: a.T,
    "np.transpose": np.transpose,
    "np.matrix_transpose": lambda a: np.matrix_transpose(a),
    "np.reshape": lambda a: np.reshape(a, (-1,)),
    "np.ravel": np.ravel,
    "np.squeeze": lambda a: np.squeeze(np.expand_dims(a, 0)),
    "np.expand_dims": lambda a: np.expand_dims(a, 0),
    "np.atleast_1d": np.atleast_1d,
    "np.atleast_2d": np.atleast_2d,
    "np.atleast_3d": np.atleast_3d,
    "np.moveaxis": lambda a: np.moveaxis(a, 0, -1),
    "np.swapaxes": lambda a: np.swapaxes(a, 0, 1),
    "np.rollaxis": lambda a: np.rollaxis(a, 1),
    "np.broadcast_arrays": lambda a: np.broadcast_arrays(a, np.ones((2, 1, 1)))[0],
    "np.broadcast_to": lambda a: np.broadcast_to(a, (2,) + np.shape(a)),
    "np.asarray": np.asarray,
    "np.asanyarray": np.asanyarray,
    "np.ascontiguousarray": np.ascontiguousarray,
    "np.asfortranarray": np.asfortranarray,
    "np.require": np.require,
    "np.asarray_chkfinite": np.asarray_chkfinite,
    "np.real_if_close": np.real_if_close,
    "np.real": np.real,
    "np.imag": np.imag,
    "np.flip": np.flip,
    "np.fliplr": np.fliplr,
    "np.flipud": np.flipud,
    "np.rot90": np.rot90,
    "np.diagonal": np.diagonal,
    "np.diag": np.diag,
    "np.trim_zeros": lambda a: np.trim_zeros(np.ravel(a)),
    "np.split": lambda a: np.split(a, 2)[0],
    "np.array_split": lambda a: np.array_split(a, 2)[1],
    "np.hsplit": lambda a: np.hsplit(a, 3)[0],
    "np.vsplit": lambda a: np.vsplit(a, 2)[1],
    "np.dsplit": lambda a: np.dsplit(np.reshape(a, (2, 3, 1)), 1)[0],
    "np.unstack": lambda a: np.unstack(a)[0],
}
"""How to call each primitive whose record says it may return a view (of a 2 x 3 array)."""

VIEW_PRIMS = sorted(p.name for p in PRIMITIVES if p.view)


def test_every_view_primitive_has_a_call_here():
    assert sorted(set(VIEW_PRIMS) - set(VIEW_CALLS)) == []


def check_compiled_or_refused(fn, x) -> None:
    """Compiled, `fn` gives NumPy's value and its gradient central differences' (in both
    modes); or the view check refuses it. Never a silently wrong value."""
    try:
        value, _ = ad_compiler.value_and_grad(fn)(np.copy(x))
        forward = ad_compiler.grad(fn, mode="forward")(np.copy(x))
    except UnsupportedError as err:
        assert "also changes" in err.message, err.message
        return
    np.testing.assert_allclose(value, fn(np.copy(x)), rtol=1e-12)
    expected = numeric_grad(fn, (np.copy(x),), 0)
    np.testing.assert_allclose(ad_compiler.grad(fn)(np.copy(x)), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(forward, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("prim", [p for p in VIEW_PRIMS if hasattr(np, p[3:]) or not p.startswith("np.")])
def test_every_view_primitive_through_an_element_write(prim: str) -> None:
    """The base written after the view is made, the view read (and the other way round):
    NumPy shows the write through both; the compiled code must too, or refuse."""
    view = VIEW_CALLS[prim]

    def write_base(x):
        a = x * 2.0
        y = view(a)
        a[0] = 5.0 * x[0]
        return np.sum(y * np.sum(a))

    def write_view(x):
        a = x * 2.0
        y = np.atleast_1d(view(a))
        y[0] = 7.0 * y[0]
        return np.sum(a * a)

    x = np.arange(1.0, 7.0).reshape(2, 3) / 7.0
    check_compiled_or_refused(write_base, x)
    check_compiled_or_refused(write_view, x)


# ---- augmented assignment: NumPy updates an array in place ----

def update_base_read_view(x):
    y = x * 2.0
    w = y[0:2]
    y += 1.0  # write
    return np.sum(w * x[0:2])


def update_read_by_another_name(x):
    z = x * 1.0
    a = z
    z *= 3.0  # write
    return np.sum(a * z)


def update_advice(x):
    y = x * 2.0
    w = y[0:2]
    y = y + 1.0
    return np.sum(w * x[0:2]) + np.sum(y)


def update_of_a_number(x):
    s = np.sum(x)
    old = s
    s += 1.0
    return s * old


def update_with_nothing_else_reading(x):
    acc = x * 0.0
    for i in range(3):
        acc += x * i
    return np.sum(acc)


def test_an_in_place_update_read_through_a_view_is_refused():
    err = assert_refused(update_base_read_view, "w", "y")
    assert "`y += ...`" in err.message and "`y = y + ...`" in err.message


def test_an_in_place_update_read_under_another_name_is_refused():
    err = assert_refused(update_read_by_another_name, "z")
    assert "`z = z * ...`" in err.message


@pytest.mark.parametrize("fn", [update_advice, update_of_a_number, update_with_nothing_else_reading])
def test_in_place_updates_that_agree_with_numpy(fn):
    assert_exact(fn)
