"""Writing an output file so that nothing is lost: the whole text or nothing, and an
existing file only when asked (`--force`)."""

from __future__ import annotations

import os
from pathlib import Path

from .targets import UsageError


def write_atomically(path: Path, data: bytes, force: bool) -> None:
    """Write `data` to `path` through a temporary file in the same directory, renamed
    over `path` (replacing it only with `force`); on any failure `path` is untouched.
    An existing path that is not a regular file (`/dev/null`, a pipe) is written to."""
    if path.is_dir():
        raise UsageError(f"{path} is a directory")
    if not path.parent.is_dir():
        raise UsageError(f"no such directory: {path.parent}")
    if path.exists() and not force:
        raise UsageError(f"{path} exists; pass --force to overwrite it")
    if path.exists() and not path.is_file():  # a device or a pipe: written to, never replaced
        with open(path, "wb") as out:
            out.write(data)
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if force:
            os.replace(temporary, path)
        else:
            _link_new(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _link_new(temporary: Path, path: Path) -> None:
    """Give the written file its name unless that name was taken meanwhile."""
    try:
        os.link(temporary, path)  # fails if `path` exists, atomically
    except FileExistsError:
        raise UsageError(f"{path} exists; pass --force to overwrite it") from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise UsageError(f"{path} exists; pass --force to overwrite it") from None
        os.replace(temporary, path)
