"""The job behind `hsbench simulate`: a grid's recorded costs -> predicted makespan on P ranks.

Reads one results JSON of kind "svm_grid" (its per-task and per-kernel seconds, see
docs/FORMATS.md), replays them through the farm's policy (hsbench.svm.simulate) for
each rank count, and checks the model against measured runs of the same grid.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hsbench.errors import InputError
from hsbench.results import read_kind
from hsbench.svm.grid import Grid
from hsbench.svm.kernels import BLOCK_ROWS
from hsbench.svm.simulate import LATENCY, Costs, Prediction, simulate

DEFAULT_RANKS = tuple(2**k for k in range(11))  # 1 .. 1024
DEFAULT_RANKS_PER_NODE = 64


def read_grid_result(path: Path) -> dict[str, Any]:
    return read_kind(path, "svm_grid", "grid result")


def costs_of(data: dict[str, Any], path: Path | str) -> Costs:
    """The recorded costs of a grid result; InputError when the file lacks them."""
    seconds = data.get("task_seconds")
    grid = Grid(tuple(data["grid"]["gamma"]), tuple(data["grid"]["C"]), int(data["n_folds"]))
    if not isinstance(seconds, list) or len(seconds) != grid.n_tasks or not all(
            isinstance(s, (int, float)) and math.isfinite(s) for s in seconds):
        raise InputError(f"{path}: no per-task costs (task_seconds missing or incomplete: written by an older "
                         "hsbench grid, or resumed from an older journal); run hsbench grid again")
    slots = int(data.get("kernel_slots") or 0)
    kernel_seconds = [0.0] * len(grid.gamma)
    if slots:
        by_gamma: dict[float, list[float]] = {}
        for k in data.get("kernels") or []:
            by_gamma.setdefault(k["gamma"], []).append(k["seconds"] * len(data["folds"]) / k["rows"])
        missing = [g for g in grid.gamma if g not in by_gamma]
        if missing:
            raise InputError(f"{path}: no kernel seconds for gamma {', '.join(f'{g:g}' for g in missing)} "
                             "(a resumed run computes only the kernels it still needs); run hsbench grid again")
        kernel_seconds = [sum(by_gamma[g]) / len(by_gamma[g]) for g in grid.gamma]
    block_rows = int((data.get("farm") or {}).get("block_rows") or BLOCK_ROWS)
    return Costs(grid, len(data["folds"]), tuple(float(s) for s in seconds), tuple(kernel_seconds), block_rows)


@dataclass(frozen=True)
class ModelRow:
    ranks: int
    ranks_per_node: int
    nodes: int
    makespan: float
    speedup: float
    efficiency: float
    bound: str
    kernels_computed: int


def model(costs: Costs, slots: int, ranks: tuple[int, ...], ranks_per_node: int,
          latency: float = LATENCY) -> list[ModelRow]:
    """Predicted makespan, speedup and efficiency (over the model's own 1 rank) for each rank count."""
    one = simulate(costs, 1, 1, slots, latency=latency).makespan
    rows = []
    for p in ranks:
        pred: Prediction = simulate(costs, p, min(p, ranks_per_node), slots, latency=latency)
        speedup = one / pred.makespan if pred.makespan > 0 else math.nan
        rows.append(ModelRow(p, pred.ranks_per_node, pred.nodes, pred.makespan, speedup, speedup / p,
                             pred.bound, pred.kernels_computed))
    return rows


def validate(costs: Costs, slots: int, measured: dict[str, Any], latency: float = LATENCY) -> dict[str, Any]:
    """The model's makespan for a measured run's ranks and node layout, beside its wall time."""
    ranks = int(measured["ranks"])
    per_node = max(1, max((list(measured.get("node_of_rank") or [0])).count(n)
                          for n in set(measured.get("node_of_rank") or [0])))
    mode = (measured.get("farm") or {}).get("root", "thread")
    pred = simulate(costs, ranks, per_node, slots, mode="inline" if mode == "inline" else "thread",
                    latency=latency)
    wall = float(measured["wall_seconds"])
    return {"ranks": ranks, "measured_seconds": wall, "predicted_seconds": pred.makespan,
            "error": (pred.makespan - wall) / wall if wall > 0 else math.nan}


def model_table(rows: list[ModelRow]) -> list[str]:
    lines = [f"{'ranks':>6} {'nodes':>5} {'makespan':>12} {'speedup':>8} {'efficiency':>10}  bound"]
    for r in rows:
        lines.append(f"{r.ranks:>6} {r.nodes:>5} {r.makespan:>10.2f} s {r.speedup:>8.2f} {100 * r.efficiency:>9.1f}%"
                     f"  {r.bound}")
    return lines


def as_dicts(rows: list[ModelRow]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]
