"""A catalogue of bad inputs, one table entry each, and what each gets.

Every entry is a small program (written to a file of its own, so that positions are the
file's), and either

- `Refused`: a `CompileError` of the given type, located: the file name, the line number
  and column, the source line and a caret under the construct (`caret`), and a sentence
  saying what to do (`advice`). Where the advice is concrete, `fixed` is the program
  written as it says: it compiles and its derivative agrees with central differences.
  The program asks for the derivative in `run(*args)` (`call`), so an error about the
  call itself (argnums, an argument's type) is located there, at the user's line;
- `Works`: a program that looks suspect but is supported: its gradient agrees with
  central differences.

`COMMANDS` are bad command lines: exit status 2, a diagnostic (a program problem) or one
line `error: ...` (a command problem), and no file written.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from ad_compiler import grad
from ad_compiler.cli.main import main
from ad_compiler.errors import (
    ArgumentError, CompileError, NoDerivativeError, SourceUnavailableError, UnsupportedError,
)

from numeric import assert_grad_close

PREAMBLE = """\
import math

import numpy as np

import ad_compiler
from ad_compiler import grad, hessian, hvp, jacobian, jvp, stop_gradient, value_and_grad, vjp
"""

V = np.array([0.5, 1.5, 2.0])


@dataclass(frozen=True)
class Refused:
    source: str
    """Defines `f` (and what it needs); the first line holding `caret` is where the error is."""
    caret: str
    advice: str
    error: type = UnsupportedError
    args: tuple = (1.5,)
    call: str = "grad(f)(*args)"
    fixed: str | None = None
    fixed_args: tuple | None = None
    fixed_call: str = "grad(f)"
    """The derivative of the fixed program's `f`, as the advice says to ask for it."""
    files: dict = field(default_factory=dict)
    """Other files, by path under the test's directory (a `site-packages/` one is on sys.path)."""


@dataclass(frozen=True)
class Works:
    source: str
    args: tuple = (1.5,)
    argnums: int = 0
    files: dict = field(default_factory=dict)


