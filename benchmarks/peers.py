"""The tools whose derivatives are timed, behind one interface: ad_compiler and its peers
(JAX, PyTorch, autograd, tangent-ad).

Every tool differentiates the same source: ad_compiler and tangent-ad read it, and the
tracing tools run it with ``np`` naming their own array module (``rebind``). A tool makes
a derivative of a kind (``grad``, ``jacobian``, ``newton``, ``ba``; see
benchmarks/objectives/__init__.py) from the function, the arguments differentiated and an
example of the arguments; ``inputs`` converts arguments to the tool's arrays once, before
timing, and ``to_numpy`` its results for checking. A peer that is not installed has
``why`` set and makes nothing. The peers are benchmark-only; none is a dependency.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import os
import types

import numpy as np


def rebind(fn, numpy_like):
    """fn, and every function of its module it reaches, with ``np`` naming numpy_like."""
    env = dict(fn.__globals__, np=numpy_like)
    for name, value in list(env.items()):
        if isinstance(value, types.FunctionType) and value.__globals__ is fn.__globals__:
            env[name] = _copy(value, env)
    return _copy(fn, env)


def _copy(fn, env):
    return types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__, fn.__closure__)


def _nums(argnums):
    return argnums if isinstance(argnums, tuple) else (argnums,)


def _with(args, nums, values):
    """args with args[nums[i]] replaced by values[i]."""
    out = list(args)
    for i, v in zip(nums, values):
        out[i] = v
    return out


def ba_seeds(p):
    """The two cotangents of ``reproj_all``'s (p, 2) result: every u row, every v row."""
    u = np.zeros((p, 2))
    u[:, 0] = 1.0
    return u, 1.0 - u


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


class Tool:
    """A tool; subclasses load it in ``load`` and make its derivatives."""

    name = ""
    dist = ""

    def __init__(self):
        self.why = None
        try:
            self.load()
        except Exception as e:  # not installed, or broken: the column says why
            self.why = f"{type(e).__name__}: {e}".splitlines()[0]
        self.version = None if self.why else _version(self.dist)

    def load(self):
        raise NotImplementedError

    def inputs(self, args, argnums):
        return args

    def to_numpy(self, value):
        if isinstance(value, (tuple, list)):
            return type(value)(self.to_numpy(v) for v in value)
        return np.asarray(value)

    def derivative(self, kind, fn, argnums, args):
        """The derivative of `kind` of fn, a callable on ``inputs(args, argnums)``."""
        return getattr(self, kind)(fn, argnums, args)


class AdCompiler(Tool):
    name, dist = "ad_compiler", "ad_compiler"

    def load(self):
        import ad_compiler
        self.adc = ad_compiler

    def grad(self, fn, argnums, args):
        return self.adc.grad(fn, argnums=argnums)

    def jacobian(self, fn, argnums, args):
        return self.adc.jacfwd(fn, argnums=argnums)

    def newton(self, fn, argnums, args):
        return _Newton(self.adc, fn)

    def ba(self, fn, argnums, args):
        return _BlocksByVJP(self.adc, fn)


class AdCompilerNumba(AdCompiler):
    """ad_compiler's numba backend: the same derivative compiled by numba (its compile time
    is in the first call, reported apart)."""

    name, dist = "numba", "numba"

    def load(self):
        import numba  # noqa: F401  (the column says so when it is not installed)
        import ad_compiler
        self.adc = ad_compiler

    def grad(self, fn, argnums, args):
        return self._compiled(self.adc.grad(fn, argnums=argnums, backend="numba"), args)

    def jacobian(self, fn, argnums, args):
        return self._compiled(self.adc.jacfwd(fn, argnums=argnums, backend="numba"), args)

    def _compiled(self, derivative, args):
        """`derivative`, compiled by its first call; where numba cannot take it, the cell
        says why rather than timing the NumPy code that runs instead."""
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("error", self.adc.BackendWarning)
            derivative(*args)
        return derivative

    def newton(self, fn, argnums, args):
        raise NotImplementedError("jvp takes no backend")

    def ba(self, fn, argnums, args):
        raise NotImplementedError("vjp takes no backend")


