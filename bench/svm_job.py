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

import numpy as np

from hsbench import results
from hsbench.atomic import write_json
from hsbench.errors import InputError
from hsbench.features import slug
from hsbench.grid_progress import GridProgress
from hsbench.paths import check_output_file
from hsbench.prepare import check_finished, read_dataset_json
from hsbench.provenance import gpu_name, host_info, sha256_file
from hsbench.svm import libsvm, mpi
from hsbench.svm.backends import DEFAULT_KERNEL_CACHE_MB, make_backend, thundersvm_build
from hsbench.svm.errors import InputError as SvmInputError
from hsbench.svm.folds import AUTO, FOLD_KINDS, buffer_candidates, make_spatial_folds, matched_buffer
from hsbench.svm.grid import PRESETS, Grid, make_folds, parse_values
from hsbench.svm.journal import journal_key
from hsbench.svm.kernels import kernel_bytes
from hsbench.svm.search import SearchOutcome, journal_path_for, run_search
from hsbench.svm.tasks import format_table


@dataclass(frozen=True)
class GridJob:
    """What `hsbench grid` was asked for (either `data`, or `train` with an optional `test`)."""

    data: Path | None = None
    features: str | None = None  # a feature set of `data` (dataset.json feature_sets); None: train.libsvm
    train: Path | None = None
    test: Path | None = None
    out: Path | None = None
    grid: str = "seed"
    gamma: str | None = None  # value syntax of hsbench.svm.grid.parse_values
    C: str | None = None
    folds: int = 10
    seed: int = 0
    cv: str | None = None  # "stratified" | "spatial"; None: spatial on a disjoint split, else stratified
    # spatial folds' buffer in pixels, or "auto" (matched to the test pixels' distances); None: auto where
    # dataset.json has test coordinates, else the split's window - 1
    cv_buffer: int | str | None = None
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
    """(train, test, dataset.json) from `data` (and `features`) or `train`/`test`."""
    if job.data and job.test and (job.data / "dataset.json").is_file():
        split = read_dataset_json(job.data / "dataset.json").get("split") or {}
        if split.get("kind") == "all":
            raise InputError(f"--test: {job.data} was prepared with --split all (every labelled pixel trains), "
                             "so it reports CV accuracy only; prepare a random or disjoint split for test metrics")
    if job.data and (job.train or job.test):
        raise InputError("give either --data DIR or --train FILE [--test FILE], not both")
    if job.features and not job.data:
        raise InputError("--features picks a feature set of a prepared directory: it needs --data DIR")
    if job.data:
        if not job.data.is_dir():
            raise InputError(f"--data {job.data}: no such directory")
        meta = job.data / "dataset.json"
        train_name, test_name = feature_files(job.data, read_dataset_json(meta) if meta.is_file() else {},
                                              job.features)
        train = job.data / train_name
        if not train.is_file():
            raise InputError(f"--data {job.data}: no {train_name} (run hsbench prepare first)")
        check_finished(job.data)
        test = job.data / test_name
        return train, test if test.is_file() else None, meta if meta.is_file() else None
    if not job.train:
        raise InputError("no input: give --data DIR or --train FILE")
    return job.train, job.test, None


def feature_files(data: Path, meta: dict, features: str | None) -> tuple[str, str]:
    """The LibSVM pair of feature set `features` in a prepared directory (None: the first one)."""
    if features is None or (features == meta.get("features") and "feature_sets" not in meta):
        return "train.libsvm", "test.libsvm"
    sets = meta.get("feature_sets") or {}
    if features not in sets:
        raise InputError(f"--features {features}: not prepared in {data} (it holds: "
                         f"{', '.join(sets) or meta.get('features', 'raw')}); run hsbench prepare --out {data} "
                         f"with --features {features} as well")
    entry = sets[features]
    names = (str(entry.get("train", "")), str(entry.get("test", "")))
    if any(not n or Path(n).name != n for n in names):  # file names inside DIR, nothing else
        raise InputError(f"{data / 'dataset.json'}: feature set {features!r} names files outside the directory")
    return names


def _grid(job: GridJob) -> Grid:
    if job.grid not in PRESETS:
        raise InputError(f"--grid must be one of {', '.join(PRESETS)}, got {job.grid!r}")
    preset = PRESETS[job.grid]
    gamma = parse_values(job.gamma, "--gamma") if job.gamma else preset["gamma"]
    C = parse_values(job.C, "--C") if job.C else preset["C"]
    return Grid(gamma=gamma, C=C, n_folds=job.folds)


