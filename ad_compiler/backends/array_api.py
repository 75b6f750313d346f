"""The array-api backend: code that takes its namespace from its arguments (docs/backend-array-api.md).

The function body starts with `xp = np if type(a) is type(b) is np.ndarray else
namespace(a, b)`: NumPy itself for ndarrays (NumPy 2's main namespace is an Array API
one, and asking array-api-compat costs microseconds a call), else
`array_api_compat.array_namespace` of the arrays (dask.array, CuPy, PyTorch). A NumPy
function `np.X` is then `xp.<its name in the standard>`, the name its primitive's record
gives (`array_api`: `np.arcsin` is `xp.asin`, `np.concatenate` `xp.concat`); a primitive
without one is refused when the derivative is compiled, saying so. Values that are Python
scalars (computed from Python scalars alone) stay Python scalars: `math.sin(t1)`, as
`xp.sin(3.0)` is not standard.

What the standard does not have is written in its terms, by helpers the text carries: an
element write is a new array of pieces joined (`put`: dask.array writes into an array by
rebuilding its graph, at a cost that grows with it), `np.add.at` a one-hot product
(`add_at`), `x[::-1]` `xp.flip` (PyTorch takes no negative step).
"""

from __future__ import annotations

import ast
import copy
import inspect
from typing import Any, Callable, Sequence

import numpy as np

from ..codegen.emit import Emitted, _floats as _written_floats
from ..codegen.text import unparse
from ..codegen.load import load
from ..errors import CompileError
from ..ir import Const, Function, Op, Operand, Value, walk_ops
from ..ir.prims import BINARY_OPS, carried_args, loop_inits, packed_prim
from ..ir.types import Array, Kind, ListKind, Scalar, TupleKind
from ..primitives import PRIMITIVES
from ..runtime import ADD_ITEMS
from .base import Backend

NAMESPACE = '''\
def namespace(*values):
    """The Array API namespace of the arrays among values: NumPy itself for ndarrays
    (NumPy 2's namespace is one), array-api-compat's for another library's arrays."""
    arrays = [v for v in values if type(v) is not np.ndarray and is_array_api_obj(v)]
    return array_namespace(*arrays) if arrays else np
'''

UNBROADCAST = '''\
def unbroadcast(g, x):
    """Sum g over the axes along which x was broadcast, giving g the shape of x."""
    shape = tuple(getattr(x, "shape", ()))
    if tuple(getattr(g, "shape", ())) == shape:
        return g
    xp = namespace(g)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = xp.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    return g
'''

ADD_AT = '''\
def add_at(a, index, v):
    """A new array: a with v added at index, an integer array along a's first axis; where
    index selects a position more than once, every value selected there is added (as
    np.add.at), by a one-hot product rather than a write into an array."""
    xp = namespace(a, index, v)
    if not hasattr(index, "dtype") or not xp.isdtype(index.dtype, "integral"):
        raise TypeError("add_at of the array-api backend takes an integer array index; "
                        "use the numpy backend for other indices")
    n = a.shape[0]
    flat = xp.reshape(index, (-1,))
    flat = xp.where(flat < 0, flat + n, flat)
    dtype = xp.result_type(a, v)
    hits = xp.astype(flat[:, None] == xp.arange(n)[None, :], dtype)
    rows = xp.reshape(xp.broadcast_to(v, tuple(index.shape) + tuple(a.shape[1:])), (flat.shape[0], -1))
    return a + xp.reshape(xp.matmul(hits.T, xp.astype(rows, dtype)), tuple(a.shape))
'''

ZEROS_ITEMS = '''\
def zeros_items(xs, lead=()):
    """Zeros of each item of the list xs (the adjoint or tangent of a list that has none),
    each with the axes lead first (the directions of a batched tangent)."""
    out = []
    for x in xs:
        xp = namespace(x)
        floating = hasattr(x, "dtype") and xp.isdtype(x.dtype, ("real floating", "complex floating"))
        zeros = xp.zeros(tuple(lead) + tuple(getattr(x, "shape", ())), dtype=x.dtype if floating else xp.float64)
        out.append(zeros if lead or hasattr(x, "shape") else float(zeros))
    return out
'''

