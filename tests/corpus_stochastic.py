"""The stochastic corpus: objectives written the way stochastic and ML code is written, with
code that does not depend on the differentiated arguments and must run as the user wrote
it: random draws from a `np.random.RandomState` or `np.random.Generator` held in a global
or a closure, `print` (f-strings with format specs of active values too), `assert`,
`raise ValueError(...)`, `isinstance`, `slice(...)` objects, SciPy and plain Python
helpers applied to data, lists appended to, stopping tests on data.

The contract these objectives test (tests/test_stochastic_corpus.py): every such call runs
exactly once per call of a derivative, in program order, so the derivative sees the same
random numbers as the value; globals and closure variables are read when the derivative
is called.

Each `Objective` says:
  fn        the objective, differentiated argument first, scalar result
  make_args rng -> the arguments (rng seeded from the objective's name)
  argnums   the arguments differentiated
  reseed    resets every random source fn uses (so two calls draw the same numbers)
  rngs      () -> the random sources fn uses now (their states are compared)
  effects   what a call visibly does, each checked to happen in a plain call:
            "print" (writes to stdout), "log" (appends to LOG), "draws" (advances a random
            source), or a key of COUNTS (a counting random source's method, a helper's tick)
  needs     modules the objective needs that the project does not depend on ("scipy")
  rebind    () -> restore: rebinds a global or closure variable fn reads to another
            value (the derivative must see it), returning what undoes it
  bad_args  rng -> arguments that fn refuses with ValueError or AssertionError
  what      one line: what it exercises

Everything is float64, values are O(1), and each call runs in well under a millisecond.
"""

from __future__ import annotations

import collections
import math
import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

try:  # SciPy is not a dependency of the project: its objectives are skipped without it
    from scipy.special import expit, gammaln, multigammaln
except ImportError:  # pragma: no cover - depends on the environment
    expit = gammaln = multigammaln = None

# --- effects the objectives have, and how tests observe them --------------------------------

COUNTS: collections.Counter = collections.Counter()
"""Calls counted: `label.method` of a CountingRandomState, or a helper's own key."""

LOG: list = []
"""Values the objectives append (training-loop style logging)."""


def reset_effects() -> None:
    COUNTS.clear()
    LOG.clear()


def _tick(key):
    """A plain helper with a side effect: counts one call of `key`."""
    COUNTS[key] += 1


class CountingRandomState(np.random.RandomState):
    """A RandomState that counts each draw in COUNTS under `label.method`."""

    def __init__(self, label: str, seed: int) -> None:
        super().__init__(seed)
        self.label = label
        self.initial_seed = seed

    def reset(self) -> None:
        self.seed(self.initial_seed)

    def _count(self, method: str) -> None:
        COUNTS[f"{self.label}.{method}"] += 1

    def randn(self, *shape):
        self._count("randn")
        return super().randn(*shape)

    def rand(self, *shape):
        self._count("rand")
        return super().rand(*shape)

    def normal(self, loc=0.0, scale=1.0, size=None):
        self._count("normal")
        return super().normal(loc, scale, size)

    def uniform(self, low=0.0, high=1.0, size=None):
        self._count("uniform")
        return super().uniform(low, high, size)

    def binomial(self, n, p, size=None):
        self._count("binomial")
        return super().binomial(n, p, size)

    def choice(self, a, size=None, replace=True, p=None):
        self._count("choice")
        return super().choice(a, size, replace, p)


def fingerprint(source: Any) -> Any:
    """The state of a RandomState or Generator, as a comparable value."""
    if isinstance(source, np.random.Generator):
        return repr(source.bit_generator.state)
    state = source.get_state(legacy=False)
    return (state["state"]["key"].tobytes(), state["state"]["pos"], state["has_gauss"], state["gauss"])


# --- the registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    name: str
    fn: Callable[..., Any]
    make_args: Callable[[np.random.Generator], tuple]
    argnums: tuple[int, ...]
    reseed: Callable[[], None]
    rngs: Callable[[], list]
    effects: tuple[str, ...]
    needs: tuple[str, ...]
    rebind: Callable[[], Callable[[], None]] | None
    bad_args: Callable[[np.random.Generator], tuple] | None
    stochastic: bool
    what: str

    def _rng(self, salt: str = "") -> np.random.Generator:
        return np.random.default_rng(zlib.crc32(("stochastic:" + self.name + salt).encode()))

    def args(self) -> tuple:
        """The arguments, the same every time (fresh arrays on each call)."""
        return self.make_args(self._rng())

    def invalid_args(self) -> tuple:
        assert self.bad_args is not None
        return self.bad_args(self._rng())

    @property
    def hessian_ok(self) -> bool:
        """One array parameter (the first) of at most 6 entries."""
        x = self.args()[0]
        return self.argnums == (0,) and isinstance(x, np.ndarray) and 0 < x.size <= 6


