"""Atomic file writes: a reader sees the old file or the whole new one, never half.

Everything is written to a temporary file in the same directory, fsynced, then
moved over the target with `os.replace` (atomic on POSIX). `atomic_path` is
the engine's (`cnn.atomic`), re-exported here for `bench`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hsbench.cnn.atomic import atomic_path

__all__ = ["atomic_path", "write_bytes", "write_json", "write_text"]


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write `obj` as indented, key-sorted JSON (deterministic bytes)."""
    write_text(path, json.dumps(obj, indent=1, sort_keys=True, default=_jsonable) + "\n")


def _jsonable(obj: Any) -> Any:
    # numpy scalars and arrays without importing numpy at module level
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
