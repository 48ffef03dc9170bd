"""`hsbench grid`: 10-fold CV SVM grid search over (gamma, C), serial or under mpiexec.

Wiring only: arguments -> `svm` engine -> results JSON (kind "svm_grid",
docs/FORMATS.md). Test metrics come from `bench.metrics`, the one definition.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import warnings
from pathlib import Path

from hsbench.atomic import write_json
from hsbench.errors import InputError
from hsbench.metrics import classification_metrics
from hsbench.prepare import check_finished, dataset_summary, read_dataset_json
from hsbench.provenance import command_line, gpu_name, host_info, now_iso, package_versions, sha256_file
from hsbench.svm import libsvm, mpi
from hsbench.svm.backends import BACKENDS, DEFAULT_KERNEL_CACHE_MB, make_backend, thundersvm_build
from hsbench.svm.errors import InputError as SvmInputError
from hsbench.svm.grid import PRESETS, Grid, make_folds, parse_values
from hsbench.svm.journal import journal_key
from hsbench.svm.search import journal_path_for, run_search
from hsbench.svm.tasks import format_table

EPILOG = """\
value syntax for --gamma and --C:
  2,4,8        an explicit list
  2^-6:2^4     powers of 2 from 2^-6 to 2^4 (exponent step 1)
  1e0:1e5      powers of 10 from 1 to 100000
  lists and ranges mix: 0.5,2^0:2^3