OBJECTIVES: list[Objective] = []


def _no_reseed() -> None:
    pass


def objective(
    name: str,
    fn: Callable[..., Any],
    args: Callable[[np.random.Generator], tuple],
    *,
    what: str,
    argnums: tuple[int, ...] = (0,),
    reseed: Callable[[], None] = _no_reseed,
    rngs: Callable[[], list] = list,
    effects: tuple[str, ...] = (),
    needs: tuple[str, ...] = (),
    rebind: Callable[[], Callable[[], None]] | None = None,
    bad_args: Callable[[np.random.Generator], tuple] | None = None,
) -> None:
    assert name not in {o.name for o in OBJECTIVES}, name
    OBJECTIVES.append(Objective(
        name, fn, args, tuple(argnums), reseed, rngs, tuple(effects), tuple(needs), rebind, bad_args,
        stochastic=reseed is not _no_reseed, what=what,
    ))


def _normal(rng, *shape, scale=1.0):
    return scale * rng.standard_normal(shape)


# --- 1. black-box VI for Bayesian linear regression, module-level RandomState --------------

ELBO_RS = CountingRandomState("elbo_rs", 0)
PRIOR_SCALE = np.array([1.0, 2.0, 0.5])
NOISE_SD = 0.5


def elbo_bayes_linreg(params, X, y):
    """Negative ELBO (per observation) of a mean-field Gaussian posterior over the weights,
    estimated with reparameterised samples."""
    n, d = X.shape
    mu = params[:d]
    log_sigma = params[d:]
    eps = ELBO_RS.randn(16, d)
    w = mu + np.exp(log_sigma) * eps
    pred = w @ X.T
    loglik = -0.5 * np.sum((y - pred) ** 2, axis=1) / NOISE_SD ** 2 - n * np.log(NOISE_SD * np.sqrt(2 * np.pi))
    logprior = -0.5 * np.sum((w / PRIOR_SCALE) ** 2, axis=1) - np.sum(np.log(PRIOR_SCALE))
    entropy = np.sum(log_sigma) + 0.5 * d * (1.0 + np.log(2 * np.pi))
    return -(np.mean(loglik + logprior) + entropy) / n


def _rebind_prior_scale():
    global PRIOR_SCALE
    old = PRIOR_SCALE
    PRIOR_SCALE = np.array([0.7, 1.5, 3.0])

    def restore():
        global PRIOR_SCALE
        PRIOR_SCALE = old

    return restore


def _linreg_args(rng):
    X = _normal(rng, 10, 3)
    y = X @ np.array([0.5, -1.0, 0.3]) + _normal(rng, 10, scale=NOISE_SD)
    params = np.concatenate([_normal(rng, 3, scale=0.3), np.log(rng.uniform(0.2, 0.5, 3))])
    return params, X, y


objective(
    "elbo_bayes_linreg", elbo_bayes_linreg, _linreg_args,
    what="SVI: eps = RS.randn from a module-level RandomState, mu + exp(log_sigma) * eps, Gaussian ELBO; "
         "a module-level prior array rebound after compiling",
    reseed=ELBO_RS.reset, rngs=lambda: [ELBO_RS], effects=("elbo_rs.randn", "draws"),
    rebind=_rebind_prior_scale,
)


# --- 2. SVI for logistic regression, RandomState held in a closure ---------------------------


def _make_svi_logistic(seed, n_samples):
    rs = CountingRandomState("svi_rs", seed)

    def svi_logistic(mu, log_sigma, X, y):
        eps = rs.randn(n_samples, mu.shape[0])
        w = mu + np.exp(log_sigma) * eps
        z = w @ X.T
        loglik = np.sum(y * z - np.logaddexp(0.0, z), axis=1)
        logprior = -0.5 * np.sum(w ** 2, axis=1)
        return -(np.mean(loglik + logprior) + np.sum(log_sigma)) / X.shape[0]

    return svi_logistic, rs


svi_logistic, SVI_RS = _make_svi_logistic(7, 8)


def _svi_logistic_args(rng):
    X = _normal(rng, 12, 3)
    y = (rng.uniform(size=12) < 1 / (1 + np.exp(-X @ np.array([1.0, -0.5, 0.8])))).astype(np.float64)
    return _normal(rng, 3, scale=0.3), np.log(rng.uniform(0.3, 0.6, 3)), X, y


objective(
    "svi_logistic_closure", svi_logistic, _svi_logistic_args, argnums=(0, 1),
    what="SVI for logistic regression: RandomState in a closure, two differentiated arguments (mu, log_sigma)",
    reseed=SVI_RS.reset, rngs=lambda: [SVI_RS], effects=("svi_rs.randn",),
)


# --- 3. Poisson regression BBVI, module-level Generator (reseeded by rebinding it) ---------

