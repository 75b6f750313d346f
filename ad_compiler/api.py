"""The public transforms, with JAX's semantics where names match: `grad`,
`value_and_grad`, `jacfwd`, `jacrev`, `jacobian` and `hessian` return a `Compiled`
callable that compiles lazily, once per abstract signature of its arguments (DESIGN §5a),
and shows what it emitted (`.source`, `.ir`); `jvp`, `vjp` and `hvp` evaluate at a point.

Transforms compose: a `Compiled` is itself differentiable, since the outer transform
starts from the inner one's IR (`grad(grad(f))`, `jacfwd(jacrev(f))`)."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .arguments import (
    check_checkpoint, check_cotangent, check_differentiated, check_mode, check_tangents, normalized_argnums,
)
from .backends import backend_named, check_backend
from .errors import ArgumentError, CompileError, user_entry
from .frontend import UserFunction, lower_user, user_function
from .frontend.environment import current_kinds, valid, value_refs
from .frontend.lower import APPLIED_MARK, DERIVATIVE_MARK, TRANSFORM_MARK
from .frontend.probes import ShapesNeeded
from .frontend.runlists import ShapedList
from .ir import Function, Op, Region, Value, format_function
from .ir.externals import External
from .ir.types import foreign_array, kind_of
from .ad.rules import RULES
from .ad.sparse import Sparsity, sparsity_of, sparsity_of_entries
from .ad.sparsity import detect, outside_values, same_values, snapshot
from .dispatch import Dispatch, tree_caller, value_caller
from .pytrees import AxesNode, Trees, compose, flat_arguments, frozen_axes, inputs_tree, leaf_options, leaves_of
from .ir.trees import LEAF, TreeDef, flatten, unflatten
from .passes.deferred import DEFERRED
from .shape_ints import Deciding, Known, plain, with_values
from .pipeline import (
    AXES_PER_ARGUMENT, GradOptions, JacobianOptions, JVPOptions, Options, Version, VJPOptions, VmapOptions,
    compile_derivative, example_kinds, maps_forward_jacobian, optimized_primal,
)


@dataclass
class Lowered:
    """A user function's IR, what it assumes of the names it reads from outside
    (`frontend.environment`), and the versions compiled from it."""

    user: UserFunction
    fn: Function
    refs: tuple[External, ...]
    """The names read at call time whose kinds are part of a version's key."""
    versions: dict = field(default_factory=dict)
    shaped: ShapesNeeded | None = None
    """Why it is lowered again per argument kinds (`frontend.probes`): it calls itself to
    a depth that may follow the shapes of its arguments (`fn` runs that call as
    written), or assigns items of a list whose length follows them (`fn` has a run-time
    list, used where the shapes do not make it known here)."""
    by_kinds: dict = field(default_factory=dict)
    deciding: Deciding = field(default_factory=Deciding)
    """Which int arguments decide shapes (`shape_ints`), per signature."""

    def for_kinds(self, kinds: tuple | None) -> Function:
        """The IR to compile for arguments of these kinds (None: of any kind); with the
        value of each int known as a value (`shape_ints.Known`) in place of its parameter."""
        if kinds is not None and any(isinstance(k, Known) for k in kinds):
            if kinds not in self.by_kinds:
                self.by_kinds[kinds] = with_values(self.for_kinds(plain(kinds)), kinds)
            return self.by_kinds[kinds]
        if self.shaped is None or kinds is None:
            return self.fn
        if kinds not in self.by_kinds:
            try:
                self.by_kinds[kinds] = lower_user(self.user, {}, _spliced, kinds=kinds)
            except CompileError:
                if not isinstance(self.shaped, ShapedList):
                    raise
                self.by_kinds[kinds] = self.fn
        return self.by_kinds[kinds]

    def environment(self) -> tuple:
        """The kinds of those names now: with the arguments' kinds, the cache key."""
        return current_kinds(self.refs)


_BOUND_ENTRIES = 256
"""How many lowerings of bound methods, partials and callable objects are kept: their IR
holds the bound objects (read at call time), so they are not kept forever."""


