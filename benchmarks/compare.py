"""One workload on every tool: make each derivative, check it, then time it.

A workload is a function, its arguments, which of them are differentiated and how (its
kind: ``grad``, ``jacobian``, ``newton``, ``ba``), and a hand-written derivative. Each
tool's derivative is made and called once (compiling or tracing: the ``first`` time),
checked on that call and the next against the hand-written derivative (or against
central differences where there is none), and only then timed, beside the function and
the hand-written derivative, columns interleaved: the minimum over repeats of the
per-call mean, as in bench_grad.py. A column that takes longer than ``budget`` seconds
for its repeats gets fewer of them (at least one); a derivative whose one call takes
longer than that is not repeated: its checked second call is its time.

A derivative that is not timed says why in its cell: ``refused`` (ad_compiler raised a
CompileError: it declines the program), ``error`` (ad_compiler raised anything else),
``fails`` (a peer raised), ``wrong`` (a result disagreed), ``not run`` (the tool's
derivative is not run here: JAX's over peers._JitOrEager.LIMIT operations), ``n/a`` (not
installed).
"""

from __future__ import annotations

import gc
import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from bench_grad import machine_info, make_timer


@dataclass
class Workload:
    name: str
    size: str
    fn: Callable
    args: tuple
    argnums: int | tuple
    kind: str = "grad"
    hand: Callable | None = None
    normalize: Callable = staticmethod(lambda result: result)
    """A tool's result in the hand-written derivative's layout (BA: the blocks)."""
    check_args: tuple | None = None
    """Further arguments to check at, where the first check says little (ODE: the last
    component's gradient is zero at GradBench's sizes, n > 4 s)."""


@dataclass
class Cell:
    status: str = "ok"
    seconds: float | None = None
    first: float | None = None
    sample: float | None = None
    """The second call's seconds: the time of a derivative too slow to repeat."""
    message: str = ""
    note: str = ""


@dataclass
class Outcome:
    workload: Workload
    cells: dict = field(default_factory=dict)
    derivatives: dict = field(default_factory=dict)


def one_line(e: BaseException) -> str:
    """The exception's type and the first line of its message that says something (more
    than a title: tangent-ad's messages open with a banner, "Tangent Error")."""
    lines = [ln.strip() for ln in str(e).splitlines() if any(ch.isalnum() for ch in ln)]
    line = next((ln for ln in lines if len(ln) > 20), lines[0] if lines else "")
    line = f"{type(e).__name__}: {line}" if line else type(e).__name__
    return line if len(line) <= 300 else line[:297] + "..."


def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [x for item in value for x in _leaves(item)]
    return [np.asarray(value, dtype=np.float64)]


def disagreement(result, reference, rtol: float, atol_scale: float) -> str | None:
    """None if every leaf of result is within rtol (plus atol_scale times the reference's
    largest entry) of the reference's, else where and by how much it is not."""
    got, want = _leaves(result), _leaves(reference)
    if len(got) != len(want):
        return f"{len(got)} arrays, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape:
            return f"result {i} has shape {g.shape}, expected {w.shape}"
        atol = atol_scale * max(float(np.max(np.abs(w))) if w.size else 0.0, 1e-300)
        if not np.allclose(g, w, rtol=rtol, atol=atol):
            err = np.max(np.abs(g - w) / (np.abs(w) + atol))
            return f"result {i} differs from the reference by up to {err:.1e} (relative)"
    return None


def central_differences(fn, args, argnums, h=1e-6):
    """d fn / d args[i] for i in argnums by central differences, each out.shape + arg.shape
    (a tuple when argnums is)."""
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    columns = []
    for i in nums:
        x = np.asarray(args[i], dtype=np.float64)
        parts = []
        for k in range(x.size):
            step = np.zeros(x.size)
            step[k] = h
            up, down = list(args), list(args)
            up[i], down[i] = x + step.reshape(x.shape), x - step.reshape(x.shape)
            parts.append((np.asarray(fn(*up)) - np.asarray(fn(*down))) / (2 * h))
        columns.append(np.stack(parts, axis=-1).reshape(np.shape(fn(*args)) + x.shape))
    return tuple(columns) if isinstance(argnums, tuple) else columns[0]


