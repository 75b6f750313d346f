"""Every construct docs/supported-python.md lists as refused raises CompileError at the
construct: file, line, column, the source line and a caret under it, and a sentence; and
the traceback the user sees ends at their call, not inside the compiler."""

from __future__ import annotations

import functools
import inspect
import traceback
from pathlib import Path

import numpy as np
import pytest

import ad_compiler
from ad_compiler import CompileError, grad, hessian, hvp, jvp, vjp
from ad_compiler.errors import TRACEBACK_VARIABLE, ArgumentError, UnsupportedError


def comprehension(x):
    return np.sum([v * 2 for v in x][1:])


def while_else(x):
    while x > 1.0:
        x = x / 2
    else:
        x = x + 1
    return x


def set_display(x):
    return np.sum({x, 2.0})


def inner_lambda(x):
    f = lambda *v: v[0] * 2  # noqa: E731
    return f(x)


def nested_def(x):
    @staticmethod
    def double(v):
        return v * 2

    return double(x)


def grad_of_a_nested_def(x):
    def double(v, k=2.0):
        return v * v * k

    return grad(double)(x)


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


CASES = [
    (comprehension, "[v * 2 for v in x][1:]", "slicing a list whose length is known only at run time"),
    (while_else, "while x > 1.0:", "while ... else"),
    (set_display, "{x, 2.0}", "set displays"),
    (inner_lambda, "lambda *v: v[0] * 2", "variadic"),
    (nested_def, "staticmethod", "a decorated function inside"),
    (grad_of_a_nested_def, "grad(double)(x)", "takes one with plain parameters"),
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
    assert isinstance(err, UnsupportedError) or fn is builtin_without_rule


# -- the traceback a user sees ----------------------------------------------------------

PACKAGE = Path(ad_compiler.__file__).resolve().parent


def compiler_frames(err: BaseException) -> list[traceback.FrameSummary]:
    """The frames of the compiler in the traceback of `err`: its package's files and the
    code it generates (the dispatcher of a derivative)."""
    return [
        frame for frame in traceback.extract_tb(err.__traceback__)
        if frame.filename.startswith("<ad_compiler") or Path(frame.filename).resolve().is_relative_to(PACKAGE)
    ]


def positional_only(x, /):
    return np.sin(sorted(x))


def _first_call(f):
    return grad(f)(np.array([0.5, 1.5]) if f is builtin_without_rule else 1.5)


ENTRIES = {
    "decoration: argnums": lambda: grad(comprehension, argnums=3),
    "decoration: a builtin": lambda: grad(divmod),
    "decoration: a partial": lambda: grad(functools.partial(divmod, 2)),
    "first call: lowering": lambda: _first_call(uses_try),
    "first call: differentiating": lambda: _first_call(builtin_without_rule),
    "first call: positional-only parameters": lambda: grad(positional_only)(np.array([1.0, 2.0])),
    "first call: an argument": lambda: grad(while_else)([1.0]),
    "jvp": lambda: jvp(uses_try, (1.5,), (1.0,)),
    "vjp": lambda: vjp(uses_try, 1.5),
    "hvp": lambda: hvp(uses_with, (1.5,), (1.0,)),
    "hessian": lambda: hessian(uses_del)(1.5),
    ".source": lambda: grad(uses_global).source,
}


@pytest.mark.parametrize("entry", ENTRIES.values(), ids=ENTRIES)
def test_the_traceback_ends_at_the_users_call(entry) -> None:
    with pytest.raises(CompileError) as info:
        entry()
    err = info.value
    frames = compiler_frames(err)
    assert len(frames) <= 1, "".join(traceback.format_list(frames))
    assert traceback.extract_tb(err.__traceback__)[0].filename == __file__  # the user's frames come first
    text = "".join(traceback.format_exception(err))
    assert "During handling" not in text and "direct cause" not in text
    assert err.file is not None and err.line is not None  # located: in the function, or at the call


def test_full_tracebacks_are_kept_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRACEBACK_VARIABLE, "full")
    for entry in (ENTRIES["first call: lowering"], ENTRIES["jvp"]):
        with pytest.raises(CompileError) as info:
            entry()
        files = [frame.filename for frame in compiler_frames(info.value)]
        assert any(file.endswith(str(Path("frontend", "lower.py"))) for file in files)


def test_an_error_about_the_call_is_located_at_the_call() -> None:
    with pytest.raises(ArgumentError) as info:
        grad(while_else, argnums=2)  # the caret goes under `grad`
    err = info.value
    line = inspect.currentframe().f_lineno - 2
    assert (err.file, err.line) == (__file__, line)
    assert "argnums 2 is out of range: while_else takes 1 positional argument: 0 (x)" in err.message
    shown, caret = str(err).splitlines()[-2:]
    assert shown.strip().startswith("grad(while_else, argnums=2)") and caret.index("^") == shown.index("grad")
    assert isinstance(err, ValueError) and isinstance(err, TypeError)  # what JAX raises, for except clauses
