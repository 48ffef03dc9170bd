"""The report's sections 1-4 and 6, each a pure function of one dataset group -> markdown lines."""

from __future__ import annotations

from collections import defaultdict

from hsbench.cnn.flags import describe as describe_flags
from hsbench.report.derive import cell_minutes, find_cell, speedup
from hsbench.report.derive import resumed as _resumed
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
    get,
    is_num,
    table,
)
from hsbench.report.group import CATEGORIES, CATEGORY_TITLE, DatasetGroup, Run, svm_methods
from hsbench.report.plan import plan_figures


def _class_ids(group: DatasetGroup) -> list[str]:
    names = group.info.get("class_names") or {}
    counts = group.info.get("counts") or {}
    ids = set(names) | set(counts.get("train", {})) | set(counts.get("test", {}))
    return sorted(ids, key=lambda s: (int(s) if s.isdigit() else 1 << 30, s))


def setup_section(g: DatasetGroup) -> list[str]:
    info = g.info
    scene, split = info.get("scene") or {}, info.get("split") or {}
    names = info.get("class_names") or {}
    counts = info.get("counts") or {}
    shape = scene.get("shape")
    shape_s = " x ".join(str(x) for x in shape) + " (H x W x bands)" if shape else NOT_RECORDED
    features = sorted({features_of(r.d) for r in g.runs} | ({str(info["features"])} if "features" in info else set()))
    excluded = split.get("excluded") or []
    out = ["### 1. Setup", ""]
    out += [
        f"- Scene: {scene.get('name', NOT_RECORDED)}, {shape_s}; source: {scene.get('source', NOT_RECORDED)}",
        f"- Scene citation: {scene.get('citation', NOT_RECORDED)}",
        f"- Split: {split.get('kind', NOT_RECORDED)}, "
        f"train fraction {fmt_num(split.get('train_fraction', NOT_RECORDED))}, "
        f"seed {split.get('seed', NOT_RECORDED)}, window {split.get('window', NOT_RECORDED)}"
        + (f", buffer {split.get('buffer', NOT_RECORDED)} px "
           f"({split.get('buffer_dropped', NOT_RECORDED)} pixels dropped)"
           if split.get("kind") == "disjoint" else ""),
        f"- Features: {', '.join(features) if features else NOT_RECORDED}",
        *_feature_set_lines(g),
        f"- Classes used: {len(names)}; excluded: "
        + (", ".join(str(x) for x in excluded) if excluded else "none")
        + (f" (fewer than {split['min_class_pixels']} labelled pixels)"
           if excluded and "min_class_pixels" in split else ""),
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
            [[r.label, f"`{r.item.path}`", f"`{r.d.get('command', NOT_RECORDED)}`",
              str(r.d.get("created", NOT_RECORDED))] for r in g.runs], "llll",
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


def _feature_sets(g: DatasetGroup) -> dict[str, dict]:
    """Every feature set of the dataset: dataset.json's, and those the SVM runs carry."""
    sets = dict(g.info.get("feature_sets") or {})
    for r in g.runs:
        entry = get(r.d, "dataset", "feature_set")
        if r.category != "cnn" and isinstance(entry, dict):
            sets.setdefault(features_of(r.d), entry)
    return sets


def _feature_set_lines(g: DatasetGroup) -> list[str]:
    lines = []
    for name, entry in sorted(_feature_sets(g).items()):
        params = {k: v for k, v in (entry.get("params") or {}).items() if k not in ("kind", "order")}
        settings = "; ".join(f"{k} {','.join(map(fmt_num, v)) if isinstance(v, list) else fmt_num(v)}"
                             for k, v in sorted(params.items()) if v != [])
        lines.append(f"- Feature set {name}: {entry.get('n_features', NOT_RECORDED)} columns"
                     + (f" ({settings})" if settings else "")
                     + f", extracted in {fmt_seconds(entry.get('seconds'))} s")
    if any(name.split(":")[0] in ("emp", "eap") for name in _feature_sets(g)):
        lines.append("- Spectral-spatial features (emp, eap) are computed on the whole image without labels: "
                     "a pixel's features read the pixels around it, test pixels included, as the CNN's windows "
                     "do. Their PCA and scaling are fitted on training pixels only.")
    return lines


def feature_seconds(r: Run) -> float | None:
    """Seconds `hsbench prepare` took to extract this SVM run's features (None: not recorded, or a CNN)."""
    secs = get(r.d, "dataset", "feature_set", "seconds")
    return secs if r.category != "cnn" and is_num(secs) else None


def _cost(r: Run) -> tuple[float | None, float | None]:
    """(feature seconds, features + wall seconds); no total from a resumed run's partial wall time."""
    secs, wall = feature_seconds(r), r.d.get("wall_seconds")
    if secs is None or wall is None or not is_num(wall) or _resumed(r.d):
        return secs, None
    return secs, secs + wall


def _best_cv(r: Run) -> float:
    cv = get(r.d, "best", "mean_accuracy")
    return cv if is_num(cv) else float("-inf")


def methods_table(g: DatasetGroup) -> list[str]:
    """One row per method: SVM raw, SVM with engineered features, 3D-CNN, and what each cost."""
    out = ["Methods, one row each. An SVM method is represented by its run with the highest CV accuracy "
           "(chosen on training pixels, never on the test set; ties: the first in the table below); time = "
           "feature extraction + the run's wall time.", ""]
    rows = []
    svm = [r for r in g.runs if r.category != "cnn"]
    methods = svm_methods(svm)
    for method in methods:
        r = max((r for r in svm if r.method == method), key=_best_cv)  # max keeps the first of ties
        secs, total = _cost(r)
        rows.append([method, r.label, *_test_cells(r), _cv_cell(r)[0],
                     f"{fmt_seconds(secs)} + {_wall(r.d)} = {fmt_seconds(total)}"])
    if "SVM raw" not in methods:
        rows.insert(0, ["SVM raw", NOT_RUN, *[NOT_RUN] * 5])
    if not [m for m in methods if m != "SVM raw"]:
        rows.append(["SVM EMP or EAP (engineered features)", NOT_RUN, *[NOT_RUN] * 5])
    for r in g.of("cnn"):
        rows.append([r.method, r.label, *_test_cells(r), NA, f"{NA} + {_wall(r.d)} = {_wall(r.d)}"])
    if not g.of("cnn"):
        rows.append(["3D-CNN", NOT_RUN, *[NOT_RUN] * 5])
    return out + table(["method", "run", "test OA", "AA", "kappa", "CV accuracy", "time (s)"], rows, "llrrrrl")


def _test_cells(r: Run) -> list[str]:
    test = r.d.get("test")
    if test is None:
        return ["no test set"] * 3
    return [fmt_pct(test.get("oa")), fmt_pct(test.get("aa")), fmt_kappa(test.get("kappa"))]


def _cv_cell(r: Run) -> tuple[str, str]:
    if r.category == "cnn":
        return NA, NA
    best = r.d["best"]
    cv = fmt_pct(best.get("mean_accuracy"))
    if is_num(best.get("std_accuracy")):
        cv += f" ± {fmt_pct(best['std_accuracy'])}"
    return cv, f"gamma={fmt_num(best.get('gamma'))}, C={fmt_num(best.get('C'))}"


def accuracy_section(g: DatasetGroup) -> list[str]:
    out = ["### 2. Accuracy", "", "Test set (SVM: the best CV cell refit on all training pixels). OA, AA "
           "and CV accuracy in %.", ""]
    out += [*methods_table(g), "", "Every run:", ""]
    rows = []
    for cat, title in CATEGORIES:
        runs = g.of(cat)
        if not runs:
            rows.append([title, NOT_RUN] + [NOT_RUN] * 6)
        for r in runs:
            cv, best = _cv_cell(r)
            rows.append([title, r.label, features_of(r.d), *_test_cells(r), cv, best])
    out += table(["method", "run", "features", "test OA", "AA", "kappa", "CV accuracy", "best cell"],
                 rows, "lllrrrrl")

    out += ["", "Per-class test accuracy (%), methods side by side:", ""]
    names = g.info.get("class_names") or {}
    counts = g.info.get("counts") or {}
    cols: list[tuple[str, dict | None]] = []
    for cat, title in CATEGORIES:
        runs = g.of(cat)
        cols += [(r.label, get(r.d, "test", "per_class") or {}) for r in runs] or [(title, None)]
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
        row = [fmt_num(gm)]
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
    return table(["gamma \\ C", *[fmt_num(c) for c in cs]], rows)


def grid_section(g: DatasetGroup) -> list[str]:
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


def _wall(d: dict) -> str:
    # a resumed run's wall time covers its last session only: marked, never compared silently
    return fmt_seconds(d.get("wall_seconds")) + (" (resumed: last session only)" if _resumed(d) else "")


def time_section(g: DatasetGroup) -> list[str]:
    out = ["### 4. Time", "",
           "SVM grid: wall seconds of the whole cross-validated grid (all ranks); speedup = serial "
           "wall / this wall (same features and grid); efficiency = speedup / ranks. A run resumed "
           "after an interruption is marked: its wall time covers the last session only, so it gets "
           "no speedup. Features: seconds `hsbench prepare` took to extract the run's features, "
           "so total = features + wall is what the method cost (the CNN reads the cube as it is).", ""]
    rows = []
    for cat, title in CATEGORIES[:3]:
        runs = g.of(cat)
        if not runs:
            rows.append([title, NOT_RUN] + [NOT_RUN] * 7)
        for r in runs:
            ref, s, eff = speedup(g, r)
            if _resumed(r.d) or (ref is not None and _resumed(ref.d)):
                s = eff = None
            secs, total = _cost(r)
            rows.append([
                title, r.label, str(r.d.get("ranks")), _wall(r.d),
                ref.label if ref else f"{NA} (no serial run)",
                fmt_ratio(s), fmt_ratio(eff), fmt_seconds(secs), fmt_seconds(total),
            ])
    cnn_runs = g.of("cnn")
    for r in cnn_runs:
        rows.append([CATEGORY_TITLE["cnn"], r.label, NA, _wall(r.d), NA, NA, NA, NA, _wall(r.d)])
    if not cnn_runs:
        rows.append([CATEGORY_TITLE["cnn"], NOT_RUN] + [NOT_RUN] * 7)
    out += table(["method", "run", "ranks", "wall (s)", "serial reference", "speedup", "efficiency",
                  "features (s)", "total (s)"], rows, "llrrlrrrr")
    cnn_runs = g.of("cnn")
    refits = any(r.d.get("refit") for r in cnn_runs)  # the refit columns only where a run has one
    out += ["", "3D-CNN (selection run on the fitted pixels, then a fresh model on every training pixel for the "
            "kept epoch count where refitted; the wall time above covers both):" if refits else "3D-CNN:", ""]
    rows = []
    for r in cnn_runs:
        d = r.d
        refit = d.get("refit") or {}
        epochs, per_epoch, rate = _cnn_epochs(d)
        rows.append([
            r.label, epochs, str(d.get("batch_size", NOT_RECORDED)), fmt_seconds(d.get("train_seconds")),
            fmt_seconds(per_epoch), fmt_rate(rate),
            *([f"{refit['epochs']} on {refit.get('train_samples', NOT_RECORDED)} px" if refit else NA,
               fmt_seconds(refit.get("train_seconds")) if refit else NA] if refits else []),
            fmt_seconds(d.get("inference_seconds")), fmt_rate(d.get("inference_samples_per_second")),
        ])
    head = ["run", "epochs run / budget", "batch", "train (s)", "s / epoch", "train samples/s",
            *(["refit epochs", "refit (s)"] if refits else []), "inference (s)", "inference samples/s"]
    out += table(head, rows or [[NOT_RUN] * len(head)], "l" + "r" * (len(head) - 1))
    out += _backend_flags(g.of("cnn"))
    return out


def _cnn_epochs(d: dict) -> tuple[str, float | None, float | None]:
    """(epochs run / budget, seconds per epoch of one model, training samples per second). Spatial CV trains
    one model per fold: its history is the mean curve, its seconds every fold's, so per model-epoch."""
    folds = (d.get("validation") or {}).get("folds") if (d.get("validation") or {}).get("kind") == "spatial-cv" \
        else None
    per_epoch, rate = d.get("seconds_per_epoch"), d.get("train_samples_per_second")
    if not folds:
        return f"{d.get('epochs_run', NOT_RECORDED)} / {d.get('epochs', NOT_RECORDED)}", per_epoch, rate
    budget = (d.get("hyper") or {}).get("cv_epochs", NOT_RECORDED)
    return (f"{d.get('epochs_run', NOT_RECORDED)} / {budget} x {folds} folds",
            per_epoch / folds if is_num(per_epoch) else None, rate * folds if is_num(rate) else None)


def _backend_flags(runs: list[Run]) -> list[str]:
    """The flags each CNN run recorded (results from before they were recorded: no table)."""
    rows = [[r.label, str(r.d.get("backend", NOT_RECORDED)), describe_flags(r.d["backend_flags"]),
             str(r.d["backend_flags"].get("onednn_setting", NOT_RECORDED)) if r.d.get("backend") == "tensorflow"
             else NA] for r in runs if r.d.get("backend_flags")]
    if not rows:
        return []
    return ["", "3D-CNN backend flags in force (oneDNN, thread pools intra / inter, precision, XLA):", "",
            *table(["run", "backend", "flags", "TF_ENABLE_ONEDNN_OPTS"], rows, "llll")]


def figures_section(g: DatasetGroup, figures_dir: str) -> list[str]:
    out = ["### 6. Figures", ""]
    for spec in plan_figures(g):
        if spec.skip:
            out.append(f"- {spec.caption}: not drawn, {spec.skip}.")
        else:
            out += [f"![{spec.caption}]({figures_dir}/{spec.filename})", "", f"*{spec.caption}.*", ""]
    while out[-1] == "":
        out.pop()
    return out
