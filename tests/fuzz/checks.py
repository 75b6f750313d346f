"""The checks of a program at a point: each derivative ad_compiler computes, against
central differences, and the code it runs as written against one call of the program.

Each check compiles and calls one transform. Its effects (appends to the module's `LOG`,
lines printed to its `OUT`) must be those of one call of the program, with the same
values; values it returns beside the derivative must be the program's value. Derivatives
are compared with central differences at step h (cbrt(eps) for first derivatives, nested
differences with an outer step eps**(1/4) for second); where they disagree, the
differences are taken again at h/2: if the two disagree with each other the point is not
smooth enough to judge (`NotSmooth`), else the derivative is wrong (`WrongValue`).

This module imports only NumPy and ad_compiler and has no `from __future__` import, so a
reproduction file embeds its text and runs by itself.
"""

import traceback
import warnings

import numpy as np

import ad_compiler

CBRT_EPS = float(np.cbrt(np.finfo(np.float64).eps))
QUARTIC_EPS = float(np.finfo(np.float64).eps ** 0.25)
FIRST = (1e-5, 1e-6)
"""(rtol, atol) of first derivatives; atol is relative to the size of the values."""
SECOND = (1e-4, 1e-5)
VALUE = (1e-7, 1e-7)
"""For the program's value and logged values, recomputed by a derivative."""


class WrongValue(AssertionError):
    """A derivative or a value disagrees with central differences or with the program.
    `finite` says whether the value computed was finite (NaN and inf are told apart in
    failure classes: they tend to have causes of their own)."""

    def __init__(self, message, finite=True, what=None):
        super().__init__(message)
        self.finite = finite
        self.what = what


class WrongEffects(AssertionError):
    """A derivative ran the code the program runs as written a different number of times,
    or on different values, than one call of the program."""


class NotSmooth(Exception):
    """Central differences at h and h/2 disagree: no derivative to compare with here."""


class NotApplicable(Exception):
    """The check does not apply to this program (a gradient of a function whose value is
    not a number)."""


def flat(values):
    """The entries of `values` (numbers and arrays) in one vector."""
    return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in values] + [np.zeros(0)])


def unflat(vector, like):
    """`vector` cut into the shapes of `like` (floats where `like` has floats)."""
    out, start = [], 0
    for v in like:
        n = int(np.size(v))
        piece = vector[start:start + n]
        out.append(float(piece[0]) if np.ndim(v) == 0 else piece.reshape(np.shape(v)).copy())
        start += n
    return tuple(out)


def magnitude(*values):
    return max([1.0] + [float(np.max(np.abs(v))) for v in values if np.size(v)])


def evaluate(f, args, vector):
    return np.ravel(np.asarray(f(*unflat(vector, args)), dtype=float))


def central_jacobian(f, args, scale=1.0):
    """d f / d (all entries of all arguments), shape (outputs, inputs)."""
    x = flat(args)
    columns = []
    for k in range(x.size):
        plus, minus = x.copy(), x.copy()
        h = scale * CBRT_EPS * max(1.0, abs(x[k]))
        plus[k] += h
        minus[k] -= h
        columns.append((evaluate(f, args, plus) - evaluate(f, args, minus)) / (plus[k] - minus[k]))
    return np.stack(columns, axis=1)


def central_directional(f, args, v, scale=1.0):
    x = flat(args)
    h = scale * CBRT_EPS * max(1.0, float(np.max(np.abs(x)))) / max(float(np.max(np.abs(v))), 1e-300)
    return (evaluate(f, args, x + h * v) - evaluate(f, args, x - h * v)) / (2 * h)


def central_hessian_vector(f, args, v, scale=1.0):
    """d/dt of the central-difference gradient at x + t v (f scalar)."""
    x = flat(args)
    h = scale * QUARTIC_EPS * max(1.0, float(np.max(np.abs(x)))) / max(float(np.max(np.abs(v))), 1e-300)

    def gradient(y):
        return central_jacobian(f, unflat(y, args), scale)[0]

    return (gradient(x + h * v) - gradient(x - h * v)) / (2 * h)


def excess(got, want, tolerance, size):
    """max |got - want| / (atol * size + rtol * |want|): above 1 is a disagreement."""
    rtol, atol = tolerance
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return np.inf
    if not np.all(np.isfinite(got)):
        return np.inf if np.all(np.isfinite(want)) else 0.0
    return float(np.max(np.abs(got - want) / (atol * size + rtol * np.abs(want)), initial=0.0))


