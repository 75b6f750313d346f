"""Frontend tests: Python source → IR text snapshots, and located errors for what is refused.

Functions under test live in this file, so their source is readable and errors point here.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import textwrap

import numpy as np

import pytest

from ad_compiler.errors import CompileError, SourceUnavailableError, UnsupportedError
from ad_compiler.frontend import get_source, lower
from ad_compiler.ir import Const, format_function

SCALE = 2.5
WEIGHTS = np.arange(3.0)


def ir_text(fn, **kwargs) -> str:
    return format_function(lower(fn, **kwargs))


def snapshot(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# ---- snapshots ----


def arithmetic(a, b):
    """Docstrings are skipped."""
    g = np.sin(a * b) + a / SCALE
    h = -g**2
    return g, h


def test_straight_line_arithmetic():
    line = inspect.getsourcelines(arithmetic)[1]
    assert ir_text(arithmetic) == snapshot(f"""
        def arithmetic(%a, %b):
            %SCALE = external(ref=SCALE)                  # line {line + 2}
            %0 = mul(%a, %b)                              # line {line + 2}
            %1 = np.sin(%0)                               # line {line + 2}
            %2 = truediv(%a, %SCALE)                      # line {line + 2}
            %g = add(%1, %2)                              # line {line + 2}
            %3 = pow(%g, 2)                               # line {line + 3}
            %h = neg(%3)                                  # line {line + 3}
            %4 = tuple(%g, %h)                            # line {line + 4}
            return %4
        """)


def sums(x):
    s = np.sum(x, axis=0, keepdims=True)
    m = x.mean(axis=1)
    return s * m.T


def test_keywords_become_attrs_and_methods_become_numpy_prims():
    line = inspect.getsourcelines(sums)[1]
    assert ir_text(sums) == snapshot(f"""
        def sums(%x):
            %s = np.sum(%x, axis=0, keepdims=True)        # line {line + 1}
            %m = np.mean(%x, axis=1)                      # line {line + 2}
            %0 = transpose(%m)                            # line {line + 3}
            %1 = mul(%s, %0)                              # line {line + 3}
            return %1
        """)


def swap(a, b):
    a, b = b, a
    return a - b


def test_swap_evaluates_the_right_side_first():
    line = inspect.getsourcelines(swap)[1]
    assert ir_text(swap) == snapshot(f"""
        def swap(%a, %b):
            %0 = sub(%b, %a)                              # line {line + 2}
            return %0
        """)


def shape_unpack(x):
    m, n = x.shape
    y = x
    return y * (m / n)


def test_tuple_unpack_of_shape():
    line = inspect.getsourcelines(shape_unpack)[1]
    assert ir_text(shape_unpack) == snapshot(f"""
        def shape_unpack(%x):
            %0 = np.shape(%x)                             # line {line + 1}
            %m = getitem(%0, 0)                           # line {line + 1}
            %n = getitem(%0, 1)                           # line {line + 1}
            %1 = truediv(%m, %n)                          # line {line + 3}
            %2 = mul(%x, %1)                              # line {line + 3}
            return %2
        """)


def accumulate(x, y):
    t = x * y
    t += 1.0
    t *= t
    return t


def test_augmented_assignment_rebinds_with_versions():
    line = inspect.getsourcelines(accumulate)[1]
    assert ir_text(accumulate) == snapshot(f"""
        def accumulate(%x, %y):
            %t = mul(%x, %y)                              # line {line + 1}
            %t.1 = add(%t, 1.0)                           # line {line + 2}
            %t.2 = mul(%t.1, %t.1)                        # line {line + 3}
            return %t.2
        """)


def sum_vjp(g, ans, x, axis=None, keepdims=False):
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    scale = -1.0 * math.sqrt(4)
    return np.broadcast_to(g, x.shape) * scale


def test_static_parameters_select_the_branch():
    line = inspect.getsourcelines(sum_vjp)[1]
    fn = lower(sum_vjp, static={"axis": 0, "keepdims": False})
    assert [p.name for p in fn.params] == ["g", "ans", "x"]
    assert fn.defaults == {}
    assert format_function(fn) == snapshot(f"""
        def sum_vjp(%g, %ans, %x):
            %g.1 = np.expand_dims(%g, 0)                  # line {line + 2}
            %0 = np.shape(%x)                             # line {line + 4}
            %1 = np.broadcast_to(%g.1, %0)                # line {line + 4}
            %2 = mul(%1, -2.0)                            # line {line + 4}
            return %2
        """)
    assert "expand_dims" not in ir_text(sum_vjp, static={"axis": None, "keepdims": False})


def test_defaults_of_non_static_parameters():
    fn = lower(sum_vjp, static={"axis": None}, name="rule")
    assert fn.name == "rule"
    assert fn.defaults == {"keepdims": False}
    assert [p.name for p in fn.params] == ["g", "ans", "x", "keepdims"]


def folding(x):
    n = 2 * 3
    flag = None is None
    return x * n if flag else x


def test_constants_fold_while_lowering():
    fn = lower(folding)
    (op,) = fn.body.ops
    assert op.prim == "mul" and op.inputs[1] == Const(6)


def test_a_module_float_is_read_at_call_time():
    fn = lower(arithmetic)
    div = next(op for op in fn.body.ops if op.prim == "truediv")
    read = next(op for op in fn.body.ops if op.prim == "external")
    assert div.inputs[1] is read.result and read.attrs["ref"].name == "SCALE"
    assert [(g.ref.name, g.test) for g in fn.guards] == [("np", "is"), ("SCALE", "kind")]


STEPS = 3


def counted(x):
    return x * STEPS


def test_a_module_int_folds_and_is_guarded_by_value():
    fn = lower(counted)
    (mul,) = fn.body.ops
    assert mul.inputs[1] == Const(3)
    assert [(g.ref.name, g.test, g.expected) for g in fn.guards] == [("STEPS", "==", 3)]


def module_array(x):
    return x * WEIGHTS + np.pi


def test_a_module_array_is_read_at_call_time_and_a_library_constant_folds():
    read, mul, add = lower(module_array).body.ops
    assert read.prim == "external" and mul.inputs[1] is read.result
    assert add.inputs[1] == Const(np.pi)


def test_ops_carry_absolute_locations():
    fn = lower(arithmetic)
    _, start = inspect.getsourcelines(arithmetic)
    sin = next(op for op in fn.body.ops if op.prim == "np.sin")
    assert sin.loc.file == __file__
    assert (sin.loc.line, sin.loc.col) == (start + 2, 8)
    assert fn.file == __file__
    assert fn.line_text(sin.loc) == "    g = np.sin(a * b) + a / SCALE"


def make_closure(k):
    def inner(x):
        return np.exp(x) * k

    return inner


def test_nested_function_reads_its_closure():
    fn = lower(make_closure(3.0))
    (read, exp, mul) = fn.body.ops
    assert exp.prim == "np.exp" and mul.inputs[1] is read.result
    assert read.attrs["ref"].space == "cell" and read.attrs["ref"].read() == 3.0
    assert exp.loc.col == 15  # absolute column in this file, not in the dedented snippet


class Model:
    def predict(self, x):
        return np.tanh(x)

    @staticmethod
    def helper(x):
        return x + 1


def test_functions_in_a_class_body():
    assert [p.name for p in lower(Model.predict).params] == ["self", "x"]
    assert [p.name for p in lower(Model().predict).params] == ["self", "x"]
    assert lower(Model.helper).body.ops[0].loc.col == 15


def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args)

    return wrapper


@logged
def decorated(x):
    return np.cos(x)


def test_wrapped_function_is_unwrapped_and_decorators_dropped():
    src = get_source(decorated)
    assert src.tree.decorator_list == []
    assert src.tree.lineno == inspect.getsourcelines(decorated)[1] + 1
    assert lower(decorated).body.ops[0].prim == "np.cos"


square = lambda x: x * x  # noqa: E731


def test_lambda_in_a_file():
    fn = lower(square)
    assert fn.name == "square"  # (the variable it is assigned to)
    assert fn.body.ops[0].prim == "mul"


def aliases(x):
    a = b = np.sin(x)
    c = a
    sin = np.cos
    return a + b * sin(c)


def test_aliases_share_one_value_and_one_name():
    line = inspect.getsourcelines(aliases)[1]
    assert ir_text(aliases) == snapshot(f"""
        def aliases(%x):
            %a = np.sin(%x)                               # line {line + 1}
            %0 = np.cos(%a)                               # line {line + 4}
            %1 = mul(%a, %0)                              # line {line + 4}
            %2 = add(%a, %1)                              # line {line + 4}
            return %2
        """)


def bare_return(x):
    return


def test_return_without_value_returns_none():
    assert lower(bare_return).returns == [Const(None)]


# ---- refused constructs: located errors with a caret ----


def assert_located(err: CompileError, fn, snippet: str, occurrence: int = 0):
    """str(err) starts with file:line:col of `snippet` in fn's source and carets it."""
    lines, start = inspect.getsourcelines(fn)
    numbered = list(enumerate(lines))
    hits = [(start + i, text) for i, text in numbered[1:] + numbered[:1] if snippet in text]  # body first
    line, text = hits[occurrence]
    col = text.index(snippet)
    message = str(err)
    assert message.startswith(f"{__file__}:{line}:{col + 1}: error: "), message
    *_, shown, caret = message.splitlines()
    assert shown.strip() == text.strip()
    assert caret.index("^") == shown.index(snippet)
    assert (err.line, err.col) == (line, col)


