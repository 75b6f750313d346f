"""Every construct docs/supported-python.md lists as refused raises CompileError at the
construct: file, line, column, the source line and a caret under it, and a sentence."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from ad_compiler import CompileError, grad
from ad_compiler.errors import UnsupportedError


def comprehension(x):
    return np.sum([v * 2 for v in x])


def while_else(x):
    while x > 1.0:
        x = x / 2
    else:
        x = x + 1
    return x


def list_display(x):
    return np.sum([x, x])


def inner_lambda(x):
    f = lambda v: v * 2  # noqa: E731
    return f(x)


def nested_def(x):
    def double(v):
        return v * 2

    return double(x)


def class_inside(x):
    class Box:
        pass

    return x


def uses_with(x):
    with np.errstate(all="ignore"):
        y = np.log(x)
    return y


def uses_try(x):
    try:
        y = np.log(x)
    except ValueError:
        y = x
    return y


def uses_global(x):
    global COUNTER
    return x


def uses_del(x):
    y = x * 2
    del y
    return x


def uses_import(x):
    import math

    return math.sin(x)


def uses_yield(x):
    yield x


def bit_and(x):
    return x & 1


def membership(x):
    return 1.0 if x in (1.0, 2.0) else 0.0


def builtin_without_rule(x):
    return np.sum(sorted(x))


def _summed_sine(x):
    return np.sin(x) * x


gradient_of_sine = grad(_summed_sine)


def calls_a_derivative(x):
    g = gradient_of_sine(x)
    return g * g


CASES = [
    (calls_a_derivative, "gradient_of_sine(x)", "compiled derivative"),
    (comprehension, "[v * 2 for v in x]", "comprehensions"),
    (while_else, "while x > 1.0:", "while ... else"),
    (list_display, "[x, x]", "list displays"),
    (inner_lambda, "lambda v: v * 2", "lambda"),
    (nested_def, "def double(v):", "nested function"),
    (class_inside, "class Box:", "class definitions"),
    (uses_with, "with np.errstate", "with statements"),
    (uses_try, "try:", "try statements"),
    (uses_global, "global COUNTER", "global statements"),
    (uses_del, "del y", "del statements"),
    (uses_import, "import math", "import statements"),
    (uses_yield, "yield x", "yield"),
    (bit_and, "x & 1", "'&'"),
    (membership, "x in (1.0, 2.0)", "'in'"),
    (builtin_without_rule, "sorted(x)", "sorted"),
]


@pytest.mark.parametrize("fn, snippet, words", CASES, ids=[c[0].__name__ for c in CASES])
def test_refusal_is_located_and_explained(fn, snippet, words) -> None:
    with pytest.raises(CompileError) as info:
        grad(fn)(np.array([0.5, 1.5]) if fn in (comprehension, builtin_without_rule) else 1.5)
    err = info.value
    lines, start = inspect.getsourcelines(fn)
    line = next(start + i for i, text in enumerate(lines) if snippet in text)
    text = lines[line - start]
    assert (err.file, err.line, err.col) == (__file__, line, text.index(snippet))
    message = str(err)
    assert message.startswith(f"{__file__}:{line}:{text.index(snippet) + 1}: error: ")
    assert words in message
    *_, shown, caret = message.splitlines()
    assert caret.index("^") == shown.index(snippet)
    # a call that has no derivative is refused where it is differentiated, not where it is lowered
    assert isinstance(err, UnsupportedError) or fn in (builtin_without_rule, calls_a_derivative)
