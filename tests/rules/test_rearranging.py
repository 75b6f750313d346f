"""The rules of the functions that rearrange arrays (`primitives/rearranging.py`, and the
ones added to `shapes.py` and `joining.py`: rollaxis, conversions, flatten, splitting,
broadcast_arrays, column_stack, ...), checked against central differences in four modes,
and their conventions: `np.add.at` semantics for indices taken twice, derivatives of 0
through conversions to integers, refusals of what is not differentiated.
"""

from __future__ import annotations

import numpy as np
import pytest

import ad_compiler
from ad_compiler.errors import CompileError, NoDerivativeError
from tests.numeric import numeric_grad
from tests.rules.checks import Spec, family_tests, numeric_jacobian

# ---- tiles and repeats ----


def tile_twice(x):
    return np.tile(x, 2)


def tile_more_axes(x):
    return np.tile(x, (2, 1, 3))


def tile_last_axes(x):
    return np.tile(x, (2, 2))


def tile_none(x):
    """No copy at all: x's derivative is the second term's."""
    return np.sum(np.tile(x, (0, 2))) + np.sum(x * x)


COUNTS = np.array([1, 0, 2])


def repeat_flat(x):
    return np.repeat(x, 2)


def repeat_rows(x):
    return np.repeat(x, 3, axis=0)


def repeat_counts(x):
    """Counts read from outside: known at run time only (the result's shape too)."""
    return np.repeat(x, COUNTS, axis=-1)


def repeat_listed(x):
    return np.repeat(x, [2, 1], axis=0)


def repeat_method(x):
    return x.repeat(2, axis=1)


# ---- flips, rotations, rolls ----


def flip_axis(x):
    return np.flip(x, 1)


def flip_axes(x):
    return np.flip(x, axis=(0, -1))


def rot90_twice(x):
    return np.rot90(x, 2)


def rot90_plane(x):
    return np.rot90(x, 3, axes=(2, 0))


def roll_flat(x):
    return np.roll(x, 2)


def roll_axis(x):
    return np.roll(x, -1, axis=1)


def roll_axes(x):
    return np.roll(x, (1, 2), axis=(0, 1))


# ---- pads ----


def pad_one(x):
    return np.pad(x, 1)


def pad_pairs(x):
    return np.pad(x, ((1, 0), (0, 2)), constant_values=3.0)


def pad_pair(x):
    return np.pad(x, (2, 1))


def pad_edge(x):
    return np.pad(x, (2, 1), mode="edge")


def pad_reflect(x):
    return np.pad(x, 2, mode="reflect")


def pad_symmetric(x):
    return np.pad(x, ((1, 2), (3, 1)), mode="symmetric")


def pad_wrap(x):
    return np.pad(x, 3, "wrap")


# ---- deleting, inserting, appending ----

MASK = np.array([True, False, True])


def delete_one(x):
    return np.delete(x, 1)


def delete_columns(x):
    return np.delete(x, [0, 2], axis=1)


def delete_masked(x):
    return np.delete(x, MASK, axis=-1)


def insert_number(x, v):
    return np.insert(x, 1, v)


def insert_columns(x, v):
    return np.insert(x, [1, 2], v, axis=1)


def insert_row(x, v):
    """A vector inserted as a row: NumPy broadcasts it where it goes."""
    return np.insert(x, 0, v * v, axis=0)


def append_flat(x, y):
    return np.append(x, y)


def append_rows(x, y):
    return np.append(x, y, axis=0)


# ---- taking ----

TAKEN = np.array([2, 0, 0])
TAKEN_2D = np.array([[1, 0], [1, 1]])
ALONG = np.array([[0, 0, 2], [1, 1, 1]])


def take_flat(x):
    return np.take(x, TAKEN)


def take_rows(x):
    return np.take(x, TAKEN[:2] - 1, axis=0)


def take_columns(x):
    return np.take(x, TAKEN_2D, axis=1)


def take_wrap(x):
    return np.take(x, [4, -1], axis=-1, mode="wrap")


