"""The grid job behind `hsbench grid`: inputs -> the svm engine -> one results JSON (kind "svm_grid").

Every MPI rank runs `run_grid_job`; ranks validate their own view of the input
(files may be node-local), then meet once, so one rank's bad input stops all of
them instead of leaving the others waiting. Only rank 0 writes.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hsbench import results
from hsbench.atomic import write_json
from hsbench.errors import InputError
from hsbench.grid_progress import GridProgress
from hsbench.paths import check_output_file
from hsbench.prepare import check_finished, read_dataset_json
from hsbench.provenance import gpu_name, host_info, sha256_file
from hsbench.svm import libsvm, mpi
from hsbench.svm.backends import DEFAULT_KERNEL_CACHE_MB, make_backend, thundersvm_build
from hsbench.svm.errors import InputError as SvmInputError
from hsbench.svm.grid import PRESETS, Grid, make_folds, parse_values
from hsbench.svm.journal import journal_key
from hsbench.svm.kernels import kernel_bytes
from hsbench.svm.search import SearchOutcome, journal_path_for, run_search
from hsbench.svm.tasks import format_table


@dataclass(frozen=True)
class GridJob:
    """What `hsbench grid` was asked for (either `data`, or `train` with an optional `test`)."""

    data: Path | None = None
    train: Path | None = None
    test: Path | None = None
    out: Path | None = None
    grid: str = "seed"
    gamma: str | None = None  # value syntax of hsbench.svm.grid.parse_values
    C: str | None = None
    folds: int = 10
    seed: int = 0
    backend: str = "sklearn"
    threads: int = -1
    kernel_cache_mb: float = DEFAULT_KERNEL_CACHE_MB
    resume: bool = False
    quiet: bool = False


def run_grid_job(job: GridJob) -> int:
    """Run the job on this rank; return the exit status (bad input raises InputError on rank 0)."""
    comm = mpi.world()
    agreement = mpi.Agreement(comm)
    try:
        return _run(job, comm, agreement)
    except (InputError, SvmInputError) as exc:
        agreement.meet(exc)
        if mpi.rank_of(comm) != 0:
            return 2
        raise
    except BaseException:
        if comm is None:
            raise
        mpi.abort_all(comm)  # anything else: abort all ranks, never deadlock
        raise


def _inputs(job: GridJob) -> tuple[Path, Path | None, Path | None]:
    """(train, test, dataset.json) from `data` or `train`/`test`."""
    if job.data and job.test and (job.data / "dataset.json").is_file():
        split = read_dataset_json(job.data / "dataset.json").get("split") or {}
        if split.get("kind") == "all":
            raise InputError(f"--test: {job.data} was prepared with --split all (every labelled pixel trains), "
                             "so it reports CV accuracy only; prepare a random or disjoint split for test metrics")
    if job.data and (job.train or job.test):
        raise InputError("give either --data DIR or --train FILE [--test FILE], not both")
    if job.data:
        if not job.data.is_dir():
            raise InputError(f"--data {job.data}: no such directory")
        train = job.data / "train.libsvm"
        if not train.is_file():
            raise InputError(f"--data {job.data}: no train.libsvm (run hsbench prepare first)")
        check_finished(job.data)
        test = job.data / "test.libsvm"
        meta = job.data / "dataset.json"
        return train, test if test.is_file() else None, meta if meta.is_file() else None
    if not job.train:
        raise InputError("no input: give --data DIR or --train FILE")
    return job.train, job.test, None


def _grid(job: GridJob) -> Grid:
    if job.grid not in PRESETS:
        raise InputError(f"--grid must be one of {', '.join(PRESETS)}, got {job.grid!r}")
    preset = PRESETS[job.grid]
    gamma = parse_values(job.gamma, "--gamma") if job.gamma else preset["gamma"]
    C = parse_values(job.C, "--C") if job.C else preset["C"]
    return Grid(gamma=gamma, C=C, n_folds=job.folds)


def _output(job: GridJob, train_path: Path, rank: int) -> Path:
    out = job.out or Path("results") / f"svm_grid-{job.data.name if job.data else train_path.stem}.json"
    if out.suffix != ".json":
        raise InputError(f"--out {out}: the results file must end in .json")
    if rank == 0:  # the one writer; probes from several ranks would race on the parents they create
        check_output_file(out)
    return out


def _run(job: GridJob, comm: Any, agreement: mpi.Agreement) -> int:
    rank = mpi.rank_of(comm)
    train_path, test_path, meta_path = _inputs(job)
    grid = _grid(job)
    out = _output(job, train_path, rank)
    meta = read_dataset_json(meta_path)
    train, test = libsvm.load_pair(train_path, test_path, n_features=meta.get("n_features"))
    libsvm.check_training(train)
    if test is not None:
        libsvm.check_test(test, train)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folds = make_folds(train.y, grid.n_folds, job.seed, source=str(train_path))
    if rank == 0:  # one line per warning, as the errors are reported
        for w in caught:
            print(f"hsbench grid: warning: {train_path}: {w.message}", file=sys.stderr)
    gpu_id = 0
    if job.backend == "thundersvm" and thundersvm_build() == "gpu":
        gpu_id = mpi.local_rank(comm) % max(mpi.gpu_count(), 1)
    backend = make_backend(job.backend, train.X, train.y, threads=job.threads,
                           kernel_cache_mb=job.kernel_cache_mb, gpu_id=gpu_id)
    too_big = backend.name == "sklearn" and job.kernel_cache_mb > 0 and not getattr(backend, "kernel_cache", False)
    if rank == 0 and too_big:
        print(f"hsbench grid: warning: one RBF kernel of {len(train.y)} rows needs "
              f"{kernel_bytes(len(train.y)) / 2**20:.0f} MB, more than --kernel-cache-mb {job.kernel_cache_mb:g} "
              "per node: every task fits its own RBF kernel instead (slower)", file=sys.stderr)
    train_sha = sha256_file(train_path)
    bar = GridProgress(grid, quiet=job.quiet or rank != 0)

    agreement.meet()  # every rank has validated its input
    outcome = run_search(
        backend, grid, folds, train.y,
        journal_path=journal_path_for(out),
        journal_key=journal_key(train_sha, grid, folds, f"{backend.name}/{backend.build}"),
        resume=job.resume, X_test=test.X if test is not None else None, comm=comm,
        on_start=bar.start, on_progress=bar.update,
    )
    bar.close()
    hosts = comm.gather(host_info(), root=0) if comm is not None else [host_info()]
    if rank != 0 or outcome is None:
        return 0

    test_block = None
    if test is not None:
        labels = sorted(set(train.classes) | set(test.classes))
        test_block = results.test_block(test.y, outcome.refit_predictions, labels, outcome.refit_predict_seconds)
    data = {"train": {"path": str(train_path), "sha256": train_sha}}
    if test_path:
        data["test"] = results.file_entry(test_path)
    if meta_path:
        data["dataset"] = results.file_entry(meta_path)
    result = results.svm_grid_result(
        cells=outcome.cells, best=outcome.best, grid=grid.to_dict(),
        grid_name="custom" if (job.gamma or job.C) else job.grid, folds=folds.tolist(), seed=job.seed,
        backend=backend.name, backend_build=backend.build, ranks=mpi.size_of(comm),
        threads=job.threads if backend.name == "thundersvm" else 1,
        kernel_cache=bool(getattr(backend, "kernel_cache", False)), kernel_cache_mb=job.kernel_cache_mb,
        refit_seconds=outcome.refit_seconds, resumed_tasks=outcome.resumed_tasks, hosts=hosts,
        device=gpu_name() if backend.build == "gpu" else "cpu", wall_seconds=outcome.wall_seconds,
        data=data, dataset=results.dataset_summary(meta), test=test_block,
        node_of_rank=outcome.node_of, kernel_slots=outcome.kernel_slots, shared_kernel_mb=outcome.shared_kernel_mb,
        kernels=outcome.kernels, task_seconds=[r.get("seconds") for r in outcome.records],
        task_ranks=[r.get("rank") for r in outcome.records],
        peak_rss_mb=[m["peak_rss_mb"] for m in outcome.memory], peak_pss_mb=[m["peak_pss_mb"] for m in outcome.memory],
        peak_private_mb=[m["peak_private_mb"] for m in outcome.memory], farm=outcome.farm,
    )
    write_json(out, result)
    if not job.quiet:
        _print_summary(outcome, grid, test_block, out)
    return 0


def _print_summary(outcome: SearchOutcome, grid: Grid, test: dict | None, out: Path) -> None:
    print(f"{grid.n_folds}-fold CV accuracy % (minutes)")
    print(format_table(outcome.cells, grid))
    best = outcome.best
    line = f"best: gamma={best['gamma']:g} C={best['C']:g} CV {100 * best['mean_accuracy']:.2f}%"
    if test:
        line += (f", test OA {100 * test['oa']:.2f}% AA {100 * test['aa']:.2f}% "
                 f"kappa {test['kappa']:.4f}")
    print(line)
    print(f"wrote {out}")
