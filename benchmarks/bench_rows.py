#!/usr/bin/env python
"""ad_compiler's gradients against the hand-written ones and the peers', on eight
workloads (benchmarks/rows.py): the README's three floats, logistic regression, two MLPs,
two recurrent networks and Horner's rule.

    python benchmarks/bench_rows.py            # ~1.5 minutes
    python benchmarks/bench_rows.py --quick    # fewer, shorter repeats, ~30 s
    python benchmarks/bench_rows.py --write    # also docs/benchmarks.md and .svg

Columns: the function, the hand-written gradient (written for speed), ad_compiler
(``grad`` after its compiling call), jax.jit(jax.grad) waited for, PyTorch (eager,
``torch.autograd.grad``), autograd and tangent-ad, each checked against the hand-written
gradient (rtol 1e-8, all in float64) before it is timed (benchmarks/compare.py). The
ratios to the hand-written gradient are what matter. Targets: ad_compiler within 1.2x of
the hand-written gradient and faster than every peer (jax.jit excepted on the rows that
are Python scalar code). A script, not a test: it exits 0 whatever the verdicts.
"""

from __future__ import annotations

import argparse
import sys
import time

import isolated  # noqa: F401  (first: threads and paths, before NumPy is imported)
import compare
import peers
import report
from rows import make_rows

PEERS = ("jax", "torch", "autograd", "tangent")
COMPILED_ROWS = {("rnn", "T=50 H=16 in=8"), ("horner", "100 coefficients")}
"""Python-level loops over small arrays or scalars: where the numba backend must beat jax.jit."""
TARGET_HAND = 1.2
SCALAR_CODE = {"scalar": "Python floats", "horner": "a loop over 100 Python scalars"}
"""Rows that are Python scalar code, whose cost jax.jit compiles away: not a target there."""


def verdict(outcome: compare.Outcome) -> str:
    mine = outcome.cells["ad_compiler"]
    if mine.status != "ok":
        return mine.status
    missed = []
    if compare.ratio(mine, outcome.cells["hand"]) > TARGET_HAND:
        missed.append(f"> {TARGET_HAND:g}x hand")
    return compare.verdict(outcome, missed, PEERS, ("jax",) if outcome.workload.name in SCALAR_CODE else ())


def numba_verdict(outcome: compare.Outcome) -> str:
    """The numba backend against jax.jit on a row of Python-level loops: the target."""
    r = compare.ratio(outcome.cells.get("numba"), outcome.cells.get("jax"))
    verdict = "n/a" if r is None else f"{r:.2f}x jax.jit: " + ("PASS" if r < 1 else "FAIL")
    return f"{outcome.workload.name} ({outcome.workload.size}): numba backend {verdict}"


def tables(outcomes, columns) -> tuple[str, str]:
    times = [[o.workload.name, o.workload.size] + [compare.cell_time(o.cells.get(c)) for c in columns]
             for o in outcomes]
    times_text = compare.format_table(["row", "size", *columns], times, left=(0, 1))
    tools = columns[2:]
    ratios = [[o.workload.name, o.workload.size]
              + [compare.cell_ratio(o.cells.get(c), o.cells["hand"]) for c in tools] + [verdict(o)]
              for o in outcomes]
    ratios_text = compare.format_table(["time / hand", "size", *tools, "verdict"], ratios,
                                       left=(0, 1, len(tools) + 2))
    return times_text, ratios_text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 repeats of ~0.02 s")
    ap.add_argument("--repeat", type=int, help="repeats per column (default 11, --quick 3)")
    ap.add_argument("--source", action="store_true",
                    help=f"print ad_compiler's emitted gradient where it is over {TARGET_HAND:g}x the hand-written one")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md and .svg")
    opts = ap.parse_args(argv)
    repeat = opts.repeat or (3 if opts.quick else 11)
    target, budget = (0.02, 1.0) if opts.quick else (0.1, 5.0)

    started = time.perf_counter()
    tools = [tool() for tool in peers.TOOLS]
    header = compare.header_lines(tools)
    print("ad_compiler against the peers" + ("  [--quick]" if opts.quick else ""))
    print("\n".join("  " + line for line in header))
    print(f"  timing: min over {repeat} repeats of the per-call mean, ~{target} s a repeat, "
          f"columns interleaved\n")

    outcomes = []
    for name, size, fn, args, argnums, hand in make_rows():
        w = compare.Workload(name=name, size=size, fn=fn, args=args, argnums=argnums, hand=hand)
        print(f"  {name} ({size}) ...", end="", flush=True)
        outcome = compare.run(w, tools, repeat, target, budget)
        outcome.cells["f"] = outcome.cells.pop("objective")
        outcomes.append(outcome)
        print(" " + "  ".join(f"{c} {compare.cell_time(cell)}" for c, cell in outcome.cells.items()),
              flush=True)

    columns = ["f", "hand", *(t.name for t in tools)]
    times_text, ratios_text = tables(outcomes, columns)
    lines = compare.notes(outcomes, columns)
    lines += [f"{name}: jax.jit not a target ({why})" for name, why in SCALAR_CODE.items()]
    lines += [numba_verdict(o) for o in outcomes if (o.workload.name, o.workload.size) in COMPILED_ROWS]
    print("\n" + times_text + "\n\n" + ratios_text + "\n")
    print("\n".join(lines))
    print("\nfirst call of each gradient (compilation, tracing; informational):")
    print(compare.first_calls(outcomes, columns[2:]))
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")
    if opts.source:
        for o in outcomes:
            r = compare.ratio(o.cells["ad_compiler"], o.cells["hand"])
            if r is not None and r > TARGET_HAND:
                print(f"\n---- ad_compiler's gradient, {o.workload.name} {o.workload.size}: {r:.1f}x hand ----")
                print(compare.source_of(o, next(t for t in tools if t.name == "ad_compiler")))
    if opts.write:
        path = report.update("rows", {
            "title": "Against the peers",
            "command": "python benchmarks/bench_rows.py" + (" --quick" if opts.quick else ""),
            "header": header, "tables": [times_text, ratios_text], "notes": lines,
            "plot": {"axis": "gradient time / hand-written gradient time", "columns": columns[2:],
                     "workloads": [compare.as_record(o, "hand") for o in outcomes]}})
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