class CompileCache:
    """Compiled versions per (function, options, signature). Plain functions are held
    weakly, so a reloaded module's new functions compile afresh and old ones go; other
    callables (`frontend.callables`) by the identities of what they bind, the latest
    few hundred. A function is lowered again when its code changes or an assumption of
    its IR stops holding (a helper redefined, a global constant rebound); the kinds of
    the globals it reads at call time are part of the key, beside its arguments'."""

    def __init__(self) -> None:
        self._lowered: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._bound: OrderedDict[tuple, Lowered] = OrderedDict()
        self._users: weakref.WeakSet = weakref.WeakSet()

    def user(self, fun: Callable[..., Any]) -> UserFunction:
        """What `fun` is to the compiler (raises SourceUnavailableError if nothing)."""
        entry = self._find(fun, None)
        return entry.user if entry is not None else user_function(fun)

    def _find(self, fun: Callable[..., Any], trees: Trees | None) -> Lowered | None:
        trees = _nontrivial(trees)
        if inspect.isfunction(fun):
            return self._lowered.get(fun, {}).get(trees)
        key = (_identity(fun), trees)
        entry = self._bound.get(key)
        if entry is not None:
            self._bound.move_to_end(key)
        return entry

    def entry(self, fun: Callable[..., Any], trees: Trees | None = None) -> Lowered:
        """The lowering of a user callable, valid now (for arguments of these structures:
        `pytrees`)."""
        trees = _nontrivial(trees)
        entry = self._find(fun, trees)
        if entry is None or entry.user.code is not _code(fun, entry.user) or not valid(entry.fn.guards):
            user = user_function(fun)
            params = list(user.signature.parameters)
            structures = {params[i]: t for i, t in enumerate(trees or ()) if not t.is_leaf}
            try:
                fn, shaped = lower_user(user, structures, _spliced, signal=not structures), None
            except ShapesNeeded as signal:  # (the arguments' shapes may decide it)
                fn, shaped = lower_user(user, structures, _spliced), signal
            entry = Lowered(user, fn, value_refs(fn.guards), shaped=shaped)
            if inspect.isfunction(fun):
                self._lowered.setdefault(fun, {})[trees] = entry
            else:
                self._bound[(_identity(fun), trees)] = entry
                while len(self._bound) > _BOUND_ENTRIES:
                    self._bound.popitem(last=False)
        return entry

    def lowered(self, fun: Callable[..., Any]) -> Function:
        return self.entry(fun).fn

    def primal(self, fun: Callable[..., Any], kinds: tuple | None, env: tuple | None,
               trees: Trees | None = None) -> Function:
        """The IR to differentiate: `fun`'s own, or, for a derivative, the IR it emitted
        for these kinds (so transforms nest)."""
        if isinstance(fun, _DERIVATIVES):
            return self.version(fun.fun, leaf_options(fun.options, trees), kinds, env, trees).nestable
        return self.entry(fun, trees).for_kinds(kinds)

    def version(self, fun: Callable[..., Any], options: Options, kinds: tuple | None,
                env: tuple | None = None, trees: Trees | None = None) -> Version:
        """The version for argument `kinds` (None: generic) and the kinds `env` of the
        names read at call time (by default: theirs now, or unknown for a generic one).
        With `trees`, the arguments' structures: `kinds` and `options` are the leaves'."""
        entry = self.entry(_root(fun), trees)  # `hvp` makes a new grad each call: keyed by its root
        if env is None and kinds is not None:
            env = entry.environment()
        key = (_chain(fun), options, kinds, env)
        if key not in entry.versions:
            outside = dict(zip(entry.refs, env)) if env is not None else {}
            inner = example_kinds(options, kinds, entry.fn)  # (one example's, under vmap)
            if isinstance(fun, _DERIVATIVES) and maps_forward_jacobian(options, fun.options):
                jacobian = leaf_options(fun.options, trees)  # (vmap of jacfwd: jacfwd of the vmap, seeded per example)
                entry.versions[key] = compile_derivative(self.primal(fun.fun, inner, env, trees), options, kinds,
                                                         outside, jacobian)
            else:
                entry.versions[key] = compile_derivative(self.primal(fun, inner, env, trees), options, plain(kinds),
                                                         outside)
        return entry.versions[key]

    def clear(self) -> None:
        self._lowered.clear()
        self._bound.clear()
        for user in list(self._users):
            user.forget()

    def track(self, user: Any) -> None:
        """Remember an object with its own lookup tables, to `forget()` them on `clear`."""
        self._users.add(user)


def _leaf_key(leaves: tuple) -> tuple:
    """What a version is chosen by, of a call's leaves: arrays' shapes and dtypes, the
    types of the rest."""
    return tuple((x.shape, x.dtype) if type(x) is np.ndarray or foreign_array(x) else type(x) for x in leaves)


def _nontrivial(trees: Trees | None) -> Trees | None:
    """Structures that are all leaves are no structures (one lowering serves both)."""
    return None if trees is None or all(t.is_leaf for t in trees) else trees


def _identity(fun: Callable[..., Any]) -> tuple:
    """A bound method is made anew at each attribute read (`model.loss`): it is known
    by its function and object; anything else by itself."""
    if inspect.ismethod(fun):
        return (id(fun.__func__), id(fun.__self__))
    return (id(fun),)


def _code(fun: Callable[..., Any], user: UserFunction) -> Any:
    """The code `fun` runs now, to compare with the lowered one's (a partial's or a
    method's function cannot change under it; a plain function's code can be replaced)."""
    return fun.__code__ if inspect.isfunction(fun) else user.code


def _spliced(derivative: Any) -> Function:
    """The IR of a compiled derivative called inside a function being lowered: its
    generic version's, to splice where it is called (`frontend.lower`). A `vmap`, which
    has none, is a `deferred` op, compiled once the kinds of its operands are known."""
    if isinstance(derivative.options, VmapOptions):
        user = _user(derivative.fun)
        params = [Value(name) for name in user.signature.parameters]
        call = Op(DEFERRED, list(params), [Value()], {
            "name": f"vmap({user.name})",
            "compile": lambda kinds: _CACHE.version(derivative.fun, derivative.options, kinds).nestable,
        })
        return Function(f"vmap_{user.name}", params, Region(ops=[call], yields=[call.result]))
    return _CACHE.version(derivative.fun, derivative.options, None).nestable


_CACHE = CompileCache()
RULES.watch(_CACHE.clear)  # a new or changed rule makes every compiled derivative stale
RULES.splice_with(_spliced)


def clear_cache() -> None:
    """Forget every compiled derivative (they are rebuilt on the next call)."""
    _CACHE.clear()


def _root(fun: Callable[..., Any]) -> Callable[..., Any]:
    """The user's callable under any number of transforms."""
    return _root(fun.fun) if isinstance(fun, _DERIVATIVES) else fun


