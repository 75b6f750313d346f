"""Turning emitted source into a live function, traceable like any other.

The source is registered in `linecache` under a stable pseudo-filename, so a traceback
through emitted code shows the emitted line and `inspect.getsource` returns the text.

Names. The emitted function runs with the user's module as its globals, so a global it
reads (`X`, `print`, `rs`) is read when it runs, as in the user's own function. The names
the emitted code means itself (`np`, `math`, its helpers, arrays a rule bound) are closure
variables, which no global of the user's can shadow; a closure variable of the user's is
the user's own cell, read when it runs too.
"""

from __future__ import annotations

import ast
import builtins
import functools
import linecache
import math
import types
from typing import Any, Callable

import numpy as np

from .names_outside import Outside

_FACTORY = "__ad_compiler_factory__"


def filename_for(name: str, source: str) -> str:
    import hashlib  # (here, not at the top: loading OpenSSL costs `import ad_compiler` 3 ms)

    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    return f"<ad_compiler {name} {digest}>"


def load(
    source: str, name: str, namespace: dict[str, Any] | None = None, outside: Outside | None = None
) -> Callable[..., Any]:
    """Execute `source` (which defines `name`) and return that function, its free names
    bound as the module docstring says."""
    outside = outside or Outside()
    filename = filename_for(name, source)
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    own: dict[str, Any] = {"np": np, "math": math, **(namespace or {}), **outside.modules}
    cells = dict(outside.cells)
    params = sorted(set(own) | set(cells))
    module = ast.parse(source, filename)
    first = module.body[0]
    # (the nodes made here take the first statement's place; the parsed ones have theirs,
    # so they are not walked again, as fix_missing_locations would)
    at = functools.partial(ast.copy_location, old_node=first)
    factory = ast.FunctionDef(
        name=_FACTORY,
        args=ast.arguments(posonlyargs=[], args=[at(ast.arg(p)) for p in params], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=module.body + [at(ast.Return(at(ast.Name(name, ast.Load()))))],
        decorator_list=[],
        returns=None,
        **({"type_params": []} if "type_params" in ast.FunctionDef._fields else {}),
    )
    wrapper = ast.Module([at(factory)], [])
    scratch: dict[str, Any] = {"__builtins__": builtins, "__name__": "ad_compiler.emitted"}
    exec(compile(wrapper, filename, "exec"), scratch)  # noqa: S102 - compiling our own output
    made = scratch[_FACTORY](**{p: own.get(p) for p in params})
    if outside.home is None and not cells:
        return made
    closure = tuple(
        cells[var] if var in cells else cell
        for var, cell in zip(made.__code__.co_freevars, made.__closure__ or ())
    )
    home = outside.home if outside.home is not None else scratch
    function = types.FunctionType(made.__code__, home, made.__name__, made.__defaults__, closure)
    function.__kwdefaults__ = made.__kwdefaults__
    return function
