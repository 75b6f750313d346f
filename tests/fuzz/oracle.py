"""One program through every check: load it and its twin, find a point where it is
smooth, run the checks, and name what went wrong.

A refusal (`CompileError`) by the first check is the program's outcome, not a bug. After
that, any exception (a later mode refusing what the first compiled, an error inside the
compiler or inside emitted code), a wrong value and a wrong effect count is a failure,
named by its *class*: what the shrinker preserves and the summary counts.
"""

from __future__ import annotations

import importlib.util
import itertools
import linecache
import random
import re
import signal
import time
import traceback
import warnings
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ad_compiler.errors import CompileError

from . import checks
from .grammar import Program
from .instrument import SINGULAR, TRACE, instrument
from .scope import SCALAR

TIMEOUT = 60.0
"""Seconds one check may take (compiling included) before it counts as a failure."""
PRIMAL_TIMEOUT = 5.0
"""Seconds a shrinking candidate may run as plain Python (a loop may no longer stop)."""
POINT_TRIES = 5
LARGE = 1e8
"""A point where the program's value is larger is skipped: its differences are noise."""


class Timeout(BaseException):
    """A deadline passed (a BaseException, so that no `except Exception` swallows it)."""


class InvalidProgram(Exception):
    """The program or its twin misbehaves as plain Python: a fault of the generator."""


@dataclass
class Failure:
    check: str
    kind: str
    """'internal error', 'wrong value', 'wrong effects', 'refused' (by a later check) or 'timeout'."""
    klass: str
    detail: str
    """The message, or for an internal error the end of the traceback."""

    @property
    def summary(self) -> str:
        """What went wrong, in a line: for an internal error the exception's own line."""
        lines = [line for line in self.detail.strip().splitlines() if line.strip()]
        if self.kind == "internal error":
            name = self.klass.split(" ", 1)[0]
            return next((line for line in lines if line.startswith(name + ":") or f".{name}:" in line), lines[-1])
        return lines[0] if lines else ""


