"""Programs random generation found wrong or crashing, each checked in every mode.

Each is the shrunk reproduction of one bug class: its gradient by reverse mode (specialized
and generic), forward mode and `vjp`, and its Hessian, against central differences of
the program itself.
"""

from __future__ import annotations

import importlib.util
import itertools
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ad_compiler import grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp
from tests.numeric import numeric_grad, numeric_hessian

_counter = itertools.count()

A3 = np.array([0.1, 0.2, 0.3])
M33 = np.arange(9.0).reshape(3, 3) / 10

CASES = {
    # a branch nested in a loop hands out an outer value as it is: the loop was taken as inactive
    "nested branch yields an outer value": ("""
        def f(x0):
            y = np.full(3, 0.5)
            for i in range(3):
                y[i] = x0 if y[2] < 0.68 else x0
            return np.sum(y)
        """, 0.3),
    # the tape recorded the index tuple (i, 1) by itself, and a later pruning emptied it
    "a tuple index is all a loop records": ("""
        def f(v0):
            y = np.zeros(3)
            for i in range(3):
                y[i] = v0[i, 1]
            return np.sum(y * y)
        """, M33),
    # a tuple leaving an if got one adjoint (`np.zeros_like` of a tuple)
    "a tuple leaves an if": ("""
        def f(x):
            if x > 0:
                t = (x, x * 2.0)
            else:
                t = (x * 3.0, x)
            return t[0] * t[1]
        """, 0.5),
    "a tuple carried by a loop": ("""
        def f(x):
            t = (x, 1.0)
            for i in range(3):
                t = (t[1] * x, np.sin(t[0]))
            return t[0] + t[1] * x
        """, 0.7),
    "a tuple returned early from a helper": ("""
        def h(x):
            for i in range(3):
                if x > 5.0:
                    return (x, x)
                x = x * 1.5
            return (x * 2.0, x)

        def f(x):
            a, b = h(x)
            return a * b
        """, 0.5),
    # the adjoint a nested backward loop hands on is, after its first trip, the zeros
    # hoisted before the outer one: a write into it in place changed what the next trip reads
    "a nested loop hands on hoisted zeros": ("""
        def f(y):
            x = np.array([[0.79, 0.21, 0.19], [0.44, 0.98, 0.66], [0.17, 0.68, 0.88]])
            for i in range(x.shape[1]):
                for r2 in y:
                    x, r2 = (y, 0.0)
                y = np.matmul(y[:, :-1], x[:-1])
            return x[1, 1]
        """, np.array([[-0.21, 0.65, -0.02], [-0.31, -0.79, -0.38], [-0.65, -0.55, 0.29]])),
}


def _load(source: str, folder: Path):
    path = folder / f"regression_{next(_counter)}.py"
    path.write_text("import numpy as np\n\n" + textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


@pytest.mark.parametrize("name", list(CASES))
def test_every_mode_agrees_with_central_differences(tmp_path: Path, name: str) -> None:
    source, x = CASES[name]
    f = _load(source, tmp_path)
    expected = numeric_grad(f, (x,), 0)
    df = grad(f)
    _, pullback = vjp(f, x)
    for mode, got in (("reverse", df(x)), ("generic", df.generic(x)), ("forward", grad(f, mode="forward")(x)),
                      ("vjp", pullback(1.0)[0])):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8, err_msg=f"{mode}: {name}")
    np.testing.assert_allclose(hessian(f)(x), numeric_hessian(f, x), rtol=1e-5, atol=1e-5, err_msg=f"hessian: {name}")


SEVERAL = {
    # loops that write elements, indices from int(), run-time slice bounds: the gradient's
    # shapes are known only when it runs, and the Hessian was refused
    "elements written in a loop": ("""
        def f(x, y):
            z = np.zeros(3)
            for i in range(3):
                z[i] = x[i] * y
            return np.sum(z * z)
        """, (A3, 0.7)),
    "a slice bound from int()": ("""
        def f(x, y):
            n = int(y * 2)
            return np.sum(x[n:] ** 2) * y
        """, (np.array([0.1, 0.2, 0.3, 0.4]), 0.7)),
    "a while counter as a slice bound": ("""
        def f(x, y):
            a = x * 1.0
            k = 0
            while k < 2:
                a[k] = a[k] * y
                k = k + 1
            return np.sum(a[k:] * a[0])
        """, (np.array([0.1, 0.2, 0.3, 0.4]), 0.7)),
    "a trip count from int()": ("""
        def f(x, y):
            s = 0.0
            for i in range(int(y * 4)):
                s = s + np.sum(x[i:] * x[i]) * y
            return s
        """, (np.array([0.1, 0.2, 0.3, 0.4]), 0.7)),
}


@pytest.mark.parametrize("name", list(SEVERAL))
def test_hessian_with_respect_to_several_arguments(tmp_path: Path, name: str) -> None:
    source, (x, y) = SEVERAL[name]
    f = _load(source, tmp_path)
    n = x.size
    expected = numeric_hessian(lambda v: f(v[:n], float(v[n])), np.append(x, y))
    (hxx, hxy), (hyx, hyy) = hessian(f, argnums=(0, 1))(x, y)
    got = np.block([[hxx, hxy[:, None]], [hyx[None, :], np.array([[hyy]])]])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5, err_msg=name)


