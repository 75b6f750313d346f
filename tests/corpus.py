"""The gradient corpus: ordinary Python/NumPy functions with scalar output, each with argument sets.

`@corpus(label=(spec, ...), ...)` registers one Case per label. A spec draws an argument from a
seeded generator: `U(shape)` uniform in [-1, 1], `Pos(shape)` in [0.5, 2] (for logs, roots,
divisions), `Onehot(n)`, `Labels(n)`; shape () gives a Python float. Anything else (an int, a
float constant) is passed as it is. Every float or float-array argument is differentiable;
ints are not. Arguments are deterministic: the seed comes from the case id.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

# --- argument specs -------------------------------------------------------------------


@dataclass(frozen=True)
class U:
    """Uniform in [lo, hi]; shape () gives a Python float."""

    shape: tuple | int = ()
    lo: float = -1.0
    hi: float = 1.0

    def draw(self, rng: np.random.Generator) -> Any:
        value = rng.uniform(self.lo, self.hi, size=self.shape)
        return float(value) if np.ndim(value) == 0 else value


def Pos(shape: tuple | int = ()) -> U:
    """Positive, away from zero: uniform in [0.5, 2]."""
    return U(shape, 0.5, 2.0)


@dataclass(frozen=True)
class Onehot:
    """A one-hot float vector of length n."""

    n: int

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return np.eye(self.n)[rng.integers(self.n)]


@dataclass(frozen=True)
class Labels:
    """n labels in {0., 1.} as a float vector."""

    n: int

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(0, 2, size=self.n).astype(np.float64)


@dataclass(frozen=True)
class Case:
    fn: Callable[..., Any]
    label: str
    specs: tuple

    @property
    def id(self) -> str:
        return f"{self.fn.__name__}-{self.label}"

    def args(self) -> tuple:
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        return tuple(s.draw(rng) if hasattr(s, "draw") else s for s in self.specs)

    def float_argnums(self) -> tuple[int, ...]:
        """The differentiable arguments: Python floats and float ndarrays."""
        return tuple(
            i
            for i, a in enumerate(self.args())
            if isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f")
        )


CASES: list[Case] = []


def corpus(**argument_sets: tuple) -> Callable:
    """Register fn once per argument set; the function itself is returned unchanged."""

    def register(fn: Callable) -> Callable:
        for label, specs in argument_sets.items():
            CASES.append(Case(fn, label, specs))
        return fn

    return register


# --- scalar math ----------------------------------------------------------------------

ALPHA = 0.75
OFFSETS = np.array([0.1, -0.2, 0.3, 0.05])


@corpus(scalar=(U(),), vector=(U(5),), matrix=(U((2, 3)),))
def polynomial(x):
    return np.sum(3.0 * x**3 - 2.0 * x**2 + x - 5.0)


@corpus(scalars=(U(), U()), vectors=(U(4), U(4)), scalar_vector=(U(), U(4)))
def polynomial2(x, y):
    return np.sum(x * x * y + 3.0 * x * y * y - y)


@corpus(scalars=(U(), U()), vectors=(U(3), U(3)))
def rational(x, y):
    return np.sum((x * x + 1.0) / (y * y + 2.0) - x / (1.0 + y * y))


@corpus(scalar=(U(),), vector=(U(4),))
def nested_sin_exp_log(x):
    return np.sum(np.sin(np.exp(np.log(x + 2.0) * x)) * np.cos(x))


@corpus(small=(Pos(),), large=(U((), 2.0, 4.0),))
def math_nested(x):
    return math.sin(math.exp(x / 2.0)) * math.log(x) + math.cos(x) ** 2


@corpus(small=(Pos(), U()), large=(U((), 3.0, 9.0), U((), 1.0, 2.0)))
def math_functions(x, y):
    return math.sqrt(x) * math.tanh(y) + math.atan(x * y) - math.exp(-x) / math.cosh(y) + math.log1p(x)


@corpus(scalar=(Pos(),), vector=(Pos(3),))
def pow_float(x):
    return np.sum(x**2.5 + x**-0.5 - 2.0 * x**1.5)


@corpus(scalar=(U(),), matrix=(U((3, 2)),))
def pow_int(x):
    return np.sum(x**3 - 2 * x**2 + 4 * x**4)


@corpus(cube=(U(), 3), fifth=(U(3), 5), square=(U(), 2))
def pow_int_argument(x, n):
    return np.sum(x**n + x ** (n - 1))


@corpus(scalar=(Pos(),), vector=(Pos(4),))
def x_to_the_x(x):
    return np.sum(x**x)


@corpus(scalars=(Pos(), U()), vectors=(Pos(3), U(3)))
def pow_variable(x, y):
    return np.sum(x**y + y ** 2.0)


@corpus(scalars=(Pos(), Pos(), Pos()), mixed=(Pos(3), Pos(), Pos(3)))
def division_chain(x, y, z):
    return np.sum(x / y / z + 1.0 / (x * y) - z / (x / y))


@corpus(scalar=(U(),), vector=(U(6),))
def continued_fraction(x):
    return np.sum(1.0 / (1.0 + 1.0 / (1.0 + 1.0 / (1.0 + x * x))))


@corpus(scalars=(U(), U()), vectors=(U(3), U(3)))
def tuple_unpacking(x, y):
    a, b = x * y, x + y
    c, d = a - b, a * b
    return np.sum(c * d + np.sin(a))


@corpus(scalars=(U(), U()), vectors=(U(2), U(2)))
def swap(x, y):
    x, y = y, x * 2.0
    a, b = x * y, x - y
    a, b = b, a
    return np.sum(a * a * b + x)


@corpus(scalars=(Pos(), Pos()), scalar_vector=(Pos(), Pos(3)), vector_scalar=(Pos(3), Pos()))
def augmented_assignment(x, y):
    z = x * y
    z += x
    z *= y
    z -= 1.0
    z /= x
    z **= 2
    return np.sum(z)


@corpus(scalars=(U(), U()), vectors=(U(3), U(3)))
def reassign_parameter(x, y):
    x = x * 2.0
    x = np.sin(x) + x * y
    y = x * y
    return np.sum(x + y)


@corpus(scalar=(U(),), vector=(U(3),))
def repeated_use(x):
    return np.sum(x * x * x * x + x * x)


@corpus(scalars=(U(), U()), vectors=(U(4), U(4)))
def unary_minus(x, y):
    return np.sum(-x * -(y - x) + -(x * x) - -y)


@corpus(scalar=(U(),), vector=(U(3),))
def default_arguments(x, scale=2.0, shift=0.5):
    return np.sum(scale * np.sin(x) + shift * x * x)


@corpus(scalars=(U(), Pos()), vectors=(U(4), Pos()))
def default_int_power(x, scale, power=3):
    return np.sum(scale * x**power)


@corpus(scalar=(U(),), vector=(U(4),))
def module_constants(x):
    return np.sum(ALPHA * x * x + np.sin(OFFSETS * x) + np.pi * x)


def make_scaled_sin(k, c):
    def scaled_sin(x):
        return np.sum(k * np.sin(c * x) + c)

    return scaled_sin


closure = corpus(scalar=(U(),), vector=(U(3),))(make_scaled_sin(1.5, 0.7))


@corpus(scalars=(U(), U()), vectors=(U(3), U(3)))
def unused_argument(x, y):
    return np.sum(x * np.exp(x))


@corpus(scalars=(U(), 3), vector=(U(4), 2))
def int_argument(x, k):
    return np.sum(k * x**2 + x / k + (k + 1) * x)


@corpus(scalars=(U(), U()), vectors=(U(3), U(3)))
def mean_of_two(x, y):
    return np.sum((x + y) / 2 * (x - y) / 2)


# --- numpy elementwise functions -------------------------------------------------------


@corpus(scalar=(U(),), vector=(U(4),))
def hyperbolic(x):
    return np.sum(np.sinh(x) * np.cosh(x) - np.tanh(x))


@corpus(scalar=(U(),), vector=(U(4),))
def inverse_trig(x):
    return np.sum(np.arcsin(x / 2.0) + np.arccos(x / 3.0) * np.arctan(x))


@corpus(scalar=(U(),), vector=(U(5),))
def log1p_expm1(x):
    return np.sum(np.log1p(x * x) + np.expm1(x) * np.exp(-x))


@corpus(scalar=(U(),), matrix=(U((2, 2)),))
def sqrt_square_reciprocal(x):
    return np.sum(np.sqrt(np.square(x) + 1.0) + np.reciprocal(x + 3.0))


@corpus(scalar=(U(),), vector=(U(3),))
def tan_and_log(x):
    return np.sum(np.tan(x) * np.cos(x) + np.log(np.exp(x) + 1.0))


@corpus(scalar=(U(),), vector=(U(6),))
def sigmoid(x):
    return np.sum(1.0 / (1.0 + np.exp(-x)))


@corpus(scalar=(U(),), vector=(U(6),))
def softplus(x):
    return np.sum(np.log1p(np.exp(x)))


@corpus(scalars=(U(), U(), Pos()), vector_data=(U(5), U(), Pos()))
def gaussian_density(x, mu, sigma):
    z = (x - mu) / sigma
    return np.sum(np.exp(-0.5 * z**2) / (sigma * np.sqrt(2.0 * np.pi)))


# --- arrays: broadcasting and reductions -------------------------------------------------


@corpus(scalar_vector=(U(), U(5)), vectors=(U(5), U(5)))
def scale_vector(a, x):
    return np.sum(a * x**2 + a)


@corpus(row=(U(3), U((4, 3))), row_2d=(U((1, 3)), U((2, 3))), leading_axes=(U(3), U((2, 4, 3))))
def row_broadcast(v, M):
    return np.sum(np.sin(M + v) * M)


@corpus(outer=(U((3, 1)), U((1, 4))), column_and_vector=(U((2, 1)), U(3)))
def outer_broadcast(u, w):
    return np.sum(np.exp(u * w) - u)


@corpus(wide=(Pos((3, 4)),), tall=(Pos((5, 2)),))
def normalize_rows_keepdims(M):
    P = M / np.sum(M, axis=1, keepdims=True)
    return np.sum(P * P)


@corpus(wide=(U((3, 4)),), tall=(U((5, 2)),))
def center_columns_keepdims(M):
    C = M - np.mean(M, axis=0, keepdims=True)
    return np.sum(C * C * M)


@corpus(wide=(U((3, 4)),), tall=(U((5, 2)),))
def mean_axis(M):
    return np.sum(np.mean(M, axis=0) ** 2) + np.mean(M) + np.sum(np.mean(M, axis=1) * 3.0)


@corpus(square=(U((3, 3)),))
def positional_arguments(M):
    """Axes, shapes and permutations passed by position: constant operands, no cotangent."""
    rows = np.sum(M * M, 1) * np.arange(3.0)
    return np.sum(rows) + np.sum(np.reshape(M, (9,))[2:] ** 2) + np.sum(np.transpose(M, (1, 0))[0] * M[0])


@corpus(wide=(U((3, 4)), U(3)), tall=(U((5, 2)), U(5)))
def weighted_row_sums(M, w):
    """The cotangent of a row sum is an array: expanding it on axis 1 must stay."""
    return np.sum(np.sum(M * M, axis=1) * w)


@corpus(wide=(U((2, 3)),), tall=(U((4, 2)),))
def mean_last_axis(M):
    return np.sum(np.exp(np.mean(M, axis=-1)))


@corpus(vector=(U(5),), scalar=(U(),))
def logsumexp(x):
    return np.log(np.sum(np.exp(x)))


@corpus(rows=(U((3, 4)),), single_row=(U((1, 5)),))
def row_logsumexp(Z):
    return np.sum(np.log(np.sum(np.exp(Z), axis=1)))


@corpus(four=(U(4), Onehot(4)), seven=(U(7), Onehot(7)))
def softmax_cross_entropy(z, y):
    return -np.sum(y * (z - np.log(np.sum(np.exp(z)))))


@corpus(short=(U(3), U(3)), long=(U(8), U(8)))
def dot_products(x, y):
    return np.dot(x, y) * np.dot(x, x) + np.dot(y, y)


@corpus(small=(U(3), U(3)), long=(Pos(6), U(6)))
def cosine_similarity(x, y):
    return np.dot(x, y) / np.sqrt(np.dot(x, x) * np.dot(y, y))


@corpus(square=(U((3, 3)), U(3)), wide=(U((2, 4)), U(4)))
def matvec_tanh(A, x):
    return np.sum(np.tanh(A @ x))


@corpus(matvec=(U((3, 3)), U(3)), tall=(U((4, 2)), U(2)), matmat=(U((3, 4)), U((4, 2))))
def np_dot_squared(A, x):
    return np.sum(np.dot(A, x) ** 2)


@corpus(square=(U((3, 3)), U((3, 3))), rectangular=(U((2, 4)), U((4, 3))))
def matmat_sum(A, B):
    return np.sum(A @ B) + np.sum((A @ B) ** 2)


@corpus(square=(U((3, 3)), U((3, 3))), rectangular=(U((4, 2)), U((4, 3))))
def transpose_product(A, B):
    return np.sum((A.T @ B) ** 2)


@corpus(square=(U((3, 3)),), larger=(U((4, 4)),))
def transpose_elementwise(A):
    return np.sum(A * A.T + A.T)


@corpus(three=(U(3), U((3, 3))), five=(U(5), U((5, 5))))
def quadratic_form(x, A):
    return x @ A @ x


@corpus(overdetermined=(U((5, 3)), U(3), U(5)), square=(U((3, 3)), U(3), U(3)))
def least_squares(A, x, b):
    r = A @ x - b
    return np.dot(r, r)


@corpus(small=(U((6, 3)), U(3), U(6)), tall=(U((10, 2)), U(2), U(10)))
def ridge(X, w, y, lam=0.1):
    n, d = X.shape
    r = X @ w - y
    return np.sum(r**2) / n + lam * np.dot(w, w) / d


@corpus(small=(U(3), U((8, 3)), Labels(8)), larger=(U(5), U((20, 5)), Labels(20)))
def logistic_regression(beta, X, y):
    p = 1.0 / (1.0 + np.exp(-X @ beta))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


@corpus(small=(U((4, 3)), U(4), U(3)), wide=(U((2, 5)), U(2), U(5)))
def mlp_layer(W, b, x):
    h = np.tanh(W @ x + b)
    return np.sum(h * h)


@corpus(batch=(U((6, 3)), U((3, 4)), U(4), U(4), U()), single=(U((1, 2)), U((2, 3)), U(3), U(3), U()))
def two_layer_mlp(X, W1, b1, w2, b2):
    H = np.tanh(X @ W1 + b1)
    out = H @ w2 + b2
    return np.mean(out**2)


@corpus(wide=(U((3, 4)),), tall=(U((6, 2)),))
def shape_normalisation(X):
    n, d = X.shape
    mu = np.sum(X, axis=0) / n
    return np.sum((X - mu) ** 2) / (n * d)


@corpus(five=(U(5),), nine=(U(9),))
def standardized_skew(x):
    (n,) = x.shape
    mean = np.sum(x) / n
    var = np.sum((x - mean) ** 2) / n
    return np.sum(((x - mean) / np.sqrt(var + 1e-3)) ** 3) / n


@corpus(scalar=(Pos(), U(3)), vector=(Pos(3), U(3)))
def keyword_arguments(s, x):
    return np.sum(np.exp(x / s), axis=None) + np.mean(x * s, axis=0, keepdims=False)


FUNCTIONS = sorted({case.fn.__name__ for case in CASES})