def uses_break(x):
    for i, v in enumerate(x):
        if v > 5:
            break
    return x


def uses_return_in_loop(x):
    for i, v in enumerate(x):
        for j in range(2):
            return x
    return x


def uses_fancy_index(x):
    i = int(x[0])
    y = np.exp(x[[0, i]])
    return y


def helper(x):
    return x + 1


def calls_helper(x):
    return np.sin(helper(x))


def recursive(x):
    return x * recursive(x - 1.0)


def early_return(x):
    return x
    x = x + 1


def for_else(x):
    for i in range(3):
        x = x * 2
    else:
        x = x + 1
    return x


def runtime_kwarg(x, k):
    return np.sum(x, axis=k)


def undefined_name(x):
    return x + not_defined_anywhere  # noqa: F821


def one_branch_only(x):
    if x > 0:
        last = x * 2.0
    return last  # read after the if


def no_return(x):
    y = x * 2  # noqa: F841


def read_before_assign(x):
    y = z + x  # noqa: F821
    z = x
    return y


def star_args(*xs):
    return xs


REFUSED = [
    (uses_break, "break", "break inside a loop over enumerate or zip is not supported yet"),
    (uses_return_in_loop, "return x", "return inside a loop nested in a loop over enumerate"),
    (uses_fancy_index, "[0, i]", "indexing with a list or tuple display of indices other than constant ints"),
    (early_return, "x = x + 1", "this statement follows a return"),
    (for_else, "for i in range(3):", "for ... else is not supported"),
    (runtime_kwarg, "axis=k", "keyword argument 'axis' of np.sum must be a constant"),
    (undefined_name, "not_defined_anywhere", "name 'not_defined_anywhere' is not defined"),
    (one_branch_only, "last  # read", "variable 'last' is read before it is assigned"),
    (no_return, "def no_return", "has no return statement"),
    (read_before_assign, "z + x", "variable 'z' is read before it is assigned"),
    (star_args, "xs)", "variadic parameters"),
]


