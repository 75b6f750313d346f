"""The control-flow corpus: ordinary Python/NumPy functions with branches and loops, scalar output.

Same style as tests/corpus.py: `@control(label=(spec, ...), ...)` registers one ControlCase per
label; specs are `U(shape, lo, hi)`, `Pos(shape)` (from tests.corpus) or plain values (ints stay
ints and are not differentiated; every float or float array is). Arguments are seeded from the
case id, so they are deterministic; they are chosen away from branch boundaries and away from
changes of a data-dependent iteration count, so that central differences are valid there
(tests/test_control_flow.py checks that with two step sizes).

Keyword options of `control(...)`:
  kind      "loop" if the function has a loop whose trip count or iterates are run-time data
            (the emitted gradient must keep a `for`/`while`), "branch" if it has an `if` or a
            conditional expression on run-time values and no loop (the gradient must keep an
            `if`), None if neither is required (a loop over a tuple: its length is a constant).
  analytic  analytic(args, k) -> d f / d args[k], used instead of central differences
            (iterations converged to a tolerance: their derivative is that of the limit).
  xfail     a reason to expect the case to fail (a construct not supported yet); none now.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from tests.corpus import U, Pos  # noqa: F401  (Pos is part of this module's spec vocabulary)

LOOP_EXITS = ("break_on_threshold", "continue_skip_negative", "return_inside_loop",
              "return_inside_nested_loops", "return_inside_a_loop_in_a_while", "newton_sqrt_while_true_break")
"""Functions leaving a loop early (break / continue / return), lowered to flags."""


@dataclass(frozen=True)
class ControlCase:
    fn: Callable[..., Any]
    label: str
    specs: tuple
    kind: str | None
    analytic: Callable[[tuple, int], Any] | None = None
    xfail: str | None = None

    @property
    def id(self) -> str:
        return f"{self.fn.__name__}-{self.label}"

    def args(self) -> tuple:
        rng = np.random.default_rng(zlib.crc32(("control:" + self.id).encode()))
        return tuple(s.draw(rng) if hasattr(s, "draw") else s for s in self.specs)

    def float_argnums(self) -> tuple[int, ...]:
        """The differentiable arguments: Python floats and float ndarrays."""
        return tuple(
            i
            for i, a in enumerate(self.args())
            if isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f")
        )


CASES: list[ControlCase] = []


def control(kind: str | None = "loop", analytic: Callable | None = None, xfail: str | None = None, **sets: tuple):
    """Register fn once per argument set; the function itself is returned unchanged."""
    assert kind in ("loop", "branch", None)

    def register(fn: Callable) -> Callable:
        for label, specs in sets.items():
            CASES.append(ControlCase(fn, label, specs, kind, analytic, xfail))
        return fn

    return register


# --- helpers the corpus calls (user functions, inlined by the compiler) --------------------


def cell(h, x, W, Wx):
    return np.tanh(W @ h + Wx @ x)


def rotate_and_scale(r, theta, w):
    """One step of a user function returning a tuple."""
    return r * (1.0 + 0.1 * np.cos(w + theta)), theta + 0.5 * w


def smooth_abs(x):
    return np.sqrt(x * x + 0.01)


# --- loops over sequences ------------------------------------------------------------------


@control(T5_hidden3_input2=(U((3, 3)), U((3, 2)), U((5, 2)), U(3)))
def rnn_loss(W, Wx, x, h0):
    h = h0
    loss = 0.0
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + Wx @ x[t])
        loss = loss + np.sum(h * h) / (t + 1)
    return loss


@control(T5_hidden3_input2=(U((3, 3)), U((3, 2)), U((5, 2)), U(3)))
def rnn_user_cell(W, Wx, xs, h0):
    h = h0
    for x in xs:
        h = cell(h, x, W, Wx)
    return np.sum(h)


@control(scalar=(U(5), U()), vector_x=(U(4), U(3)))
def horner_for_each(coeffs, x):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return np.sum(acc)


@control(scalar=(U(6), U()), wide=(U(3), U((), 1.0, 2.0)))
def horner_range_len(coeffs, x):
    acc = coeffs[0]
    for i in range(1, len(coeffs)):
        acc = acc * x + coeffs[i]
    return acc


@control(evens=(U(7), U()), vector_x=(U(6), U(3)))
def even_powers_step_two(c, x):
    s = 0.0
    for i in range(0, len(c), 2):
        s = s + c[i] * x**i
    return np.sum(s)


@control(short=(U(4),), long=(U(9),))
def reverse_range_negative_step(x):
    acc = 0.0
    for i in range(len(x) - 1, -1, -1):
        acc = 0.5 * acc + x[i] * np.cos(acc)
    return acc


@control(odd=(U(7),), even=(U(6),))
def reverse_range_step_minus_two(x):
    s = 0.0
    for i in range(len(x) - 1, 0, -2):
        s = s + x[i] * x[i - 1]
    return s


@control(five=(U(5),), vector=(U(8),))
def enumerate_weighted(x):
    s = 0.0
    for i, xi in enumerate(x):
        s = s + (i + 1) * np.sin(xi) + i * xi * xi
    return s


@control(vectors=(U(5), U(5)), rows=(U((3, 2)), U((3, 2))))
def zip_pairs(x, y):
    s = 0.0
    for a, b in zip(x, y):
        s = s + np.sum(a * b * np.cos(a - b))
    return s


@control(short=(Pos(4), Pos()), long=(Pos(7), U((), 0.1, 0.9)))
def ema(x, alpha):
    m = x[0]
    for i in range(1, len(x)):
        m = alpha * x[i] + (1.0 - alpha) * m
    return m * m


@control(positive=(Pos(5),), mixed=(U(6),))
def cumulative_product(x):
    p = 1.0
    s = 0.0
    for xi in x:
        p = p * xi
        s = s + p
    return s


@control(
    scalar=(U(), Pos(), 0.1, 12),
    vector=(U(3), Pos(), 0.05, 8),
    zero_steps=(U(), Pos(), 0.1, 0),
)
def euler_ode(y0, k, dt, n):
    y = y0
    t = 0.0
    for _ in range(n):
        y = y + dt * (-k * y + np.sin(t))
        t = t + dt
    return np.sum(y * y) + k * t


@control(six=(U(2), U(), 6), one=(U(2), U(), 1))
def fibonacci_floats(ab, scale, n):
    a, b = ab[0], ab[1]
    for _ in range(n):
        a, b = b, a + scale * b
    return a * b + b


@control(three=(U((3, 3)), 3), zero=(U((2, 2)), 0))
def matrix_power_loop(A, n):
    P = np.eye(A.shape[0])
    for _ in range(n):
        P = P @ A
    return np.sum(P) + np.sum(A * A)


@control(small=(U((6, 3)), U(3), U(6)), few_steps=(U((4, 2)), U(2), U(4)))
def unrolled_gradient_descent(X, w0, y, lr=0.1, steps=5):
    w = w0
    for _ in range(steps):
        r = X @ w - y
        w = w - lr * (X.T @ r)
    return np.sum((X @ w - y) ** 2)


@control(rows=(U((4, 3)), U(3)), single_row=(U((1, 2)), U(2)))
def loop_over_matrix_rows(M, v):
    s = 0.0
    for row in M:
        s = s + np.tanh(row @ v)
    return s * s


@control(kind=None, three=(U(), U(), U()), tuple_of_vectors=(U(2), U(2), U(2)))
def loop_over_tuple(a, b, c):
    s = 0.0
    for v in (a, b, c):
        s = s * 0.5 + np.sin(v)
    return np.sum(s)


@control(one_loop=(U(5),))
def loop_variable_after_loop(x):
    s = 0.0
    i = 0
    for i in range(len(x)):
        s = s + x[i] ** 2
    return s + x[i] * s


@control(steps=(U(4), U()))
def loop_calls_user_function_tuple(ws, r0):
    r = r0 + 2.0
    theta = 0.0
    for w in ws:
        r, theta = rotate_and_scale(r, theta, w)
    return r * np.sin(theta)


# --- element writes and slices in loops ----------------------------------------------------


@control(five=(U(5),), eight=(U(8),))
def build_with_element_writes(x):
    n = len(x)
    y = np.zeros(n)
    for i in range(n):
        y[i] = x[i] * x[n - 1 - i] + np.sin(x[i])
    return np.sum(y * y)


@control(scalar_v=(U(6), U()), vector_v=(U(5), U(3)))
def slice_accumulate_in_loop(x, v):
    y = x * 1.0
    for i in range(len(x) - 2):
        y[i:i + 3] += v * x[i]
    return np.sum(np.sin(y))


@control(k3=(U(7), U(3)), k2=(U(5), U(2)))
def conv1d_loop(x, w):
    k = len(w)
    n = len(x) - k + 1
    y = np.zeros(n)
    for i in range(n):
        y[i] = np.sum(x[i:i + k] * w)
    return np.sum(np.tanh(y))


@control(square=(U((3, 3)), U((3, 3))), rectangular=(U((2, 4)), U((4, 3))))
def triple_loop_matmul(A, B):
    n, p = A.shape
    m = B.shape[1]
    C = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            for k in range(p):
                C[i, j] += A[i, k] * B[k, j]
    return np.sum(C * C)


@control(five=(U(5), 5), three=(U(4), 3))
def while_counter(x, n):
    i = 0
    s = 0.0
    while i < n:
        s = s + x[i] ** 2 * (i + 1)
        i += 1
    return s


# --- loops with branches --------------------------------------------------------------------


@control(six=(U(6),), ten=(U(10),))
def accumulate_with_branch(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            s = s + x[i] ** 2
        else:
            s = s - 0.5 * x[i]
    return s


@control(small=(U((3, 4)), U(4)), square=(U((3, 3)), U(3)))
def nested_loops_with_branch(A, v):
    n, m = A.shape
    s = 0.0
    for i in range(n):
        for j in range(m):
            if A[i, j] * v[j] > 0.0:
                s = s + A[i, j] * v[j]
            elif A[i, j] > 0.0:
                s = s + np.sin(A[i, j]) * v[j]
            else:
                s = s - 0.1 * A[i, j] * A[i, j]
    return s


@control(six=(U(6, -2.0, 2.0), U((), 0.3, 0.7)), eight=(U(8, -2.0, 2.0), U((), 0.3, 0.7)))
def huber_loss_loop(r, delta):
    s = 0.0
    for ri in r:
        if abs(ri) < delta:
            s = s + 0.5 * ri * ri
        else:
            s = s + delta * (abs(ri) - 0.5 * delta)
    return s


@control(five=(U(5),), nine=(U(9),))
def running_max(x):
    m = x[0]
    for i in range(1, len(x)):
        if x[i] > m:
            m = x[i]
    return m * m + 0.1 * np.sum(x)


@control(five=(U(5),), rows=(U(7),))
def logsumexp_with_loop_max(x):
    m = x[0]
    for xi in x:
        if xi > m:
            m = xi
    s = 0.0
    for xi in x:
        s = s + np.exp(xi - m)
    return m + np.log(s)


@control(positive=(U((), 0.2, 1.0), 6), negative=(U((), -1.0, -0.2), 4))
def loop_inside_branch(x, n):
    y = x
    if x > 0:
        for _ in range(n):
            y = np.sin(y) + x
    else:
        for _ in range(n):
            y = y * y - x
    return y


@control(in_range=(U(6, -0.95, 0.95),))
def chained_comparison_in_loop(x):
    s = 0.0
    for xi in x:
        if -0.3 < xi < 0.3:
            s = s + xi * xi
        elif 0.3 <= xi:
            s = s + np.exp(xi)
        else:
            s = s + np.cos(xi)
    return s


# --- while loops with data-dependent exits ---------------------------------------------------


@control(
    small=(Pos(),),
    large=(U((), 3.0, 9.0),),
    analytic=lambda args, k: 0.5 / np.sqrt(args[0]),
)
def newton_sqrt(a):
    y = a
    while abs(y * y - a) > 1e-12:
        y = 0.5 * (y + a / y)
    return y


def _cubic_root(a):
    """The real root of y**3 + y = a (numpy, independent of the corpus function)."""
    roots = np.roots([1.0, 0.0, 1.0, -a])
    return float(np.real(roots[np.argmin(np.abs(np.imag(roots)))]))


@control(
    positive=(U((), 0.5, 3.0),),
    negative=(U((), -3.0, -0.5),),
    analytic=lambda args, k: 1.0 / (3.0 * _cubic_root(args[0]) ** 2 + 1.0),
)
def newton_cubic_root(a):
    y = 0.0
    while abs(y**3 + y - a) > 1e-12:
        y = y - (y**3 + y - a) / (3.0 * y * y + 1.0)
    return y


@control(small=(Pos(),), mid=(U((), 2.0, 4.0),))
def grow_until_threshold(x):
    s = x
    while s < 10.0:
        s = s * 1.5 + 0.3 * x
    return s * x


# --- branches without loops -------------------------------------------------------------------


@control(
    kind="branch",
    left=(U((), -1.5, -0.6),),
    middle=(U((), -0.4, 0.4),),
    right=(U((), 0.6, 1.5),),
)
def piecewise(x):
    if x < -0.5:
        y = -x * x + 0.5
    elif x < 0.5:
        y = np.sin(x) * 2.0
    else:
        y = x**3 + np.log(x)
    return y * 1.5


@control(
    kind="branch",
    positive=(U((), 0.2, 1.0), U((), -0.8, 0.1)),
    negative=(U((), -1.0, -0.2), U((), -0.1, 0.8)),
)
def conditional_expression(x, y):
    a = x * y if x > 0 else x - y
    b = np.sin(y) if y < x else np.cos(y)
    return a * a + b


@control(
    kind="branch",
    taken=(U((), 0.5, 1.0), U((), -1.0, 0.3)),
    not_taken=(U((), -1.0, 0.2), U((), 0.4, 1.0)),
)
def early_return(x, y):
    if x > y:
        return x * x - y
    z = np.exp(x - y)
    return z * y + x


@control(kind="branch", big=(U(4, 0.5, 1.0), 1.0), small=(U(4, -0.5, 0.5), 1.5))
def early_return_vector(x, t):
    s = np.sum(x)
    if s > t:
        return np.sum(x**2) * t
    return np.sum(np.sin(x))


@control(
    kind="branch",
    unit_interval=(U((), 0.1, 0.9),),
    below=(U((), -0.9, -0.1),),
    above=(U((), 1.1, 2.0),),
)
def chained_comparison(x):
    if 0 < x < 1:
        return x * (1.0 - x)
    elif -1 < x <= 0:
        return np.sin(x)
    return np.log(x) + x


@control(
    kind="branch",
    both_positive=(U((), 0.1, 1.0), U((), 0.1, 1.0)),
    x_negative=(U((), -1.0, -0.1), U((), -0.4, 0.4)),
    y_large=(U((), 0.0, 0.4), U((), -1.0, -0.6)),
)
def boolean_operators(x, y):
    if x > 0 and y > 0:
        z = x * y
    elif x < 0 or y < -0.5:
        z = x + 2.0 * y
    else:
        z = x - y * y
    if not (x > y):
        z = z * np.exp(x)
    return z + x * y


@control(kind="branch", long=(U(4, 1.0, 2.0), U(4)), short=(U(4, -0.4, 0.4), U(4)))
def clip_norm(x, w):
    n = np.sqrt(np.sum(x * x))
    if n > 1.0:
        x = x / n
    return np.sum(x * w)


@control(kind="branch", positive=(U((), 0.2, 1.0),), negative=(U((), -1.0, -0.2),))
def branch_calls_user_function(x):
    if x >= 0:
        y = smooth_abs(x) * np.exp(x)
    else:
        y = smooth_abs(-x) * 2.0
    return y


# --- break / continue / return inside loops: not supported yet ------------------------------


@control(early=(U(6, 0.3, 1.0),), late=(U(6, -0.2, 0.2),))
def break_on_threshold(x):
    s = 0.0
    for xi in x:
        s = s + xi * xi
        if s > 1.0:
            break
    return s + np.sum(x) * 0.1


@control(mixed=(U(7),))
def continue_skip_negative(x):
    s = 0.0
    for xi in x:
        if xi < 0:
            continue
        s = s + np.sin(xi) * xi
    return s


@control(returns=(U(6, -0.8, 0.6),))
def return_inside_loop(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0.4:
            return s * x[i]
        s = s + x[i] ** 2
    return s


@control(found=(U((3, 4), -0.8, 0.6), 0.45), none=(U((3, 4), -0.8, 0.3), 0.45))
def return_inside_nested_loops(x, limit):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if x[i, j] > limit:
                return s * x[i, j] * limit
            s = s + x[i, j] ** 2 * limit
        s = s * 0.5
    return s


@control(found=(U(5, 0.2, 0.9),), none=(U(5, -0.5, 0.1),))
def return_inside_a_loop_in_a_while(x):
    s, k = 1.0, 0
    while k < 3:
        for i in range(len(x)):
            s = s * (1.0 + x[i])
            if s > 4.0:
                while True:
                    return s * x[i]
        k = k + 1
    return s


@control(
    small=(Pos(),),
    analytic=lambda args, k: 0.5 / np.sqrt(args[0]),
)
def newton_sqrt_while_true_break(a):
    y = a
    while True:
        y = 0.5 * (y + a / y)
        if abs(y * y - a) < 1e-12:
            break
    return y


FUNCTIONS = sorted({case.fn.__name__ for case in CASES})
