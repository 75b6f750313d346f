"""autograd's `check_grads`, `combo_check` against ad_compiler: for each argument checked,
the VJP (reverse mode, JAX's convention: `ct @ J`, not conjugated) and the JVP (forward
mode) along random directions against a central difference of the function, as autograd
checks its own. The function is reached through a generated module-level wrapper of the
argument checked (the compiler reads source), the other arguments and keywords closed over."""

import importlib.util
import itertools
import os
import tempfile

import numpy as np

import ad_compiler

FUNS = {}
"""The functions and keywords the generated wrappers call, by number."""
_COUNTER = itertools.count()
_DIR = tempfile.mkdtemp()
EPS = 1e-6


def _wrapper(fun, nargs, argnum, kwargs):
    """`f(x)`: `fun` of the arguments with `x` at `argnum` (the others taken from `rest`),
    in a module of its own; keywords as literals where they are (so they are constants)."""
    k = next(_COUNTER)
    FUNS[k] = (fun, kwargs)
    names = ", ".join(f"a{i}" for i in range(nargs))
    values = ", ".join("x" if i == argnum else f"rest[{i}]" for i in range(nargs))
    keywords = ", ".join(f"{key}={value!r}" if isinstance(value, (int, float, bool, tuple, list, str, type(None)))
                         else f"{key}=KW[{key!r}]" for key, value in kwargs.items())
    call = ", ".join(part for part in (names, keywords) if part)
    source = (f"from autograd.test_util import FUNS\nFUN, KW = FUNS[{k}]\n\n\ndef make(rest):\n"
              f"    def f(x):\n        {names}, = ({values},)\n        return FUN({call})\n\n    return f\n")
    path = os.path.join(_DIR, f"wrapper{k}.py")
    with open(path, "w") as out:
        out.write(source)
    spec = importlib.util.spec_from_file_location(f"wrapper{k}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make


def _random(x, rng):
    v = rng.standard_normal(np.shape(x))
    return v + 1j * rng.standard_normal(np.shape(x)) if np.iscomplexobj(x) else v


def _close(a, b):
    return abs(a - b) < 1e-6 or abs(a - b) / abs(a + b) < 1e-6


def check_grads(fun, argnum=0, modes=("fwd", "rev"), order=2):
    """(First order: the compiler's higher orders are checked by its own tests.)"""

    def check(*args, **kwargs):
        for k in argnum if isinstance(argnum, (tuple, list)) else (argnum,):
            f = _wrapper(fun, len(args), k, kwargs)(args)
            x = args[k]
            rng = np.random.default_rng(0)
            y = f(x)
            xv = _random(x, rng)
            if isinstance(x, float):
                xv = float(xv)
            numeric = (np.asarray(f(x + xv * EPS / 2)) - np.asarray(f(x - xv * EPS / 2))) / EPS
            if "rev" in modes:
                yv = _random(y, rng)
                _, pullback = ad_compiler.vjp(f, x)
                (bx,) = pullback(yv if np.ndim(y) else (complex(yv) if np.iscomplexobj(y) else float(yv)))
                lhs = np.real(np.sum(np.asarray(bx) * xv))
                rhs = np.real(np.sum(np.asarray(yv) * numeric))
                assert _close(lhs, rhs), ("rev", lhs, rhs)
            if "fwd" in modes:
                _, tangent = ad_compiler.jvp(f, (x,), (xv,))
                v = _random(y, rng)
                lhs = np.real(np.sum(np.conj(v) * np.asarray(tangent)))
                rhs = np.real(np.sum(np.conj(v) * numeric))
                assert _close(lhs, rhs), ("fwd", lhs, rhs)

    return check


def combo_check(fun, *args, **kwargs):
    def _combo_check(*values, **keywords):
        pairs = [[(key, x) for x in xs] for key, xs in keywords.items()]
        for these in itertools.product(*values):
            for chosen in itertools.product(*pairs):
                check_grads(fun, *args, **kwargs)(*these, **dict(chosen))

    return _combo_check