def show(value):
    return np.array2string(np.asarray(value, dtype=float), precision=10, threshold=30)


def compare(what, got, difference, tolerance, size):
    """`got` against `difference(scale)`, central differences at scale * h (see the
    module docstring)."""
    want = difference(1.0)
    size = magnitude(size, want)
    if excess(got, want, tolerance, size) <= 1:
        return
    half = difference(0.5)
    if excess(got, half, tolerance, size) <= 1:
        return
    if excess(want, half, tolerance, size) > 0.25 or not np.all(np.isfinite(want)):
        raise NotSmooth(f"{what}: central differences at h and h/2 disagree")
    raise WrongValue(f"{what}: computed {show(got)}, central differences {show(want)}",
                     bool(np.all(np.isfinite(got))), what)


def compare_value(what, got, want):
    if excess(got, want, VALUE, magnitude(want)) > 1:
        raise WrongValue(f"{what}: computed {show(got)}, the program returns {show(want)}", what=what)


def _channels(f):
    return f.__globals__.get("LOG"), f.__globals__.get("OUT")


def run_with_effects(f, thunk):
    """thunk(), and the effects it had: (result, logged values, printed line count)."""
    log, out = _channels(f)
    if log is not None:
        del log[:]
    if out is not None:
        out.seek(0)
        out.truncate(0)
    result = thunk()
    logged = list(log) if log is not None else []
    lines = out.getvalue().count("\n") if out is not None else 0
    return result, logged, lines


class Program:
    """The program under test at a point, with one call's value and effects."""

    def __init__(self, f, args):
        self.f, self.args = f, tuple(args)
        value, self.log, self.lines = run_with_effects(f, lambda: f(*args))
        self.value = np.asarray(value, dtype=float)
        self.size = magnitude(self.value)

    def once(self, what, thunk):
        """thunk(), checking that it had the effects of one call of the program and left
        the arguments as they were."""
        copies = [np.copy(x) for x in self.args]
        result, log, lines = run_with_effects(self.f, thunk)
        for k, (x, c) in enumerate(zip(self.args, copies)):
            if not np.array_equal(x, c):
                raise WrongEffects(f"{what}: argument {k} was changed by the call")
        if len(log) != len(self.log):
            raise WrongEffects(f"{what}: {len(log)} appends to LOG, one call of the program makes {len(self.log)}")
        if lines != self.lines:
            raise WrongEffects(f"{what}: printed {lines} lines, one call of the program prints {self.lines}")
        if excess(flat(log), flat(self.log), VALUE, magnitude(*self.log)) > 1:
            raise WrongEffects(f"{what}: logged {show(log)}, one call of the program logs {show(self.log)}")
        return result

    def random_like(self, rng, value):
        return float(rng.normal()) if np.ndim(value) == 0 else rng.normal(size=np.shape(value))

    def check_shapes(self, what, got):
        for k, (g, x) in enumerate(zip(got, self.args)):
            if np.shape(g) != np.shape(x):
                raise WrongValue(f"{what}: derivative w.r.t. argument {k} has shape {np.shape(g)}, "
                                 f"the argument has {np.shape(x)}")


def _argnums(p):
    return tuple(range(len(p.args)))


def _scalar(p, what):
    if p.value.shape != ():
        raise NotApplicable(f"{what}: the program returns shape {p.value.shape}, not a number")


def check_grad(p, rng, mode="reverse", generic=False, checkpoint=None, backend="numpy"):
    what = "grad" + (".generic" if generic else "") + (f" {mode}" if mode != "reverse" else "") \
        + (" checkpointed" if checkpoint else "") + (f" {checkpoint}" if isinstance(checkpoint, str) else "") \
        + (f" {backend}" if backend != "numpy" else "")
    _scalar(p, what)

    def call():
        derivative = ad_compiler.grad(p.f, argnums=_argnums(p), mode=mode, checkpoint=checkpoint, backend=backend)
        return (derivative.generic if generic else derivative)(*p.args)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ad_compiler.BackendWarning)
        try:
            got = p.once(what, call)
        except ad_compiler.CompileError as error:
            if f"the {backend} backend cannot emit it" in str(error):  # (no spelling: what the backend says)
                raise NotApplicable(f"{what}: {str(error).splitlines()[0]}") from None
            raise
    fell_back = [w for w in caught if issubclass(w.category, ad_compiler.BackendWarning)]
    if fell_back:  # (NumPy's code ran: what this check is for did not)
        raise NotApplicable(f"{what}: {fell_back[0].message}")
    p.check_shapes(what, got)
    compare(what, flat(got), lambda s: central_jacobian(p.f, p.args, s)[0], FIRST, p.size)


