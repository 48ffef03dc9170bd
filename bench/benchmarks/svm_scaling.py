"""Benchmark: the SVM grid's cost growth and scaling on the Indian Pines workload ladder.

Rungs: 10%, 25%, 50% of every class's labelled pixels for training (random split,
seed 0) and `all` (every labelled pixel, CV only). For every rung and grid (seed,
wide) it runs `hsbench grid` serially and under `mpiexec -n 2`, GridSearchCV on the
same folds wherever its estimated time is within `--gridsearchcv-limit` (measured at
the smallest rung, then extrapolated; a skipped one is recorded with its estimate),
and writes one JSON (kind "svm_scaling", built by scaling_summary) with wall times,
kernel vs fit seconds, peak memory per rank, fitted cost exponents, the scaling
model's check against the measured runs and its prediction up to 1024 ranks.

Resumable per run: every grid result and GridSearchCV timing is a file under
`--runs-dir`; a rerun skips what exists (`--redo RUNG` runs a rung again) and the
summary is rebuilt from every file present, so rungs can be run one at a time:

    python -m hsbench.benchmarks.svm_scaling                       # the whole ladder
    python -m hsbench.benchmarks.svm_scaling --rungs 10%,25%       # the small rungs only
    python -m hsbench.benchmarks.svm_scaling --rungs 50% --grids seed --inline   # + the old farm
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from hsbench.atomic import write_json
from hsbench.benchmarks.scaling_summary import exponents, grid_entry, model_entry, power_fit
from hsbench.benchmarks.svm_grid_oracle import gridsearchcv
from hsbench.provenance import command_line, host_info, now_iso, package_versions
from hsbench.run import find_mpiexec, hsbench_argv
from hsbench.svm import libsvm
from hsbench.svm.farm import ROOT_ENV
from hsbench.svm.grid import PRESETS, Grid, make_folds

RUNGS = {"10%": 0.1, "25%": 0.25, "50%": 0.5, "all": None}
ROOT = Path(__file__).resolve().parents[2]


def _log(msg: str) -> None:
    print(f"svm_scaling: {msg}", file=sys.stderr, flush=True)


def prepare(rung: str, work: Path) -> Path:
    out = work / f"ip-{rung.rstrip('%')}"
    if (out / "manifest.json").is_file():
        return out
    frac = RUNGS[rung]
    split = ["--split", "all"] if frac is None else ["--train-fraction", str(frac)]
    subprocess.run([*hsbench_argv(), "prepare", *split, "--out", str(out)], check=True, cwd=ROOT)
    return out


def run_grid(data: Path, grid: str, ranks: int, out: Path, inline: bool = False) -> float:
    """One `hsbench grid` run (progress bar on stderr); returns the whole command's seconds."""
    argv = [*hsbench_argv(), "grid", "--data", str(data), "--grid", grid, "--out", str(out)]
    if ranks > 1:
        argv = [find_mpiexec(), "-n", str(ranks), *argv]
    env = {**os.environ, ROOT_ENV: "inline" if inline else "thread"}
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def estimate(prev: list[tuple[int, float]], n: int, k_floor: float) -> float | None:
    """Seconds at n rows from timings at smaller n: a power law through them (k >= k_floor)."""
    if not prev:
        return None
    fit = power_fit([float(p) for p, _ in prev], [t for _, t in prev])
    k = max(fit["k"], k_floor) if fit else k_floor
    n0, t0 = max(prev)
    return t0 * (n / n0) ** k