class _Newton:
    """kmeans' gradient over its Hessian's diagonal: one forward-mode pass through the
    gradient (``jvp`` of ``grad``) with a tangent of ones gives both."""

    def __init__(self, adc, fn):
        self.adc, self.gradient, self.jvp = adc, adc.grad(fn, argnums=1), adc.jvp
        self.args = None

    def __call__(self, points, centroids):
        g, curvature = self.jvp(self.gradient, (points, centroids), (None, np.ones_like(centroids)))
        self.args = (points, centroids)
        return g / curvature

    @property
    def source(self):
        """The JVP of the gradient as compiled for the last call's arguments."""
        from ad_compiler.pipeline import JVPOptions
        if self.args is None:
            return "<not called yet>"
        api = self.adc.api
        return api.compile_version(self.gradient, JVPOptions((1,)), api._kinds(self.args)).source


class _BlocksByVJP:
    """Bundle adjustment's blocks: one forward sweep (``vjp``), two reverse sweeps."""

    def __init__(self, adc, fn):
        self.vjp, self.fn, self.pullback = adc.vjp, fn, None

    def __call__(self, *args):
        _, self.pullback = self.vjp(self.fn, *args)
        u, v = ba_seeds(args[0].shape[0])
        return self.pullback(u)[:3], self.pullback(v)[:3]

    @property
    def source(self):
        return self.pullback.source if self.pullback else "<not called yet>"


