"""One record per primitive: what the compiler knows about it, in one place.

A primitive is an IR prim: a string (`np.sin`, `add`, `getitem`, `np.linalg.inv`) that
is also how emitted code spells the call. Its `Primitive` record holds everything any
stage asks about it: the Python callable it stands for and the ndarray methods written
for it, its operand count, its traits (elementwise; broadcasting; linear; a view of its
first operand; new memory; no derivative), its kind rule, its VJP and JVP rules (Python
source, lowered and inlined by `ad`), and its SymPy counterpart. Passes, codegen, the
verifier and the checker read the record; no other table names primitives.

The records live in one `Table`, `PRIMITIVES`, filled on import by the family modules of
this package (each defines its primitives' traits next to their rules) and extended by
users with `defvjp` / `defjvp` / `defzero` / `primitive`. Like a primitive table in any
compiler it is module-level on purpose; a change notifies the watchers (compiled
derivatives become stale) and `scope()` undoes changes (tests, trying a rule).
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import inspect
import math
import operator
import sys
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterator

import numpy as np

from ..ir.core import Op
from ..ir.prims import OPERATOR_PRIMS, packed_prim
from ..ir.types import Array, Kind, Scalar

KindRule = Callable[[Op, list[Kind], dict], Kind]
"""`infer(op, kinds, producers)`: the kind of the op's result from its operands' kinds
(and, for the few that look through an operand, the ops that made the values)."""


@dataclass(frozen=True)
class Rule:
    """One derivative rule (VJP or JVP) of a primitive. `ranks`, when set, restricts it to
    operands of those ranks (ndim), known after specialization: a prim may have a rule
    per rank combination (plain `g @ y.T` for matrices) before a general one."""

    prim: str
    fn: Callable[..., Any]
    broadcasting: bool
    ranks: tuple[int, ...] | None = None
    max_rank: int | None = None
    """Operands of a higher known rank are not covered (np.dot above matrices)."""
    dtypes: tuple[str | None, ...] | None = None
    """When set, the rule covers operands of these known dtypes only (None: any); a
    boolean mask has a rule of its own (`mask * y`)."""

    def applies(self, kinds: list[Kind]) -> bool:
        known = [getattr(k, "ndim", 0) if isinstance(k, (Array, Scalar)) else None for k in kinds]
        if self.max_rank is not None and any(k is not None and k > self.max_rank for k in known):
            return False
        if self.dtypes is not None and not (len(kinds) == len(self.dtypes) and all(
            d is None or getattr(k, "dtype", None) == d for d, k in zip(self.dtypes, kinds)
        )):
            return False
        if self.ranks is None:
            return True
        return len(known) == len(self.ranks) and all(r == k for r, k in zip(self.ranks, known))


@dataclass(eq=False)
class Primitive:
    """What the compiler knows about one prim. A prim without a record gets a blank one
    (`Table.get`): no traits, no kind, no derivative."""

    name: str
    fn: Callable[..., Any] | None = None
    """The Python callable the prim stands for (constant folding, probes, and mapping a
    user's call to the prim); None for structural prims (`list`, `push`)."""
    methods: tuple[str, ...] = ()
    """ndarray methods written for it: `x.sum(axis=0)` is `np.sum(x, axis=0)`."""
    spread: bool = False
    """Its method takes the function's one tuple operand spread out: `x.reshape(2, 3)` is
    `np.reshape(x, (2, 3))`."""
    attributes: tuple[str, ...] = ()
    """ndarray attributes read as it: `x.shape` is `np.shape(x)`."""
    written: Callable[[Any], Any] | None = None
    """Rewrites a call as written (an `ast.Call`) into the form its rules take, or gives
    None to leave it: np.einsum's sublists become a subscripts string."""
    packed: bool = False
    """Takes one sequence of arrays (`np.stack((a, b), axis=0)`) whose items are the op's
    operands, so that each has its own derivative; `Table.arguments` packs them back.
    Its form over one sequence known only at run time is the prim `over_sequence(name)`."""
    arity: int | None = None
    """The fixed number of operands (checked by the verifier); None: any."""
    operands: tuple[tuple[str, Any], ...] = ()
    """Its operands' names and defaults (`inspect.Parameter.empty`: required), for one
    that takes run-time operands by keyword (`norm.logpdf(x, loc=mu, scale=s)`); other
    keywords are static attributes."""
    elementwise: bool = False
    """Applied element by element (a ufunc without core signature, an operator but `@`)."""
    broadcasting: bool = False
    """Several operands, broadcast against each other: a VJP rule's cotangents are reduced
    to each operand's shape by the transform (`unbroadcast`), not by the rule."""
    linear: bool = False
    """Its result is zero when any operand is zero (a product, a reshape, a sum): the
    forward transform drops the term a symbolic zero tangent enters."""
    takes_scalar_zero: bool = False
    """Takes a zero tangent as the scalar 0.0, which broadcasts (np.where, setitem); other
    prims get zeros of the operand's shape."""
    view: bool = False
    """May return memory shared with its operand `viewed` (a view, the operand itself, or
    a sequence of views): an element write into either is seen through the other."""
    viewed: int = 0
    """Which operand a view primitive's result may share memory with (np.einsum's first
    array: operand 1, after the subscripts)."""
    shares: bool = False
    """Its result holds its operands or may be one of them, without being a NumPy view (a
    tuple, a list it appends to, `unbroadcast` returning its operand)."""
    allocates: bool = False
    """Returns a new object on every call (np.zeros, a list): never merged with another."""
    iterator: bool = False
    """Returns an iterator (`reversed`, `zip`), consumed by the one loop over it: made
    again for each loop, never taken out of one."""
    fresh: bool = False
    """Its array result is new memory the function owns (written in place where dead)."""
    reduces: bool = False
    """Reduces its first operand over `axis` (every axis by default; `keepdims` as NumPy
    has it): over every axis, its result is 0-d whatever the operand's rank."""
    product: bool = False
    """A matrix product (`@`, np.matmul, np.dot): rewritten by rank once ranks are known."""
    reads_shape_only: bool = False
    """Reads only its first operand's shape (np.shape, np.zeros_like), which element
    writes never change."""
    shape_query: bool = False
    """Its value is its one operand's shape or a number of it (np.shape, np.ndim, len): a
    constant wherever that shape is known."""
    refused: str = ""
    """Why its calls are refused at compile time, saying what to write instead (`np.block`,
    whose nested lists the compiler would take for one array)."""
    differentiable: bool = True
    """False: its result does not depend differentiably on its operands (a comparison, a
    shape, np.sign): it stops activity and needs no rule."""
    infer: KindRule | None = None
    """The kind rule (see `KindRule`); None: the result's kind is not known here."""
    stacks: tuple[int, ...] = ()
    """The ranks of the trailing axes it computes on, per operand, when it maps over any
    leading axes as NumPy's stacks do (np.linalg.inv: (2,), np.vecdot: (1, 1)): `vmap`
    puts a batch axis in front of those. Empty: not known to."""
    additive: bool = False
    """Linear in its operands together, f(x + y) = f(x) + f(y) (a join): its batched JVP
    applied to its operands computes it, which is how `vmap` maps it, as it maps a
    `linear` one with a single batched operand."""
    flattens: bool = False
    """Takes an `axis` of its first operand, None meaning along the flattened array
    (np.cumsum, np.sort, np.argmax): `vmap` moves the axis past the batch axis."""
    numbers: bool = False
    """Takes numbers, not arrays (a function of `math`)."""
    over_arrays: str = ""
    """The prim computing it element by element over arrays, for a function of numbers
    (math.sin: np.sin): what `vmap` calls for batched operands."""
    raises: bool = False
    """May raise for some operand values (a singular matrix): `vmap` does not run it for
    the examples a batched test keeps from it (the other side of a branch)."""
    batching: Callable[..., Any] | None = None
    """Its batching rule (`defbatch`), where no trait says how `vmap` maps it over a
    leading batch axis (a product of two batched stacks, a solve)."""
    moves: tuple[int, ...] = ()
    """The positions of the arguments (of its callable: a packed one's items are its
    argument 0) whose elements its result is made of, moved or copied where its other
    arguments (indices, shapes, axes) say, never computed from (getitem, np.reshape,
    np.concatenate): run on arrays of element ids in their place, it says which element
    each result element is (`ad/sparsity.py`, a Jacobian's sparsity detected)."""
    reads: Callable[..., Any] | None = None
    """Which operand elements each result element is computed from, where no other trait
    says it (a contraction, np.diff): called like the primitive, with arrays of element
    ids (from 1; 0 for an element of a constant that is zero) in place of its array
    operands, it returns, for each element of the result, the ids it reads along a last
    axis (0: none); None where it cannot say for these operands (`ad/sparsity.py`)."""
    floats: str = ""
    """What it does with a Python float where a NumPy float64 scalar was (an array's
    `tolist()` read for speed, `passes/floats.py`): "same", the same value, a Python
    scalar where the float64 made a NumPy one (`+`, `-`, `*`, comparisons); "alike", the
    same value of the same type (a function of `math` reads a float64 as the float it
    is; a ufunc makes a float64 of either); "": not known to (`/` and `%` by zero raise
    ZeroDivisionError on Python floats, `**` OverflowError or gives a complex)."""
    sympy: str | None = None
    """The SymPy function of the same meaning (`sin`, `exp`), for the symbolic check."""
    array_api: str = ""
    """Its name in the Array API standard's namespace (`asin` for np.arcsin, `concat` for
    np.concatenate), or in what array-api-compat gives every library (`einsum`): what the
    array-api backend calls it by (`xp.asin`). "": none, and that backend refuses it."""
    vjps: list[Rule] = field(default_factory=list)
    jvps: list[Rule] = field(default_factory=list)

    def vjp(self, kinds: list[Kind]) -> Rule | None:
        """The first VJP rule that applies to operands of these kinds."""
        return next((r for r in self.vjps if r.applies(kinds)), None)

    def jvp(self, kinds: list[Kind]) -> Rule | None:
        """The first JVP rule that applies to operands of these kinds."""
        return next((r for r in self.jvps if r.applies(kinds)), None)


_TRAITS = frozenset(f.name for f in fields(Primitive)) - {"name", "vjps", "jvps", "batching"}

MODULES = {"np": np, "math": math}
"""The library namespaces whose callables are prims by their own name (`np.cumsum`)."""

BUILTINS: dict[str, Callable[..., Any]] = {
    name: getattr(builtins, name) for name in ("abs", "min", "max", "float", "int", "len", "round", "slice")
}
"""Python builtins the compiler knows; their prim is the bare name (`abs`)."""


def _namespace_names() -> dict[int, str]:
    """The prim names of the callables NumPy, `math`, `operator` and the builtins define,
    by id. Read from the modules' namespaces, not `dir`: getting each name `dir(np)`
    lists would import the submodules NumPy loads lazily (`numpy.f2py`, ...), which would
    make `import ad_compiler` several times slower than `import numpy`."""
    table: dict[int, str] = {}
    for alias, module in MODULES.items():
        names = vars(module)
        for name in sorted(names):
            obj = names[name]
            if name.startswith("_") or not callable(obj) or isinstance(obj, type):
                continue
            canonical = getattr(obj, "__name__", name)
            table.setdefault(id(obj), f"{alias}.{canonical if names.get(canonical) is obj else name}")
    table.update({id(getattr(operator, name)): name for name in OPERATOR_PRIMS})
    table.update({id(fn): name for name, fn in BUILTINS.items()})
    return table


def _namespace_callable(prim: str) -> Callable[..., Any] | None:
    if prim in OPERATOR_PRIMS:
        return getattr(operator, prim)
    if prim in BUILTINS:
        return BUILTINS[prim]
    alias, _, name = prim.partition(".")
    return getattr(MODULES[alias], name, None) if alias in MODULES and name else None


class Table:
    """The primitives by name, by callable and by method name."""

    def __init__(self) -> None:
        self._records: dict[str, Primitive] = {}
        self._blank: dict[str, Primitive] = {}  # (records of prims without one, made once)
        self._by_id: dict[int, str] = {}
        self._by_method: dict[tuple[int, Any], str] = {}  # (id of the object, function) of a bound method
        self._lazy: dict[str, Callable[[], None]] = {}  # module prefix -> what defines its prims
        self._modules_seen = 0  # len(sys.modules) at the last look for them
        self._freezing: dict[int, Any] = {}  # id -> object (kept alive) whose call freezes arguments
        self._namespaces = _namespace_names()
        self._watchers: list[Callable[[], None]] = []

    # --- lookup ---------------------------------------------------------------------

    def get(self, prim: str) -> Primitive:
        """The record of `prim` (a blank one, not stored, for a prim without a record)."""
        # (a library imported since: its primitives first; `_load`'s own first test, inlined:
        # this runs hundreds of thousands of times in a large compilation)
        if self._lazy and len(sys.modules) != self._modules_seen and self._load():
            return self.get(prim)
        found = self._records.get(prim)
        if found is None:
            found = self._blank.get(prim)
        if found is None:
            fn = _namespace_callable(prim)
            found = self._blank[prim] = Primitive(prim, fn=fn, **_ufunc_traits(fn), **_math_traits(prim))
        return found

    def __contains__(self, prim: str) -> bool:
        return prim in self._records

    def __iter__(self) -> Iterator[Primitive]:
        return iter([self._records[name] for name in sorted(self._records)])

    def name_of(self, fn: Any) -> str | None:
        """The prim of a callable the compiler knows (a record's, or one of np.*, math.*,
        operator.* and the builtins; a runtime helper carries its own as `__adc_prim__`)."""
        if isinstance(fn, str):
            return fn
        marked = getattr(fn, "__adc_prim__", None)
        if isinstance(marked, str):
            return marked
        found = self._by_id.get(id(fn)) or self._namespaces.get(id(fn)) or self._bound(fn)
        if found is None and self._load():
            return self.name_of(fn)
        return found

    def _bound(self, fn: Any) -> str | None:
        """A bound method is made anew at each read (`scipy.stats.norm.logpdf`): found by
        its object and function."""
        if not inspect.ismethod(fn):
            return None
        return self._by_method.get((id(fn.__self__), fn.__func__))

    def freezes(self, obj: Any) -> bool:
        """Whether calling `obj` (a SciPy distribution) gives an object whose methods are
        `obj`'s with the call's arguments after their own: `norm(mu, s).logpdf(x)` is
        `norm.logpdf(x, mu, s)`."""
        if self._lazy and self._load():
            return self.freezes(obj)
        return id(obj) in self._freezing and self._freezing[id(obj)] is obj

    def define_freezing(self, obj: Any) -> None:
        """Declare that calling `obj` freezes its arguments (see `freezes`)."""
        self._freezing[id(obj)] = obj
        self._changed()

    def lazy(self, module: str, define: Callable[[], None]) -> None:
        """Run `define` (which defines the primitives of a library such as SciPy) at the
        first lookup that misses once `module` is imported, not before: the compiler
        never imports the library itself."""
        self._lazy[module] = define
        self._modules_seen = 0  # (it may be imported already: the next lookup looks)

    def _load(self) -> bool:
        """Define the primitives of the libraries imported since the last look. A look
        costs a scan of the libraries only when a module was imported since (lookups run
        hundreds of thousands of times in a large compilation)."""
        if len(sys.modules) == self._modules_seen:
            return False
        self._modules_seen = len(sys.modules)
        ready = [module for module in self._lazy if module in sys.modules]
        for module in ready:
            self._lazy.pop(module)()
        return bool(ready)

    def callable(self, prim: str) -> Callable[..., Any] | None:
        """The Python callable that computes a prim, for constant folding; None if structural
        (`np.stack*`, of one run-time sequence, is computed by `np.stack`)."""
        fn = self.get(prim).fn
        return fn if fn is not None or packed_prim(prim) == prim else self.callable(packed_prim(prim))

    def arity(self, prim: str) -> int | None:
        """The fixed number of operands of a prim (None: any), for the verifier."""
        return self.get(prim).arity

    def arguments(self, prim: str, values: list[Any]) -> list[Any]:
        """The positional arguments a prim's callable takes for these operand values."""
        return [tuple(values)] if self.get(prim).packed else list(values)

    def attribute(self, name: str) -> str | None:
        """The prim an ndarray attribute read `x.name` is written as, if any."""
        return next((p.name for p in self._records.values() if name in p.attributes), None)

    def method(self, name: str) -> str | None:
        """The prim an ndarray method call `x.name(...)` is written as, if any."""
        return next((p.name for p in self._records.values() if name in p.methods), None)

    def methods(self) -> list[str]:
        """The ndarray methods written as prims, sorted."""
        return sorted(m for p in self._records.values() for m in p.methods)

    # --- definition -----------------------------------------------------------------

    def define(self, primitive: Any, name: str | None = None, **traits: Any) -> Primitive:
        """The record of `primitive` (a callable or a prim name), made if new, with
        `traits` set (see `Primitive`). A NumPy ufunc gets its traits from the ufunc. A
        callable outside NumPy and `math` is named `name`, by default its dotted path
        (`scipy.special.gammaln`, `mymodule.softplus`): emitted code calls it there."""
        unknown = set(traits) - _TRAITS
        if unknown:
            raise TypeError(f"unknown primitive traits: {', '.join(sorted(unknown))}")
        name = name or self.name_of(primitive) or _dotted_name(primitive)
        if name is None:
            raise ValueError(f"{primitive!r} has no dotted name emitted code could call it by; "
                             "give one: primitive(fn, name='module.function')")
        record = self._records.get(name)
        if record is None:
            fn = primitive if not isinstance(primitive, str) else _namespace_callable(name)
            record = Primitive(name, fn=fn, **_ufunc_traits(fn), **_math_traits(name))
            self._records[name] = record
        for key, value in traits.items():
            setattr(record, key, value)
        if inspect.ismethod(primitive):
            self._by_method[(id(primitive.__self__), primitive.__func__)] = name
        elif not isinstance(primitive, str):
            self._by_id[id(primitive)] = name
        self._changed()
        return record

    def add_rule(self, mode: str, primitive: Any, rule: Rule) -> None:
        """Register a VJP or JVP rule; one for the same ranks and dtypes replaces it."""
        record = self.define(primitive)
        rules = [r for r in getattr(record, mode + "s") if (r.ranks, r.dtypes) != (rule.ranks, rule.dtypes)]
        rules.append(rule)
        rules.sort(key=lambda r: (r.dtypes is None, r.ranks is None))
        setattr(record, mode + "s", rules)
        self._changed()

    # --- changes --------------------------------------------------------------------

    def watch(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever a record changes (compiled code may then be stale)."""
        self._watchers.append(callback)

    def _changed(self) -> None:
        for callback in self._watchers:
            callback()

    @contextlib.contextmanager
    def scope(self) -> Iterator["Table"]:
        """Records defined or changed inside the `with` block are as before after it."""
        saved = ({name: _copied(r) for name, r in self._records.items()}, dict(self._by_id), dict(self._by_method),
                 dict(self._freezing))
        try:
            yield self
        finally:
            self._records, self._by_id, self._by_method, self._freezing = saved
            self._changed()


def _dotted_name(fn: Any) -> str | None:
    """`module.qualname` of a function, where that path reads it back (a ufunc, which
    says neither, where SciPy's special functions have it)."""
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    special = sys.modules.get("scipy.special")
    if module is None and isinstance(fn, np.ufunc) and getattr(special, fn.__name__, None) is fn:
        return f"scipy.special.{fn.__name__}"
    if not module or not qualname or "<" in qualname:
        return None
    if module == "numpy" or module.startswith("numpy."):  # as emitted code spells NumPy: `np.linalg.inv`
        module = "np" + module[len("numpy"):]
    return f"{module}.{qualname}"


def _copied(record: Primitive) -> Primitive:
    out = copy.copy(record)
    out.vjps, out.jvps = list(record.vjps), list(record.jvps)
    return out


def _ufunc_traits(fn: Any) -> dict[str, Any]:
    """What a NumPy ufunc says about itself: elementwise (without a core signature),
    broadcasting when it takes several operands, a new array, and its kind rule; it
    computes a Python float as the float64 it converts it to."""
    if not isinstance(fn, np.ufunc) or fn.signature is not None:
        return {}
    from .kinds import ufunc_kind  # (kinds imports this module)

    return {"elementwise": True, "broadcasting": fn.nin > 1, "fresh": True, "arity": fn.nin, "infer": ufunc_kind,
            "floats": "alike"}


def _math_traits(prim: str) -> dict[str, Any]:
    """A function of `math` takes numbers and gives a number (a bool for `math.is...`),
    reading a float64 as the Python float it is."""
    if not prim.startswith("math."):
        return {}
    from .kinds import math_kind  # (kinds imports this module)

    return {"infer": math_kind, "numbers": True, "floats": "alike"}


PRIMITIVES = Table()
"""Every primitive the compiler knows. Module-level on purpose, like a primitive table:
users extend it (`defvjp`, `primitive`)."""


def primitive(*primitives: Any, **traits: Any) -> list[Primitive]:
    """Define (or update) the records of `primitives` (callables or prim names) with the
    same traits; returns them."""
    return [PRIMITIVES.define(p, **traits) for p in primitives]


def _rule_decorator(mode: str, primitives: tuple[Any, ...], broadcasting: bool | None,
                    ranks: tuple[int, ...] | None, max_rank: int | None,
                    dtypes: tuple[str | None, ...] | None) -> Callable:
    records = [PRIMITIVES.define(p) for p in primitives]  # (a function of the user's: a new primitive)

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        for record in records:
            flag = record.broadcasting if broadcasting is None else broadcasting
            PRIMITIVES.add_rule(mode, record.name, Rule(record.name, fn, flag, ranks, max_rank, dtypes))
        return fn

    return register


def defvjp(*primitives: Any, broadcasting: bool | None = None, ranks: tuple[int, ...] | None = None,
           max_rank: int | None = None, dtypes: tuple[str | None, ...] | None = None) -> Callable:
    """Decorator registering a VJP rule `rule(g, ans, *operands, **static)` for each of
    `primitives` (callables or prim names); see `ad.rules.registry` for the contract.
    `broadcasting` defaults to the primitive's trait."""
    return _rule_decorator("vjp", primitives, broadcasting, ranks, max_rank, dtypes)


def defjvp(*primitives: Any, broadcasting: bool | None = None, ranks: tuple[int, ...] | None = None,
           max_rank: int | None = None, dtypes: tuple[str | None, ...] | None = None) -> Callable:
    """Decorator registering a JVP rule `rule(*tangents, ans, *operands, **static)`, with
    `defvjp`'s options."""
    return _rule_decorator("jvp", primitives, broadcasting, ranks, max_rank, dtypes)


def defbatch(*primitives: Any) -> Callable:
    """Decorator registering a batching rule `rule(*operands, batched, ranks, **static)`
    for each of `primitives`: what `vmap` writes for the op, given its operands (those
    with a batch axis have it in front; an elementwise op's are aligned, axes of length 1
    after the batch axis up to the result's rank), `batched` (per operand, whether it has
    one) and `ranks` (per operand, its rank without it). It returns the result with the
    batch axis in front; like a derivative rule it is lowered and inlined, never called,
    and may refuse the case it is given with `helpers.no_batching(why)` (`vmap` then
    tries the primitive's traits, then one call per example)."""
    records = [PRIMITIVES.define(p) for p in primitives]

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        for record in records:
            record.batching = fn
        PRIMITIVES._changed()
        return fn

    return register


def defzero(*primitives: Any) -> None:
    """Declare prims whose outputs do not depend differentiably on their inputs
    (comparisons, shapes, `np.sign`, ...): they stop activity and need no rule."""
    for p in primitives:
        PRIMITIVES.define(p, differentiable=False)


def compile_time(fn: Callable[..., Any] | None = None, *, run_time: Callable[..., Any] | None = None) -> Any:
    """Mark a helper that runs while lowering, on constant arguments (a derivative rule's
    axis arithmetic, say): its call folds to the constant it returns, so the helper's
    Python need not be code the compiler can lower. `run_time`, a function of the same
    meaning written for the compiler (or one that refuses, saying why), is inlined
    instead where an argument is known only at run time (an axis a generic rule
    computes); without it, that is refused."""
    if fn is None:
        return lambda fn: compile_time(fn, run_time=run_time)
    fn.__adc_compile_time__ = True
    fn.__adc_run_time__ = run_time
    return fn


def run_time_form(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """The function inlined for a compile-time helper given run-time arguments, if any."""
    return getattr(fn, "__adc_run_time__", None)


def is_compile_time(fn: Callable[..., Any]) -> bool:
    return getattr(fn, "__adc_compile_time__", False)
