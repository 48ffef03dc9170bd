"""Diagnosis: test accuracy in the fields the training pixels touch, and in the fields they do not.

On a spatially disjoint split each class trains on a strip at one edge of its extent. Some
test pixels lie in the same field as that strip (beyond the buffer), most in other fields of
the class, which no training pixel touches. Cross-validation inside the training strips can
only hold out parts of the fields it has, so it cannot measure the field-to-field shift: its
accuracy lands between the test accuracy on seen fields and on unseen ones, and the gap to the
test OA grows with the share of test pixels in unseen fields.

A field is a connected component (8-neighbour) of one class in the scene's ground truth; a
test pixel's field is "seen" when it holds a training pixel of that class. Ground-truth labels
of test pixels are used after the fact, for the diagnosis only (no run selects anything here).
For every results JSON (SVM grids, serial and parallel, and the CNN) this records the selected-on
accuracy, the test OA, the OA on test pixels in seen and in unseen fields, and the unseen share;
`hsbench report --fields` shows them beside the selection gaps.

    python -m hsbench.benchmarks.field_gap results/indian_pines --out results/benchmarks/field_gap.json

The scene's ground truth comes from the scene named in dataset.json, or from --gt FILE.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

from hsbench.atomic import write_json
from hsbench.errors import InputError
from hsbench.provenance import command_line, host_info, now_iso, package_versions
from hsbench.report.compare import selection_of
from hsbench.report.group import DatasetGroup, Run, group_by_dataset
from hsbench.report.load import collect_results

EIGHT = np.ones((3, 3), dtype=bool)


def seen_fields(gt: np.ndarray, train_xy: np.ndarray, train_y: np.ndarray, test_xy: np.ndarray,
                test_y: np.ndarray) -> np.ndarray:
    """Per test pixel: its class's connected component in `gt` holds a training pixel of that class."""
    seen = np.zeros(len(test_y), dtype=bool)
    for c in np.unique(test_y):
        fields, _ = ndimage.label(gt == c, structure=EIGHT)
        trained = np.unique(fields[train_xy[train_y == c, 0], train_xy[train_y == c, 1]])
        here = test_y == c
        seen[here] = np.isin(fields[test_xy[here, 0], test_xy[here, 1]], trained[trained > 0])
    return seen


def _coords(info: dict, side: str, gt: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    part = info.get(side) or {}
    if not part.get("coords"):
        raise InputError(f"{where}: dataset.json has no {side} pixel coordinates")
    xy, y = np.asarray(part["coords"], dtype=np.int64), np.asarray(part["labels"], dtype=np.int64)
    if xy.ndim != 2 or len(xy) != len(y) or (xy < 0).any() or (xy >= gt.shape).any():
        raise InputError(f"{where}: {side} coordinates do not fit the ground truth of shape {gt.shape}")
    if (gt[xy[:, 0], xy[:, 1]] != y).any():
        raise InputError(f"{where}: {side} labels differ from the scene's ground truth (another scene?)")
    return xy, y


def _oa(ok: np.ndarray) -> float | None:
    return float(ok.mean()) if ok.size else None


def measure(g: DatasetGroup, gt: np.ndarray) -> dict:
    where = g.title
    train_xy, train_y = _coords(g.info, "train", gt, where)
    test_xy, test_y = _coords(g.info, "test", gt, where)
    seen = seen_fields(gt, train_xy, train_y, test_xy, test_y)
    runs = [_run_row(run, test_y, seen) for run in g.runs]
    _name, kind, frac, seed = g.key
    return {"dataset": g.title, "split": kind, "train_fraction": frac, "seed": seed, "test_pixels": len(test_y),
            "unseen_share": float(1 - seen.mean()), "runs": runs}


def _run_row(run: Run, test_y: np.ndarray, seen: np.ndarray) -> dict:
    pred = np.asarray(((run.d.get("test") or {}).get("predictions")) or [], dtype=np.int64)
    if len(pred) != len(test_y):
        raise InputError(f"{run.item.path}: {len(pred)} test predictions for {len(test_y)} test pixels")
    ok = pred == test_y
    sel = selection_of(run)
    return {"path": run.item.path, "method": run.method, "grid": run.d.get("grid_name"),
            "selected_on": sel.accuracy, "selection": sel.scheme, "test_oa": _oa(ok),
            "seen_oa": _oa(ok[seen]), "unseen_oa": _oa(ok[~seen])}


def _gt_of(g: DatasetGroup, gt_file: Path | None) -> np.ndarray:
    if gt_file is not None:
        from hsbench.scenes.files import read_array

        gt = np.asarray(read_array(gt_file, None, 2, "ground truth"))
        if gt.ndim != 2:
            raise InputError(f"{gt_file}: ground truth must be 2-D, got shape {gt.shape}")
        return gt.astype(np.int64)
    from hsbench.scenes import load_scene

    name = (g.info.get("scene") or {}).get("name")
    if not name:
        raise InputError(f"{g.title}: dataset.json names no scene; pass --gt FILE")
    return np.asarray(load_scene(name, offline=True).gt, dtype=np.int64)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.2f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", type=Path, help="a results directory (results JSON and the dataset.json copies)")
    p.add_argument("--split", default="disjoint", help="split kind to measure (default: %(default)s)")
    p.add_argument("--gt", type=Path, help="ground truth file (.npy/.mat/.tif) of a scene from files")
    p.add_argument("--out", type=Path, default=Path("results/benchmarks/field_gap.json"))
    args = p.parse_args(argv)
    try:
        loaded, _ = collect_results(args.results)
        groups = [g for g in group_by_dataset(loaded) if g.key[1] == args.split and g.has_coords]
        if not groups:
            raise InputError(f"{args.results}: no {args.split} split with dataset.json coordinates")
        cases = [measure(g, _gt_of(g, args.gt)) for g in groups]
    except InputError as exc:
        print(f"field_gap: error: {exc}", file=sys.stderr)
        return 2
    for c in cases:
        print(f"{c['dataset']}: {100 * c['unseen_share']:.1f}% of {c['test_pixels']} test px in unseen fields")
        for r in c["runs"]:
            print(f"  {r['path']}: selected on {_pct(r['selected_on'])}, test "
                  f"{_pct(r['test_oa'])} (seen fields {_pct(r['seen_oa'])}, unseen {_pct(r['unseen_oa'])})")
    write_json(args.out, {"kind": "field_gap", "command": command_line(), "created": now_iso(),
                          "host": host_info(), "versions": package_versions(), "cases": cases})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
