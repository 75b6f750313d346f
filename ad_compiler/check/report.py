"""`check`: the emitted derivative beside the independent baselines, as one report.

For each differentiated argument: the emitted gradient (per mode), central differences,
the complex step and SymPy's derivative, each with its largest absolute and relative
difference from the emitted (reverse-mode, or first) value; the time of one evaluation of
the function, of each derivative and of each baseline; and the size of the emitted
derivative (its IR's operations) beside SymPy's (`count_ops`, raw and after `cse`). A
baseline that does not apply says why instead of failing; SymPy gives up past the limits
of `check.limits` (its expressions can swell to millions of operations and minutes), or
is left out on request, and its row says so.

Printed, an array is summarized (its kind, the largest differences and where they are)
and long reasons are wrapped: no line is longer than `WIDTH`, whatever the shapes. The
rows keep the full arrays.
"""

from __future__ import annotations

import textwrap
import timeit
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..api import grad
from ..errors import user_entry
from ..ir import walk_ops
from ..ir.types import kind_of
from . import numeric
from .limits import DEFAULT_OPERATIONS, DEFAULT_SECONDS, PYTHON, Budget, Limits, LimitReached, Spelling
from .symbolic import NoSymbolicBaseline, SymbolicDerivative, symbolic_derivative

TOLERANCES = {"numeric": 1e-6, "complex step": 1e-10, "symbolic": 1e-10}
"""Relative tolerance of each baseline (absolute: the same, times the size of the values)."""

WIDTH = 100
"""The longest line of a printed report."""

POSITIONS = 3
"""How many of an array's largest differences a row places."""


@dataclass
class Row:
    """One method's value for one argument, and its difference from the emitted value."""

    method: str
    value: Any = None
    reason: str | None = None  # why there is no value
    skipped: bool = False  # the reason is a limit or a setting, not something outside the method
    abs_error: float | None = None
    rel_error: float | None = None
    ok: bool | None = None
    worst: list[tuple[int, ...]] = field(default_factory=list)
    """For an array: the positions of its largest absolute differences (nonzero), largest first."""


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
        lines += _table([(arg, row) for arg, rows in self.arguments.items() for row in rows])
        lines += self._outliers()
        if self.times:
            lines += ["", "time per evaluation:"]
            lines += [f"  {name:<22} {_time(t)}" for name, t in self.times.items()]
        lines += ["", "size (operations):"]
        for name, size in self.sizes.items():
            lines += _wrapped(f"  {name:<22} ", str(size))
        return "\n".join(lines)


@user_entry
def check(
    f: Callable[..., Any],
    *args: Any,
    argnums: int | Sequence[int] = 0,
    modes: Sequence[str] = ("reverse", "forward"),
    richardson: bool = False,
    timing: float = 0.05,
    symbolic: bool = True,
    symbolic_limit: int | None = DEFAULT_OPERATIONS,
    symbolic_seconds: float | None = DEFAULT_SECONDS,
) -> Report:
    """Compare the emitted derivatives of `f` at `args` with central differences, the
    complex step and SymPy; `timing` is the seconds spent timing each method (0: none).
    SymPy gives up when one of its expressions passes `symbolic_limit` operations or it
    has taken `symbolic_seconds` (None: no limit); `symbolic=False` leaves it out."""
    limits = Limits(symbolic_limit, symbolic_seconds) if symbolic else None
    return compare(f, args, argnums=argnums, modes=modes, richardson=richardson, timing=timing,
                   limits=limits, spelling=PYTHON)