def take_clip(x):
    return np.take(x, [5, 1, -3], mode="clip")


def take_method(x):
    return x.take(np.array([1, 1]), axis=0)


def take_along_rows(x):
    return np.take_along_axis(x, ALONG, axis=1)


def take_along_columns(x):
    return np.take_along_axis(x, np.array([[1], [0], [1]]), axis=0)


# ---- axes ----


def rollaxis_last(x):
    return np.rollaxis(x, 2)


def rollaxis_start(x):
    return np.rollaxis(x, 0, 3)


def rollaxis_negative(x):
    return np.rollaxis(x, -1, -2)


def squeeze_axes(x):
    return np.squeeze(x, axis=(0, 2))


def squeeze_method(x):
    return x.squeeze(0)


def expand_dims_axes(x):
    return np.expand_dims(x, (0, 2))


def matrix_transpose(x):
    return np.matrix_transpose(x)


def ravel_fortran(x):
    return np.ravel(x, order="F")


def reshape_fortran(x):
    return np.reshape(x, (3, 2), order="F")


def flatten_method(x):
    return x.flatten()


def flatten_fortran(x):
    return x.flatten("F")


# ---- copies and conversions ----


def copy_method(x):
    return x.copy()


def astype_float(x):
    return x.astype(dtype=float) * x


def astype_int(x):
    """Integers carry no derivative: only the second factor's."""
    return (x * 3.0).astype("int64") * x


def np_astype(x):
    return np.astype(x, "float64") * x


def asarray_int(x):
    return np.asarray(x * 3.0, dtype=int) * x


def array_ndmin(x):
    return np.array(x, ndmin=3)


# ---- splitting ----


def split_halves(x):
    a, b = np.split(x, 2)
    return a * b + np.sin(a)


def split_at(x):
    return np.split(x, [1, 3])[1]


def split_columns(x):
    a, b, c = np.split(x, 3, axis=1)
    return a * c


def array_split_columns(x):
    return np.array_split(x, 2, axis=1)[0]


def hsplit_columns(x):
    return np.hsplit(x, 3)[2] * 2.0


def hsplit_vector(x):
    return np.hsplit(x, [1])[1]


def vsplit_rows(x):
    return np.vsplit(x, 2)[1]


def dsplit_depth(x):
    return np.dsplit(x, [1])[0]


def unstack_columns(x):
    a, b = np.unstack(x, axis=-1)
    return a * b


def stacked_halves(x):
    return np.stack(np.split(x, 2)) * 2.0


def broadcast_both(x, y):
    a, b = np.broadcast_arrays(x, y)
    return a * b + a


def broadcast_second(x, y):
    return np.broadcast_arrays(x, y)[1]


# ---- joins that make their items alike first ----


def column_stack_list(x, y):
    return np.column_stack([x, y * 2.0])


def column_stack_tuple(x, y):
    return np.column_stack((x, y * 2.0))


def column_stack_array(x):
    return np.column_stack(x)


def dstack_list(x, y):
    return np.dstack([x, y])


def dstack_tuple(x, y):
    return np.dstack((x, y))


def row_stack_list(x, y):
    return np.row_stack([x, y])


def column_stack_rows(x):
    return np.column_stack([v * v for v in x])


def dstack_rows(x):
    return np.dstack([v * v for v in x])


def row_stack_rows(x):
    return np.row_stack([v * v for v in x])