RNG_SEED = 20240611
RNG = np.random.default_rng(RNG_SEED)


def reseed_module_rng() -> None:
    global RNG
    RNG = np.random.default_rng(RNG_SEED)


def _log_factorials(counts):
    """sum(log(c!)): plain Python, a comprehension over the data."""
    _tick("log_factorials")
    return float(sum([math.lgamma(c + 1.0) for c in counts.tolist()]))


def poisson_bbvi(params, X, counts):
    d = X.shape[1]
    mu, log_s = params[:d], params[d:]
    eps = RNG.standard_normal((12, d))
    beta = mu + np.exp(log_s) * eps
    eta = beta @ X.T
    loglik = np.sum(counts * eta - np.exp(eta), axis=1) - _log_factorials(counts)
    logprior = -0.5 * np.sum(beta ** 2, axis=1)
    return -(np.mean(loglik + logprior) + np.sum(log_s)) / X.shape[0]


def _poisson_args(rng):
    X = _normal(rng, 15, 2, scale=0.5)
    counts = rng.poisson(np.exp(X @ np.array([0.6, -0.4]) + 0.5)).astype(np.float64)
    return np.array([0.3, -0.2, np.log(0.3), np.log(0.4)]), X, counts


objective(
    "poisson_bbvi_generator", poisson_bbvi, _poisson_args,
    what="BBVI with a module-level np.random.default_rng Generator (rng.standard_normal), reseeded by "
         "rebinding the global; log-factorials by a helper with a list comprehension",
    reseed=reseed_module_rng, rngs=lambda: [RNG], effects=("draws", "log_factorials"),
)


# --- 4. noise-contrastive estimation, Generator in a closure (state restored) --------------


def _make_nce(seed):
    rng = np.random.default_rng(seed)
    start = rng.bit_generator.state

    def nce_loss(theta, x):
        """theta = (log precision, mean, log normaliser) of an unnormalised Gaussian model,
        against noise N(0, 2^2), two noise samples per observation."""
        noise = rng.normal(0.0, 2.0, size=2 * x.shape[0])
        log_norm_noise = np.log(2.0 * np.sqrt(2.0 * np.pi))
        model_x = -0.5 * np.exp(theta[0]) * (x - theta[1]) ** 2 + theta[2]
        model_n = -0.5 * np.exp(theta[0]) * (noise - theta[1]) ** 2 + theta[2]
        gx = model_x - (-0.5 * (x / 2.0) ** 2 - log_norm_noise) - np.log(2.0)
        gn = model_n - (-0.5 * (noise / 2.0) ** 2 - log_norm_noise) - np.log(2.0)
        return np.mean(np.logaddexp(0.0, -gx)) + 2.0 * np.mean(np.logaddexp(0.0, gn))

    def reseed():
        rng.bit_generator.state = start

    return nce_loss, reseed, rng


nce_loss, _nce_reseed, _NCE_RNG = _make_nce(31)

objective(
    "nce_closure_generator", nce_loss,
    lambda rng: (np.array([0.2, 0.4, -1.1]), 0.8 * rng.standard_normal(10) + 0.5),
    what="noise-contrastive estimation: Generator in a closure (rng.normal with size=), reseeded by "
         "restoring bit_generator.state",
    reseed=_nce_reseed, rngs=lambda: [_NCE_RNG], effects=("draws",),
)


# --- 5. dropout MLP, module-level RandomState ------------------------------------------------

DROPOUT_RS = CountingRandomState("dropout_rs", 11)
DROP_P = 0.3


def dropout_mlp(W1, w2, X, y):
    h = np.tanh(X @ W1)
    mask = DROPOUT_RS.rand(*h.shape) > DROP_P
    h = h * mask / (1.0 - DROP_P)
    pred = h @ w2
    return 0.5 * np.mean((pred - y) ** 2)


objective(
    "dropout_mlp", dropout_mlp,
    lambda rng: (_normal(rng, 3, 4, scale=0.5), _normal(rng, 4, scale=0.5), _normal(rng, 9, 3), _normal(rng, 9)),
    argnums=(0, 1),
    what="dropout: mask = RS.rand(*h.shape) > p; h * mask / (1 - p); two weight arguments",
    reseed=DROPOUT_RS.reset, rngs=lambda: [DROPOUT_RS], effects=("dropout_rs.rand",),
)


# --- 6. MC dropout: draws inside a loop, Generator in a closure -----------------------------


def _make_mc_dropout(seed, keep_prob):
    rng = np.random.default_rng(seed)
    start = rng.bit_generator.state

    def mc_dropout_nll(W, X, y, passes):
        total = 0.0
        for t in range(passes):
            keep = rng.random((X.shape[0], W.shape[1])) < keep_prob
            h = np.tanh(X @ W) * keep / keep_prob
            p = np.mean(h, axis=1)
            total = total + np.mean((p - y) ** 2)
        return total / passes

    def reseed():
        rng.bit_generator.state = start

    return mc_dropout_nll, reseed, rng


