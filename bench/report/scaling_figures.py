"""The two SVM scaling figures (matplotlib Agg), drawn from a kind "svm_scaling" JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display on cluster nodes
import matplotlib.pyplot as plt
import numpy as np

from hsbench.report.figures import save_figure
from hsbench.report.scaling import FIGURES


def draw_scaling_figures(s: dict[str, Any], out_dir: str | Path) -> list[Path]:
    written = []
    for name, draw in (("cost_growth", _cost_growth), ("scaling_model", _scaling_model)):
        path = Path(out_dir) / FIGURES[name]
        save_figure(draw(s), path)
        written.append(path)
    return written


def _finish(fig: plt.Figure, ax: Any, xlabel: str, ylabel: str, title: str) -> plt.Figure:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def _cost_growth(s: dict[str, Any]) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    styles = {"kernel": ("kernel_seconds", "s--"), "fit": (None, "o-"), "wall": ("wall_seconds", "^:")}
    for i, grid in enumerate(sorted({g for r in s["rungs"] for g in r["grids"]})):
        colour = f"C{i}"
        for what, (key, style) in styles.items():
            pts = []
            for r in s["rungs"]:
                one = ((r["grids"].get(grid) or {}).get("runs") or {}).get("1")
                if one:
                    y = one[key] if key else one["fit_seconds"] + one["predict_seconds"]
                    if y > 0:
                        pts.append((r["n_rows"], y))
            if not pts:
                continue
            fit = (s["exponents"].get(grid) or {}).get(what)
            label = f"{grid}: {'whole grid' if what == 'wall' else what + 's'}"
            label += f" (n^{fit['k']:.2f})" if fit else ""
            ax.loglog(*zip(*pts, strict=True), style, color=colour, label=label)
    return _finish(fig, ax, "training rows (n)", "seconds (serial)", "SVM grid: cost growth on Indian Pines (log-log)")


def _scaling_model(s: dict[str, Any]) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    top = 1
    for i, (grid, m) in enumerate(sorted(s["model"].items())):
        rows = sorted((r for r in m["rows"]), key=lambda r: r["ranks"])
        xs, ys = [r["ranks"] for r in rows], [r["speedup"] for r in rows]
        ax.loglog(xs, ys, "o-", color=f"C{i}", label=f"modelled, {grid} grid ({m['rung']})")
        top = max(top, max(xs))
        rung = next((r for r in s["rungs"] if r["rung"] == m["rung"]), None)
        runs = ((rung or {}).get("grids", {}).get(grid) or {}).get("runs", {})
        speedups = ((rung or {}).get("grids", {}).get(grid) or {}).get("speedup", {})
        measured = [(1, 1.0)] + [(runs[n]["ranks"], v) for n, v in speedups.items() if n in runs and n.isdigit()]
        if len(measured) > 1:
            ax.loglog(*zip(*measured, strict=True), "*", markersize=10, color=f"C{i}",
                      label=f"measured here, {grid} grid")
    seed = s.get("seed_published") or {}
    if seed:
        ax.loglog([seed["cores"]], [seed["speedup"]], "D", color="crimson", markersize=8,
                  label=f"seed, published (theirs): {seed['cores']} cores, {seed['serial']} -> {seed['parallel']}")
    ideal = np.array([1, top])
    ax.loglog(ideal, ideal, "k--", linewidth=0.8, label="ideal (speedup = ranks)")
    return _finish(fig, ax, "MPI ranks", "speedup over 1 rank", "SVM grid: scaling beyond this machine (modelled)")
