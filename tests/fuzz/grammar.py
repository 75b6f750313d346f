"""Random programs over what the compiler supports, deterministic per (seed, number).

A program is a module: a RandomState `RS` that the function reseeds first (so it is a
function of its arguments), a list `LOG` and a StringIO `OUT` that it appends and prints
to (code run as written, which every derivative must run once per call), constants read
at call time, zero to two helper functions, and `f` of one to three float or array
arguments returning a float or an array. Its constructs are the rules of
`expressions.py` and `statements.py`; shapes, bounds and shared memory are tracked
(`scope.py`) so that programs are valid Python and functions of their inputs: what the
compiler refuses is then the compiler's business, and counted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from . import containers, expressions, functions, library, statements
from .gen import ARG_SHAPES, FROZEN, SHAPES, Gen, Helper, indent
from .scope import SCALAR, Arr, Scope, Shape, Tup, Type

CONSTRUCTS = (expressions, statements, containers, functions, library)
"""The modules whose rules make up the grammar (importing them registers the rules)."""

HEADER = """import io
import math

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats
from scipy import linalg, special, stats
from ad_compiler import grad

RS = np.random.RandomState(0)
LOG = []
OUT = io.StringIO()
VERBOSE = False
W = np.linspace(-1.0, 1.0, 9).reshape(3, 3)
V = np.array([0.5, -1.0, 2.0])
SCALE = 0.7
K = 2
IDX = np.array([2, 0, 0])
MASK = np.array([True, False, True])
SQ = lambda v: v * v + 0.5 * v
"""

@dataclass(frozen=True)
class Program:
    seed: int
    number: int
    source: str
    params: tuple[tuple[str, Shape], ...]
    ret: Type
    rules: tuple[str, ...]
    """The constructs it uses."""


def helper(g: Gen, index: int) -> list[str]:
    """A module-level function the program calls: one or two parameters, maybe a default,
    maybe several returns, returning a value or a tuple."""
    params = {p: Arr(g.pick(SHAPES)) for p in ("a", "b")[: g.rng.randint(1, 2)]}
    default = g.chance(0.5)
    ret: Type = Tup((Arr(g.shape()), Arr(g.shape()))) if g.chance(0.25) else Arr(g.shape())
    roots = {p: frozenset({f"param:{p}"}) if t.shape else frozenset() for p, t in params.items()}
    s = Scope(dict(params), roots, frozenset().union(*roots.values()) | {FROZEN}, ret, in_helper=True)
    if default:
        s.bind("c", SCALAR, frozenset())
    body = g.block(s, 1, g.rng.randint(1, 3)) + [f"return {g.returned(s, ret)}"]
    name = f"h{index}"
    g.helpers.append(Helper(name, tuple(params.values()), default, ret))
    signature = ", ".join(list(params) + (["c=0.5"] if default else []))
    return [f"def {name}({signature}):", *indent(body)]


def generate(seed: int, number: int) -> Program:
    """Program `number` of the run seeded `seed`."""
    g = Gen(random.Random(f"{seed}:{number}"))
    chunks = [HEADER]
    for index in range(g.rng.choice((0, 0, 1, 1, 2))):
        chunks.append("\n".join(helper(g, index)) + "\n")
    names = ("x", "y", "z")[: g.rng.choice((1, 2, 2, 2, 3))]
    params = tuple((n, g.pick(ARG_SHAPES)) for n in names)
    ret = SCALAR if g.chance(0.8) else Arr(g.pick(SHAPES[1:]))
    roots = {n: frozenset({f"arg:{n}"}) if shape else frozenset() for n, shape in params}
    s = Scope({n: Arr(shape) for n, shape in params}, roots, frozenset().union(*roots.values()) | {FROZEN}, ret)
    body = ["RS.seed(0)"] + g.block(s, 2, g.rng.randint(2, 6)) + [f"return {g.returned(s, ret)}"]
    chunks.append("\n".join([f"def f({', '.join(names)}):", *indent(body)]) + "\n")
    if g.chance(0.35):
        chunks.append(packed(g, names))
    return Program(seed, number, "\n\n".join(chunks), params, ret, tuple(sorted(g.used)))


TREES = ("dict", "tuple", "list", "nested")
"""How `f_tree` takes `f`'s arguments in one pytree (`checks.tree_of` builds it)."""


def packed(g: Gen, names: tuple[str, ...]) -> str:
    """`f_tree(p)`: `f` of its arguments packed in one pytree, the kind named by `TREE`
    (a dict by name, a tuple unpacked, a list indexed, a dict of a value and a list)."""
    kind = g.pick(TREES if len(names) > 1 else TREES[:3])
    if kind == "dict":
        body = [f"return f({', '.join(repr(n).join(['p[', ']']) for n in names)})"]
    elif kind == "tuple":
        body = [f"{', '.join(names)}, = p", f"return f({', '.join(names)})"]
    elif kind == "list":
        body = [f"return f({', '.join(f'p[{k}]' for k in range(len(names)))})"]
    else:
        rest = ", ".join(f"p['rest'][{k}]" for k in range(len(names) - 1))
        body = [f"return f(p['first'], {rest})"]
    return "\n".join([f"TREE = {kind!r}", "", "", "def f_tree(p):", *indent(body)]) + "\n"
