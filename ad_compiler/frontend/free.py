"""Free names: what a name the function does not assign stands for (mixed into the lowerer).

Python looks such a name up in the closure, then the module's globals, then the builtins,
when the line runs. The lowerer does the same lookup at compile time to learn what the
name is (`environment.role`), then:

- a module, a function or a class is resolved now (it decides what code is emitted) and
  guarded by identity;
- a plain constant (an int, a bool, a string, a tuple of them) is folded, guarded by value;
- a number, an array, or any other object becomes an `external` op: emitted code reads it
  by name when it runs, and only its kind is part of the cache key.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import types
from typing import Any

from ..errors import CompileError
from ..ir.core import Const, Loc, Op, Value
from ..ir.externals import External
from ..ir.prims import draws
from .environment import Guard, is_library, role
from .resolve import CallableRef, ModuleRef, Resolved, is_plain, to_compile_time


class FreeNames:
    """Free-name resolution for `_Lowerer` (which provides src, shared, _error, _refuse)."""

    def _outside(self, name: str, node: ast.Name) -> tuple[Any, External] | None:
        """Look a free name up as Python would: closure, then globals, then builtins."""
        code = self.src.fn.__code__
        if name in code.co_freevars:
            cell = self.src.fn.__closure__[code.co_freevars.index(name)]
            try:
                obj = cell.cell_contents
            except ValueError:
                raise self._error(node, f"'{name}' of the enclosing function is not assigned yet",
                                  CompileError) from None
            return obj, self._ref(External(name, "cell", cell))
        space = self.src.globals
        if name in space:
            module = space.get("__name__")
            home = space is self.shared.home
            return space[name], self._ref(External(name, "global", space, module, home))
        namespace = space.get("__builtins__", builtins)
        namespace = namespace if isinstance(namespace, dict) else vars(namespace)
        if name not in namespace:
            return None
        return namespace[name], self._ref(External(name, "builtin", namespace))

    def _ref(self, ref: External) -> External:
        """One External per name, scope and attribute path in a lowering."""
        key = (ref.name, ref.space, id(ref.scope), ref.attrs)
        return self.shared.refs.setdefault(key, ref)

    def _free(self, obj: Any, ref: External, node: ast.AST) -> Resolved:
        """What a name found outside (`ref`, now holding `obj`) is in the IR."""
        found = role(obj)
        display = ref.dotted
        if found == "module":
            self._guard(ref, "is", obj)
            return ModuleRef(obj, display, ref)
        if found == "constant":
            self._guard(ref, "==", obj)
            return Const(obj)
        if found == "callable":
            return CallableRef(obj, display, ref)  # guarded where its identity matters
        if found == "value":
            self._guard(ref, "kind", None)
        if draws(type(obj)):  # a RandomState or Generator: the shapes of its draws are known
            self._guard(ref, "type", type(obj))
            return self._external(ref, node, type=type(obj))
        return self._external(ref, node)

    def _module_attribute(self, base: ModuleRef, attr: str, node: ast.Attribute) -> Resolved:
        """`base.attr`: of NumPy, SciPy, math and the standard library, resolved once (their
        constants folded: `np.pi`); of the user's own modules, like a free name."""
        display = f"{base.display}.{attr}"
        obj = getattr(base.module, attr)
        ref = self._ref(base.ref.attribute(attr)) if base.ref is not None else None
        if ref is not None and not is_library(base.module):
            return self._free(obj, ref, node)
        resolved = to_compile_time(obj, display)
        if isinstance(resolved, ModuleRef):
            return ModuleRef(resolved.module, display, ref)
        if isinstance(resolved, CallableRef):
            return CallableRef(resolved.fn, display, ref)
        if resolved is None and ref is not None:  # an object of a library: read as written
            return self._external(ref, node)
        if resolved is None:
            self._refuse(node, f"'{display}' is {type(obj).__name__}, which the compiler cannot use")
        return resolved

    def _guard(self, ref: External | None, test: str, expected: Any) -> None:
        """Record an assumption (see `environment.Guard`); attributes of library modules
        are assumed fixed, so they cost nothing at call time."""
        if ref is None or (ref.attrs and is_library(External(ref.name, ref.space, ref.scope).read())):
            return
        self.shared.guards.setdefault((id(ref), test), Guard(ref, test, expected))

    def _uses(self, callee: CallableRef) -> None:
        """A callable whose identity decides the emitted code (a primitive, an inlined
        function) must be the same object at every call; a bound method (made anew at
        each read) must have the same function."""
        if inspect.ismethod(callee.fn) and callee.ref is not None:
            self._guard(self._ref(callee.ref.attribute("__func__")), "is", callee.fn.__func__)
        else:
            self._guard(callee.ref, "is", callee.fn)

    def _outside_ref(self, value: Resolved) -> External | None:
        """Where an object read from outside (`self`, a global) lives, if `value` is one."""
        return next((r for r, v in self.shared.externals.items() if v is value), None)

    def _outside_attribute(self, base: Value, attr: str, node: ast.AST) -> Resolved | None:
        """`obj.attr` of an object read from outside, resolved like a free name (a method
        to inline, a constant, a number or array read at call time with its kind known),
        or None to read it as written (a property, a random generator's method, an
        attribute made by `__getattr__`)."""
        ref = self._outside_ref(base)
        if ref is None:
            return None
        try:
            obj = ref.read()
        except Exception:  # noqa: BLE001 - unreadable now: as written, Python says why at run time
            return None
        if draws(type(obj)) or not _plain_attribute(obj, attr):
            return None
        return self._free(getattr(obj, attr), self._ref(ref.attribute(attr)), node)

    def _object_of(self, method: CallableRef, node: ast.AST) -> Resolved:
        """The object a bound method is bound to, read where the method was found
        (`self` of `self.helper`), or from a cell of its own if it has no such place."""
        owner = method.fn.__self__
        if method.ref is not None and method.ref.attrs:
            ref = method.ref
            return self._free(owner, self._ref(External(ref.name, ref.space, ref.scope, ref.module, ref.home,
                                                        ref.attrs[:-1])), node)
        first = next(iter(inspect.signature(method.fn.__func__).parameters), "self")
        return self._free(owner, self._ref(External(first, "cell", types.CellType(owner))), node)

    def _constant_of(self, value: Resolved) -> Resolved:
        """Where the compiler needs a constant (a keyword argument: `a_min=LOW`), a number
        read from outside is folded after all, and guarded by value like an int."""
        ref = next((r for r, v in self.shared.externals.items() if v is value), None)
        if ref is None or role(obj := ref.read()) != "value" or not is_plain(obj):
            return value
        self._guard(ref, "==", obj)
        return Const(obj)

    def _external(self, ref: External, node: ast.AST, **attrs: Any) -> Value:
        """The value of `ref` as read at call time: one `external` op per ref, at the top
        of the function (read once per call, like an argument); `attrs` say what is known
        of it (its `type`, guarded)."""
        value = self.shared.externals.get(ref)
        if value is None:
            value = Value(ref.attrs[-1] if ref.attrs else ref.name)
            loc = Loc(self.src.file, node.lineno, self._col(node))
            self.shared.hoisted.append(Op("external", [], [value], {"ref": ref, **attrs}, loc=loc))
            self.shared.externals[ref] = value
        return value


def _plain_attribute(obj: Any, attr: str) -> bool:
    """Whether reading `obj.attr` only looks it up (an instance attribute, a slot, a
    class attribute or method), so reading it once per call is reading it as written;
    a property or another computed attribute runs code and is read where it is written."""
    try:
        static = inspect.getattr_static(obj, attr)
    except AttributeError:
        return False
    if isinstance(static, (types.MemberDescriptorType, types.FunctionType, staticmethod, classmethod)):
        return True
    return not hasattr(type(static), "__get__")
