"""One unit of work (fit one fold of one cell, score it) and the pure aggregation.

As scikit-learn's `_fit_and_score`: a failing fit is recorded in the task's
`error`, not raised mid-grid; `aggregate` raises only if every task failed and
otherwise warns once per distinct error with a count.
"""

from __future__ import annotations

import math
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from hsbench.svm.backends import Backend
from hsbench.svm.grid import Grid, fold_rows


def fit_and_score(backend: Backend, grid: Grid, folds: np.ndarray, y: np.ndarray, task: int,
                  kernel: np.ndarray | None = None, exclude: np.ndarray | None = None) -> dict:
    """Run task `task` (with its gamma's kernel matrix, if given).

    Returns {task, cell, fold, gamma, C, accuracy, fit_seconds, predict_seconds, seconds, error};
    `seconds` is the whole task on its rank, the unit the scaling model replays. `exclude[fold]`
    marks rows left out of the fold's training (spatial folds' buffer).
    """
    t0 = time.perf_counter()
    cell, fold = grid.task(task)
    gamma, C = grid.cell(cell)
    record: dict[str, Any] = {"task": task, "cell": cell, "fold": fold, "gamma": gamma, "C": C,
              "accuracy": math.nan, "fit_seconds": 0.0, "predict_seconds": 0.0, "seconds": 0.0, "error": None}
    train_idx, test_idx = fold_rows(folds, fold, exclude)
    try:
        pred, fit_s, pred_s = backend.fit_predict(train_idx, test_idx, gamma, C, kernel)
    except Exception as exc:  # recorded, as sklearn's error_score=nan does
        record["error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    else:
        record.update(accuracy=float(np.mean(pred == y[test_idx])), fit_seconds=fit_s, predict_seconds=pred_s)
    record["seconds"] = time.perf_counter() - t0
    return record


def aggregate(records: Iterable[dict], grid: Grid) -> tuple[list[dict], dict]:
    """Reshape task records into the results JSON's `cells` and `best`.

    Best: highest mean CV accuracy; ties go to the smaller C, then the smaller gamma.
    """
    acc = np.full((grid.n_cells, grid.n_folds), np.nan)
    fit = np.zeros_like(acc)
    pred = np.zeros_like(acc)
    seen = np.zeros(acc.shape, dtype=bool)
    errors: Counter[str] = Counter()
    for r in records:
        c, f = r["cell"], r["fold"]
        acc[c, f], fit[c, f], pred[c, f] = r["accuracy"], r["fit_seconds"], r["predict_seconds"]
        seen[c, f] = True
        if r.get("error"):
            errors[r["error"]] += 1
    if not seen.all():
        missing = int((~seen).sum())
        raise RuntimeError(f"{missing} of {grid.n_tasks} tasks have no result")
    detail = "; ".join(f"{n} x {msg}" for msg, n in errors.items())
    if errors:
        if sum(errors.values()) == grid.n_tasks:
            raise RuntimeError(f"all {grid.n_tasks} fits failed: {detail}")
        warnings.warn(f"{sum(errors.values())} of {grid.n_tasks} fits failed (accuracy NaN): {detail}",
                      RuntimeWarning, stacklevel=2)
    cells = []
    for k in range(grid.n_cells):
        gamma, C = grid.cell(k)
        cells.append({
            "gamma": gamma, "C": C,
            "fold_accuracy": acc[k].tolist(),
            "mean_accuracy": float(np.mean(acc[k])),
            "std_accuracy": float(np.std(acc[k])),
            "fit_seconds": fit[k].tolist(),
            "predict_seconds": pred[k].tolist(),
        })
    scored = [c for c in cells if not math.isnan(c["mean_accuracy"])]
    if not scored:
        raise RuntimeError(f"no cell has all its folds scored: {detail}")
    top = min(scored, key=lambda c: (-c["mean_accuracy"], c["C"], c["gamma"]))
    best = {key: top[key] for key in ("gamma", "C", "mean_accuracy", "std_accuracy")}
    return cells, best


def format_table(cells: list[dict], grid: Grid) -> str:
    """The seed's grid table: rows gamma, columns C, cells 'accuracy% (minutes)'.

    Minutes are the cell's summed fit + predict seconds over its folds / 60.
    """
    def num(v: float) -> str:
        return f"{v:g}"

    width = 16
    lines = ["gamma/C".ljust(9) + "".join(num(C).rjust(width) for C in grid.C)]
    for i, gamma in enumerate(grid.gamma):
        row = num(gamma).ljust(9)
        for j in range(len(grid.C)):
            cell = cells[i * len(grid.C) + j]
            minutes = (sum(cell["fit_seconds"]) + sum(cell["predict_seconds"])) / 60
            row += f"{100 * cell['mean_accuracy']:.2f} ({minutes:.2f})".rjust(width)
        lines.append(row)
    return "\n".join(lines)
