"""`hsbench report`: results JSON -> one markdown report (pure) + figure plan.

Three layers, so the markdown stays a pure function of the JSON:

* `collect_results(root)` reads every ``*.json`` under a directory (the only
  I/O here), keeps the kinds of docs/FORMATS.md ("dataset", "svm_grid",
  "cnn"), validates the keys the report needs and returns `Loaded` records
  sorted by path, plus warnings for files it skipped.
* `group_by_dataset(loaded)` files each record under its dataset.
* `render_markdown(groups)` turns the groups into markdown text.
  `plan_figures(group)` names the PNGs (or says why one is skipped); both the
  markdown and `bench.figures` use that plan, so links and files agree.

Grouping: results are comparable only when both methods saw the same pixels,
so one *dataset* = scene name + split kind + train fraction + split seed (the
key of `dataset.json`). A directory holding a random and a disjoint split gives
two datasets, each with its own six sections under its own heading; features
(raw, pca:N) may differ inside a dataset and are a column of every table.

Determinism: inputs are sorted by relative path, every float has one fixed
format, and nothing is added that is not in the JSON (no clock, no host
lookup). Missing results read "not run", values that do not apply "n/a",
keys absent from a file "not recorded" -- never a blank or a guess.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hsbench.errors import InputError

NOT_RUN = "not run"
NA = "n/a"
NOT_RECORDED = "not recorded"

KINDS = ("dataset", "svm_grid", "cnn")

# Keys the report cannot do without, per kind (docs/FORMATS.md); anything
# else is read with a "not recorded" fallback.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "dataset": ("scene", "split", "class_names", "train", "test", "counts"),
    "svm_grid": ("dataset", "grid", "cells", "best", "backend", "ranks", "wall_seconds", "test"),
    "cnn": ("dataset", "protocol", "backend", "test"),
}

# Method categories, in report order. A category with no run is shown as
# "not run" in every table, so a reader sees what was not measured.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("serial", "SVM serial"),
    ("parallel", "SVM parallel (MPI)"),
    ("gpu", "SVM GPU"),
    ("cnn", "3D-CNN"),
)
_CATEGORY_TITLE = dict(CATEGORIES)

# --------------------------------------------------------------------------
# The seed's published figures. Theirs, not ours: they are quoted in section 5
# beside our measurements and never mixed into our own tables.
SEED_SVM_CITATION = (
    "G. Cavallaro, M. Riedel, J. A. Benediktsson et al., IEEE Journal of Selected "
    "Topics in Applied Earth Observations and Remote Sensing (JSTARS), 2015"
)
SEED_CNN_CITATION = "Juelich Supercomputing Centre course, 3D-CNN 'standard model' (Keras)"


@dataclass(frozen=True)
class Anchor:
    key: str  # which of our measurements sits beside it (see _our_anchor)
    what: str
    theirs: str
    source: str


SEED_ANCHORS: tuple[Anchor, ...] = (
    Anchor("cv_best", "10-fold CV, best cell", "77.02% at gamma=8, C=100", SEED_SVM_CITATION),
    Anchor("cell_time", "one grid cell (best), serial -> parallel",
           "14.41 min serial -> 1.02 min on 80 cores", SEED_SVM_CITATION),
    Anchor("grid_time", "whole grid, serial -> parallel", "~9 h -> ~35 min", SEED_SVM_CITATION),
    Anchor("cnn_oa", "3D-CNN test OA", "~83.5% OA after 1000 epochs, 16 h on 2 K40 GPUs, 58 classes",
           SEED_CNN_CITATION),
    Anchor("small_set", "small training set", "1,036 train / 9,330 test pixels, 0.49 h for 1000 epochs",
           SEED_CNN_CITATION),
)


# --------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class Loaded:
    """One JSON file: `path` relative to the results directory (POSIX form)."""

    path: str
    data: dict


def collect_results(root: str | Path) -> tuple[list[Loaded], list[str]]:
    """Read every ``*.json`` under `root` (recursively).

    Returns the known-kind files sorted by path and one warning per skipped
    file. Raises `InputError` for a missing directory, a file that is not
    valid JSON, a known kind lacking a required key, or no usable file at all.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: no such results directory")
    loaded: list[Loaded] = []
    warnings: list[str] = []
    unlabelled: list[str] = []
    for path in sorted(root.rglob("*.json")):
        rel = path.relative_to(root).as_posix()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not valid JSON ({exc})") from None
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind is None:
            # not a results file (e.g. a CNN checkpoint's state.json): named only if nothing else is found
            unlabelled.append(f"{path}: skipped, no 'kind' key")
            continue
        if kind not in KINDS:
            warnings.append(f"{path}: skipped, kind {kind!r} is not one of {', '.join(KINDS)}")
            continue
        missing = [k for k in _REQUIRED[kind] if k not in data]
        if missing:
            raise InputError(
                f"{path}: kind {kind!r} lacks key(s) {', '.join(missing)} "
                "(see docs/FORMATS.md; was it written by an older hsbench?)"
            )
        loaded.append(Loaded(rel, data))
    if not any(item.data["kind"] != "dataset" for item in loaded):
        raise InputError(
            f"{root}: no results JSON found (no *.json of kind svm_grid or cnn, searched "
            "recursively); run `hsbench grid` or `hsbench cnn` with --out in this directory first"
            + (f"; skipped: {'; '.join(warnings + unlabelled)}" if warnings or unlabelled else "")
        )
    return loaded, warnings