PUT = '''\
def put(y, index, v, add=False):
    """A new array: y with v written at index (added, with add), as y[index] = v would
    write it, never a write into an array: along each axis the index takes part of, y's
    pieces and v joined (an int, a slice of step 1), or v's rows put in place by a one-hot
    product (a slice of another step)."""
    xp = namespace(y, v)
    index = index if isinstance(index, tuple) else (index,)
    if any(i is Ellipsis for i in index):
        at = index.index(Ellipsis)
        whole = y.ndim - sum(i is not None for i in index) + 1
        index = index[:at] + (slice(None),) * whole + index[at + 1:]
    v = xp.broadcast_to(xp.asarray(v), y[index].shape)
    spans, axis = [], 0
    for i in index:
        if i is None:  # (a new axis of length 1 in y[index], none of y)
            v = xp.squeeze(v, axis=len(spans))
            continue
        n = y.shape[axis]
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            spans.append(range(start, max(start, stop)) if step == 1 else range(start, stop, step))
        elif isinstance(i, int):
            v = xp.expand_dims(v, axis=len(spans))
            spans.append(range(i % n, i % n + 1))
        else:
            raise TypeError("put of the array-api backend writes through ints and slices, not "
                            f"{type(i).__name__}: use the numpy backend for this function")
        axis += 1

    def joined(block, k):
        if k == len(spans):
            return xp.astype(block + v if add else v, block.dtype)
        span, before = spans[k], (slice(None),) * k
        if span.step == 1:
            middle = joined(block[before + (slice(span.start, span.stop),)], k + 1)
            pieces = [block[before + (slice(0, span.start),)], middle, block[before + (slice(span.stop, None),)]]
            return xp.concat([p for p in pieces if p.shape[k] != 0], axis=k)
        at = xp.asarray(list(span))
        middle = joined(xp.take(block, at, axis=k), k + 1)
        hits = xp.astype(xp.arange(block.shape[k])[:, None] == at[None, :], block.dtype)
        placed = xp.moveaxis(xp.tensordot(hits, middle, axes=([1], [k])), 0, k)
        hit = xp.reshape(xp.sum(hits, axis=1) > 0, (block.shape[k],) + (1,) * (block.ndim - k - 1))
        return xp.where(hit, placed, block)

    return joined(y, 0)
'''

CROSS = '''\
def cross(a, b):
    """np.cross of vectors of 3 along the last axis, of the standard's elementwise
    operations (dask.array has no cross product)."""
    xp = namespace(a, b)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError("cross of the array-api backend takes vectors of 3 along the last axis")
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return xp.stack((a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0), axis=-1)
'''

ATLEAST = '''\
def atleast_{n}d(x):
    """x with axes of length 1 in front up to {n} (np.atleast_{n}d of an array)."""
    return x if x.ndim >= {n} else namespace(x).reshape(x, (1,) * ({n} - x.ndim) + tuple(x.shape))
'''

SWAPAXES = '''\
def swapaxes(x, a, b):
    """x with axes a and b swapped (np.swapaxes), by the standard's permute_dims."""
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return namespace(x).permute_dims(x, tuple(axes))
'''

TRANSPOSED = '''\
def transposed(x):
    """x with its axes reversed (x.T of an array of any rank)."""
    return namespace(x).permute_dims(x, tuple(range(x.ndim))[::-1])
'''

DOT = '''\
def dot(a, b):
    """np.dot: a product of a 0-d operand, a matrix product of vectors and matrices, else
    the sum over a's last axis and b's second to last (xp.tensordot)."""
    xp = namespace(a, b)
    a, b = xp.asarray(a), xp.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return a @ b
    return xp.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))
'''

OUTER = '''\
def outer(a, b):
    """np.outer: the product of each element of a, flattened, with each of b."""
    xp = namespace(a, b)
    return xp.reshape(xp.asarray(a), (-1, 1)) * xp.reshape(xp.asarray(b), (1, -1))
'''

