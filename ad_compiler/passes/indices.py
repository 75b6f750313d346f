"""Arithmetic on constant indices of ints and slices, for rewrites that follow writes at
such indices (`specialize`): the index a person writes, the index of a slice of a slice,
and where a write lands in a piece. Each answers None where the result is not one index
of ints and slices (an array index, a step other than 1 where one is needed)."""

from __future__ import annotations

from ..ir import Const, Operand


def _basic(parts: tuple) -> bool:
    """Ints and slices only (a bool is a mask)."""
    return all(isinstance(p, slice) or (isinstance(p, int) and not isinstance(p, bool)) for p in parts)


def plain_index(index: Const, shape: tuple | None) -> Const:
    """A constant index of slices and ints as a person writes it: a slice from 0 without
    its start (`g[:, :j]`), to an axis's end without its stop (`g[:, j:]`), `...` as the
    axes it stands for."""
    parts = index.value if isinstance(index.value, tuple) else (index.value,)
    dots = [k for k, p in enumerate(parts) if p is Ellipsis]
    if shape is not None and len(dots) == 1 and len(parts) - 1 <= len(shape):  # (`g[..., :j]`)
        at = dots[0]
        parts = parts[:at] + (slice(None),) * (len(shape) - len(parts) + 1) + parts[at + 1:]
    if shape is None or len(parts) > len(shape) or not _basic(parts):
        return index
    plain = tuple(slice(None if p.start == 0 else p.start, None if p.stop == n else p.stop, p.step)
                  if isinstance(p, slice) and p.step in (None, 1) else p for p, n in zip(parts, shape))
    if plain == parts:
        return index
    return Const(plain if isinstance(index.value, tuple) else plain[0])


def compose(first: Const, second: Operand, shape: tuple) -> Const | None:
    """The one index `k` with `x[k]` the elements of `x[first][second]`, for constant
    indices of ints and slices into an array of `shape`; else None."""
    if not isinstance(second, Const):
        return None
    parts = [p if isinstance(p, tuple) else (p,) for p in (first.value, second.value)]
    if not _basic(parts[0] + parts[1]):
        return None
    if len(parts[0]) > len(shape):
        return None
    try:
        axes = [range(n)[parts[0][k]] if k < len(parts[0]) else range(n) for k, n in enumerate(shape)]
        kept = [k for k, r in enumerate(axes) if isinstance(r, range)]
        if len(parts[1]) > len(kept):
            return None
        for k, p in zip(kept, parts[1]):
            axes[k] = axes[k][p]
    except (IndexError, ValueError):  # (out of bounds: left to fail at run time)
        return None
    return plain_index(Const(tuple(_as_slice(r) if isinstance(r, range) else r for r in axes)), shape)


def _as_slice(r: range) -> slice:
    """The slice of the positions `r` holds (one position: of step 1)."""
    if len(r) == 0:
        return slice(0, 0)  # (range(4)[::-1][4:] is range(-1, -1, -1): not slice(-1, None, -1))
    if len(r) == 1 or r.step == 1:
        return slice(r.start, r.start + len(r))
    return slice(r.start, None if r.stop < 0 else r.stop, r.step)


OUTSIDE = Const(None)
"""(`restrict`: a write that misses the piece)"""


def restrict(written: Operand, piece: Const, shape: tuple) -> Const | None:
    """Where, in `x[piece]`, a write at `x[written]` lands (constant indices of ints and
    slices of step 1 into an array of `shape`): the index into the piece, `OUTSIDE` if it
    misses it, None if that is not one index."""
    if not isinstance(written, Const):
        return None
    parts = [p if isinstance(p, tuple) else (p,) for p in (written.value, piece.value)]
    if not _basic(parts[0] + parts[1]):
        return None
    if max(len(parts[0]), len(parts[1])) > len(shape):
        return None
    landed = []
    try:
        for k, n in enumerate(shape):
            w = range(n)[parts[0][k]] if k < len(parts[0]) else range(n)
            q = range(n)[parts[1][k]] if k < len(parts[1]) else range(n)
            if any(isinstance(r, range) and r.step != 1 for r in (w, q)):
                return None
            lo, hi = (w, w + 1) if isinstance(w, int) else (w.start, w.stop)
            qlo, qhi = (q, q + 1) if isinstance(q, int) else (q.start, q.stop)
            if max(lo, qlo) >= min(hi, qhi):
                return OUTSIDE
            if isinstance(q, range):  # (an int of the piece's index drops the axis)
                lo, hi = max(lo, qlo) - qlo, min(hi, qhi) - qlo
                landed.append(lo if isinstance(w, int) else slice(lo, hi))
    except IndexError:  # (out of bounds: left to fail at run time)
        return None
    return plain_index(Const(tuple(landed)), _piece_shape(shape, parts[1]))


def _piece_shape(shape: tuple, piece: tuple) -> tuple:
    """The shape of `x[piece]` for `x` of `shape` (ints and slices)."""
    return tuple(len(range(n)[piece[k]]) if k < len(piece) else n for k, n in enumerate(shape)
                 if k >= len(piece) or isinstance(piece[k], slice))


def shape_of(index: Operand, shape: tuple | None) -> tuple | None:
    """The shape of `x[index]` for `x` of `shape`, for a constant index of ints and
    slices in bounds; else None."""
    if shape is None or not isinstance(index, Const):
        return None
    parts = index.value if isinstance(index.value, tuple) else (index.value,)
    if len(parts) > len(shape) or not _basic(parts):
        return None
    try:
        return _piece_shape(shape, parts)
    except IndexError:
        return None


def whole(index: Operand) -> bool:
    """Whether an index is slices of step 1 only (then it selects all of an array of the
    shape it gives)."""
    parts = index.value if isinstance(index, Const) and isinstance(index.value, tuple) else (
        index.value if isinstance(index, Const) else None,)
    return all(isinstance(p, slice) and p.step in (None, 1) for p in parts)
