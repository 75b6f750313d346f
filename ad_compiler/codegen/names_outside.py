"""How emitted code spells what the user's function reads from outside (`external` ops).

A name of the user's module or a builtin is written as the user wrote it (`X`, `print`,
`special.gammaln`): the emitted function runs with the user's module as its globals, so it
reads the name at call time. A closure variable keeps its name too and is bound to the
user's own closure cell (`load`). A global of another module (read by a function inlined
from there) is read through that module: `utils.W`. So is a primitive of a library other
than NumPy and `math` (`special.gammaln` for the prim `scipy.special.gammaln`) or of the
user's own (a function given a rule with `defvjp`): through the module that defines it.
"""

from __future__ import annotations

import ast
import re
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import CompileError
from ..ir import Function, Value, walk_ops
from ..ir.externals import External
from ..primitives import PRIMITIVES
from ..primitives.record import MODULES


@dataclass
class Outside:
    """The spelling of each read, and what `load` binds: `home` is the globals dict the
    emitted function runs with (None: it reads no global of the user's module); `cells`
    maps names to the user's closure cells; `modules` maps names to module objects."""

    spelled: dict[Value, ast.expr] = field(default_factory=dict)
    prims: dict[str, ast.expr] = field(default_factory=dict)
    """The callee of each primitive spelled through its module (`special.gammaln`)."""
    refs: dict[Value, External] = field(default_factory=dict)
    home: dict[str, Any] | None = None
    cells: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> set[str]:
        """Names the emitted function must not assign (it reads them from outside)."""
        roots = {ref.name for ref in self.refs.values() if ref.space != "global" or ref.home}
        return roots | set(self.cells) | set(self.modules)


def outside_names(fn: Function, taken: Callable[[str], bool]) -> Outside:
    """Spell every `external` op of `fn`; `taken(name)` says a name means something else."""
    out = Outside()
    cells: dict[int, str] = {}
    for op in walk_ops(fn.body):
        if op.prim not in out.prims and (ref := _defined_in_module(op.prim)) is not None:
            out.prims[op.prim] = _with_attrs(_foreign(ref, out, taken), ref)
        if op.prim != "external":
            continue
        ref: External = op.attrs["ref"]
        if ref.space == "global" and ref.home:
            out.home = ref.scope
            root: ast.expr = ast.Name(ref.name, ast.Load())
        elif ref.space == "builtin":
            root = ast.Name(ref.name, ast.Load())
        elif ref.space == "cell":
            if id(ref.scope) not in cells:
                cells[id(ref.scope)] = _unique(ref.name, out, taken)
                out.cells[cells[id(ref.scope)]] = ref.scope
            root = ast.Name(cells[id(ref.scope)], ast.Load())
        else:
            root = _foreign(ref, out, taken)
        for attr in ref.attrs:
            root = ast.Attribute(root, attr, ast.Load())
        out.spelled[op.result] = root
        out.refs[op.result] = ref
    return out


def _defined_in_module(prim: str) -> External | None:
    """Where a primitive's callable is, for one spelled through its module: a function of
    the user's (or a `custom_jvp`, which wraps one) as a global of its module, whatever
    that module is called (a script run by path has no importable name); a library's by
    the longest prefix of its dotted name that is a loaded module (`scipy.special`)."""
    record = PRIMITIVES.get(prim)
    root = prim.partition(".")[0]
    if record.fn is None or root in MODULES or "." not in prim:
        return None
    fn = record.fn
    parts = prim.split(".")
    for k in range(len(parts) - 1, 0, -1):  # (its dotted name, where that reads it: `special.softmax`)
        module = sys.modules.get(".".join(parts[:k]))
        if module is not None:
            ref = External(parts[k], "global", vars(module), ".".join(parts[:k]), False, tuple(parts[k + 1:]))
            if _reads(ref, fn):
                return ref
            break
    scope = getattr(fn, "__globals__", None) or getattr(getattr(fn, "__wrapped__", None), "__globals__", None)
    name = getattr(fn, "__name__", None)
    if scope is not None and name is not None and scope.get(name) is fn:
        return External(name, "global", scope, scope.get("__name__"), False)
    return None