mc_dropout_nll, _mc_reseed, _MC_RNG = _make_mc_dropout(5, 0.75)

objective(
    "mc_dropout_loop", mc_dropout_nll,
    lambda rng: (_normal(rng, 3, 2, scale=0.7), _normal(rng, 8, 3), 0.3 * _normal(rng, 8), 4),
    what="MC dropout: a fresh Generator mask (rng.random) on every pass of a loop; the draws must "
         "happen once per pass, in order, never again in a reverse sweep",
    reseed=_mc_reseed, rngs=lambda: [_MC_RNG], effects=("draws",),
)


# --- 7. a VAE loss --------------------------------------------------------------------------

VAE_RS = CountingRandomState("vae_rs", 3)


def vae_negative_elbo(W_enc, W_dec, b_dec, x):
    """Encoder: mean and log-variance of a 2-d latent; reparameterised sample; Bernoulli decoder."""
    h = np.tanh(x @ W_enc)
    z_mu = h[:, :2]
    z_logvar = h[:, 2:]
    eps = VAE_RS.randn(x.shape[0], 2)
    z = z_mu + np.exp(0.5 * z_logvar) * eps
    logits = z @ W_dec + b_dec
    rec = np.sum(x * logits - np.logaddexp(0.0, logits), axis=1)
    kl = 0.5 * np.sum(np.exp(z_logvar) + z_mu ** 2 - 1.0 - z_logvar, axis=1)
    loss = np.mean(kl - rec)
    print(f"vae: rec {np.mean(rec):.3f} kl {np.mean(kl):.3f} loss {loss:.4f}")
    return loss


objective(
    "vae_negative_elbo", vae_negative_elbo,
    lambda rng: (_normal(rng, 5, 4, scale=0.4), _normal(rng, 2, 5, scale=0.4), _normal(rng, 5, scale=0.1),
                 rng.uniform(0.05, 0.95, (6, 5))),
    argnums=(0, 1, 2),
    what="VAE: encoder mean/log-variance, reparameterised sample, decoder, reconstruction + KL; prints "
         "f-strings of active values with format specs; three differentiated arguments",
    reseed=VAE_RS.reset, rngs=lambda: [VAE_RS], effects=("vae_rs.randn", "print"),
)


# --- 8. a training loss that reports progress ------------------------------------------------


def progress_least_squares(w, X, y, it):
    r = X @ w - y
    loss = 0.5 * np.mean(r ** 2) + 1e-3 * np.sum(w ** 2)
    print(f"iter {it:4d} | loss {loss:.6f} | n={X.shape[0]}")
    return loss


objective(
    "progress_least_squares", progress_least_squares,
    lambda rng: (_normal(rng, 3), _normal(rng, 12, 3), _normal(rng, 12), 17),
    what="print(f'iter {it:4d} | loss {loss:.6f} | ...') of an int argument and the active loss",
    effects=("print",),
)


# --- 9. shape assertions ------------------------------------------------------------------------


def checked_logistic(w, X, y):
    assert w.shape == (3,)
    assert X.ndim == 2, "X must be a matrix"
    assert X.shape[1] == w.shape[0], f"X has {X.shape[1]} columns, w has {w.shape[0]} entries"
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def _logistic_args(rng):
    X = _normal(rng, 14, 3)
    return _normal(rng, 3, scale=0.5), X, (rng.uniform(size=14) < 0.5).astype(np.float64)


def _checked_logistic_bad(rng):
    w, X, y = _logistic_args(rng)
    return w, X[:, :2], y


objective(
    "checked_logistic_asserts", checked_logistic, _logistic_args,
    what="assert w.shape == (3,); assert X.ndim == 2, 'X must be a matrix'; an assert with an f-string "
         "message, which fires on bad data (before the shapes clash)",
    bad_args=_checked_logistic_bad,
)


# --- 10. input validation with raise ValueError -------------------------------------------------


def heteroscedastic_nll(beta, X, y, sigma):
    if np.any(sigma <= 0):
        raise ValueError(f"sigma must be positive (min {np.min(sigma):.3g})")
    if X.shape[0] != y.shape[0]:
        raise ValueError("X and y have different numbers of rows")
    r = (y - X @ beta) / sigma
    return 0.5 * np.mean(r ** 2) + np.mean(np.log(sigma))


def _hetero_args(rng):
    X = _normal(rng, 10, 3)
    return _normal(rng, 3, scale=0.5), X, _normal(rng, 10), rng.uniform(0.5, 1.5, 10)


def _hetero_bad(rng):
    beta, X, y, sigma = _hetero_args(rng)
    sigma[3] = -0.25
    return beta, X, y, sigma