def run_gridsearchcv(data: Path, grid_name: str, n_jobs: int, out: Path, limit: float,
                     est: float | None, ours: Path) -> dict[str, Any]:
    """GridSearchCV on our folds (or a skip record with its estimate); cells compared with our serial run."""
    if out.is_file():
        prior = json.loads(out.read_text())
        # a run measured stays; a skip is retried when a larger --gridsearchcv-limit now allows it
        if not prior.get("skipped") or prior.get("estimated_seconds", 0.0) > limit:
            return prior
    if est is not None and est > limit:
        record = {"skipped": True, "estimated_seconds": est,
                  "reason": f"estimated {est / 3600:.1f} h from the smaller rungs, over the {limit / 3600:.1f} h limit"}
        _log(f"GridSearchCV n_jobs={n_jobs} on {data.name}, {grid_name} grid: skipped, {record['reason']}")
        write_json(out, record)
        return record
    train = libsvm.load(data / "train.libsvm")
    preset = PRESETS[grid_name]
    grid = Grid(preset["gamma"], preset["C"], 10)
    with warnings.catch_warnings():  # hsbench grid has said it once already: small classes miss some folds
        warnings.simplefilter("ignore", UserWarning)
        folds = make_folds(train.y, 10, 0)  # what hsbench grid uses (--folds 10 --seed 0)
    _log(f"GridSearchCV n_jobs={n_jobs} on {data.name}, {grid_name} grid"
         + (f" (expected ~{est / 60:.1f} min)" if est else ""))
    means, seconds = gridsearchcv(train.X, train.y, grid, folds, n_jobs)
    record = {"skipped": False, "seconds": seconds, "estimated_seconds": est}
    if ours.is_file():
        cells = json.loads(ours.read_text())["cells"]
        record["max_abs_diff_vs_ours"] = float(np.max(np.abs(np.subtract([c["mean_accuracy"] for c in cells],
                                                                          means))))
    write_json(out, record)
    return record


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rungs", default=",".join(RUNGS), help="rungs to run, of 10%%,25%%,50%%,all (default: all four)")
    p.add_argument("--grids", default="seed,wide", help="grids (default: seed,wide)")
    p.add_argument("--ranks", default="1,2", help="rank counts (default: 1,2)")
    p.add_argument("--inline", action="store_true",
                   help="also run 2 ranks with the old farm (rank 0 computing between dispatch rounds)")
    p.add_argument("--gridsearchcv-limit", type=float, default=3600.0, metavar="S",
                   help="skip GridSearchCV where its estimate exceeds S seconds (default: 3600)")
    p.add_argument("--redo", default="", help="rungs to run again even if their files exist")
    p.add_argument("--work", type=Path, default=Path("runs/scaling"), help="prepared datasets (default: runs/scaling)")
    p.add_argument("--runs-dir", type=Path, default=Path("results/benchmarks/svm_scaling"),
                   help="one file per run (default: results/benchmarks/svm_scaling)")
    p.add_argument("--out", type=Path, default=Path("results/benchmarks/svm_scaling.json"))
    p.add_argument("--ranks-per-node", type=int, default=64, help="for the model's prediction (default: 64)")
    args = p.parse_args(argv)
    rungs = [r for r in args.rungs.split(",") if r]
    bad = [r for r in rungs + [r for r in args.redo.split(",") if r] if r not in RUNGS]
    if bad:
        p.error(f"unknown rung(s) {bad}; choose from {', '.join(RUNGS)}")
    grids = [g for g in args.grids.split(",") if g]
    ranks = [int(r) for r in args.ranks.split(",") if r]
    args.runs_dir.mkdir(parents=True, exist_ok=True)

    for rung in rungs:  # run what is missing, smallest rung first (the estimates need them)
        data = prepare(rung, args.work)
        n = len(json.loads((data / "dataset.json").read_text())["train"]["labels"])
        for grid in grids:
            names = [(str(r), r, False) for r in ranks] + ([("2-inline", 2, True)] if args.inline else [])
            for name, r, inline in names:
                out = args.runs_dir / f"{rung.rstrip('%')}-{grid}-{name}.json"
                if out.is_file() and rung not in args.redo.split(","):
                    continue
                est = estimate(_serial_walls(args.runs_dir, grid), n, 2.0)
                _log(f"{rung} ({n} rows), {grid} grid, {name} rank(s)"
                     + (f": expected ~{est / r / 60:.1f} min" if est else ""))
                seconds = run_grid(data, grid, r, out, inline)
                _log(f"  done in {seconds:.1f} s (command, MPI start-up included)")
            for jobs in sorted({1, *[r for r in ranks if r > 1]}):
                out = args.runs_dir / f"{rung.rstrip('%')}-{grid}-gridsearchcv-n{jobs}.json"
                if rung in args.redo.split(","):
                    out.unlink(missing_ok=True)
                est = estimate(_gridsearchcv_walls(args.runs_dir, grid, jobs), n, 2.0)
                run_gridsearchcv(data, grid, jobs, out, args.gridsearchcv_limit, est,
                                 args.runs_dir / f"{rung.rstrip('%')}-{grid}-1.json")

    # the summary covers every run file present, not only this invocation's grids: the ladder is often run piecewise
    summary = summarize(args.runs_dir, list(PRESETS), args.ranks_per_node)
    write_json(args.out, summary)
    _print(summary)
    _log(f"wrote {args.out}")
    return 0


