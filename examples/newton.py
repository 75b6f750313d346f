"""Second-order optimization with emitted Hessians and Hessian-vector products.

The n-dimensional Rosenbrock function is minimized twice from the same start:

- by Newton's method, each step solving with the full Hessian (`hessian`: forward mode
  over the reverse-mode gradient, all n directions in one pass);
- by Newton-CG, each step solving by conjugate gradients that only ever need Hessian-
  vector products (`hvp`), never the Hessian itself: what scales to large n.

The script prints the emitted Hessian, checks the Hessian against the
analytic one and reports how many steps each method takes.
"""

import numpy as np

from ad_compiler import grad, hessian, hvp


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def analytic_hessian(x):
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


def newton(x, gradient, solve, steps=50):
    for step in range(steps):
        g = gradient(x)
        if np.linalg.norm(g) < 1e-10:
            return x, step
        x = x - solve(x, g)
    return x, steps


def conjugate_gradients(product, b, iterations=100, tolerance=1e-12):
    """Solve H d = b using only d -> H d."""
    d = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    for _ in range(iterations):
        hp = product(p)
        alpha = r @ r / (p @ hp)
        d = d + alpha * p
        new_r = r - alpha * hp
        if np.linalg.norm(new_r) < tolerance:
            break
        p = new_r + (new_r @ new_r) / (r @ r) * p
        r = new_r
    return d


def main() -> None:
    n = 10
    start = np.linspace(-1.2, 1.0, n)
    gradient = grad(rosenbrock)
    full = hessian(rosenbrock)

    difference = np.max(np.abs(full(start) - analytic_hessian(start)))
    print(f"largest difference from the analytic Hessian: {difference:.1e}")
    v = np.ones(n)
    difference = np.max(np.abs(hvp(rosenbrock, (start,), (v,)) - analytic_hessian(start) @ v))
    print(f"largest difference of hvp from the analytic H @ v: {difference:.1e}")

    x, steps = newton(start, gradient, lambda x, g: np.linalg.solve(full(x), g))
    print(f"Newton with the full Hessian: {steps} steps, distance to the minimum {np.linalg.norm(x - 1):.1e}")
    x, steps = newton(
        start, gradient, lambda x, g: conjugate_gradients(lambda v: hvp(rosenbrock, (x,), (v,)), g)
    )
    print(f"Newton-CG with Hessian-vector products: {steps} steps, distance {np.linalg.norm(x - 1):.1e}")

    print("\nThe emitted Hessian (forward mode over the reverse-mode gradient):\n")
    print(full.source)


if __name__ == "__main__":
    main()
