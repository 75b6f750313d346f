"""`adc`: write derivative modules, show emitted code and IR, check, draw the graph.

Every command reads a target (`path/to/file.py:function` or `package.module:function`).
A problem with the user's program prints as a compiler diagnostic (`file:line:col: error:
...`, the line, a caret); a problem with the command as `error: ...`; both exit with
status 2 and write nothing. `adc check` exits with 1 when a baseline disagrees.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
import warnings
from pathlib import Path
from typing import Callable, NoReturn, Sequence

from ..api import lowered, outside_kinds
from ..backends import NAMES
from ..check.limits import COMMAND_LINE, DEFAULT_OPERATIONS, DEFAULT_SECONDS, Limits
from ..check.report import compare
from ..errors import BackendWarning, CompileError
from ..graph import FORMATS, GraphvizMissing, render, to_dot
from ..ir import format_function
from ..pipeline import optimized_primal
from .derivatives import Request, derivative, module_text, request
from .files import write_atomically
from .targets import UsageError, load_target
from .values import arguments_at, random_arguments

_TARGET_HELP = "path/to/file.py:function or package.module:function"


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line, as every other error of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds")
    return value


def _limit(parse: Callable[[str], float], what: str) -> Callable[[str], float | None]:
    """An argparse type: a number of `what` (>= 0), or `none` for no limit."""
    def convert(text: str) -> float | None:
        if text.strip().lower() == "none":
            return None
        try:
            value = parse(text)
        except ValueError:
            value = -1
        if not value >= 0:
            raise argparse.ArgumentTypeError(f"{text} is not a number of {what} (or none)")
        return value
    return convert


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _path(text: str) -> Path:
    if not text:
        raise argparse.ArgumentTypeError("the output path is empty")
    return Path(text)


def _arguments_options(parser: argparse.ArgumentParser) -> None:
    """Which arguments are differentiated: by name or by position."""
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--wrt", metavar="NAMES", help="comma-separated parameter names to differentiate")
    which.add_argument("--argnums", metavar="POSITIONS", help="comma-separated parameter positions (default 0)")


def _derivative_options(parser: argparse.ArgumentParser) -> None:
    """The options that say which derivative: shared by grad, show, ir and graph."""
    _arguments_options(parser)
    parser.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                        help="how the gradient is computed (default reverse)")
    parser.add_argument("--order", type=int, default=1, metavar="N",
                        help="derivative order: 1 gradient, 2 Hessian, N > 2 the N-th derivative "
                             "(2 and more need --shapes)")
    parser.add_argument("--value", action="store_true", help="return (value, gradient)")
    parser.add_argument("--shapes", metavar="SPEC",
                        help='specialize to argument shapes, e.g. "x=(3, 4), y=()" (default: any shape)')
    parser.add_argument("--backend", choices=NAMES, default="numpy",
                        help="what the emitted code runs on (default numpy; docs/backends.md)")


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", type=_path, help="write here (default: print)")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def _command(commands: argparse._SubParsersAction, name: str, summary: str, example: str) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name, help=summary, description=summary[0].upper() + summary[1:] + ".",
        epilog=f"example:\n  {example}", formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", help=_TARGET_HELP)
    return parser


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="adc", description="ad_compiler: derivatives of Python functions, as Python source.",
        epilog="example:\n  adc grad examples/logistic_regression.py:loss --wrt beta -o dloss.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grad = _command(commands, "grad", "write a standalone module computing the derivative (needs only NumPy)",
                    "adc grad examples/logistic_regression.py:loss --wrt beta -o dloss.py")
    _derivative_options(grad)
    _output_options(grad)

    show = _command(commands, "show", "print the emitted derivative source",
                    "adc show examples/quickstart.py:f --argnums 0,1,2 --shapes \"a=(), b=(), c=()\"")
    _derivative_options(show)
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="highlight with pygments (auto: when printing to a terminal)")

    ir = _command(commands, "ir", "print the IR of a stage of the compiler",
                  "adc ir examples/quickstart.py:f --stage derivative --argnums 0,1,2")
    ir.add_argument("--stage", choices=("primal", "optimized", "derivative"), default="primal",
                    help="primal: as lowered from the source; optimized: kinds inferred and simplified; "
                         "derivative: the derivative as emitted (default primal)")
    _derivative_options(ir)

    check_ = _command(commands, "check", "check the emitted gradient against central differences, "
                      "the complex step and SymPy", "adc check examples/quickstart.py:f --argnums 0,1 --at \"a=1.5, b=0.5, c=2.0\"")
    _arguments_options(check_)
    at = check_.add_mutually_exclusive_group(required=True)
    at.add_argument("--at", metavar="VALUES", help='argument values, e.g. "x=1.5, y=[1.0, 2.0]"')
    at.add_argument("--random", metavar="SHAPES",
                    help='argument shapes filled with random values in [0.5, 1.5), e.g. "x=(3, 4), y=()"')
    check_.add_argument("--seed", type=_seed, default=0, help="seed of --random (default 0)")
    check_.add_argument("--mode", choices=("reverse", "forward", "both"), default="both",
                        help="which emitted gradients to check (default both)")
    check_.add_argument("--timing", type=_seconds, default=0.05, metavar="SECONDS",
                        help="time spent timing each method (default 0.05; 0: no timing)")
    check_.add_argument("--no-symbolic", action="store_true", help="leave SymPy's derivative out")
    check_.add_argument("--symbolic-limit", type=_limit(int, "operations"), default=DEFAULT_OPERATIONS, metavar="N",
                        help=f"SymPy gives up when an expression passes N operations (default {DEFAULT_OPERATIONS}; "
                             "none: no limit)")
    check_.add_argument("--symbolic-seconds", type=_limit(float, "seconds"), default=DEFAULT_SECONDS,
                        metavar="SECONDS", help=f"SymPy gives up after SECONDS (default {DEFAULT_SECONDS:g}; "
                                                "none: no limit)")

    graph = _command(commands, "graph", "draw the computational graph (Graphviz DOT, SVG, PNG or PDF)",
                     "adc graph examples/quickstart.py:f -o f.svg")
    graph.add_argument("--format", choices=("dot", *FORMATS),
                       help="output format (default: from the file's suffix, else dot)")
    graph.add_argument("--derivative", action="store_true", help="draw the emitted derivative, not the function")
    _derivative_options(graph)
    _output_options(graph)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status (0 done, 1 a check disagreed, 2 an error)."""
    args = parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except CompileError as err:
        print(err, file=sys.stderr)
    except (UsageError, GraphvizMissing, TypeError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
    return 2


def _request(args: argparse.Namespace) -> Request:
    target = load_target(args.target)
    return request(target, args.wrt, args.argnums, mode=args.mode, shapes=args.shapes,
                   order=args.order, with_value=args.value, backend=args.backend)


def _grad(args: argparse.Namespace) -> int:
    req = _request(args)
    with warnings.catch_warnings(record=True) as caught:  # (a backend that cannot take it says why, in one line)
        warnings.simplefilter("always", BackendWarning)
        text = module_text(req, _regenerate(args))
    for warning in caught:
        if issubclass(warning.category, BackendWarning):
            print(f"note: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    if args.output is None:
        print(text, end="")
        return 0
    write_atomically(args.output, text.encode(), args.force)
    print(args.output)
    return 0


def _regenerate(args: argparse.Namespace) -> str:
    """The `adc grad` command that writes this module again, options in a fixed order."""
    words = ["adc", "grad", args.target]
    for option in ("wrt", "argnums", "mode", "shapes", "backend"):
        value = getattr(args, option)
        if value is not None and (option, value) not in (("mode", "reverse"), ("backend", "numpy")):
            words += [f"--{option}", value]
    if args.order != 1:
        words += ["--order", str(args.order)]
    if args.value:
        words.append("--value")
    if args.output is not None:
        words += ["-o", args.output.as_posix()]
    return shlex.join(words)


def _show(args: argparse.Namespace) -> int:
    source = derivative(_request(args)).source
    if args.color == "always" or (args.color == "auto" and sys.stdout.isatty()):
        source = _highlight(source)
    print(source, end="")
    return 0


def _highlight(source: str) -> str:
    try:
        from pygments import highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return source
    return highlight(source, PythonLexer(), TerminalFormatter())


def _ir(args: argparse.Namespace) -> int:
    req = _request(args)
    if args.stage == "derivative":
        fn = derivative(req).ir
    elif args.stage == "optimized":
        target = req.target.function
        fn = optimized_primal(lowered(target), req.kinds, outside_kinds(target) if req.kinds else None)
    else:
        fn = lowered(req.target.function)
    print(format_function(fn), end="")
    return 0


def _check(args: argparse.Namespace) -> int:
    target = load_target(args.target)
    req = request(target, args.wrt, args.argnums)
    if args.at is not None:
        values = arguments_at(target.function, args.at, req.argnums)
    else:
        values = random_arguments(target.function, args.random, req.argnums, args.seed)
    with contextlib.redirect_stdout(sys.stderr):  # what the function prints: off the report's stdout
        try:
            target.function(*values)
        except Exception as err:  # the values, not the compiler: say so in a line
            raise UsageError(f"{target.name} fails at these values: {type(err).__name__}: {err}") from None
        modes = ("reverse", "forward") if args.mode == "both" else (args.mode,)
        limits = None if args.no_symbolic else Limits(args.symbolic_limit, args.symbolic_seconds)
        report = compare(target.function, values, argnums=req.argnums, modes=modes, richardson=False,
                         timing=args.timing, limits=limits, spelling=COMMAND_LINE)
    print(report)
    return 0 if report.ok else 1


def _graph(args: argparse.Namespace) -> int:
    fmt = _graph_format(args.format, args.output)
    req = _request(args)
    fn = derivative(req).ir if args.derivative else lowered(req.target.function)
    text = to_dot(fn)
    if args.output is None and fmt in _BINARY:
        raise UsageError(f"a {fmt.upper()} is written to a file: add -o FILE.{fmt}")
    try:
        data = text.encode() if fmt == "dot" else render(text, fmt)
    except GraphvizMissing as err:
        dot = f"-o {args.output.with_suffix('.dot')}" if args.output is not None else "--format dot"
        raise UsageError(f"{err}; or write the graph as DOT text: {dot}") from None
    except RuntimeError as err:  # `dot` ran and failed
        raise UsageError(str(err)) from None
    if args.output is None:
        print(data.decode(), end="")
        return 0
    write_atomically(args.output, data, args.force)
    print(args.output)
    return 0


_SUFFIXES = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf"}
"""The output formats file names say; a file without a suffix gets DOT text."""

_BINARY = ("png", "pdf")


def _graph_format(given: str | None, path: Path | None) -> str:
    """The format `--format` or the output's suffix says. A suffix that names no format
    (`g.jpg`), or another one than `--format`, is an error rather than a file whose name
    says one thing and whose bytes another."""
    suffix = path.suffix.lower() if path is not None else ""
    named = _SUFFIXES.get(suffix)
    if suffix and named is None and given is None:
        known = ", ".join(_SUFFIXES)
        raise UsageError(f"cannot tell the format of {path} from its suffix: name it {known}, "
                         "or pass --format")
    if given is not None and named is not None and named != given:
        raise UsageError(f"{path} names a {named.upper()} file, but --format is {given}; "
                         f"drop --format or name the file .{given}")
    return given or named or "dot"


_COMMANDS = {"grad": _grad, "show": _show, "ir": _ir, "check": _check, "graph": _graph}
