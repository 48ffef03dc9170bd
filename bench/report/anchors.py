"""Section 5: the seed's published figures beside ours.

Theirs, not ours: quoted from the publications, never mixed into our own tables.
Each anchor carries the function that finds our matching figure in a dataset group.
The seed ran its SVM grid in two scenarios, (1) raw bands and (2) pre-processed data
(engineered features); its quoted grid and times are scenario (2)'s, so they sit beside
our SVM runs on engineered features, and our raw-band runs beside scenario (1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from hsbench.report.derive import cell_minutes, find_cell, serial_reference
from hsbench.report.fmt import (
    NOT_RECORDED,
    NOT_RUN,
    fmt_duration,
    fmt_minutes,
    fmt_num,
    fmt_pct,
    fmt_seconds,
    get,
    table,
)
from hsbench.report.group import DatasetGroup, Run

SEED_SVM_CITATION = (
    "G. Cavallaro, M. Riedel, J. A. Benediktsson et al., IEEE Journal of Selected "
    "Topics in Applied Earth Observations and Remote Sensing (JSTARS), 2015"
)
SEED_CNN_CITATION = "Juelich Supercomputing Centre course, 3D-CNN 'standard model' (Keras)"


def _scenario(runs: list[Run], raw: bool) -> list[Run]:
    """Runs of scenario (1), raw bands, or of scenario (2), engineered features."""
    return [r for r in runs if (r.method == "SVM raw") == raw]


def _cv_best(g: DatasetGroup, raw: bool) -> str:
    svm = _scenario(g.of("serial"), raw) or _scenario(g.of("parallel"), raw) or _scenario(g.of("gpu"), raw)
    if not svm:
        return NOT_RUN
    return "; ".join(
        f"{fmt_pct(r.d['best'].get('mean_accuracy'))}% at gamma={fmt_num(r.d['best'].get('gamma'))}, "
        f"C={fmt_num(r.d['best'].get('C'))} ({r.d.get('n_folds', NOT_RECORDED)}-fold, {r.label})"
        for r in svm
    )


def _cell_time(g: DatasetGroup) -> str:
    serial = _scenario(g.of("serial"), raw=False)
    if not serial:
        return NOT_RUN
    b = serial[0].d["best"]
    cell = find_cell(serial[0].d, b.get("gamma"), b.get("C"))
    serial_s = f"{fmt_minutes(cell_minutes(cell)) if cell else NOT_RECORDED} min serial ({serial[0].label})"
    # our task farm spreads a cell's folds over ranks, so a per-cell wall time is not measured
    return serial_s + "; per-cell wall time in parallel is not recorded (see whole grid)"


def _grid_time(g: DatasetGroup) -> str:
    serial, parallel = _scenario(g.of("serial"), raw=False), g.of("parallel")
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


def _cnn_oa(g: DatasetGroup) -> str:
    cnn = g.of("cnn")
    if not cnn:
        return NOT_RUN
    parts = [
        f"{fmt_pct(get(r.d, 'test', 'oa'))}% OA after {r.d.get('epochs_run', NOT_RECORDED)} epochs, "
        f"{fmt_duration(r.d.get('train_seconds'))} on {r.d.get('device', NOT_RECORDED)} ({r.label})"
        for r in cnn
    ]
    return "; ".join(parts) + f"; {len(g.info.get('class_names') or {})} classes"


def _small_set(g: DatasetGroup) -> str:
    counts = g.info.get("counts") or {}
    tr, te = sum((counts.get("train") or {}).values()), sum((counts.get("test") or {}).values())
    text = f"{tr:,} train / {te:,} test pixels"
    cnn = g.of("cnn")
    if not cnn:
        return text + f", CNN {NOT_RUN}"
    d = cnn[0].d
    return text + (f", {fmt_duration(d.get('train_seconds'))} for {d.get('epochs_run', NOT_RECORDED)} "
                   f"epochs ({fmt_seconds(d.get('seconds_per_epoch'))} s per epoch, {cnn[0].label})")


@dataclass(frozen=True)
class Anchor:
    what: str
    theirs: str
    source: str
    ours: Callable[[DatasetGroup], str]  # our matching figure in a dataset group


SEED_ANCHORS: tuple[Anchor, ...] = (
    Anchor("(1) raw bands: 10-fold CV, best cell",
           "not quoted (the course shows scenario (2)'s grid only)", SEED_SVM_CITATION,
           partial(_cv_best, raw=True)),
    Anchor("(2) pre-processed: 10-fold CV, best cell",
           "77.02% at gamma=8, C=100 (30 engineered features, full 1417 x 614 scene)", SEED_SVM_CITATION,
           partial(_cv_best, raw=False)),
    Anchor("(2) one grid cell (best), serial -> parallel", "14.41 min serial -> 1.02 min on 80 cores",
           SEED_SVM_CITATION, _cell_time),
    Anchor("(2) whole grid, serial -> parallel", "~9 h -> ~35 min", SEED_SVM_CITATION, _grid_time),
    Anchor("3D-CNN test OA", "~83.5% OA after 1000 epochs, 16 h on 2 K40 GPUs, 58 classes",
           SEED_CNN_CITATION, _cnn_oa),
    Anchor("small training set", "1,036 train / 9,330 test pixels, 0.49 h for 1000 epochs",
           SEED_CNN_CITATION, _small_set),
)


def anchors_section(g: DatasetGroup) -> list[str]:
    out = ["### 5. Anchors: the seed's published figures beside ours", "",
           "The \"theirs\" column is quoted from the publications below, measured on their data "
           "and hardware (80 CPU cores; 2 Tesla K40 GPUs), not by this run. The seed ran its SVM grid "
           "in two scenarios: (1) the raw bands and (2) pre-processed data, features engineered from "
           "the image; (1) sits beside our SVM on raw bands, (2) beside our SVM on engineered features "
           "(emp, eap, pca).", ""]
    sources = sorted({a.source for a in SEED_ANCHORS}, key=[a.source for a in SEED_ANCHORS].index)
    ref = {src: f"[{i}]" for i, src in enumerate(sources, 1)}
    rows = [[a.what, f"{a.theirs} {ref[a.source]}", a.ours(g)] for a in SEED_ANCHORS]
    out += table(["figure", "theirs (published)", "ours (this report)"], rows, "lll")
    out += [""] + [f"- {ref[src]} {src}" for src in sources]
    return out