def _chain(fun: Callable[..., Any]) -> tuple:
    """The transforms between `fun` and its root (the root's lowering is the rest of
    what a version depends on)."""
    if isinstance(fun, _DERIVATIVES):
        return (fun.options,) + _chain(fun.fun)
    return ()


def _user(fun: Callable[..., Any]) -> UserFunction:
    """What the user's callable under `fun`'s transforms is to the compiler."""
    return _CACHE.user(_root(fun))


class Compiled(functools.partial):
    """A derivative of `fun`: call it like `fun`; `.source` and `.ir` show what runs.

    It is a `functools.partial` of a dispatcher generated for `fun`'s parameters (see
    `dispatch`): a call goes from C straight into that function, which finds the
    compiled version with one dict lookup, so calling costs little more than calling
    the emitted function itself.
    """

    def __new__(cls, fun: Callable[..., Any], options: Options) -> "Compiled":
        holder: list[Compiled] = []

        def general(args: tuple, kwargs: dict) -> tuple[Callable[..., Any], tuple]:
            return holder[0]._find(args, kwargs)

        user = _user(fun)
        dispatch = Dispatch(user.name, list(user.signature.parameters.values()), general)
        self = super().__new__(cls, dispatch.function)
        holder.append(self)
        self._dispatch = dispatch
        self._user = user
        return self

    def __init__(self, fun: Callable[..., Any], options: Options) -> None:
        self.fun = fun
        self.options = options
        self._signature = self._user.signature
        self._last: Version | None = None
        _CACHE.track(self)
        functools.update_wrapper(self, self.fun, updated=())
        self.__name__ = self.__qualname__ = self._user.name
        self.__signature__ = self._signature

    def _find(self, args: tuple, kwargs: dict) -> tuple[Callable[..., Any], tuple]:
        """Bind, find or compile the version for these arguments, remember it (and what
        it assumes of the names read from outside: the fast path checks that first);
        the function to call, and the values to call it with (the dispatcher calls it)."""
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = tuple(bound.arguments.values())
        options = self._options_for(len(args), set(kwargs))
        _check_differentiated(self.fun, options, values)
        leaves, trees = flat_arguments(values)
        if trees is not None or _returns_tree(self.fun):  # pytrees: for the leaves, the result put together
            shapes = trees or tuple(LEAF for _ in values)
            call, leaves = self._find_tree(leaves, shapes, options)
            if not kwargs and len(args) == len(values):  # the next such call: by generated checks
                entry = _CACHE.entry(_root(self.fun), trees)
                self._dispatch.assume(entry.fn.guards, entry.refs)
                if self._dispatch.has_room():
                    self._dispatch.remember_caller(tree_caller(shapes, _leaf_key(leaves), self._last.function,
                                                               _result_tree(self, shapes), self._user.name))
            return call, leaves
        entry = _CACHE.entry(_root(self.fun))
        env = entry.environment()
        kinds = _signature_kinds(self.fun, options, values)
        version = self._last = _CACHE.version(self.fun, options, kinds, env)
        self._dispatch.assume(entry.fn.guards, entry.refs)
        if not kwargs and len(args) == len(values):
            known = frozenset(i for i, k in enumerate(kinds) if isinstance(k, Known))
            if known:  # (the tables know ints by type: these are checked by value)
                if self._dispatch.has_room():
                    self._dispatch.remember_caller(value_caller(values, known, version.function, self._user.name))
            else:
                self._dispatch.remember(values, version.function)
        return version.function, values

    def _options_for(self, positional: int, keywords: set[str]) -> Options:
        """The options of a call passing `positional` arguments by position and those
        named `keywords` by name (`vmap` maps them differently)."""
        return self.options

    def _leaf_options(self, options: Options, trees: Trees | None) -> Options:
        """`options` for the leaves of arguments of structures `trees`."""
        return leaf_options(options, trees)

    def _find_tree(self, leaves: tuple, trees: Trees, options: Options) -> tuple[Callable[..., Any], tuple]:
        """`_find` for arguments that are pytrees (`pytrees`): never remembered by the
        dispatcher, whose fast paths know arguments by type and shape alone."""
        version = self._last = _CACHE.version(self.fun, self._leaf_options(options, _nontrivial(trees)),
                                              _kinds(leaves), trees=trees)
        structure = _result_tree(self, trees)

        def call(*flat: Any) -> Any:
            return unflatten(structure, leaves_of(version.function(*flat)))

        return call, leaves

    def forget(self) -> None:
        """Drop what the dispatcher remembers (the cache was cleared)."""
        self._dispatch.forget()
        self._last = None

    @property
    @user_entry
    def generic(self) -> Callable[..., Any]:
        """The version compiled for arguments of any kind (what `adc` writes): slower
        than a specialized one, but never recompiled; for pytree arguments, one per
        structure (compiled at its first call)."""
        @user_entry
        def generic(*args: Any, **kwargs: Any) -> Any:
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            leaves, trees = flat_arguments(tuple(bound.arguments.values()))
            options = self._leaf_options(self._options_for(len(args), set(kwargs)), trees)
            version = _CACHE.version(self.fun, options, None, trees=trees)
            if trees is None:
                return version.function(*leaves)
            return unflatten(_result_tree(self, trees), leaves_of(version.function(*leaves)))

        generic.__name__ = generic.__qualname__ = self.__name__
        return generic

    def _version(self) -> Version:
        return self._last or _CACHE.version(self.fun, self.options, None)

    @property
    @user_entry
    def source(self) -> str:
        """The emitted Python source: of the version the last call through the general
        path compiled or found (each signature's first call), generic before any call."""
        return self._version().source

    @property
    @user_entry
    def ir(self) -> str:
        """The printed IR of the derivative, as optimized."""
        return format_function(self._version().ir)

    def __repr__(self) -> str:
        return f"<ad_compiler.Compiled {self.__name__} {self.options}>"


