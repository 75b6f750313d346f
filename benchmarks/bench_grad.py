#!/usr/bin/env python
"""Benchmark of ad_compiler's emitted gradients.

Run from anywhere:

    python benchmarks/bench_grad.py            # full run (~1-2 minutes)
    python benchmarks/bench_grad.py --quick    # short run, noisier numbers
    python benchmarks/bench_grad.py --source   # also print the emitted sources

For every row it times, in one process and interleaved so that machine noise
hits all columns alike:

    f        the original function
    emitted  the gradient emitted by ad_compiler  (``ad_compiler.grad``)
    hand     a hand-written NumPy gradient, written the way a person would
    tangent  the gradient of tangent-ad (``tangent.grad``), if it imports

Every gradient is first checked against the hand-written one
(``np.allclose``, rtol 1e-8); a disagreement is shown in the ``check``
column.  Targets (printed at the bottom, judged per row):

    emitted <= 1.2 x hand,   emitted <= 3 x f,   emitted faster than tangent

This is a script, not a test: it never fails the build.  Its exit status is
0 whatever the verdicts (2 only for bad command-line arguments).
See benchmarks/README.md for how to install tangent-ad.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import timeit
import traceback

# tangent-ad keeps a persistent on-disk cache of generated gradients in
# ~/.cache/tangent-ad; switch it off so its compile time is measured honestly
# and nothing is written outside the repository.  (Run time is unaffected.)
os.environ.setdefault("TANGENT_DISK_CACHE", "0")

# Single-threaded BLAS unless the caller says otherwise (set e.g.
# OPENBLAS_NUM_THREADS=2 to override; must happen before numpy is imported).
# On a small, possibly shared machine a multi-threaded matrix-vector product
# stalls whenever another process holds a core, which made the 10000x100 rows
# swing by 2-5x between runs; one thread keeps every column comparable.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

# Make the in-repo package importable when run as `python benchmarks/...`.
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)


# --------------------------------------------------------------------------
# The functions under test (module level, so their source can be read).
# --------------------------------------------------------------------------

def scalar_f(a, b, c):
    g = np.sin(a * b) + np.exp(c - a / b)
    return np.log(g * g) * c


def scalar_hand(a, b, c):
    # Chain rule by hand: f = c * log(g^2),  df/dg = 2c/g.
    ab = a * b
    e = np.exp(c - a / b)
    g = np.sin(ab) + e
    df_dg = 2.0 * c / g
    cos_ab = np.cos(ab)
    da = df_dg * (cos_ab * b - e / b)
    db = df_dg * (cos_ab * a + e * a / (b * b))
    dc = np.log(g * g) + df_dg * e
    return da, db, dc


def logistic_bce(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logistic_logits(beta, X, y):
    z = X @ beta
    return np.mean(np.log1p(np.exp(z)) - y * z)


def logistic_hand(beta, X, y):
    p = 1 / (1 + np.exp(-(X @ beta)))
    return X.T @ (p - y) / len(y)


def _logistic_data(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    true_beta = rng.standard_normal(d) / np.sqrt(d)
    p = 1 / (1 + np.exp(-(X @ true_beta)))
    y = (rng.random(n) < p).astype(np.float64)          # y in {0, 1}
    beta = 0.5 * rng.standard_normal(d) / np.sqrt(d)    # evaluation point
    return beta, X, y


def mlp_dict(params, X, y):
    """A two-layer perceptron whose parameters are a dict (a pytree): tanh hidden layer,
    squared error."""
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out[:, 0] - y) ** 2)


def mlp_dict_hand(params, X, y):
    z = X @ params["W1"] + params["b1"]
    h = np.tanh(z)
    out = h @ params["W2"] + params["b2"]
    d_out = (2.0 / len(y)) * (out[:, 0] - y)[:, None]
    dh = d_out @ params["W2"].T
    dz = dh * (1.0 - h * h)
    return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d_out, "b2": d_out.sum(axis=0)}


def _mlp_data(n, d, hidden, seed):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.standard_normal((d, hidden)) / np.sqrt(d), "b1": np.zeros(hidden),
              "W2": rng.standard_normal((hidden, 1)) / np.sqrt(hidden), "b2": np.zeros(1)}
    return params, rng.standard_normal((n, d)), rng.standard_normal(n)


def make_rows():
    small = _logistic_data(100, 10, seed=0)
    large = _logistic_data(10000, 100, seed=1)
    return [
        dict(name="1  scalar f(a,b,c)", f=scalar_f, args=(43.0, 3.0, 2.0),
             argnums=(0, 1, 2), hand=scalar_hand),
        dict(name="2  logistic BCE 100x10", f=logistic_bce, args=small,
             argnums=0, hand=logistic_hand),
        dict(name="2b logistic logits 100x10", f=logistic_logits, args=small,
             argnums=0, hand=logistic_hand),
        dict(name="3  logistic BCE 10000x100", f=logistic_bce, args=large,
             argnums=0, hand=logistic_hand),
        dict(name="3b logistic logits 10000x100", f=logistic_logits,
             args=large, argnums=0, hand=logistic_hand),
        dict(name="4  MLP dict params 32-64-1, 64", f=mlp_dict, args=_mlp_data(64, 32, 64, seed=2),
             argnums=0, hand=mlp_dict_hand),
    ]


# --------------------------------------------------------------------------
# Gradient providers.  Each returns (make_grad or None, reason-if-None).
# --------------------------------------------------------------------------

def _short_exc(e):
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    msg = f"{type(e).__name__}: {msg}" if msg else type(e).__name__
    return msg if len(msg) <= 400 else msg[:397] + "..."


def load_ad_compiler():
    try:
        import ad_compiler
        grad = ad_compiler.grad
    except Exception as e:  # ImportError, AttributeError, anything at import
        return None, f"ad_compiler not usable ({_short_exc(e)})"

    def make(f, argnums):
        return grad(f, argnums=argnums)
    return make, None


def load_tangent():
    try:
        import io
        import contextlib
        with contextlib.redirect_stdout(io.StringIO()):
            import tangent
        tgrad = tangent.grad
    except Exception as e:
        return None, f"tangent-ad not usable ({_short_exc(e)})"

    def make(f, argnums):
        wrt = argnums if isinstance(argnums, tuple) else (argnums,)
        return tgrad(f, wrt=wrt)
    return make, None


def _as_tuple(g):
    """The arrays of a gradient, in order (a dict's values by key: pytrees of parameters)."""
    if isinstance(g, dict):
        return tuple(x for k in sorted(g) for x in _as_tuple(g[k]))
    if isinstance(g, (tuple, list)):
        return tuple(x for item in g for x in _as_tuple(item))
    return (g,)


def check_against(result, reference, rtol=1e-8):
    """None if `result` matches `reference` (np.allclose, rtol), else why."""
    res, ref = _as_tuple(result), _as_tuple(reference)
    if len(res) != len(ref):
        return f"returned {len(res)} gradients, expected {len(ref)}"
    for i, (r, h) in enumerate(zip(res, ref)):
        r = np.asarray(r, dtype=np.float64)
        h = np.asarray(h, dtype=np.float64)
        if r.shape != h.shape:
            return f"grad[{i}] shape {r.shape}, expected {h.shape}"
        # atol relative to the gradient's own scale, so a tiny component
        # is not waved through by numpy's default absolute 1e-8.
        atol = 1e-12 * max(float(np.max(np.abs(h))) if h.size else 0.0, 1e-300)
        if not np.allclose(r, h, rtol=rtol, atol=atol):
            err = np.max(np.abs(r - h) / (np.abs(h) + atol))
            return f"grad[{i}] differs (max rel err {err:.2e})"
    return None


# --------------------------------------------------------------------------
# Timing.
# --------------------------------------------------------------------------

def make_timer(fn, args):
    """A timeit.Timer calling fn(a0, a1, ...) with everything in fast locals."""
    names = [f"a{i}" for i in range(len(args))]
    setup = "; ".join(["fn = _fn"] + [f"{n} = _args[{i}]" for i, n in enumerate(names)])
    stmt = f"fn({', '.join(names)})"
    return timeit.Timer(stmt, setup=setup, globals={"_fn": fn, "_args": args})


def calibrate(timer, target):
    """Calls per repeat so that one repeat takes about `target` seconds."""
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= target / 10 or number >= 10**7:
            return max(1, int(round(number * target / max(t, 1e-9))))
        number *= 10 if t < target / 1000 else 2


def time_row(callables, repeat, target):
    """callables: dict col -> fn-with-args Timer.  Interleaved min-of-means."""
    numbers = {col: calibrate(tm, target) for col, tm in callables.items()}
    best = {col: float("inf") for col in callables}
    for _ in range(repeat):
        for col, tm in callables.items():
            n = numbers[col]
            best[col] = min(best[col], tm.timeit(n) / n)
    return best, numbers


def fmt_time(t):
    if t is None:
        return "n/a"
    if t < 1e-6:
        return f"{t * 1e9:.0f} ns"
    if t < 1e-3:
        return f"{t * 1e6:.2f} us"
    if t < 1:
        return f"{t * 1e3:.3f} ms"
    return f"{t:.3f} s"


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}x"


