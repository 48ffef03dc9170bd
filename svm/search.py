"""The grid search: resume from the journal, farm the remaining tasks, aggregate, refit.

Every rank calls `run_search` with the same arguments; rank 0 gets the outcome,
the others None. Only rank 0 touches the journal.

With the sklearn backend and a budget that holds at least one kernel, each gamma's RBF
kernel is computed once per node into a kernel slot (private serially, node-shared
under MPI, hsbench.svm.kernels) and read by every fit of that gamma; the policy
(hsbench.svm.policy) decides which gamma a node holds. BLAS runs one thread per rank:
a rank is one core, serially too, so the serial baseline is one core.
"""

from __future__ import annotations

import os
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from hsbench.svm import farm, journal, mpi
from hsbench.svm.backends import Backend
from hsbench.svm.errors import InputError
from hsbench.svm.grid import Grid
from hsbench.svm.kernels import BLOCK_ROWS, KernelStore, LocalStore, SharedStore
from hsbench.svm.memory import PeakMemory
from hsbench.svm.policy import Fit, Item, Policy
from hsbench.svm.tasks import aggregate, fit_and_score

# Test hook: SIGKILL rank 0 after this many newly journaled tasks (resume tests).
DIE_AFTER_ENV = "HSBENCH_TEST_DIE_AFTER"


@dataclass
class SearchOutcome:
    """What rank 0 learns: every cell, the best one, and the best cell refit on all training rows."""

    cells: list[dict]
    best: dict
    records: list[dict]  # one per task, by task id: {task, rank, seconds, fit_seconds, ...}
    resumed_tasks: int
    wall_seconds: float  # the CV grid only, all ranks; the refit is timed apart
    refit_predictions: np.ndarray  # of `X_test` (empty without one)
    refit_seconds: float | None  # None: no test set, so no refit
    refit_predict_seconds: float
    kernels: list[dict] = field(default_factory=list)  # one per kernel computed: {gamma, node, seconds, ...}
    memory: list[dict] = field(default_factory=list)  # per rank: {peak_rss_mb, peak_pss_mb, peak_private_mb}
    node_of: list[int] = field(default_factory=lambda: [0])  # node index of every rank
    kernel_slots: int = 0  # kernel slots per node (0: plain RBF fits)
    shared_kernel_mb: float = 0.0  # node-shared memory reserved per node for the slots
    farm: dict = field(default_factory=dict)  # how the farm ran: root mode, depth, block rows


def kernel_slots_for(backend: Backend, grid: Grid) -> int:
    """Kernel slots per node: what the budget holds, no more than there are gammas (0: no kernels)."""
    return min(int(getattr(backend, "kernel_slots", 0)), len(grid.gamma))


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
    on_start: Callable[[list[int], int], None] | None = None,
    on_progress: Callable[[dict], None] | None = None,
) -> SearchOutcome | None:
    """CV over every (gamma, C) cell, then refit the best cell on all rows and predict `X_test`.

    As scikit-learn's `BaseSearchCV.fit` with `refit=True` (no refit without `X_test`).
    `on_start(done task ids, total)` and `on_progress(record)` run on rank 0, which alone refits and
    returns the outcome; `on_progress` sees task records and kernel records (`kind` "kernel").
    `exclude[f]` marks rows left out of fold f's training (the buffer of spatial folds).
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

    memory = PeakMemory().start()
    t0 = time.perf_counter()
    slots = kernel_slots_for(backend, grid)
    node = mpi.node_comm(comm) if comm is not None else None
    node_of = mpi.node_of_ranks(comm, node)
    store: KernelStore | None = None
    if slots:
        store = SharedStore(backend.X, slots, node) if node is not None else LocalStore(backend.X, slots)
    done_ids = {r["task"] for r in finished}
    # a kernel budget that cannot hold every gamma at once works through one gamma at a time
    todo = [t for t in grid.schedule(by_gamma=1 <= slots < len(grid.gamma)) if t not in done_ids]
    policy = Policy(grid, todo, node_of, slots, len(y))
    records = list(finished)
    kernel_records: list[dict] = []
    writer = journal.Journal(journal_path, journal_key, resume) if rank == 0 else None
    die_after = int(os.environ.get(DIE_AFTER_ENV, "0"))
    if rank == 0 and on_start:
        on_start(sorted(done_ids), grid.n_tasks)

    def work(item: Item) -> dict:
        if isinstance(item, Fit):
            kernel = store.view(item.slot) if store is not None and item.slot is not None else None
            return fit_and_score(backend, grid, folds, y, item.task, kernel, exclude)
        assert store is not None
        gamma = grid.gamma[item.gamma]
        seconds = store.compute(item.slot, gamma, item.start, item.stop)
        return {"kind": "kernel", "gamma": gamma, "rows": item.stop - item.start, "seconds": seconds}

    def on_record(record: dict) -> None:  # rank 0 only, where the journal writer exists
        if on_progress:
            on_progress(record)
        if record.get("kind") == "kernel":
            kernel_records.append({**record, "node": node_of[record["rank"]]})
            return
        records.append(record)
        assert writer is not None
        writer.append(record)
        if die_after and len(records) - len(finished) >= die_after:
            os.kill(os.getpid(), signal.SIGKILL)

    try:
        with threadpool_limits(limits=1, user_api="blas"):
            farm.farm(policy, work, on_record, comm)
    finally:
        if writer:
            writer.close()
    wall = time.perf_counter() - t0
    if store is not None:
        store.close()
    peaks = memory.stop()
    if node is not None:
        node.Free()
    all_peaks = comm.gather(peaks, root=0) if comm is not None else [peaks]
    if rank != 0:
        return None
    mode = farm.root_mode(comm)
    cells, best = aggregate(records, grid)
    refit_s: float | None = None
    pred, predict_s = np.empty(0, dtype=np.int64), 0.0
    if X_test is not None:
        pred, refit_s, predict_s = backend.refit_predict(best["gamma"], best["C"], X_test)
    return SearchOutcome(
        cells, best, sorted(records, key=lambda r: r["task"]), len(done_ids), wall, pred, refit_s, predict_s,
        kernels=summarize_kernels(kernel_records), memory=all_peaks or [], node_of=node_of, kernel_slots=slots,
        shared_kernel_mb=(store.shared_bytes / 2**20) if store is not None else 0.0,
        farm={"root": mode, "depth": farm.INLINE_DEPTH if mode == "inline" else farm.DEPTH,
              "block_rows": BLOCK_ROWS, "poll_seconds": farm.POLL_SECONDS},
    )


def summarize_kernels(blocks: list[dict]) -> list[dict]:
    """One entry per kernel computed on a node: {gamma, node, seconds (summed over its blocks), blocks, ranks}."""
    by_kernel: dict[tuple[float, int], list[dict]] = defaultdict(list)
    for b in blocks:
        by_kernel[(b["gamma"], b["node"])].append(b)
    return [{"gamma": g, "node": n, "seconds": sum(b["seconds"] for b in bs), "blocks": len(bs),
             "rows": sum(b["rows"] for b in bs), "ranks": sorted({b["rank"] for b in bs})}
            for (g, n), bs in sorted(by_kernel.items())]


def journal_path_for(out: str | os.PathLike) -> Path:
    return Path(str(out) + ".journal")
