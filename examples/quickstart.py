"""Emit the gradient of a small function, print it, and check it against central differences."""

import numpy as np

from ad_compiler import grad


def f(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def central_differences(fun, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (fun(*up) - fun(*down)) / (2 * h)


def main() -> None:
    args = (43.0, 3.0, 2.0)
    df = grad(f, argnums=(0, 1, 2))
    emitted = df(*args)
    print(df.source)
    print(f"{'argument':>8} {'emitted':>22} {'central differences':>22} {'rel. error':>10}")
    worst = 0.0
    for i, name in enumerate("abc"):
        numeric = central_differences(f, args, i)
        error = abs(emitted[i] - numeric) / max(abs(numeric), 1e-12)
        worst = max(worst, error)
        print(f"{name:>8} {emitted[i]:>22.15g} {numeric:>22.15g} {error:>10.1e}")
    if worst > 1e-6:
        raise SystemExit(f"mismatch: relative error {worst:.1e}")
    print("ok: the emitted gradient agrees with central differences")


if __name__ == "__main__":
    main()