SPECS = [
    Spec(np.tile, call=tile_twice, shapes=((2, 3),)),
    Spec(np.tile, call=tile_twice, shapes=((),)),
    Spec(np.tile, call=tile_more_axes, shapes=((3,),)),
    Spec(np.tile, call=tile_last_axes, shapes=((2, 2, 3),)),
    Spec(np.repeat, call=repeat_flat, shapes=((2, 3),)),
    Spec(np.repeat, call=repeat_flat, shapes=((),)),
    Spec(np.repeat, call=repeat_rows, shapes=((2, 3),)),
    Spec(np.repeat, call=repeat_counts, shapes=((2, 3),), known_shape=False, batched=False),
    Spec(np.repeat, call=repeat_listed, shapes=((2, 3),)),
    Spec(np.repeat, call=repeat_method, shapes=((3, 2),)),
    Spec(np.flip, shapes=((2, 3),)),
    Spec(np.flip, call=flip_axis, shapes=((2, 3),)),
    Spec(np.flip, call=flip_axes, shapes=((2, 3, 2),)),
    Spec(np.fliplr, shapes=((2, 3),)),
    Spec(np.flipud, shapes=((3,),)),
    Spec(np.flipud, shapes=((3, 2),)),
    Spec(np.rot90, shapes=((2, 3),)),
    Spec(np.rot90, call=rot90_twice, shapes=((3, 3),)),
    Spec(np.rot90, call=rot90_plane, shapes=((2, 3, 2),)),
    Spec(np.roll, call=roll_flat, shapes=((2, 3),)),
    Spec(np.roll, call=roll_axis, shapes=((2, 3),)),
    Spec(np.roll, call=roll_axes, shapes=((2, 3),)),
    Spec(np.pad, call=pad_one, shapes=((2, 3),)),
    Spec(np.pad, call=pad_one, shapes=((3,),)),
    Spec(np.pad, call=pad_pairs, shapes=((2, 3),)),
    Spec(np.pad, call=pad_pair, shapes=((3, 2),)),
    Spec(np.pad, call=pad_edge, shapes=((3,),)),
    Spec(np.pad, call=pad_reflect, shapes=((3, 3),)),
    Spec(np.pad, call=pad_symmetric, shapes=((2, 3),)),
    Spec(np.pad, call=pad_wrap, shapes=((2, 3),)),
    Spec(np.delete, call=delete_one, shapes=((2, 3),)),
    Spec(np.delete, call=delete_columns, shapes=((2, 3),)),
    Spec(np.delete, call=delete_masked, shapes=((2, 3),), known_shape=False, batched=False),
    Spec(np.insert, 2, call=insert_number, shapes=((2, 3), ())),
    Spec(np.insert, 2, call=insert_columns, shapes=((2, 3), (2, 1))),
    Spec(np.insert, 2, call=insert_row, shapes=((2, 3), (3,))),
    Spec(np.append, 2, call=append_flat, shapes=((2, 3), (2,))),
    Spec(np.append, 2, call=append_flat, shapes=((3,), ())),
    Spec(np.append, 2, call=append_rows, shapes=((2, 3), (1, 3))),
    Spec(np.take, call=take_flat, shapes=((3,),)),
    Spec(np.take, call=take_flat, shapes=((2, 2),)),
    Spec(np.take, call=take_rows, shapes=((3, 2),)),
    Spec(np.take, call=take_columns, shapes=((2, 3),)),
    Spec(np.take, call=take_wrap, shapes=((2, 3),)),
    Spec(np.take, call=take_clip, shapes=((2, 3),)),
    Spec(np.take, call=take_method, shapes=((2, 3),)),
    Spec(np.take_along_axis, call=take_along_rows, shapes=((2, 3),)),
    Spec(np.take_along_axis, call=take_along_columns, shapes=((3, 2),)),
    Spec(np.rollaxis, call=rollaxis_last, shapes=((2, 3, 4),)),
    Spec(np.rollaxis, call=rollaxis_start, shapes=((2, 3, 4),)),
    Spec(np.rollaxis, call=rollaxis_negative, shapes=((2, 3, 4),)),
    Spec(np.atleast_3d, shapes=((),)),
    Spec(np.atleast_3d, shapes=((3,),)),
    Spec(np.atleast_3d, shapes=((2, 3),)),
    Spec(np.squeeze, call=squeeze_axes, shapes=((1, 3, 1),)),
    Spec(np.squeeze, call=squeeze_method, shapes=((1, 3),)),
    Spec(np.expand_dims, call=expand_dims_axes, shapes=((3,),)),
    Spec(np.matrix_transpose, call=matrix_transpose, shapes=((2, 2, 3),)),
    Spec(np.matrix_transpose, call=matrix_transpose, shapes=((3, 2),)),
    Spec(np.ravel, call=ravel_fortran, shapes=((2, 3),)),
    Spec(np.reshape, call=reshape_fortran, shapes=((2, 3),)),
    Spec("np.ndarray.flatten", call=flatten_method, shapes=((2, 3),)),
    Spec("np.ndarray.flatten", call=flatten_fortran, shapes=((2, 3, 2),)),
    Spec(np.copy, call=copy_method, shapes=((2, 3),)),
    Spec(np.asanyarray, shapes=((3,),)),
    Spec(np.ascontiguousarray, shapes=((2, 3),)),
    Spec(np.ascontiguousarray, shapes=((),)),
    Spec(np.asfortranarray, shapes=((2, 3),)),
    Spec(np.array, call=astype_float, shapes=((2, 3),)),
    Spec(np.array, call=astype_int, shapes=((3,),)),
    Spec(np.array, call=array_ndmin, shapes=((3,),)),
    Spec(np.asarray, call=asarray_int, shapes=((3,),)),
    Spec(np.astype, call=np_astype, shapes=((3,),)),
    # a list's items read, to second order forward over reverse (`test_split_second_order`)
    Spec(np.split, call=split_halves, shapes=((4,),), smooth=False),
    Spec(np.split, call=split_at, shapes=((4,),), known_shape=False, batched=False, smooth=False),
    Spec(np.split, call=split_columns, shapes=((2, 3),), smooth=False),
    Spec(np.split, call=stacked_halves, shapes=((2, 2),), known_shape=False, batched=False, smooth=False),
    Spec(np.array_split, call=array_split_columns, shapes=((2, 3),), known_shape=False, batched=False,
         smooth=False),
    Spec(np.hsplit, call=hsplit_columns, shapes=((2, 3),), smooth=False),
    Spec(np.hsplit, call=hsplit_vector, shapes=((3,),), known_shape=False, batched=False, smooth=False),
    Spec(np.vsplit, call=vsplit_rows, shapes=((2, 3),), smooth=False),
    Spec(np.dsplit, call=dsplit_depth, shapes=((2, 1, 3),), known_shape=False, batched=False, smooth=False),
    Spec(np.unstack, call=unstack_columns, shapes=((3, 2),), smooth=False),
    Spec(np.broadcast_arrays, 2, call=broadcast_both, shapes=((2, 3), (3,)), smooth=False),
    Spec(np.broadcast_arrays, 2, call=broadcast_second, shapes=((2, 1), (3,)), smooth=False),
    Spec(np.column_stack, 2, call=column_stack_list, shapes=((3,), (3,))),
    Spec(np.column_stack, 2, call=column_stack_list, shapes=((2, 3), (2, 3))),
    Spec(np.column_stack, call=column_stack_array, shapes=((2, 3),)),
    Spec(np.column_stack, 2, call=column_stack_tuple, shapes=((3,), (3,))),
    Spec(np.column_stack, 2, call=column_stack_tuple, shapes=((3, 2), (3,))),
    Spec(np.column_stack, 2, call=column_stack_tuple, shapes=((), ()), batched=False),  # (numbers: plain passes)
    Spec(np.dstack, 2, call=dstack_list, shapes=((2, 3), (2, 3))),
    Spec(np.dstack, 2, call=dstack_list, shapes=((3,), (3,))),
    Spec(np.dstack, 2, call=dstack_tuple, shapes=((2, 3), (2, 3))),
    Spec(np.dstack, 2, call=dstack_tuple, shapes=((2, 3, 2), (2, 3))),
    *([Spec(np.row_stack, 2, call=row_stack_list, shapes=((3,), (3,)))] if hasattr(np, "row_stack") else []),
    # of a list known only at run time (a comprehension over an array)
    Spec("np.column_stack*", call=column_stack_rows, shapes=((3, 2),), known_shape=False),
    Spec("np.column_stack*", call=column_stack_rows, shapes=((2, 3, 2),), known_shape=False),
    Spec("np.dstack*", call=dstack_rows, shapes=((3, 2),), known_shape=False),
    *([Spec("np.row_stack*", call=row_stack_rows, shapes=((3, 2),), known_shape=False)]
      if hasattr(np, "row_stack") else []),
]

