#!/usr/bin/env python
"""The standard AD benchmark objectives (ADBench, GradBench; benchmarks/objectives/),
timed with ad_compiler and its peers.

    python benchmarks/bench_objectives.py            # small and medium sizes, ~8 minutes
    python benchmarks/bench_objectives.py --quick    # small sizes, fewer repeats, ~2 minutes
    python benchmarks/bench_objectives.py --only gmm,ba --source
    python benchmarks/bench_objectives.py --write    # also docs/benchmarks.md and .svg

For each objective: the time of the objective, of ad_compiler's derivative, of the
hand-written one and of each peer's (jax.jit, PyTorch, autograd, tangent-ad, those
installed), each checked before it is timed (benchmarks/compare.py), and every
derivative's time over the objective's. Targets: derivative / objective <= 4 for the
gradients (reverse mode) and <= 10 for bundle adjustment's Jacobian; ad_compiler faster
than every peer, except jax.jit where Python overhead dominates the objective (many tiny
operations, which jit compiles away). A script, not a test: it exits 0 whatever the
verdicts. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time

import isolated  # noqa: F401  (first: threads and paths, before NumPy is imported)
import compare
import peers
import report
from objectives import NAMES, load

PEERS = ("jax", "torch", "autograd", "tangent")
TARGETS = {"grad": 4.0, "ba": 10.0}
OVERHEAD_BOUND = {
    "lstm": "elementwise work on 14-element vectors, ~30 operations a step",
    "ht": "3x3 and 4x4 matrices, ~40 operations a bone",
    "det": "scalar products, ell! of them",
}
"""Objectives where Python's cost per operation dominates: jax.jit, which compiles the
Python away, is not a target there."""


def workload(name: str, size: str) -> compare.Workload:
    mod = load(name)
    return compare.Workload(
        name=name, size=" ".join(f"{k}={v}" for k, v in mod.SIZES[size].items()),
        fn=mod.objective, args=mod.make_data(size), argnums=mod.ARGNUMS, kind=mod.DERIVATIVE,
        hand=mod.hand, normalize=getattr(mod, "normalize", lambda result: result),
        check_args=mod.check_data() if hasattr(mod, "check_data") else None)


def verdict(outcome: compare.Outcome) -> str:
    mine = outcome.cells["ad_compiler"]
    if mine.status != "ok":
        return mine.status
    missed = []
    target = TARGETS.get(outcome.workload.kind)
    r = compare.ratio(mine, outcome.cells["objective"])
    if target is not None and r > target:
        missed.append(f"d/obj > {target:g}")
    return compare.verdict(outcome, missed, PEERS, ("jax",) if outcome.workload.name in OVERHEAD_BOUND else ())


def tables(outcomes, columns) -> tuple[str, str]:
    others = [c for c in columns if c != "ad_compiler"]
    times = [[o.workload.name, o.workload.size]
             + [compare.cell_time(o.cells.get(c)) for c in ("objective", "ad_compiler")]
             + [compare.cell_ratio(o.cells.get("ad_compiler"), o.cells["objective"])]
             + [compare.cell_time(o.cells.get(c)) for c in others] for o in outcomes]
    times_text = compare.format_table(
        ["objective", "size", "objective", "ad_compiler", "adc/obj", *others], times, left=(0, 1))
    ratios = [[o.workload.name, o.workload.kind]
              + [compare.cell_ratio(o.cells.get(c), o.cells["objective"]) for c in columns]
              + [f"<= {TARGETS[o.workload.kind]:g}" if o.workload.kind in TARGETS else "-", verdict(o)]
              for o in outcomes]
    ratios_text = compare.format_table(
        ["derivative / objective", "kind", *columns, "target", "verdict"], ratios, left=(0, 1, len(columns) + 3))
    return times_text, ratios_text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, 3 repeats of ~0.02 s")
    ap.add_argument("--size", choices=("small", "medium"), help="default: both (small with --quick)")
    ap.add_argument("--repeat", type=int, help="repeats per column (default 7, --quick 3)")
    ap.add_argument("--only", help="comma-separated objectives (default: all)")
    ap.add_argument("--source", action="store_true",
                    help="print ad_compiler's emitted derivative where it is over 3x the objective")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md and .svg")
    opts = ap.parse_args(argv)
    sizes = [opts.size] if opts.size else ["small"] if opts.quick else ["small", "medium"]
    repeat = opts.repeat or (3 if opts.quick else 7)
    target, budget = (0.02, 1.0) if opts.quick else (0.1, 5.0)
    names = opts.only.split(",") if opts.only else NAMES

    started = time.perf_counter()
    tools = [tool() for tool in peers.TOOLS]
    header = compare.header_lines(tools)
    print("AD benchmark objectives" + ("  [--quick]" if opts.quick else "") + f", sizes {', '.join(sizes)}")
    print("\n".join("  " + line for line in header))
    print(f"  timing: min over {repeat} repeats of the per-call mean, ~{target} s a repeat, "
          f"at most ~{budget:g} s a column, columns interleaved\n")

    outcomes = []
    for name, size in ((name, size) for size in sizes for name in names):
        w = workload(name, size)
        print(f"  {name} ({w.size}) ...", end="", flush=True)
        outcome = compare.run(w, tools, repeat, target, budget)
        outcomes.append(outcome)
        print(" " + "  ".join(f"{c} {compare.cell_time(cell)}" for c, cell in outcome.cells.items()),
              flush=True)

    columns = ["hand", *(t.name for t in tools)]
    times_text, ratios_text = tables(outcomes, columns)
    lines = compare.notes(outcomes, columns)
    lines += [f"{name}: jax.jit not a target ({why})" for name, why in OVERHEAD_BOUND.items()
              if name in names]
    print("\n" + times_text + "\n\n" + ratios_text + "\n")
    print("\n".join(lines))
    print("\nfirst call of each derivative (compilation, tracing; informational):")
    print(compare.first_calls(outcomes, columns[1:]))
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")

    if opts.source:
        for o in outcomes:
            r = compare.ratio(o.cells["ad_compiler"], o.cells["objective"])
            if r is not None and r > 3 and "ad_compiler" in o.derivatives:
                print(f"\n---- ad_compiler's derivative of {o.workload.name}: {r:.1f}x the objective ----")
                print(compare.source_of(o, next(t for t in tools if t.name == "ad_compiler")))
    if opts.write:
        path = report.update("objectives", {
            "title": "The standard objectives",
            "command": "python benchmarks/bench_objectives.py" + (" --quick" if opts.quick else "")
                       + (f" --size {opts.size}" if opts.size else ""),
            "header": header, "tables": [times_text, ratios_text], "notes": lines,
            "plot": {"axis": "derivative time / objective time", "columns": columns,
                     "workloads": [compare.as_record(o, "objective") for o in outcomes]}})
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