def _params(fun: Callable[..., Any]) -> list[str]:
    """The parameters a call of `fun` binds, in the order the IR takes them."""
    return list(_user(fun).signature.parameters)


def _argnums(fun: Callable[..., Any], argnums: int | Sequence[int]) -> tuple[tuple[int, ...], bool]:
    """Normalized argnums, and whether the result is a tuple (argnums given as one)."""
    user = _user(fun)
    return normalized_argnums(user.name, user.positional, argnums)


def _transform(fun: Callable | None, make: Callable[[Callable], Options]) -> Any:
    if fun is None:
        def decorate(f: Callable[..., Any]) -> Any:
            return _transform(f, make)

        return user_entry(decorate)
    return Compiled(fun, make(fun))


def _returns_tree(fun: Callable[..., Any]) -> bool:
    """Whether the user's function returns a pytree (a list, a dict: `Function.out_tree`)."""
    return _CACHE.entry(_root(fun)).fn.out_tree is not None


def _result_tree(fun: Callable[..., Any], trees: Trees) -> TreeDef:
    """The structure of what `fun` returns for arguments of structures `trees`: the
    function's own result's; a gradient has its arguments'; a Jacobian the result's, with
    the arguments' at each leaf (as JAX's)."""
    if not isinstance(fun, _DERIVATIVES):
        return _CACHE.entry(fun, trees).fn.out_tree or LEAF
    inner, options = _result_tree(fun.fun, trees), fun.options
    if isinstance(options, VmapOptions):  # (each result with its batch axis)
        return inner
    if isinstance(options, GradOptions):
        grads = inputs_tree(trees, options.argnums, options.tuple_out)
        if options.has_aux:  # (value, aux) in, (grads, aux) or ((value, aux), grads) out
            pair = inner if not inner.is_leaf else TreeDef("tuple", children=(LEAF, LEAF))
            aux = pair.children[1] if len(pair.children) == 2 else TreeDef("tuple", children=pair.children[1:])
            return TreeDef("tuple", children=(pair, grads) if options.with_value else (grads, aux))
        return TreeDef("tuple", children=(inner, grads)) if options.with_value else grads
    return compose(inner, inputs_tree(trees, options.argnums, options.tuple_out))


def _what(options: Options) -> str:
    """The transform's name, for messages."""
    if isinstance(options, GradOptions):
        return "value_and_grad" if options.with_value else "grad"
    return "hessian" if options.name.startswith("hessian") else "jacobian"


def _check_differentiated(fun: Callable[..., Any], options: Options, values: tuple) -> None:
    if isinstance(options, (GradOptions, JacobianOptions)):
        user = _user(fun)
        check_differentiated(_what(options), user.name, list(user.signature.parameters), values, options.argnums,
                             backend_named(options.backend).takes)


@user_entry
def grad(fun: Callable | None = None, argnums: int | Sequence[int] = 0, mode: str = "auto",
         has_aux: bool = False, checkpoint: str | int | None = None, backend: str = "numpy") -> Any:
    """The gradient of scalar-valued `fun` w.r.t. the argument(s) at `argnums`: one
    gradient for an int, a tuple of them for a tuple (as `jax.grad`); of a pytree, a
    pytree of its structure. Usable as `@grad` and `@grad(argnums=...)`.
    `mode="reverse"` computes it by reverse mode, `"forward"` by one batched forward
    pass, `"auto"` by the faster of the two for the arguments' kinds (`modes.py`: forward
    for one float through loops). With `has_aux`, `fun` returns `(value, aux)` and the
    derivative `(gradient, aux)`. `checkpoint="sqrt"` (or a number of steps per segment)
    makes reverse mode record long loops by segments and recompute them: memory grows
    like the square root of the trip count, for one more forward pass; `"log"` cuts
    segments into segments (about log4 T levels, each one more forward pass): memory
    like log T. `backend` is what the emitted derivative runs on: `"numpy"`, `"numba"`
    (compiled by numba) or `"array-api"` (NumPy, dask.array, CuPy or PyTorch arrays alike;
    docs/backends.md)."""
    check_mode(mode)
    check_checkpoint(checkpoint)
    check_backend(backend)
    return _transform(fun, lambda f: GradOptions(*_argnums(f, argnums), mode=mode, has_aux=bool(has_aux),
                                                 checkpoint=checkpoint, backend=backend))


@user_entry
def value_and_grad(fun: Callable | None = None, argnums: int | Sequence[int] = 0, mode: str = "auto",
                   has_aux: bool = False, checkpoint: str | int | None = None, backend: str = "numpy") -> Any:
    """Like `grad`, but the derivative returns `(fun(*args), gradient)`: with `has_aux`,
    `((value, aux), gradient)`, as JAX's."""
    check_mode(mode)
    check_checkpoint(checkpoint)
    check_backend(backend)
    return _transform(fun, lambda f: GradOptions(*_argnums(f, argnums), with_value=True, mode=mode,
                                                 has_aux=bool(has_aux), checkpoint=checkpoint, backend=backend))