# --------------------------------------------------------------------------
# Grouping


@dataclass
class Run:
    """One svm_grid or cnn results file, with its category and table label."""

    category: str
    label: str
    item: Loaded

    @property
    def d(self) -> dict:
        return self.item.data


@dataclass
class DatasetGroup:
    key: tuple
    info: dict  # scene, split, features, class_names, counts (+ train/test coords if dataset.json)
    dataset_files: list[Loaded] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)

    @property
    def title(self) -> str:
        name, kind, frac, seed = self.key
        return f"{name}, {kind} split, train fraction {_fmt_num(frac)}, seed {seed}"

    @property
    def slug(self) -> str:
        name, kind, frac, seed = self.key
        return re.sub(r"[^A-Za-z0-9.]+", "-", f"{name}-{kind}-{_fmt_num(frac)}-seed{seed}").strip("-")

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
        str(_features(data)),
        path,
    )


def _base_label(data: dict) -> str:
    if data["kind"] == "cnn":
        return f"3D-CNN {data.get('protocol')}, {data.get('backend')}, {data.get('device', NOT_RECORDED)}"
    build = data.get("backend_build")
    backend = f"{data['backend']}/{build}" if build else str(data["backend"])
    ranks = int(data["ranks"])
    grid = f"{data['grid_name']} grid, " if data.get("grid_name") else ""
    return f"SVM {backend}, {_features(data)}, {grid}{ranks} rank{'s' if ranks != 1 else ''}"


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


# --------------------------------------------------------------------------
# Formatting: one rule per quantity, so the same JSON gives the same bytes


