"""Derived numbers, every one computed from the JSON: cell minutes, serial references, speedups."""

from __future__ import annotations

from typing import Any

from hsbench.report.fmt import features_of, is_num
from hsbench.report.group import DatasetGroup, Run


def cell_minutes(cell: dict) -> float | None:
    """The seed's "(minutes)": summed fit + predict seconds of the cell's folds / 60."""
    fit, pred = cell.get("fit_seconds"), cell.get("predict_seconds")
    if not isinstance(fit, list) or not isinstance(pred, list):
        return None
    return (sum(fit) + sum(pred)) / 60.0


def find_cell(run: dict, gamma: Any, c: Any) -> dict | None:
    for cell in run.get("cells", []):
        if cell.get("gamma") == gamma and cell.get("C") == c:
            return cell
    return None


def serial_reference(group: DatasetGroup, run: Run) -> Run | None:
    """The serial run a parallel/GPU run is compared with: same features and grid,
    same backend preferred; the first in report order otherwise."""
    if run.category == "serial":
        return run
    cands = [
        s for s in group.of("serial")
        if features_of(s.d) == features_of(run.d) and s.d.get("grid") == run.d.get("grid")
    ]
    same = [s for s in cands if s.d.get("backend") == run.d.get("backend")]
    pick = same or cands
    return pick[0] if pick else None


def resumed(d: dict) -> bool:
    """A run resumed after an interruption whose wall time covers its last session only (a CNN run whose
    checkpoints carried the wall time says so: wall_scope "run")."""
    if d.get("wall_scope") == "run":
        return False
    return bool(d.get("resumed_tasks")) or bool(d.get("resumed_from"))


def speedup(group: DatasetGroup, run: Run) -> tuple[Run | None, float | None, float | None]:
    """(serial reference, speedup = serial wall / this wall, efficiency = speedup / ranks)."""
    ref = serial_reference(group, run)
    if ref is None or not is_num(ref.d.get("wall_seconds")) or not is_num(run.d.get("wall_seconds")):
        return ref, None, None
    if run.d["wall_seconds"] <= 0:
        return ref, None, None
    s = ref.d["wall_seconds"] / run.d["wall_seconds"]
    ranks = int(run.d.get("ranks", 1) or 1)
    eff = s / ranks if run.category != "gpu" else None
    return ref, s, eff
