"""Calls of the functions that rearrange arrays (`primitives/rearranging.py`, and those of
`shapes.py` and `joining.py` that the family tables of tests/rules/test_rearranging.py
test): tiles, repeats, flips, rolls, pads, deletions, insertions, takes, splits (an item
of the list read), conversions. Their results are the grammar's shapes, from operands of
those shapes; a view's form says so (the grammar then tracks the memory it shares)."""

from __future__ import annotations

import numpy as np

from .forms import Form, only, same


def matrices(shape):
    """The operand of a function of a matrix that keeps its shape."""
    return (shape,) if len(shape) == 2 else None


def arrays(shape):
    """The operand of a function of an array (not a number) that keeps its shape."""
    return (shape,) if shape else None


def transposed(shape):
    """The operand of a function that swaps a matrix's axes."""
    return (shape[::-1],) if len(shape) == 2 else None


FORMS = [
    Form("np.tile({0}, (2, 1))", only((2, 3), (3,)), ("np.tile",), weight=0.5),
    Form("np.tile({0}, 3)", only((3,), ()), ("np.tile",), weight=0.5),
    Form("np.tile({0}, (1, 3))", only((3, 3), (3, 1)), ("np.tile",), weight=0.3),
    Form("np.repeat({0}, 2)", only((2,), ()), ("np.repeat",), weight=0.5),
    Form("np.repeat({0}, [2, 1], axis=0)", only((3, 3), (2, 3)), ("np.repeat",), weight=0.5),
    Form("{0}[:, None].repeat(2, axis=1)", only((3, 2), (3,)), ("np.repeat",), weight=0.3),
    Form("np.flip({0})", same(), ("np.flip",), view=True, weight=0.5),
    Form("np.flip({0}, -1)", arrays, ("np.flip",), view=True, weight=0.5),
    Form("np.fliplr({0})", matrices, ("np.fliplr",), view=True, weight=0.3),
    Form("np.flipud({0})", arrays, ("np.flipud",), view=True, weight=0.3),
    Form("np.rot90({0})", transposed, ("np.rot90",), view=True, weight=0.5),
    Form("np.roll({0}, 1)", same(), ("np.roll",), weight=0.5),
    Form("np.roll({0}, (1, -1), axis=(0, 1))", matrices, ("np.roll",), weight=0.3),
    Form("np.pad({0}, (1, 0))", only((3,), (2,)), ("np.pad",), weight=0.3),
    Form("np.pad({0}, ((0, 1), (0, 0)), constant_values=0.5)", only((3, 3), (2, 3)), ("np.pad",), weight=0.3),
    Form("np.pad({0}, (0, 1), mode='edge')", only((3,), (2,)), ("np.pad",), weight=0.3),
    Form("np.pad({0}, ((0, 1), (0, 0)), mode='reflect')", only((3, 3), (2, 3)), ("np.pad",), weight=0.3),
    Form("np.pad({0}, ((0, 0), (1, 0)), mode='wrap')", only((3, 3), (3, 2)), ("np.pad",), weight=0.3),
    Form("np.pad({0}, (1, 0), mode='symmetric')", only((3,), (2,)), ("np.pad",), weight=0.3),
    Form("np.delete({0}, 1)", only((2,), (3,)), ("np.delete",), weight=0.3),
    Form("np.delete({0}, [2], axis=1)", only((3, 2), (3, 3)), ("np.delete",), weight=0.3),
    Form("np.insert({0}, 1, {1})", only((3,), (2,), ()), ("np.insert",), weight=0.5),
    Form("np.insert({0}, 2, {1}, axis=0)", only((3, 3), (2, 3), (3,)), ("np.insert",), weight=0.3),
    Form("np.append({0}, {1})", only((3,), (2,), ()), ("np.append",), weight=0.5),
    Form("np.append({0}, {1}[None], axis=0)", only((3, 3), (2, 3), (3,)), ("np.append",), weight=0.3),
    Form("np.take({0}, [2, 0, 0])", only((3,), (3,)), ("np.take",), weight=0.5),
    Form("np.take({0}, [0, 2], axis=0)", only((2, 3), (3, 3)), ("np.take",), weight=0.3),
    Form("{0}.take((1, 1, 0), axis=-1)", only((3, 3), (3, 3)), ("np.take",), weight=0.3),
    Form("np.take_along_axis({0}, np.array([[0, 0, 2], [1, 1, 1]]), axis=1)", only((2, 3), (2, 3)),
         ("np.take_along_axis",), weight=0.3),
    Form("np.rollaxis({0}, 1)", transposed, ("np.rollaxis",), view=True, weight=0.3),
    Form("np.atleast_3d({0})[:, :, 0]", matrices, ("np.atleast_3d",), view=True, weight=0.3),
    Form("np.matrix_transpose({0})", transposed, ("np.matrix_transpose",), view=True, weight=0.3),
    Form("np.asanyarray({0})", same(), ("np.asanyarray",), view=True, weight=0.2),
    Form("np.ascontiguousarray({0})", arrays, ("np.ascontiguousarray",), view=True, weight=0.2),
    Form("np.asfortranarray({0})", arrays, ("np.asfortranarray",), view=True, weight=0.2),
    Form("np.astype({0}, 'float64')", arrays, ("np.astype",), weight=0.2),
    Form("{0}.astype('float64')", arrays, ("np.array",), weight=0.2),
    Form("{0}.flatten()[1:4]", only((3,), (2, 3)), ("np.ndarray.flatten",), weight=0.3),
    Form("{0}.flatten('F')[:2]", only((2,), (3, 2)), ("np.ndarray.flatten",), weight=0.3),
    Form("np.split({0}, [1])[1]", only((2, 3), (3, 3)), ("np.split",), view=True, weight=0.5),
    Form("np.array_split({0}, 2, axis=1)[0]", only((3, 2), (3, 3)), ("np.array_split",), view=True, weight=0.3),
    Form("np.hsplit({0}, [1])[1]", only((3, 2), (3, 3)), ("np.hsplit",), view=True, weight=0.3),
    Form("np.vsplit({0}, [1])[1]", only((2, 3), (3, 3)), ("np.vsplit",), view=True, weight=0.3),
    Form("np.dsplit({0}[:, :, None], 1)[0][:, :, 0]", matrices, ("np.dsplit",), view=True, weight=0.3),
    Form("np.unstack({0})[1]", only((3,), (2, 3)), ("np.unstack",), view=True, weight=0.3),
    Form("np.broadcast_arrays({0}, {1})[0] * 2.0", only((2, 3), (3,), (2, 3)), ("np.broadcast_arrays",),
         weight=0.3),
    Form("np.column_stack([{0}, {1}])", only((3, 2), (3,), (3,)), ("np.column_stack",), weight=0.3),
    Form("np.dstack([{0}, {1}])[0]", only((3, 2), (2, 3), (2, 3)), ("np.dstack",), weight=0.3),
    *([Form("np.row_stack([{0}, {1}])", only((2, 3), (3,), (3,)), ("np.row_stack",), weight=0.1)]
      if hasattr(np, "row_stack") else []),  # (deprecated in NumPy 2.0)
    Form("{0}[[2, 0, 2]]", only((3,), (3,)), ("getitem",), weight=0.2),
    Form("{0}[[1, 0]]", only((2, 3), (2, 3)), ("getitem",), weight=0.2),
    Form("np.r_[{0}, {1} * 2.0]", only((6,), (3,), (3,)), ("np.concatenate",), weight=0.2),
    Form("np.c_[{0}, {1}]", only((3, 3), (3, 2), (3,)), ("np.concatenate",), weight=0.2),
    # of a list known only at run time (a comprehension over an array's rows)
    Form("np.column_stack([v * v for v in {0}])", only((2, 3), (3, 2)), ("np.column_stack*",), weight=0.2),
    Form("np.dstack([v for v in {0}])[0]", only((3, 2), (2, 3)), ("np.dstack*",), weight=0.2),
    *([Form("np.row_stack([v * 2.0 for v in {0}])", only((3, 2), (3, 2)), ("np.row_stack*",), weight=0.1)]
      if hasattr(np, "row_stack") else []),
]