def test_a_sum_of_a_number_broadcast_to_an_int_shape(tmp_path: Path) -> None:
    f = _load("""
        def f(x):
            return np.sum(np.broadcast_to(2.0, 3)) * x + np.sum(np.broadcast_to(x, 4))
        """, tmp_path)
    assert grad(f)(0.5) == pytest.approx(10.0)
    assert grad(f, mode="forward")(0.5) == pytest.approx(10.0)


def test_draws_in_one_expression_keep_their_order(tmp_path: Path) -> None:
    """The first draw was inlined into the statement of the second, after it."""
    f = _load("""
        RS = np.random.RandomState(0)

        def f(y):
            RS.seed(0)
            return np.arctan2(RS.uniform(-1.0, 1.0, 2), 1.5).dot(np.squeeze(np.expand_dims(RS.normal(0.0, 1.0, size=2), 1), 1)) * y
        """, tmp_path)
    value, g = value_and_grad(f)(0.5)
    assert value == pytest.approx(f(0.5)) and g == pytest.approx(f(1.0))


def test_forward_mode_prints_a_primal_of_a_loop_that_may_return(tmp_path: Path) -> None:
    """A loop prints a value and may return early: the branch hands out both the primal
    (which the print reads, once per call) and its tangent (once per direction)."""
    f = _load("""
        import io

        OUT = io.StringIO()
        IDX = np.array([2, 0, 1])

        def f(y):
            for i in range(3):
                print(np.sum(y * y), file=OUT)
                if np.sum(y) > 10.0:
                    return 0.5
                y = y * y[IDX]
            return np.sum(y)
        """, tmp_path)
    y = np.array([0.5, 0.9, 1.1])
    out = f.__globals__["OUT"]
    f(y)
    lines = out.getvalue().count("\\n")
    for mode in ("reverse", "forward"):
        out.seek(0)
        out.truncate()
        np.testing.assert_allclose(grad(f, mode=mode)(y), numeric_grad(f, (y,), 0), rtol=1e-6, err_msg=mode)
        assert out.getvalue().count("\\n") == lines, mode


def test_a_loop_variable_nothing_reads_after_a_branch(tmp_path: Path) -> None:
    """`i` exists before the if; in the branch it is a loop's own variable, read by
    nothing after: the branch must not hand it out (a KeyError in the frontend)."""
    f = _load("""
        SCALE = 0.7

        def f(x):
            i = 1
            if SCALE:
                for i in range(2):
                    x = x * 1.5
            return x * 2.0
        """, tmp_path)
    assert grad(f)(0.5) == pytest.approx(4.5)
    assert grad(f, mode="forward")(0.5) == pytest.approx(4.5)


def test_forward_mode_through_a_loop_that_draws_and_may_return(tmp_path: Path) -> None:
    """The test of the return is computed with tangents it does not need (`y[1] > 0`):
    it runs once, with the draws, and the loop's exit does not wait for the tangents."""
    f = _load("""
        RS = np.random.RandomState(0)

        def f(x, y):
            RS.seed(0)
            for i in range(3):
                x = x * RS.uniform(0.5, 1.5)
                if np.sum(x) > 50.0 and y[1] > 0.0:
                    return np.sum(x * y)
            return np.sum(x) * y[0]
        """, tmp_path)
    x, y = np.array([0.1, 0.2, 0.3]), np.array([0.5, 1.5, 2.0])
    for mode in ("reverse", "forward"):
        got = grad(f, argnums=(0, 1), mode=mode)(x, y)
        for k in (0, 1):
            np.testing.assert_allclose(got[k], numeric_grad(f, (x, y), k), rtol=1e-6, err_msg=mode)


def test_an_int_shape_is_a_shape(tmp_path: Path) -> None:
    """`np.broadcast_to(y, 2)`: the tangent had shape (), the Jacobian a block of (1,)."""
    f = _load("""
        def f(y):
            return np.outer(0.5, np.broadcast_to(y, 2)) + np.reshape(np.broadcast_to(y * y, 2), 2)
        """, tmp_path)
    y = 0.7
    _, tangent = jvp(f, (y,), (1.0,))
    np.testing.assert_allclose(tangent, np.full((1, 2), 0.5 + 2 * y))
    np.testing.assert_allclose(jacrev(f)(y), np.full((1, 2), 0.5 + 2 * y))
    np.testing.assert_allclose(jacfwd(f)(y), np.full((1, 2), 0.5 + 2 * y))


def test_the_std_of_equal_elements_has_derivative_zero(tmp_path: Path) -> None:
    """One element: the std is 0 whatever it is; `(x - mean) / std` was 0 / 0."""
    f = _load("""
        def f(x, y):
            return np.broadcast_to(y, 1).std() + np.std(x[:1]) * y
        """, tmp_path)
    x, y = np.array([0.3, 0.4]), 0.2
    for mode in ("reverse", "forward"):
        gx, gy = grad(f, argnums=(0, 1), mode=mode)(x, y)
        np.testing.assert_array_equal(gx, np.zeros(2))
        assert gy == 0.0