@user_entry
def jacobian(fun: Callable | None = None, argnums: int | Sequence[int] = 0, mode: str = "auto",
             sparsity: Any = None, backend: str = "numpy") -> Any:
    """The Jacobian of `fun` w.r.t. the argument(s) at `argnums`, of shape
    `out.shape + in.shape`: by one batched forward pass (`mode="forward"`, as `jacfwd`),
    by reverse sweeps, one per output entry (`"reverse"`, as `jacrev`), or by the one
    the sizes favour (`"auto"`: reverse where the inputs outnumber the outputs eight
    times, `modes.py`). With `sparsity` (where the Jacobian may be nonzero: a boolean
    array or a SciPy sparse matrix, outputs by inputs, each flattened; or `"detect"`, found
    from the function for the arguments of each call, `ad/sparsity.py`), a SciPy sparse
    array, by one forward pass per colour of its columns (`ad/sparse.py`). `backend`: as
    `grad`'s."""
    check_mode(mode)
    check_backend(backend)
    if sparsity is not None:
        if backend != "numpy":
            raise ArgumentError("a sparse Jacobian (a SciPy sparse array) runs on the NumPy backend: leave "
                                "backend='numpy' where sparsity is given")
        return _sparse_jacobian(fun, argnums, mode, sparsity)
    return _transform(fun, lambda f: JacobianOptions(*_argnums(f, argnums), mode=mode, backend=backend))


def _sparse_jacobian(fun: Callable | None, argnums: Any, mode: str, sparsity: Any) -> Any:
    if fun is None:
        return lambda f: _sparse_jacobian(f, argnums, mode, sparsity)
    if not isinstance(argnums, int) or mode == "reverse":
        raise ArgumentError("a sparse Jacobian is taken by forward passes w.r.t. one argument: pass argnums "
                            "as an int, and mode='auto' or 'forward'")
    if importlib.util.find_spec("scipy") is None:  # (checked before anything is compiled)
        raise ArgumentError("jacobian(..., sparsity=...) returns a SciPy sparse array: install scipy")
    if isinstance(sparsity, str):
        if sparsity != "detect":
            raise ArgumentError(f"sparsity is a pattern (a boolean array or a SciPy sparse matrix) or 'detect', "
                                f"not {sparsity!r}")
        return SparseJacobian(fun, argnums, None)
    try:
        pattern = sparsity_of(sparsity)
    except ValueError as err:
        raise ArgumentError(str(err)) from None
    return SparseJacobian(fun, argnums, pattern)


_DETECTED_ENTRIES = 8
"""How many patterns a detecting sparse Jacobian keeps: one for each values of its other
arguments met lately (each call compares its values with theirs)."""


@dataclass
class _Found:
    """A pattern detected for some values of the arguments not differentiated (and of the
    numbers and arrays read from outside), and the version compiled for it."""

    given: tuple
    sparsity: Sparsity
    values: "Compiled"


class SparseJacobian:
    """A sparse Jacobian of `fun`: call it like `fun` for a `scipy.sparse.csr_array`
    (outputs by inputs, each flattened) holding the pattern's entries; `.source` and
    `.ir` show the compiled function, which returns the nonzeros. A detected pattern
    (`sparsity=None` here) is found at the first call for the other arguments' values
    and shapes, and found again at a call where they differ (`.sparsity`: the last
    call's)."""

    def __init__(self, fun: Callable[..., Any], argnum: int, sparsity: Sparsity | None) -> None:
        self.fun, self.argnum, self.sparsity = fun, argnum, sparsity
        self._detecting = sparsity is None
        self.values = Compiled(fun, JacobianOptions(*_argnums(fun, argnum), mode="forward", sparsity=sparsity)) \
            if sparsity is not None else None
        self._found: OrderedDict[int, list[_Found]] = OrderedDict()
        self._work: dict[tuple, Function] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        import scipy.sparse

        if self._detecting:
            found = self._detect(args, kwargs)
            self.sparsity, self.values = found.sparsity, found.values
        data = self.values(*args, **kwargs)
        return scipy.sparse.csr_array((data, self.sparsity.cols, self.sparsity.indptr), shape=self.sparsity.shape)

    def _detect(self, args: tuple, kwargs: dict) -> _Found:
        """The pattern for these arguments: found before for equal values, else detected."""
        work, wrt, leaves = self._primal(args, kwargs)
        given = tuple(leaf for i, leaf in enumerate(leaves) if i != wrt) + outside_values(work)
        key = id(work)
        for found in self._found.get(key, []):
            if same_values(found.given, given):
                return found
        detected = detect(work, wrt, leaves)
        pattern = sparsity_of_entries(detected.rows, detected.cols, detected.shape, detected.dense)
        found = _Found(snapshot(given), pattern,
                       Compiled(self.fun, JacobianOptions(*_argnums(self.fun, self.argnum), mode="forward",
                                                          sparsity=pattern)))
        self._found.setdefault(key, []).append(found)
        while sum(len(v) for v in self._found.values()) > _DETECTED_ENTRIES:
            oldest = next(iter(self._found))
            self._found[oldest].pop(0)
            if not self._found[oldest]:
                del self._found[oldest]
        return found

    def _primal(self, args: tuple, kwargs: dict) -> tuple[Function, int, tuple]:
        """The function's IR specialized to the arguments' kinds, the position of the
        differentiated leaf, and the leaves."""
        user = _user(self.fun)
        bound = user.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = tuple(bound.arguments.values())
        options = JacobianOptions(*_argnums(self.fun, self.argnum))
        _check_differentiated(self.fun, options, values)
        leaves, trees = flat_arguments(values)
        trees = _nontrivial(trees)
        wrt = leaf_options(options, trees).argnums
        if len(wrt) != 1:
            raise ArgumentError("a sparse Jacobian is taken w.r.t. one array: argument "
                                f"{self.argnum} of {user.name} is a pytree of {len(wrt)}")
        kinds = _kinds(leaves)
        entry = _CACHE.entry(_root(self.fun), trees)
        env = entry.environment()
        key = (entry.fn, kinds, env, trees)  # (a function lowered again, edited or its globals rebound: anew)
        if key not in self._work:
            self._work[key] = optimized_primal(_CACHE.primal(self.fun, kinds, env, trees), kinds,
                                               dict(zip(entry.refs, env)))
        return self._work[key], wrt[0], leaves

    @property
    def source(self) -> str:
        return self._compiled().source

    @property
    def ir(self) -> str:
        return self._compiled().ir

    def _compiled(self) -> "Compiled":
        if self.values is None:
            raise ArgumentError("a sparse Jacobian with sparsity='detect' is compiled for the pattern detected at "
                                "its first call: call it before reading .source or .ir")
        return self.values


