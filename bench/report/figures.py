"""The report's PNG figures, drawn with matplotlib's Agg backend (no display).

Which figures exist and what they are called is decided by
`hsbench.report.plan.plan_figures` (pure); this module only draws them, each written
atomically (savefig to a temporary path, then renamed).

Colours of the classification maps are fixed per class id (tab20, id mod 20),
so the same class has the same colour in every panel and every report.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display on cluster nodes
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from hsbench.atomic import atomic_path
from hsbench.report.derive import speedup
from hsbench.report.group import DatasetGroup, Run, svm_methods
from hsbench.report.plan import FigureSpec, plan_figures

_DPI = 110
_BACKGROUND = (1.0, 1.0, 1.0, 1.0)  # unlabelled / not painted
_TAB20 = plt.get_cmap("tab20")


def class_colour(class_id: int) -> tuple[float, float, float]:
    """The class's fixed colour: tab20's entry (id mod 20), the same in every panel and report."""
    r, g, b, _ = _TAB20(int(class_id) % 20)
    return (float(r), float(g), float(b))


def draw_figures(group: DatasetGroup, out_dir: str | Path) -> list[Path]:
    """Draw every planned, not-skipped figure of `group` into `out_dir`; return the paths."""
    drawers = {"grid": _grid, "speedup": _speedup, "cnn_curves": _cnn_curves, "maps": _maps}
    written = []
    for spec in plan_figures(group):
        if spec.skip:
            continue
        path = Path(out_dir) / spec.filename
        save_figure(drawers[spec.name](group, spec), path)
        written.append(path)
    return written


def save_figure(fig: plt.Figure, path: Path) -> None:
    """Write `fig` as a PNG atomically and close it."""
    try:
        with atomic_path(path, suffix=".png") as tmp:
            # no Software/date metadata: same inputs give the same bytes
            fig.savefig(tmp, format="png", dpi=_DPI, metadata={"Software": None})
    finally:
        plt.close(fig)


def _svm_runs(group: DatasetGroup) -> list[Run]:
    return [r for r in group.runs if r.category != "cnn"]


def _grid(group: DatasetGroup, spec: FigureSpec) -> plt.Figure:
    runs = _svm_runs(group)
    ncols = min(3, len(runs))  # wrap, so a directory with many runs stays readable
    nrows = -(-len(runs) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols + 0.8, 3.6 * nrows + 0.4), squeeze=False)
    for ax in axes.flat[len(runs):]:
        ax.set_visible(False)
    for ax, run in zip(axes.flat, runs, strict=False):
        gammas, cs = run.d["grid"]["gamma"], run.d["grid"]["C"]
        acc = np.full((len(gammas), len(cs)), np.nan)
        for cell in run.d["cells"]:
            if cell["gamma"] in gammas and cell["C"] in cs:
                acc[gammas.index(cell["gamma"]), cs.index(cell["C"])] = 100 * cell["mean_accuracy"]
        im = ax.imshow(acc, cmap="viridis", aspect="auto", vmin=np.nanmin(acc), vmax=np.nanmax(acc))
        best = run.d["best"]
        for i, gm in enumerate(gammas):
            for j, c in enumerate(cs):
                if np.isnan(acc[i, j]):
                    ax.text(j, i, "not run", ha="center", va="center", fontsize=8)
                    continue
                is_best = gm == best.get("gamma") and c == best.get("C")
                # dark text on the bright end of viridis, white elsewhere
                bright = acc[i, j] > np.nanmin(acc) + 0.6 * (np.nanmax(acc) - np.nanmin(acc) + 1e-12)
                ax.text(j, i, f"{acc[i, j]:.2f}", ha="center", va="center", fontsize=9,
                        fontweight="bold" if is_best else "normal", color="black" if bright else "white")
        ax.set_xticks(range(len(cs)), [f"{c:g}" for c in cs])
        ax.set_yticks(range(len(gammas)), [f"{g:g}" for g in gammas])
        ax.set_xlabel("C")
        ax.set_ylabel("gamma")
        ax.set_title(run.label, fontsize=8)
        fig.colorbar(im, ax=ax, label="CV accuracy (%)")
    folds = sorted({str(r.d.get("n_folds", "?")) for r in runs})
    fig.suptitle(f"{'/'.join(folds)}-fold CV accuracy (%), best cell bold", fontsize=10)
    fig.tight_layout()
    return fig


def _speedup(group: DatasetGroup, spec: FigureSpec) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    series: dict[str, list[tuple[int, float]]] = {}
    for run in group.of("parallel"):
        ref, s, _ = speedup(group, run)
        if s is None or ref is None:
            continue
        pts = series.setdefault(ref.label, [(1, 1.0)])  # the serial run is speedup 1 at 1 rank
        pts.append((int(run.d["ranks"]), s))
    top = 1
    for label, pts in sorted(series.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=f"measured vs {label}")
        top = max(top, max(p[0] for p in pts))
    ax.plot([1, top], [1, top], "k--", label="ideal (speedup = ranks)")
    ax.set_xlabel("MPI ranks")
    ax.set_ylabel("speedup over serial (wall time)")
    ax.set_xticks(sorted({p[0] for pts in series.values() for p in pts}))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("SVM grid: speedup vs ranks", fontsize=10)
    fig.tight_layout()
    return fig


def _cnn_curves(group: DatasetGroup, spec: FigureSpec) -> plt.Figure:
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for run in group.of("cnn"):
        rows = run.d.get("history_rows") or []
        if not rows:
            continue
        ep = [r["epoch"] for r in rows]
        for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
            line, = ax.plot(ep, [r.get(key) for r in rows], "-", label=f"train, {run.label}")
            if any(r.get(f"val_{key}") is not None for r in rows):
                pts = [(r["epoch"], r[f"val_{key}"]) for r in rows if r.get(f"val_{key}") is not None]
                ax.plot(*zip(*pts, strict=True), "--", color=line.get_color(), label=f"validation, {run.label}")
    for ax, name in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("3D-CNN training curves", fontsize=10)
    fig.tight_layout()
    return fig


def _paint(shape: tuple[int, int], coords: list, labels: list) -> np.ndarray:
    img = np.zeros(shape, dtype=int)
    for (r, c), lab in zip(coords, labels, strict=True):
        img[r, c] = int(lab)
    return img


def _best_by_oa(runs: list[Run]) -> Run | None:
    runs = [r for r in runs if isinstance((r.d.get("test") or {}).get("predictions"), list)]
    # highest OA; ties broken by report order, so the choice is stable
    return max(runs, key=lambda r: r.d["test"].get("oa") or 0.0, default=None)


def _maps(group: DatasetGroup, spec: FigureSpec) -> plt.Figure:
    info = group.info
    h, w = info["scene"]["shape"][:2]
    ids = sorted(int(k) for k in info["class_names"])
    colours = [_BACKGROUND] + [class_colour(i) for i in range(1, max(ids) + 1)]
    cmap = ListedColormap(colours)
    tr, te = info["train"], info["test"]
    panels: list[tuple[str, np.ndarray | None]] = [("Ground truth (train + test)",
               _paint((h, w), tr["coords"] + te["coords"], tr["labels"] + te["labels"]))]
    svm = _svm_runs(group)
    # one panel per SVM method (raw bands, engineered features), then the CNN
    methods = [(m, _best_by_oa([r for r in svm if r.method == m])) for m in svm_methods(svm)] or [("SVM", None)]
    for title, run in [*methods, ("3D-CNN", _best_by_oa(group.of("cnn")))]:
        if run is None:
            panels.append((f"{title}: not run", None))
        else:
            oa = 100 * run.d["test"]["oa"]
            panels.append((f"{title} test predictions, OA {oa:.2f}%\n{run.label}",
                           _paint((h, w), te["coords"], run.d["test"]["predictions"])))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 4.6))
    for ax, (title, img) in zip(axes, panels, strict=True):
        if img is None:
            ax.text(0.5, 0.5, "not run", ha="center", va="center", transform=ax.transAxes)
        else:
            ax.imshow(img, cmap=cmap, vmin=-0.5, vmax=len(colours) - 0.5, interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    handles = [Patch(color=class_colour(i), label=f"{i}: {info['class_names'][str(i)]}") for i in ids]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=7, frameon=False)
    fig.suptitle("Classification maps (white: unlabelled, or not a test pixel)", fontsize=10)
    # room for the suptitle above and the legend rows below
    fig.tight_layout(rect=(0, 0.06 + 0.035 * ((len(handles) - 1) // 6), 1, 0.93))
    return fig
