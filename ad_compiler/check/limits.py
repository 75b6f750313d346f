"""How far the symbolic baseline may go before it gives up, with a reason.

SymPy's expressions are trees, walked copy by copy: the derivative of a small MLP reaches
millions of operations and takes minutes, with nothing printed. So the baseline counts as
it builds, against two limits:

- **operations**: the size of each expression it builds, the function's and then the
  derivative's (all entries together), counted as `sympy.count_ops` counts a tree (an
  array counts every entry; a subexpression used twice counts twice);
- **seconds**: wall-clock time since the baseline started, read between steps (an
  operation on one entry, the derivative of one entry, the compilation of one entry).

Both are read cooperatively, in the caller's thread: no timer thread, no signal handler,
nothing left behind in the user's process. A step is bounded by the operations limit, so
the time limit is overshot by one step at most. The reason names the setting that raises
the limit as the caller writes it (`Spelling`): a keyword of `check` or an option of
`adc check`.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass
from typing import Any, Callable

DEFAULT_OPERATIONS = 20_000
DEFAULT_SECONDS = 3.0


class LimitReached(Exception):
    """The symbolic baseline gave up at a limit (the message says which, and how to raise it)."""


@dataclass(frozen=True)
class Spelling:
    """How the user sets the limits, so that a reason can say what to write: the keywords
    of `check` or the options of `adc check`."""

    command_line: bool = False

    def setting(self, keyword: str, value: Any) -> str:
        """`symbolic_limit=None` for Python, `--symbolic-limit none` for the command line."""
        if not self.command_line:
            return f"{keyword}={value!r}"
        option = "--" + keyword.replace("_", "-")
        if value is False:
            return option.replace("--", "--no-", 1)
        return f"{option} {'none' if value is None else format(value, 'g')}"


PYTHON = Spelling(command_line=False)
COMMAND_LINE = Spelling(command_line=True)


@dataclass(frozen=True)
class Limits:
    """The limits, as set by `check(..., symbolic_limit=, symbolic_seconds=)` (None: no limit)."""

    operations: int | None = DEFAULT_OPERATIONS
    seconds: float | None = DEFAULT_SECONDS

    def __post_init__(self) -> None:
        operations, seconds = self.operations, self.seconds
        if operations is not None and (isinstance(operations, bool) or not isinstance(operations, numbers.Integral)
                                       or operations < 0):
            raise ValueError(f"symbolic_limit={operations!r}: give a number of operations (an int >= 0), "
                             "or None for no limit")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, numbers.Real)
                                    or not seconds >= 0):
            raise ValueError(f"symbolic_seconds={seconds!r}: give a number of seconds (>= 0), or None for no limit")


class Budget:
    """The limits applied to one run of the baseline (the clock starts at construction);
    a limit reached says how to raise it, as `spelling` writes settings."""

    def __init__(self, limits: Limits, spelling: Spelling = PYTHON,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.limits = limits
        self.spelling = spelling
        self._clock = clock
        self._start = clock()

    def size(self, what: str, operations: int) -> None:
        """Give up if `what` (an expression) has more operations than the limit."""
        limit = self.limits.operations
        if limit is not None and operations > limit:
            setting = self.spelling.setting
            raise LimitReached(
                f"{what} passed {limit:,} operations (limit {setting('symbolic_limit', limit)}; "
                f"raise it, or {setting('symbolic_limit', None)} for no limit)"
            )

    def tick(self, doing: str) -> None:
        """Give up if the time is over; `doing` says where the baseline stopped."""
        seconds = self.limits.seconds
        if seconds is not None and self._clock() - self._start > seconds:
            setting = self.spelling.setting
            raise LimitReached(
                f"SymPy took more than {seconds:g} s, stopped {doing} (limit {setting('symbolic_seconds', seconds)}; "
                f"raise it, or {setting('symbolic_seconds', None)} for no limit)"
            )


UNLIMITED = Limits(operations=None, seconds=None)