@pytest.mark.parametrize("fn, snippet, message", REFUSED, ids=[r[0].__name__ for r in REFUSED])
def test_refused_construct_is_located(fn, snippet, message):
    with pytest.raises(CompileError) as info:
        lower(fn)
    assert message in info.value.message
    assert_located(info.value, fn, snippet)


def test_a_recursion_without_end_is_run_as_written_and_refused_when_differentiated():
    """Lowered, the function's own call of itself is code run as written (a version for
    arguments of any kind has nothing else); differentiating through it is refused at
    that call, saying why."""
    from ad_compiler import grad

    fn = lower(recursive)
    assert any(op.prim == "call" for op in fn.body.ops)
    with pytest.raises(CompileError) as info:
        grad(recursive)(1.5)
    assert "'recursive' calls itself (recursion)" in info.value.message
    assert_located(info.value, recursive, "recursive(x - 1.0)")


def test_unsupported_versus_plain_compile_errors():
    with pytest.raises(UnsupportedError):
        lower(uses_break)
    with pytest.raises(CompileError) as info:
        lower(undefined_name)
    assert not isinstance(info.value, UnsupportedError)


def test_static_must_name_a_parameter():
    with pytest.raises(CompileError, match="static= names no parameter 'axes'"):
        lower(sum_vjp, static={"axes": 0})


