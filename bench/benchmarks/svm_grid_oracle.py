"""Benchmark and oracle: our SVM grid against scikit-learn's GridSearchCV on the same folds.

On one LibSVM training file it runs, in one go:
  ours, serial, kernel sharing on     (in process, sklearn backend)
  ours, serial, kernel sharing off    (in process, sklearn backend)
  ours, `mpiexec -n R hsbench grid`   (subprocess, when --ranks > 1)
  GridSearchCV(SVC(kernel="rbf")), n_jobs=1 and n_jobs=R
asserts every cell's mean CV accuracy equals GridSearchCV's to 1e-12 and writes
a JSON with the timings, the speed-up ratios and the largest difference.

    python -m hsbench.benchmarks.svm_grid_oracle runs/ip/train.libsvm --out results/svm_grid_oracle.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

from hsbench.atomic import write_json
from hsbench.provenance import command_line, host_info, now_iso, package_versions, sha256_file
from hsbench.svm import libsvm
from hsbench.svm.backends import SklearnBackend
from hsbench.svm.grid import SEED_GRID, Grid, fold_splits, make_folds, parse_values
from hsbench.svm.search import run_search

TOLERANCE = 1e-12


def ours_in_process(
    X: np.ndarray, y: np.ndarray, grid: Grid, folds: np.ndarray, cache_mb: float
) -> tuple[list[float], float]:
    backend = SklearnBackend(X, y, kernel_cache_mb=cache_mb)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        out = run_search(backend, grid, folds, y, journal_path=Path(tmp) / "grid.journal", journal_key="oracle")
        seconds = time.perf_counter() - t0
    assert out is not None
    return [c["mean_accuracy"] for c in out.cells], seconds


def ours_mpi(train: Path, grid: Grid, seed: int, ranks: int) -> tuple[list[float], float, float]:
    """(cell means, CV wall seconds from the results JSON, whole command seconds)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "grid.json"
        cmd = ["mpiexec", "-n", str(ranks), sys.executable, "-m", "hsbench", "grid", "--train", str(train),
               "--gamma", ",".join(map(repr, grid.gamma)), "--C", ",".join(map(repr, grid.C)),
               "--folds", str(grid.n_folds), "--seed", str(seed), "--out", str(out), "--quiet"]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, cwd=Path(__file__).resolve().parents[2])
        total = time.perf_counter() - t0
        res = json.loads(out.read_text())
    return [c["mean_accuracy"] for c in res["cells"]], res["wall_seconds"], total


def gridsearchcv(X: np.ndarray, y: np.ndarray, grid: Grid, folds: np.ndarray, n_jobs: int) -> tuple[list[float], float]:
    """Cell means in our cell order (gamma rows, C columns) and the fit seconds."""
    search = GridSearchCV(SVC(kernel="rbf"), {"gamma": list(grid.gamma), "C": list(grid.C)},
                          cv=fold_splits(folds, grid.n_folds), n_jobs=n_jobs, refit=False)
    t0 = time.perf_counter()
    search.fit(X, y)
    seconds = time.perf_counter() - t0
    by_cell = {(p["gamma"], p["C"]): s for p, s in
               zip(search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True)}
    return [float(by_cell[grid.cell(k)]) for k in range(grid.n_cells)], seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("train", type=Path, help="LibSVM training file")
    p.add_argument("--out", type=Path, default=Path("results/svm_grid_oracle.json"))
    p.add_argument("--gamma", default=",".join(map(str, SEED_GRID["gamma"])))
    p.add_argument("--C", default=",".join(map(str, SEED_GRID["C"])))
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ranks", type=int, default=2, help="MPI ranks and GridSearchCV n_jobs (1: serial only)")
    p.add_argument("--kernel-cache-mb", type=float, default=1024)
    args = p.parse_args(argv)

    data = libsvm.load(args.train)
    libsvm.check_training(data)
    grid = Grid(parse_values(args.gamma, "--gamma"), parse_values(args.C, "--C"), args.folds)
    folds = make_folds(data.y, grid.n_folds, args.seed)
    X, y = data.X, data.y

    runs: dict[str, dict] = {}
    oracle, secs = gridsearchcv(X, y, grid, folds, 1)
    runs["gridsearchcv_n_jobs_1"] = {"seconds": secs}
    means = {}
    means["ours_serial_kernel_cache"], secs = ours_in_process(X, y, grid, folds, args.kernel_cache_mb)
    runs["ours_serial_kernel_cache"] = {"seconds": secs}
    means["ours_serial_plain_rbf"], secs = ours_in_process(X, y, grid, folds, 0)
    runs["ours_serial_plain_rbf"] = {"seconds": secs}
    if args.ranks > 1:
        means[f"ours_mpi_{args.ranks}"], secs, total = ours_mpi(args.train, grid, args.seed, args.ranks)
        runs[f"ours_mpi_{args.ranks}"] = {"seconds": secs, "command_seconds": total}
        means[f"gridsearchcv_n_jobs_{args.ranks}"], secs = gridsearchcv(X, y, grid, folds, args.ranks)
        runs[f"gridsearchcv_n_jobs_{args.ranks}"] = {"seconds": secs}
    for name, values in means.items():
        runs[name]["max_abs_diff"] = float(np.max(np.abs(np.subtract(values, oracle))))

    t = {k: v["seconds"] for k, v in runs.items()}
    ratios = {"gridsearchcv_1_over_ours_serial": t["gridsearchcv_n_jobs_1"] / t["ours_serial_kernel_cache"],
              "plain_over_kernel_cache": t["ours_serial_plain_rbf"] / t["ours_serial_kernel_cache"]}
    if args.ranks > 1:
        r = args.ranks
        ratios[f"gridsearchcv_{r}_over_ours_mpi_{r}"] = t[f"gridsearchcv_n_jobs_{r}"] / t[f"ours_mpi_{r}"]
        ratios[f"ours_serial_over_ours_mpi_{r}"] = t["ours_serial_kernel_cache"] / t[f"ours_mpi_{r}"]
    worst = max(v["max_abs_diff"] for k, v in runs.items() if "max_abs_diff" in v)
    result = {
        "kind": "svm_grid_oracle", "command": command_line(), "created": now_iso(),
        "host": host_info(), "versions": package_versions(),
        "data": {"train": {"path": str(args.train), "sha256": sha256_file(args.train)}},
        "rows": int(X.shape[0]), "features": int(X.shape[1]),
        "grid": grid.to_dict(), "n_folds": grid.n_folds, "seed": args.seed,
        "runs": runs, "ratios": ratios, "max_abs_diff": worst, "tolerance": TOLERANCE,
        "equal": bool(worst <= TOLERANCE), "gridsearchcv_mean_accuracy": oracle,
    }
    write_json(args.out, result)
    for name, run in runs.items():
        diff = f"  max |diff| {run['max_abs_diff']:.1e}" if "max_abs_diff" in run else ""
        print(f"{name:28s} {run['seconds']:8.2f} s{diff}")
    for name, value in ratios.items():
        print(f"{name:40s} {value:6.2f}x")
    print(f"wrote {args.out}")
    if worst > TOLERANCE:
        print(f"FAIL: cell means differ from GridSearchCV by up to {worst:.3e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