def _reads(ref: External, fn: object) -> bool:
    """Whether `ref` reads `fn` (a bound method is read anew each time: its function and object)."""
    try:
        found = ref.read()
    except (AttributeError, KeyError, NameError):
        return False
    if found is fn:
        return True
    return getattr(found, "__func__", None) is getattr(fn, "__func__", 0) and \
        getattr(found, "__self__", None) is getattr(fn, "__self__", 0)


def _with_attrs(root: ast.expr, ref: External) -> ast.expr:
    for attr in ref.attrs:
        root = ast.Attribute(root, attr, ast.Load())
    return root


def _unique(name: str, out: Outside, taken: Callable[[str], bool]) -> str:
    candidate, n = name, 1
    while taken(candidate) or candidate in out.cells or candidate in out.modules:
        candidate = f"{name}_{n}"
        n += 1
    return candidate


def _foreign(ref: External, out: Outside, taken: Callable[[str], bool]) -> ast.expr:
    """`module.name` for a global of another module (its dict as `module_globals[...]`
    where no module object owns that dict)."""
    module = sys.modules.get(ref.module or "")
    if module is not None and vars(module) is ref.scope:
        alias = next((n for n, m in out.modules.items() if m is module), None)
        if alias is None:
            last = re.sub(r"\W", "", (ref.module or "").rpartition(".")[2])  # (`<run_path>`: a script's)
            alias = _unique(last if last.isidentifier() else "module", out, taken)
            out.modules[alias] = module
        return ast.Attribute(ast.Name(alias, ast.Load()), ref.name, ast.Load())
    alias = next((n for n, m in out.modules.items() if m is ref.scope), None)
    if alias is None:
        alias = _unique("module_globals", out, taken)
        out.modules[alias] = ref.scope
    return ast.Subscript(ast.Name(alias, ast.Load()), ast.Constant(ref.name), ast.Load())


def standalone(outsides: list[Outside]) -> tuple[dict[str, Any], list[str]]:
    """What a standalone module defines for the names its functions read from outside:
    numbers and arrays as constants (their values now: a module cannot read the user's),
    modules and library functions as imports; anything else is a CompileError saying to
    pass it as an argument."""
    constants: dict[str, Any] = {}
    imports: set[str] = set()
    for out in outsides:
        for alias, module in out.modules.items():
            imports.add(_import_module(alias, module))
        for value, ref in out.refs.items():
            if ref.space == "builtin" or (ref.space == "global" and not ref.home):
                continue
            name = _root_name(out.spelled[value])
            obj = External(ref.name, ref.space, ref.scope).read()
            line = _import_line(name, obj)
            if line is not None:
                imports.add(line)
            elif _embeddable(obj):
                constants[name] = obj
            else:
                raise CompileError(
                    f"the derivative reads {name!r}, {_a(obj)}, which a standalone module cannot "
                    "contain: pass it as an argument"
                )
    return constants, sorted(imports)


def _root_name(node: ast.expr) -> str:
    while not isinstance(node, ast.Name):
        node = node.value
    return node.id


def _a(obj: Any) -> str:
    name = type(obj).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name} object"


def _embeddable(obj: Any) -> bool:
    import numpy as np

    return isinstance(obj, (bool, int, float, complex, np.ndarray, np.generic))


def _import_module(alias: str, module: Any) -> str:
    if not isinstance(module, types.ModuleType) or not _importable(module.__name__):
        raise CompileError(f"the derivative reads globals of another module through {alias!r}, which "
                           "a standalone module cannot import: pass them as arguments")
    return f"import {module.__name__}" if module.__name__ == alias else f"import {module.__name__} as {alias}"


def _import_line(name: str, obj: Any) -> str | None:
    """`import scipy.special as special`, `from scipy.special import gammaln`, or None."""
    if isinstance(obj, types.ModuleType):
        return _import_module(name, obj) if _importable(obj.__name__) else None
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or "." in qualname or not _importable(module):
        return None
    if getattr(sys.modules[module], qualname, None) is not obj:
        return None
    return f"from {module} import {qualname}" + ("" if qualname == name else f" as {name}")


def _importable(module: str) -> bool:
    """A module a standalone module may import: one of an installed library (NumPy, SciPy,
    the standard library, a site package), not the user's own script."""
    found = sys.modules.get(module)
    file = getattr(found, "__file__", None) or ""
    return found is not None and (module.partition(".")[0] in sys.stdlib_module_names
                                  or "site-packages" in file or "dist-packages" in file)