def test_a_loop_variable_read_by_the_next_iteration_of_an_outer_loop(tmp_path: Path) -> None:
    """`i` is read before the inner loop that assigns it, in the next iteration: it is
    carried (a KeyError), and so is one an inner loop leaves undefined in a loop."""
    f = _load("""
        def f(x):
            i = 0
            y = x * 1.0
            for k in range(3):
                y = y + i * x
                for i in range(3):
                    y = y * 0.9
            j = 0
            while np.sum(y) < -10.0:
                for j in range(2):
                    pass
            return np.sum(y)
        """, tmp_path)
    x = np.array([0.3, 0.5])
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(grad(f, mode=mode)(x), numeric_grad(f, (x,), 0), rtol=1e-7, err_msg=mode)


def test_a_temporary_never_takes_a_source_name(tmp_path: Path) -> None:
    """The source names a variable `t1`; the temporary `len(y)` was named `t1` too and
    overwritten by it before the loop read it (generic code)."""
    f = _load("""
        def f(x, y):
            t1 = np.full(2, 0.5)
            for r2, r3 in zip(y, t1):
                t1 = t1 + x[0] * r2[0]
            return np.sum(t1) * y[len(t1), 1]
        """, tmp_path)
    x, y = np.array([0.3, 0.5]), np.arange(9.0).reshape(3, 3) / 10
    df = grad(f, argnums=(0, 1))
    for version in (df, df.generic):
        got = version(x, y)
        for k in (0, 1):
            np.testing.assert_allclose(got[k], numeric_grad(f, (x, y), k), rtol=1e-7, atol=1e-9)


def test_what_a_loop_with_exits_iterates_is_read_once(tmp_path: Path) -> None:
    """A loop that may break or return became a `while` that read `x` and `n` again each
    iteration, after the body had rebound them: a wrong value, silently."""
    f = _load("""
        LOG = []

        def f(x):
            n = 3
            s = 0.0
            for i in range(n):
                n = n - 1
                s = s + x[i]
                if s > 100.0:
                    break
            for r in x:
                LOG.append(float(r))
                if s > 200.0:
                    return s
                x = x ** 2
            return s + np.sum(x)
        """, tmp_path)
    x = np.array([0.3, 0.5, 0.7])
    log = f.__globals__["LOG"]
    value = f(x)
    logged = list(log)
    for mode in ("reverse", "forward"):
        log.clear()
        got_value, got = value_and_grad(f, mode=mode)(x)
        assert got_value == pytest.approx(value) and log == logged, mode
        np.testing.assert_allclose(got, numeric_grad(f, (x,), 0), rtol=1e-7, err_msg=mode)


def test_nested_loops_that_break_keep_their_own_flags(tmp_path: Path) -> None:
    """Both loops break: the inner one's counter and flag reset the outer one's."""
    f = _load("""
        def f(x):
            s = 0.0
            for i in range(3):
                for j in range(3):
                    if j > i:
                        break
                    s = s + x[i] * x[j]
                if s > 100.0:
                    break
            return s
        """, tmp_path)
    x = np.array([0.3, 0.5, 0.7])
    for mode in ("reverse", "forward"):
        value, got = value_and_grad(f, mode=mode)(x)
        assert value == pytest.approx(f(x)), mode
        np.testing.assert_allclose(got, numeric_grad(f, (x,), 0), rtol=1e-7, err_msg=mode)
    np.testing.assert_allclose(hessian(f)(x), numeric_hessian(f, x), rtol=1e-5, atol=1e-5)


def test_an_index_read_back_from_the_tape_of_a_branch(tmp_path: Path) -> None:
    """The tape of the branch not taken (handed out past a draw) is None: the kinds of its
    entries were lost with it, and the Hessian gave the row index `i + 1` read back from
    the tape a tangent."""
    f = _load("""
        RS = np.random.RandomState(0)

        def f(x, z):
            RS.seed(1)
            v = z[0] * 1.0
            if x > 0.0:
                pass
            else:
                for i in range(2):
                    v = np.max(z[i + 1], axis=-1) * v
                v = v + RS.normal()
            return np.sum(z[:, 1] * v) * x
        """, tmp_path)
    z = np.arange(9.0).reshape(3, 3) / 10
    for x in (0.5, -0.5):
        expected = numeric_hessian(lambda v: f(x, v.reshape(3, 3)), z.ravel())
        got = hessian(f, argnums=1)(x, z)
        np.testing.assert_allclose(got.reshape(9, 9), expected, rtol=1e-5, atol=1e-5, err_msg=str(x))


def test_an_index_handed_out_of_a_branch_keeps_its_kind(tmp_path: Path) -> None:
    """`1 - n` is handed out of the branch that returns (None from the other): the join
    lost its kind, and the Hessian gave the index read back from the tape a tangent."""
    f = _load("""
        RS = np.random.RandomState(0)

        def f(x, y):
            RS.seed(3)
            n = 0
            while n < 2:
                n = n + 1
                if y * n > 0.5:
                    return RS.uniform(0.5, 1.5) * x[1 - n] * y * x[2]
            return np.sum(x) * y
        """, tmp_path)
    x = np.array([0.1, 0.2, 0.3, 0.4])
    for y in (0.7, 0.3, 0.2):
        n = x.size
        expected = numeric_hessian(lambda v: f(v[:n], float(v[n])), np.append(x, y))
        (hxx, hxy), (hyx, hyy) = hessian(f, argnums=(0, 1))(x, y)
        got = np.block([[hxx, hxy[:, None]], [hyx[None, :], np.array([[hyy]])]])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5, err_msg=str(y))