@user_entry
def sparsity_pattern(fun: Callable[..., Any], *args: Any, argnums: int = 0, **kwargs: Any) -> Any:
    """Where the Jacobian of `fun` w.r.t. argument `argnums` may be nonzero, for arguments
    of these shapes and for these values of the others (the differentiated one's value
    does not matter: the pattern holds at every point): a boolean `scipy.sparse.csr_array`,
    outputs by inputs (each flattened), as SciPy's `least_squares(jac_sparsity=...)`
    takes it. See `jacobian(f, sparsity="detect")`."""
    if not isinstance(argnums, int):
        raise ArgumentError("sparsity_pattern is of the Jacobian w.r.t. one argument: pass argnums as an int")
    if importlib.util.find_spec("scipy") is None:
        raise ArgumentError("sparsity_pattern returns a SciPy sparse array: install scipy")
    import scipy.sparse

    jac = SparseJacobian(fun, argnums, None)
    work, wrt, leaves = jac._primal(args, kwargs)
    detected = detect(work, wrt, leaves)
    return scipy.sparse.csr_array((np.ones(detected.rows.size, dtype=bool), (detected.rows, detected.cols)),
                                  shape=detected.shape)


@user_entry
def jacfwd(fun: Callable | None = None, argnums: int | Sequence[int] = 0, backend: str = "numpy") -> Any:
    """The Jacobian by forward mode: one pass carrying every input direction at once."""
    return jacobian(fun, argnums, mode="forward", backend=backend)


@user_entry
def jacrev(fun: Callable | None = None, argnums: int | Sequence[int] = 0, backend: str = "numpy") -> Any:
    """The Jacobian by reverse mode: one forward sweep, one reverse sweep per output entry."""
    return jacobian(fun, argnums, mode="reverse", backend=backend)


@user_entry
def hessian(fun: Callable | None = None, argnums: int | Sequence[int] = 0, backend: str = "numpy") -> Any:
    """The Hessian of scalar-valued `fun`: `jacfwd(jacrev(fun))`, forward over reverse
    (for a scalar function `jacrev` is `grad`, which is what runs)."""
    check_backend(backend)
    if fun is None:
        return lambda f: hessian(f, argnums, backend)
    name = "hessian_" + _user(fun).name
    return Compiled(grad(fun, argnums, mode="reverse"), JacobianOptions(*_argnums(fun, argnums), mode="forward",
                                                                       name=name, backend=backend))


class Mapped(Compiled):
    """`vmap(fun)`: call it like `fun` with a batch of examples along the mapped axes;
    `.source` and `.ir` show the vectorized function compiled for the last call's kinds.
    The axes of a call depend on how it passes its arguments, as in JAX: `in_axes`
    applies to the arguments passed by position, those passed by name are mapped along
    their first axis, and defaults are not mapped."""

    def __new__(cls, fun: Callable[..., Any], in_axes: Any, out_axes: Any, axis_size: int | None) -> "Mapped":
        return super().__new__(cls, fun, None)

    def __init__(self, fun: Callable[..., Any], in_axes: Any, out_axes: Any, axis_size: int | None) -> None:
        self._in_axes, self._out_axes, self._axis_size = in_axes, out_axes, axis_size
        super().__init__(fun, self._axes_of(len(self._positional()), set()))

    def _positional(self) -> list[str]:
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return [p.name for p in self._user.signature.parameters.values() if p.kind in kinds]

    def _axes_of(self, positional: int, keywords: set[str]) -> VmapOptions:
        """The axis of each parameter for a call passing `positional` arguments by
        position (`in_axes` of them: one for all, or one each) and `keywords` by name."""
        names = list(self._user.signature.parameters)
        given = list(self._in_axes.children) if isinstance(self._in_axes, AxesNode) else [self._in_axes] * positional
        rest = [0 if name in keywords else None for name in names[len(given):]]
        return VmapOptions(tuple(given + rest), self._out_axes, self._axis_size)

    def _options_for(self, positional: int, keywords: set[str]) -> Options:
        if isinstance(self._in_axes, AxesNode) and len(self._in_axes.children) != positional:
            raise ArgumentError(AXES_PER_ARGUMENT.format(len(self._in_axes.children), positional))
        return self._axes_of(positional, keywords)

    def _leaf_options(self, options: Options, trees: Trees | None) -> Options:
        result = _result_tree(self.fun, trees) if trees is not None else None
        return options.for_leaves(trees, result)


