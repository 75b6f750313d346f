"""What `import ad_compiler` costs beyond `import numpy`, which it cannot avoid.

Each repeat starts a fresh interpreter that imports NumPy, then ad_compiler, timing each
step with `time.perf_counter` (interpreter start-up is not counted); the figure is the
minimum over the repeats, the usual way to read a timing through machine noise. A second
kind of run, `python -X importtime -c "import ad_compiler"`, names the modules below
ad_compiler that take longest (cumulative microseconds, best of the repeats), and the
script lists the heavy modules that the import pulled in, if any:

  numpy          import numpy, alone
  ad_compiler    import ad_compiler, after NumPy
  budget         50 ms: ad_compiler must add less than that to NumPy's import

Run it from a checkout (it imports the ad_compiler beside it); it prints a table and exits 0:

    python benchmarks/bench_import.py [--repeat 15] [--python /path/to/python3.13]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BUDGET = 0.050
HEAVY = ("numpy.f2py", "numpy.testing", "sympy", "scipy", "astor", "IPython", "pygments")
"""Modules that `import ad_compiler` must not load: each is needed, if at all, by one
command or one checking method, which imports it where it is used."""

_TIMED = """
import sys, time
t0 = time.perf_counter()
import numpy
t1 = time.perf_counter()
import ad_compiler
t2 = time.perf_counter()
heavy = [m for m in HEAVY if m in sys.modules]
print(t1 - t0, t2 - t1, ",".join(heavy))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.abspath(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # (bytecode is cached, as after an install)
    return env


def timed_import(python: str) -> tuple[float, float, list[str]]:
    """One fresh interpreter: seconds to import NumPy, then ad_compiler; heavy modules loaded."""
    code = f"HEAVY = {HEAVY!r}\n{_TIMED}"
    out = subprocess.run([python, "-c", code], env=_env(), capture_output=True, text=True, check=True).stdout
    numpy_s, adc_s, heavy = out.split(" ")
    return float(numpy_s), float(adc_s), [m for m in heavy.strip().split(",") if m]


def import_profile(python: str) -> dict[str, int]:
    """Cumulative import time (microseconds) of each module `import ad_compiler` loads
    after NumPy (`-X importtime` lists a module after those it imports)."""
    err = subprocess.run([python, "-X", "importtime", "-c", "import numpy; import ad_compiler"], env=_env(),
                         capture_output=True, text=True, check=True).stderr
    profile: dict[str, int] = {}
    for line in err.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)$", line)
        if match and (match.group(2), match.group(3)) == (" ", "numpy"):
            profile.clear()  # (what came before is NumPy's)
        elif match:
            profile[match.group(3)] = int(match.group(1))
    return profile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure (default: this one)")
    parser.add_argument("--top", type=int, default=8, help="how many of ad_compiler's slowest imports to list")
    args = parser.parse_args(argv)

    subprocess.run([args.python, "-c", "import ad_compiler"], env=_env(), check=True)  # (writes bytecode)
    best_numpy = best_adc = float("inf")
    heavy: set[str] = set()
    best_profile: dict[str, int] = {}
    for _ in range(args.repeat):
        numpy_s, adc_s, loaded = timed_import(args.python)
        best_numpy, best_adc = min(best_numpy, numpy_s), min(best_adc, adc_s)
        heavy.update(loaded)
        profile = import_profile(args.python)
        if not best_profile or profile.get("ad_compiler", 0) < best_profile.get("ad_compiler", 0):
            best_profile = profile

    version = subprocess.run([args.python, "-c", "import sys, numpy; print(sys.version.split()[0], numpy.__version__)"],
                             capture_output=True, text=True, check=True).stdout.split()
    print(f"Python {version[0]}, NumPy {version[1]}; best of {args.repeat} fresh interpreters")
    print(f"{'import':14} {'ms':>8}")
    print(f"{'numpy':14} {best_numpy * 1e3:8.1f}")
    print(f"{'ad_compiler':14} {best_adc * 1e3:8.1f}   (after numpy; budget {BUDGET * 1e3:.0f} ms)")
    ours = {m: t for m, t in best_profile.items() if m.startswith("ad_compiler")}
    others = {m: t for m, t in best_profile.items() if not m.startswith("ad_compiler")}
    print("\nslowest imports below ad_compiler (cumulative ms, -X importtime, best run):")
    for name, micros in sorted(ours.items(), key=lambda kv: -kv[1])[1:args.top + 1]:
        print(f"  {name:40} {micros / 1e3:7.1f}")
    print("slowest other modules it loads:")
    for name, micros in sorted(others.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"  {name:40} {micros / 1e3:7.1f}")
    print(f"\nheavy modules loaded: {', '.join(sorted(heavy)) or 'none'}")
    verdict = "PASS" if best_adc < BUDGET and not heavy else "FAIL"
    print(f"verdict: {verdict} (ad_compiler adds {best_adc * 1e3:.1f} ms to numpy's {best_numpy * 1e3:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
