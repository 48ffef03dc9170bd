"""A study's tables over its split seeds: accuracy, per-class accuracy, the grid and time, each value
as mean ± sample standard deviation over the seeds (n shown where fewer seeds have it). Pure."""

from __future__ import annotations

from collections import Counter

from hsbench.report.derive import cell_minutes, find_cell, resumed, speedup
from hsbench.report.fmt import (
    NA,
    NOT_RECORDED,
    NOT_RUN,
    features_of,
    fmt_kappa,
    fmt_minutes,
    fmt_num,
    fmt_pct,
    fmt_rate,
    fmt_ratio,
    fmt_seconds,
    fmt_stat,
    get,
    table,
)
from hsbench.report.group import CATEGORIES, CATEGORY_TITLE, DatasetGroup, Run
from hsbench.report.sections import _class_ids
from hsbench.report.study import Study
from hsbench.report.verdict import across_selection


def across_seeds(study: Study) -> list[str]:
    """The block of a study with two or more seeds (placed before its per-seed datasets)."""
    out = [f"## Across seeds: {study.title} ({study.seeds_text})", "",
           f"Each value: mean ± sample standard deviation (n - 1) over the {study.n} split seeds; \"(n=k)\" "
           "where only k seeds have it. Each seed's own figures are in its dataset's sections below.", ""]
    for part in (_accuracy, _per_class, _grid, _time, across_selection):
        out += [*part(study), ""]
    return out[:-1]


def _present(runs: list[Run | None]) -> list[Run]:
    return [r for r in runs if r is not None]


def _rows_by_category(study: Study, categories: tuple[tuple[str, str], ...]) -> list[tuple[str, str, list[Run]]]:
    """(category title, label, runs over seeds) in report order; a category no seed ran gives ("", "", [])."""
    by_label = study.runs_by_label()
    out = []
    for cat, title in categories:
        rows = [(title, label, _present(runs)) for c, label, runs in by_label if c == cat]
        out += rows or [(title, "", [])]
    return out


def _best_cells(runs: list[Run]) -> str:
    counts = Counter((r.d["best"].get("gamma"), r.d["best"].get("C")) for r in runs)
    return "; ".join(f"gamma={fmt_num(g)}, C={fmt_num(c)} ({k} of {len(runs)})" for (g, c), k in counts.most_common())


def _accuracy(study: Study) -> list[str]:
    out = [f"### Accuracy over seeds ({study.seeds_text})", "",
           "Test set, one row per run. OA, AA and CV accuracy in %; best cell: how many seeds chose each.", ""]
    rows = []
    for title, label, runs in _rows_by_category(study, CATEGORIES):
        if not runs:
            rows.append([title, NOT_RUN] + [NOT_RUN] * 7)
            continue
        n = len(runs)
        tested = [r for r in runs if r.d.get("test") is not None]
        if tested:
            oa, aa, kappa = (fmt_stat([get(r.d, "test", k) for r in tested], f, n)
                             for k, f in (("oa", fmt_pct), ("aa", fmt_pct), ("kappa", fmt_kappa)))
        else:
            oa = aa = kappa = "no test set"
        if runs[0].category == "cnn":
            cv = best = NA
        else:
            cv = fmt_stat([r.d["best"].get("mean_accuracy") for r in runs], fmt_pct, n)
            best = _best_cells(runs)
        features = ", ".join(sorted({features_of(r.d) for r in runs}))
        rows.append([title, label, features, str(n), oa, aa, kappa, cv, best])
    return out + table(["method", "run", "features", "seeds", "test OA", "AA", "kappa", "CV accuracy", "best cell"],
                       rows, "lllrrrrrl")


def _count_range(groups: list[DatasetGroup], side: str, cid: str) -> str:
    counts = [int((g.info.get("counts") or {}).get(side, {}).get(cid, 0)) for g in groups]
    lo, hi = min(counts), max(counts)
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _per_class(study: Study) -> list[str]:
    out = ["Per-class test accuracy (%) over seeds; train and test: pixel counts (a range where seeds differ):", ""]
    ids: list[str] = []
    names: dict[str, str] = {}
    for g in study.datasets:
        ids += [c for c in _class_ids(g) if c not in ids]
        names.update(g.info.get("class_names") or {})
    ids.sort(key=lambda s: (int(s) if s.isdigit() else 1 << 30, s))
    cols = _rows_by_category(study, CATEGORIES)
    rows = []
    for cid in ids:
        row = [cid, names.get(cid, NOT_RECORDED), _count_range(study.datasets, "train", cid),
               _count_range(study.datasets, "test", cid)]
        for _, _, runs in cols:
            per = [get(r.d, "test", "per_class") or {} for r in runs]
            if not runs:
                row.append(NOT_RUN)
            elif not any(cid in p for p in per):
                row.append(NOT_RECORDED)
            else:
                row.append(fmt_stat([p.get(cid) for p in per], fmt_pct, len(runs), missing=f"{NA} (no test pixel)"))
        rows.append(row)
    header = [label or title for title, label, _ in cols]
    return out + table(["id", "class", "train", "test", *header], rows, "llrr" + "r" * len(cols))


