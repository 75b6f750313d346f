"""IR tests: printer snapshots (exact text, deterministic) and the verifier's accept/reject cases.

IR is built by hand with ir.core so these tests depend on nothing but the IR package.
"""

from __future__ import annotations

import pytest

from ad_compiler.ir import Const, Function, Loc, Op, Region, Value, format_function
from ad_compiler.ir.types import Array, Scalar
from ad_compiler.ir.verify import VerifyError, _listing, verify
from ad_compiler.primitives import PRIMITIVES


def _loc(line: int) -> Loc:
    return Loc("f.py", line, 4)


def straight_line() -> Function:
    a, b = Value("a"), Value("b")
    t, y = Value("t"), Value("y")
    body = Region(
        ops=[
            Op("mul", [a, b], [t], loc=_loc(2)),
            Op("add", [t, Const(1.0)], [y], loc=_loc(3)),
        ],
        yields=[y],
    )
    return Function("f", [a, b], body)


def with_attrs() -> Function:
    x, s = Value("x"), Value("s")
    body = Region(ops=[Op("np.sum", [x], [s], attrs={"keepdims": True, "axis": 0})], yields=[s])
    return Function("g", [x], body)


def with_cond() -> Function:
    x, p, y = Value("x"), Value("p"), Value("y")
    s, n = Value("s"), Value("n")
    then = Region(ops=[Op("np.sin", [x], [s], loc=_loc(3))], yields=[s])
    other = Region(ops=[Op("neg", [x], [n], loc=_loc(5))], yields=[n])
    body = Region(
        ops=[
            Op("gt", [x, Const(0)], [p], loc=_loc(2)),
            Op("cond", [p], [y], regions=[then, other], loc=_loc(2)),
        ],
        yields=[y],
    )
    return Function("h", [x], body)


def with_for_range() -> Function:
    x, n = Value("x"), Value("n")
    i, acc1, t, acc2 = Value("i"), Value("acc"), Value("t"), Value("acc")
    loop = Region(args=[i, acc1], ops=[Op("mul", [acc1, x], [t], loc=_loc(4))], yields=[t])
    body = Region(
        ops=[Op("for_range", [Const(0), n, Const(1), x], [acc2], regions=[loop], loc=_loc(3))],
        yields=[acc2],
    )
    return Function("power", [x, n], body)


def with_kinds() -> Function:
    x, a = Value("x", Scalar("float")), Value("a", Array(2, "float", (3, 4)))
    y = Value("y", Array(2, "float", (3, 4)))
    body = Region(ops=[Op("mul", [x, a], [y])], yields=[y])
    return Function("k", [x, a], body)


def with_collisions() -> Function:
    x0, x1, u, v = Value("x"), Value("x"), Value(), Value()
    body = Region(
        ops=[Op("np.cos", [x0], [x1]), Op("mul", [x1, x1], [u]), Op("add", [u, x0], [v])],
        yields=[v, u],
    )
    return Function("c", [x0], body)


SNAPSHOTS = {
    straight_line: """\
def f(%a, %b):
    %t = mul(%a, %b)                              # line 2
    %y = add(%t, 1.0)                             # line 3
    return %y
""",
    with_attrs: """\
def g(%x):
    %s = np.sum(%x, axis=0, keepdims=True)
    return %s
""",
    with_cond: """\
def h(%x):
    %p = gt(%x, 0)                                # line 2
    %y = cond(%p):                                # line 2
      region 0 ():
        %s = np.sin(%x)                           # line 3
        yield %s
      region 1 ():
        %n = neg(%x)                              # line 5
        yield %n
    return %y
""",
    with_for_range: """\
def power(%x, %n):
    %acc = for_range(0, %n, 1, %x):               # line 3
      region 0 (%i, %acc.1):
        %t = mul(%acc.1, %x)                      # line 4
        yield %t
    return %acc
""",
    with_kinds: """\
def k(%x: float, %a: float[3,4]):
    %y: float[3,4] = mul(%x, %a)
    return %y
""",
    with_collisions: """\
def c(%x):
    %x.1 = np.cos(%x)
    %0 = mul(%x.1, %x.1)
    %1 = add(%0, %x)
    return %1, %0
""",
}


@pytest.mark.parametrize("build", list(SNAPSHOTS), ids=lambda b: b.__name__)
def test_printer_snapshot(build) -> None:
    assert format_function(build()) == SNAPSHOTS[build]


@pytest.mark.parametrize("build", list(SNAPSHOTS), ids=lambda b: b.__name__)
def test_printer_is_deterministic(build) -> None:
    fn = build()
    assert format_function(fn) == format_function(fn) == format_function(build())


@pytest.mark.parametrize("build", list(SNAPSHOTS), ids=lambda b: b.__name__)
def test_verifier_accepts(build) -> None:
    verify(build())


@pytest.mark.parametrize("build", list(SNAPSHOTS), ids=lambda b: b.__name__)
def test_verifier_listing_matches_printer(build) -> None:
    """The verifier renders its own listing; it must not drift from the printer."""
    fn = build()
    unmarked = [line[3:] for line in _listing(fn, None).splitlines()]
    assert unmarked == format_function(fn).splitlines()