class Reference:
    """What a workload's derivatives are checked against: the hand-written derivative
    (rtol 1e-8), or central differences (rtol 1e-6, entries below 1e-7 of the largest
    one compared absolutely)."""

    def __init__(self, workload: Workload):
        self.workload = workload
        self.tolerance = (1e-8, 1e-12) if workload.hand else (1e-6, 1e-7)
        self.label = "hand" if workload.hand else "central differences"
        self._values = {}

    def at(self, args):
        key = id(args)
        if key not in self._values:
            w = self.workload
            self._values[key] = (w.hand(*args) if w.hand
                                 else central_differences(w.fn, args, w.argnums))
        return self._values[key]


def _failure(tool, e: BaseException) -> str:
    if getattr(e, "status", None):
        return e.status
    if tool.name != "ad_compiler":
        return "fails"
    from ad_compiler import CompileError
    return "refused" if isinstance(e, CompileError) else "error"


def build(workload: Workload, tool, reference: Reference):
    """The tool's derivative of the workload, called and checked: (callable, inputs, Cell)."""
    w = workload
    if tool.why:
        return None, None, Cell("n/a", message=tool.why)
    cell = Cell()
    try:
        start = time.perf_counter()
        derivative = tool.derivative(w.kind, w.fn, w.argnums, w.args)
        inputs = tool.inputs(w.args, w.argnums)
        first = derivative(*inputs)
        cell.first = time.perf_counter() - start
        why = disagreement(w.normalize(tool.to_numpy(first)), reference.at(w.args), *reference.tolerance)
        if why is None:
            second, cell.sample = _timed_call(derivative, inputs)
            why = disagreement(w.normalize(tool.to_numpy(second)), reference.at(w.args),
                               *reference.tolerance)
        if why is None and w.check_args is not None:
            more = tool.to_numpy(derivative(*tool.inputs(w.check_args, w.argnums)))
            why = disagreement(w.normalize(more), reference.at(w.check_args), *reference.tolerance)
    except Exception as e:
        if os.environ.get("BENCH_TRACEBACK"):
            traceback.print_exc()
        return None, None, Cell(_failure(tool, e), message=one_line(e))
    cell.note = getattr(derivative, "note", None) or ""
    if why is not None:
        return None, None, Cell("wrong", message=f"{why} ({reference.label})", note=cell.note)
    return derivative, inputs, cell


def _timed_call(fn, args):
    """(fn(*args), its seconds), the collector off as in timeit."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        result = fn(*args)
        return result, time.perf_counter() - start
    finally:
        if was_enabled:
            gc.enable()


def _calibrate(timer, target):
    """(calls per repeat so that a repeat takes about `target` seconds, seconds per call)."""
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= target / 10 or number >= 10 ** 7:
            per_call = t / number
            return max(1, int(round(target / max(per_call, 1e-9)))), per_call
        number *= 10 if t < target / 1000 else 2


def time_interleaved(timers: dict, repeat: int, target: float, budget: float) -> dict:
    """Seconds per call of each timer: the minimum over repeats of the per-call mean, the
    columns taking turns within each repeat."""
    plan = {}
    for col, timer in timers.items():
        number, per_call = _calibrate(timer, target)
        plan[col] = (number, max(1, min(repeat, int(budget / max(number * per_call, 1e-9)))))
    best = {col: float("inf") for col in timers}
    for r in range(max(reps for _, reps in plan.values())):
        for col, timer in timers.items():
            number, reps = plan[col]
            if r < reps:
                best[col] = min(best[col], timer.timeit(number) / number)
    return best


def run(workload: Workload, tools, repeat: int, target: float, budget: float) -> Outcome:
    """Every tool's derivative of the workload, checked and timed beside the function and
    the hand-written derivative (columns "objective", "hand", then the tools)."""
    outcome = Outcome(workload)
    reference = Reference(workload)
    timers = {"objective": make_timer(workload.fn, workload.args)}
    outcome.cells["objective"] = Cell()
    if workload.hand:
        timers["hand"] = make_timer(workload.hand, workload.args)
        outcome.cells["hand"] = Cell()
    for tool in tools:
        derivative, inputs, cell = build(workload, tool, reference)
        outcome.cells[tool.name] = cell
        if derivative is not None:
            outcome.derivatives[tool.name] = derivative
            if cell.sample > budget:
                cell.seconds, cell.note = cell.sample, (cell.note + "; " if cell.note else "") + "timed by one call"
            else:
                timers[tool.name] = make_timer(derivative, inputs)
    for col, seconds in time_interleaved(timers, repeat, target, budget).items():
        outcome.cells[col].seconds = seconds
    return outcome


def header_lines(tools) -> list:
    """The machine (bench_grad's lines), its load, and each tool's version or why it is
    missing."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return machine_info() + [f"load average {load} (1, 5, 15 min) at the start",
                             ", ".join(f"{t.name} {t.version}" if not t.why else f"{t.name} n/a ({t.why})"
                                       for t in tools)]


