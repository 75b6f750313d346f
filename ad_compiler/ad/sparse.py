"""Sparse Jacobians by compressed forward passes (Curtis, Powell and Reid; as in CasADi,
ColPack and Tapenade's sparse mode).

Two columns of a Jacobian that share no row can be found with one forward direction: the
sum of their unit vectors. A greedy colouring of the columns (columns that share a row
get different colours) gives c directions, one per colour; one batched forward pass
along them computes J @ S, whose column k holds, in each row, the one entry of that row
whose column has colour k. The nonzeros are then read out of it at constant positions.
A bundle adjustment's Jacobian (15 nonzeros a row) needs as many passes as colours,
whatever the number of cameras and points, where a dense forward Jacobian needs one per
parameter.

The pattern is given (`jacobian(f, sparsity=...)`) or detected from the function
(`sparsity="detect"`, `ad/sparsity.py`): an entry outside it is taken to be zero, and the
colouring relies on it. The compiled function returns the nonzeros in the
pattern's row-major (CSR) order; the API makes the sparse matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import NoDerivativeError
from ..ir import Const, Function, Op, Operand, Value
from ..ir.clone import clone_function
from .forward import jvp_function
from .kinds import shape_of


@dataclass(frozen=True, eq=False)
class Sparsity:
    """Where a Jacobian (`shape`: outputs x inputs, each flattened) may be nonzero: the
    entries (`rows[k]`, `cols[k]`), sorted by row then column; and a colouring of its
    columns. Compared by identity: a transform holds one."""

    shape: tuple[int, int]
    rows: np.ndarray = field(repr=False)
    cols: np.ndarray = field(repr=False)
    colours: np.ndarray = field(repr=False)
    dense: tuple[str, ...] = ()
    """Of a detected pattern: the prims detection took as dense (each result element
    depending on every element of their operands)."""

    @property
    def count(self) -> int:
        """How many colours (forward directions) the columns need."""
        return int(self.colours.max()) + 1 if self.colours.size else 0

    @property
    def indptr(self) -> np.ndarray:
        """Where each row's entries start (CSR)."""
        return np.searchsorted(self.rows, np.arange(self.shape[0] + 1)).astype(np.int64)


def sparsity_of(pattern: object) -> Sparsity:
    """A `Sparsity` from a boolean (or 0/1) 2-D array or a SciPy sparse matrix or array,
    outputs by inputs."""
    if hasattr(pattern, "tocoo"):  # a SciPy sparse matrix: its stored entries
        coo = pattern.tocoo()
        rows, cols, shape = np.asarray(coo.row), np.asarray(coo.col), tuple(coo.shape)
    else:
        dense = np.asarray(pattern)
        if dense.ndim != 2:
            raise ValueError(f"a sparsity pattern is 2-D (outputs x inputs), not of shape {dense.shape}")
        rows, cols = np.nonzero(dense)
        shape = dense.shape
    return sparsity_of_entries(rows, cols, shape)


def sparsity_of_entries(rows: np.ndarray, cols: np.ndarray, shape: tuple, dense: tuple[str, ...] = ()) -> Sparsity:
    """A `Sparsity` of the entries (`rows[k]`, `cols[k]`) of a Jacobian of `shape`."""
    order = np.lexsort((cols, rows))
    rows, cols = np.asarray(rows)[order].astype(np.int64), np.asarray(cols)[order].astype(np.int64)
    keep = np.ones(rows.size, dtype=bool)
    keep[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])  # (duplicates stored twice)
    rows, cols = rows[keep], cols[keep]
    return Sparsity((int(shape[0]), int(shape[1])), rows, cols, colour_columns(rows, cols, int(shape[1])), dense)


def colour_columns(rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    """Greedy colouring of the columns, most entries first: each column takes the least
    colour no column sharing a row with it has. Columns without entries take colour 0.
    (A loop over the columns; each column's neighbours are gathered by NumPy.)"""
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    m = int(rows.max()) + 1 if rows.size else 0
    by_row = np.argsort(rows, kind="stable")
    row_cols, row_ptr = cols[by_row], np.searchsorted(rows[by_row], np.arange(m + 1))
    by_col = np.argsort(cols, kind="stable")
    col_rows, col_ptr = rows[by_col], np.searchsorted(cols[by_col], np.arange(n + 1))
    counts = np.diff(col_ptr)
    colours = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    for c in np.argsort(-counts, kind="stable")[:int(np.count_nonzero(counts))].tolist():
        shared = col_rows[col_ptr[c]:col_ptr[c + 1]]
        starts, lens = row_ptr[shared], row_ptr[shared + 1] - row_ptr[shared]
        within = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        others = row_cols[np.repeat(starts, lens) + within]
        used = colours[others[done[others]]]
        free = np.ones(used.size + 1, dtype=bool)
        free[used[used <= used.size]] = False
        colours[c] = int(np.argmax(free))
        done[c] = True
    return colours


def sparse_forward_jacobian(primal: Function, wrt: Sequence[int], sparsity: Sparsity) -> Function:
    """The nonzeros of the Jacobian of `primal`'s one result w.r.t. its one parameter at
    `wrt`, in the pattern's CSR order, by one batched forward pass along one direction
    per colour."""
    if len(wrt) != 1:
        raise NoDerivativeError("a sparse Jacobian is taken w.r.t. one argument: pass argnums as an int")
    param = primal.params[wrt[0]]
    in_shape, (out,) = shape_of(param), primal.returns
    out_shape = shape_of(out)
    if in_shape is None or out_shape is None:
        what = f"argument {param.name}" if in_shape is None else "the result"
        raise NoDerivativeError(f"a sparse Jacobian is compiled for the shapes of its argument and result, "
                                f"and the shape of {what} is not known here (the compiler lost it: in a loop, say); "
                                "compute it without the loop, or use jacfwd for the dense Jacobian")
    m, n = math.prod(out_shape), math.prod(in_shape)
    if sparsity.shape != (m, n):
        raise NoDerivativeError(f"the sparsity pattern is {sparsity.shape[0]} x {sparsity.shape[1]}, but the "
                                f"Jacobian is {m} x {n} (outputs x inputs, each flattened)")
    count = max(sparsity.count, 1)
    directions = np.zeros((count, n))
    directions[sparsity.colours, np.arange(n)] = 1.0

    def seeds(fn: Function, params: list[Value]) -> list[Operand]:
        if in_shape == (n,):
            return [Const(directions, "directions")]
        seed = Value()
        fn.body.ops.append(Op("np.reshape", [Const(directions, "directions"), Const((count,) + in_shape)], [seed]))
        return [seed]

    fn = jvp_function(clone_function(primal), wrt, batch=(count,), seeds=seeds)
    _, tangent = fn.body.yields
    ops = fn.body.ops
    if out_shape != (m,):
        flat = Value()
        ops.append(Op("np.reshape", [tangent, Const((count, m))], [flat]))
        tangent = flat
    at, values = Value(), Value("values")  # entry k: row rows[k] of the direction of its column's colour
    ops.append(Op("tuple", [Const(sparsity.colours[sparsity.cols], "colour"), Const(sparsity.rows, "row")], [at]))
    ops.append(Op("getitem", [tangent, at], [values]))
    fn.body.yields = [values]
    fn.name = "sparse_jacobian_" + primal.name
    return fn