def check_value_and_grad(p, rng):
    _scalar(p, "value_and_grad")
    value, got = p.once("value_and_grad", lambda: ad_compiler.value_and_grad(p.f, argnums=_argnums(p))(*p.args))
    compare_value("value_and_grad value", value, p.value)
    p.check_shapes("value_and_grad", got)
    compare("value_and_grad", flat(got), lambda s: central_jacobian(p.f, p.args, s)[0], FIRST, p.size)


def check_jvp(p, rng):
    tangents = tuple(p.random_like(rng, x) for x in p.args)
    value, got = p.once("jvp", lambda: ad_compiler.jvp(p.f, p.args, tangents))
    compare_value("jvp value", value, p.value)
    if np.shape(got) != p.value.shape:
        raise WrongValue(f"jvp: the tangent has shape {np.shape(got)}, the value {p.value.shape}")
    v = flat(tangents)
    compare("jvp", np.ravel(got), lambda s: central_directional(p.f, p.args, v, s), FIRST, p.size)


def check_vjp(p, rng):
    cotangent = p.random_like(rng, p.value)

    def call():
        value, pullback = ad_compiler.vjp(p.f, *p.args)
        return value, pullback(cotangent)

    value, got = p.once("vjp", call)
    compare_value("vjp value", value, p.value)
    p.check_shapes("vjp", got)
    c = np.ravel(cotangent)
    compare("vjp", flat(got), lambda s: c @ central_jacobian(p.f, p.args, s), FIRST, p.size)


def check_jacobian(p, rng, mode):
    what = "jacrev" if mode == "reverse" else "jacfwd"
    got = p.once(what, lambda: ad_compiler.jacobian(p.f, argnums=_argnums(p), mode=mode)(*p.args))
    m = p.value.size
    for k, (j, x) in enumerate(zip(got, p.args)):
        if np.shape(j) != p.value.shape + np.shape(x):
            raise WrongValue(f"{what}: Jacobian block {k} has shape {np.shape(j)}, "
                             f"expected {p.value.shape + np.shape(x)}")
    matrix = np.concatenate([np.reshape(j, (m, -1)) for j in got], axis=1)
    compare(what, matrix, lambda s: central_jacobian(p.f, p.args, s), FIRST, p.size)


def check_hessian(p, rng):
    _scalar(p, "hessian")
    got = p.once("hessian", lambda: ad_compiler.hessian(p.f, argnums=_argnums(p))(*p.args))
    sizes = [int(np.size(x)) for x in p.args]
    rows = [np.concatenate([np.reshape(got[i][j], (sizes[i], sizes[j])) for j in range(len(sizes))], axis=1)
            for i in range(len(sizes))]
    v = flat(tuple(p.random_like(rng, x) for x in p.args))
    compare("hessian @ v", np.concatenate(rows) @ v, lambda s: central_hessian_vector(p.f, p.args, v, s),
            SECOND, p.size)


def check_hvp(p, rng):
    _scalar(p, "hvp")
    tangents = tuple(p.random_like(rng, x) for x in p.args)
    got = p.once("hvp", lambda: ad_compiler.hvp(p.f, p.args, tangents))
    n = int(np.size(p.args[0]))
    v = flat(tangents)
    compare("hvp", np.ravel(got), lambda s: central_hessian_vector(p.f, p.args, v, s)[:n], SECOND, p.size)


def check_grad_of_grad(p, rng):
    _scalar(p, "grad of grad")
    if np.ndim(p.args[0]) != 0:
        raise NotApplicable("grad of grad: the first argument is not a number")
    got = p.once("grad of grad", lambda: ad_compiler.grad(ad_compiler.grad(p.f))(*p.args))
    e0 = np.zeros(flat(p.args).size)
    e0[0] = 1.0
    compare("grad of grad", np.ravel(got), lambda s: central_hessian_vector(p.f, p.args, e0, s)[:1], SECOND, p.size)


def tree_of(kind, names, args):
    """`args` packed as `f_tree` takes them (see `grammar.packed`)."""
    if kind == "dict":
        return dict(zip(names, args))
    if kind == "tuple":
        return tuple(args)
    if kind == "list":
        return list(args)
    return {"first": args[0], "rest": list(args[1:])}


