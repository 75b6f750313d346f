"""`check`: the emitted derivative beside the independent baselines, as one report.

For each differentiated argument: the emitted gradient (per mode), central differences,
the complex step and SymPy's derivative, each with its largest absolute and relative
difference from the emitted (reverse-mode, or first) value; the time of one evaluation of
the function, of each derivative and of each baseline; and the size of the emitted
derivative (its IR's operations) beside SymPy's (`count_ops`, raw and after `cse`). A
baseline that does not apply says why instead of failing.
"""

from __future__ import annotations

import timeit
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..api import grad
from ..ir import walk_ops
from . import numeric
from .symbolic import NoSymbolicBaseline, symbolic_derivative

TOLERANCES = {"numeric": 1e-6, "complex step": 1e-10, "symbolic": 1e-10}
"""Relative tolerance of each baseline (absolute: the same, times the size of the values)."""


@dataclass
class Row:
    """One method's value for one argument, and its difference from the emitted value."""

    method: str
    value: Any = None
    reason: str | None = None  # why there is no value
    abs_error: float | None = None
    rel_error: float | None = None
    ok: bool | None = None


@dataclass
class Report:
    """What `check` found; `print(report)` shows it as a table, `report.ok` says whether
    every baseline that applies agrees."""

    name: str
    arguments: dict[str, list[Row]] = field(default_factory=dict)
    times: dict[str, float | None] = field(default_factory=dict)
    sizes: dict[str, int | str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(row.ok is not False for rows in self.arguments.values() for row in rows)

    def _outliers(self) -> list[str]:
        """Every row is compared with the first (the emitted gradient): when all the others
        disagree with it, it is the first that is wrong, not each of them."""
        lines = []
        for arg, (first, *others) in self.arguments.items():
            judged = [row for row in others if row.ok is not None]
            if len(judged) > 1 and not any(row.ok for row in judged):
                lines.append(f"{arg}: {first.method} disagrees with every other method")
        return [""] + lines if lines else []

    def __str__(self) -> str:
        lines = [f"check of {self.name}: {'all methods agree' if self.ok else 'A METHOD DISAGREES'}", ""]
        header = ("argument", "method", "value", "max abs err", "max rel err", "")
        table = [header]
        for arg, rows in self.arguments.items():
            for row in rows:
                value = _short(row.value) if row.reason is None else f"no {row.method} baseline: {row.reason}"
                errors = [_number(row.abs_error), _number(row.rel_error)]
                verdict = "" if row.ok is None else ("ok" if row.ok else "DISAGREES")
                table.append((arg, row.method, value, *errors, verdict))
        lines += _format(table)
        lines += self._outliers()
        if self.times:
            lines += ["", "time per evaluation:"]
            lines += [f"  {name:<22} {_time(t)}" for name, t in self.times.items()]
        lines += ["", "size (operations):"]
        lines += [f"  {name:<22} {size}" for name, size in self.sizes.items()]
        return "\n".join(lines)


def check(
    f: Callable[..., Any],
    *args: Any,
    argnums: int | Sequence[int] = 0,
    modes: Sequence[str] = ("reverse", "forward"),
    richardson: bool = False,
    timing: float = 0.05,
) -> Report:
    """Compare the emitted derivatives of `f` at `args` with central differences, the
    complex step and SymPy; `timing` is the seconds spent timing each method (0: none)."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    report = Report(getattr(f, "__name__", "f"))
    derivatives = {mode: grad(f, argnums=nums, mode=mode) for mode in modes}
    emitted = {mode: d(*args) for mode, d in derivatives.items()}
    try:
        symbolic = symbolic_derivative(f, args, nums)
        symbolic_values: list[Any] | None = symbolic.evaluate(*args)
        symbolic_reason = None
    except NoSymbolicBaseline as err:
        symbolic, symbolic_values, symbolic_reason = None, None, str(err)

    for position, k in enumerate(nums):
        reference = np.asarray(emitted[modes[0]][position], dtype=float)
        rows = [Row(f"emitted ({mode})", emitted[mode][position]) for mode in modes]
        rows.append(Row("numeric", numeric.gradient(f, args, k, richardson=richardson)))
        try:
            rows.append(Row("complex step", numeric.complex_step_gradient(f, args, k)))
        except numeric.ComplexStepUnsupported as err:
            rows.append(Row("complex step", reason=str(err)))
        if symbolic_values is not None:
            rows.append(Row("symbolic", symbolic_values[position]))
        else:
            rows.append(Row("symbolic", reason=symbolic_reason))
        for row in rows[1:]:
            if row.reason is None:
                _compare(row, reference)
        name = getattr(f, "__code__", None) and f.__code__.co_varnames[k] or str(k)
        report.arguments[name] = rows

    if timing > 0:
        report.times["f"] = per_call(lambda: f(*args), timing)
        for mode, d in derivatives.items():
            report.times[f"emitted ({mode})"] = per_call(lambda d=d: d(*args), timing)
        report.times["numeric"] = per_call(lambda: [numeric.gradient(f, args, k) for k in nums], timing)
        report.times["symbolic"] = per_call(lambda: symbolic.evaluate(*args), timing) if symbolic else None
    version = derivatives[modes[0]]._version()
    report.sizes[f"emitted ({modes[0]})"] = sum(1 for _ in walk_ops(version.ir.body))
    if symbolic is not None:
        report.sizes["SymPy derivative"] = symbolic.size()
        report.sizes["SymPy derivative, cse"] = symbolic.size(cse=True)
    else:
        report.sizes["SymPy derivative"] = f"no symbolic baseline: {symbolic_reason}"
    return report


def _compare(row: Row, reference: np.ndarray) -> None:
    value = np.asarray(row.value, dtype=float)
    if value.shape != reference.shape:
        row.ok = False
        return
    difference = np.abs(value - reference)
    scale = max(1.0, float(np.max(np.abs(reference))) if reference.size else 1.0)
    row.abs_error = float(np.max(difference)) if difference.size else 0.0
    nonzero = np.abs(reference) > 0  # (where the reference is 0 only the absolute error means anything)
    row.rel_error = float(np.max(difference[nonzero] / np.abs(reference[nonzero]))) if nonzero.any() else None
    rtol = TOLERANCES.get(row.method, 1e-12)
    row.ok = bool(np.all(difference <= rtol * (scale + np.abs(reference)))) if row.method in TOLERANCES else \
        bool(np.allclose(value, reference, rtol=1e-12, atol=1e-12 * scale))


def per_call(call: Callable[[], Any], budget: float) -> float:
    """Seconds per call of `call`, timed for about `budget` seconds."""
    timer = timeit.Timer(call)
    number, elapsed = 1, timer.timeit(1)
    while elapsed < budget / 10 and number < 10**6:
        number *= 10
        elapsed = timer.timeit(number)
    return elapsed / number


def _short(value: Any) -> str:
    text = np.array2string(np.asarray(value), precision=10, max_line_width=60, threshold=6)
    return text.replace("\n", " ")


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:.1e}"


def _time(t: float | None) -> str:
    if t is None:
        return "n/a"
    return f"{t * 1e6:.2f} us" if t < 1e-3 else f"{t * 1e3:.3f} ms"


def _format(table: list[tuple]) -> list[str]:
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    return ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
