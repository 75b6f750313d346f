"""The command line: `python -m tests.fuzz --n 10000 --seed 0 --jobs 2 --out fuzz-failures/`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .oracle import Modules, examine
from .grammar import generate
from .run import Settings, campaign, reproduce_all, scratch, write
from .summary import BUGS, Tally


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    p.add_argument("--n", type=int, default=1000, help="programs to generate (default 1000)")
    p.add_argument("--start", type=int, default=0, help="number of the first program (default 0)")
    p.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--out", type=Path, default=Path("fuzz-failures"), help="where reproductions go")
    p.add_argument("--only", type=int, help="examine program ONLY alone, print it and every check")
    p.add_argument("--second-order", type=float, default=0.3,
                   help="fraction of scalar programs also checked by hessian, hvp, grad of grad (default 0.3)")
    p.add_argument("--backends", type=float, default=0.0,
                   help="fraction of scalar programs also checked on the numba and array-api backends (default "
                        "0; numba compiles each for seconds)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per check before a timeout (default 60)")
    p.add_argument("--shrink-budget", type=float, default=90.0, help="seconds to shrink each failure (default 90)")
    p.add_argument("--no-shrink", action="store_true", help="count failures, write no reproductions")
    p.add_argument("--refusals", action="store_true",
                   help="also write reproductions of refusals by a later check")
    p.add_argument("--by-class", action="store_true", help="name reproductions by failure class, not by number")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p.parse_args(argv)


def only(args: argparse.Namespace, settings: Settings) -> int:
    program = generate(args.seed, args.only)
    print(program.source)
    with scratch() as folder:
        outcome = examine(program, Modules(folder), settings.second_order, settings.timeout, settings.backends)
    print(f"# status: {outcome.status} {outcome.reason}".rstrip())
    print(f"# point: {outcome.args}")
    for name in outcome.passed:
        print(f"# passed:  {name}")
    for name in outcome.skipped:
        print(f"# skipped: {name} (not smooth)")
    for failure in outcome.failures:
        print(f"# FAILED:  {failure.klass}\n{failure.detail}")
    tally = Tally()
    tally.add(outcome)
    return finish(tally, args, settings, jobs=1)


def finish(tally: Tally, args: argparse.Namespace, settings: Settings, jobs: int) -> int:
    """Shrink and write reproductions; the exit status: 1 if any bug was found."""
    kinds = BUGS + (("refused",) if args.refusals else ())
    if not args.no_shrink and any(tally.kinds[k] in kinds for k in tally.classes):
        print(f"shrinking {sum(1 for k in tally.classes if tally.kinds[k] in kinds)} failure classes ...", flush=True)
        reproductions = reproduce_all(tally, settings, jobs, kinds)
        paths = write(reproductions, args.out, args.by_class)
        index = [f"{p.name}  {r.count:6d}  {r.lines:3d} lines  {r.klass}" for p, r in zip(paths, reproductions)]
        (args.out / "index.txt").write_text("\n".join(index) + "\n")
        print("reproductions (file, programs failing so, lines, class):")
        print("\n".join("  " + str(args.out / line) for line in index))
    return 1 if tally.bugs() else 0


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    settings = Settings(args.seed, args.second_order, args.timeout, args.shrink_budget, args.backends)
    if args.only is not None:
        return only(args, settings)
    numbers = range(args.start, args.start + args.n)
    last = [0.0]

    def report(tally: Tally, elapsed: float) -> None:
        if not args.quiet and (elapsed - last[0] > 10 or tally.programs == args.n):
            last[0] = elapsed
            print(tally.progress(args.n, elapsed), flush=True)

    start = time.monotonic()
    tally = campaign(numbers, settings, args.jobs, report)
    elapsed = time.monotonic() - start
    text = tally.report(elapsed, args.jobs)
    print(text)
    status = finish(tally, args, settings, args.jobs)
    if args.out.exists():
        (args.out / "summary.txt").write_text(text + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