objective(
    "heteroscedastic_validation", heteroscedastic_nll, _hetero_args,
    what="if np.any(sigma <= 0): raise ValueError(f'...{np.min(sigma):.3g}') on a data argument",
    bad_args=_hetero_bad,
)


# --- 11. a stopping test on data inside a loop -------------------------------------------------


def jacobi_feature_loss(theta, A, b, tol):
    """Jacobi iterations solve A u = b (data only) until the residual is below tol; an active
    running value is carried through the same loop."""
    d = np.diag(A)
    R = A - np.diag(d)
    u = np.zeros(b.shape[0])
    acc = 0.0
    for k in range(100):
        u = (b - R @ u) / d
        acc = 0.8 * acc + np.tanh(theta @ u)
        r = b - A @ u
        if np.linalg.norm(r) < tol:
            break
    return acc ** 2 + 0.1 * np.sum(theta ** 2)


def _jacobi_args(rng):
    A = 0.3 * rng.standard_normal((4, 4))
    A = A + np.diag(np.array([3.0, 2.5, 4.0, 3.5]))
    return _normal(rng, 4, scale=0.5), A, _normal(rng, 4), 1e-6


objective(
    "jacobi_stopping_test", jacobi_feature_loss, _jacobi_args,
    what="if np.linalg.norm(r) < tol: break, with r from data only, in a loop that also carries an "
         "active value",
)


# --- 12. a Wishart likelihood with a multivariate-gamma normaliser (SciPy) -------------------


def wishart_precision_nll(theta, S, nu):
    """Wishart log-density of the scatter matrices S[k] (2x2) given the scale V, V^{-1} = M M^T
    with M lower triangular: M = [[exp(t0), 0], [t1, exp(t2)]]."""
    D = S.shape[-1]
    M = np.zeros((2, 2))
    M[0, 0] = np.exp(theta[0])
    M[1, 0] = theta[1]
    M[1, 1] = np.exp(theta[2])
    log_det_precision = 2.0 * (theta[0] + theta[2])
    traces = np.sum(M * (S @ M), axis=(1, 2))
    logdet_S = np.linalg.slogdet(S)[1]
    log_norm = 0.5 * nu * D * np.log(2.0) + multigammaln(0.5 * nu, D)
    ll = 0.5 * (nu - D - 1) * logdet_S + 0.5 * nu * log_det_precision - 0.5 * traces - log_norm
    return -np.mean(ll) / nu


def _wishart_args(rng):
    nu = 5.0
    L = np.array([[1.0, 0.0], [0.4, 0.8]])
    G = rng.standard_normal((4, 5, 2)) @ L.T
    S = np.transpose(G, (0, 2, 1)) @ G
    return np.array([-0.9, 0.1, -0.8]), S, nu


objective(
    "wishart_multigammaln", wishart_precision_nll, _wishart_args,
    what="scipy.special.multigammaln(0.5 * nu, D) as a constant, np.linalg.slogdet of data, a "
         "Cholesky factor built by item assignment",
    needs=("scipy",),
)


# --- 13. Student-t likelihood with gammaln constants (SciPy) ---------------------------------


def student_t_nll(params, x, nu):
    loc, log_scale = params[0], params[1]
    z = (x - loc) / np.exp(log_scale)
    const = gammaln(0.5 * (nu + 1.0)) - gammaln(0.5 * nu) - 0.5 * np.log(nu * np.pi)
    ll = const - log_scale - 0.5 * (nu + 1.0) * np.log1p(z ** 2 / nu)
    return -np.mean(ll)


objective(
    "student_t_gammaln", student_t_nll,
    lambda rng: (np.array([0.2, -0.3]), 0.5 + 0.8 * rng.standard_t(4.0, 20), 4.0),
    what="Student-t negative log-likelihood, normaliser from scipy.special.gammaln of data",
    needs=("scipy",),
)


# --- 14. inverse-propensity weights from scipy.special.expit on data -------------------------


def propensity_weighted_mse(beta, X, y, score):
    w = 1.0 / np.clip(expit(score), 0.05, 0.95)
    r = y - X @ beta
    return np.sum(w * r ** 2) / np.sum(w)


objective(
    "propensity_expit", propensity_weighted_mse,
    lambda rng: (_normal(rng, 3, scale=0.5), _normal(rng, 12, 3), _normal(rng, 12), _normal(rng, 12, scale=2.0)),
    what="scipy.special.expit and np.clip of a data score as weights of a least-squares loss",
    needs=("scipy",),
)


# --- 15. polynomial regression through np.vander -----------------------------------------------


def poly_ridge(coef, t, y, lam):
    V = np.vander(t, coef.shape[0])
    r = V @ coef - y
    return 0.5 * np.mean(r ** 2) + lam * np.sum(coef[:-1] ** 2)


