"""Checkpoint journal: one JSON line per finished task, flushed at once, fsynced at most once a second.

A flushed line survives a kill of the process (it is in the operating system's
hands); the fsync guards against a crash of the machine, and doing it for every line
cost 2.6 ms a task, 4% of a serial grid of short tasks (Indian Pines 10%, wide grid),
so a machine crash may lose the last second of tasks.

Line 1 is a header carrying a key (a hash of the training data, the grid, the
folds and the backend); `--resume` refuses a journal whose key differs, since
its tasks answer a different question. A line cut short by a kill is ignored,
so a SIGKILL loses at most the tasks in flight.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from hsbench.svm.errors import InputError
from hsbench.svm.grid import Grid

FORMAT = "hsbench-svm-journal"
FSYNC_EVERY_SECONDS = 1.0


def journal_key(train_sha256: str, grid: Grid, folds: np.ndarray, backend: str,
                exclude: np.ndarray | None = None) -> str:
    """`backend` names the implementation and build (e.g. "thundersvm/gpu"): CPU and GPU
    builds are not mixed in one journal. `exclude` (spatial folds' buffer) is part of the folds."""
    h = hashlib.sha256()
    h.update(json.dumps({"train": train_sha256, "grid": grid.to_dict(), "n_folds": grid.n_folds,
                         "backend": backend}, sort_keys=True).encode())
    h.update(np.ascontiguousarray(folds, dtype=np.int64).tobytes())
    if exclude is not None and exclude.any():  # no buffer: the key of stratified folds, as before
        h.update(np.packbits(np.ascontiguousarray(exclude, dtype=bool)).tobytes())
    return h.hexdigest()


def read(path: str | os.PathLike, key: str) -> list[dict]:
    """Finished task records of a journal written for `key` ([] if there is none)."""
    path = Path(path)
    if not path.exists():
        return []
    records: dict[int, dict] = {}
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for n, line in enumerate(lines, start=1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            if n == len(lines):  # the last line, cut short by a kill
                break
            raise InputError(f"{path}:{n}: not a journal line; delete the journal or drop --resume") from None
        if n == 1:
            if obj.get("format") != FORMAT:
                raise InputError(f"{path}: not an hsbench grid journal")
            if obj.get("key") != key:
                raise InputError(
                    f"{path}: journal written for different inputs, grid, folds or backend; "
                    "delete it or run without --resume"
                )
            continue
        records[int(obj["task"])] = obj
    return list(records.values())


class Journal:
    """Append-only writer (rank 0 only). Without resume it starts a fresh file."""

    def __init__(self, path: str | os.PathLike, key: str, resume: bool):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not (resume and self.path.exists() and self.path.stat().st_size > 0)
        if not fresh:
            self._drop_partial_tail()
            # a kill while the header itself was written leaves nothing to resume: start afresh
            fresh = self.path.stat().st_size == 0
        self._fh = open(self.path, "w" if fresh else "a", encoding="utf-8")
        self._synced = -float("inf")
        if fresh:
            self._write({"format": FORMAT, "key": key})

    def _drop_partial_tail(self) -> None:
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(self.path, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)

    def _write(self, obj: dict) -> None:
        self._fh.write(json.dumps(obj, sort_keys=True) + "\n")
        self._fh.flush()
        now = time.monotonic()
        if now - self._synced >= FSYNC_EVERY_SECONDS:
            os.fsync(self._fh.fileno())
            self._synced = now

    def append(self, record: dict) -> None:
        self._write(record)

    def close(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