@user_entry
def vmap(fun: Callable | None = None, in_axes: Any = 0, out_axes: Any = 0, axis_size: int | None = None) -> Any:
    """`fun` mapped over an axis of its arguments, as `jax.vmap`: the result stacks what
    `fun` gives for each example (each index along the mapped axes), computed by one
    vectorized function the compiler writes, not a loop. `in_axes`: the axis of each
    positional argument (an int for all, None: not mapped, negative from the end; a
    tuple with one entry per argument, each a prefix of that argument's pytree);
    `out_axes`: where each result's batch axis goes (None: a result that must not
    depend on the mapped arguments). `axis_size`: the number of examples, where no
    argument is mapped. Composes with the other transforms both ways (`vmap(grad(f))`,
    `jacfwd(vmap(f))`, `vmap(vmap(f))`). See docs/vmap.md."""
    if fun is None:
        return user_entry(lambda f: vmap(f, in_axes, out_axes, axis_size))
    if type(in_axes) is list:  # (JAX reads a list of entries as a tuple: one per argument)
        in_axes = tuple(in_axes)
    if type(in_axes) not in (tuple, int, type(None)) or isinstance(in_axes, bool):
        raise ArgumentError(f"vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
                            f"positional arguments passed to the function, but got {in_axes!r}")
    if axis_size is not None and (not isinstance(axis_size, int) or isinstance(axis_size, bool) or axis_size < 0):
        raise ArgumentError(f"vmap axis_size must be a non-negative int, but got {axis_size!r}")
    return Mapped(fun, frozen_axes(in_axes, "in_axes"), frozen_axes(out_axes, "out_axes"), axis_size)


def _kinds(values: Sequence[Any]) -> tuple:
    return tuple(kind_of(v) for v in values)


def _signature_kinds(fun: Callable[..., Any], options: Options, values: Sequence[Any]) -> tuple:
    """The kinds of a version's key for these arguments: with the values of the ints
    that decide shapes (`shape_ints`; under `vmap`, those of one example, which are the
    arguments not mapped)."""
    kinds = _kinds(values)
    entry = _CACHE.entry(_root(fun))
    env = entry.environment()
    example = tuple(example_kinds(options, kinds, entry.fn))
    keyed = entry.deciding.key(entry.for_kinds(example), example, values, dict(zip(entry.refs, env)), env)
    return tuple(k if isinstance(k, Known) else kind for k, kind in zip(keyed, kinds))


def _bound(fun: Callable[..., Any], args: Sequence[Any]) -> tuple:
    """The arguments with defaults filled in, in parameter order."""
    bound = _user(fun).signature.bind(*args)
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def _differentiable(value: Any) -> bool:
    """Whether a primal of jvp or vjp has a derivative: a float or float array (an int's is
    none, as JAX's float0); complex ones are refused, not taken for constants."""
    dtype = getattr(kind_of(value), "dtype", None)
    if dtype == "complex":
        raise ArgumentError(f"a complex primal ({kind_of(value)}): complex derivatives are not supported yet; "
                            "pass the real and imaginary parts as two float arguments")
    return dtype in ("float", None)


@user_entry
def jvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """`(fun(*primals), J @ tangents)`: the value and the directional derivative, by
    forward mode, as `jax.jvp`. Tangents of integer arguments are ignored (pass 0 or
    None); a None tangent of a float argument is zero."""
    primals, tangents = tuple(primals), tuple(tangents)
    values = _bound(fun, primals)
    leaves, trees = flat_arguments(values)
    if trees is not None or _returns_tree(fun):
        return _tree_jvp(fun, primals, tangents, leaves, trees or tuple(LEAF for _ in values))
    wrt = tuple(i for i, (x, t) in enumerate(zip(primals, tangents)) if t is not None and _differentiable(x))
    check_tangents(primals, tangents, _params(_root(fun)), wrt)
    version = _CACHE.version(fun, JVPOptions(wrt), _signature_kinds(fun, JVPOptions(wrt), values))
    return version.function(*values, *(tangents[i] for i in wrt))


def _tree_jvp(fun: Callable[..., Any], primals: tuple, tangents: tuple, leaves: tuple,
              trees: Trees) -> tuple[Any, Any]:
    """`jvp` of arguments that are pytrees: each tangent has its primal's structure; the
    value and the tangent have the result's."""
    if len(primals) != len(tangents):
        raise ArgumentError(f"jvp got {len(primals)} primals and {len(tangents)} tangents; pass one "
                            "tangent per primal (None for one not differentiated)")
    params = _params(_root(fun))
    given: list = []
    for i, tree in enumerate(trees):
        if i >= len(tangents) or tangents[i] is None:
            given += [None] * tree.leaves
            continue
        found, structure = flatten(tangents[i])
        if structure != tree:
            raise ArgumentError(f"the tangent of argument {i} ({params[i]}) has the structure {structure}, "
                                f"but {params[i]} has {tree}; pass a tangent of the argument's structure")
        given += found
    wrt = tuple(k for k, (x, t) in enumerate(zip(leaves, given)) if t is not None and _differentiable(x))
    check_tangents(leaves, given, [f"leaf {k}" for k in range(len(leaves))], wrt)
    version = _CACHE.version(fun, JVPOptions(wrt), _kinds(leaves), trees=_nontrivial(trees))
    out, tangent = version.function(*leaves, *(given[k] for k in wrt))
    structure = _result_tree(fun, trees)
    return unflatten(structure, leaves_of(out)), unflatten(structure, leaves_of(tangent))