def _fmt_num(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def fmt_pct(x: Any) -> str:
    """A fraction in [0, 1] as a percentage with two decimals ("77.02")."""
    return f"{100.0 * x:.2f}" if _is_num(x) else NOT_RECORDED if x is None else NA


def fmt_kappa(x: Any) -> str:
    return f"{x:.4f}" if _is_num(x) else NOT_RECORDED


def fmt_seconds(x: Any) -> str:
    return f"{x:.2f}" if _is_num(x) else NOT_RECORDED


def fmt_minutes(x: Any) -> str:
    return f"{x:.2f}" if _is_num(x) else NOT_RECORDED


def fmt_ratio(x: Any) -> str:
    return f"{x:.2f}" if _is_num(x) else NA


def fmt_duration(seconds: Any) -> str:
    """Seconds in the unit a reader compares with the seed's: h, min or s."""
    if not _is_num(seconds):
        return NOT_RECORDED
    if seconds >= 3600:
        return f"{seconds / 3600:.2f} h"
    if seconds >= 60:
        return f"{seconds / 60:.2f} min"
    return f"{seconds:.2f} s"


def fmt_rate(x: Any) -> str:
    return f"{x:.1f}" if _is_num(x) else NOT_RECORDED


def _get(d: dict, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _features(data: dict) -> str:
    return str(_get(data, "dataset", "features") or data.get("features") or NOT_RECORDED)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    """A GitHub markdown table. `align`: one of 'l'/'r' per column (default: first l, rest r)."""
    align = align or "l" + "r" * (len(header) - 1)
    esc = lambda s: str(s).replace("|", "\\|")
    out = ["| " + " | ".join(esc(h) for h in header) + " |"]
    out.append("|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|")
    for row in rows:
        assert len(row) == len(header), (header, row)
        out.append("| " + " | ".join(esc(c) for c in row) + " |")
    return out


# --------------------------------------------------------------------------
# Derived numbers (every one from the JSON)


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
        if _features(s.d) == _features(run.d) and s.d.get("grid") == run.d.get("grid")
    ]
    same = [s for s in cands if s.d.get("backend") == run.d.get("backend")]
    pick = same or cands
    return pick[0] if pick else None


def speedup(group: DatasetGroup, run: Run) -> tuple[Run | None, float | None, float | None]:
    """(serial reference, speedup = serial wall / this wall, efficiency = speedup / ranks)."""
    ref = serial_reference(group, run)
    if ref is None or not _is_num(ref.d.get("wall_seconds")) or not _is_num(run.d.get("wall_seconds")):
        return ref, None, None
    if run.d["wall_seconds"] <= 0:
        return ref, None, None
    s = ref.d["wall_seconds"] / run.d["wall_seconds"]
    ranks = int(run.d.get("ranks", 1) or 1)
    eff = s / ranks if run.category != "gpu" else None
    return ref, s, eff


# --------------------------------------------------------------------------
# Figures plan (pure: names and skip reasons; bench.figures draws them)


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
    specs.append(spec("maps", "Classification maps: ground truth, SVM and CNN test predictions",
                      _maps_skip(group)))
    return specs


def _maps_skip(group: DatasetGroup) -> str | None:
    if not group.has_coords:
        return ("no dataset.json (kind \"dataset\") in the results directory, so there are no "
                "pixel coordinates to paint; copy the prepared dataset.json beside the results")
    n_test = len(group.info["test"]["labels"])
    painted = [r for r in group.runs if isinstance(_get(r.d, "test", "predictions"), list)]
    if not painted:
        return "no run carries test predictions"
    bad = [r.item.path for r in painted if len(r.d["test"]["predictions"]) != n_test]
    if bad:
        return (f"test predictions of {', '.join(bad)} do not match the {n_test} test pixels "
                "of dataset.json")
    return None


# --------------------------------------------------------------------------
# Markdown


def render_markdown(groups: Sequence[DatasetGroup], figures_dir: str = "figures") -> str:
    """The whole report. Pure: same groups in, same text out."""
    n_files = sum(len(g.runs) + len(g.dataset_files) for g in groups)
    out = [
        "# hsbench report",
        "",
        f"Built by `hsbench report` from {n_files} JSON file(s) in {len(groups)} dataset(s). "
        "Every number below is read from those files. "
        f"\"{NOT_RUN}\" marks a method with no results file, \"{NA}\" a value that does not apply, "
        f"\"{NOT_RECORDED}\" a key missing from its file. "
        "Section 5 quotes the seed's *published* figures, which are theirs, not ours.",
    ]
    if len(groups) > 1:
        out += ["", "Datasets (each has its own six sections; results of different splits are "
                "never mixed in one table):", ""]
        out += [f"{i}. {g.title}" for i, g in enumerate(groups, 1)]
    for i, g in enumerate(groups, 1):
        out += ["", f"## Dataset {i}: {g.title}"]
        for section in (_setup, _accuracy, _grid, _time, _anchors):
            out += ["", *section(g)]
        out += ["", *_figures(g, figures_dir)]
    return "\n".join(out) + "\n"


def _class_ids(group: DatasetGroup) -> list[str]:
    names = group.info.get("class_names") or {}
    counts = group.info.get("counts") or {}
    ids = set(names) | set(counts.get("train", {})) | set(counts.get("test", {}))
    return sorted(ids, key=lambda s: (int(s) if s.isdigit() else 1 << 30, s))


def _setup(g: DatasetGroup) -> list[str]:
    info = g.info
    scene, split = info.get("scene") or {}, info.get("split") or {}
    names = info.get("class_names") or {}
    counts = info.get("counts") or {}
    shape = scene.get("shape")
    shape_s = " x ".join(str(x) for x in shape) + " (H x W x bands)" if shape else NOT_RECORDED
    features = sorted({_features(r.d) for r in g.runs} | ({str(info["features"])} if "features" in info else set()))
    excluded = split.get("excluded") or []
    out = ["### 1. Setup", ""]
    out += [
        f"- Scene: {scene.get('name', NOT_RECORDED)}, {shape_s}; source: {scene.get('source', NOT_RECORDED)}",
        f"- Scene citation: {scene.get('citation', NOT_RECORDED)}",
        f"- Split: {split.get('kind', NOT_RECORDED)}, train fraction {_fmt_num(split.get('train_fraction', NOT_RECORDED))}, "
        f"seed {split.get('seed', NOT_RECORDED)}, window {split.get('window', NOT_RECORDED)}"
        + (f", buffer {split.get('buffer')} ({split.get('buffer_dropped', NOT_RECORDED)} pixels dropped)"
           if split.get("kind") == "disjoint" else ""),
        f"- Features: {', '.join(features) if features else NOT_RECORDED}",
        f"- Classes used: {len(names)}; excluded: "
        + (", ".join(str(x) for x in excluded) if excluded else "none")
        + (f" (fewer than {split['min_class_pixels']} labelled pixels)" if excluded and "min_class_pixels" in split else ""),
    ]
    for key, what in (("missing_train", "no training pixel"), ("missing_test", "no test pixel")):
        if split.get(key):
            out.append(f"- Classes with {what}: {', '.join(str(x) for x in split[key])}")
    out += ["", "Training and test pixels per class:", ""]
    tr, te = counts.get("train", {}), counts.get("test", {})
    rows = [[cid, names.get(cid, NOT_RECORDED), str(tr.get(cid, 0)), str(te.get(cid, 0))] for cid in _class_ids(g)]
    rows.append(["", "**total**", f"**{sum(tr.values())}**", f"**{sum(te.values())}**"])
    out += table(["id", "class", "train", "test"], rows, "llrr")

    out += ["", "Runs (the label used in every table below, and the file it comes from):", ""]
    if g.runs:
        out += table(
            ["run", "file", "command", "created"],
            [[r.label, f"`{r.item.path}`", f"`{r.d.get('command', NOT_RECORDED)}`", str(r.d.get("created", NOT_RECORDED))]
             for r in g.runs], "llll",
        )
    else:
        out.append(f"No SVM or CNN results for this dataset: every method is {NOT_RUN}.")

    out += ["", "Hardware:", ""]
    hw_rows: dict[tuple, list[str]] = {}
    for r in g.runs:
        hosts = r.d.get("hosts") or [r.d.get("host") or {}]
        for h in hosts:
            k = (str(h.get("hostname", NOT_RECORDED)), str(h.get("cpu", NOT_RECORDED)),
                 str(h.get("cores", NOT_RECORDED)), str(r.d.get("device", NOT_RECORDED)))
            if r.label not in hw_rows.setdefault(k, []):  # one line per MPI rank on the same host
                hw_rows[k].append(r.label)
    if hw_rows:
        out += table(["host", "CPU model", "cores", "device (GPU model or cpu)", "runs"],
                     [[*k, "; ".join(v)] for k, v in sorted(hw_rows.items())], "llrll")
    else:
        out.append(NOT_RUN)
    gpus = sorted({str(r.d["device"]) for r in g.runs if r.d.get("device") not in (None, "cpu")})
    out += ["", f"GPU model: {', '.join(gpus) if gpus else 'none used (' + NOT_RUN + ' on a GPU)'}"]

    versions: dict[str, set[str]] = defaultdict(set)
    for r in g.runs:
        for pkg, ver in (r.d.get("versions") or {}).items():
            versions[pkg].add(str(ver))
    out += ["", "Package versions (all runs; several values = runs differ):", ""]
    if versions:
        out += table(["package", "version"], [[p, ", ".join(sorted(v))] for p, v in sorted(versions.items())], "ll")
    else:
        out.append(NOT_RECORDED)
    return out


def _cv_cell(r: Run) -> tuple[str, str]:
    if r.category == "cnn":
        return NA, NA
    best = r.d["best"]
    cv = fmt_pct(best.get("mean_accuracy"))
    if _is_num(best.get("std_accuracy")):
        cv += f" ± {fmt_pct(best['std_accuracy'])}"
    return cv, f"gamma={_fmt_num(best.get('gamma'))}, C={_fmt_num(best.get('C'))}"


def _accuracy(g: DatasetGroup) -> list[str]:
    out = ["### 2. Accuracy", "", "Test set, one row per run (SVM: the best CV cell refit on all "
           "training pixels). OA, AA and CV accuracy in %.", ""]
    rows = []
    for cat, title in CATEGORIES:
        runs = g.of(cat)
        if not runs:
            rows.append([title, NOT_RUN] + [NOT_RUN] * 6)
        for r in runs:
            test = r.d.get("test")
            if test is None:
                oa = aa = kappa = "no test set"
            else:
                oa, aa, kappa = fmt_pct(test.get("oa")), fmt_pct(test.get("aa")), fmt_kappa(test.get("kappa"))
            cv, best = _cv_cell(r)
            rows.append([title, r.label, _features(r.d), oa, aa, kappa, cv, best])
    out += table(["method", "run", "features", "test OA", "AA", "kappa", "CV accuracy", "best cell"],
                 rows, "lllrrrrl")

    out += ["", "Per-class test accuracy (%), methods side by side:", ""]
    names = g.info.get("class_names") or {}
    counts = g.info.get("counts") or {}
    cols: list[tuple[str, dict | None]] = []
    for cat, title in CATEGORIES:
        runs = g.of(cat)
        cols += [(r.label, _get(r.d, "test", "per_class") or {}) for r in runs] or [(title, None)]
    rows = []
    for cid in _class_ids(g):
        row = [cid, names.get(cid, NOT_RECORDED), str(counts.get("train", {}).get(cid, 0)),
               str(counts.get("test", {}).get(cid, 0))]
        for _, per in cols:
            if per is None:
                row.append(NOT_RUN)
            elif cid not in per:
                row.append(NOT_RECORDED)
            else:
                row.append(fmt_pct(per[cid]) if per[cid] is not None else f"{NA} (no test pixel)")
        rows.append(row)
    out += table(["id", "class", "train", "test", *[c for c, _ in cols]], rows, "llrr" + "r" * len(cols))
    return out


def grid_table(run: dict) -> list[str]:
    """The seed's layout: rows gamma, columns C, "CV accuracy (minutes)", best cell bold."""
    gammas, cs = run["grid"].get("gamma", []), run["grid"].get("C", [])
    best = run["best"]
    rows = []
    for gm in gammas:
        row = [_fmt_num(gm)]
        for c in cs:
            cell = find_cell(run, gm, c)
            if cell is None:
                row.append(NOT_RUN)
                continue
            text = f"{fmt_pct(cell.get('mean_accuracy'))} ({fmt_minutes(cell_minutes(cell))})"
            if gm == best.get("gamma") and c == best.get("C"):
                text = f"**{text}**"
            row.append(text)
        rows.append(row)
    return table(["gamma \\ C", *[_fmt_num(c) for c in cs]], rows)


def _grid(g: DatasetGroup) -> list[str]:
    out = ["### 3. The grid, in the seed's style", "",
           "Each cell: mean CV accuracy in % (minutes), minutes = the cell's fit + predict seconds "
           "summed over its folds / 60 (compute time, not wall time). Best cell in bold.", ""]
    for cat, title in CATEGORIES[:3]:
        runs = g.of(cat)
        if not runs:
            out += [f"**{title}**: {NOT_RUN}.", ""]
        for r in runs:
            out += [f"**{title}**: {r.label}, {r.d.get('n_folds', NOT_RECORDED)}-fold CV, "
                    f"wall {fmt_seconds(r.d.get('wall_seconds'))} s", ""]
            out += [*grid_table(r.d), ""]
    return out[:-1]


def _resumed(d: dict) -> bool:
    return bool(d.get("resumed_tasks")) or bool(d.get("resumed_from"))


def _wall(d: dict) -> str:
    # a resumed run's wall time covers its last session only: marked, never compared silently
    return fmt_seconds(d.get("wall_seconds")) + (" (resumed: last session only)" if _resumed(d) else "")


def _time(g: DatasetGroup) -> list[str]:
    out = ["### 4. Time", "",
           "SVM grid: wall seconds of the whole cross-validated grid (all ranks); speedup = serial "
           "wall / this wall (same features and grid); efficiency = speedup / ranks. A run resumed "
           "after an interruption is marked: its wall time covers the last session only, so it gets "
           "no speedup.", ""]
    rows = []
    for cat, title in CATEGORIES[:3]:
        runs = g.of(cat)
        if not runs:
            rows.append([title, NOT_RUN] + [NOT_RUN] * 5)
        for r in runs:
            ref, s, eff = speedup(g, r)
            if _resumed(r.d) or (ref is not None and _resumed(ref.d)):
                s = eff = None
            rows.append([
                title, r.label, str(r.d.get("ranks")), _wall(r.d),
                ref.label if ref else f"{NA} (no serial run)",
                fmt_ratio(s), fmt_ratio(eff),
            ])
    cnn_runs = g.of("cnn")
    for r in cnn_runs:
        rows.append([_CATEGORY_TITLE["cnn"], r.label, NA, _wall(r.d), NA, NA, NA])
    if not cnn_runs:
        rows.append([_CATEGORY_TITLE["cnn"], NOT_RUN] + [NOT_RUN] * 5)
    out += table(["method", "run", "ranks", "wall (s)", "serial reference", "speedup", "efficiency"],
                 rows, "llrrlrr")
    out += ["", "3D-CNN:", ""]
    rows = []
    for r in g.of("cnn"):
        d = r.d
        rows.append([
            r.label, f"{d.get('epochs_run', NOT_RECORDED)} / {d.get('epochs', NOT_RECORDED)}",
            str(d.get("batch_size", NOT_RECORDED)), fmt_seconds(d.get("train_seconds")),
            fmt_seconds(d.get("seconds_per_epoch")), fmt_rate(d.get("train_samples_per_second")),
            fmt_seconds(d.get("inference_seconds")), fmt_rate(d.get("inference_samples_per_second")),
        ])
    if not rows:
        rows.append([NOT_RUN] * 8)
    out += table(["run", "epochs run / budget", "batch", "train (s)", "s / epoch", "train samples/s",
                  "inference (s)", "inference samples/s"], rows, "lrrrrrrr")
    return out


def _our_anchor(g: DatasetGroup, key: str) -> str:
    serial, parallel, cnn = g.of("serial"), g.of("parallel"), g.of("cnn")
    if key == "cv_best":
        svm = serial or parallel or g.of("gpu")
        if not svm:
            return NOT_RUN
        return "; ".join(
            f"{fmt_pct(r.d['best'].get('mean_accuracy'))}% at gamma={_fmt_num(r.d['best'].get('gamma'))}, "
            f"C={_fmt_num(r.d['best'].get('C'))} ({r.d.get('n_folds', NOT_RECORDED)}-fold, {r.label})"
            for r in svm
        )
    if key == "cell_time":
        if not serial:
            return NOT_RUN
        b = serial[0].d["best"]
        cell = find_cell(serial[0].d, b.get("gamma"), b.get("C"))
        serial_s = f"{fmt_minutes(cell_minutes(cell)) if cell else NOT_RECORDED} min serial ({serial[0].label})"
        # our task farm spreads a cell's folds over ranks, so a per-cell wall time is not measured
        return serial_s + "; per-cell wall time in parallel is not recorded (see whole grid)"
    if key == "grid_time":
        if not serial:
            return NOT_RUN
        parts = []
        for ser in serial:
            text = f"{fmt_duration(ser.d.get('wall_seconds'))} serial"
            par = [r for r in parallel if serial_reference(g, r) is ser]
            if par:
                top = max(par, key=lambda r: int(r.d["ranks"]))
                text += f" -> {fmt_duration(top.d.get('wall_seconds'))} on {top.d['ranks']} ranks"
            else:
                text += f" -> parallel {NOT_RUN}"
            parts.append(f"{text} ({ser.label})")
        return "; ".join(parts)
    if key == "cnn_oa":
        if not cnn:
            return NOT_RUN
        parts = []
        for r in cnn:
            oa = fmt_pct(_get(r.d, "test", "oa"))
            parts.append(f"{oa}% OA after {r.d.get('epochs_run', NOT_RECORDED)} epochs, "
                         f"{fmt_duration(r.d.get('train_seconds'))} on "
                         f"{r.d.get('device', NOT_RECORDED)} ({r.label})")
        return "; ".join(parts) + f"; {len(g.info.get('class_names') or {})} classes"
    if key == "small_set":
        counts = g.info.get("counts") or {}
        tr, te = sum((counts.get("train") or {}).values()), sum((counts.get("test") or {}).values())
        text = f"{tr:,} train / {te:,} test pixels"
        if cnn:
            d = cnn[0].d
            text += (f", {fmt_duration(d.get('train_seconds'))} for {d.get('epochs_run', NOT_RECORDED)} "
                     f"epochs ({fmt_seconds(d.get('seconds_per_epoch'))} s per epoch, {cnn[0].label})")
        else:
            text += f", CNN {NOT_RUN}"
        return text
    raise KeyError(key)


def _anchors(g: DatasetGroup) -> list[str]:
    out = ["### 5. Anchors: the seed's published figures beside ours", "",
           "The \"theirs\" column is quoted from the publications below, measured on their data "
           "and hardware (80 CPU cores; 2 Tesla K40 GPUs), not by this run.", ""]
    sources = sorted({a.source for a in SEED_ANCHORS}, key=[a.source for a in SEED_ANCHORS].index)
    ref = {src: f"[{i}]" for i, src in enumerate(sources, 1)}
    rows = [[a.what, f"{a.theirs} {ref[a.source]}", _our_anchor(g, a.key)] for a in SEED_ANCHORS]
    out += table(["figure", "theirs (published)", "ours (this report)"], rows, "lll")
    out += [""] + [f"- {ref[src]} {src}" for src in sources]
    return out


def _figures(g: DatasetGroup, figures_dir: str) -> list[str]:
    out = ["### 6. Figures", ""]
    for spec in plan_figures(g):
        if spec.skip:
            out.append(f"- {spec.caption}: not drawn, {spec.skip}.")
        else:
            out += [f"![{spec.caption}]({figures_dir}/{spec.filename})", "", f"*{spec.caption}.*", ""]
    while out[-1] == "":
        out.pop()
    return out