def test_forward_mode_through_a_while_whose_test_is_a_number(tmp_path: Path) -> None:
    """`while y[0]:` with a return: the test `y[0] and not _break` is a number with a
    tangent, which made the loop's decisions seem to depend on the direction (refused
    where a draw follows)."""
    f = _load("""
        RS = np.random.RandomState(0)

        def f(x, y):
            RS.seed(2)
            while y[0]:
                return np.sum(x * y)
            return RS.uniform() * np.sum(x * x)
        """, tmp_path)
    x = np.array([0.3, -0.4, 0.1])
    for y in (np.array([0.5, 0.2, -0.1]), np.array([-0.5, 0.2, -0.1])):  # (y[0] = 0 is a jump)
        for mode in ("reverse", "forward"):
            got = grad(f, argnums=(0, 1), mode=mode)(x, y)
            for k in (0, 1):
                np.testing.assert_allclose(got[k], numeric_grad(f, (x, y), k), rtol=1e-6, atol=1e-9,
                                           err_msg=f"{mode} {y}")


def test_np_matmul_of_vectors_is_a_number_not_elementwise(tmp_path: Path) -> None:
    """np.matmul is a ufunc (a generalized one): `np.matmul(y, y)` was taken to have the
    shape of `y`, and the gradient summed over no axis."""
    f = _load("""
        def f(y):
            x = np.matmul(y, y)
            return np.sum(x * np.ones(6)) + np.sum(np.exp(np.matmul(y[:2], np.ones((2, 3)))))
        """, tmp_path)
    y = np.array([0.3, 0.4, 0.5])
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(grad(f, mode=mode)(y), numeric_grad(f, (y,), 0), rtol=1e-6, err_msg=mode)
    np.testing.assert_allclose(grad(f).generic(y), numeric_grad(f, (y,), 0), rtol=1e-6)


def test_a_primal_array_a_branch_keeps_is_not_written_by_every_direction(tmp_path: Path) -> None:
    """The branch not taken keeps `t` as it is; the write after it went into `t` itself,
    made once before the loop over directions: every direction wrote it again."""
    f = _load("""
        def f(y, z):
            t = np.ones(1)
            if y > 10.0:
                t = np.fmax(z, 0.5)
            t[t > -0.6] -= 0.5
            return np.divide(t.dot(t), z[0]) * y
        """, tmp_path)
    y, z = 0.5, np.array([0.7, 0.3])
    for mode in ("reverse", "forward"):
        got = grad(f, argnums=(0, 1), mode=mode)(y, z)
        for k in (0, 1):
            np.testing.assert_allclose(got[k], numeric_grad(f, (y, z), k), rtol=1e-6, err_msg=mode)


def test_a_loop_starts_from_the_whole_tangent_of_a_broadcast(tmp_path: Path) -> None:
    """`np.broadcast_to(abs(x), 3)` has a tangent kept as a number until a shape matters:
    the loop carried that number, and `dv[2]` indexed it."""
    f = _load("""
        def f(x):
            v = np.broadcast_to(abs(x), 3)
            for i in range(v.shape[0]):
                v = np.where(v[0] > -0.6, v, v[len(v) - 1]) * v
                v[:1] = np.arcsin(0.5 * np.sin(np.broadcast_to(x, 1)))
            return np.std(v)
        """, tmp_path)
    for mode in ("reverse", "forward"):
        assert grad(f, mode=mode)(0.7) == pytest.approx(numeric_grad(f, (0.7,), 0), rel=1e-6), mode
    _, tangent = jvp(f, (0.7,), (1.0,))
    assert tangent == pytest.approx(numeric_grad(f, (0.7,), 0), rel=1e-6)


