"""The grid search: resume from the journal, farm the remaining tasks, aggregate, refit.

Every rank calls `run_search` with the same arguments; rank 0 gets the outcome,
the others None. Only rank 0 touches the journal.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hsbench.svm import journal, mpi
from hsbench.svm.backends import Backend
from hsbench.svm.errors import InputError
from hsbench.svm.grid import Grid
from hsbench.svm.tasks import aggregate, fit_and_score

# Test hook: SIGKILL rank 0 after this many newly journaled tasks (resume tests).
DIE_AFTER_ENV = "HSBENCH_TEST_DIE_AFTER"


@dataclass
class SearchOutcome:
    """What rank 0 learns: every cell, the best one, and the best cell refit on all training rows."""

    cells: list[dict]
    best: dict
    records: list[dict]
    resumed_tasks: int
    wall_seconds: float  # the CV grid only, all ranks; the refit is timed apart
    refit_predictions: np.ndarray  # of `X_test` (empty without one)
    refit_seconds: float
    refit_predict_seconds: float


def run_search(
    backend: Backend,
    grid: Grid,
    folds: np.ndarray,
    y: np.ndarray,
    *,
    journal_path: str | os.PathLike,
    journal_key: str,
    resume: bool = False,
    exclude: np.ndarray | None = None,
    X_test: np.ndarray | None = None,
    comm: Any | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_progress: Callable[[dict], None] | None = None,
) -> SearchOutcome | None:
    """CV over every (gamma, C) cell, then refit the best cell on all rows and predict `X_test`.

    As scikit-learn's `BaseSearchCV.fit` with `refit=True`. `on_start(done, total)` and
    `on_progress(record)` run on rank 0, which alone refits and returns the outcome. `exclude[f]`
    marks rows left out of fold f's training (the buffer of spatial folds).
    """
    rank = mpi.rank_of(comm)
    finished: list[dict] = []
    error: str | None = None
    if rank == 0:
        try:
            finished = journal.read(journal_path, journal_key) if resume else []
        except InputError as exc:
            error = str(exc)
    if comm is not None:  # every rank must learn of the refusal, or they would wait forever
        finished, error = comm.bcast((finished, error), root=0)
    if error:
        raise InputError(error)

    done_ids = {r["task"] for r in finished}
    # a kernel cache that cannot hold every gamma at once works through one gamma at a time
    slots = getattr(backend, "kernel_slots", None)
    by_gamma = slots is not None and 1 <= slots < len(grid.gamma)
    todo = [t for t in grid.schedule(by_gamma) if t not in done_ids]
    records = list(finished)
    writer = journal.Journal(journal_path, journal_key, resume) if rank == 0 else None
    die_after = int(os.environ.get(DIE_AFTER_ENV, "0"))
    if rank == 0 and on_start:
        on_start(len(done_ids), grid.n_tasks)

    def on_record(record: dict) -> None:  # rank 0 only, where the journal writer exists
        records.append(record)
        assert writer is not None
        writer.append(record)
        if on_progress:
            on_progress(record)
        if die_after and len(records) - len(finished) >= die_after:
            os.kill(os.getpid(), signal.SIGKILL)

    t0 = time.perf_counter()
    try:
        mpi.farm(todo, lambda t: fit_and_score(backend, grid, folds, y, t, exclude), on_record, comm)
    finally:
        if writer:
            writer.close()
    wall = time.perf_counter() - t0
    if rank != 0:
        return None
    cells, best = aggregate(records, grid)
    pred, refit_s, predict_s = backend.refit_predict(best["gamma"], best["C"], X_test)
    return SearchOutcome(cells, best, sorted(records, key=lambda r: r["task"]), len(done_ids), wall,
                         pred, refit_s, predict_s)


def journal_path_for(out: str | os.PathLike) -> Path:
    return Path(str(out) + ".journal")