def source_of(outcome: Outcome, tool) -> str:
    """The emitted source of the tool's derivative for the timed arguments: a derivative
    made afresh and called on them (the versions are cached: nothing is compiled again),
    since the one timed may have been called last on ``check_args``."""
    w = outcome.workload
    derivative = tool.derivative(w.kind, w.fn, w.argnums, w.args)
    derivative(*tool.inputs(w.args, w.argnums))
    return getattr(derivative, "source", "<no source>")


def fmt_seconds(t: float) -> str:
    if t < 1e-6:
        return f"{t * 1e9:.0f} ns"
    if t < 1e-3:
        return f"{t * 1e6:.1f} us"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def cell_time(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    return fmt_seconds(cell.seconds) if cell.status == "ok" else cell.status


def cell_ratio(cell: Cell | None, base: Cell | None) -> str:
    r = ratio(cell, base)
    if r is not None:
        return f"{r:.2f}x"
    return "-" if cell is None else cell.status if cell.status != "ok" else "-"


def ratio(cell: Cell | None, base: Cell | None) -> float | None:
    if cell is None or base is None or cell.seconds is None or base.seconds is None:
        return None
    return cell.seconds / base.seconds


def slower_than(outcome: Outcome, peers, exempt=()) -> list:
    """The peers (not in `exempt`) whose derivative ran faster than ad_compiler's."""
    mine = outcome.cells.get("ad_compiler")
    if mine is None or mine.seconds is None:
        return []
    return [p for p in peers if p not in exempt and outcome.cells.get(p) is not None
            and outcome.cells[p].seconds is not None and outcome.cells[p].seconds < mine.seconds]


def verdict(outcome: Outcome, missed: list, peers, exempt=()) -> str:
    """PASS, or FAIL naming the targets `missed` and the peers (not in `exempt`) faster
    than ad_compiler."""
    faster = slower_than(outcome, peers, exempt)
    if faster:
        missed = [*missed, "slower than " + ", ".join(faster)]
    return "PASS" if not missed else "FAIL(" + "; ".join(missed) + ")"


def format_table(headers, rows, left=(0,)) -> str:
    """Columns padded to their widest cell, those in `left` left-aligned."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i in left else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def notes(outcomes, columns) -> list:
    """One line per cell not timed or run differently: the workload, the column, why."""
    lines = []
    for outcome in outcomes:
        for col in columns:
            cell = outcome.cells.get(col)
            if cell is None:
                continue
            where = f"{outcome.workload.name} ({outcome.workload.size})"
            if cell.status not in ("ok", "n/a"):
                lines.append(f"{where}: {col} {cell.status}: {cell.message}")
            if cell.note:
                lines.append(f"{where}: {col}: {cell.note}")
    return lines


def first_calls(outcomes, columns) -> str:
    """The first call of every derivative (compiling, tracing), one line per workload."""
    return "\n".join(
        f"  {o.workload.name} ({o.workload.size}): " + ", ".join(f"{c} {fmt_seconds(o.cells[c].first)}" for c in columns
                                            if c in o.cells and o.cells[c].first is not None)
        for o in outcomes)


def as_record(outcome: Outcome, base: str) -> dict:
    """The outcome as plain data (for docs/benchmarks.json): times and each tool's ratio
    to the `base` column."""
    cells = outcome.cells
    return {"name": f"{outcome.workload.name} {outcome.workload.size}",
            "seconds": {c: cell.seconds for c, cell in cells.items() if cell.seconds is not None},
            "status": {c: cell.status for c, cell in cells.items()},
            "ratio": {c: ratio(cell, cells.get(base)) for c, cell in cells.items()
                      if c != base and ratio(cell, cells.get(base)) is not None}}