CASES: dict[str, Refused | Works] = {
    # ---- syntax the compiler does not handle ----
    "list comprehension over an array": Works("def f(x):\n    return np.sum([v * v for v in x])\n", args=(V,)),
    "generator expression over an array": Works("def f(x):\n    return sum(v * v for v in x)\n", args=(V,)),
    "dict comprehension over an array": Refused(
        "def f(x):\n    return sum({i: v for i, v in enumerate(x)}.values())\n", "{i: v", "its keys must be known",
        args=(V,), fixed="def f(x):\n    return sum([v for i, v in enumerate(x)])\n"),
    "list display": Works("def f(x):\n    s = 0.0\n    for v in [x, x * x]:\n        s = s + v\n    return s\n"),
    "an array of differentiated numbers": Works("def f(x):\n    return np.sum(np.array((x, x * x)))\n"),
    "dict display": Works("def f(x):\n    d = {'a': x}\n    return d['a'] * x\n"),
    "set display": Refused(
        "def f(x):\n    s = {x, 2.0}\n    return x\n", "{x, 2.0}", "set displays"),
    "lambda inside": Works("def f(x):\n    sq = lambda v: v * v\n    return sq(x)\n"),
    "nested def": Works("def f(x):\n    def sq(v):\n        return v * v * x\n\n    return sq(x)\n"),
    "class inside": Refused(
        "def f(x):\n    class Box:\n        pass\n\n    return x * 2.0\n", "class Box", "define it at module level"),
    "with": Refused(
        "def f(x):\n    with np.errstate(all='ignore'):\n        y = np.log(x)\n    return y\n", "with np.errstate",
        "enter the context outside", fixed="def f(x):\n    return np.log(x)\n"),
    "try": Refused(
        "def f(x):\n    try:\n        y = np.log(x)\n    except ValueError:\n        y = x\n    return y\n", "try:",
        "handle errors outside", fixed="def f(x):\n    return np.log(x)\n"),
    "global": Refused(
        "TOTAL = 0.0\n\n\ndef f(x):\n    global TOTAL\n    TOTAL = x\n    return x * x\n", "global TOTAL",
        "assigns only its own variables", fixed="def f(x):\n    return x * x\n"),
    "nonlocal": Refused(
        "def make():\n    k = 2.0\n\n    def f(x):\n        nonlocal k\n        k = x\n        return k * x\n\n"
        "    return f\n\n\nf = make()\n", "nonlocal k", "assigns only its own variables"),
    "del": Refused(
        "def f(x):\n    y = x * 2.0\n    del y\n    return x * x\n", "del y", "stop using the variable",
        fixed="def f(x):\n    y = x * 2.0\n    return x * x\n"),
    "import inside": Refused(
        "def f(x):\n    import cmath\n    return math.sin(x)\n", "import cmath", "import at module level",
        fixed="import cmath\n\n\ndef f(x):\n    return math.sin(x)\n"),
    "generator function": Refused(
        "def f(x):\n    yield x * x\n", "yield x", "return the value", fixed="def f(x):\n    return x * x\n"),
    "yield from": Refused(
        "def f(x):\n    yield from (x, x)\n", "yield from", "return the value"),
    "async def": Refused(
        "async def f(x):\n    return x * x\n", "async def", "async functions are not supported",
        fixed="def f(x):\n    return x * x\n"),
    "match": Refused(
        "def f(x):\n    match x:\n        case _:\n            y = x * x\n    return y\n", "match x", "match statements"),
    "walrus": Refused(
        "def f(x):\n    return (y := x * x) + y\n", "y := x * x", "use a separate assignment",
        fixed="def f(x):\n    y = x * x\n    return y + y\n"),
    "starred assignment": Refused(
        "def f(x):\n    a, *rest = (x, x, x)\n    return a * x\n", "*rest", "starred assignment",
        fixed="def f(x):\n    a, b, c = (x, x, x)\n    return a * x\n"),
    "starred call of a differentiated function": Refused(
        "def g(a, b):\n    return a * b\n\n\ndef f(x):\n    t = (x, x)\n    return g(*t)\n", "*t",
        "pass the arguments one by one", fixed="def g(a, b):\n    return a * b\n\n\ndef f(x):\n    return g(x, x)\n"),
    "double-starred call": Refused(
        "def g(a, b):\n    return a * b\n\n\ndef f(x):\n    return g(a=x, **{'b': x})\n", "**{'b': x}",
        "pass the arguments by name", fixed="def g(a, b):\n    return a * b\n\n\ndef f(x):\n    return g(a=x, b=x)\n"),
    "bitwise and": Refused("def f(x):\n    return x * x if (x > 1.0) & (x < 2.0) else x\n", "(x > 1.0) &",
                           "for a condition write `and`",
                           fixed="def f(x):\n    return x * x if x > 1.0 and x < 2.0 else x\n"),
    "membership": Refused(
        "def f(x):\n    return x * x if x in (1.0, 2.0) else x\n", "x in (1.0, 2.0)", "x == a or x == b",
        fixed="def f(x):\n    return x * x if x == 1.0 or x == 2.0 else x\n"),
    "for else": Refused(
        "def f(x):\n    for i in range(3):\n        x = x * 1.5\n    else:\n        x = x + 1.0\n    return x\n",
        "for i in range(3)", "move the else block after the loop",
        fixed="def f(x):\n    for i in range(3):\n        x = x * 1.5\n    x = x + 1.0\n    return x\n"),
    "while else": Refused(
        "def f(x):\n    while x > 1.0:\n        x = x / 2\n    else:\n        x = x + 1\n    return x\n",
        "while x > 1.0", "move the else block after the loop",
        fixed="def f(x):\n    while x > 1.0:\n        x = x / 2\n    x = x + 1\n    return x\n"),
    "break in enumerate": Refused(
        "def f(x):\n    s = 0.0\n    for i, v in enumerate(x):\n        if v > 1.0:\n            break\n"
        "        s = s + v * v\n    return s\n", "break", "loop over range(len(xs)) instead", args=(V,),
        fixed="def f(x):\n    s = 0.0\n    for i in range(len(x)):\n        if x[i] > 1.0:\n            break\n"
              "        s = s + x[i] * x[i]\n    return s\n"),
    "return in a loop nested in one over enumerate": Refused(
        "def f(x):\n    for i, v in enumerate(x):\n        for j in range(3):\n            if v > 5.0:\n"
        "                return v\n    return x[0]\n", "return v\n",
        "loop over range(len(xs)) instead", args=(np.array([0.5, 6.0]),),
        fixed="def f(x):\n    for i in range(len(x)):\n        for j in range(3):\n            if x[i] > 5.0:\n"
        "                return x[i]\n    return x[0]\n"),
    "statement after return": Refused(
        "def f(x):\n    return x * x\n    x = x + 1.0\n", "x = x + 1.0", "delete it",
        fixed="def f(x):\n    return x * x\n"),
    "no return": Refused("def f(x):\n    y = x * x\n", "def f", "has no return statement"),
    "return on one path only": Refused(
        "def f(x):\n    if x > 0.0:\n        return x * x\n    y = x\n", "if x > 0.0", "add a return at the end",
        fixed="def f(x):\n    if x > 0.0:\n        return x * x\n    return x\n"),
    "loop that returns, nothing after it": Refused(
        "def f(x):\n    for i in range(5):\n        x = x * 1.5\n        if x > 3.0:\n            return x\n",
        "for i in range(5)", "add a return after the loop",
        fixed="def f(x):\n    for i in range(5):\n        x = x * 1.5\n        if x > 3.0:\n            return x\n"
              "    return x\n"),
    "endless while True": Refused(
        "def f(x):\n    y = x\n    while True:\n        y = y * 0.5\n    return y\n", "while True",
        "add a break", fixed="def f(x):\n    y = x\n    while True:\n        y = y * 0.5\n        if y < 0.1:\n"
                             "            break\n    return y * x\n"),
    "code after a while True left by return": Refused(
        "def f(x):\n    y = x\n    while True:\n        y = y * 0.5\n        if y < 0.1:\n            return y * x\n"
        "    return x\n", "return x\n", "delete it",
        fixed="def f(x):\n    y = x\n    while True:\n        y = y * 0.5\n        if y < 0.1:\n            return y * x\n"),
    "assigned on one branch only": Refused(
        "def f(x):\n    if x > 0.0:\n        y = x * x\n    return y\n", "y\n", "assign it on every path",
        error=CompileError, fixed="def f(x):\n    y = x\n    if x > 0.0:\n        y = x * x\n    return y\n"),
    "name not defined": Refused("def f(x):\n    return x * undefined_scale\n", "undefined_scale",
                                "name 'undefined_scale' is not defined", error=CompileError),
    "list of indices": Refused(
        "def f(x):\n    i = int(x[0] > 0)\n    return np.sum(x[[0, i]])\n", "[0, i]", "np.array((i, j))", args=(V,),
        fixed="def f(x):\n    i = int(x[0] > 0)\n    return np.sum(x[np.array((0, i))])\n"),
    "element write through an alias": Refused(
        "def f(x):\n    y = x * 2.0\n    z = y\n    y[0] = 0.0\n    return np.sum(z * y)\n", "y[0] = 0.0",
        "make it a copy first", args=(V,),
        fixed="def f(x):\n    y = x * 2.0\n    z = y * 1.0\n    y[0] = 0.0\n    return np.sum(z * y)\n"),
    "element write into a view read later": Refused(
        "def f(x):\n    y = x * 2.0\n    w = y[0:2]\n    y[0] = 5.0\n    return np.sum(w * x[0:2])\n", "y[0] = 5.0",
        "make it a copy where it is made", args=(V,),
        fixed="def f(x):\n    y = x * 2.0\n    w = y[0:2] * 1.0\n    y[0] = 5.0\n    return np.sum(w * x[0:2])\n"),
    "element write into an expression": Refused(
        "def f(x):\n    y = x * 2.0\n    y.T[0] = 1.0\n    return np.sum(y)\n", "y.T[0]", "assign to an element of a variable",
        args=(V,), fixed="def f(x):\n    y = x * 2.0\n    y[0] = 1.0\n    return np.sum(y)\n"),
    "recursion of a constant depth": Works(
        "def power(x, n):\n    return 1.0 if n == 0 else x * power(x, n - 1)\n\n\ndef f(x):\n    return power(x, 3)\n"),
    "recursion of too many calls": Refused(
        "def fib(x, n):\n    return x if n < 2 else fib(x, n - 1) + fib(x, n - 2)\n\n\n"
        "def f(x):\n    return fib(x, 16)\n", "fib(x, 16)", "ad_compiler.custom_vjp", error=NoDerivativeError,
        fixed="def fib(x, n):\n    return x if n < 2 else fib(x, n - 1) + fib(x, n - 2)\n\n\n"
        "@ad_compiler.custom_vjp\ndef fib16(x):\n    return fib(x, 16)\n\n\n"
        "fib16.defvjp(lambda x: (fib(x, 16), None), lambda residuals, g: (g * fib(1.0, 16),))\n\n\n"
        "def f(x):\n    return fib16(x)\n"),
    "recursion of a run-time depth": Refused(
        "def power(x, n):\n    return 1.0 if n <= 0 else x * power(x, n - 1)\n\n\ndef f(x):\n    return power(x, int(x))\n",
        "power(x, int(x))", "rewrite it with a loop", error=NoDerivativeError,
        fixed="def power(x, n):\n    y = 1.0\n    for i in range(n):\n        y = y * x\n    return y\n\n\n"
              "def f(x):\n    return power(x, int(x))\n"),
    "bare raise": Refused("def f(x):\n    if x < 0.0:\n        raise\n    return x\n", "raise\n",
                          "raise an exception object",
                          fixed="def f(x):\n    if x < 0.0:\n        raise ValueError('negative')\n    return x\n"),
    "raise from": Refused(
        "def f(x):\n    if x < 0.0:\n        raise ValueError('negative') from None\n    return x\n", "None\n",
        "raise the exception alone",
        fixed="def f(x):\n    if x < 0.0:\n        raise ValueError('negative')\n    return x\n"),
    "augmented assignment to an attribute": Refused(
        "class State:\n    total = 0.0\n\n\ndef f(x):\n    State.total += x\n    return x * x\n", "State.total +=",
        "augmented assignment to an attribute"),
    "variadic parameters": Refused("def f(*xs):\n    return xs[0] * xs[0]\n", "xs)", "name each parameter",
                                   fixed="def f(x):\n    return x * x\n"),
    "keyword parameters": Refused("def f(x, **options):\n    return x * x\n", "options)", "name each parameter",
                                  fixed="def f(x):\n    return x * x\n"),
    "keyword-only parameter": Refused("def f(x, *, scale=2.0):\n    return x * scale\n", "scale=2.0",
                                      "make it an ordinary parameter", fixed="def f(x, scale=2.0):\n    return x * scale\n"),
    "keyword argument that is not a constant": Refused(
        "def f(x, k):\n    return np.sum(np.sum(x * x, axis=k))\n", "axis=k", "must be a constant", args=(V, 0),
        fixed="def f(x, k):\n    return np.sum(np.sum(x * x, axis=0))\n"),
    "calling a compiled derivative": Works(
        "def h(x):\n    return x ** 3\n\n\ndh = grad(h)\n\n\ndef f(x):\n    return dh(x) * x\n"),
    "a module as a value": Refused("def f(x):\n    return x * np\n", "np\n", "use one of its functions"),
    "a function as a value": Refused("def f(x):\n    return x * np.sin\n", "np.sin\n", "call it where its result"),
    "calling a module": Refused("def f(x):\n    return np(x)\n", "np(x)", "calling the module 'np'"),
    "a method not called": Refused("def f(x):\n    s = x.sum\n    return x\n", "x.sum", "must be called",
                                   args=(V,)),
    "unpacking the wrong count": Refused(
        "def f(x):\n    a, b = (1.0, 2.0, 3.0)\n    return x * a\n", "a, b", "cannot unpack 3 values into 2 names",
        error=CompileError, fixed="def f(x):\n    a, b, c = (1.0, 2.0, 3.0)\n    return x * a\n"),
    "a format spec with a value": Refused(
        "def f(x):\n    w = 8\n    print(f'{x:{w}}')\n    return x * x\n", "f'{x:{w}}'", "write the spec out",
        fixed="def f(x):\n    print(f'{x:8}')\n    return x * x\n"),
    "slice with four arguments": Refused(
        "def f(x):\n    return np.sum(x[slice(0, 2, 1, 1)])\n", "slice(0, 2, 1, 1)", "one to three positional",
        args=(V,), fixed="def f(x):\n    return np.sum(x[slice(0, 2, 1)])\n"),
    "unpack enumerate into one name": Refused(
        "def f(x):\n    s = 0.0\n    for item in enumerate(x):\n        s = s + x[0]\n    return s\n", "item",
        "unpack enumerate into two names", args=(V,),
        fixed="def f(x):\n    s = 0.0\n    for i, v in enumerate(x):\n        s = s + x[0]\n    return s\n"),
    "max of one array": Refused(
        "def f(x):\n    return max(x) * x[0]\n", "max(x)", "np.max(x)", args=(V,),
        fixed="def f(x):\n    return np.max(x) * x[0]\n"),
    "a tuple index out of range": Refused(
        "def f(x):\n    t = (x, x * x)\n    return t[2]\n", "t[2]", "indexed 0 to 1", error=CompileError,
        fixed="def f(x):\n    t = (x, x * x)\n    return t[1]\n"),
    # ---- calls without a derivative on the differentiated path ----
    "a NumPy function without a rule": Refused(
        "def f(x):\n    return np.sum(np.convolve(x, x) ** 2)\n", "np.convolve(x, x)", "register one with @ad_compiler.defvjp",
        error=NoDerivativeError, args=(V,)),
    "a NumPy function run as written": Refused(
        "def f(x):\n    return np.polynomial.polynomial.polyval(0.5, x)\n", "np.polynomial.polynomial.polyval",
        "stop_gradient",
        error=NoDerivativeError, args=(np.array([1.0, 2.0, 3.0, 5.0]),)),
    "data through a library call": Refused(
        "def f(x):\n    return np.polynomial.polynomial.polyval(0.5, x) * x[0]\n", "np.polynomial.polynomial.polyval",
        "compute what it needs from data only", error=NoDerivativeError, args=(np.array([1.0, 2.0, 3.0, 5.0]),),
        fixed="def f(x, d):\n    return np.polynomial.polynomial.polyval(0.5, d) * x[0]\n",
        fixed_args=(np.array([1.0, 2.0, 3.0, 5.0]), np.array([1.0, 2.0, 3.0, 5.0]))),
    "np.block of nested lists": Refused(
        "def f(x):\n    return np.sum(np.block([[x, 2.0 * x]]) * np.arange(6.0))\n", "np.block([[x, 2.0 * x]])",
        "np.concatenate", error=UnsupportedError, args=(np.array([1.0, 2.0, 3.0]),),
        fixed="def f(x):\n    return np.sum(np.concatenate([x, 2.0 * x]) * np.arange(6.0))\n"),
    "a math function without a rule": Refused(
        "def f(x):\n    return math.frexp(x)[0]\n", "math.frexp", "register one", error=NoDerivativeError),
    "a standard-library function": Refused(
        "import statistics\n\n\ndef f(x):\n    return statistics.fmean((x, x * x))\n", "statistics.fmean",
        "cannot differentiate through 'statistics.fmean'", error=NoDerivativeError,
        fixed="import statistics\n\n\ndef f(x):\n    return (x + x * x) / 2.0\n"),
    "an installed library (SymPy)": Refused(
        "import sympy\n\n\ndef f(x):\n    return float(sympy.sin(x))\n", "sympy.sin", "stop_gradient",
        error=NoDerivativeError, fixed="def f(x):\n    return np.sin(x)\n"),
    "a pure-Python library in site-packages": Refused(
        "import smoothing\n\n\ndef f(x):\n    return smoothing.soft_plus(x)\n", "smoothing.soft_plus",
        "cannot differentiate through 'smoothing.soft_plus'", error=NoDerivativeError,
        files={"site-packages/smoothing.py": "import numpy as np\n\n\ndef soft_plus(x):\n"
                                             "    return np.log1p(np.cumsum(np.exp(x)))\n"},
        fixed="def f(x):\n    return np.log1p(np.exp(x))\n"),
    "a method of a library object": Refused(
        "import fractions\n\n\ndef f(x):\n    return fractions.Fraction.from_float(x) * x\n",
        "fractions.Fraction.from_float", "cannot differentiate through", error=NoDerivativeError),
    "a class of the user's": Refused(
        "class Scaled:\n    def __init__(self, v):\n        self.v = v\n\n\ndef f(x):\n    return Scaled(x).v * x\n",
        "Scaled(x)", "stop_gradient", error=NoDerivativeError),
    "a function that cannot be lowered": Refused(
        "def safe_log(v):\n    try:\n        return np.log(v)\n    except ValueError:\n        return 0.0\n\n\n"
        "def f(x):\n    return safe_log(x) * x\n", "safe_log(x) * x", "try statements are not supported",
        error=NoDerivativeError,
        fixed="def safe_log(v):\n    return np.log(v)\n\n\ndef f(x):\n    return safe_log(x) * x\n"),
    "a method of an array without a rule": Refused(
        "def f(x):\n    return np.sum(x.compress([True, False, True]))\n", "x.compress([True, False, True])",
        "the methods of arrays the compiler differentiates",
        error=NoDerivativeError, args=(V,)),
    "sorting in place": Refused(
        "def f(x):\n    y = x * 1.0\n    y.sort()\n    return y[0] * x[1]\n", "y.sort()", "np.sort(x)",
        error=NoDerivativeError, args=(V,)),
    "an out= argument": Refused(
        "def f(x):\n    y = np.zeros(3)\n    np.multiply(x, 2.0, out=y)\n    return np.sum(y)\n",
        "out=y", "compute a new value instead", args=(V,),
        fixed="def f(x):\n    y = np.multiply(x, 2.0)\n    return np.sum(y)\n"),
    # ---- the call: transforms, argnums, arguments ----
    "argnums out of range": Refused(
        "def f(x, y):\n    return x * y\n", "grad(f, argnums=2)", "0 (x), 1 (y)", error=ArgumentError,
        args=(1.5, 2.0), call="grad(f, argnums=2)(*args)"),
    "argnums by name": Refused(
        "def f(x, y):\n    return x * y\n", "grad(f, argnums='y')", "argnums must be an int", error=ArgumentError,
        args=(1.5, 2.0), call="grad(f, argnums='y')(*args)"),
    "unknown mode": Refused("def f(x):\n    return x * x\n", "grad(f, mode='fwd')", "'reverse' or 'forward'",
                            error=ArgumentError, call="grad(f, mode='fwd')(*args)"),
    "an int to differentiate": Refused("def f(x):\n    return x * x\n", "grad(f)(3)", "pass float(x)",
                                       error=ArgumentError, call="grad(f)(3)"),
    "an int array to differentiate": Refused(
        "def f(x):\n    return np.sum(x * x)\n", "grad(f)(np.arange(3))", "pass x.astype(float)", error=ArgumentError,
        call="grad(f)(np.arange(3))"),
    "a list to differentiate, used as an array": Refused(
        "def f(x):\n    return np.sum(x * 2.0)\n", "x * 2.0", "np.asarray(xs) * 2.0",
        call="grad(f)([0.5, 1.5])"),
    "a list of strings to differentiate": Refused(
        "def f(x):\n    return 1.0\n", "grad(f)(['a'])", "pass a float", error=ArgumentError,
        call="grad(f)(['a'])"),
    "None to differentiate": Refused("def f(x):\n    return x\n", "grad(f)(None)", "pass a float",
                                     error=ArgumentError, call="grad(f)(None)"),
    "a complex number to differentiate": Refused(
        "def f(x):\n    return x * x\n", "grad(f)(1.0 + 2.0j)", "complex derivatives are not supported",
        error=ArgumentError, call="grad(f)(1.0 + 2.0j)"),
    "a bool to differentiate": Refused("def f(x):\n    return x * 2.0\n", "grad(f)(True)", "pass float(x)",
                                       error=ArgumentError, call="grad(f)(True)"),
    "an array returned to grad": Refused(
        "def f(x):\n    return x * x\n", "grad(f)(*args)", "reduce it (e.g. np.sum) or use a Jacobian",
        error=ArgumentError, args=(V,), fixed="def f(x):\n    return np.sum(x * x)\n"),
    "a tuple returned to grad": Refused(
        "def f(x):\n    return x, x * x\n", "grad(f)(*args)", "reduce it", error=ArgumentError,
        fixed="def f(x):\n    return x + x * x\n"),
    "a tangent of another shape": Refused(
        "def f(x):\n    return x * 2.0\n", "jvp(f, args, (np.ones(2),))", "pass a tangent of the argument's shape",
        error=ArgumentError, args=(V,), call="jvp(f, args, (np.ones(2),))"),
    "primals and tangents of different counts": Refused(
        "def f(x, y):\n    return x * y\n", "jvp(f, args, (1.0,))", "one tangent per primal", error=ArgumentError,
        args=(1.5, 2.0), call="jvp(f, args, (1.0,))"),
    "a cotangent of another shape": Refused(
        "def f(x):\n    return x * 2.0\n", "vjp(f, *args)[1](np.ones(2))", "pass a cotangent of the result's shape",
        error=ArgumentError, args=(V,), call="vjp(f, *args)[1](np.ones(2))"),
    "a builtin to differentiate": Refused("f = divmod\n", "grad(divmod)", "give the function derivative rules",
                                          error=SourceUnavailableError, call="grad(divmod)(*args)"),
    "a primitive to differentiate": Works("f = np.sin\n"),
    "a partial to differentiate": Works(
        "import functools\n\n\ndef scaled(a, x):\n    return a * x * x\n\n\nf = functools.partial(scaled, 2.0)\n"),
    "a class to differentiate": Refused(
        "class f:\n    def __init__(self, x):\n        self.x = x\n", "grad(f)", "cannot read the source of 'f' (a class)",
        error=SourceUnavailableError),
    "a bound method to differentiate": Works(
        "class Model:\n    def __init__(self):\n        self.w = 2.0\n\n    def loss(self, x):\n"
        "        return self.w * x * x\n\n\nf = Model().loss\n"),
    "a lambda typed at a prompt": Refused(
        "f = eval('lambda x: x * x')\n", "grad(f)(*args)", "define it in a .py file", error=SourceUnavailableError),
    # ---- suspect, but supported: the right derivative ----
    "while True left only by return": Works(
        "def f(x):\n    y = x\n    while True:\n        y = y * 0.5\n        if y < 0.1:\n            return y * x\n"),
    "a tuple on one path, a number on another": Refused(
        "def h(a):\n    for i in range(1, len(a)):\n        return (0.5 * a[0], a)\n    return 0.5\n\n\n"
        "def f(y):\n    q, r = h(y)\n    return q + np.sum(r)\n", "for i in range(1, len(a))",
        "make every path give a tuple of the same length", args=(np.array([0.3, 0.4]),),
        fixed="def h(a):\n    for i in range(1, len(a)):\n        return (0.5 * a[0], a)\n    return (0.5, a)\n\n\n"
        "def f(y):\n    q, r = h(y)\n    return q + np.sum(r)\n"),
    "a ufunc called with too many operands": Refused(
        "def f(x):\n    return np.sin(x, x, x)\n", "np.sin(x, x, x)", "pass np.sin only its operands",
        error=NoDerivativeError, fixed="def f(x):\n    return np.sin(x)\n"),
    "return in a nested loop": Works(
        "def f(x):\n    for i in range(3):\n        for j in range(3):\n            if x > 5.0:\n"
        "                return x\n            x = x * 1.2\n    return x\n"),
    "a parameter named f": Works("def f(f):\n    return f * f * 3.0\n"),
    "max of several numbers": Works("def f(x):\n    return max(x, 0.5, x * x) + min((x, 2.0))\n", args=(1.25,)),
    "constants of a class": Works(
        "class Config:\n    RATE = 2.0\n    STEPS = 3\n\n    @staticmethod\n    def scale(v):\n        return v * 1.5\n\n\n"
        "def f(x):\n    for i in range(Config.STEPS):\n        x = Config.scale(x) * Config.RATE\n    return x\n"),
    "a library call on data": Works(
        "A = np.array([[2.0, 1.0], [1.0, 3.0]])\n\n\ndef f(x):\n    return np.linalg.det(A) * np.sum(x * x)\n",
        args=(V,)),
    "a library call only looked at": Works(
        "def f(x):\n    y = x\n    while np.linalg.norm(y) > 1.0:\n        y = y * 0.5\n    return np.sum(y * x)\n",
        args=(V,)),
    "writing into an argument": Works("def f(x):\n    x[0] = 1.0\n    return np.sum(x * x)\n", args=(V,)),
    "adding into an argument": Works("def f(x):\n    x += 1.0\n    return np.sum(x * x)\n", args=(V,)),
    "printing a differentiated value": Works("def f(x):\n    y = x * x\n    print(f'y = {y:.3f}')\n    return y * x\n"),
    "an assertion on a differentiated value": Works(
        "def f(x):\n    assert x > 0.0, 'x must be positive'\n    return np.log(x) * x\n"),
    "defaults": Works("def f(x, scale=2.0, power=3):\n    return scale * x ** power\n"),
}