HELPERS = {"namespace": NAMESPACE, "put": PUT, "dot": DOT, "outer": OUTER, "transposed": TRANSPOSED, "cross": CROSS, "swapaxes": SWAPAXES,
           **{f"atleast_{n}d": ATLEAST.format(n=n) for n in (1, 2, 3)}, "unbroadcast": UNBROADCAST, "add_at": ADD_AT, "zeros_items": ZEROS_ITEMS,
           "add_items": ADD_ITEMS}
"""The runtime helpers in the standard's terms (`kept_writes`, which writes through an
index that may repeat, has none: it is refused), and the NumPy functions the standard
lacks written in its terms (`_WRITTEN`)."""

_WRITTEN = {"np.cross": "cross", "np.dot": "dot", "np.outer": "outer", "np.swapaxes": "swapaxes", "np.atleast_1d": "atleast_1d",
            "np.atleast_2d": "atleast_2d", "np.atleast_3d": "atleast_3d"}
"""NumPy functions without an Array API spelling that a helper above computes, when
called without options (np.cross's axes)."""

_KEYWORDS_AFTER = {
    "sum": 1, "mean": 1, "max": 1, "min": 1, "prod": 1, "argmax": 1, "argmin": 1, "any": 1, "all": 1, "sort": 1,
    "argsort": 1, "cumulative_sum": 1, "flip": 1, "expand_dims": 1, "stack": 1, "concat": 1, "tensordot": 2,
    "vecdot": 2, "roll": 2, "take": 2, "repeat": 2, "eye": 2,
}
"""The standard's functions whose parameters after the first few are keyword-only (`sum(x,
/, *, axis)`): NumPy's positional arguments there are passed by NumPy's name."""

_OF_SHAPES = frozenset({"np.broadcast_shapes"})
"""NumPy functions of shapes (tuples of ints), not of arrays: NumPy's spelling serves."""

_PYTHON_RESULTS = frozenset({"float", "int", "len", "round", "range", "slice"})
"""Builtins whose result is a Python scalar whatever they read."""


def _refuse(emitter: Any, op: Op, why: str) -> CompileError:
    return CompileError.at(f"{why}; the array-api backend cannot emit it: use backend='numpy' (the default) for "
                           "this function, or write it with NumPy functions the Array API standard has "
                           "(docs/backend-array-api.md lists them)", op.loc, emitter.fn)


def _may_be_array(kind: Kind) -> bool:
    """Whether a value of this kind is, or holds, an array (unknown: it may)."""
    if kind is None or isinstance(kind, Array):
        return True
    if isinstance(kind, TupleKind):
        return any(_may_be_array(k) for k in kind.items)
    if isinstance(kind, ListKind):
        return not kind.empty and _may_be_array(kind.item)
    return False


def _array_values(fn: Function) -> set[Value]:
    """The values that are arrays, or scalars read from arrays (0-d arrays in the
    standard's terms): all but the Python scalars, those computed from Python scalars."""
    sources: dict[Value, list[Operand]] = {}
    found = {p for p in fn.params if _may_be_array(p.kind)}
    for op in walk_ops(fn.body):
        record = PRIMITIVES.get(op.prim)
        reads = [] if record.shape_query or op.prim in _PYTHON_RESULTS else list(op.inputs)
        if op.prim == "cond":
            reads = []
            for k, r in enumerate(op.results):
                sources[r] = [region.yields[k] for region in op.regions]
        elif op.prim in ("for_range", "for_each", "while"):
            body, inits = op.regions[-1], loop_inits(op)
            for k, r in enumerate(op.results):
                sources[r] = [inits[k], body.yields[k]]
                for region in op.regions:
                    sources[carried_args(op, region)[k]] = sources[r]
            if op.prim == "for_each":
                sources[body.args[0]] = [op.inputs[0]]
            reads = []
        for r in op.results:
            sources.setdefault(r, reads)
        for v in [*op.results, *(a for region in op.regions for a in region.args)]:
            if _may_be_array(v.kind) and not isinstance(v.kind, (Scalar, TupleKind, ListKind)):
                found.add(v)
    changed = True
    while changed:
        changed = False
        for v, operands in sources.items():
            if v not in found and any(isinstance(x, Value) and x in found for x in operands):
                found.add(v)
                changed = True
    return found