objective(
    "vander_poly_ridge", poly_ridge,
    lambda rng: (_normal(rng, 4, scale=0.5), np.sort(rng.uniform(-1, 1, 15)), _normal(rng, 15), 0.05),
    what="np.vander(t, k) of data times the coefficients, ridge penalty (polynomial regression)",
)


# --- 16. slice objects ---------------------------------------------------------------------------


def curvature_smoothing(x, y, lam):
    n = x.shape[0]
    s = slice(1, n - 1)
    curvature = x[2:] - 2.0 * x[s] + x[:-2]
    return 0.5 * np.mean((x - y) ** 2) + lam * np.sum(curvature ** 2) + 1e-2 * np.sum(x[s] ** 2)


objective(
    "slice_curvature", curvature_smoothing,
    lambda rng: (_normal(rng, 6, scale=0.5), _normal(rng, 6, scale=0.5), 0.3),
    what="s = slice(1, n - 1); x[s] in a second-difference smoothness penalty",
)


# --- 17, 18. isinstance dispatch --------------------------------------------------------------


def softplus_penalty(x, scale):
    if isinstance(x, float):
        z = x / scale
        return scale * math.log1p(math.exp(z)) + 0.1 * z * z
    else:
        z = x / scale
        return scale * np.sum(np.logaddexp(0.0, z)) + 0.1 * np.sum(z * z)


objective(
    "isinstance_float", softplus_penalty, lambda rng: (0.7, 1.3),
    what="if isinstance(x, float): math.* path, called with a Python float",
)
objective(
    "isinstance_array", softplus_penalty, lambda rng: (_normal(rng, 5), 1.3),
    what="the same function's else path (np.*), called with an array",
)


# --- 19. a plain-Python helper with try/except on data ---------------------------------------


