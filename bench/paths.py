"""Output paths checked before any work: a run that cannot write its results must not start.

The check really creates what is missing (parents, then a probe file) and removes
it again, because permission bits do not tell root the truth (/proc is r-x yet
root "may" write there) and a path can fail for other reasons (read-only mounts,
a file standing where a directory is expected).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from hsbench.errors import InputError


def check_output_dir(path: str | os.PathLike, option: str = "--out") -> None:
    """Raise InputError unless `path` is (or can be made) a writable directory; leave nothing behind."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path}: exists and is not a directory")
    _probe(path, option)


def check_output_file(path: str | os.PathLike, option: str = "--out") -> None:
    """Raise InputError unless a file can be written at `path`; leave nothing behind."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{option} {path}: is a directory, a file name was expected")
    if path.parent.exists() and not path.parent.is_dir():
        raise InputError(f"{option} {path}: {path.parent} exists and is not a directory")
    _probe(path.parent, option, shown=path)


def _probe(directory: Path, option: str, shown: Path | None = None) -> None:
    shown = shown or directory
    created: list[Path] = []
    try:
        missing = [p for p in (directory, *directory.parents) if not p.exists()]
        for p in reversed(missing):
            if p.parent.exists() and not p.parent.is_dir():
                raise InputError(f"{option} {shown}: {p.parent} exists and is not a directory")
            p.mkdir()
            created.append(p)
        fd, probe = tempfile.mkstemp(prefix=".hsbench-probe-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{option} {shown}: cannot write there ({exc.strerror or exc})") from None
    finally:
        for p in reversed(created):
            with contextlib.suppress(OSError):
                p.rmdir()
