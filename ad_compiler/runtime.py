"""The source of the few helpers emitted code may need.

Emitted code never imports ad_compiler: codegen copies the source of each helper it uses
into the emitted text, beside the function that calls it. Specialized code needs no
`unbroadcast` when shapes are known; generic code (any input) does. `add_at` and
`kept_writes` are the reverse of indexing with an index that may select a position more
than once (an integer array): where the index is known to select each position once,
specialization writes a plain assignment instead.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

UNBROADCAST = '''\
def unbroadcast(g, x):
    """Sum g over the axes along which x was broadcast, giving g the shape of x."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    extra = np.ndim(g) - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g
'''

ADD_AT = '''\
def add_at(a, index, v):
    """A copy of a with v added at index. Where index selects a position more than once,
    every value selected there is added (np.add.at): a[index] += v would add one."""
    out = np.array(a, dtype=np.result_type(a, v))
    np.add.at(out, index, v)
    return out
'''

KEPT_WRITES = '''\
def kept_writes(y, index):
    """1.0 for each value that y[index] = v keeps, 0.0 for one that a later value written
    to the same position replaces (index selects it twice); shaped as y[index]."""
    slots = np.full(np.shape(y), -1)
    order = np.reshape(np.arange(np.size(slots[index])), np.shape(slots[index]))
    slots[index] = order
    return (slots[index] == order) * 1.0
'''

ZEROS_ITEMS = '''\
def zeros_items(xs, lead=()):
    """Zeros of each item of the list xs (the adjoint or tangent of a list that has none),
    each with the axes lead first (the directions of a batched tangent)."""
    return [np.zeros(lead + np.shape(x), np.result_type(x, 0.0))[()] for x in xs]
'''

ADD_ITEMS = '''\
def add_items(a, b):
    """The lists a and b added item by item (two adjoints of one list)."""
    return [x + y for x, y in zip(a, b)]
'''

CHECK_ARGUMENTS = r'''
def check_arguments(function, /, **arguments):
    """Raise ValueError unless each argument is what this module was specialized for.
    SPECIALIZED[name] is its dtype and shape, () for a scalar (a Python or NumPy scalar,
    or a 0-d array), then, for a tangent or the cotangent, what it is; None: any value.
    A dtype is a kind: a float32 is a float, but an int is not, nor is a bool an int."""

    def kind(value):  # (dtype, shape); shape None: neither an array nor a scalar
        if type(value) is float:
            return "float", ()
        dtype, shape = getattr(value, "dtype", None), getattr(value, "shape", None)
        if dtype is not None and shape is not None:  # an ndarray or a NumPy scalar
            kinds = {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}
            return kinds.get(getattr(dtype, "kind", None)) or str(dtype), tuple(shape)
        for scalar in (bool, int, float, complex):  # bool first: a bool is an int
            if isinstance(value, scalar):
                return scalar.__name__, ()
        return type(value).__name__, None

    for name, value in arguments.items():
        if SPECIALIZED[name] is not None and kind(value) != SPECIALIZED[name][:2]:
            break
    else:
        return  # every call but a wrong one
    received = {name: kind(value) for name, value in arguments.items()}
    checked = [name for name in received if SPECIALIZED[name] is not None]
    for name in checked:  # dtypes first: when a shape differs, the dtypes are right
        (dtype, shape), (wanted, wanted_shape, *what) = received[name], SPECIALIZED[name]
        argument = f"{function}: argument {name}" + "".join(f" ({w})" for w in what)
        if dtype == wanted:
            continue
        if shape is None and wanted_shape:
            raise ValueError(f"{argument} is a {dtype}, but this module was specialized for {name}, an "
                             f"ndarray of shape {wanted_shape}; pass numpy.asarray({name}, dtype={wanted})")
        found = f"is a {dtype}" if shape is None else f"has dtype {dtype}"
        fix = f"{name}.astype({wanted})" if wanted_shape else f"{wanted}({name})"
        raise ValueError(f"{argument} {found}, but this module was specialized for {name} of "
                         f"dtype {wanted}; pass {fix}")
    for name in checked:
        (dtype, shape), (wanted, wanted_shape, *what) = received[name], SPECIALIZED[name]
        argument = f"{function}: argument {name}" + "".join(f" ({w})" for w in what)
        if shape == wanted_shape:
            continue
        problem = (f"{argument} has shape {shape}, but this module was specialized for {name} "
                   f"of shape {wanted_shape}")
        if what:  # a tangent or the cotangent: its shape follows from the arguments'
            raise ValueError(problem)
        entries = []  # --shapes for the arguments received (not tangents), if literals can say it
        for other, value in arguments.items():
            dtype, shape = received[other]
            if SPECIALIZED[other] is not None and len(SPECIALIZED[other]) > 2:
                continue
            if dtype == "float":
                entries.append(f"{other}={shape}")
            elif dtype in ("int", "bool", "str", "NoneType"):
                entries.append(f"{other}={getattr(value, 'tolist', lambda: value)()!r}")
            else:
                entries.append(None)
        option = ", ".join(map(str, entries))
        if None in entries or len(option) > 200:
            advice = "regenerate it for these arguments"
        elif set(option) & set('"\\$`!'):  # quoted for the shell
            advice = "regenerate it with --shapes '" + option.replace("'", "'\\''") + "'"
        else:
            advice = f'regenerate it with --shapes "{option}"'
        raise ValueError(f"{problem}; {advice} or without --shapes for a generic module")
'''.lstrip("\n")
"""The check each function of a module specialized to its arguments' kinds (`adc grad
--shapes`) runs first, against the table `SPECIALIZED` the module defines beside it.
Not a prim: no IR calls it, and it needs no NumPy."""

HELPERS: dict[str, str] = {"unbroadcast": UNBROADCAST, "add_at": ADD_AT, "kept_writes": KEPT_WRITES,
                           "zeros_items": ZEROS_ITEMS, "add_items": ADD_ITEMS}
"""Helper name -> its source; a prim of the same name is emitted as a call of it."""


def _run(name: str) -> Callable[..., Any]:
    """The helper itself, defined by running its source; marked with its prim, so that a
    derivative rule calling it is lowered to that prim (a call in the emitted code)."""
    scope: dict[str, Any] = {"np": np}
    exec(HELPERS[name], scope)  # noqa: S102 - our own source
    fn = scope[name]
    fn.__adc_prim__ = name
    return fn


add_at = _run("add_at")
kept_writes = _run("kept_writes")
zeros_items = _run("zeros_items")
add_items = _run("add_items")