def test_accepts_while_and_for_each() -> None:
    xs, c0, c, c2, r = Value("xs"), Value("c"), Value("c"), Value("c"), Value("r")
    item, acc, acc2, s = Value("item"), Value("acc"), Value("acc"), Value("s")
    p, w = Value("p"), Value("w")
    each = Region(args=[item, acc], ops=[Op("add", [acc, item], [s])], yields=[s])
    test = Region(args=[c], ops=[Op("lt", [c, Const(10)], [p])], yields=[p])
    step = Region(args=[c2], ops=[Op("mul", [c2, Const(2)], [w])], yields=[w])
    body = Region(
        ops=[
            Op("for_each", [xs, Const(0.0)], [acc2], regions=[each]),
            Op("while", [acc2], [r], regions=[test, step]),
        ],
        yields=[r],
    )
    verify(Function("w", [xs, c0], body))


# --- rejections ------------------------------------------------------------------------


def test_rejects_use_before_def() -> None:
    x, t, y = Value("x"), Value("t"), Value("y")
    body = Region(ops=[Op("neg", [t], [y], loc=_loc(2)), Op("neg", [x], [t], loc=_loc(3))], yields=[y])
    with pytest.raises(VerifyError, match=r"%t used before it is defined \(line 2\)") as info:
        verify(Function("f", [x], body))
    assert ">>     %y = neg(%<undefined t>)" in str(info.value)  # the faulty line is marked
    assert "def f(%x):" in str(info.value)


def test_rejects_double_definition() -> None:
    x, t = Value("x"), Value("t")
    body = Region(ops=[Op("neg", [x], [t]), Op("sin", [x], [t])], yields=[t])
    with pytest.raises(VerifyError, match="%t is defined twice"):
        verify(Function("f", [x], body))


def test_rejects_param_redefined_as_result() -> None:
    x = Value("x")
    body = Region(ops=[Op("neg", [x], [x])], yields=[x])
    with pytest.raises(VerifyError, match="%x is defined twice"):
        verify(Function("f", [x], body))


def test_rejects_use_of_value_from_sibling_region() -> None:
    fn = with_cond()
    cond = fn.body.ops[1]
    inner = cond.regions[0].ops[0].result  # %s, defined in the then-region
    cond.regions[1].yields = [inner]
    with pytest.raises(VerifyError, match="%s used outside the region that defines it") as info:
        verify(fn)
    assert ">>         yield %s" in str(info.value)


def test_rejects_use_of_nested_value_after_the_op() -> None:
    fn = with_for_range()
    fn.body.yields = [fn.body.ops[0].regions[0].ops[0].result]  # %t from the loop body
    with pytest.raises(VerifyError, match="%t used outside the region"):
        verify(fn)


def test_rejects_cond_region_yield_count() -> None:
    fn = with_cond()
    cond = fn.body.ops[1]
    cond.results = [Value("y"), Value("z"), Value("w")]
    cond.regions[1].yields = [Const(1.0), Const(2.0)]
    with pytest.raises(VerifyError, match="cond: region 0 yields 1 values, op has 3 results"):
        verify(fn)


def test_rejects_for_range_carried_init_mismatch() -> None:
    fn = with_for_range()
    loop = fn.body.ops[0].regions[0]
    loop.args.append(Value("extra"))
    with pytest.raises(VerifyError, match=r"for_range: region 0 has 3 args, expected 2") as info:
        verify(fn)
    assert ">>     %acc = for_range(0, %n, 1, %x):" in str(info.value)


def test_rejects_for_range_results_init_mismatch() -> None:
    fn = with_for_range()
    fn.body.ops[0].inputs.append(Const(5))
    with pytest.raises(VerifyError, match="for_range: has 2 initial values but 1 results"):
        verify(fn)


def test_rejects_binary_op_with_one_input() -> None:
    x, y = Value("x"), Value("y")
    body = Region(ops=[Op("mul", [x], [y])], yields=[y])
    with pytest.raises(VerifyError, match="mul: has 1 inputs, expected 2"):
        verify(Function("f", [x], body), PRIMITIVES.arity)


def test_rejects_non_value_result() -> None:
    x = Value("x")
    body = Region(ops=[Op("neg", [x], [Const(3)])], yields=[x])
    with pytest.raises(VerifyError, match=r"neg result 0 is Const\(3\), not a Value") as info:
        verify(Function("f", [x], body))
    assert ">>     <not a Value: Const(3)> = neg(%x)" in str(info.value)


@pytest.mark.parametrize(
    "op, message",
    [
        (Op("", [], [Value("y")]), "not a non-empty str"),
        (Op("f", [], [Value("y")], attrs={1: 2}), "attr key 1, not a str"),
        (Op("f", [3], [Value("y")]), "input 0 is 3, not a Value or Const"),
        (Op("while", [Const(0)], [Value("y")], regions=[Region(), Region()]), "while: region 0 has 0 args"),
    ],
)
def test_rejects_malformed_ops(op: Op, message: str) -> None:
    with pytest.raises(VerifyError, match=message):
        verify(Function("f", [], Region(ops=[op], yields=[op.results[0]])))


def test_rejects_function_returning_nothing() -> None:
    with pytest.raises(VerifyError, match="returns nothing"):
        verify(Function("f", [Value("x")], Region()))
