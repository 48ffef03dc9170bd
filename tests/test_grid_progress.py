"""The grid's progress: an ETA from the finished tasks' costs, per-rank lines at the end."""

from __future__ import annotations

import pytest

from hsbench.grid_progress import CostEta, GridProgress, fmt_clock
from hsbench.svm.grid import Grid

GRID = Grid(gamma=(1.0, 2.0), C=(1.0, 100.0), n_folds=2)  # cells: (1,1) (1,100) (2,1) (2,100)


def _rec(task: int, seconds: float, rank: int = 0) -> dict:
    cell, fold = GRID.task(task)
    gamma, C = GRID.cell(cell)
    return {"task": task, "cell": cell, "fold": fold, "gamma": gamma, "C": C, "seconds": seconds, "rank": rank}


def test_eta_prices_pending_tasks_by_cell_then_by_C_over_the_work_rate():
    eta = CostEta(GRID, done_tasks=[], start=0.0)
    assert eta.seconds_left(1.0) is None  # nothing finished yet
    eta.add(_rec(2, 10.0))  # cell 1 = (1, 100), fold 0
    eta.add(_rec(0, 1.0))  # cell 0 = (1, 1), fold 0
    # pending: task 1 (cell 0: 1 s), 3 (cell 1: 10 s), 4, 5 (cell 2, C=1: 1 s each), 6, 7 (cell 3, C=100: 10 s)
    # 11 s of work done in 5.5 s of wall: 2 s of work per second
    assert eta.seconds_left(5.5) == pytest.approx((1 + 10 + 1 + 1 + 10 + 10) / 2.0)
    eta.add({"kind": "kernel", "gamma": 2.0, "seconds": 1.0, "rank": 0})  # work, but no task
    assert eta.seconds_left(6.0) == pytest.approx(33 / 2.0)


def test_resumed_tasks_are_not_pending_and_the_summary_has_a_line_per_rank(capsys):
    eta = CostEta(GRID, done_tasks=[0, 1, 2, 3, 4, 5], start=0.0)
    eta.add(_rec(6, 4.0))
    assert eta.seconds_left(2.0) == pytest.approx(4.0 / 2.0)
    bar = GridProgress(GRID, quiet=True)
    bar.start([], GRID.n_tasks)
    for t, rank in ((0, 0), (1, 1), (2, 1)):
        bar.update(_rec(t, 0.5, rank))
    bar.update({"kind": "kernel", "gamma": 1.0, "seconds": 0.3, "rank": 0})
    lines = bar.summary()
    assert len(lines) == 2 and lines[0].startswith("rank 0: 1 tasks") and lines[1].startswith("rank 1: 2 tasks")
    assert "kernels 0.3 s" in lines[0]
    assert fmt_clock(None) == "?" and fmt_clock(75) == "01:15" and fmt_clock(3725) == "1:02:05"
