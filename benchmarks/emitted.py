#!/usr/bin/env python
"""The derivatives ad_compiler emits for the benchmark rows and the standard objectives,
as a page: what is timed in docs/benchmarks.md, to be read.

    python benchmarks/emitted.py            # print them
    python benchmarks/emitted.py --write    # write docs/benchmarks-emitted.md

Each derivative is made as bench_rows.py and bench_objectives.py make it (small sizes)
and called once on the timed arguments; a refused one shows the refusal. Needs only
NumPy (and SciPy where an objective does).
"""

from __future__ import annotations

import argparse
import os
import sys

import isolated  # noqa: F401  (first: threads and paths, before NumPy is imported)
import peers
from bench_objectives import workload
from objectives import NAMES
from rows import make_rows

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "benchmarks-emitted.md")
LONGEST = 300
"""Lines shown of one derivative; the rest is counted."""


def emitted(tool, kind, fn, argnums, args) -> str:
    """The source of `tool`'s derivative of `kind`, called once on `args`, or why not."""
    try:
        derivative = tool.derivative(kind, fn, argnums, args)
        derivative(*tool.inputs(args, argnums))
        return derivative.source
    except Exception as e:  # a refusal is part of the page
        why = str(e).splitlines()[0].replace(ROOT + os.sep, "")
        return f"# refused: {type(e).__name__}: {why}"


def shown(source: str) -> str:
    lines = source.rstrip("\n").splitlines()
    if len(lines) <= LONGEST:
        return "\n".join(lines)
    return "\n".join(lines[:LONGEST] + [f"# ... {len(lines) - LONGEST} more lines ({len(lines)} in all)"])


def sections(tool) -> list[str]:
    out = ["## The rows of the peer table", ""]
    for name, size, fn, args, argnums, _ in make_rows():
        out += [f"### {name}, {size}", "", "```python", shown(emitted(tool, "grad", fn, argnums, args)), "```", ""]
    out += ["## The standard objectives (small sizes)", ""]
    for name in NAMES:
        w = workload(name, "small")
        out += [f"### {name} ({w.kind}), {w.size}", "", "```python",
                shown(emitted(tool, w.kind, w.fn, w.argnums, w.args)), "```", ""]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"write {os.path.relpath(PAGE)}")
    opts = ap.parse_args(argv)
    tool = peers.AdCompiler()
    if tool.why:
        print(f"ad_compiler cannot be imported: {tool.why}")
        return 1
    text = "\n".join([
        "# The emitted derivatives of the benchmarks",
        "",
        "Written by `python benchmarks/emitted.py --write`: the derivative `ad_compiler` emits for each",
        "row and objective timed in [benchmarks.md](benchmarks.md), made as the benchmark scripts make",
        "it and called once on the timed arguments (bundle adjustment's is the pullback its blocks run;",
        f"kmeans' the JVP of the gradient). Listings longer than {LONGEST} lines are cut.",
        "",
        *sections(tool)])
    if opts.write:
        with open(PAGE, "w") as f:
            f.write(text.rstrip("\n") + "\n")
        print(f"wrote {PAGE}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