def _module(path: Path, source: str) -> ModuleType:
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A directory for the programs; its `site-packages` is on sys.path, and what the
    programs import from there is forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path / "site-packages"))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if getattr(sys.modules[name], "__file__", "") and str(tmp_path) in sys.modules[name].__file__:
            del sys.modules[name]


def _write_files(directory: Path, files: dict) -> None:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _where(path: Path, caret: str) -> tuple[int, int, str]:
    """The line (1-based), column and text of the first line of `path` after the preamble
    holding `caret` (ending with it, if it ends with a newline)."""
    lines = path.read_text().splitlines()
    for number, text in enumerate(lines[PREAMBLE.count("\n"):], start=PREAMBLE.count("\n") + 1):
        if caret.rstrip("\n") in text and (not caret.endswith("\n") or text.endswith(caret.rstrip("\n"))):
            return number, text.index(caret.rstrip("\n")), text
    raise AssertionError(f"{caret!r} is not in {path}")


def check_refused(name: str, case: Refused, directory: Path) -> None:
    _write_files(directory, case.files)
    path = directory / f"program_{abs(hash(name)) % 10**8}.py"
    source = PREAMBLE + "\n\n" + case.source + f"\n\ndef run(*args):\n    return {case.call}\n"
    with pytest.raises(CompileError) as info:
        _module(path, source).run(*case.args)
    err = info.value
    assert type(err) is case.error, f"{type(err).__name__}: {err}"
    line, col, text = _where(path, case.caret)
    assert (err.file, err.line, err.col) == (str(path), line, col), str(err)
    message = str(err)
    assert message.startswith(f"{path}:{line}:{col + 1}: error: ")
    *_, shown, under = message.splitlines()
    assert shown == "    " + text.strip()
    assert under.index("^") - 4 == col - (len(text) - len(text.lstrip()))
    assert case.advice in err.message, err.message
    if case.fixed is not None:
        fixed = _module(directory / f"fixed_{path.stem}.py", PREAMBLE + "\n\n" + case.fixed)
        args = case.fixed_args if case.fixed_args is not None else case.args
        derivative = eval(case.fixed_call, vars(fixed))  # noqa: S307 - a table entry of this file
        assert_grad_close(fixed.f, args, 0, derivative(*args))


