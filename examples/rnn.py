"""A recurrent network's loss, differentiated through its loop (backpropagation through
time written by the compiler), checked against central differences."""

import numpy as np

from ad_compiler import grad


def rnn_loss(W, U, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def central_difference(f, args, i, index, step=1e-6):
    up = [a.copy() for a in args]
    down = [a.copy() for a in args]
    up[i][index] += step
    down[i][index] -= step
    return (f(*up) - f(*down)) / (2 * step)


def main() -> None:
    rng = np.random.default_rng(0)
    W, U = 0.5 * rng.normal(size=(16, 16)), rng.normal(size=(16, 8))
    h0, xs = rng.normal(size=16), rng.normal(size=(50, 8))
    dloss = grad(rnn_loss, argnums=(0, 1))
    dW, dU = dloss(W, U, h0, xs)
    print(dloss.source)
    worst = max(
        abs(dW[index] - central_difference(rnn_loss, (W, U, h0, xs), 0, index))
        for index in [(0, 0), (3, 7), (15, 2)]
    )
    print(f"largest difference from central differences (3 entries of dW): {worst:.1e}")


if __name__ == "__main__":
    main()
