"""Grouping: results are comparable only when both methods saw the same pixels.

One *dataset* = scene name + split kind + train fraction + split seed (the key of
dataset.json). Each run is filed under its dataset with a category (SVM serial,
parallel, GPU; 3D-CNN), a method (what it learns from: "SVM raw", "SVM EAP", "3D-CNN")
and a label unique within the dataset.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from hsbench.report.fmt import NOT_RECORDED, features_of, fmt_num
from hsbench.report.load import Loaded

# Method categories, in report order. A category with no run is shown as
# "not run" in every table, so a reader sees what was not measured.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("serial", "SVM serial"),
    ("parallel", "SVM parallel (MPI)"),
    ("gpu", "SVM GPU"),
    ("cnn", "3D-CNN"),
)
CATEGORY_TITLE = dict(CATEGORIES)


@dataclass
class Run:
    """One svm_grid or cnn results file, with its category and table label."""

    category: str
    label: str
    item: Loaded

    @property
    def d(self) -> dict:
        return self.item.data

    @property
    def method(self) -> str:
        return method_of(self.d)


@dataclass
class DatasetGroup:
    key: tuple
    info: dict  # scene, split, features, class_names, counts (+ train/test coords if dataset.json)
    dataset_files: list[Loaded] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)

    @property
    def title(self) -> str:
        name, kind, frac, seed = self.key
        return f"{name}, {kind} split, train fraction {fmt_num(frac)}, seed {seed}"

    @property
    def slug(self) -> str:
        name, kind, frac, seed = self.key
        return re.sub(r"[^A-Za-z0-9.]+", "-", f"{name}-{kind}-{fmt_num(frac)}-seed{seed}").strip("-")

    @property
    def has_coords(self) -> bool:
        return bool(self.dataset_files)

    def of(self, category: str) -> list[Run]:
        return [r for r in self.runs if r.category == category]


def dataset_key(info: dict) -> tuple:
    """(scene name, split kind, train fraction, seed): what makes two runs comparable."""
    scene = info.get("scene") or {}
    split = info.get("split") or {}
    return (
        str(scene.get("name", "unknown scene")),
        str(split.get("kind", "unknown")),
        split.get("train_fraction", NOT_RECORDED),
        split.get("seed", NOT_RECORDED),
    )


# SVM inputs by feature kind: the seed's scenario (1) is raw bands, (2) engineered features
FEATURE_METHODS = {"raw": "SVM raw", "pca": "SVM PCA", "emp": "SVM EMP", "eap": "SVM EAP"}


def method_of(data: dict) -> str:
    """"3D-CNN", or the SVM and its input: "SVM raw", "SVM PCA", "SVM EMP", "SVM EAP"."""
    if data["kind"] == "cnn":
        return "3D-CNN"
    features = features_of(data)
    return FEATURE_METHODS.get(features.split(":", 1)[0], f"SVM {features}")


def svm_methods(runs: Iterable[Run]) -> list[str]:
    """The SVM methods among `runs`, raw bands first."""
    return sorted({r.method for r in runs if r.category != "cnn"}, key=lambda m: (m != "SVM raw", m))


def category_of(data: dict) -> str:
    if data["kind"] == "cnn":
        return "cnn"
    if data.get("backend_build") == "gpu":
        return "gpu"
    return "parallel" if int(data["ranks"]) > 1 else "serial"


def _run_sort_key(data: dict, path: str) -> tuple:
    cats = [c for c, _ in CATEGORIES]
    return (
        cats.index(category_of(data)),
        int(data.get("ranks", 0) or 0),
        str(data.get("backend", "")),
        str(data.get("backend_build", data.get("protocol", ""))),
        str(features_of(data)),
        path,
    )


def _base_label(data: dict) -> str:
    if data["kind"] == "cnn":
        return f"3D-CNN {data.get('protocol')}, {data.get('backend')}, {data.get('device', NOT_RECORDED)}"
    build = data.get("backend_build")
    backend = f"{data['backend']}/{build}" if build else str(data["backend"])
    ranks = int(data["ranks"])
    grid = f"{data['grid_name']} grid, " if data.get("grid_name") else ""
    return f"SVM {backend}, {features_of(data)}, {grid}{ranks} rank{'s' if ranks != 1 else ''}"


def group_by_dataset(loaded: Iterable[Loaded]) -> list[DatasetGroup]:
    """File every record under its dataset key; groups and runs in a fixed order."""
    groups: dict[tuple, DatasetGroup] = {}
    items = sorted(loaded, key=lambda it: it.path)
    # dataset.json first: its info (with coordinates) wins over the copies in results
    for item in items:
        if item.data["kind"] == "dataset":
            key = dataset_key(item.data)
            g = groups.setdefault(key, DatasetGroup(key, item.data))
            g.dataset_files.append(item)
    results = sorted(
        (it for it in items if it.data["kind"] != "dataset"),
        key=lambda it: _run_sort_key(it.data, it.path),
    )
    for item in results:
        info = item.data["dataset"] or {}
        key = dataset_key(info)
        g = groups.setdefault(key, DatasetGroup(key, info))
        g.runs.append(Run(category_of(item.data), _base_label(item.data), item))
    for g in groups.values():
        # two runs with the same description get #2, #3 (by path order) so labels stay unique
        seen: dict[str, int] = defaultdict(int)
        for run in g.runs:
            seen[run.label] += 1
            if seen[run.label] > 1:
                run.label = f"{run.label} #{seen[run.label]}"
    return [groups[k] for k in sorted(groups, key=lambda k: tuple(str(x) for x in k))]