def check_works(name: str, case: Works, directory: Path) -> None:
    _write_files(directory, case.files)
    module = _module(directory / f"program_{abs(hash(name)) % 10**8}.py", PREAMBLE + "\n\n" + case.source)

    def f(*args):  # (on copies: a program may write into its arguments, and the differences reuse them)
        return module.f(*(np.copy(a) if isinstance(a, np.ndarray) else a for a in args))

    got = grad(module.f, argnums=case.argnums)(*(np.copy(a) if isinstance(a, np.ndarray) else a for a in case.args))
    assert_grad_close(f, case.args, case.argnums, got)


def test_the_catalogue_is_large() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("name", CASES)
def test_bad_input(name: str, directory: Path) -> None:
    case = CASES[name]
    if isinstance(case, Refused):
        check_refused(name, case, directory)
    else:
        check_works(name, case, directory)


def test_a_scipy_function_without_a_rule_is_refused_at_the_users_line(directory: Path) -> None:
    pytest.importorskip("scipy.special")
    case = Refused("from scipy.special import spence\n\n\ndef f(x):\n    return spence(x) * x\n", "spence(x)",
                   "stop_gradient", error=NoDerivativeError,
                   fixed="from scipy.special import spence\n\n\ndef f(x, d):\n    return spence(d) * x\n",
                   fixed_args=(1.5, 2.5))
    check_refused("scipy", case, directory)