test_reverse, test_forward, test_batched, test_second_order = family_tests(SPECS)

MODES = ("reverse", "forward")
X = np.array([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4]])


def assert_gradient(f, x, expected=None):
    """f's gradient in both modes, specialized and generic, is `expected` (by default:
    central differences)."""
    expected = numeric_grad(f, (x,), 0) if expected is None else expected
    for mode in MODES:
        np.testing.assert_allclose(ad_compiler.grad(f, mode=mode)(x), expected, rtol=1e-6, atol=1e-9, err_msg=mode)
    np.testing.assert_allclose(ad_compiler.grad(f).generic(x), expected, rtol=1e-6, atol=1e-9, err_msg="generic")


# ---- conventions ----

def take_twice(x):
    return np.sum(np.take(x, [2, 0, 0, 2, 2]) * np.array([1.0, 2.0, 3.0, 4.0, 5.0]))


def test_an_element_taken_twice_gets_both_cotangents():
    """np.add.at semantics: every selection of an element adds its cotangent."""
    assert_gradient(take_twice, np.array([0.1, 0.2, 0.3]), np.array([5.0, 0.0, 10.0]))


def edge_pad(x):
    return np.sum(np.pad(x, (2, 1), mode="edge") * np.arange(1.0, 7.0))


def test_an_edge_pad_adds_its_copies_cotangents_to_the_edge():
    assert_gradient(edge_pad, np.array([0.1, 0.2, 0.3]), np.array([1.0 + 2.0 + 3.0, 4.0, 5.0 + 6.0]))


