"""Calls of the products and contractions (`primitives/products.py`,
`primitives/contractions.py`): np.dot of numbers and matrices, np.inner, np.vdot,
np.vecdot, np.matvec, np.vecmat, np.kron, np.tensordot, np.cross, np.einsum, and the
diagonals and triangles (np.trace, np.diagonal, np.diag, np.tril, np.triu). Each result has one of the grammar's shapes,
made from operands of its shapes (a contracted axis of length 3)."""

from __future__ import annotations

import numpy as np

from .forms import Form, only
from .scope import Shape


def product(shape: Shape) -> tuple[Shape, ...] | None:
    """Operands of a matrix product (a vector for a missing axis) giving `shape`."""
    if len(shape) == 0:
        return (3,), (3,)
    if len(shape) == 1:
        return (shape[0], 3), (3,)
    return (shape[0], 3), (3, shape[1])


def by_number(shape: Shape) -> tuple[Shape, ...] | None:
    return (), shape


def inner(shape: Shape) -> tuple[Shape, ...] | None:
    """Operands of np.inner giving `shape`: their last axes contracted."""
    if len(shape) == 0:
        return (3,), (3,)
    if len(shape) == 1:
        return (shape[0], 3), (3,)
    return (shape[0], 3), (shape[1], 3)


def first_axes(shape: Shape) -> tuple[Shape, ...] | None:
    """Operands of a contraction of their first axes giving a matrix."""
    return ((3, shape[0]), (3, shape[1])) if len(shape) == 2 else None


def matrices(shape: Shape) -> tuple[Shape, ...] | None:
    return (shape,) if len(shape) == 2 else None


def vectors_of_3(shape: Shape) -> tuple[Shape, ...] | None:
    """Operands of np.cross giving `shape`: stacks of 3-vectors, one broadcast."""
    return (shape, (3,)) if shape and shape[-1] == 3 else None


def rows(shape: Shape) -> tuple[Shape, ...] | None:
    """Operands of a row-wise contraction giving a vector (or a number)."""
    if len(shape) > 1:
        return None
    return ((shape[0], 3), (shape[0], 3)) if shape else ((3,), (3,))


def matrix_vector(shape: Shape) -> tuple[Shape, ...] | None:
    """Operands of np.matvec giving `shape`: a matrix times a vector, or times a stack of
    vectors (the rows of the result)."""
    if len(shape) == 1:
        return (shape[0], 3), (3,)
    return ((shape[1], 3), (shape[0], 3)) if len(shape) == 2 else None


def vector_matrix(shape: Shape) -> tuple[Shape, ...] | None:
    """Operands of np.vecmat giving `shape`: a vector, or a stack of them, times a matrix."""
    if len(shape) == 1:
        return (3,), (3, shape[0])
    return ((shape[0], 3), (3, shape[1])) if len(shape) == 2 else None


FORMS = [
    Form("np.dot({0}, {1})", product, ("np.dot",), weight=0.5),
    Form("np.dot({0}, {1})", by_number, ("np.dot",), weight=0.3),
    Form("np.inner({0}, {1})", inner, ("np.inner",), weight=0.4),
    Form("np.inner({0}, {1})", by_number, ("np.inner",), weight=0.2),
    *([Form("np.vecdot({0}, {1})", lambda s: inner(s) if len(s) < 2 else None, ("np.vecdot",), weight=0.3),
       Form("np.vecdot({0}, {1}, axis=0)", only((2,), (3, 2), (3,)), ("np.vecdot",), weight=0.2)]
      if hasattr(np, "vecdot") else []),
    *([Form("np.matvec({0}, {1})", matrix_vector, ("np.matvec",), weight=0.3),
       Form("np.vecmat({0}, {1})", vector_matrix, ("np.vecmat",), weight=0.3)]
      if hasattr(np, "matvec") else []),
    Form("np.outer({0}, {1})", lambda s: ((s[0],), (s[1],)) if len(s) == 2 else None, ("np.outer",), weight=0.2),
    Form("np.vdot({0}, {1})", only((), (2, 3), (3, 2)), ("np.vdot",), weight=0.3),
    Form("np.kron({0}, {1}).reshape(2, 3)", only((2, 3), (2,), (3,)), ("np.kron",), weight=0.2),
    Form("np.kron({0}, {1})[:3, :3]", only((3, 3), (2, 3), (2, 3)), ("np.kron",), weight=0.2),
    Form("np.kron({0}, {1})", by_number, ("np.kron",), weight=0.2),
    Form("np.tensordot({0}, {1}, axes=1)", product, ("np.tensordot",), weight=0.3),
    Form("np.tensordot({0}, {1}, axes=((0,), (0,)))", first_axes, ("np.tensordot",), weight=0.3),
    Form("np.tensordot({0}, {1})", only((), (2, 3), (2, 3)), ("np.tensordot",), weight=0.2),
    Form("np.cross({0}, {1})", vectors_of_3, ("np.cross",), weight=0.4),
    Form("np.cross({0}, {1}, axis=0)", only((3, 2), (3, 2), (3, 2)), ("np.cross",), weight=0.2),
    Form("np.einsum('ij,jk->ik', {0}, {1})", lambda s: product(s) if len(s) == 2 else None, ("np.einsum",),
         weight=0.3),
    Form("np.einsum('...i,...i', {0}, {1})", rows, ("np.einsum",), weight=0.3),
    Form("np.einsum('ii->i', {0})", only((3,), (3, 3)), ("np.einsum",), weight=0.2),
    Form("np.einsum({0}, [0, 1], {1}, [1, 2], [0, 2])", lambda s: product(s) if len(s) == 2 else None,
         ("np.einsum",), weight=0.2),
    Form("np.einsum('ij->', {0})", only((), (2, 3)), ("np.einsum",), weight=0.2),
    Form("np.trace({0})", only((), (3, 3)), ("np.trace",), weight=0.3),
    Form("np.trace({0}, 1)", only((), (2, 3)), ("np.trace",), weight=0.2),
    Form("np.diagonal({0})", only((3,), (3, 3)), ("np.diagonal",), view=True, weight=0.3),
    Form("np.diagonal({0}, -1)", only((2,), (3, 3)), ("np.diagonal",), view=True, weight=0.2),
    Form("np.diag({0})", only((3, 3), (3,)), ("np.diag",), weight=0.3),
    Form("np.diag({0}, 1)", only((3, 3), (2,)), ("np.diag",), weight=0.2),
    Form("np.diag({0})", only((2,), (2, 3)), ("np.diag",), view=True, weight=0.2),
    Form("np.tril({0})", matrices, ("np.tril",), weight=0.3),
    Form("np.triu({0}, 1)", matrices, ("np.triu",), weight=0.3),
]