def _serial_walls(runs_dir: Path, grid: str) -> list[tuple[int, float]]:
    out = []
    for rung in RUNGS:
        f = runs_dir / f"{rung.rstrip('%')}-{grid}-1.json"
        if f.is_file():
            d = json.loads(f.read_text())
            out.append((len(d["folds"]), d["wall_seconds"]))
    return out


def _gridsearchcv_walls(runs_dir: Path, grid: str, jobs: int) -> list[tuple[int, float]]:
    out = []
    for rung in RUNGS:
        f = runs_dir / f"{rung.rstrip('%')}-{grid}-gridsearchcv-n{jobs}.json"
        ours = runs_dir / f"{rung.rstrip('%')}-{grid}-1.json"
        if f.is_file() and ours.is_file():
            rec = json.loads(f.read_text())
            if not rec.get("skipped"):
                out.append((len(json.loads(ours.read_text())["folds"]), rec["seconds"]))
    return out


def summarize(runs_dir: Path, grids: list[str], ranks_per_node: int) -> dict[str, Any]:
    """The kind "svm_scaling" JSON from every run file present."""
    rungs = []
    for rung in RUNGS:
        key = rung.rstrip("%")
        entry: dict[str, Any] = {"rung": rung, "train_fraction": RUNGS[rung], "grids": {}}
        for grid in grids:
            results = {}
            for f in sorted(runs_dir.glob(f"{key}-{grid}-*.json")):
                name = f.stem[len(f"{key}-{grid}-"):]
                if not name.startswith("gridsearchcv"):
                    results[name] = (json.loads(f.read_text()), f.as_posix())
            if not results:
                continue
            gs = {f"n_jobs_{f.stem.rsplit('-n', 1)[1]}": json.loads(f.read_text())
                  for f in sorted(runs_dir.glob(f"{key}-{grid}-gridsearchcv-n*.json"))}
            entry["grids"][grid] = grid_entry(results, gs)
            entry["n_rows"] = len(next(iter(results.values()))[0]["folds"])
        if entry["grids"]:
            rungs.append(entry)
    model = {}
    for grid in grids:
        largest = [r for r in rungs if grid in r["grids"] and "1" in r["grids"][grid]["runs"]]
        if largest:
            run = largest[-1]["grids"][grid]["runs"]["1"]
            d = json.loads(Path(run["file"]).read_text())
            model[grid] = {"rung": largest[-1]["rung"], **model_entry(d, run["file"], ranks_per_node)}
    return {
        "kind": "svm_scaling", "command": command_line(), "created": now_iso(), "host": host_info(),
        "versions": package_versions(), "scene": "indian_pines", "rungs": rungs,
        "exponents": {g: exponents(rungs, g) for g in grids}, "model": model,
        "seed_published": {"cores": 80, "serial": "~9 h", "parallel": "~35 min", "speedup": 15.4,
                           "source": "Cavallaro, Riedel, Benediktsson et al., IEEE JSTARS 2015"},
    }


def _print(summary: dict[str, Any]) -> None:
    for r in summary["rungs"]:
        for grid, e in r["grids"].items():
            runs = e["runs"]
            parts = [f"{name}: {run['wall_seconds']:.1f} s" for name, run in runs.items()]
            sp = ", ".join(f"{k} {v:.2f}x" for k, v in e["speedup"].items())
            print(f"{r['rung']:>4} ({r['n_rows']} rows) {grid:5s} {'; '.join(parts)}; speedup {sp or '-'}")
            for c in e["model_check"]:
                print(f"      model: {c['run']} predicted {c['predicted_seconds']:.1f} s vs measured "
                      f"{c['measured_seconds']:.1f} s ({100 * c['error']:+.1f}%)")
    for grid, ex in summary["exponents"].items():
        fmt = {k: (f"{v['k']:.2f}" if v else "-") for k, v in ex.items() if k != "n_rows"}
        print(f"exponents {grid}: kernel n^{fmt['kernel']}, fit n^{fmt['fit']}, wall n^{fmt['wall']}")
    for grid, m in summary["model"].items():
        eff = ", ".join(f"{p}: {100 * e:.0f}%" for p, e in m["efficiency"].items())
        print(f"model {grid} ({m['rung']}): efficiency {eff}")


if __name__ == "__main__":
    sys.exit(main())