def test_hessian_of_a_branch_chosen_by_a_call_run_as_written(tmp_path: Path) -> None:
    """`isinstance(y, float)` decides a branch; its value, handed out of the outer branch
    beside `x`, was taken to reach the result (every yield of a useful branch counted)."""
    f = _load("""
        def f(x, y):
            if np.sum(x) > 10.0:
                pass
            elif isinstance(y, float):
                x = np.sin(x) * y
            return x[1] @ x[1]
        """, tmp_path)
    x, y = np.array([[0.3, 0.5], [0.7, -0.2]]), 0.6
    expected = numeric_hessian(lambda v: f(v[:4].reshape(2, 2), float(v[4])), np.append(x.ravel(), y))
    (hxx, hxy), (hyx, hyy) = hessian(f, argnums=(0, 1))(x, y)
    got = np.block([[hxx.reshape(4, 4), hxy.reshape(4, 1)], [hyx.reshape(1, 4), np.array([[hyy]])]])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_hessian_through_masked_writes_in_a_loop(tmp_path: Path) -> None:
    """`np.full(2, 0.5)` and `np.clip(v, 0.5, None)` had no kind, nor the tape after
    them: the masks read back from it got tangents, and the Hessian was refused."""
    f = _load("""
        def f(x):
            v = np.clip(x - np.full(2, 0.5), 0.1, None)
            for i in range(2):
                v[v > 0.3] *= v[0]
                v[1] = np.sum(v[v > 0.2] ** 2)
            return np.sum(v * v)
        """, tmp_path)
    x = np.array([0.9, 1.2])
    np.testing.assert_allclose(hessian(f)(x), numeric_hessian(f, x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad(f, mode="forward")(x), numeric_grad(f, (x,), 0), rtol=1e-6)


ALIASING = {
    # `v1 = v2 = ...`: the inner loop's `v2 = v2 + 0.5` was written in place, into the
    # array `v1` still names (the carried value of a loop in a loop: the outer one's)
    "a loop in a loop carries an array another name holds": ("""
        W = np.linspace(-1.0, 1.0, 9).reshape(3, 3)

        def f(z):
            v1 = v2 = np.sin(W) * z[0]
            for r3, r4 in zip(z, v1):
                for r5, r6 in zip(z, z):
                    v2 = v2 + 0.5 * r5
            return np.sum(v2[1].dot(v1)) * z[2]
        """, np.array([0.3, 0.9, 0.4])),
    # a loop that runs no iteration returns its initial array, which the write after it
    # changed though the reverse sweep read it
    "a loop that may run no iteration": ("""
        def f(x):
            y = x / (x + 1.0)
            while y[1] <= 0.1:
                y = y / 2.5
            y[1] -= 0.5
            return np.tanh(np.sum(y * x))
        """, np.array([0.75, 0.45, 0.57])),
    # the loop's last value is on its tape: the write after the loop changed it
    "the last value of a loop is on its tape": ("""
        def f(z):
            y = z * 2.0
            n = 0
            while n < 1:
                n = 1
                y = np.cbrt(z + 2.0)
            y[1] *= 0.5
            return np.var(y)
        """, np.array([[0.1, -0.6, 0.6], [-0.16, -0.85, 0.09]])),
}


@pytest.mark.parametrize("name", list(ALIASING))
def test_an_array_is_not_written_while_another_name_holds_it(tmp_path: Path, name: str) -> None:
    source, x = ALIASING[name]
    f = _load(source, tmp_path)
    value = f(x)
    expected = numeric_grad(f, (x,), 0)
    for mode in ("reverse", "forward"):
        got_value, got = value_and_grad(f)(x) if mode == "reverse" else (f(x), grad(f, mode=mode)(x))
        np.testing.assert_allclose(got_value, value, rtol=1e-12, err_msg=f"{mode}: {name}")
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9, err_msg=f"{mode}: {name}")
    _, tangent = jvp(f, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(tangent, np.sum(expected), rtol=1e-6, err_msg=name)


def test_a_name_a_branch_writes_is_not_the_tangent_still_read(tmp_path: Path) -> None:
    """The tangent of `y` after the branch was written `dy = 0.0` inside it, over the
    parameter `dy` the branch still read (`dv0 = dy`)."""
    f = _load("""
        V = np.array([0.5, -1.0, 2.0])

        def f(x, y):
            v0 = y * 1.0
            if V[2] <= 0.6:
                v0[y > 0] *= 0.5
            elif min(0.5, 0.5):
                y = 0.5
            return v0 * x[0]
        """, tmp_path)
    x, y = np.array([0.3, 0.7]), np.array([[0.2, -0.4], [0.6, 0.1]])
    value, tangent = jvp(f, (x, y), (np.zeros(2), np.ones((2, 2))))
    np.testing.assert_allclose(value, f(x, y))
    np.testing.assert_allclose(tangent, np.full((2, 2), 0.3))


def test_a_tuple_a_loop_may_return_keeps_its_items(tmp_path: Path) -> None:
    """`_value` starts as None before a loop that may return a tuple: the None made the
    tuple's kind unknown, and its adjoint was taken for an array's."""
    f = _load("""
        def h(a):
            for i in range(1, len(a)):
                if a[i] > 0.1:
                    return (0.5 * a[0], a * a[i])
            return (a[0], a)

        def f(y):
            q, r = h(y)
            return q + np.sum(r)
        """, tmp_path)
    for y in (np.array([0.3, 0.4, 0.2]), np.array([0.3, -0.4, 0.05])):
        for mode in ("reverse", "forward"):
            np.testing.assert_allclose(grad(f, mode=mode)(y), numeric_grad(f, (y,), 0), rtol=1e-6, err_msg=mode)
        np.testing.assert_allclose(grad(f).generic(y), numeric_grad(f, (y,), 0), rtol=1e-6)


def test_a_type_test_that_decides_a_branch_allows_a_hessian(tmp_path: Path) -> None:
    """`isinstance(x, float)` read `x` and its value was recorded for the reverse sweep:
    the Hessian took that record for a path of the derivative."""
    f = _load("""
        def f(x, y):
            for i in range(2):
                if isinstance(x, float):
                    x = x - np.cos(x) * y
            return x * x * y
        """, tmp_path)
    x, y = 0.4, 0.7
    expected = numeric_hessian(lambda v: f(float(v[0]), float(v[1])), np.array([x, y]))
    got = np.array(hessian(f, argnums=(0, 1))(x, y), dtype=float)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_a_loop_that_may_return_in_several_places(tmp_path: Path) -> None:
    """`_value` starts as None and the body may set it in three branches: the kinds of
    the values it may be are joined (a join of more than two failed)."""
    f = _load("""
        def f(x):
            for i in range(3):
                if x[i] > 0.8:
                    return np.sum(x) * x[i]
                elif x[i] < -0.8:
                    return x[i] * 2.0
                elif x[i] == 0.5:
                    return x[0]
                x = x * 1.1
            return np.sum(x * x)
        """, tmp_path)
    for x in (np.array([0.3, 0.9, 0.2]), np.array([0.3, -0.9, 0.2]), np.array([0.1, 0.2, 0.3])):
        for mode in ("reverse", "forward"):
            np.testing.assert_allclose(grad(f, mode=mode)(x), numeric_grad(f, (x,), 0), rtol=1e-6, err_msg=mode)


def test_two_results_of_a_nested_branch_never_share_a_name(tmp_path: Path) -> None:
    """The nested branch wrote one of its parent's results directly (`dx_1`), and named
    another of its own results the same: the tangent of `x` was overwritten by zero."""
    f = _load("""
        RS = np.random.RandomState(0)

        def f(x):
            n = 0
            while n < 1:
                n = 1
                if x > 3.0:
                    continue
                v = np.ones(1)
                if v.mean() <= 0.0:
                    x /= RS.uniform(0.5, 1.5)
            return x * x * x
        """, tmp_path)
    assert hessian(f)(-0.3) == pytest.approx(-1.8)
    assert grad(grad(f))(-0.3) == pytest.approx(-1.8)


def test_two_loop_carried_adjoints_with_one_initial_array(tmp_path: Path) -> None:
    """`bx = by` started two carried adjoints from one array; the first iteration wrote
    `bx[1:] += ...` in place, changing `by` too, which the iteration then read."""
    f = _load("""
        def f(x):
            y = np.array([0.37832116091274726, 0.3509610271033856, 0.17152604851662523])
            for i in range(1, 3):
                y = y * (np.ones(2) @ x[1:])
            y = y + x
            return np.cos(y)
        """, tmp_path)
    x = np.array([0.3153663610948798, 0.23116732662332895, 0.8833562268975133])
    cotangent = np.array([1.0, -0.5, 0.25])
    _, pullback = vjp(f, x)
    expected = numeric_grad(lambda v: float(cotangent @ f(v)), (x,), 0)
    np.testing.assert_allclose(pullback(cotangent)[0], expected, rtol=1e-6)
    np.testing.assert_allclose(grad(lambda v: float(cotangent @ f(v)))(x), expected, rtol=1e-6)


def test_a_draw_in_a_conditional_expression_keeps_its_place(tmp_path: Path) -> None:
    """`(RS.normal(...) if c else 1) @ f(RS.uniform(...))`: the branch, written as an
    expression inside its user, ran its draw after the uniform one (another value)."""
    f = _load("""
        RS = np.random.RandomState(0)

        def f(x):
            RS.seed(0)
            x **= 2
            v2 = RS.normal(0.0, 1.0, size=(1, 2))
            n3 = 0
            return (np.absolute(RS.normal(0.0, 1.0, size=2)) if x > 0.0 else 1) @ np.expm1(
                0.5 * np.sin(v2[n3] * RS.uniform(0.5, 1.5)))
        """, tmp_path)
    x = -0.5290219465275385
    value, tangent = jvp(f, (x,), (1.0,))
    assert value == pytest.approx(f(x))
    assert tangent == pytest.approx(numeric_grad(f, (x,), 0))


def test_a_copy_never_takes_the_name_of_a_value_its_write_reads(tmp_path: Path) -> None:
    """The cotangent parameter `bx` (of a result named `x`) and the gradient of the
    argument `x`: the copy an element write made first took the name `bx`, then the write
    read `np.sum(bx)` of the copy (wrong vjp; the same in a jacrev)."""
    f = _load("""
        W = np.linspace(-1.0, 1.0, 9).reshape(3, 3)

        def f(x):
            x = x[:-1].dot(x * np.ones((2, 1))) - x[1]
            return x

        def g(x):
            x = W[0] - x[1]
            return x * np.ones((1, 1))
        """, tmp_path)
    module = f.__globals__
    x = np.array([0.3, -0.7, 1.1])
    cotangent = np.array([0.2, -0.5, 0.9])
    _, pullback = vjp(f, x)
    expected = numeric_grad(lambda v: float(cotangent @ f(v)), (x,), 0)
    np.testing.assert_allclose(pullback(cotangent)[0], expected, rtol=1e-6, atol=1e-9)
    g = module["g"]
    eps = 1e-6
    columns = [(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(jacrev(g)(x), np.stack(columns, axis=-1), rtol=1e-6, atol=1e-9)


def test_a_nested_branch_does_not_write_a_name_a_loop_result_still_holds(tmp_path: Path) -> None:
    """A branch's result passed on by the branch around it took that one's name (`dtape`),
    which a loop's result in the same branch still held for the yield after it: the tape's
    tangent became 0 and the Hessian-vector product crashed iterating it."""
    f = _load("""
        RS = np.random.RandomState(0)

        def f(y):
            x = np.array([0.9026211916829645, 0.6806603024186912, 0.13375082157648932])
            if x[1] < 0.2:
                return 0.5
            n0 = 0
            while n0 < 1:
                return y.sum(axis=0) @ x
            for i in range(0.5):
                acc7 += y
            v17 = RS.uniform(0.5, 1.5)
            return acc7
        """, tmp_path)
    y = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]])
    v = np.ones_like(y)
    _, tangent = jvp(grad(f), (y,), (v,))
    np.testing.assert_allclose(tangent, np.zeros_like(y), atol=1e-12)  # f is linear in y
    np.testing.assert_allclose(grad(f)(y), numeric_grad(f, (y,), 0), rtol=1e-6)


