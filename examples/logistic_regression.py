"""Logistic regression trained with an emitted gradient.

The loss is the binary cross-entropy as it is usually written; `grad` turns it into
plain NumPy, which this script prints, checks against the hand-derived gradient
X.T @ (p - y) / n, and uses for a few hundred steps of gradient descent.
"""

import numpy as np

from ad_compiler import grad


def loss(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def hand_gradient(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return X.T @ (p - y) / len(y)


def main() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 10))
    truth = rng.normal(size=10)
    y = (rng.random(100) < 1 / (1 + np.exp(-(X @ truth)))).astype(float)

    dloss = grad(loss)
    beta = np.zeros(10)
    difference = np.max(np.abs(dloss(beta, X, y) - hand_gradient(beta, X, y)))
    print(dloss.source)
    print(f"largest difference from the hand-written gradient: {difference:.1e}")
    for _ in range(300):
        beta = beta - 0.5 * dloss(beta, X, y)
    print(f"loss after 300 steps: {loss(beta, X, y):.4f} (at zero: {loss(np.zeros(10), X, y):.4f})")


if __name__ == "__main__":
    main()