examples:
  hsbench grid --data runs/ip --out results/svm_grid_ip.json
  mpiexec -n 8 hsbench grid --train indian_raw_training.el --grid wide
  hsbench grid --train train.libsvm --test test.libsvm --backend thundersvm --threads 8
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "grid",
        help="SVM grid search: k-fold CV for every (gamma, C) cell, serial or over MPI ranks",
        description=textwrap.fill(
            "Stratified k-fold cross-validation of an RBF SVM for every (gamma, C) cell; the best "
            "cell (highest mean CV accuracy, ties -> smaller C, then smaller gamma) is refit on the "
            "whole training file and predicts the test file. Run under `mpiexec -n N` to spread "
            "the (gamma, C, fold) tasks over N ranks; without mpiexec it runs serially.",
            78,
        ),
        epilog=EPILOG,
        allow_abbrev=False,  # job scripts and tests must spell options in full
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_argument_group("input (either --data or --train)")
    src.add_argument("--data", type=Path, metavar="DIR",
                     help="prepared dataset directory (train.libsvm, test.libsvm, dataset.json)")
    src.add_argument("--train", type=Path, metavar="FILE", help="LibSVM training file (e.g. a seed .el file)")
    src.add_argument("--test", type=Path, metavar="FILE", help="LibSVM test file (optional with --train)")
    p.add_argument("--out", type=Path, metavar="FILE.json",
                   help="results JSON (default: results/svm_grid-<data dir or train file name>.json); "
                        "the journal is FILE.json.journal")
    g = p.add_argument_group("grid and folds")
    g.add_argument("--grid", choices=sorted(PRESETS), default="seed",
                   help="preset: seed = gamma {2,4,8,16,32} x C {1,...,1e4}; "
                        "wide = gamma 2^-6:2^4 x C 1e0:1e5 (default: seed)")
    g.add_argument("--gamma", metavar="VALUES", help="RBF gamma values, overriding the preset (syntax below)")
    g.add_argument("--C", dest="C", metavar="VALUES", help="C values, overriding the preset (syntax below)")
    g.add_argument("--folds", type=int, default=10, help="stratified CV folds (default: 10)")
    g.add_argument("--seed", type=int, default=0, help="seed of the fold shuffle (default: 0)")
    b = p.add_argument_group("backend")
    b.add_argument("--backend", default="sklearn", metavar="{" + ",".join(BACKENDS) + "}",
                   help="sklearn (libsvm, default) or thundersvm (CPU wheel or CUDA build)")
    b.add_argument("--threads", type=int, default=-1,
                   help="thundersvm threads per rank (-1: all cores; ignored by sklearn)")
    b.add_argument("--kernel-cache-mb", type=float, default=DEFAULT_KERNEL_CACHE_MB, metavar="MB",
                   help="sklearn: memory per rank for shared RBF kernel matrices (n x n float64, one "
                        "per gamma, reused for every C and fold); 0 or too small -> plain RBF fits "
                        f"(default: {DEFAULT_KERNEL_CACHE_MB})")
    p.add_argument("--resume", action="store_true",
                   help="skip tasks already in the journal (refused if it was written for other inputs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no grid table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    comm = mpi.world()
    rank = mpi.rank_of(comm)
    agreement = _Agreement(comm)
    try:
        return _run(args, comm, agreement)
    except (InputError, SvmInputError) as exc:
        # ranks validate their own view of the input (files may be node-local); they meet once,
        # so one rank's bad input stops all of them instead of leaving the others waiting
        agreement.meet(exc)
        if rank != 0:
            return 2
        raise
    except BaseException:
        if comm is None:
            raise
        mpi.abort_all(comm)  # anything else: abort all ranks, never deadlock
        raise


class _Agreement:
    """One collective meeting of all ranks after input validation."""

    def __init__(self, comm):
        self.comm, self.done = comm, False

    def meet(self, error: Exception | None = None) -> None:
        if self.comm is None or self.done:
            return
        self.done = True
        errors = self.comm.allgather(None if error is None else str(error))
        failed = [(r, e) for r, e in enumerate(errors) if e]
        if failed and error is None:
            r, e = failed[0]
            raise InputError(f"rank {r}: {e}")


def _inputs(args: argparse.Namespace) -> tuple[Path, Path | None, Path | None]:
    """(train, test, dataset.json) from --data or --train/--test."""
    if args.data and (args.train or args.test):
        raise InputError("give either --data DIR or --train FILE [--test FILE], not both")
    if args.data:
        if not args.data.is_dir():
            raise InputError(f"--data {args.data}: no such directory")
        train = args.data / "train.libsvm"
        if not train.is_file():
            raise InputError(f"--data {args.data}: no train.libsvm (run hsbench prepare first)")
        check_finished(args.data)
        test = args.data / "test.libsvm"
        meta = args.data / "dataset.json"
        return train, test if test.is_file() else None, meta if meta.is_file() else None
    if not args.train:
        raise InputError("no input: give --data DIR or --train FILE")
    return args.train, args.test, None


def _grid(args: argparse.Namespace) -> Grid:
    preset = PRESETS[args.grid]
    gamma = parse_values(args.gamma, "--gamma") if args.gamma else preset["gamma"]
    C = parse_values(args.C, "--C") if args.C else preset["C"]
    return Grid(gamma=gamma, C=C, n_folds=args.folds)


def _run(args: argparse.Namespace, comm, agreement: _Agreement) -> int:
    rank = mpi.rank_of(comm)
    train_path, test_path, meta_path = _inputs(args)
    grid = _grid(args)
    meta = read_dataset_json(meta_path)
    train, test = libsvm.load_pair(train_path, test_path, n_features=meta.get("n_features"))
    libsvm.check_training(train)
    if test is not None:
        libsvm.check_test(test, train)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folds = make_folds(train.y, grid.n_folds, args.seed, source=str(train_path))
    if rank == 0:  # one line per warning, as the errors are reported
        for w in caught:
            print(f"hsbench grid: warning: {train_path}: {w.message}", file=sys.stderr)
    gpu_id = 0
    if args.backend == "thundersvm" and thundersvm_build() == "gpu":
        gpu_id = mpi.local_rank(comm) % max(mpi.gpu_count(), 1)
    backend = make_backend(args.backend, train.X, train.y, threads=args.threads,
                           kernel_cache_mb=args.kernel_cache_mb, gpu_id=gpu_id)
    name = args.data.name if args.data else train_path.stem
    out = args.out or Path("results") / f"svm_grid-{name}.json"
    if out.suffix != ".json":
        raise InputError(f"--out {out}: the results file must end in .json")
    train_sha = sha256_file(train_path)

    bar = None
    quiet = args.quiet or rank != 0

    def on_start(done: int, total: int) -> None:
        nonlocal bar
        if not quiet:
            from tqdm import tqdm

            bar = tqdm(total=total, initial=done, unit="task", desc="grid", file=sys.stderr)

    agreement.meet()  # every rank has validated its input
    outcome = run_search(
        backend, grid, folds, train.y,
        journal_path=journal_path_for(out),
        journal_key=journal_key(train_sha, grid, folds, f"{backend.name}/{backend.build}"),
        resume=args.resume, comm=comm, on_start=on_start,
        on_progress=(lambda r: bar.update(1)) if not quiet else None,
    )
    if bar is not None:
        bar.close()
    hosts = comm.gather(host_info(), root=0) if comm is not None else [host_info()]
    if rank != 0:
        return 0

    best = outcome.best
    refit_pred, refit_s, predict_s = backend.refit_predict(
        best["gamma"], best["C"], test.X if test is not None else None)
    test_block = None
    if test is not None:
        labels = sorted(set(train.classes) | set(test.classes))
        test_block = classification_metrics(test.y, refit_pred, labels)
        test_block["predict_seconds"] = predict_s

    data = {"train": {"path": str(train_path), "sha256": train_sha}}
    if test_path:
        data["test"] = {"path": str(test_path), "sha256": sha256_file(test_path)}
    dataset = None
    if meta_path:
        data["dataset"] = {"path": str(meta_path), "sha256": sha256_file(meta_path)}
        dataset = dataset_summary(meta)

    result = {
        "kind": "svm_grid",
        "command": command_line(),
        "created": now_iso(),
        "host": hosts[0],
        "hosts": hosts,
        "device": gpu_name() if backend.build == "gpu" else "cpu",
        "versions": package_versions(),
        "data": data,
        "dataset": dataset,
        "grid": grid.to_dict(),
        "grid_name": "custom" if (args.gamma or args.C) else args.grid,
        "n_folds": grid.n_folds,
        "folds": folds.tolist(),
        "seed": args.seed,
        "backend": backend.name,
        "backend_build": backend.build,
        "ranks": mpi.size_of(comm),
        "threads": args.threads if backend.name == "thundersvm" else 1,
        "kernel_cache": bool(getattr(backend, "kernel_cache", False)),
        "kernel_cache_mb": args.kernel_cache_mb,
        "cells": outcome.cells,
        "best": best,
        "refit_seconds": refit_s,
        "wall_seconds": outcome.wall_seconds,
        "resumed_tasks": outcome.resumed_tasks,
        "test": test_block,
    }
    write_json(out, result)
    if not args.quiet:
        print("10xCV accuracy % (minutes)" if grid.n_folds == 10 else f"{grid.n_folds}-fold CV accuracy % (minutes)")
        print(format_table(outcome.cells, grid))
        line = f"best: gamma={best['gamma']:g} C={best['C']:g} CV {100 * best['mean_accuracy']:.2f}%"
        if test_block:
            line += f", test OA {100 * test_block['oa']:.2f}% AA {100 * test_block['aa']:.2f}% kappa {test_block['kappa']:.4f}"
        print(line)
        print(f"wrote {out}")
    return 0