def tile_rows(x):
    return np.sum(np.tile(x, (2, 2)) * np.arange(24.0).reshape(4, 6))


def test_a_tile_sums_its_copies_cotangents():
    w = np.arange(24.0).reshape(4, 6)
    expected = w[:2, :3] + w[:2, 3:] + w[2:, :3] + w[2:, 3:]
    assert_gradient(tile_rows, X, expected)


def test_a_tile_without_copies_has_derivative_zero():
    assert_gradient(tile_none, X[0], 2.0 * X[0])


def ints_times(x):
    return np.sum(np.asarray(x * 3.0, dtype=int) * x) + np.sum((x * 2.0).astype("int32") * x)


def test_a_conversion_to_integers_has_derivative_zero():
    """Specialized, the integers' kind stops the derivative; in generic code (kinds not
    known) the rule gives it 0 at run time."""
    assert_gradient(ints_times, X, np.trunc(X * 3.0) + np.trunc(X * 2.0))


def float32_times(x):
    return np.sum(x.astype("float32") * np.array([1.0, 2.0, 3.0]))


def test_a_conversion_to_float32_has_derivative_one():
    """Central differences of a float32 result are rounded: the derivative is checked
    against its value, 1 per element."""
    for mode in MODES:
        grad = ad_compiler.grad(float32_times, mode=mode)(X[0])
        np.testing.assert_allclose(grad, [1.0, 2.0, 3.0], rtol=1e-7, err_msg=mode)


def pad_mean(x):
    return np.sum(np.pad(x, 1, mode="mean"))


def pad_odd(x):
    return np.sum(np.pad(x, 1, mode="reflect", reflect_type="odd"))


def reshape_any_order(x):
    return np.sum(np.reshape(x, (3, 2), order="A") * X.T)


def pad_by_data(x):
    return np.pad(x, int(np.sum(x) > 0))