def leaves_of(kind, names, tree, what):
    """The leaves of a gradient of `f_tree`, in `f`'s argument order, after checking that
    it has the argument's structure (JAX's convention)."""
    expected = {"dict": dict, "tuple": tuple, "list": list, "nested": dict}[kind]
    if type(tree) is not expected:
        raise WrongValue(f"{what}: the gradient is a {type(tree).__name__}, the argument a {expected.__name__}")
    if kind == "dict":
        if list(tree) != list(names):
            raise WrongValue(f"{what}: the gradient has keys {list(tree)}, the argument {list(names)}")
        return [tree[n] for n in names]
    if kind == "nested":
        if set(tree) != {"first", "rest"} or type(tree["rest"]) is not list:
            raise WrongValue(f"{what}: the gradient's structure is not the argument's: {show(tree)}")
        return [tree["first"], *tree["rest"]]
    return list(tree)


def check_grad_pytree(p, rng):
    """`grad` of `f_tree`, whose one argument is a pytree of `f`'s: the gradient has its
    structure, and its leaves are `f`'s gradient; a second call (another path of the
    dispatcher) gives the same."""
    _scalar(p, "grad pytree")
    scope = p.f.__globals__
    if "f_tree" not in scope:
        raise NotApplicable("grad pytree: the program has no f_tree")
    kind, names = scope["TREE"], p.f.__code__.co_varnames[:p.f.__code__.co_argcount]
    derivative = ad_compiler.grad(scope["f_tree"])
    got = p.once("grad pytree", lambda: derivative(tree_of(kind, names, p.args)))
    leaves = leaves_of(kind, names, got, "grad pytree")
    p.check_shapes("grad pytree", leaves)
    again = leaves_of(kind, names, derivative(tree_of(kind, names, p.args)), "grad pytree, second call")
    if excess(flat(again), flat(leaves), VALUE, magnitude(*leaves)) > 1:
        raise WrongValue(f"grad pytree: a second call gave {show(again)}, the first {show(leaves)}")
    compare("grad pytree", flat(leaves), lambda s: central_jacobian(p.f, p.args, s)[0], FIRST, p.size)


CHECKS = {
    "grad": check_grad,
    "grad.generic": lambda p, rng: check_grad(p, rng, generic=True),
    "grad forward": lambda p, rng: check_grad(p, rng, mode="forward"),
    "grad auto": lambda p, rng: check_grad(p, rng, mode="auto"),
    "grad checkpointed": lambda p, rng: check_grad(p, rng, checkpoint=2),
    "grad checkpointed log": lambda p, rng: check_grad(p, rng, checkpoint="log"),
    "grad numba": lambda p, rng: check_grad(p, rng, backend="numba"),
    "grad array-api": lambda p, rng: check_grad(p, rng, backend="array-api"),
    "value_and_grad": check_value_and_grad,
    "jvp": check_jvp,
    "vjp": check_vjp,
    "jacrev": lambda p, rng: check_jacobian(p, rng, "reverse"),
    "jacfwd": lambda p, rng: check_jacobian(p, rng, "forward"),
    "hessian": check_hessian,
    "hvp": check_hvp,
    "grad of grad": check_grad_of_grad,
    "grad pytree": check_grad_pytree,
}
SCALAR_CHECKS = ("grad", "grad.generic", "grad forward", "grad auto", "grad checkpointed", "value_and_grad", "jvp",
                 "vjp", "grad pytree")
LOOP_CHECKS = ("grad checkpointed log",)
"""(for programs with a counted loop: segments of segments)"""
BACKEND_CHECKS = ("grad numba", "grad array-api")
"""(for a fraction of scalar programs: numba compiles each for seconds)"""
ARRAY_CHECKS = ("jacrev", "jacfwd", "jvp", "vjp")
SECOND_CHECKS = ("hessian", "hvp", "grad of grad")


def run_check(name, f, args, seed):
    """Check `name` of `f` at `args`; raises WrongValue, WrongEffects, NotSmooth,
    NotApplicable, or whatever the compiler or the emitted code raised."""
    CHECKS[name](Program(f, args), np.random.default_rng(seed))


def reproduce(name, f, args, seed):
    """Run one check and say what happened: 1 if it failed, 0 if it passed."""
    try:
        run_check(name, f, args, seed)
    except (NotSmooth, NotApplicable) as e:
        print(f"not reproduced: {e}")
        return 0
    except (WrongValue, WrongEffects) as e:
        print(f"FAILED {name}: {type(e).__name__}: {e}")
        return 1
    except Exception as e:  # noqa: BLE001 - any other exception is the failure reported
        traceback.print_exc()
        print(f"FAILED {name}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        return 1
    print(f"{name}: passed")
    return 0
