"""The standard AD benchmark objectives of ADBench (Srajer, Schkufza, Fitzgibbon 2018) and
GradBench, each written afresh in plain NumPy, the way a person would write it.

Every module has the same face:

    objective(*args)              the function, loops where its definition has loops
    make_data(size, seed=0)       its arguments, size "small" or "medium", seeded
    ARGNUMS                       the arguments differentiated
    DERIVATIVE                    what is computed: "grad", "jacobian" (forward mode),
                                  "newton" (gradient / Hessian diagonal, kmeans) or
                                  "ba" (bundle adjustment's per-observation blocks)
    hand(*args)                   the derivative written by hand, or None
    SIZES                         the sizes, named as in the definitions

and, where needed, ``normalize(result)`` (a tool's derivative in ``hand``'s layout) and
``check_data()`` (arguments where a check of the derivative is not vacuous).

Sizes and definitions are in each module's docstring and in benchmarks/README.md.
"""

from __future__ import annotations

import importlib

NAMES = ("gmm", "lstm", "ba", "ht", "ode", "kmeans", "lse", "llsq", "det")


def load(name):
    """The objective's module."""
    return importlib.import_module(f"{__name__}.{name}")