# ---- the command line ----

MODEL = "import numpy as np\n\n\ndef f(x):\n    return np.sum(np.tanh(x))\n\n\nclass Layer:\n    pass\n"

COMMANDS = {
    "a syntax error": (["grad", "broken.py:f"], {"broken.py": "def f(x):\n    return x *\n"}, ("broken.py", 2)),
    "a construct refused": (["show", "model.py:f"], {"model.py": "def f(x):\n    with open('log'):\n"
                                                      "        x = x * 2.0\n    return x\n"}, ("model.py", 2)),
    "a call refused": (["grad", "model.py:f"], {"model.py": "import math\n\n\ndef f(x):\n    return math.frexp(x)[0]\n"},
                       ("model.py", 5)),
    "no such file": (["grad", "nowhere.py:f"], {}, "error: no such file: nowhere.py"),
    "no such function": (["grad", "model.py:g"], {"model.py": MODEL}, "error: model.py defines no function 'g'"),
    "a class, not a function": (["grad", "model.py:Layer"], {"model.py": MODEL},
                                "error: model.py: Layer is a type, not a function"),
    "no function named": (["grad", "model.py"], {"model.py": MODEL}, "error: target 'model.py' must look like"),
    "a module name for a file here": (["grad", "model:f"], {"model.py": MODEL},
                                      "error: cannot import model: No module named 'model'; to use the file "
                                      "model.py, name the file: model.py:f"),
    "a module that fails when run": (["grad", "model.py:f"], {"model.py": "raise RuntimeError('no data')\n"},
                                     "error: running model.py failed: RuntimeError: no data"),
    "a parameter that is not there": (["grad", "model.py:f", "--wrt", "y"], {"model.py": MODEL},
                                      "error: --wrt: f has no parameter 'y'"),
    "a graph format no file says": (["graph", "model.py:f", "-o", "g.jpg"], {"model.py": MODEL},
                                    "error: cannot tell the format of g.jpg from its suffix"),
}


@pytest.mark.parametrize("name", COMMANDS)
def test_bad_command(name: str, directory: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    argv, files, expected = COMMANDS[name]
    _write_files(directory, files)
    monkeypatch.chdir(directory)
    out = directory / "out.py"
    assert main([*argv, "-o", str(out)] if argv[0] == "grad" else argv) == 2
    err = capsys.readouterr().err
    if isinstance(expected, tuple):  # the user's program: a diagnostic at its line
        file, line = expected
        first, shown, caret = err.rstrip("\n").splitlines()
        where, number, _ = first.split(":", 2)
        assert (Path(where).resolve(), int(number)) == ((directory / file).resolve(), line) and ": error: " in first
        assert shown.strip() == (directory / file).read_text().splitlines()[line - 1].strip()
        assert caret.strip() == "^"
    else:  # the command: one line
        assert err.startswith(expected) and err.count("\n") == 1, err
    assert not out.exists() and not list(directory.glob("g.*"))
