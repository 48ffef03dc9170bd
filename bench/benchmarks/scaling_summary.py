"""The summary of the SVM scaling ladder (pure): grid results per rung -> the kind "svm_scaling" JSON.

Input: for each rung (share of Indian Pines' labelled pixels used for training) and
grid, the `hsbench grid` results of the serial and parallel runs and the
GridSearchCV timings. Output: wall times, speedups, kernel vs fit seconds, peak
memory per rank, the fitted cost exponents (time ~ n^k, kernel and fit apart), the
scaling model checked against the measured runs, and the model's prediction for
1..1024 ranks on the largest rung.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hsbench.simulate_job import as_dicts, costs_of, model, validate

MODEL_RANKS = (*(2**k for k in range(11)), 16, 80)
HEADLINE_RANKS = (16, 80, 1024)


def run_summary(d: dict[str, Any], path: str) -> dict[str, Any]:
    """What the ladder keeps of one grid result."""
    cells = d["cells"]
    fit = sum(sum(c["fit_seconds"]) for c in cells)
    predict = sum(sum(c["predict_seconds"]) for c in cells)
    return {
        "file": path,
        "ranks": d["ranks"],
        "root": (d.get("farm") or {}).get("root"),
        "wall_seconds": d["wall_seconds"],
        "kernel_seconds": sum(k["seconds"] for k in d.get("kernels") or []),
        "kernels_computed": len(d.get("kernels") or []),
        "fit_seconds": fit,
        "predict_seconds": predict,
        "task_seconds": sum(s or 0.0 for s in d.get("task_seconds") or []),
        "tasks_per_rank": [list(d.get("task_ranks") or []).count(r) for r in range(d["ranks"])],
        "kernel_slots": d.get("kernel_slots"),
        "shared_kernel_mb": d.get("shared_kernel_mb"),
        "peak_rss_mb": d.get("peak_rss_mb"),
        "peak_pss_mb": d.get("peak_pss_mb"),
        "peak_private_mb": d.get("peak_private_mb"),
        "best": d["best"],
        "resumed_tasks": d.get("resumed_tasks", 0),
    }


def power_fit(ns: list[float], ts: list[float]) -> dict[str, float] | None:
    """Least squares of log t = log a + k log n: {k, a} (None with fewer than two usable points)."""
    pts = [(n, t) for n, t in zip(ns, ts, strict=True) if n > 0 and t > 0]
    if len({n for n, _ in pts}) < 2:
        return None
    x = np.log([n for n, _ in pts])
    y = np.log([t for _, t in pts])
    k, log_a = np.polyfit(x, y, 1)
    return {"k": float(k), "a": float(math.exp(log_a)), "points": len(pts)}


def exponents(rungs: list[dict[str, Any]], grid: str) -> dict[str, Any]:
    """Cost exponents over the rungs' serial runs of one grid: kernel, fit (+ predict), wall."""
    pts = [(r["n_rows"], r["grids"][grid]["runs"]["1"]) for r in rungs
           if grid in r["grids"] and "1" in r["grids"][grid]["runs"]]
    ns = [float(n) for n, _ in pts]
    return {
        "kernel": power_fit(ns, [run["kernel_seconds"] for _, run in pts]),
        "fit": power_fit(ns, [run["fit_seconds"] + run["predict_seconds"] for _, run in pts]),
        "wall": power_fit(ns, [run["wall_seconds"] for _, run in pts]),
        "n_rows": [int(n) for n in ns],
    }


def grid_entry(results: dict[str, tuple[dict[str, Any], str]], gridsearchcv: dict[str, Any]) -> dict[str, Any]:
    """One rung x grid: its runs by name ("1", "2", "2-inline"), speedups, model checks, GridSearchCV."""
    runs = {name: run_summary(d, path) for name, (d, path) in results.items()}
    entry: dict[str, Any] = {"runs": runs, "gridsearchcv": gridsearchcv, "speedup": {}, "model_check": []}
    serial = runs.get("1")
    for name, run in runs.items():
        if serial and name != "1" and run["wall_seconds"] > 0:
            entry["speedup"][name] = serial["wall_seconds"] / run["wall_seconds"]
    gs1 = (gridsearchcv.get("n_jobs_1") or {}).get("seconds")
    if serial and gs1:
        entry["gridsearchcv_over_ours_serial"] = gs1 / serial["wall_seconds"]
    gs2, two = (gridsearchcv.get("n_jobs_2") or {}).get("seconds"), runs.get("2")
    if two and gs2:
        entry["gridsearchcv_2_over_ours_2"] = gs2 / two["wall_seconds"]
    if "1" in results:
        d1, path1 = results["1"]
        costs = costs_of(d1, path1)
        slots = int(d1.get("kernel_slots") or 0)
        for name, (d, path) in sorted(results.items()):
            if not d.get("resumed_tasks"):
                entry["model_check"].append({"run": name, "file": path, **validate(costs, slots, d)})
    return entry


def model_entry(d: dict[str, Any], path: str, ranks_per_node: int) -> dict[str, Any]:
    """The scaling model from one serial run's costs: rows for MODEL_RANKS and the headline efficiencies."""
    costs = costs_of(d, path)
    slots = int(d.get("kernel_slots") or 0)
    rows = as_dicts(model(costs, slots, tuple(sorted(set(MODEL_RANKS))), ranks_per_node))
    by_ranks = {r["ranks"]: r for r in rows}
    longest = max(costs.task_seconds)
    collapse = next((r["ranks"] for r in rows if r["efficiency"] < 0.5), None)
    return {
        "source": path, "ranks_per_node": ranks_per_node, "kernel_slots": slots, "tasks": costs.grid.n_tasks,
        "work_seconds": costs.work_seconds, "longest_task_seconds": longest,
        "rows": rows, "efficiency": {str(p): by_ranks[p]["efficiency"] for p in HEADLINE_RANKS if p in by_ranks},
        "efficiency_below_half_from": collapse,
        # past this many ranks the longest task alone outlasts an even share of the work
        "ranks_where_longest_task_binds": math.ceil(costs.work_seconds / longest) if longest > 0 else None,
    }