class Pullback:
    """The VJP of `fun` at fixed primals, as the function `jax.vjp` returns:
    `pullback(cotangent)` is the tuple of the cotangents of the primals passed (zeros for
    integer ones). The forward sweep ran once, in `vjp`; a call runs only the reverse
    sweep, on the residuals it left. `.source` shows both emitted functions."""

    def __init__(self, fun: Callable[..., Any], values: tuple, given: int) -> None:
        self._given = given
        self._name = _user(fun).name
        leaves, self._trees = flat_arguments(values)
        trees = self._trees or tuple(LEAF for _ in values)
        self._leaves = leaves
        self._given_leaves = sum(tree.leaves for tree in trees[:given])
        self._wrt = tuple(k for k in range(self._given_leaves) if _differentiable(leaves[k]))
        kinds = _kinds(leaves)
        self._forward = _CACHE.version(fun, VJPOptions(self._wrt, "forward"), kinds, trees=self._trees)
        self._pullback = _CACHE.version(fun, VJPOptions(self._wrt, "pullback"), kinds, trees=self._trees)
        out, self._residuals = self._forward.function(*leaves)
        self._out_tree = (_result_tree(fun, trees) if self._trees is not None or _returns_tree(fun) else None)
        self.out = out if self._out_tree is None else unflatten(self._out_tree, leaves_of(out))

    @user_entry
    def __call__(self, cotangent: Any) -> tuple:
        if self._out_tree is not None:
            found, structure = flatten(cotangent)
            if structure != self._out_tree:
                raise ArgumentError(f"the cotangent has the structure {structure}, but {self._name} returned "
                                    f"{self._out_tree}; pass a cotangent of the result's structure")
            cotangent = found[0] if self._out_tree.is_leaf else tuple(found)
        else:
            check_cotangent(self._name, self.out, cotangent)
        grads = iter(self._pullback.function(*self._residuals, cotangent))
        flat = [next(grads) if k in self._wrt else np.zeros_like(self._leaves[k]) for k in range(self._given_leaves)]
        if self._trees is None:
            return tuple(flat)
        parts, start = [], 0
        for tree in self._trees[:self._given]:
            parts.append(unflatten(tree, flat[start:start + tree.leaves]))
            start += tree.leaves
        return tuple(parts)

    @property
    def source(self) -> str:
        return self._forward.source + "\n" + self._pullback.source

    @property
    def ir(self) -> str:
        return format_function(self._forward.ir) + "\n" + format_function(self._pullback.ir)


@user_entry
def vjp(fun: Callable[..., Any], *primals: Any) -> tuple[Any, Pullback]:
    """`(fun(*primals), pullback)`, as `jax.vjp`; `pullback(g)` returns `g @ J` for each
    primal. The forward sweep runs here, once; each pullback call runs the reverse sweep."""
    pullback = Pullback(fun, _bound(fun, primals), len(primals))
    return pullback.out, pullback


class _Derivative:
    """A transform of `fun`, not wrapped for calling: what `hvp` differentiates, without
    the dispatcher a `Compiled` generates (compiled versions are shared all the same)."""

    def __init__(self, fun: Callable[..., Any], options: Options) -> None:
        self.fun = fun
        self.options = options


@user_entry
def hvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    """The Hessian of scalar-valued `fun` (w.r.t. its first argument) times `tangents`,
    forward over reverse, without forming the Hessian: `jvp(grad(fun), primals,
    tangents)[1]`, as JAX's documentation defines it."""
    return jvp(_Derivative(fun, GradOptions(*_argnums(fun, 0))), primals, tangents)[1]


def compile_version(fun: Callable[..., Any], options: Options, kinds: tuple | None = None) -> Version:
    """The derivative `options` describe of `fun` (a function or a `Compiled`), compiled
    for argument `kinds` (None: the generic version); cached like every other."""
    return _CACHE.version(fun, options, kinds)


def lowered(fun: Callable[..., Any]) -> Function:
    """The IR of a function as lowered from its source (cached)."""
    return _CACHE.lowered(fun)


def stop_gradient(x: Any) -> Any:
    """`x` itself, as a constant of the derivative (as `jax.lax.stop_gradient`): its
    derivative is zero, and code run as written may read it. Emitted code writes `x`."""
    return x


stop_gradient.__adc_prim__ = "stop_gradient"  # (a primitive of its own: `primitives.structural`)


def outside_kinds(fun: Callable[..., Any]) -> dict[External, Any]:
    """The kinds the numbers and arrays a function reads from outside itself have now
    (what a version compiled now is specialized to, beside its arguments' kinds)."""
    entry = _CACHE.entry(fun)
    return dict(zip(entry.refs, entry.environment()))


@user_entry
def show(obj: Compiled) -> None:
    """Print the emitted source of a compiled derivative."""
    print(obj.source)


setattr(Compiled, DERIVATIVE_MARK, True)  # a call of one is not inlined as the function it wraps
setattr(jvp, APPLIED_MARK, lambda fun, wrt: (_Derivative(fun, JVPOptions(wrt)), None))
setattr(hvp, APPLIED_MARK, lambda fun, wrt: (
    _Derivative(_Derivative(fun, GradOptions(*_argnums(fun, 0))), JVPOptions(wrt)), 1))
for _transform_function in (grad, value_and_grad, jacobian, jacfwd, jacrev, hessian, vmap):
    setattr(_transform_function, TRANSFORM_MARK, True)  # called inside a function: made while lowering

_DERIVATIVES = (Compiled, _Derivative)
"""What differentiating again starts from the IR of (read at call time, so defined last)."""
