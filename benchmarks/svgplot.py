"""A horizontal bar chart on a log axis, written as SVG text: one panel per benchmark,
one group of bars per workload, one bar per tool (no plotting library needed)."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

COLOURS = {"hand": "#8c8c8c", "ad_compiler": "#1f4e9c", "jax": "#2e8b57", "torch": "#e07b00",
           "autograd": "#8e44ad", "tangent": "#a0522d"}
WIDTH, LEFT, RIGHT = 900, 190, 30
BAR, GAP, GROUP_GAP = 7, 1, 10


def chart(panels) -> str:
    """The SVG document: panels of {"title", "axis", "columns", "workloads"}, each workload
    a record of compare.as_record (its "ratio" per column drawn, its "status" written
    where there is no ratio)."""
    parts, y = [], 30
    columns = [c for c in COLOURS if any(c in p["columns"] for p in panels)]
    for i, col in enumerate(columns):                       # the legend
        x = LEFT + i * 110
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{COLOURS[col]}"/>'
                     f'<text x="{x + 14}" y="{y}">{escape(col)}</text>')
    y += 20
    for panel in panels:
        svg, y = _panel(panel, y)
        parts.append(svg)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y + 10}" '
            f'font-family="sans-serif" font-size="11">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(parts) + "\n</svg>\n")


def _panel(panel, y):
    ratios = [r for w in panel["workloads"] for r in w["ratio"].values() if r and r > 0]
    lo = 10 ** math.floor(math.log10(min(ratios + [1.0])))
    hi = 10 ** math.ceil(math.log10(max(ratios + [1.0])) + 1e-9)
    span = WIDTH - LEFT - RIGHT

    def x_of(r):
        return LEFT + span * (math.log10(r) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    columns = [c for c in panel["columns"] if c in COLOURS]
    parts = [f'<text x="10" y="{y + 14}" font-size="13" font-weight="bold">'
             f'{escape(panel["title"])}: {escape(panel["axis"])} (log scale)</text>']
    y += 26
    top = y
    for w in panel["workloads"]:
        rows = [c for c in columns if c in w["status"]]
        height = len(rows) * (BAR + GAP)
        parts.append(f'<text x="{LEFT - 8}" y="{y + height / 2 + 4}" text-anchor="end">'
                     f'{escape(w["name"])}</text>')
        for col in rows:
            r = w["ratio"].get(col)
            if r:
                parts.append(f'<rect x="{LEFT}" y="{y}" width="{max(x_of(r) - LEFT, 1):.1f}" '
                             f'height="{BAR}" fill="{COLOURS[col]}"><title>{escape(col)}: {r:.2f}x'
                             f'</title></rect>')
            elif w["status"][col] != "ok":
                parts.append(f'<text x="{LEFT + 3}" y="{y + BAR}" font-size="8" fill="{COLOURS[col]}">'
                             f'{escape(col)} {escape(w["status"][col])}</text>')
            y += BAR + GAP
        y += GROUP_GAP
    decade = lo
    while decade <= hi * 1.0001:                             # the axis: a line per decade
        x = x_of(decade)
        dash = "" if decade == 1 else ' stroke-dasharray="2,3"'
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{y}" stroke="#444"'
                     f' stroke-width="{1.2 if decade == 1 else 0.5}"{dash}/>'
                     f'<text x="{x:.1f}" y="{y + 12}" text-anchor="middle">{decade:g}x</text>')
        decade *= 10
    return "\n".join(parts), y + 30