def _mad_scale(r):
    """Median absolute deviation (plain Python: sorted, a comprehension, try/except),
    falling back to the standard deviation when it is zero."""
    _tick("mad_scale")
    vals = sorted([float(v) for v in r])
    med = vals[len(vals) // 2]
    devs = sorted([abs(v - med) for v in vals])
    try:
        scale = 1.4826 * devs[len(devs) // 2]
        if scale == 0.0:
            raise ZeroDivisionError("zero MAD")
        return scale
    except ZeroDivisionError:
        return float(np.std(r)) or 1.0


def robust_regression(w, X, y):
    scale = _mad_scale(y - np.mean(y))
    r = (X @ w - y) / scale
    return np.mean(np.sqrt(1.0 + r ** 2) - 1.0)


objective(
    "helper_try_except", robust_regression,
    lambda rng: (_normal(rng, 3, scale=0.5), _normal(rng, 11, 3), _normal(rng, 11)),
    what="a helper with try/except and comprehensions (cannot be differentiated) applied to data only; "
         "it counts its calls",
    effects=("mad_scale",),
)


# --- 20. counters and a log list ---------------------------------------------------------------


def logged_logistic(w, X, y):
    _tick("logged_logistic")
    z = X @ w
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    LOG.append(float(loss))
    LOG.append(float(np.mean(y)))
    return loss


objective(
    "log_list_append", logged_logistic, _logistic_args,
    what="LOG.append(float(loss)) of the active loss and of a data value; a counting helper",
    effects=("logged_logistic", "log"),
)


# --- 21. Gumbel-softmax relaxation ---------------------------------------------------------------

GUMBEL_RS = CountingRandomState("gumbel_rs", 17)


def gumbel_softmax_loss(logits, targets, tau):
    u = GUMBEL_RS.uniform(1e-6, 1.0 - 1e-6, size=targets.shape)
    g = -np.log(-np.log(u))
    a = (logits + g) / tau
    a = a - np.max(a, axis=1, keepdims=True)
    p = np.exp(a)
    p = p / np.sum(p, axis=1, keepdims=True)
    return np.mean(np.sum((p - targets) ** 2, axis=1))


objective(
    "gumbel_softmax", gumbel_softmax_loss,
    lambda rng: (_normal(rng, 5, scale=0.5), np.eye(5)[rng.integers(0, 5, 6)], 0.7),
    what="Gumbel noise -log(-log(RS.uniform(...))) added to logits, a tempered softmax",
    reseed=GUMBEL_RS.reset, rngs=lambda: [GUMBEL_RS], effects=("gumbel_rs.uniform",),
)


# --- 22. evolution-strategies smoothing ---------------------------------------------------------

ES_RS = CountingRandomState("es_rs", 23)


def es_smoothed_rosenbrock(theta, sigma):
    eps = ES_RS.randn(8, theta.shape[0])
    eps = np.concatenate((eps, -eps))
    pts = theta + sigma * eps
    f = np.sum(10.0 * (pts[:, 1:] - pts[:, :-1] ** 2) ** 2 + (1.0 - pts[:, :-1]) ** 2, axis=1)
    return np.mean(f)


objective(
    "es_antithetic", es_smoothed_rosenbrock,
    lambda rng: (np.array([0.8, 0.7, 0.5]) + _normal(rng, 3, scale=0.05), 0.1),
    what="Gaussian smoothing of a Rosenbrock function with antithetic RS.randn perturbations",
    reseed=ES_RS.reset, rngs=lambda: [ES_RS], effects=("es_rs.randn",),
)


# --- 23. importance-weighted bound ----------------------------------------------------------------

IW_RS = CountingRandomState("iw_rs", 29)


def iwae_bound(q, x, K):
    mu, log_s = q[0], q[1]
    eps = IW_RS.normal(size=(K, x.shape[0]))
    z = mu + np.exp(log_s) * eps
    log_p = -0.5 * z ** 2 - 0.5 * (x - z) ** 2 - np.log(2.0 * np.pi)
    log_q = -0.5 * eps ** 2 - log_s - 0.5 * np.log(2.0 * np.pi)
    log_w = log_p - log_q
    m = np.max(log_w, axis=0)
    return -np.mean(m + np.log(np.mean(np.exp(log_w - m), axis=0)))


objective(
    "iwae_log_mean_exp", iwae_bound,
    lambda rng: (np.array([0.3, -0.5]), _normal(rng, 6), 5),
    what="importance-weighted bound: RS.normal(size=(K, n)) with K an int argument, log-mean-exp",
    reseed=IW_RS.reset, rngs=lambda: [IW_RS], effects=("iw_rs.normal",),
)


# --- 24. a random minibatch ----------------------------------------------------------------------

MB_RS = CountingRandomState("mb_rs", 37)


def minibatch_logistic(w, X, y, batch):
    idx = MB_RS.choice(X.shape[0], size=batch, replace=False)
    Xb = X[idx]
    yb = y[idx]
    z = Xb @ w
    return np.mean(np.logaddexp(0.0, z) - yb * z) + 5e-3 * np.sum(w ** 2)


objective(
    "minibatch_choice", minibatch_logistic,
    lambda rng: (_normal(rng, 4, scale=0.5), _normal(rng, 20, 4), (rng.uniform(size=20) < 0.4).astype(np.float64), 8),
    what="a minibatch drawn with RS.choice(n, size=b, replace=False), indexing data by it",
    reseed=MB_RS.reset, rngs=lambda: [MB_RS], effects=("mb_rs.choice",),
)


# --- 25. Bayesian NN layer, local reparameterisation ------------------------------------------

LR_RS = CountingRandomState("lr_rs", 41)


def local_reparam_bnn(w_mu, w_logvar, X, y):
    act_mu = X @ w_mu
    act_var = (X ** 2) @ np.exp(w_logvar)
    eps = LR_RS.randn(*act_mu.shape)
    act = act_mu + np.sqrt(act_var) * eps
    out = np.mean(np.tanh(act), axis=1)
    nll = np.mean((out - y) ** 2)
    kl = 0.5 * np.sum(np.exp(w_logvar) + w_mu ** 2 - 1.0 - w_logvar) / X.shape[0]
    return nll + kl


objective(
    "local_reparam_bnn", local_reparam_bnn,
    lambda rng: (_normal(rng, 3, 4, scale=0.4), np.log(rng.uniform(0.05, 0.2, (3, 4))), _normal(rng, 10, 3),
                 0.5 * _normal(rng, 10)),
    argnums=(0, 1),
    what="local reparameterisation trick: eps = RS.randn(*act_mu.shape) scaled by an active std",
    reseed=LR_RS.reset, rngs=lambda: [LR_RS], effects=("lr_rs.randn",),
)


# --- 26. random augmentations -----------------------------------------------------------------

AUG_RS = CountingRandomState("aug_rs", 43)


def augmented_embedding(W, X):
    flips = 2.0 * AUG_RS.binomial(1, 0.5, size=X.shape) - 1.0
    noise = 0.05 * AUG_RS.randn(*X.shape)
    Za = np.tanh((X * flips + noise) @ W)
    Z = np.tanh(X @ W)
    agreement = np.sum(Za * Z, axis=1)
    return -np.mean(agreement) + 0.1 * np.sum(W ** 2)


objective(
    "augmentation_binomial", augmented_embedding,
    lambda rng: (_normal(rng, 3, 2, scale=0.5), _normal(rng, 8, 3)),
    what="augmentations: sign flips from RS.binomial then RS.randn noise (two draws, in order)",
    reseed=AUG_RS.reset, rngs=lambda: [AUG_RS], effects=("aug_rs.binomial", "aug_rs.randn"),
)


# --- 27. a closure-held array rebound after compiling -----------------------------------------


def _make_weighted_huber(weights, delta):
    def weighted_pseudo_huber(w, X, y):
        r = X @ w - y
        a = delta ** 2 * (np.sqrt(1.0 + (r / delta) ** 2) - 1.0)
        return np.sum(weights * a) / np.sum(weights)

    def rebind():
        nonlocal weights
        old = weights
        weights = np.linspace(2.0, 0.25, old.shape[0])

        def restore():
            nonlocal weights
            weights = old

        return restore

    return weighted_pseudo_huber, rebind


weighted_pseudo_huber, _rebind_huber_weights = _make_weighted_huber(np.linspace(0.5, 1.5, 8), 0.8)

objective(
    "closure_rebinding", weighted_pseudo_huber,
    lambda rng: (_normal(rng, 3, scale=0.5), _normal(rng, 8, 3), _normal(rng, 8)),
    what="closure variables (weights, delta) read at call time: the weights rebound after compiling",
    rebind=_rebind_huber_weights,
)


# --- 28. unrolled inner optimisation that prints inside the loop ---------------------------


def unrolled_inner_sgd(theta, X, y, steps, lr):
    n = X.shape[0]
    w = theta
    for k in range(steps):
        g = X.T @ (X @ w - y) / n
        w = w - lr * g
        if k % 2 == 0:
            print(f"  inner step {k}: |g| = {np.sqrt(np.sum(g ** 2)):.5f}")
    return 0.5 * np.mean((X @ w - y) ** 2) + 0.01 * np.sum(theta ** 2)


objective(
    "unrolled_sgd_print_in_loop", unrolled_inner_sgd,
    lambda rng: (_normal(rng, 3, scale=0.5), _normal(rng, 10, 3), _normal(rng, 10), 4, 0.1),
    what="print of an active value inside a loop (every other step): once per step, not again in "
         "the reverse sweep",
    effects=("print",),
)


# --- 29. a mix: closure RandomState, validation, assert, print, log --------------------------


def _make_trend_svi(seed):
    rs = CountingRandomState("trend_rs", seed)

    def trend_svi(params, t, x):
        """VI for x = a + b t + noise: params = (mu_a, mu_b, log_s_a, log_s_b)."""
        if x.ndim != 1:
            raise ValueError("x must be a 1-d series")
        assert params.shape == (4,), "params = (mu_a, mu_b, log_s_a, log_s_b)"
        eps = rs.randn(10, 2)
        ab = params[:2] + np.exp(params[2:]) * eps
        pred = ab[:, :1] + ab[:, 1:] * t
        loglik = -0.5 * np.sum((x - pred) ** 2, axis=1) / 0.09
        logprior = -0.5 * np.sum(ab ** 2, axis=1)
        elbo = (np.mean(loglik + logprior) + np.sum(params[2:])) / x.shape[0]
        print(f"elbo {elbo:+.4f} over {x.shape[0]} points")
        LOG.append(float(elbo))
        return -elbo

    return trend_svi, rs


trend_svi, TREND_RS = _make_trend_svi(47)


def _trend_args(rng):
    t = np.linspace(0.0, 1.0, 9)
    return np.array([0.1, 0.5, -1.5, -1.2]), t, 0.3 + 0.9 * t + 0.3 * rng.standard_normal(9)


def _trend_bad(rng):
    params, t, x = _trend_args(rng)
    return params, t, x.reshape(3, 3)


objective(
    "mixed_trend_svi", trend_svi, _trend_args,
    what="a mix: closure RandomState, raise ValueError on data, assert on the parameter's shape, "
         "print(f'{elbo:+.4f}'), LOG.append of the active ELBO",
    reseed=TREND_RS.reset, rngs=lambda: [TREND_RS], effects=("trend_rs.randn", "print", "log"),
    bad_args=_trend_bad,
)


# --- 30. a denoising autoencoder -------------------------------------------------------------

DAE_RS = CountingRandomState("dae_rs", 53)


def denoising_autoencoder(W, X):
    corrupt = DAE_RS.rand(*X.shape) < 0.25
    noisy = X * (1.0 - corrupt) + 0.05 * DAE_RS.randn(*X.shape)
    H = np.tanh(noisy @ W)
    R = H @ W.T
    loss = np.mean((R - X) ** 2)
    print(f"dae: {np.mean(corrupt):.2f} of the inputs dropped, loss {loss:.5f}")
    LOG.append(float(loss))
    return loss


objective(
    "denoising_autoencoder", denoising_autoencoder,
    lambda rng: (_normal(rng, 4, 2, scale=0.5), _normal(rng, 10, 4)),
    what="denoising autoencoder with tied weights: RS.rand masking then RS.randn noise, print of a "
         "data statistic and the active loss, LOG.append",
    reseed=DAE_RS.reset, rngs=lambda: [DAE_RS], effects=("dae_rs.rand", "dae_rs.randn", "print", "log"),
)


def reseed_all() -> None:
    for obj in OBJECTIVES:
        obj.reseed()