def _grid(study: Study) -> list[str]:
    out = ["### The grid over seeds", "",
           "Each cell: mean CV accuracy in % (mean ± std over seeds), then the mean of the cell's minutes "
           "(fit + predict seconds summed over its folds / 60). One table per SVM method: its serial and MPI "
           "runs score the same cells.", ""]
    svm = [(m, _present(reps)) for m, reps in study.methods() if m.family == "svm"]
    if not svm:
        return [*out, f"SVM: {NOT_RUN}."]
    for m, runs in svm:
        grid = runs[0].d.get("grid") or {}
        gammas, cs = grid.get("gamma", []), grid.get("C", [])
        out += [f"**{m.name}**, {len(runs)} seed{'s' if len(runs) > 1 else ''}", ""]
        rows = []
        for gm in gammas:
            row = [fmt_num(gm)]
            for c in cs:
                cells = [find_cell(r.d, gm, c) for r in runs]
                found = [x for x in cells if x is not None]
                if not found:
                    row.append(NOT_RUN)
                    continue
                minutes = [m for m in (cell_minutes(x) for x in found) if m is not None]
                row.append(f"{fmt_stat([x.get('mean_accuracy') for x in found], fmt_pct, len(runs))} "
                           f"({fmt_minutes(sum(minutes) / len(minutes) if minutes else None)})")
            rows.append(row)
        out += [*table(["gamma \\ C", *[fmt_num(c) for c in cs]], rows), ""]
    return out[:-1]


def _speedups(study: Study, label: str) -> tuple[list, list]:
    """Per-seed (speedup, efficiency) of the run `label` against its own seed's serial run."""
    s_all, e_all = [], []
    for g in study.datasets:
        run = next((r for r in g.runs if r.label == label), None)
        if run is None:
            continue
        ref, s, e = speedup(g, run)
        if resumed(run.d) or (ref is not None and resumed(ref.d)):
            continue
        s_all.append(s)
        e_all.append(e)
    return s_all, e_all


def _time(study: Study) -> list[str]:
    out = ["### Time over seeds", "",
           "SVM grid: wall seconds of the whole cross-validated grid; speedup and efficiency per seed against "
           "that seed's serial run, then averaged. Runs resumed after an interruption are left out of the wall "
           "and speedup figures (their wall time covers the last session only).", ""]
    rows = []
    for title, label, runs in _rows_by_category(study, CATEGORIES[:3]):
        if not runs:
            rows.append([title, NOT_RUN] + [NOT_RUN] * 5)
            continue
        whole = [r.d.get("wall_seconds") for r in runs if not resumed(r.d)]
        s, e = _speedups(study, label)
        rows.append([title, label, ", ".join(sorted({str(r.d.get("ranks")) for r in runs})), str(len(runs)),
                     fmt_stat(whole, fmt_seconds, len(runs)), fmt_stat(s, fmt_ratio, len(runs), missing=NA),
                     fmt_stat(e, fmt_ratio, len(runs), missing=NA)])
    cnn = [(label, runs) for _, label, runs in _rows_by_category(study, (("cnn", CATEGORY_TITLE["cnn"]),)) if runs]
    for label, runs in cnn:
        rows.append([CATEGORY_TITLE["cnn"], label, NA, str(len(runs)),
                     fmt_stat([r.d.get("wall_seconds") for r in runs if not resumed(r.d)], fmt_seconds,
                              len(runs)),
                     NA, NA])
    if not cnn:
        rows.append([CATEGORY_TITLE["cnn"], NOT_RUN] + [NOT_RUN] * 5)
    out += table(["method", "run", "ranks", "seeds", "wall (s)", "speedup", "efficiency"], rows, "llrrrrr")
    out += ["", "3D-CNN over seeds:", ""]
    rows = []
    for label, runs in cnn:
        n = len(runs)
        rows.append([label, str(n)] + [
            fmt_stat([r.d.get(k) for r in runs], f, n)
            for k, f in (("epochs_run", lambda x: f"{x:.1f}"), ("train_seconds", fmt_seconds),
                         ("seconds_per_epoch", fmt_seconds), ("train_samples_per_second", fmt_rate),
                         ("inference_seconds", fmt_seconds), ("inference_samples_per_second", fmt_rate))])
    out += table(["run", "seeds", "epochs run", "train (s)", "s / epoch", "train samples/s", "inference (s)",
                  "inference samples/s"], rows or [[NOT_RUN] * 8], "lrrrrrrr")
    return out