def compare(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    argnums: int | Sequence[int],
    modes: Sequence[str],
    richardson: bool,
    timing: float,
    limits: Limits | None,
    spelling: Spelling,
) -> Report:
    """`check`, with SymPy's limits given (None: SymPy left out), and the reasons that
    name a setting written as `spelling` writes them (the keywords of `check`, or the
    options of `adc check`)."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    report = Report(getattr(f, "__name__", "f"))
    derivatives = {mode: grad(f, argnums=nums, mode=mode) for mode in modes}
    emitted = {mode: d(*args) for mode, d in derivatives.items()}
    sympy = _symbolic(f, args, nums, limits, spelling)

    for position, k in enumerate(nums):
        reference = np.asarray(emitted[modes[0]][position], dtype=float)
        rows = [Row(f"emitted ({mode})", emitted[mode][position]) for mode in modes]
        rows.append(Row("numeric", numeric.gradient(f, args, k, richardson=richardson)))
        try:
            rows.append(Row("complex step", numeric.complex_step_gradient(f, args, k)))
        except numeric.ComplexStepUnsupported as err:
            rows.append(Row("complex step", reason=str(err)))
        rows.append(sympy.row(position))
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
        derivative = sympy.derivative
        report.times["symbolic"] = per_call(lambda: derivative.evaluate(*args), timing) if derivative else None
    version = derivatives[modes[0]]._version()
    report.sizes[f"emitted ({modes[0]})"] = sum(1 for _ in walk_ops(version.ir.body))
    report.sizes.update(sympy.sizes)
    return report


@dataclass
class _SymPy:
    """SymPy's part of a report: its derivative and the values at the point, or why not;
    and its sizes (or why not)."""

    derivative: SymbolicDerivative | None = None
    values: list[Any] | None = None
    reason: str | None = None
    skipped: bool = False
    sizes: dict[str, int | str] = field(default_factory=dict)

    def row(self, position: int) -> Row:
        if self.values is None:
            return Row("symbolic", reason=self.reason, skipped=self.skipped)
        return Row("symbolic", self.values[position])


def _symbolic(f: Callable[..., Any], args: Sequence[Any], nums: tuple[int, ...], limits: Limits | None,
              spelling: Spelling) -> _SymPy:
    """SymPy's derivative, its values at `args` and its sizes, within `limits` (one clock
    for the three)."""
    see = "(see the symbolic row)"
    if limits is None:
        return _SymPy(reason=spelling.setting("symbolic", False), skipped=True,
                      sizes={"SymPy derivative": f"skipped {see}"})
    budget = Budget(limits, spelling)
    try:
        derivative = symbolic_derivative(f, args, nums, budget)
        values = derivative.evaluate(*args)
    except NoSymbolicBaseline as err:
        return _SymPy(reason=str(err), sizes={"SymPy derivative": f"no symbolic baseline {see}"})
    except LimitReached as err:
        return _SymPy(reason=str(err), skipped=True, sizes={"SymPy derivative": f"skipped {see}"})
    outcome = _SymPy(derivative, values)
    try:
        outcome.sizes["SymPy derivative"] = derivative.size(budget=budget)
        outcome.sizes["SymPy derivative, cse"] = derivative.size(cse=True, budget=budget)
    except LimitReached as err:
        outcome.sizes["SymPy derivative, cse" if outcome.sizes else "SymPy derivative"] = f"skipped: {err}"
    return outcome


def _compare(row: Row, reference: np.ndarray) -> None:
    value = np.asarray(row.value, dtype=float)
    if value.shape != reference.shape:
        row.ok = False
        return
    difference = np.abs(value - reference)
    if difference.ndim:
        row.worst = _largest(difference)
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


def _largest(difference: np.ndarray) -> list[tuple[int, ...]]:
    """Positions of the `POSITIONS` largest nonzero entries (NaN first), largest first."""
    ranked = np.where(np.isnan(difference), np.inf, difference).ravel()
    order = np.argsort(-ranked, kind="stable")[:POSITIONS]
    return [tuple(int(i) for i in np.unravel_index(k, difference.shape)) for k in order if ranked[k] > 0]


def _value(value: Any) -> str:
    """A number as it is; an array by its kind (`float[64,8]`): its entries are on the row."""
    if np.ndim(value) == 0:
        return np.array2string(np.asarray(value), precision=10)
    return str(kind_of(np.asarray(value)))


def _positions(worst: list[tuple[int, ...]]) -> str:
    return " ".join("[" + ",".join(map(str, p)) + "]" for p in worst)


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:.1e}"


def _time(t: float | None) -> str:
    if t is None:
        return "n/a"
    return f"{t * 1e6:.2f} us" if t < 1e-3 else f"{t * 1e3:.3f} ms"


def _table(rows: list[tuple[str, Row]]) -> list[str]:
    """The rows as columns: argument, method, value, errors, verdict and, when an argument
    is an array, where its largest differences are. A row without a value shows its
    reason from the value column on, wrapped."""
    arrays = any(row.reason is None and np.ndim(row.value) > 0 for _, row in rows)
    header = ("argument", "method", "value", "max abs err", "max rel err", "") + (("largest errors at",) if arrays else ())
    cells = [header]
    for arg, row in rows:
        if row.reason is not None:
            cells.append((arg, row.method))
            continue
        verdict = "" if row.ok is None else ("ok" if row.ok else "DISAGREES")
        cells.append((arg, row.method, _value(row.value), _number(row.abs_error), _number(row.rel_error), verdict)
                     + ((_positions(row.worst),) if arrays else ()))
    widths = [max(len(c[i]) for c in cells if len(c) > i) for i in range(len(header) - 1)]
    lines = []
    for cell, row in zip(cells, [None] + [row for _, row in rows]):
        prefix = "".join(c.ljust(w) + "  " for c, w in zip(cell, widths))  # all but the last column
        if row is None or row.reason is None:
            lines += _wrapped(prefix, cell[-1])
        elif row.skipped:
            lines += _wrapped(prefix, f"skipped: {row.reason}")
        else:
            lines += _wrapped(prefix, f"no {row.method} baseline: {row.reason}")
    return lines


def _wrapped(prefix: str, text: str) -> list[str]:
    """`prefix + text` as lines of at most `WIDTH` characters, `text` wrapped at spaces
    under its first column (or under a short indent when the prefix leaves no room)."""
    if len(prefix) + len(text) <= WIDTH:
        return [(prefix + text).rstrip()]
    indent = len(prefix) if WIDTH - len(prefix) >= 24 else 4
    pieces = textwrap.wrap(text, WIDTH - indent, break_on_hyphens=False)
    first = [prefix + pieces.pop(0)] if indent == len(prefix) else [prefix.rstrip()]
    return first + [" " * indent + piece for piece in pieces]