def _indexes_by_array(index: Operand) -> bool:
    """Whether an index is, or holds, an array (of ints or bools)."""
    if isinstance(index, Const):
        values = index.value if isinstance(index.value, tuple) else (index.value,)
        return any(isinstance(v, (np.ndarray, list)) for v in values)
    kind = index.kind
    items = kind.items if isinstance(kind, TupleKind) else (kind,)
    return any(isinstance(k, Array) for k in items)


def _arrays(emitter: Any) -> set[Value]:
    """`_array_values` of the function being spelled (found once)."""
    if "arrays" not in emitter.state:
        emitter.state["arrays"] = _array_values(emitter.fn)
    return emitter.state["arrays"]


def _parameters_of(emitter: Any) -> list[str]:
    """The names of the parameters that may be arrays: what the namespace is taken from."""
    return [emitter.names[p] for p in emitter.fn.params if _may_be_array(p.kind)]


class ArrayAPI(Backend):
    """Code on the Array API standard, for NumPy, dask.array, CuPy and PyTorch arrays."""

    name = "array-api"
    needs = "NumPy and array-api-compat"
    helpers = HELPERS
    reserved = frozenset({"xp", *HELPERS, "array_namespace", "is_array_api_obj"})  # (`put`: not a prim)
    scatters_in_place = False

    def takes(self, value: Any) -> bool:
        """Float arrays of any library array-api-compat knows (dask.array, CuPy, PyTorch)."""
        compat = _compat()
        return compat.is_array_api_obj(value) and compat.array_namespace(value).isdtype(value.dtype, "real floating")

    def finish(self, fn: Function) -> None:
        """NumPy's (`Backend.finish`): an array a loop walks item by item is read as a
        Python list, but here only a NumPy array (`_floats`), as another library's is
        not read that way."""
        super().finish(fn)

    def prelude(self, emitter: Any) -> list[str]:
        """`xp = namespace(a, b)` of the parameters that may be arrays, if the body (spelled
        before it) calls `xp`; NumPy without a call where they are all ndarrays (a call
        costs a small gradient 5%)."""
        if not emitter.state.get("xp"):
            return []
        params = _parameters_of(emitter)
        if not params:  # (the arrays it makes, or reads from its module's globals, are NumPy's)
            return ["xp = np"]
        emitter.helpers.add("namespace")
        ndarrays = " is ".join(f"type({p})" for p in params)
        return [f"xp = np if {ndarrays} is np.ndarray else namespace({', '.join(params)})"]

    # -- expressions --------------------------------------------------------------------
    def call(self, emitter: Any, op: Op, args: list[ast.expr]) -> ast.expr | None:
        spelled = self._spelled(emitter, op, args)
        if spelled is not None and any(isinstance(n, ast.Name) and n.id == "xp" for n in ast.walk(spelled)):
            emitter.state["xp"] = True
        return spelled

    def _spelled(self, emitter: Any, op: Op, args: list[ast.expr]) -> ast.expr | None:
        prim = op.prim
        if prim == "transpose":
            return self._transposed(emitter, op, args[0])
        if prim == "floats":
            return self._floats(op, args)
        if prim == "getitem":
            return self._read_backwards(emitter, op, args[0])
        if prim in BINARY_OPS and prim != "matmul":
            return self._of_booleans(emitter, op, args)
        if prim == "kept_writes":
            raise _refuse(emitter, op, "assigning through an index that may select a position twice (an integer "
                                       "array) has no Array API spelling")
        if prim in self.helpers:
            emitter.helpers.add("namespace")
            return None
        base = packed_prim(prim)
        if not base.startswith("np."):
            if "." in base and not base.startswith("math.") and base in emitter.outside.prims:
                raise _refuse(emitter, op, f"{base} is not a NumPy function and has no Array API spelling")
            return None
        record = PRIMITIVES.get(base)
        if base in _OF_SHAPES:
            return None
        if record.shape_query and record.attributes:
            return self._shape_query(op, record.attributes[0], args)
        arrays = _arrays(emitter)
        if not any(r in arrays for r in op.results):  # Python scalars in, a Python scalar out
            return self._of_numbers(base, args)
        if base in _WRITTEN and not op.attrs:
            emitter.helpers.update((_WRITTEN[base], "namespace"))
            return _call(ast.Name(_WRITTEN[base], ast.Load()), args, [])
        if not record.array_api:
            raise _refuse(emitter, op, f"{base} has no Array API spelling")
        if base == "np.transpose" and len(op.inputs) == 1 and not op.attrs:
            return self._transposed(emitter, op, args[0])
        if base == "np.full" and len(op.inputs) == 2 and not op.attrs and op.inputs[1] in _arrays(emitter):
            spread = _call(_dotted("xp.broadcast_to"), [args[1], args[0]], [])  # (the standard's fill is a number)
            return _call(_dotted("xp.asarray"), [spread], [ast.keyword("copy", ast.Constant(True))])
        if base == "np.squeeze" and len(op.inputs) == 1 and "axis" not in op.attrs:
            raise _refuse(emitter, op, "np.squeeze without an axis has no Array API spelling (its axis= is "
                                       "required)")
        return self._xp_call(emitter, op, record, args)

    def _of_booleans(self, emitter: Any, op: Op, args: list[ast.expr]) -> ast.expr | None:
        """`x - xp.astype(x != 0, x.dtype)`: arithmetic of a boolean array and floats, which
        NumPy promotes and the standard leaves undefined (PyTorch refuses `x - mask`), with
        the mask made floats first (None: no boolean array operand)."""
        result = op.results[0].kind if op.results else None
        if not isinstance(result, (Array, Scalar)) or result.dtype not in ("float", "complex"):
            return None
        arrays = _arrays(emitter)
        masks = [isinstance(x, Value) and x in arrays and isinstance(x.kind, (Array, Scalar)) and x.kind.dtype == "bool"
                 for x in op.inputs]
        if not any(masks):
            return None
        spelled = []
        for k, (x, a) in enumerate(zip(op.inputs, args)):
            other = args[1 - k]
            like = ast.Attribute(copy.deepcopy(other), "dtype", ast.Load()) if isinstance(other, ast.Name) and \
                op.inputs[1 - k] in arrays else _dotted("xp.float64" if result.dtype == "float" else "xp.complex128")
            spelled.append(_call(_dotted("xp.astype"), [a, like], []) if masks[k] else a)
        return ast.BinOp(spelled[0], BINARY_OPS[op.prim](), spelled[1])

    def _read_backwards(self, emitter: Any, op: Op, x: ast.expr) -> ast.expr | None:
        """`xp.flip(x[0:50], axis=(0,))` for `x[::-1]` of an array of known shape: PyTorch
        takes no slice of negative step (None: the read as written)."""
        array, index = op.inputs
        entries = index.value if isinstance(index, Const) and isinstance(index.value, tuple) else \
            (index.value,) if isinstance(index, Const) else ()
        if not any(isinstance(e, slice) and e.step is not None and e.step < 0 for e in entries) or \
                not isinstance(array, Value) or not isinstance(array.kind, Array) or array.kind.shape is None or \
                not all(e is None or isinstance(e, (slice, int)) for e in entries):
            return None
        forward, flipped, axis_in, axis_out = [], [], 0, 0
        for e in entries:
            if e is not None:
                n = array.kind.shape[axis_in]
                axis_in += 1
            if isinstance(e, slice) and e.step is not None and e.step < 0:
                steps = range(*e.indices(n))
                start, stop = steps[-1] if steps else 0, steps[0] + 1 if steps else 0
                e = slice(start or None, None if stop == n else stop, -e.step if e.step != -1 else None)
                flipped.append(axis_out)
            forward.append(e)
            axis_out += not isinstance(e, int)
        whole = all(e == slice(None) for e in forward)
        read = x if whole else ast.Subscript(x, emitter.index(Const(tuple(forward) if len(forward) > 1 else forward[0])),
                                             ast.Load())
        axes = ast.Tuple([ast.Constant(a) for a in flipped], ast.Load())
        return _call(_dotted("xp.flip"), [read], [ast.keyword("axis", axes)])

    def _floats(self, op: Op, args: list[ast.expr]) -> ast.expr:
        """NumPy's `a.tolist() if a.dtype == np.float64 and ... else a`, tested first for
        `type(a) is np.ndarray`: a dask array or a tensor is walked as it is."""
        choice = _written_floats(op, args)
        ndarray = [ast.Compare(_call(ast.Name("type", ast.Load()), [copy.deepcopy(a)], []), [ast.Is()],
                               [_dotted("np.ndarray")]) for x, a in zip(op.inputs, args) if isinstance(x.kind, Array)]
        tests = choice.test.values if isinstance(choice.test, ast.BoolOp) else [choice.test]
        choice.test = ast.BoolOp(ast.And(), ndarray + tests)
        return choice

    def _shape_query(self, op: Op, attribute: str, args: list[ast.expr]) -> ast.expr | None:
        """`x.shape`, `x.ndim` (the standard's attributes) and `math.prod(x.shape)` of an
        array; of what may not be one, NumPy's `np.shape(x)` (which reads `x.shape` first)
        and `math.prod(np.shape(x))`."""
        if len(op.inputs) != 1:
            return None
        known = isinstance(op.inputs[0], Value) and isinstance(op.inputs[0].kind, Array)
        shape = ast.Attribute(args[0], "shape", ast.Load()) if known else _call(_dotted("np.shape"), args, [])
        if attribute == "size":  # (a method of a PyTorch tensor; a function dask.array lacks)
            return _call(_dotted("math.prod"), [shape], [])
        return ast.Attribute(args[0], attribute, ast.Load()) if known else None

    def _of_numbers(self, prim: str, args: list[ast.expr]) -> ast.expr | None:
        """`math.sin(t)` for `np.sin` of a Python number (NumPy's spelling if `math` has
        no function of the same meaning)."""
        for record in PRIMITIVES:
            if record.over_arrays == prim and record.numbers:
                return _call(_dotted(record.name), args, [])
        return None

    def _transposed(self, emitter: Any, op: Op, x: ast.expr) -> ast.expr | None:
        """`x.T` of a matrix (the standard's), `x` of a vector, else the axes reversed
        (by the helper `transposed` where the rank is not known here)."""
        kind = op.inputs[0].kind if isinstance(op.inputs[0], Value) else None
        if isinstance(kind, Array) and kind.ndim == 2:
            return None
        if isinstance(kind, Array) and kind.ndim < 2:
            return x
        if not isinstance(kind, Array):
            emitter.helpers.update(("transposed", "namespace"))
            return _call(ast.Name("transposed", ast.Load()), [x], [])
        axes = ast.Tuple([ast.Constant(i) for i in reversed(range(kind.ndim))], ast.Load())
        return _call(_dotted("xp.permute_dims"), [x, axes], [])

    def _xp_call(self, emitter: Any, op: Op, record: Any, args: list[ast.expr]) -> ast.expr:
        name = record.array_api
        arrays = _arrays(emitter)
        moved = range(len(args)) if record.packed and 0 in record.moves else record.moves
        if name != "asarray":  # (a Python float where the standard takes an array: `xp.stack((t, 0.0))`)
            args = [_as_array(a) if k in moved and _is_float(x, arrays) else a
                    for k, (x, a) in enumerate(zip(op.inputs, args))]
        keywords = [ast.keyword(k, _dtype(emitter.constant(v))) for k, v in sorted(op.attrs.items())]
        if record.packed and packed_prim(op.prim) == op.prim:  # (not over one run-time sequence)
            args = [ast.Tuple(args, ast.Load())]
        args = [_dtype(a) for a in args]
        after = _KEYWORDS_AFTER.get(name)
        if after is not None and len(args) > after:
            names = _parameters(record.fn)
            if names is None or len(names) < len(args):
                raise _refuse(emitter, op, f"{record.name} is called with arguments the Array API's {name} takes "
                                           "by keyword")
            keywords = [ast.keyword(n, a) for n, a in zip(names[after:], args[after:])] + keywords
            args = args[:after]
        if name == "asarray" and record.allocates:  # (np.array, np.copy: a new array)
            keywords.append(ast.keyword("copy", ast.Constant(True)))
        return _call(_dotted("xp." + name), args, keywords)

    def store(self, emitter: Any, op: Op, at: int) -> list[str] | None:
        """`y = put(y, index, v)`: a new array, never a write into one (dask.array writes
        by rebuilding its graph, at a cost that grows with it, and not through every
        index); `y[i] += v` is `put(y, i, v, True)`. A list's item is written as ever."""
        array, index, value = op.inputs
        if isinstance(array, Value) and isinstance(array.kind, ListKind):
            return None
        if _indexes_by_array(index):
            raise _refuse(emitter, op, "writing through an index array or a mask (`y[i] = v`, i an array) has no "
                                       "Array API spelling without a write into an array")
        increment = emitter._increment(array, index, value)
        item = emitter.operand(value if increment is None else increment[1])
        args = [emitter.operand(array), emitter.operand(index)]
        if increment is not None:
            args += [ast.UnaryOp(ast.USub(), item) if increment[0] is ast.Sub else item, ast.Constant(True)]
        else:
            args.append(item)
        emitter.helpers.update(("put", "namespace"))
        target = ast.Name(emitter._define(op.result, at, taken=emitter._names_read(op)), ast.Store())
        return unparse(ast.Assign([target], _call(ast.Name("put", ast.Load()), args, []))).splitlines()

    # -- loading --------------------------------------------------------------------------
    def load(self, emitted: Emitted, kinds: Sequence[Kind] | None) -> Callable[..., Any]:
        compat = _compat()
        names = {"array_namespace": compat.array_namespace, "is_array_api_obj": compat.is_array_api_obj}
        return load(emitted.source, emitted.name, {**emitted.namespace, **names}, emitted.outside)

    def module_lines(self, emitted: Sequence[Emitted]) -> tuple[list[str], dict[str, str]]:
        return ["from array_api_compat import array_namespace, is_array_api_obj"], {}