def _output(job: GridJob, train_path: Path, rank: int) -> Path:
    name = job.data.name if job.data else train_path.stem
    if job.features:
        name += "-" + slug(job.features)
    out = job.out or Path("results") / f"svm_grid-{name}.json"
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
    chosen = job.features or meta.get("features")
    n_features = ((meta.get("feature_sets") or {}).get(chosen) or {}).get("n_features", meta.get("n_features"))
    train, test = libsvm.load_pair(train_path, test_path, n_features=n_features)
    libsvm.check_training(train)
    if test is not None:
        libsvm.check_test(test, train)
    folds_kind, coords, window = _fold_scheme(job, meta, meta_path, train.y, train_path)
    buffer, rule, w_scores = 0, "none", None
    if coords is not None:
        buffer, rule, w_scores = _buffer(job, meta, train.y, coords, grid.n_folds, window)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if coords is not None:
            folds, exclude = make_spatial_folds(train.y, coords, grid.n_folds, job.seed, buffer,
                                                source=str(train_path))
        else:
            folds, exclude = make_folds(train.y, grid.n_folds, job.seed, source=str(train_path)), None
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
        journal_key=journal_key(train_sha, grid, folds, f"{backend.name}/{backend.build}", exclude),
        resume=job.resume, exclude=exclude, X_test=test.X if test is not None else None, comm=comm,
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
        folds_kind=folds_kind, cv_buffer=buffer, cv_buffer_rule=rule, cv_buffer_w=w_scores,
        cv_buffer_dropped=exclude.sum(axis=1).tolist() if exclude is not None else [0] * grid.n_folds,
        backend=backend.name, backend_build=backend.build, ranks=mpi.size_of(comm),
        threads=job.threads if backend.name == "thundersvm" else 1,
        kernel_cache=bool(getattr(backend, "kernel_cache", False)), kernel_cache_mb=job.kernel_cache_mb,
        refit_seconds=outcome.refit_seconds, resumed_tasks=outcome.resumed_tasks, hosts=hosts,
        device=gpu_name() if backend.build == "gpu" else "cpu", wall_seconds=outcome.wall_seconds,
        data=data, dataset=results.dataset_summary(meta, chosen), test=test_block,
        node_of_rank=outcome.node_of, kernel_slots=outcome.kernel_slots, shared_kernel_mb=outcome.shared_kernel_mb,
        kernels=outcome.kernels, task_seconds=[r.get("seconds") for r in outcome.records],
        task_ranks=[r.get("rank") for r in outcome.records],
        peak_rss_mb=[m["peak_rss_mb"] for m in outcome.memory], peak_pss_mb=[m["peak_pss_mb"] for m in outcome.memory],
        peak_private_mb=[m["peak_private_mb"] for m in outcome.memory], farm=outcome.farm,
    )
    write_json(out, result)
    if not job.quiet:
        _print_summary(outcome, grid, test_block, out, folds_kind)
    return 0


def _fold_scheme(job: GridJob, meta: dict, meta_path: Path | None, y: np.ndarray,
                 train_path: Path) -> tuple[str, np.ndarray | None, int]:
    """(folds kind, training pixel coordinates for spatial folds or None, the split's window)."""
    split = meta.get("split") or {}
    kind = job.cv or ("spatial" if split.get("kind") == "disjoint" else "stratified")
    if kind not in FOLD_KINDS:
        raise InputError(f"--cv must be one of {', '.join(FOLD_KINDS)}, got {kind!r}")
    if kind == "stratified":
        if job.cv_buffer is not None:
            raise InputError("--cv-buffer applies to spatial folds only (--cv spatial)")
        return kind, None, 1
    coords = (meta.get("train") or {}).get("coords")
    if coords is None:
        raise InputError(f"--cv spatial: {train_path} has no pixel coordinates (a plain LibSVM file); "
                         "give --data DIR of a prepared dataset, whose dataset.json holds them, or --cv stratified")
    xy = np.asarray(coords, dtype=np.int64)
    if xy.shape != (len(y), 2) or not np.array_equal(meta["train"].get("labels", y), y):
        raise InputError(f"{meta_path}: its training coordinates and labels do not describe the "
                         f"{len(y)} rows of {train_path} (re-run hsbench prepare)")
    return kind, xy, int(split.get("window", 1))


def _buffer(job: GridJob, meta: dict, y: np.ndarray, xy: np.ndarray, n_folds: int,
            window: int) -> tuple[int, str, list[dict[str, Any]] | None]:
    """(spatial folds' buffer, how it was set, W per candidate when matched)."""
    if job.cv_buffer is not None and job.cv_buffer != AUTO:
        return int(job.cv_buffer), "given", None
    test_xy = (meta.get("test") or {}).get("coords")
    if not test_xy:  # nothing to match (a split without test pixels): the split's own buffer
        if job.cv_buffer == AUTO:
            raise InputError("--cv-buffer auto matches the test pixels' distances, and the dataset has no test "
                             "pixels; give --cv-buffer N")
        return max(window - 1, 0), "window", None
    buffer, scores = matched_buffer(y, xy, np.asarray(test_xy), n_folds, job.seed, buffer_candidates(window))
    return buffer, "matched", scores


def _print_summary(outcome: SearchOutcome, grid: Grid, test: dict | None, out: Path, folds_kind: str) -> None:
    print(f"{grid.n_folds}-fold {folds_kind} CV accuracy % (minutes)")
    print(format_table(outcome.cells, grid))
    best = outcome.best
    line = f"best: gamma={best['gamma']:g} C={best['C']:g} CV {100 * best['mean_accuracy']:.2f}%"
    if test:
        line += (f", test OA {100 * test['oa']:.2f}% AA {100 * test['aa']:.2f}% "
                 f"kappa {test['kappa']:.4f}")
    print(line)
    print(f"wrote {out}")
