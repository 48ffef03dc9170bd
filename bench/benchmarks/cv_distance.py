"""Diagnosis: how far spatial CV holds its pixels out, for a range of buffers, against how far the test
pixels lie from the training pixels (nearest-neighbour distance matching).

A CV estimate transfers to the test when its held-out pixels are as far from the fitted
pixels as the test pixels are from the training pixels (Milà et al., Methods Ecol. Evol.
13 (2022) 1304; Linnenbrink et al., Geosci. Model Dev. 17 (2024) 5897). For each prepared
dataset and each buffer this builds the SVM grid's spatial folds (hsbench.svm.folds, seeded
by the split seed, as `hsbench run` seeds the grid) and records:

  w_any          the W statistic: the area between the empirical distribution functions of
                 the held-out -> nearest fitted distances and the test -> nearest training
                 distances, any class (label-free: what a user could match without test labels);
                 smaller is closer
  median_any     median held-out distance, any class, against the test's
  median_same    the same to the nearest pixel of the pixel's own class (labels used after the
                 fact, for the diagnosis only)
  fit_rows       training rows per fold on average (a wider buffer leaves fewer to fit)

Chebyshev distances in pixels. A buffer that leaves a fold fewer than two classes is
recorded as refused.

With --grid-gaps GRID it also runs the SVM grid (hsbench grid, raw bands, split-seeded folds)
at the split's own buffer (window - 1, the default) and at the buffer W picks, and records each
one's selected-cell CV accuracy, test OA and gap: whether matching the distances would move the
selection gap. `hsbench grid` matches the buffer by default (--cv-buffer auto) with this W over
window - 1 .. 2 (window - 1).

    python -m hsbench.benchmarks.cv_distance runs/indian_pines-disjoint runs/indian_pines-disjoint-0.1-s1 \\
        --out results/benchmarks/cv_distance.json [--grid-gaps wide]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hsbench.atomic import write_json
from hsbench.provenance import command_line, host_info, now_iso, package_versions
from hsbench.report.distance import nearest_distances
from hsbench.svm.folds import candidate_folds, w_statistic

BUFFERS = (0, 4, 8, 10, 12, 14, 16)


def measure(data: Path, buffers: Sequence[int], n_folds: int = 10, seed: int | None = None) -> dict:
    """One dataset's row per buffer; `seed` of the folds: the split seed unless given."""
    meta = json.loads((data / "dataset.json").read_text())
    if seed is None:
        seed = int(meta.get("split", {}).get("seed") or 0)
    xy = np.asarray(meta["train"]["coords"], dtype=np.float64)
    y = np.asarray(meta["train"]["labels"])
    txy, ty = np.asarray(meta["test"]["coords"], dtype=np.float64), np.asarray(meta["test"]["labels"])
    test_any, test_same = nearest_distances(txy, ty, xy, y)
    rows: list[dict] = []
    for buffer, made in candidate_folds(y, xy.astype(np.int64), n_folds, seed, buffers):
        if made is None:
            rows.append({"buffer": buffer,
                         "refused": "a fold keeps fewer than two classes to fit, or too few rows for the folds"})
            continue
        folds, exclude = made
        any_d, same_d, fit = [], [], []
        for f in range(n_folds):
            held, fitted = folds == f, (folds != f) & ~exclude[f]
            a, s = nearest_distances(xy[held], y[held], xy[fitted], y[fitted])
            any_d.append(a)
            same_d.append(s)
            fit.append(int(fitted.sum()))
        held_any, held_same = np.concatenate(any_d), np.concatenate(same_d)
        rows.append({"buffer": buffer, "w_any": w_statistic(held_any, test_any),
                     "median_any": float(np.median(held_any)), "median_same": float(np.median(held_same)),
                     "fit_rows": float(np.mean(fit))})
    ok: list[dict] = [r for r in rows if "w_any" in r]
    return {"data": str(data), "split": meta.get("split", {}).get("kind"), "seed": meta.get("split", {}).get("seed"),
            "train_rows": len(y), "test_median_any": float(np.median(test_any)),
            "test_median_same": float(np.median(test_same)), "buffers": rows,
            "best_buffer_by_w": min(ok, key=lambda r: r["w_any"])["buffer"] if ok else None}


def grid_gap(data: Path, grid: str, seed: int, buffer: int) -> dict:
    """The SVM grid on `data` with spatial folds and `buffer`: its best cell's CV accuracy, test OA, gap."""
    from hsbench.svm_job import GridJob, run_grid_job

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "grid.json"
        run_grid_job(GridJob(data=data, grid=grid, seed=seed, cv="spatial", cv_buffer=buffer, out=out, quiet=True))
        r = json.loads(out.read_text())
    cv, oa = r["best"]["mean_accuracy"], r["test"]["oa"]
    return {"buffer": buffer, "cv_accuracy": cv, "test_oa": oa, "gap_points": 100 * (cv - oa),
            "best_cell": {"gamma": r["best"]["gamma"], "C": r["best"]["C"]}}


def add_gaps(case: dict, data: Path, grid: str) -> None:
    meta = json.loads((data / "dataset.json").read_text())
    split = meta.get("split") or {}
    own = max(int(split.get("window", 1)) - 1, 0)
    seed = int(split.get("seed") or 0)
    picked = case["best_buffer_by_w"]
    case["grid_gaps"] = {"grid": grid, "split_buffer": grid_gap(data, grid, seed, own),
                         "matched_buffer": grid_gap(data, grid, seed, picked) if picked is not None else None}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="+", type=Path, help="prepared dataset directories (dataset.json with coordinates)")
    p.add_argument("--buffers", default=",".join(map(str, BUFFERS)), help="buffers in pixels (default: %(default)s)")
    p.add_argument("--folds", type=int, default=10, help="folds (default: %(default)s, as hsbench grid)")
    p.add_argument("--grid-gaps", metavar="GRID", help="also run this SVM grid preset (seed, wide) at the split's "
                   "buffer and at the one W picks, and record the selection gaps")
    p.add_argument("--out", type=Path, default=Path("results/benchmarks/cv_distance.json"))
    args = p.parse_args(argv)
    buffers = tuple(int(b) for b in args.buffers.split(","))
    cases = [measure(d, buffers, args.folds) for d in args.data]
    if args.grid_gaps:
        for case, data in zip(cases, args.data, strict=True):
            add_gaps(case, data, args.grid_gaps)
    for c in cases:
        print(f"{c['data']}: test {c['test_median_same']:.0f} / {c['test_median_any']:.0f} px (same / any class); "
              + "; ".join(f"buffer {r['buffer']}: W {r['w_any']:.1f}, held-out {r['median_same']:.0f} / "
                          f"{r['median_any']:.0f} px, {r['fit_rows']:.0f} rows fitted" if "w_any" in r
                          else f"buffer {r['buffer']}: refused" for r in c["buffers"]))
        gaps = c.get("grid_gaps") or {}
        for which in ("split_buffer", "matched_buffer"):
            g = gaps.get(which)
            if g:
                print(f"  {gaps['grid']} grid, buffer {g['buffer']} ({which.replace('_', ' ')}): CV "
                      f"{100 * g['cv_accuracy']:.2f}, test {100 * g['test_oa']:.2f}, gap {g['gap_points']:.2f}")
    write_json(args.out, {"kind": "cv_distance", "command": command_line(), "created": now_iso(),
                          "host": host_info(), "versions": package_versions(), "folds": args.folds,
                          "grid_gaps": args.grid_gaps, "cases": cases})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
