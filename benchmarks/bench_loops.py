#!/usr/bin/env python
"""Benchmark of ad_compiler's gradients of functions with loops.

Run from anywhere:

    python benchmarks/bench_loops.py            # full run
    python benchmarks/bench_loops.py --quick    # short run, noisier numbers
    python benchmarks/bench_loops.py --source   # also print the emitted sources

Same method and table as bench_grad.py (whose helpers it imports): for every
row it times, in one process and interleaved,

    f        the original function (a Python loop)
    emitted  the gradient emitted by ad_compiler  (``ad_compiler.grad``)
    hand     a hand-written reverse sweep (backpropagation through time for
             the RNN, a reverse loop over the stored accumulators for Horner)
    tangent  the gradient of tangent-ad (``tangent.grad``), if it works

and then measures, with tracemalloc, the peak memory of one RNN gradient
call at T=1000 against a budget of 1.5 x T x hidden x 8 bytes x k, k = 2
(the reverse sweep needs h_prev and h_new of every step).

Every gradient is first checked against the hand-written one
(``np.allclose``, rtol 1e-8).  Targets (printed at the bottom, judged per
row): emitted <= 1.3 x hand,  emitted faster than tangent,  emitted's peak
memory within the budget.  A gradient that raises (e.g. ad_compiler before
it supports loops) is shown as ``n/a`` with its error and is not judged.

This is a script, not a test: its exit status is 0 whatever the verdicts
(2 only for bad command-line arguments).  See benchmarks/README.md.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import traceback
import tracemalloc

# bench_grad sets TANGENT_DISK_CACHE=0 and the BLAS thread variables to 1
# (unless already set) before it imports numpy; do it here too, in case
# numpy gets imported before bench_grad.
os.environ.setdefault("TANGENT_DISK_CACHE", "0")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

_HERE = (os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals()
         else os.path.join(os.getcwd(), "benchmarks"))
_REPO_ROOT = os.path.dirname(_HERE)
for _p in (_HERE, _REPO_ROOT):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import numpy as np

from bench_grad import (  # noqa: E402  (shared helpers, same method)
    build_gradients, parse_options, print_header, print_informational, print_sources, print_table,
    time_gradients, timing_table, _short_exc, load_ad_compiler, load_tangent,
)


# --------------------------------------------------------------------------
# The functions under test (module level, so their source can be read).
# --------------------------------------------------------------------------

def rnn_loss(W, U, h0, xs):
    h = h0
    T = xs.shape[0]
    for t in range(T):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def rnn_hand(W, U, h0, xs):
    # Backpropagation through time: keep every hidden state, walk back.
    T = xs.shape[0]
    h = h0
    hs = [h0]
    for t in range(T):
        h = np.tanh(W @ h + U @ xs[t])
        hs.append(h)
    dh = 2.0 * h
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    for t in range(T - 1, -1, -1):
        h_new = hs[t + 1]
        h_prev = hs[t]
        dz = dh * (1 - h_new ** 2)
        dW += np.outer(dz, h_prev)
        dU += np.outer(dz, xs[t])
        dh = W.T @ dz
    return dW, dU


def rnn_list_loss(W, U, h0, xs):
    # The same RNN written with a list of hidden states (stacked for the loss), as
    # published RNN examples do.
    h = h0
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
        hs.append(h)
    H = np.stack(hs)
    return np.sum(H * H)


def rnn_list_hand(W, U, h0, xs):
    # Backpropagation through time with lists: the states kept in a list, the
    # states' adjoints in another, walked back.
    h = h0
    hs = [h0]
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
        hs.append(h)
    dhs = list(2.0 * np.stack(hs[1:]))
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    dh = np.zeros_like(h0)
    for t in range(xs.shape[0] - 1, -1, -1):
        dh = dh + dhs[t]
        dz = dh * (1 - hs[t + 1] ** 2)
        dW += np.outer(dz, hs[t])
        dU += np.outer(dz, xs[t])
        dh = W.T @ dz
    return dW, dU


def horner(x, coeffs):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def horner_hand_x(x, coeffs):
    # acc_{i+1} = acc_i * x + c_i:  d acc_{i+1} / dx = acc_i,  / d acc_i = x.
    accs = []
    acc = 0.0
    for c in coeffs:
        accs.append(acc)
        acc = acc * x + c
    dacc = 1.0
    dx = 0.0
    for i in range(len(accs) - 1, -1, -1):
        dx += dacc * accs[i]
        dacc *= x
    return dx


def horner_hand_x_coeffs(x, coeffs):
    accs = []
    acc = 0.0
    for c in coeffs:
        accs.append(acc)
        acc = acc * x + c
    n = len(accs)
    dcoeffs = np.empty(n)
    dacc = 1.0
    dx = 0.0
    for i in range(n - 1, -1, -1):
        dcoeffs[i] = dacc                 # d acc_{i+1} / d c_i = 1
        dx += dacc * accs[i]
        dacc *= x
    return dx, dcoeffs


def _rnn_data(T, hidden, inp, seed):
    rng = np.random.default_rng(seed)
    # Recurrent weights with spectral radius ~0.9 and O(1) pre-activations,
    # so tanh is neither saturated nor linear and gradients neither explode
    # nor vanish to nothing over T steps.
    W = 0.9 * rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    U = rng.standard_normal((hidden, inp)) / np.sqrt(inp)
    h0 = 0.1 * rng.standard_normal(hidden)
    xs = rng.standard_normal((T, inp))
    return W, U, h0, xs


def _horner_data(n, seed):
    rng = np.random.default_rng(seed)
    coeffs = rng.standard_normal(n)
    return 0.93, coeffs              # |x| < 1: no overflow over 100 terms


def make_rows():
    return [
        dict(name="1a RNN T=50 h=16 in=8", f=rnn_loss,
             args=_rnn_data(50, 16, 8, seed=0), argnums=(0, 1), hand=rnn_hand),
        dict(name="1b RNN T=50 h=256 in=64", f=rnn_loss,
             args=_rnn_data(50, 256, 64, seed=1), argnums=(0, 1), hand=rnn_hand),
        dict(name="1c list RNN T=50 h=16 in=8", f=rnn_list_loss,
             args=_rnn_data(50, 16, 8, seed=0), argnums=(0, 1), hand=rnn_list_hand),
        dict(name="1d list RNN T=50 h=256 in=64", f=rnn_list_loss,
             args=_rnn_data(50, 256, 64, seed=1), argnums=(0, 1), hand=rnn_list_hand),
        dict(name="2a Horner n=100 d/dx", f=horner,
             args=_horner_data(100, seed=2), argnums=0, hand=horner_hand_x),
        dict(name="2b Horner n=100 d/d(x,coeffs)", f=horner,
             args=_horner_data(100, seed=2), argnums=(0, 1),
             hand=horner_hand_x_coeffs),
    ]


# Memory row: T x hidden x input, and k, the number of hidden-size arrays the
# reverse sweep needs per step (h_prev and h_new; consecutive steps share
# them, so 1 is the floor and 2 is the allowance).
MEM_T, MEM_HIDDEN, MEM_INPUT, MEM_K = 1000, 64, 16, 2
MEM_SLACK = 1.5


def mem_budget():
    return MEM_SLACK * MEM_T * MEM_HIDDEN * 8 * MEM_K


def peak_memory(g, args):
    """Peak traced bytes during one call of g(*args) (after a warm-up)."""
    g(*args)                              # warm-up: compilation, caches
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = g(*args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return peak - base


def fmt_bytes(b):
    if b is None:
        return "n/a"
    if b < 1024:
        return f"{b:.0f} B"
    if b < 1024 ** 2:
        return f"{b / 1024:.1f} KiB"
    return f"{b / 1024 ** 2:.2f} MiB"


# --------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------

TARGET_HAND = 1.3     # emitted / hand   <=
TARGET_TANGENT = 1.0  # tangent / emitted >  (emitted strictly faster)


def main(argv=None):
    opts, target, repeat = parse_options(argv, __doc__)

    t_start = time.perf_counter()
    make_emitted, emitted_why = load_ad_compiler()
    make_tangent, tangent_why = load_tangent()
    makers = (("emitted", make_emitted), ("tangent", make_tangent))

    print_header("ad_compiler loop-gradient benchmark", opts, target, repeat, make_emitted, emitted_why, make_tangent, tangent_why)

    results, notes, sources = [], [], []
    for row in make_rows():
        results.append(time_gradients(row, makers, notes, sources if opts.source else None, repeat, target))

    # ---- memory row ----
    mem_args = _rnn_data(MEM_T, MEM_HIDDEN, MEM_INPUT, seed=3)
    mem_ref = rnn_hand(*mem_args)
    mem = {}                              # col -> (peak bytes or None, check, error)
    mem_cols = (("emitted", make_emitted), ("hand", None), ("tangent", make_tangent))
    mem_row = dict(name="3  memory", f=rnn_loss, args=mem_args, argnums=(0, 1), hand=rnn_hand)
    mem_res = dict(name=mem_row["name"], check=[], times={}, compile={})
    mem_grads = build_gradients(mem_row, mem_ref, makers, mem_res, notes)
    for col, maker in mem_cols:
        if col != "hand" and maker is None:
            continue
        check = next((c for c in mem_res["check"] if c.startswith(col + ":")), "ok")
        if col not in mem_grads:
            mem[col] = (None, check, None)
            continue
        try:
            peak = peak_memory(mem_grads[col], mem_args)
        except Exception as e:
            mem[col] = (None, f"{col}:ERROR", _short_exc(e))
            notes.append(f"3  memory: {col} n/a: {_short_exc(e)}")
            if os.environ.get("BENCH_TRACEBACK"):
                traceback.print_exc()
            continue
        mem[col] = (peak, check, None)
    print(f"  measured 3  memory RNN T={MEM_T} h={MEM_HIDDEN} in={MEM_INPUT}  "
          + "  ".join(f"{c}={fmt_bytes(v[0])}" for c, v in mem.items()), flush=True)

    # ---- timing table ----
    print()
    n_pass, n_fail, n_na = timing_table(results, TARGET_HAND)
    print()

    # ---- memory table ----
    budget = mem_budget()
    per_step = MEM_T * MEM_HIDDEN * 8
    print(f"3  memory: peak traced bytes of one RNN gradient call, T={MEM_T}, hidden {MEM_HIDDEN}, "
          f"input {MEM_INPUT} (tracemalloc, after a warm-up call)")
    print(f"   budget {MEM_SLACK} x T x hidden x 8 B x k (k={MEM_K}: h_prev, h_new) "
          f"= {budget:.0f} B = {fmt_bytes(budget)}")
    mrows = []
    for col, _maker in mem_cols:
        if col not in mem:
            continue
        peak, check, err = mem[col]
        if peak is None:
            verdict = "n/a"
        else:
            within = peak <= budget
            if col == "emitted":
                verdict = "PASS" if within and check == "ok" else (
                    "FAIL(" + ",".join(([] if check == "ok" else ["wrong"])
                                       + ([] if within else ["memory"])) + ")")
            else:
                verdict = ("within" if within else "over") + " (not judged)"
        if col == "emitted":
            if peak is None:
                n_na += 1
            elif verdict == "PASS":
                n_pass += 1
            else:
                n_fail += 1
        mrows.append([col, fmt_bytes(peak),
                      "n/a" if peak is None else f"{peak / per_step:.2f}",
                      "n/a" if peak is None else f"{peak / budget:.2f}x",
                      check, verdict])
    print_table(["impl", "peak", "arrays/step", "peak/budget", "check", "verdict"],
           mrows, left=(0, 4, 5))
    print()

    # ---- informational lines, notes, targets ----
    print_informational(results, make_emitted, emitted_why, make_tangent, tangent_why)
    for n in notes:
        print(("WARNING: " if "disagrees" in n else "") + n)
    print()
    print("targets (per row): emitted <= %.1fx hand;  emitted faster than tangent-ad "
          "(tang/emit > 1)%s;  emitted peak memory <= budget (row 3).  emit/f is "
          "informational." % (TARGET_HAND, "" if make_tangent else " [tangent n/a: not judged]"))
    print("check: every gradient vs the hand-written one, np.allclose rtol=1e-8 "
          "(atol = 1e-12 * max|hand grad|)")
    print(f"verdict: {n_pass} PASS, {n_fail} FAIL of {n_pass + n_fail} rows judged"
          + (f"; {n_na} n/a (emitted gradient raised or unavailable)" if n_na else ""))
    print(f"total wall time {time.perf_counter() - t_start:.1f} s")

    print_sources(sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