def test_lambda_without_source():
    with pytest.raises(SourceUnavailableError, match="cannot read the source of '<lambda>'"):
        lower(eval("lambda x: x"))


def test_builtin_function_without_source():
    with pytest.raises(SourceUnavailableError) as info:
        lower(np.sin)
    assert str(info.value) == (
        "error: cannot read the source of 'sin' (a built-in or C function): the compiler needs "
        "Python source; or give the function derivative rules instead (@ad_compiler.defvjp(fn) and "
        "@ad_compiler.defjvp(fn), docs/api.md)"
    )


def test_partial_without_source():
    with pytest.raises(SourceUnavailableError, match="partial"):
        lower(functools.partial(swap, 1.0))


pair = (lambda x: x, lambda y: y)  # noqa: E731
twins = (lambda x: x, lambda x: x + 1)  # noqa: E731


def test_lambdas_on_one_line():
    assert [p.name for p in lower(pair[1]).params] == ["y"]
    if sys.version_info < (3, 11):  # (no columns in code objects: told apart by parameters only)
        with pytest.raises(SourceUnavailableError, match="several lambdas"):
            lower(twins[0])
        return
    assert [op.prim for op in lower(twins[0]).body.ops] == []
    assert [op.prim for op in lower(twins[1]).body.ops] == ["add"]


def test_edited_file_is_read_again(tmp_path):
    import importlib.util

    path = tmp_path / "edited_mod.py"
    path.write_text("import numpy as np\ndef f(x):\n    return np.sin(x)\n")
    spec = importlib.util.spec_from_file_location("edited_mod", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert lower(module.f).body.ops[0].prim == "np.sin"
    path.write_text("import numpy as np\ndef f(x):\n    return np.cos(x)  # edited\n")
    import os

    os.utime(path, (1, 1))  # a different mtime, whatever the clock's resolution
    assert lower(module.f).body.ops[0].prim == "np.cos"


class Layer:
    def forward(self, x):
        for i, row in enumerate(x):
            break
        return x


def test_error_in_a_method_is_located_in_the_file():
    with pytest.raises(UnsupportedError) as info:
        lower(Layer.forward)
    assert_located(info.value, Layer.forward, "break")


def non_ascii(x):
    é = x; y = é & 1  # noqa: E702
    return y


def test_columns_count_characters_not_bytes():
    with pytest.raises(UnsupportedError) as info:
        lower(non_ascii)
    assert_located(info.value, non_ascii, "é & 1")


def test_closure_cell_not_yet_assigned():
    def inner(x):
        return x * later

    with pytest.raises(CompileError, match="'later' of the enclosing function is not assigned yet"):
        lower(inner)
    later = 2.0  # noqa: F841


bad_lambda = lambda x: x & 1  # noqa: E731


def test_error_in_a_lambda_is_located():
    with pytest.raises(UnsupportedError) as info:
        lower(bad_lambda)
    assert info.value.line == inspect.getsourcelines(bad_lambda)[1]
    assert info.value.col == len("bad_lambda = lambda x: ")
