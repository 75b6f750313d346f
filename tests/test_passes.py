"""The optimization passes, IR in and IR out: each rewrite shown on a small function."""

from __future__ import annotations

import numpy as np

from ad_compiler.frontend import lower
from ad_compiler.ir import Function, Op, Region, Value, format_function
from ad_compiler.ir.types import Array
from ad_compiler.ir.verify import verify
from ad_compiler.passes import cse, dce, fold, specialize
from ad_compiler.passes.infer import infer_kinds


def _body(fn: Function) -> list[str]:
    """The printed ops without the line comments."""
    return [line.split("#")[0].rstrip() for line in format_function(fn).splitlines()[1:]]


def identities(x, y):
    a = x * 1.0
    b = 0.0 + a
    c = b - (-y)
    d = c ** 1
    return d / 1


def test_fold_removes_identities() -> None:
    fn = lower(identities)
    fold.run(fn)
    dce.run(fn)
    verify(fn)
    assert _body(fn) == ["    %c = add(%x, %y)", "    return %c"]


def scaled(x, y):
    return (0.5 * x) / y - (0.5 * y)


def test_fold_moves_a_common_factor_out() -> None:
    fn = lower(scaled)
    fold.run(fn)
    dce.run(fn)
    assert _body(fn) == [
        "    %0 = truediv(%x, %y)",
        "    %1 = sub(%0, %y)",
        "    %2 = mul(0.5, %1)",
        "    return %2",
    ]


def repeated(x):
    return np.sin(x) * np.sin(x)


def test_cse_merges_equal_ops() -> None:
    fn = lower(repeated)
    cse.run(fn)
    dce.run(fn)
    assert _body(fn) == ["    %0 = np.sin(%x)", "    %1 = mul(%0, %0)", "    return %1"]


def test_cse_does_not_reach_into_nested_regions() -> None:
    x, p, inner, outer, r = Value("x"), Value("p"), Value("inner"), Value("outer"), Value("r")
    then = Region(ops=[Op("np.sin", [x], [inner])], yields=[inner])
    other = Region(yields=[x])
    body = Region(
        ops=[Op("cond", [p], [r], regions=[then, other]), Op("np.sin", [x], [outer])],
        yields=[outer],
    )
    fn = Function("f", [x, p], body)
    cse.run(fn)
    verify(fn)
    assert fn.body.yields == [outer]


def broadcasting(v, M):
    return np.sum(v * M)


def test_specialize_turns_unbroadcast_into_its_sum() -> None:
    fn = lower(broadcasting)
    g, t = Value("g"), Value("t")
    fn.body.ops.append(Op("unbroadcast", [g, fn.params[0]], [t]))
    fn.params.append(g)
    fn.body.yields = [t]
    infer_kinds(fn, [Array(1, "float", (3,)), Array(2, "float", (4, 3)), Array(2, "float", (4, 3))])
    specialize.run(fn)
    dce.run(fn)
    verify(fn)
    assert _body(fn)[-2:] == ["    %t = np.sum(%g, axis=0)", "    return %t"]


def shapes(x):
    n, m = x.shape
    return np.sum(x) / (n * m)


def test_specialize_folds_shapes_to_constants() -> None:
    fn = lower(shapes)
    infer_kinds(fn, [Array(2, "float", (3, 4))])
    for _ in range(3):
        specialize.run(fn)
        fold.run(fn)
        infer_kinds(fn)
    dce.run(fn)
    assert _body(fn) == [
        "    %0: float = np.sum(%x)",
        "    %1: float = truediv(%0, 12)",
        "    return %1",
    ]


def test_generic_code_keeps_what_it_cannot_prove() -> None:
    fn = lower(shapes)
    infer_kinds(fn, [None])
    assert not specialize.run(fn)
    assert any(op.prim == "np.shape" for op in fn.body.ops)
