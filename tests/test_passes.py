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
    assert fn.body.ops[0].inputs[1].value.indices(6) == (0, 3, 1)


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


# ---- unroll: a loop that grows a list, its bounds fixed by the arguments' shapes ----

def triangles(icf, x):
    """Columns of growing zeros then entries of `icf` (ADBench GMM's lower triangles),
    one per column of `x`: the loop's bounds are known only from `x`'s shape."""
    d = x.shape[1]
    columns = []
    start = d
    for i in range(d):
        below = d - i - 1
        columns.append(np.concatenate([np.zeros((icf.shape[0], i + 1)), icf[:, start:start + below]], axis=1))
        start = start + below
    return np.sum(np.einsum("kij,nkj->nki", np.stack(columns, axis=2), x[:, None, :] - icf[None, :, :d]) ** 2)


def stacked_steps(w, x):
    hs = []
    for t in range(x.shape[0]):
        hs.append(np.tanh(w * x[t]))
    return np.sum(np.stack(hs) ** 2)


def test_a_loop_growing_a_list_of_unknown_shapes_is_unrolled_once_its_bounds_are_known() -> None:
    from ad_compiler import grad
    from tests.numeric import numeric_grad

    rng = np.random.default_rng(4)
    for d in (2, 4):
        icf, x = rng.standard_normal((3, d + d * (d - 1) // 2)), rng.standard_normal((5, d))
        g = grad(triangles, argnums=(0, 1))
        for got, argnum in zip(g(icf, x), (0, 1)):
            np.testing.assert_allclose(got, numeric_grad(triangles, (icf, x), argnum), rtol=1e-6, atol=1e-8)
        assert "for " not in g.source and "unbroadcast" not in g.source and "np.stack((" in g.source
    steps = grad(stacked_steps)
    w, x = rng.standard_normal(3), rng.standard_normal((4, 3))
    np.testing.assert_allclose(steps(w, x), numeric_grad(stacked_steps, (w, x), 0), rtol=1e-6, atol=1e-8)
    assert "for t in range(4)" in steps.source  # (items of a known shape: the loop stays)


def test_fold_reads_the_items_of_a_list_made_here() -> None:
    """`np.stack(xs)` of a list made by a display and appends is `np.stack` of its items."""
    a, b, c = Value("a"), Value("b"), Value("c")
    made, grown, grown2, out = Value(), Value(), Value(), Value()
    fn = Function("f", [a, b, c], Region([], [
        Op("list", [a], [made]), Op("push", [made, b], [grown]), Op("push", [grown, c], [grown2]),
        Op("np.stack*", [grown2], [out], {"axis": 1})], [out]))
    fold.run(fn)
    dce.run(fn)
    assert _body(fn) == ["    %0 = np.stack(%a, %b, %c, axis=1)", "    return %0"]


# ---- specialize: sums of products, broadcast numbers, zeros written everywhere ----

def summed_product(a, b):
    return np.sum(a * b, axis=0, keepdims=True)


def test_a_sum_of_a_product_sums_the_factor_that_varies_along_its_axis() -> None:
    fn = lower(summed_product)
    infer_kinds(fn, [Array(3, "float", (6, 4, 1)), Array(3, "float", (1, 4, 3))])
    specialize.run(fn)
    dce.run(fn)
    verify(fn)
    assert _body(infer_kinds(fn)) == ["    %0: float[1,4,1] = np.sum(%a, axis=0, keepdims=True)",
                                      "    %1: float[1,4,3] = mul(%0, %b)", "    return %1"]


def nearest(points, centroids):
    diff = points[:, None, :] - centroids[None, :, :]
    return np.sum(np.min(np.sum(diff * diff, axis=2), axis=1))


def test_the_curvature_of_kmeans_is_summed_before_it_is_multiplied() -> None:
    """The JVP of the k-means gradient along the centroids: the tangent does not vary
    along the points, so the cotangent is summed over the points first (no (n, k, d)
    product), and the gradient is the sum reshaped (no zeros written through [None])."""
    from ad_compiler import grad, jvp
    from tests.numeric import numeric_grad

    rng = np.random.default_rng(6)
    points, centroids, direction = rng.standard_normal((9, 2)), rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    g = grad(nearest, argnums=1)
    np.testing.assert_allclose(g(points, centroids), numeric_grad(nearest, (points, centroids), 1), rtol=1e-6)
    assert "np.zeros" not in g.source and "bcentroids = np.reshape(" in g.source
    _, tangent = jvp(g, (points, centroids), (None, direction))
    h = 1e-6
    expected = (g(points, centroids + h * direction) - g(points, centroids - h * direction)) / (2 * h)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-8)
