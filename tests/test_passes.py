"""The optimization passes, IR in and IR out: each rewrite shown on a small function."""

from __future__ import annotations

import numpy as np

from ad_compiler.frontend import lower
from ad_compiler.ir import Function, Op, Region, Value, format_function
from ad_compiler.ir.types import Array
from ad_compiler.ir.verify import verify
from ad_compiler.passes import carried, cse, dce, fold, specialize
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


def halves(x):
    b = x.shape[0] // 2
    return np.sum(x[0:b] * x[b:])


def test_a_slice_of_bounds_shapes_decide_is_a_constant_once_they_are_known() -> None:
    """`x[0:b]` with `b = x.shape[0] // 2` indexes by a constant slice once the shape is
    known, so the kinds of what it makes have shapes (no unbroadcast is left)."""
    fn = lower(halves)
    infer_kinds(fn, [Array(1, "float", (6,))])
    for _ in range(3):
        specialize.run(fn)
        fold.run(fn)
        infer_kinds(fn)
    dce.run(fn)
    assert not any(op.prim in ("slice", "np.shape") for op in fn.body.ops), _body(fn)
    assert fn.body.ops[0].inputs[1].value == slice(0, 3, None)


def test_generic_code_keeps_what_it_cannot_prove() -> None:
    fn = lower(shapes)
    infer_kinds(fn, [None])
    assert not specialize.run(fn)
    assert any(op.prim == "np.shape" for op in fn.body.ops)


def two_accumulators(x, n):
    total = 0.0
    squares = 0.0
    for i in range(n):
        total = total + x
        squares = squares + total * total
    return total


def test_dce_drops_a_carried_value_nothing_reads_after_the_loop() -> None:
    fn = lower(two_accumulators)
    assert dce.run(fn)
    verify(fn)
    (loop,) = fn.body.ops
    assert [r.name for r in loop.results] == ["total"]
    assert [a.name for a in loop.regions[0].args] == ["i", "total"]
    assert _body(fn)[1:3] == ["      region 0 (%i, %total.1):", "        %total.2 = add(%total.1, %x)"]


def feeding(x, n):
    a = 0.0
    b = 1.0
    while n > 0:
        b = b * x
        a = a + b
        n = n - 1
    return a


def test_dce_keeps_a_carried_value_that_feeds_a_live_one() -> None:
    fn = lower(feeding)
    dce.run(fn)
    verify(fn)
    (loop,) = fn.body.ops
    assert len(loop.results) == 3  # a is returned, b feeds a, n the test
    assert feeding(2.0, 3) == 14.0


def unchanged(x, n):
    scale = 2.0
    acc = 0.0
    for i in range(n):
        acc = acc + scale * x
        scale = scale
    return acc * scale


def test_carried_value_the_loop_never_changes_is_its_initial_value() -> None:
    fn = lower(unchanged)
    (loop, _) = fn.body.ops
    carried_before = len(loop.results)
    assert carried.run(fn)
    dce.run(fn)
    verify(fn)
    body = "\n".join(_body(fn))
    assert len(loop.results) == carried_before - 1 and "mul(2.0, %x)" in body
    assert _body(fn)[-2:] == ["    %1 = mul(%acc, 2.0)", "    return %1"]


def test_gradient_of_a_loop_carries_no_constant_adjoint() -> None:
    from ad_compiler import grad

    d = grad(unchanged, mode="reverse")
    assert d(1.5, 3) == 3 * 2.0 * 2.0  # d/dx of n * (2x) * 2
    body = d.source.split("for i in reversed(range(n)):")[1]
    assert "bacc" not in body and "bscale" not in body
