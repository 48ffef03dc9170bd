"""Progress of a long grid on rank 0: tasks done, the gamma being worked, an ETA; per-rank throughput at the end.

Tasks differ in cost by 10x and more (large C is slow, and they come first), so an ETA
from the task rate alone would be far off. `CostEta` estimates each pending task's
seconds from the finished ones (same cell, else same C, else all) and divides the
pending seconds by the seconds of work the ranks have been getting through per second
of wall time.
"""

from __future__ import annotations

import math
import sys
import time
from collections import defaultdict
from typing import Any

from hsbench.svm.grid import Grid

ETA_EVERY_SECONDS = 0.5


class CostEta:
    """Seconds left, from the finished tasks' costs. Pure but for the clock passed in."""

    def __init__(self, grid: Grid, done_tasks: list[int], start: float):
        self.grid = grid
        self.pending = set(range(grid.n_tasks)) - set(done_tasks)
        self.start = start
        self.work_seconds = 0.0  # task and kernel seconds finished in this session, all ranks
        # (summed seconds, count) of finished tasks: per cell, per C, all
        self._cell: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
        self._by_C: dict[float, list[float]] = defaultdict(lambda: [0.0, 0])
        self._all = [0.0, 0]

    def add(self, record: dict) -> None:
        self.work_seconds += float(record.get("seconds") or 0.0)
        if record.get("kind") == "kernel":
            return
        self.pending.discard(record["task"])
        seconds = float(record.get("seconds") or 0.0)
        for acc in (self._cell[record["cell"]], self._by_C[record["C"]], self._all):
            acc[0] += seconds
            acc[1] += 1

    def _estimate(self, task: int) -> float:
        cell = self.grid.task(task)[0]
        for acc in (self._cell.get(cell), self._by_C.get(self.grid.cell(cell)[1]), self._all):
            if acc and acc[1]:
                return acc[0] / acc[1]
        return 0.0

    def seconds_left(self, now: float) -> float | None:
        """Estimated wall seconds to finish, or None before anything finished."""
        elapsed = now - self.start
        if self.work_seconds <= 0 or elapsed <= 0:
            return None
        rate = self.work_seconds / elapsed  # seconds of work per wall second: ~ranks when all are busy
        return sum(self._estimate(t) for t in self.pending) / rate


def fmt_clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"


class GridProgress:
    """A tqdm bar on rank 0 (stderr), nothing elsewhere; `summary()` lines per rank at the end."""

    def __init__(self, grid: Grid, quiet: bool):
        self.grid = grid
        self.quiet = quiet
        self.bar: Any = None
        self.eta: CostEta | None = None
        self.gamma: float | None = None
        self.per_rank: dict[int, dict[str, float]] = defaultdict(lambda: {"tasks": 0, "seconds": 0.0, "kernel": 0.0})
        self.t0 = self.t_last = time.perf_counter()
        self.t_eta = -math.inf
        self.left: float | None = None

    def start(self, done_tasks: list[int], total: int) -> None:
        self.t0 = self.t_last = time.perf_counter()
        self.eta = CostEta(self.grid, done_tasks, self.t0)
        if not self.quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=len(done_tasks), unit="task", desc="grid", file=sys.stderr,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} tasks "
                                       "[{elapsed}{postfix}]")
            self.bar.set_postfix_str("computing the first kernel" if total else "", refresh=True)

    def update(self, record: dict) -> None:
        self.t_last = time.perf_counter()
        stats = self.per_rank[int(record.get("rank", 0))]
        if record.get("kind") == "kernel":
            stats["kernel"] += record["seconds"]
            what = f"kernel gamma {record['gamma']:g}"
        else:
            stats["tasks"] += 1
            stats["seconds"] += float(record.get("seconds") or 0.0)
            self.gamma = record["gamma"]
            what = f"gamma {record['gamma']:g}"
        if self.eta is not None:
            self.eta.add(record)
        if self.bar is not None:
            if self.t_last - self.t_eta >= ETA_EVERY_SECONDS:  # pricing every pending task costs; not each record
                self.t_eta = self.t_last
                self.left = self.eta.seconds_left(self.t_last) if self.eta else None
            self.bar.set_postfix_str(f"{what}, ETA {fmt_clock(self.left)}", refresh=False)
            if record.get("kind") != "kernel":
                self.bar.update(1)

    def summary(self) -> list[str]:
        """One line per rank: tasks, busy seconds and share of the wall time, tasks per second."""
        wall = max(self.t_last - self.t0, 1e-9)  # to the last result: the refit is not the grid's
        lines = []
        for rank, s in sorted(self.per_rank.items()):
            busy = s["seconds"] + s["kernel"]
            lines.append(f"rank {rank}: {int(s['tasks'])} tasks, {s['tasks'] / wall:.2f} tasks/s, busy "
                         f"{busy:.1f} s of {wall:.1f} s ({100 * busy / wall:.0f}%; kernels {s['kernel']:.1f} s)")
        return lines

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            for line in self.summary():
                print(f"hsbench grid: {line}", file=sys.stderr)
