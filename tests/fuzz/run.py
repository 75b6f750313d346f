"""A fuzzing run: programs examined in worker processes, then one program per failure
class shrunk to a reproduction."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import shrink
from .grammar import generate
from .oracle import TIMEOUT, Failure, Modules, Outcome, checks_for, examine, failure_of
from .summary import Tally


@dataclass(frozen=True)
class Settings:
    seed: int = 0
    second_order: float = 0.3
    """The fraction of scalar programs also checked to second order."""
    timeout: float = TIMEOUT
    shrink_budget: float = 90.0
    """Seconds spent shrinking one failure."""


@dataclass(frozen=True)
class Job:
    """One failure to shrink."""

    outcome: Outcome
    failure: Failure


@dataclass(frozen=True)
class Reproduction:
    klass: str
    kind: str
    count: int
    text: str
    lines: int


class Worker:
    """What a worker process runs. It holds only settings and a folder, so it pickles
    cheaply with each task; each process writes its programs into a folder of its own."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        self.settings = settings
        self.folder = folder

    def _modules(self, prefix: str) -> Modules:
        own = self.folder / f"p{os.getpid()}"
        own.mkdir(parents=True, exist_ok=True)
        return Modules(own, prefix)

    def examine(self, number: int) -> Outcome:
        s = self.settings
        return examine(generate(s.seed, number), self._modules(f"p{number}"), s.second_order, s.timeout)

    def shrink(self, job: Job) -> tuple[str, tuple, int]:
        outcome, failure = job.outcome, job.failure
        program = generate(outcome.seed, outcome.number)
        first = checks_for(program, True)[0]
        smooth = failure.kind == "wrong value"
        modules = self._modules(f"s{outcome.number}")

        def fails(source: str, args: tuple) -> bool:
            found = failure_of(source, args, failure.check, outcome.check_seed, modules, first=first,
                               smooth=smooth, timeout=min(self.settings.timeout, 30.0))
            return found == failure.klass

        if not fails(outcome.source, outcome.args):  # flaky (a timeout): keep the program whole
            return outcome.source, outcome.args, 1
        return shrink.shrink(outcome.source, outcome.args, fails, self.settings.shrink_budget)


@contextmanager
def pool(jobs: int) -> Iterator[Callable]:
    """`imap(function, items)`: in `jobs` worker processes, or in this one for a single job."""
    if jobs <= 1:
        yield map
        return
    with get_context("fork").Pool(jobs, maxtasksperchild=40) as workers:
        yield lambda function, items: workers.imap_unordered(function, items, chunksize=2)


@contextmanager
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="adc-fuzz-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def campaign(numbers: Iterable[int], settings: Settings, jobs: int,
             report: Callable[[Tally, float], None] | None = None) -> Tally:
    """Examine programs `numbers`; `report(tally, elapsed)` is called after each."""
    tally, start = Tally(), time.monotonic()
    with scratch() as folder, pool(jobs) as imap:
        for outcome in imap(Worker(settings, folder).examine, list(numbers)):
            tally.add(outcome)
            if report is not None:
                report(tally, time.monotonic() - start)
    return tally


def reproduce_all(tally: Tally, settings: Settings, jobs: int, kinds: Iterable[str]) -> list[Reproduction]:
    """A shrunk reproduction of each failure class of `kinds` (its first program), most
    frequent class first."""
    classes = [k for k, _ in tally.classes.most_common() if tally.kinds[k] in set(kinds)]
    jobs_ = [Job(*tally.first[k]) for k in classes]
    out = []
    with scratch() as folder, pool(jobs) as imap:
        worker = Worker(settings, folder)
        for job, (source, args, tried) in zip(jobs_, _ordered(imap, worker.shrink, jobs_)):
            outcome, failure = job.outcome, job.failure
            origin = (f"Found by `python -m tests.fuzz --seed {outcome.seed} --only {outcome.number}`; "
                      f"shrunk from {outcome.source.count(chr(10))} to {source.count(chr(10))} lines "
                      f"({tried} candidates tried).")
            text = shrink.reproduction(source, args, failure.check, outcome.check_seed, failure.klass,
                                       failure.summary, origin)
            out.append(Reproduction(failure.klass, failure.kind, tally.classes[failure.klass], text,
                                    source.count("\n")))
    return out


def _ordered(imap: Callable, function: Callable, items: list) -> list:
    """Results in the order of `items` from an unordered map."""
    indexed = list(imap(_Indexed(function), list(enumerate(items))))
    return [result for _, result in sorted(indexed, key=lambda pair: pair[0])]


class _Indexed:
    def __init__(self, function: Callable) -> None:
        self.function = function

    def __call__(self, pair: tuple) -> tuple:
        index, item = pair
        return index, self.function(item)


def slug(klass: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", klass.lower()).strip("-")[:80]


def write(reproductions: list[Reproduction], folder: Path, by_class: bool) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, r in enumerate(reproductions, 1):
        path = folder / (f"{slug(r.klass)}.py" if by_class else f"{index:04d}.py")
        path.write_text(r.text)
        paths.append(path)
    return paths
