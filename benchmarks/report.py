"""docs/benchmarks.md and docs/benchmarks.svg, from the results the benchmark scripts
leave in docs/benchmarks.json (one section each: bench_rows.py's, bench_objectives.py's),
so that either script's ``--write`` redraws the whole page."""

from __future__ import annotations

import json
import os

import svgplot

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
ORDER = ("rows", "objectives")


def update(section: str, data: dict) -> str:
    """Store one script's results, then write the page and the plot; the page's path."""
    store = os.path.join(DOCS, "benchmarks.json")
    sections = {}
    if os.path.exists(store):
        with open(store) as fh:
            sections = json.load(fh)
    sections[section] = data
    with open(store, "w") as fh:
        json.dump(sections, fh, indent=1, sort_keys=True)
        fh.write("\n")
    present = [sections[s] for s in ORDER if s in sections]
    with open(os.path.join(DOCS, "benchmarks.svg"), "w") as fh:
        fh.write(svgplot.chart([s["plot"] | {"title": s["title"]} for s in present]))
    page = os.path.join(DOCS, "benchmarks.md")
    with open(page, "w") as fh:
        fh.write(markdown(present))
    return page


def markdown(sections) -> str:
    out = ["# Benchmarks", "",
           "Written by `python benchmarks/bench_rows.py --write` and "
           "`python benchmarks/bench_objectives.py --write` (each redraws the page from "
           "`docs/benchmarks.json`); what the rows, objectives and columns are, how the tools "
           "are installed and the targets: [benchmarks/README.md](../benchmarks/README.md). The "
           "derivatives timed, as emitted: [benchmarks-emitted.md](benchmarks-emitted.md).", "",
           "![Each derivative's time over the function's (objectives) or over the hand-written "
           "derivative's (rows), per tool, log scale](benchmarks.svg)", ""]
    for s in sections:
        out += [f"## {s['title']}", "", f"`{s['command']}`", "", "```", *s["header"], "```", ""]
        for table in s["tables"]:
            out += ["```", table, "```", ""]
        if s["notes"]:
            out += [f"- {line}" for line in s["notes"]] + [""]
    return "\n".join(out)