def _compat() -> Any:
    """array-api-compat, or an ImportError saying how to install it."""
    try:
        import array_api_compat
    except ImportError:
        raise ImportError("backend='array-api' needs array-api-compat: pip install 'ad_compiler[array-api]'") from None
    return array_api_compat


def _call(func: ast.expr, args: list[ast.expr], keywords: list[ast.keyword]) -> ast.expr:
    return ast.Call(func, args, keywords)


def _dotted(name: str) -> ast.expr:
    module, *attrs = name.split(".")
    func: ast.expr = ast.Name(module, ast.Load())
    for attr in attrs:
        func = ast.Attribute(func, attr, ast.Load())
    return func


def _as_array(x: ast.expr) -> ast.expr:
    return _call(_dotted("xp.asarray"), [x], [])


def _is_float(x: Operand, arrays: set[Value]) -> bool:
    """A Python float: a constant one, or a value computed from Python scalars alone."""
    if isinstance(x, Const):
        return isinstance(x.value, (float, complex))
    return isinstance(x.kind, Scalar) and x.kind.dtype in ("float", "complex") and x not in arrays


def _dtype(x: ast.expr) -> ast.expr:
    """A dtype as the namespace spells it: `xp.float64` for `np.float64` or `float`."""
    if isinstance(x, ast.Attribute) and isinstance(x.value, ast.Name) and x.value.id == "np" and \
            isinstance(getattr(np, x.attr, None), type) and issubclass(getattr(np, x.attr), np.generic):
        return _dotted("xp." + x.attr)
    if isinstance(x, ast.Name) and x.id in ("float", "complex", "int", "bool"):
        return _dotted("xp." + {"float": "float64", "complex": "complex128", "int": "int64", "bool": "bool"}[x.id])
    return x


def _parameters(fn: Any) -> list[str] | None:
    """The names of a NumPy function's parameters, in order (None: it does not say)."""
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None


BACKEND = ArrayAPI()
