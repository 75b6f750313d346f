"""The command line: `adc show FILE.py:FUNCTION` prints the emitted gradient.

Errors in the user's program print as compiler diagnostics and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from .api import grad
from .errors import CompileError


class TargetError(Exception):
    """A target that names no loadable function."""


def load_target(target: str) -> Callable[..., Any]:
    """`path/to/file.py:function` or `package.module:function` -> the function."""
    where, sep, name = target.rpartition(":")
    if not sep or not where or not name:
        raise TargetError(f"target {target!r} must look like path/to/file.py:function")
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise TargetError(f"no such file: {where}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        try:
            spec.loader.exec_module(module)
        except SyntaxError as err:
            raise TargetError(f"{where}:{err.lineno}: syntax error: {err.msg}") from None
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as err:
            raise TargetError(f"cannot import {where}: {err}") from None
    fun = getattr(module, name, None)
    if not callable(fun):
        raise TargetError(f"{where} defines no function {name!r}")
    return fun


def _argnums(text: str) -> int | tuple[int, ...]:
    nums = tuple(int(part) for part in text.split(","))
    return nums[0] if len(nums) == 1 else nums


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="adc", description="ad_compiler: derivatives as Python source.")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser(
        "show",
        help="print the emitted gradient of a function",
        description="Print the emitted (generic) gradient source.",
        epilog="example: adc show examples/quickstart.py:f --argnums 0,1,2",
    )
    show.add_argument("target", help="path/to/file.py:function or package.module:function")
    show.add_argument("--argnums", default="0", help="comma-separated argument positions (default 0)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        fun = load_target(args.target)
        print(grad(fun, argnums=_argnums(args.argnums)).source, end="")
    except (CompileError, TargetError, ValueError) as err:
        print(err if isinstance(err, CompileError) else f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
