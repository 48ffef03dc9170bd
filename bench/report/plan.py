"""The figures plan (pure): which PNGs a dataset gets, their names, or why one is skipped.

Both the markdown (links) and hsbench.report.figures (drawing) follow this plan, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from hsbench.report.derive import speedup
from hsbench.report.fmt import get
from hsbench.report.group import DatasetGroup


@dataclass(frozen=True)
class FigureSpec:
    name: str  # "grid" | "speedup" | "cnn_curves" | "maps"
    filename: str  # relative to the report's figures directory
    caption: str
    skip: str | None  # why it is not drawn, or None


def plan_figures(group: DatasetGroup) -> list[FigureSpec]:
    svm = [r for r in group.runs if r.category != "cnn"]
    cnn = group.of("cnn")
    pre = group.slug

    def spec(name: str, caption: str, skip: str | None) -> FigureSpec:
        return FigureSpec(name, f"{pre}_{name}.png", caption, skip)

    specs = [
        spec("grid", "Cross-validated accuracy over the (gamma, C) grid, one panel per SVM run",
             None if svm else "no SVM grid run"),
    ]
    parallel = [r for r in group.of("parallel") if speedup(group, r)[1] is not None]
    specs.append(spec(
        "speedup", "Speedup over the serial run vs MPI ranks, with the ideal (speedup = ranks) line",
        None if parallel else "needs a serial and at least one parallel SVM run of the same grid",
    ))
    with_history = [r for r in cnn if r.d.get("history_rows")]
    specs.append(spec(
        "cnn_curves", "3D-CNN training curves: loss and accuracy per epoch (train and validation)",
        None if with_history else ("no CNN run" if not cnn else "the CNN results carry no history_rows"),
    ))
    specs.append(spec("maps", "Classification maps: ground truth, each SVM method's and the CNN's test predictions",
                      _maps_skip(group)))
    return specs


def _maps_skip(group: DatasetGroup) -> str | None:
    if not group.has_coords:
        return ("no dataset.json (kind \"dataset\") in the results directory, so there are no "
                "pixel coordinates to paint; copy the prepared dataset.json beside the results")
    n_test = len(group.info["test"]["labels"])
    painted = [r for r in group.runs if isinstance(get(r.d, "test", "predictions"), list)]
    if not painted:
        return "no run carries test predictions"
    bad = [r.item.path for r in painted if len(r.d["test"]["predictions"]) != n_test]
    if bad:
        return (f"test predictions of {', '.join(bad)} do not match the {n_test} test pixels "
                "of dataset.json")
    return None