@pytest.mark.parametrize("f, message", [
    (pad_mean, "np.pad with mode='mean' has no derivative rule"),
    (pad_odd, "reflect_type='odd'"),
    (reshape_any_order, "a reshape in order 'A' has no derivative rule"),
    (pad_by_data, "pad widths and a mode known when the function is compiled"),
], ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("mode", MODES)
def test_what_is_not_differentiated_is_refused(f, message, mode):
    with pytest.raises(NoDerivativeError, match=message):
        ad_compiler.grad(f, mode=mode)(X)


def column_stack_tuple_summed(x):
    return np.sum(np.column_stack((x, x * x)) * np.arange(6.0).reshape(3, 2))


def test_column_stack_of_items_of_several_ranks():
    """Each item of np.column_stack is an operand with its own derivative, in every mode
    (a vector joined as a column beside a matrix)."""
    x = np.array([0.1, 0.2, 0.3])
    expected = numeric_grad(column_stack_tuple_summed, (x,), 0)
    for mode in MODES:
        np.testing.assert_allclose(ad_compiler.grad(column_stack_tuple_summed, mode=mode)(x), expected, rtol=1e-6)
    np.testing.assert_allclose(ad_compiler.grad(column_stack_tuple_summed).generic(x), expected, rtol=1e-6)
    jacobian = ad_compiler.jacfwd(lambda x: np.column_stack((np.outer(x, x), x * x)))
    np.testing.assert_allclose(jacobian(x)[:, 3, :], np.diag(2.0 * x))
    np.testing.assert_allclose(jacobian(x)[1, 1, :], [0.0, 2 * x[1], 0.0])


# ---- lists of views: splitting ----

def split_pairs(x):
    a, b = np.split(x, 2)
    return np.sum(a * b) + np.sum(np.sin(a))


def split_middle(x):
    return np.sum(np.split(x, [1, 3])[1] ** 2)


def split_loop(x):
    s = 0.0
    for part in np.split(x, 3, axis=1):
        s = s + np.sum(part * part[0])
    return s


@pytest.mark.parametrize("f, x", [(split_pairs, np.array([0.3, 0.5, 0.7, 1.1])),
                                  (split_middle, np.array([0.3, 0.5, 0.7, 1.1])),
                                  (split_loop, X)], ids=lambda v: getattr(v, "__name__", ""))
def test_items_of_a_split_differentiate(f, x):
    """Unpacked, indexed, iterated: the cotangent is the list of the items' cotangents."""
    assert_gradient(f, x)


@pytest.mark.parametrize("f, x", [(split_pairs, np.array([0.3, 0.5, 0.7, 1.1])),
                                  (split_loop, X)], ids=lambda v: getattr(v, "__name__", ""))
def test_split_second_order(f, x):
    """Forward over reverse (hessian) against central differences of the gradient."""
    expected = numeric_jacobian(ad_compiler.grad(f), (x,), 0)
    np.testing.assert_allclose(ad_compiler.hessian(f)(x), expected, rtol=1e-5, atol=1e-7)


def split_items_along(x):
    return np.sum(ad_compiler.grad(split_pairs)(x) * np.array([0.3, -0.2, 0.5, 0.1]))


def list_items_along(x):
    return np.sum(ad_compiler.grad(list_items)(x) * np.array([[0.3, -0.2], [0.5, 0.1]]))


def list_items(x):
    hs = list(x)
    return np.sum(hs[0] * hs[1])


@pytest.mark.parametrize("f, x", [(split_items_along, np.array([0.3, 0.5, 0.7, 1.1])),
                                  (list_items_along, np.array([[1.0, 2.0], [3.0, 4.0]]))],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_reverse_over_reverse_of_list_items(f, x):
    """The first sweep writes items of a list's adjoint; the second reverses those writes."""
    np.testing.assert_allclose(ad_compiler.grad(f)(x), numeric_grad(f, (x,), 0), rtol=1e-6, atol=1e-9)


def test_a_write_through_a_split_reaches_its_base():
    """np.split gives views: NumPy shows a write into one in the array (and the compiled
    code must too, or refuse)."""

    def written(x):
        y = x * 2.0
        a, b = np.split(y, 2)
        a[0] = 5.0 * x[1]
        return np.sum(y * x)

    x = np.array([0.3, 0.5, 0.7, 1.1])
    try:
        value, grad = ad_compiler.value_and_grad(written)(np.copy(x))
    except CompileError as err:
        assert "also changes" in err.message, err.message
        return
    assert value == pytest.approx(written(np.copy(x)))
    np.testing.assert_allclose(grad, numeric_grad(written, (x,), 0), rtol=1e-6)


# ---- generic code (kinds not known) ----

def pad_roll_flip(x):
    return np.sum(np.flip(np.roll(np.pad(x, ((1, 0), (0, 2))), 2, axis=1)) * np.arange(15.0).reshape(3, 5))


def insert_delete(x):
    return np.sum(np.insert(np.delete(x, 1, axis=1), [0, 1], x[:, 1:2] ** 2, axis=1) * np.arange(8.0).reshape(2, 4))


def rolled_repeated(x):
    return np.sum(np.repeat(np.rollaxis(x[None], 2), COUNTS, axis=0) * np.arange(6.0).reshape(3, 1, 2))


@pytest.mark.parametrize("f", [pad_roll_flip, insert_delete, rolled_repeated], ids=lambda f: f.__name__)
def test_compositions_in_generic_code(f):
    assert_gradient(f, X)


def moved_by_data(x):
    s = int(np.sum(x) > 0)  # (an axis known only at run time)
    return np.sum(np.moveaxis(x, s, 0)[0] ** 3 + np.swapaxes(x, s, -1)[..., 0] ** 2)


def test_axes_known_only_at_run_time_in_batched_forward_mode():
    """A rule's axis arithmetic (`batch_axis`) on an axis the program computes runs in the
    emitted code: jacfwd and the Hessian of np.moveaxis/np.swapaxes of such an axis."""
    x = np.arange(6.0).reshape(2, 3) / 7 + 0.1
    np.testing.assert_allclose(ad_compiler.jacfwd(moved_by_data)(x), numeric_grad(moved_by_data, (x,), 0),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ad_compiler.hessian(moved_by_data)(x).reshape(6, 6),
                               numeric_jacobian(ad_compiler.grad(moved_by_data), (x,), 0).reshape(6, 6),
                               rtol=1e-6, atol=1e-8)


# ---- NumPy's index tricks: np.r_ and np.c_ are joins ----

def index_tricks(x):
    rows = np.r_[x, x * 2.0, 1.5]
    columns = np.c_[x, x ** 3]
    return np.sum(rows ** 2) + np.sum(columns * np.arange(6.0).reshape(3, 2)) + np.sum(np.r_[np.outer(x, x), columns.T])


@pytest.mark.parametrize("mode", MODES)
def test_r_and_c_are_joins(mode):
    """np.r_[x, y] indexes an object with the arrays to join: it was an index into a
    constant, whose derivative is zero (silently)."""
    x = np.array([0.3, -0.4, 1.2])
    expected = numeric_grad(index_tricks, (x,), 0)
    np.testing.assert_allclose(ad_compiler.grad(index_tricks, mode=mode)(x), expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ad_compiler.grad(index_tricks, mode=mode).generic(x), expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ad_compiler.hessian(index_tricks)(x), numeric_jacobian(ad_compiler.grad(index_tricks),
                                                                                       (x,), 0), rtol=1e-5, atol=1e-7)


class Lookup:
    def __getitem__(self, key):
        return key * 3.0


LOOKUP = Lookup()


def indexes_an_object(x):
    return np.sum(LOOKUP[x])


def test_indexing_an_object_with_its_own_getitem_is_not_an_array_index():
    """Its __getitem__ runs as written, with no derivative: refused, not zero."""
    with pytest.raises(NoDerivativeError, match="runs its __getitem__ as written"):
        ad_compiler.grad(indexes_an_object)(np.array([0.3, 0.5]))
