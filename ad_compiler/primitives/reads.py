"""Which operand elements each result element of a contraction reads: the `reads` trait's
common form (`record.Primitive.reads`, used by `ad/sparsity.py`).

A contraction is written as einsum subscripts: result element (i, k) of `'ij,jk->ik'`
reads row i of the first operand and column k of the second. Labels only the result has
(np.cross's component) are sized by `sizes`, and a result element reads the operands
whatever they are; a label repeated in one operand (`'ii->'`) reads its diagonal. The
operands are arrays of element ids, and so is what is returned, one more axis last: each
result element's ids. An id 0 is an element known to be zero (of a constant matrix): a
term of the sum with such a factor is zero, and reads nothing.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

class Ids(np.ndarray):
    """An array of element ids: what a `reads` rule is given for an operand whose elements
    it reads (an index, a mask or a count is given as it is, a plain array)."""


def are_ids(*operands: Any) -> bool:
    return all(isinstance(x, Ids) for x in operands)


_SPARE = string.ascii_uppercase[::-1]
"""Letters for the axes an ellipsis stands for (the rules' own subscripts are lowercase)."""


def einsum_reads(subscripts: str, *operands: Any, sizes: dict[str, int] | None = None) -> np.ndarray | None:
    """For each element of the result of `np.einsum(subscripts, *operands)`, the ids of
    the operand elements it reads, along a last axis (None: subscripts this does not
    read, an implicit output of mixed-case labels, or an operand that is not an array of
    ids: a number passed as it is, which may be a parameter as well as a factor)."""
    if not are_ids(*operands):
        return None
    arrays = [np.asarray(x) for x in operands]
    spec = subscripts.replace(" ", "")
    inputs_text, arrow, output = spec.partition("->")
    terms = inputs_text.split(",")
    if len(terms) != len(arrays):
        return None
    width = max([x.ndim - len(t.replace("...", "")) for t, x in zip(terms, arrays) if "..." in t] + [0])
    spare = _SPARE[:width][::-1]
    terms = [t.replace("...", spare[width - (x.ndim - len(t.replace("...", ""))):]) for t, x in zip(terms, arrays)]
    if not arrow:
        once = [label for label in dict.fromkeys("".join(terms)) if "".join(terms).count(label) == 1]
        if any(label.isupper() for label in once if label not in spare):
            return None
        output = spare + "".join(sorted(label for label in once if label not in spare))
    output = output.replace("...", spare)
    if any(len(t) != x.ndim for t, x in zip(terms, arrays)):
        return None
    extent = dict(sizes or {})
    for term, x in zip(terms, arrays):
        for label, n in zip(term, x.shape):
            extent[label] = max(extent.get(label, 1), n)
    if any(label not in extent for label in output):
        return None
    out_shape = tuple(extent[label] for label in output)
    summed = "".join(dict.fromkeys(label for label in "".join(terms) if label not in output))
    full = output + summed
    factors = []
    for term, x in zip(terms, arrays):
        own = "".join(dict.fromkeys(term))
        if own != term:
            x = np.einsum(f"{term}->{own}", x)  # (a repeated label: the diagonal)
        x = np.transpose(x, [own.index(label) for label in full if label in own])
        dims = iter(x.shape)
        x = np.reshape(x, [next(dims) if label in own else 1 for label in full])
        factors.append(np.reshape(np.broadcast_to(x, [extent[label] for label in full]), out_shape + (-1,)))
    if not factors:
        return np.zeros(out_shape + (0,), dtype=np.int64)
    table = np.stack(factors, axis=-1)  # (each term of the sum: its factors)
    table = np.where(np.all(table != 0, axis=-1, keepdims=True), table, 0)  # (a known zero factor: no term)
    return np.reshape(table, out_shape + (-1,))