class Jax(Tool):
    """jax.jit of the derivative, results waited for (block_until_ready). A program that
    jit cannot trace (a Python ``if`` on a traced value) runs eagerly, with a note."""

    name, dist = "jax", "jax"

    def load(self):
        os.environ.setdefault(
            "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        self.jax, self.jnp = jax, jnp

    def inputs(self, args, argnums):
        return tuple(self.jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)

    def _jit(self, make, argnums, args):
        """``make(numpy_like)`` builds the derivative on that array module."""
        static = tuple(i for i, a in enumerate(args)
                       if not isinstance(a, np.ndarray) and i not in _nums(argnums))
        return _JitOrEager(self.jax, make, self.jnp, static)

    def grad(self, fn, argnums, args):
        return self._jit(lambda jnp: self.jax.grad(rebind(fn, jnp), argnums), argnums, args)

    def jacobian(self, fn, argnums, args):
        return self._jit(lambda jnp: self.jax.jacfwd(rebind(fn, jnp), argnums), argnums, args)

    def newton(self, fn, argnums, args):
        jax = self.jax

        def make(jnp):
            f = rebind(fn, jnp)

            def direction(points, centroids):
                g, curvature = jax.jvp(lambda c: jax.grad(f, 1)(points, c), (centroids,),
                                       (jnp.ones_like(centroids),))
                return g / curvature
            return direction
        return self._jit(make, argnums, args)

    def ba(self, fn, argnums, args):
        jax = self.jax

        def make(jnp):
            f = rebind(fn, jnp)

            def blocks(cams, xs, w, feats):
                out, pullback = jax.vjp(lambda c, x, ww: f(c, x, ww, feats), cams, xs, w)
                u = jnp.zeros(out.shape).at[:, 0].set(1.0)
                return pullback(u), pullback(1.0 - u)
            return blocks
        return self._jit(make, argnums, args)


class NotRun(Exception):
    """A derivative the tool can make but that is not run here; the message says why."""

    status = "not run"


class _JitOrEager:
    """jax.jit of a derivative, its results waited for. Eager instead, with ``note``
    saying why, where jit cannot trace it (a Python ``if`` on a traced value). Not run
    (``NotRun``) where the traced program has more than LIMIT operations: jit unrolls
    Python loops and recursion, and XLA's compile time grows faster than the program (the
    LSTM unrolled over 5, 9 and 17 steps, 1000, 2000 and 3900 operations, compiled in 5,
    17 and 56 s on the benchmark machine; the ODE's 7800 had not compiled in 14 minutes),
    while running such a program eagerly costs ~0.6 ms an operation (the LSTM's gradient
    at 63 steps: 9 s). The trial trace that counts the operations runs on a jax.numpy that
    stops it after CALLS calls, as tracing costs ~0.3 ms an operation (80 s for the LSTM's
    250000 at 1023 steps)."""

    LIMIT, CALLS = 5000, 1500

    def __init__(self, jax, make, jnp, static):
        self.jax, self.make, self.static = jax, make, static
        self.fn, self.run, self.note = make(jnp), None, None
        self.jnp = jnp

    def __call__(self, *args):
        if self.run is None:
            self.run = self._choose(args)
        return self.jax.block_until_ready(self.run(*args))

    def _choose(self, args):
        jax = self.jax
        trial = self.make(_Counted(self.jnp, self.CALLS))
        try:
            traced = jax.make_jaxpr(trial, static_argnums=self.static)(*args)
        except jax.errors.ConcretizationTypeError as e:
            self.note = "eager (jit cannot trace it: " + str(e).strip().splitlines()[0] + ")"
            return self.fn
        size = _operations(traced.jaxpr)
        if size > self.LIMIT:
            raise NotRun(f"jit would compile {size} operations (limit here {self.LIMIT})")
        return jax.jit(self.fn, static_argnums=self.static)


class _Counted:
    """An array module whose functions count their calls and raise NotRun past `limit`."""

    def __init__(self, module, limit):
        self._module, self._limit, self._calls = module, limit, 0

    def __getattr__(self, name):
        value = getattr(self._module, name)
        if not callable(value):
            return value

        def counted(*args, **kwargs):
            self._calls += 1
            if self._calls > self._limit:
                raise NotRun(f"jit would unroll more than {self._limit} calls of jax.numpy "
                             f"(and compile far more than {_JitOrEager.LIMIT} operations)")
            return value(*args, **kwargs)
        return counted


def _operations(jaxpr):
    """The equations of a jaxpr, those of the jaxprs inside it included."""
    total = 0
    for eqn in jaxpr.eqns:
        total += 1
        for param in eqn.params.values():
            for sub in param if isinstance(param, (tuple, list)) else (param,):
                sub = getattr(sub, "jaxpr", sub)
                if hasattr(sub, "eqns"):
                    total += _operations(sub)
    return total


class Torch(Tool):
    """Eager PyTorch, float64: ``torch.autograd.grad`` of the result for gradients and
    vector-Jacobian products, ``torch.func`` for forward mode."""

    name, dist = "torch", "torch"

    def load(self):
        import torch

        import torch_numpy
        torch.set_num_threads(1)
        torch.set_default_dtype(torch.float64)
        self.torch, self.tnp = torch, torch_numpy

    def inputs(self, args, argnums):
        torch, nums = self.torch, _nums(argnums)

        def convert(i, a):
            if isinstance(a, np.ndarray):
                t = torch.from_numpy(a.copy())
                return t.requires_grad_() if i in nums and t.is_floating_point() else t
            if isinstance(a, float) and i in nums:
                return torch.tensor(a, requires_grad=True)
            return a
        return tuple(convert(i, a) for i, a in enumerate(args))

    def to_numpy(self, value):
        if isinstance(value, self.torch.Tensor):
            return value.detach().numpy()
        return super().to_numpy(value)

    def grad(self, fn, argnums, args):
        f, autograd, nums = rebind(fn, self.tnp), self.torch.autograd, _nums(argnums)

        def gradient(*a):
            g = autograd.grad(f(*a), [a[i] for i in nums])
            return g if isinstance(argnums, tuple) else g[0]
        return gradient

    def jacobian(self, fn, argnums, args):
        return self.torch.func.jacfwd(rebind(fn, self.tnp), argnums=argnums)

    def newton(self, fn, argnums, args):
        func, torch, f = self.torch.func, self.torch, rebind(fn, self.tnp)

        def direction(points, centroids):
            g, curvature = func.jvp(lambda c: func.grad(f, argnums=1)(points, c),
                                    (centroids,), (torch.ones_like(centroids),))
            return g / curvature
        return direction

    def ba(self, fn, argnums, args):
        f, autograd = rebind(fn, self.tnp), self.torch.autograd

        def blocks(*a):
            out = f(*a)
            u = self.torch.zeros_like(out)
            u[:, 0] = 1.0
            return (autograd.grad(out, a[:3], u, retain_graph=True),
                    autograd.grad(out, a[:3], 1.0 - u))
        return blocks


class Autograd(Tool):
    name, dist = "autograd", "autograd"

    def load(self):
        import autograd
        import autograd.numpy
        self.ag, self.anp = autograd, autograd.numpy

    def grad(self, fn, argnums, args):
        f = rebind(fn, self.anp)
        if not isinstance(argnums, tuple):
            return self.ag.grad(f, argnums)
        packed = self.ag.grad(lambda diff, *a: f(*_with(a, argnums, diff)), 0)
        return lambda *a: packed(tuple(a[i] for i in argnums), *a)

    def jacobian(self, fn, argnums, args):
        """By forward mode, one JVP per column (autograd.jacobian is reverse mode, one VJP
        per row: 8.8 s where this takes 4.7, for the hand's 300 rows and 26 columns)."""
        f, make_jvp, size = rebind(fn, self.anp), self.ag.differential_operators.make_jvp, args[argnums].size

        def jacobian(*a):
            jvp = make_jvp(lambda x: f(*_with(a, (argnums,), (x,))))(a[argnums])
            basis = np.eye(size)
            return np.stack([jvp(basis[k].reshape(a[argnums].shape))[1] for k in range(size)], axis=-1)
        return jacobian

    def newton(self, fn, argnums, args):
        make_hvp = self.ag.differential_operators.make_hvp(rebind(fn, self.anp), 1)

        def direction(points, centroids):
            hvp, g = make_hvp(points, centroids)
            return g / hvp(np.ones_like(centroids))
        return direction

    def ba(self, fn, argnums, args):
        f = rebind(fn, self.anp)
        make_vjp = self.ag.make_vjp(lambda diff, feats: f(*diff, feats), 0)

        def blocks(cams, xs, w, feats):
            pullback, _ = make_vjp((cams, xs, w), feats)
            u, v = ba_seeds(cams.shape[0])
            return pullback(u), pullback(v)
        return blocks


class Tangent(Tool):
    """tangent-ad with its defaults; its on-disk cache off (TANGENT_DISK_CACHE=0). It has
    no Jacobian: one forward-mode call per column."""

    name, dist = "tangent", "tangent-ad"

    def load(self):
        os.environ.setdefault("TANGENT_DISK_CACHE", "0")
        with contextlib.redirect_stdout(io.StringIO()):
            import tangent
        self.tangent = tangent

    def _quiet(self, make, *a, **k):
        with contextlib.redirect_stdout(io.StringIO()):
            return make(*a, **k)

    def grad(self, fn, argnums, args):
        return self._quiet(self.tangent.grad, fn, wrt=_nums(argnums))

    def jacobian(self, fn, argnums, args):
        jvp = self._quiet(self.tangent.jvp, fn, wrt=(argnums,))
        size = args[argnums].size

        def jacobian(*a):
            basis = np.eye(size)
            return np.stack([jvp(*a, basis[k]) for k in range(size)], axis=-1)
        return jacobian

    def newton(self, fn, argnums, args):
        gradient = self._quiet(self.tangent.grad, fn, wrt=(1,))
        hvp = self._quiet(self.tangent.jvp, gradient, wrt=(1,))

        def direction(points, centroids):
            return gradient(points, centroids) / hvp(points, centroids, np.ones_like(centroids))
        return direction

    def ba(self, fn, argnums, args):
        vjp = self._quiet(self.tangent.vjp, fn, wrt=(0, 1, 2))

        def blocks(*a):
            u, v = ba_seeds(a[0].shape[0])
            return vjp(*a, u), vjp(*a, v)
        return blocks


TOOLS = (AdCompiler, AdCompilerNumba, Jax, Torch, Autograd, Tangent)
