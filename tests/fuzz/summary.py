"""Counting outcomes: the progress line and the final report of a run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .oracle import Failure, Outcome

BUGS = ("internal error", "wrong value", "wrong effects", "timeout")
"""Failure kinds that are bugs. A refusal by a later check (after the first compiled)
is counted apart: a limitation, unless the documentation says the construct works."""


@dataclass
class Tally:
    programs: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    status: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)
    invalid: Counter = field(default_factory=Counter)
    classes: Counter = field(default_factory=Counter)
    kinds: dict[str, str] = field(default_factory=dict)
    first: dict[str, tuple[Outcome, Failure]] = field(default_factory=dict)
    """The first program (by number) failing each class, with the failure."""
    passed: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    rules: Counter = field(default_factory=Counter)
    rules_refused: Counter = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        self.programs += 1
        self.seconds += outcome.seconds
        self.cpu += outcome.cpu
        self.status[outcome.status] += 1
        if outcome.status == "refused":
            self.refusals[outcome.reason] += 1
        if outcome.status == "invalid":
            self.invalid[outcome.reason] += 1
        self.rules.update(outcome.rules)
        if outcome.status == "refused":
            self.rules_refused.update(outcome.rules)
        self.passed.update(outcome.passed)
        self.skipped.update(outcome.skipped)
        for failure in outcome.failures:
            self.failed[failure.check] += 1
            self.classes[failure.klass] += 1
            self.kinds[failure.klass] = failure.kind
            known = self.first.get(failure.klass)
            if known is None or known[0].number > outcome.number:
                self.first[failure.klass] = (outcome, failure)

    def bugs(self) -> int:
        return sum(n for k, n in self.classes.items() if self.kinds[k] in BUGS)

    def checked_fraction(self) -> float:
        return self.status["checked"] / max(self.programs, 1)

    def progress(self, total: int, elapsed: float) -> str:
        rate = self.programs / max(elapsed, 1e-9)
        return (f"[{self.programs}/{total}] {rate:.1f} programs/s, checked {100 * self.checked_fraction():.0f}%, "
                f"refused {self.status['refused']}, bugs {self.bugs()} in "
                f"{sum(1 for k in self.classes if self.kinds[k] in BUGS)} classes")

    def report(self, elapsed: float, jobs: int) -> str:
        n = max(self.programs, 1)
        lines = [
            f"programs generated: {self.programs} in {elapsed:.0f} s with {jobs} job(s): "
            f"{self.programs / max(elapsed, 1e-9):.2f} programs/s ({self.seconds / n:.2f} s per program in a job, "
            f"{self.cpu / n:.2f} s of processor time)",
            f"compiled and checked: {self.status['checked']} ({100 * self.status['checked'] / n:.1f}%)",
            f"refused with CompileError: {self.status['refused']} ({100 * self.status['refused'] / n:.1f}%)",
            f"not smooth (skipped): {self.status['not smooth']}",
            f"invalid programs (a fault of the generator): {self.status['invalid']}",
        ]
        sections = [("refused by the first check, by message", self.refusals),
                    ("invalid programs, by reason", self.invalid)]
        for kind, title in (("internal error", "internal errors"), ("wrong value", "wrong values"),
                            ("wrong effects", "wrong effects"), ("timeout", "timeouts"),
                            ("refused", "refused by a later check (the first compiled)")):
            sections.append((f"{title}, by class", Counter({k: v for k, v in self.classes.items()
                                                            if self.kinds[k] == kind})))
        for title, counter in sections:
            if counter:
                lines += ["", title + ":"] + [f"  {count:6d}  {name}" for name, count in counter.most_common()]
        lines += ["", "checks, by mode (passed / failed / skipped as not smooth):"]
        for mode in sorted(set(self.passed) | set(self.failed) | set(self.skipped)):
            lines.append(f"  {mode:21s} {self.passed[mode]:6d} {self.failed[mode]:6d} {self.skipped[mode]:6d}")
        lines += ["", "constructs (programs using it / of them refused):"]
        lines += [f"  {rule:14s} {count:6d} {self.rules_refused[rule]:6d}" for rule, count in sorted(self.rules.items())]
        return "\n".join(lines)