def test_the_value_written_at_an_index_is_not_masked_as_its_result(tmp_path: Path) -> None:
    """`np.where(c, y, 0.5)` zeroes the cotangent of `y` outside `c`; the cotangent of the
    value `y[MASK] = v` wrote is `g[MASK]`, of another shape: the mask was applied to it
    (a crash in vjp and jacrev, wrong second derivatives through `np.where`)."""
    f = _load("""
        MASK = np.array([True, False, True])
        RS = np.random.RandomState(0)

        def f(y):
            v4 = np.clip(y, 0.5, None)
            v4[MASK] = y[1]
            return np.where(y, v4, 0.5)

        def g(x):
            n2 = 0

            def pick(a):
                return a[n2]
            v = pick(np.where(RS.randn(2, 1), x, 0.0))
            return np.power(1.5 + v[len(v) - 1], 1.5)
        """, tmp_path)
    y = np.array([0.3, -0.7, 1.1])
    eps = 1e-6
    columns = [(f(y + eps * e) - f(y - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(jacrev(f)(y), np.stack(columns, axis=-1), atol=1e-8)
    g = f.__globals__["g"]

    def seeded(x):
        f.__globals__["RS"].seed(0)
        return g(x)

    x = 0.4
    second = (grad(seeded)(x + 1e-4) - grad(seeded)(x - 1e-4)) / 2e-4
    assert grad(grad(seeded))(x) == pytest.approx(second, rel=1e-5)


def test_parameters_of_one_name_are_told_apart(tmp_path: Path) -> None:
    """Two leaves of a pytree named after the same variable (`y`), neither read, gave the
    emitted function two parameters `y`: a SyntaxError."""
    f = _load("""
        RS = np.random.RandomState(0)
        W = np.linspace(-1.0, 1.0, 9).reshape(3, 3)
        MASK = np.array([True, False, True])

        def inner(x, y, z):
            RS.seed(0)
            v0 = sum((w * np.matmul(np.ones((3, 3)), W[:, MASK]) for w in (-1.5,)))
            x, y = (y, x)

            def fn1(a2):
                return (np.sum(a2) * np.pi + W[1:]) * 1.0
            v3 = fn1(v0[:3, 1].dot(v0[:3, 0])) + fn1(v0[len(v0) - 1, -2]) * -1.5
            y = z
            v4 = np.multiply(y * np.ones((3, 2)), v3[len(v3) - 1, 0:].sum())
            if not v4[0, len(v3) - 1] < -0.6:
                v6 = np.arctan(v0 * RS.uniform(0.5, 1.5))
            else:
                hs7 = [x]
                for i8 in range(len(v4)):
                    hs7.append(np.tanh(hs7[-1]) * -0.75 + y * np.sum(v4[i8]))
            return np.logaddexp(np.sum(np.stack([v3 * w for w in (0.25,)]), axis=0), v3 * 0.7 - v3).std()

        def f(p):
            return inner(p['first'], p['rest'][0], p['rest'][1])
        """, tmp_path)
    got = grad(f)({"first": 0.107, "rest": [-0.637, -0.675]})
    assert [got["first"], *got["rest"]] == [0.0, 0.0, 0.0]  # (nothing the result depends on)


def test_a_tape_entry_without_floats_keeps_its_layout_in_a_hessian(tmp_path: Path) -> None:
    """A loop that returns an int on its first iteration records entries without floats;
    their tangents were one None, and reading an item of it crashed the Hessian."""
    f = _load("""
        def f(z):
            n0 = 0
            while True:
                n0 += 1
                if n0 > 1:
                    break
                if n0:
                    return 1
                z = z.T
            return z
        """, tmp_path)
    z = np.eye(3) * 0.5
    np.testing.assert_allclose(hessian(f)(z), np.zeros((3, 3, 3, 3)))


def test_an_adjoint_whose_rows_a_list_holds_is_not_added_to_in_place(tmp_path: Path) -> None:
    """`sum(y for r in y)`: the cotangent of the stacked list is `by` itself (unbroadcast
    returned it), its rows the list's items; `by += ...` in the backward loop changed
    the items still to be popped (a doubled vjp)."""
    f = _load("""
        def f(y):
            y = y + sum((y for r in y))
            return np.sin(y)
        """, tmp_path)
    y = np.array([0.3, -0.7, 1.1])
    u = np.array([1.0, 0.5, -0.3])
    eps = 1e-6
    jacobian = np.stack([(f(y + eps * e) - f(y - eps * e)) / (2 * eps) for e in np.eye(3)], axis=1)
    _, pullback = vjp(f, y)
    np.testing.assert_allclose(pullback(u)[0], u @ jacobian, rtol=1e-6)
    np.testing.assert_allclose(jacrev(f)(y), jacobian, rtol=1e-6, atol=1e-9)


def test_a_name_read_from_outside_in_a_spliced_derivative_is_spelled(tmp_path: Path) -> None:
    """`grad` of a function defined inside, whose body runs `isinstance` as written: the
    derivative spliced in read the builtin through an op written inside an expression,
    which codegen could not spell."""
    f = _load("""
        from ad_compiler import grad

        SCALE = 1.5

        def f(x):
            def fn1(a2):
                return a2 * SCALE if isinstance(0.5, float) else a2
            v3 = grad(fn1)(x * 0.75)
            return v3 * x
        """, tmp_path)
    assert grad(f)(0.3) == pytest.approx(1.5)
    assert grad(f, mode="forward")(0.3) == pytest.approx(1.5)


def test_a_draw_passed_to_a_function_run_as_written_is_drawn_once(tmp_path: Path) -> None:
    """`h(W * RS.uniform(...))` with `h` run as written (it appends to a global list): the
    arguments were lowered for inlining `h`, kept when that failed, and lowered again for
    the call as written, so the emitted code drew twice and the effects differed."""
    f = _load("""
        RS = np.random.RandomState(0)
        LOG = []
        W = np.linspace(-1.0, 1.0, 9).reshape(3, 3)

        def h(b):
            if np.sum(b):
                pass
            else:
                LOG.append(0.5)

        def f(y):
            h(W * RS.uniform(0.5, 1.5))
            return np.sum(y * RS.uniform(0.5, 1.5))
        """, tmp_path)
    rs, log = f.__globals__["RS"], f.__globals__["LOG"]
    y = np.array([0.3, -0.7, 1.1])
    rs.seed(0)
    expected, after = f(y), rs.uniform()
    rs.seed(0)
    value, gradient = value_and_grad(f)(y)
    assert value == expected and rs.uniform() == after  # (as many draws as the program)
    assert len(log) == 2
    rs.seed(0)
    np.testing.assert_allclose(gradient, np.random.RandomState(0).uniform(0.5, 1.5, 2)[1] * np.ones(3))


def test_a_dot_of_an_operand_of_unknown_kind_in_a_batched_pass(tmp_path: Path) -> None:
    """np.dot with an operand whose kind is not known (read out of a dict display) takes
    the rule for ranks known at run time, whose JVP took no batch of directions: jacfwd
    (and forward-mode grad) crashed on `np.dot(a, dy)` with dy's directions first."""
    f = _load("""
        W = np.linspace(-1.0, 1.0, 9).reshape(3, 3)
        MASK = np.array([True, False, True])

        def f(x):
            v1 = {'k0': 0.5, 'k1': W[:, MASK]}['k1']
            return np.arctan2(2.0, v1[:3, 1]).dot(np.squeeze(np.expand_dims(x[1], 0), 0))
        """, tmp_path)
    x = np.arange(9.0).reshape(3, 3) / 7
    expected = numeric_grad(f, (x,), 0)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(grad(f, mode=mode)(x), expected, rtol=1e-6, atol=1e-9)


def test_an_astype_read_in_a_test_runs_no_rule_as_written(tmp_path: Path) -> None:
    """`x[:1].astype('float64')` in a branch's test: the conversion's JVP rule called
    another rule's function with a keyword-only `batch`, which the frontend cannot inline,
    so the emitted code called it as written, by a name it does not have (NameError)."""
    f = _load("""
        RS = np.random.RandomState(0)

        def f(y):
            x = RS.randn(1, 3)
            x = x / (np.round(x, 1) * y)
            if np.sum(x[:1].astype('float64')):
                assert np.sum(0.5), 'not finite'
            return 1.5 * y
        """, tmp_path)
    out, tangent = jvp(f, (0.7,), (1.0,))
    assert out == pytest.approx(1.05) and tangent == pytest.approx(1.5)


def test_a_scalar_where_mask_leaves_a_list_cotangent_a_list(tmp_path: Path) -> None:
    """`np.where(0.25, 0.5, np.sum([...]))`: the mask of a scalar condition applies to
    every cotangent; applied by np.where to the cotangent of a run-time list, it made an
    array of it, which the backward loop then popped (AttributeError)."""
    f = _load("""
        def f(x):
            return np.where(0.25, 0.5, np.sum([np.sum(r) for r in x], axis=0)) + np.where(
                x[0, 0] > 10.0, 0.0, np.sum(np.vstack([np.sin(r) for r in x])))
        """, tmp_path)
    x = np.arange(6.0).reshape(2, 3) / 5
    expected = numeric_grad(f, (x,), 0)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(grad(f, mode=mode)(x), expected, rtol=1e-6, atol=1e-9)


def test_math_dist_forward_of_points_of_unknown_rank_and_of_tuples(tmp_path: Path) -> None:
    """math.dist's forward rule covered vectors of known rank only: a point stacked from a
    filtered comprehension (rank unknown here) was refused, and forward mode of tuples of
    numbers too (their batched tangents are laid out item by item)."""
    f = _load("""
        import math

        def f(y):
            z = np.stack([y * r for r in np.array([1.0, 0.0, 2.0]) if r])[0]
            return math.dist(z, np.ones(3)) + math.dist((y[0], y[1] * y[2]), (1.0, 2.0))
        """, tmp_path)
    y = np.array([0.5, -0.2, 0.9])
    expected = numeric_grad(f, (y,), 0)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(grad(f, mode=mode)(y), expected, rtol=1e-6, atol=1e-9)
    _, tangent = jvp(f, (y,), (np.array([1.0, 0.5, -1.0]),))
    assert tangent == pytest.approx(float(expected @ np.array([1.0, 0.5, -1.0])), rel=1e-6)