@dataclass
class Outcome:
    seed: int
    number: int
    status: str
    """'checked', 'refused', 'not smooth' or 'invalid'."""
    source: str
    reason: str = ""
    """The refusal's class, or why the program is invalid or was skipped."""
    args: tuple = ()
    check_seed: int = 0
    passed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    rules: tuple[str, ...] = ()
    seconds: float = 0.0
    cpu: float = 0.0
    """Seconds of processor time (with other work on the machine, `seconds` grows, this does not)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise Timeout in the block after `seconds` (main thread only, as signals are)."""

    def expire(signum: int, frame: Any) -> None:
        raise Timeout(f"more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Modules:
    """Programs written to files in `folder` and imported (the compiler reads source from
    files); each load gets a new file name, so no cached source is ever stale."""

    def __init__(self, folder: Path, prefix: str = "fuzz") -> None:
        self.folder = folder
        self.prefix = prefix
        self._count = itertools.count()

    @contextmanager
    def loaded(self, source: str, *, twin: bool = True) -> Iterator[tuple[Callable, Callable | None]]:
        paths = []
        try:
            functions = []
            for text in (source, instrument(source)) if twin else (source,):
                path = self.folder / f"{self.prefix}_{next(self._count)}.py"
                path.write_text(text)
                paths.append(path)
                spec = importlib.util.spec_from_file_location(path.stem, path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                functions.append(module.f)
            yield functions[0], functions[1] if twin else None
        finally:
            for path in paths:
                path.unlink(missing_ok=True)
                linecache.cache.pop(str(path), None)


def normalize(message: str) -> str:
    """A message's first line without what varies between instances of one failure:
    the location prefix, names in quotes, numbers."""
    line = message.strip().splitlines()[0] if message.strip() else ""
    line = re.sub(r"^.*?:\d+:\d+: error: ", "", line)
    line = re.sub(r"'[^']*'", "'…'", line)
    line = re.sub(r"`[^`]*`", "`…`", line)
    line = re.sub(r"'…'(, '…')+", "'…'", line)
    line = re.sub(r"%\S+", "%…", line)
    line = re.sub(r" \(line \d+\)", "", line)
    line = re.sub(r"\d+", "N", line)
    return re.sub(r"\s+", " ", line)[:110]


def _where(tb: Any) -> str:
    """The innermost frame in the compiler (module.function) or in emitted code."""
    place = ""
    for frame in traceback.extract_tb(tb):
        if "<ad_compiler" in frame.filename:
            place = "emitted code"
        elif "/ad_compiler/" in frame.filename:
            module = frame.filename.split("/ad_compiler/", 1)[1].removesuffix(".py").replace("/", ".")
            place = f"{module}.{frame.name}"
    return place


def classify(check: str, error: BaseException) -> Failure:
    if isinstance(error, checks.WrongValue):
        suffix = "" if error.finite else " (not finite)"
        return Failure(check, "wrong value", f"wrong value in {error.what or check}{suffix}", str(error))
    if isinstance(error, checks.WrongEffects):
        return Failure(check, "wrong effects", f"wrong effects in {check}", str(error))
    if isinstance(error, Timeout):
        return Failure(check, "timeout", f"timeout in {check}", str(error))
    if isinstance(error, CompileError):
        return Failure(check, "refused", f"refused in {check}: {type(error).__name__}: {normalize(str(error))}",
                       str(error))
    where = _where(error.__traceback__)
    klass = f"{type(error).__name__} in {check}" + (f" at {where}" if where else "") + f": {normalize(str(error))}"
    tail = "".join(traceback.format_exception(type(error), error, error.__traceback__)[-6:])
    return Failure(check, "internal error", klass, tail)


def attempt(check: str, f: Callable, args: tuple, seed: int, timeout: float = TIMEOUT) -> Failure | str | None:
    """Run one check: None if it passed, 'skipped' if the point is not smooth enough for
    it, else the Failure. It runs on copies of `args` (a wrong derivative may write into
    them; the check reports that)."""
    args = tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args)
    try:
        with deadline(timeout):
            checks.run_check(check, f, args, seed)
    except (checks.NotSmooth, checks.NotApplicable):
        return "skipped"
    except (Exception, Timeout) as error:  # noqa: BLE001 - every exception is classified
        return classify(check, error)
    return None


def traced(twin: Callable, args: tuple) -> tuple[Any, list]:
    trace = twin.__globals__[TRACE]
    del trace[:]
    value = twin(*args)
    return value, list(trace)


def neighbours(args: tuple) -> Iterator[tuple]:
    """Points a little beyond the farthest any difference quotient reaches, along each axis."""
    x = checks.flat(args)
    for k in range(x.size):
        for sign in (1.0, -1.0):
            y = x.copy()
            y[k] += sign * 4 * checks.QUARTIC_EPS * max(1.0, abs(x[k]))
            yield checks.unflat(y, args)


def value_at(f: Callable, args: tuple) -> np.ndarray:
    """f(*args), checked to be a function: the same value and effects twice, the
    arguments unchanged. Raises InvalidProgram if not, or if f raises."""
    copies = [np.copy(a) for a in args]
    try:
        value, log, lines = checks.run_with_effects(f, lambda: f(*args))
        again, log2, lines2 = checks.run_with_effects(f, lambda: f(*args))
    except Exception as error:  # noqa: BLE001 - the generator wrote a faulty program
        raise InvalidProgram(f"{type(error).__name__}: {normalize(str(error))}") from error
    if not all(np.array_equal(a, c) for a, c in zip(args, copies)):
        raise InvalidProgram("the program writes into its arguments")
    value, again = np.asarray(value, dtype=float), np.asarray(again, dtype=float)
    if not np.array_equal(value, again, equal_nan=True) or lines != lines2 or not np.array_equal(log, log2):
        raise InvalidProgram("the program returns or logs different values for the same arguments")
    return value


def smooth_at(f: Callable, twin: Callable, args: tuple) -> bool:
    """Whether the program is smooth around `args`: its value finite and not huge, and
    its twin's trace the same at every neighbour. Raises InvalidProgram if the program
    is not a function or misbehaves (`value_at`), or if its twin disagrees with it."""
    value = value_at(f, args)
    try:
        twin_value, trace = traced(twin, args)
    except Exception as error:  # noqa: BLE001 - the instrumentation broke the program
        raise InvalidProgram(f"twin: {type(error).__name__}: {normalize(str(error))}") from error
    if not np.all(np.isfinite(value)) or np.max(np.abs(value), initial=0.0) > LARGE:
        return False
    if not np.array_equal(value, np.asarray(twin_value, dtype=float)):
        raise InvalidProgram("the twin computes another value")
    if any(key == SINGULAR for _, key in trace):
        return False
    for point in neighbours(args):
        try:
            if traced(twin, point)[1] != trace:
                return False
        except Exception:  # noqa: BLE001 - a neighbour outside the domain: not smooth here
            return False
    return True


def choose_point(f: Callable, twin: Callable, shapes: list[tuple], rng: np.random.Generator) -> tuple | None:
    for _ in range(POINT_TRIES):
        args = tuple(float(rng.uniform(-1, 1)) if not shape else rng.uniform(-1, 1, shape) for shape in shapes)
        if smooth_at(f, twin, args):
            return args
    return None


def checks_for(program: Program, second_order: bool, backends: bool = False) -> tuple[str, ...]:
    if program.ret != SCALAR:
        return checks.ARRAY_CHECKS
    scalar = checks.SCALAR_CHECKS + (checks.LOOP_CHECKS if re.search(r"\bfor \w+ in range\(", program.source) else ())
    scalar += checks.BACKEND_CHECKS if backends else ()
    if not second_order:
        return scalar
    extra = ("grad of grad",) if program.params[0][1] == () else ()
    return scalar + ("hessian", "hvp") + extra


def second_order_for(seed: int, number: int, fraction: float, what: str = "second") -> bool:
    """Whether program `number` is among the `fraction` chosen for `what` (second order,
    or "backends": numba's and array-api's)."""
    return random.Random(f"{seed}:{number}:{what}").random() < fraction


def check_seed(seed: int, number: int) -> int:
    return zlib.crc32(f"{seed}:{number}".encode())


@contextmanager
def quiet() -> Iterator[None]:
    """No warnings from programs, emitted code or NumPy (overflow in a program is expected
    and judged by the checks)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def examine(program: Program, modules: Modules, second_order: float = 0.3, timeout: float = TIMEOUT,
            backends: float = 0.0) -> Outcome:
    """Every check of `program`, at a smooth point; `backends` is the fraction of scalar
    programs also checked on the numba and array-api backends."""
    with quiet():
        return _examine(program, modules, second_order, timeout, backends)


def _examine(program: Program, modules: Modules, second_order: float, timeout: float, backends: float) -> Outcome:
    start, cpu = time.perf_counter(), time.process_time()
    out = Outcome(program.seed, program.number, "checked", program.source, rules=program.rules,
                  check_seed=check_seed(program.seed, program.number))
    rng = np.random.default_rng([program.seed, program.number])
    with modules.loaded(program.source) as (f, twin):
        try:
            with deadline(timeout):
                args = choose_point(f, twin, [shape for _, shape in program.params], rng)
        except (InvalidProgram, Timeout) as error:
            out.status, out.reason = "invalid", str(error)
            args = None
        if args is None and out.status != "invalid":
            out.status, out.reason = "not smooth", "no smooth point found"
        if args is not None:
            out.args = args
            names = checks_for(program, second_order_for(program.seed, program.number, second_order),
                               second_order_for(program.seed, program.number, backends, "backends"))
            for index, name in enumerate(names):
                result = attempt(name, f, args, out.check_seed, timeout)
                if isinstance(result, Failure) and result.kind == "refused" and index == 0:
                    out.status, out.reason = "refused", result.klass.split(": ", 1)[1]
                    break
                if result == "skipped":
                    out.skipped.append(name)
                elif result is None:
                    out.passed.append(name)
                else:
                    out.failures.append(result)
            if len(out.skipped) == len(names):
                out.status, out.reason = "not smooth", "central differences disagree"
    out.seconds, out.cpu = time.perf_counter() - start, time.process_time() - cpu
    return out


def failure_of(source: str, args: tuple, check: str, seed: int, modules: Modules, *,
               first: str | None = None, smooth: bool = False, timeout: float = 20.0) -> Failure | None:
    """The failure `check` meets on `source` at `args`, if any: the shrinker asks for
    its class of each candidate. The program must run as plain Python there; with
    `smooth`, it must be smooth there too; with `first`, that check must not refuse it
    (a later refusal is only a failure when the first check compiles). It runs on copies
    of `args`: a candidate may write into them."""
    args = tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args)
    try:
        with quiet(), modules.loaded(source, twin=smooth) as (f, twin):
            with deadline(PRIMAL_TIMEOUT):
                if smooth and not smooth_at(f, twin, args):
                    return None
                if not np.all(np.isfinite(value_at(f, args))):
                    return None
            if first is not None and first != check:
                found = attempt(first, f, args, seed, timeout)
                if isinstance(found, Failure) and found.kind == "refused":
                    return None
            found = attempt(check, f, args, seed, timeout)
            return found if isinstance(found, Failure) else None
    except (Exception, Timeout):  # noqa: BLE001 - a candidate that does not even run
        return None
