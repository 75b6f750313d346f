"""A fuzzing run: programs examined in worker processes, then one program per failure
class shrunk to a reproduction."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable, Iterator

import ad_compiler

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
    backends: float = 0.0
    """The fraction of scalar programs also checked on the numba and array-api backends."""


@dataclass(frozen=True)
class Job:
    """One failure to shrink."""

    outcome: Outcome
    failure: Failure


@dataclass(frozen=True)
class Shrunk:
    source: str
    args: tuple
    tried: int
    """Candidates tried."""
    failure: Failure
    """As the shrunk program fails."""


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
        try:
            program = generate(s.seed, number)
        except Exception as error:  # noqa: BLE001 - a fault of the generator, counted, not fatal to the run
            return Outcome(s.seed, number, "invalid", "", f"the generator raised {type(error).__name__}: {error}")
        return examine(program, self._modules(f"p{number}"), s.second_order, s.timeout, s.backends)

    def _failure(self, job: Job, modules: Modules) -> Callable[[str, tuple], Failure | None]:
        outcome, failure = job.outcome, job.failure
        first = checks_for(generate(outcome.seed, outcome.number), True)[0]

        def found(source: str, args: tuple) -> Failure | None:
            return failure_of(source, args, failure.check, outcome.check_seed, modules, first=first,
                              smooth=failure.kind == "wrong value", timeout=min(self.settings.timeout, 30.0))

        return found

    def shrink(self, group: list[Job]) -> list[Shrunk]:
        """Shrink the failures of one program. One bug often fails several checks: a
        later class starts from a program shrunk for an earlier one where that fails its
        way too, with less time."""
        modules = self._modules(f"s{group[0].outcome.number}")
        done: list[tuple[str, tuple]] = []
        out = []
        for job in group:
            found = self._failure(job, modules)

            def fails(source: str, args: tuple) -> bool:
                failure = found(source, args)
                return failure is not None and failure.klass == job.failure.klass

            start = next(((s, a) for s, a in done if fails(s, a)), None)
            budget = self.settings.shrink_budget / 4
            if start is None:
                start, budget = (job.outcome.source, job.outcome.args), self.settings.shrink_budget
                if not fails(*start):  # flaky (a timeout): keep the program whole
                    out.append(Shrunk(*start, 1, job.failure))
                    continue
            source, args, tried = shrink.shrink(*start, fails, budget)
            out.append(Shrunk(source, args, tried, found(source, args) or job.failure))
            done.append((source, args))
        return out


def load_compiler() -> None:
    """Import every module of ad_compiler now, so that workers forked later all run this
    version, even while the files change on disk (a run takes minutes)."""
    for module in pkgutil.walk_packages(ad_compiler.__path__, "ad_compiler."):
        importlib.import_module(module.name)


@contextmanager
def pool(jobs: int) -> Iterator[Callable]:
    """`imap(function, items)`: in `jobs` worker processes, or in this one for a single job."""
    load_compiler()
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
    groups: dict[int, list[Job]] = {}
    for k in classes:
        job = Job(*tally.first[k])
        groups.setdefault(job.outcome.number, []).append(job)
    shrunk: dict[str, Shrunk] = {}
    with scratch() as folder, pool(jobs) as imap:
        results = _ordered(imap, Worker(settings, folder).shrink, list(groups.values()))
    for group, result in zip(groups.values(), results):
        shrunk.update({job.failure.klass: r for job, r in zip(group, result)})
    out = []
    for k in classes:
        outcome, s = tally.first[k][0], shrunk[k]
        origin = (f"Found by `python -m tests.fuzz --seed {outcome.seed} --only {outcome.number}`; "
                  f"shrunk from {outcome.source.count(chr(10))} to {s.source.count(chr(10))} lines "
                  f"({s.tried} candidates tried).")
        text = shrink.reproduction(s.source, s.args, s.failure.check, outcome.check_seed, k, s.failure.summary,
                                   origin)
        out.append(Reproduction(k, s.failure.kind, tally.classes[k], text, s.source.count("\n")))
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
    paths: list[Path] = []
    for index, r in enumerate(reproductions, 1):
        name = slug(r.klass) if by_class else f"{index:04d}"
        if folder / f"{name}.py" in paths:  # classes alike in their first 80 characters
            name += f"-{index}"
        paths.append(folder / f"{name}.py")
        paths[-1].write_text(r.text)
    return paths