# --------------------------------------------------------------------------
# Machine info.
# --------------------------------------------------------------------------

def machine_info():
    lines = [f"python  {sys.version.split()[0]} ({platform.python_implementation()}) on {platform.platform()}",
             f"numpy   {np.__version__}"]
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        lines[-1] += f"  (BLAS: {blas.get('name')} {blas.get('version', '')})"
    except Exception:
        pass
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    lines.append(f"cpu     {cpu or 'unknown'}, {os.cpu_count()} logical cores")
    threads = [f"{k}={os.environ[k]}" for k in
               ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
               if k in os.environ]
    if hasattr(os, "sched_getaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < (os.cpu_count() or 0):
            threads.append("pinned to cpu " + ",".join(map(str, cpus)))
    if threads:
        lines.append("threads " + " ".join(threads))
    return lines


def _version(mod_name, dist_name):
    try:
        from importlib.metadata import version
        return version(dist_name)
    except Exception:
        mod = sys.modules.get(mod_name)
        return getattr(mod, "__version__", "?") if mod else "?"


# --------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------

TARGET_HAND = 1.2    # emitted / hand   <=
TARGET_F = 3.0       # emitted / f      <=
TARGET_TANGENT = 1.0  # tangent / emitted >  (emitted strictly faster)


TIMING_HEADERS = ["row", "f", "emitted", "hand", "tangent",
                  "emit/hand", "emit/f", "tang/emit", "check", "verdict"]


def print_table(headers, rows, left):
    """Columns padded to their widest cell; the columns in `left` left-aligned."""
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i in left else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def timing_table(results, target_hand, target_f=None):
    """Print the timing table, each row judged against the targets (`emit/f` only when
    `target_f` is given); return the counts (pass, fail, n/a). Shared with bench_loops.py."""
    table = []
    n_pass = n_fail = n_na = 0
    for res in results:
        t = res["times"]
        tf, te, th, tt = (t.get(k) for k in ("f", "emitted", "hand", "tangent"))
        r_hand = te / th if te and th else None
        r_f = te / tf if te and tf else None
        r_tan = tt / te if te and tt else None
        if te is None and "emitted:ERROR" in res["check"]:
            verdict = "FAIL(error)"
            n_fail += 1
        elif te is None:
            verdict = "n/a"
            n_na += 1
        else:
            failed = []
            if "emitted:MISMATCH" in res["check"]:
                failed.append("wrong")
            if r_hand > target_hand:
                failed.append("hand")
            if target_f is not None and r_f > target_f:
                failed.append("f")
            if r_tan is not None and not r_tan > TARGET_TANGENT:
                failed.append("tangent")
            verdict = "PASS" if not failed else "FAIL(" + ",".join(failed) + ")"
            if failed:
                n_fail += 1
            else:
                n_pass += 1
        check = ",".join(res["check"]) or "ok"
        table.append([res["name"], fmt_time(tf), fmt_time(te), fmt_time(th),
                      fmt_time(tt), fmt_ratio(r_hand), fmt_ratio(r_f),
                      fmt_ratio(r_tan), check, verdict])
    print_table(TIMING_HEADERS, table, left=(0, 8, 9))
    return n_pass, n_fail, n_na


def build_gradients(row, ref, makers, res, notes, sources=None):
    """Each tool's gradient of the row's function, compiled by its first call (timed into
    `res["compile"]`) and checked, first and second call, against the hand-written `ref`;
    failures go to `res["check"]` and `notes`. With `sources`, the emitted source is kept."""
    f, args, argnums = row["f"], row["args"], row["argnums"]
    grads = {"hand": row["hand"]}
    for col, maker in makers:
        if maker is None:
            continue
        try:
            t0 = time.perf_counter()
            g = maker(f, argnums)
            first = g(*args)              # first call compiles
            res["compile"][col] = time.perf_counter() - t0
        except Exception as e:
            res["check"].append(f"{col}:ERROR")
            notes.append(f"{row['name']}: {col} raised {_short_exc(e)}")
            if os.environ.get("BENCH_TRACEBACK"):
                traceback.print_exc()
            continue
        why = check_against(first, ref)
        if why is None:
            try:                           # the cached path must agree too
                why = check_against(g(*args), ref)
            except Exception as e:
                why = f"second call raised {_short_exc(e)}"
        if why is not None:
            res["check"].append(f"{col}:MISMATCH")
            notes.append(f"{row['name']}: {col} disagrees with hand -- {why}")
        grads[col] = g
        if col == "emitted":
            # Informational: the emitted function itself, without ad_compiler's per-call
            # dispatch. Internal attribute; skipped if absent.
            raw = getattr(getattr(g, "_last", None), "function", None)
            if callable(raw) and not any(isinstance(a, (dict, list, tuple)) for a in args):  # (it takes leaves)
                grads["emitted_raw"] = raw
            if sources is not None:
                sources.append((row["name"], getattr(g, "source", "<no .source>")))
    return grads


def time_gradients(row, makers, notes, sources, repeat, target):
    """Build and check each tool's gradient of a row, then time them all beside f and
    the hand-written one (interleaved); the row's result dict."""
    f, args, hand = row["f"], row["args"], row["hand"]
    res = dict(name=row["name"], check=[], times={}, compile={})
    grads = build_gradients(row, hand(*args), makers, res, notes, sources)
    timers = {"f": make_timer(f, args)}
    for col in ("emitted", "hand", "tangent", "emitted_raw"):
        if col in grads:
            timers[col] = make_timer(grads[col], args)
    res["times"], _numbers = time_row(timers, repeat, target)
    print(f"  timed {row['name'].strip():<30s} "
          + "  ".join(f"{c}={fmt_time(t)}" for c, t in res["times"].items()), flush=True)
    return res


def print_sources(sources):
    """The emitted sources collected with --source, one after the other."""
    for name, src in sources:
        print()
        print(f"---- emitted source: {name.strip()} ----")
        print(src)


def print_header(title, opts, target, repeat, make_emitted, emitted_why, make_tangent, tangent_why):
    """The lines above the tables: the machine, the tools, the timing method."""
    print(title + ("  [--quick]" if opts.quick else ""))
    for line in machine_info():
        print("  " + line)
    print("  ad_compiler: " + ("available" if make_emitted else f"n/a -- {emitted_why}"))
    if make_tangent:
        print(f"  tangent-ad {_version('tangent', 'tangent-ad')} (gast {_version('gast', 'gast')})"
              f"  [TANGENT_DISK_CACHE={os.environ.get('TANGENT_DISK_CACHE')}]")
    else:
        print(f"  tangent: n/a -- {tangent_why}")
    print(f"  timing: min over {repeat} repeats of the per-call mean, "
          f"~{target:.2f} s per repeat, columns interleaved")
    print()


def parse_options(argv, doc):
    """The options both benchmarks take; with the seconds per repeat and the repeats."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="short run: ~0.02 s per repeat, 3 repeats")
    ap.add_argument("--repeat", type=int, default=None,
                    help="repeats per column (default 11, --quick 3)")
    ap.add_argument("--source", action="store_true",
                    help="print ad_compiler's emitted source for each row")
    opts = ap.parse_args(argv)
    return opts, (0.02 if opts.quick else 0.1), opts.repeat or (3 if opts.quick else 11)


def print_informational(results, make_emitted, emitted_why, make_tangent, tangent_why):
    """The lines under a table: first-call (compile) times, the emitted function's time
    without grad()'s dispatch, and why a column is n/a. Shared with bench_loops.py."""
    comp = [(res["name"], res["compile"]) for res in results if res["compile"]]
    if comp:
        print("first call incl. compilation (informational): "
              + "; ".join(f"{n.split()[0]}: " + ", ".join(f"{c} {fmt_time(v)}" for c, v in d.items())
                          for n, d in comp))
    raw = [(res["name"], res["times"]["emitted_raw"], res["times"]["emitted"])
           for res in results if "emitted_raw" in res["times"]]
    if raw:
        print("emitted function body alone, without grad()'s per-call dispatch "
              "(informational, not judged): "
              + "; ".join(f"{n.split()[0]}: {fmt_time(tr)} (dispatch ~{fmt_time(max(te - tr, 0.0))})"
                          for n, tr, te in raw))
    if make_emitted is None:
        print(f"emitted: n/a -- {emitted_why}")
    if make_tangent is None:
        print(f"tangent: n/a -- {tangent_why}")


def main(argv=None):
    opts, target, repeat = parse_options(argv, __doc__)

    t_start = time.perf_counter()
    make_emitted, emitted_why = load_ad_compiler()
    make_tangent, tangent_why = load_tangent()

    print_header("ad_compiler gradient benchmark", opts, target, repeat, make_emitted, emitted_why, make_tangent, tangent_why)

    rows = make_rows()
    results = []
    notes = []
    sources = []
    makers = (("emitted", make_emitted), ("tangent", make_tangent))
    for row in rows:
        results.append(time_gradients(row, makers, notes, sources if opts.source else None, repeat, target))

    # ---- table ----
    print()
    n_pass, n_fail, _ = timing_table(results, TARGET_HAND, TARGET_F)
    print()

    print_informational(results, make_emitted, emitted_why, make_tangent, tangent_why)
    for n in notes:
        print("WARNING: " + n)
    print()
    print("targets (per row): emitted <= %.1fx hand;  emitted <= %.0fx f;  "
          "emitted faster than tangent-ad (tang/emit > 1)%s"
          % (TARGET_HAND, TARGET_F, "" if make_tangent else "  [tangent n/a: not judged]"))
    print("check: every gradient vs the hand-written one, np.allclose rtol=1e-8 "
          "(atol = 1e-12 * max|hand grad|)")
    if make_emitted is None:
        print("verdict: n/a (ad_compiler not available)")
    else:
        print(f"verdict: {n_pass} PASS, {n_fail} FAIL of {n_pass + n_fail} rows")
    print(f"total wall time {time.perf_counter() - t_start:.1f} s")

    print_sources(sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
