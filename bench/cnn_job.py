"""The CNN job behind `hsbench cnn`: a window file -> the cnn engine -> one results JSON (kind "cnn").

Keras reads KERAS_BACKEND once, at its first import, so `select_backend` must run
before anything imports keras; this module imports the engine's training code
only inside `run_cnn_job`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from hsbench import results
from hsbench.atomic import write_json
from hsbench.cnn.config import BACKEND_INSTALL, BACKENDS, DEFAULT_BACKEND, PROTOCOLS
from hsbench.cnn.distributed import Launch, detect_launch
from hsbench.cnn.errors import InputError
from hsbench.paths import check_output_dir
from hsbench.prepare import check_finished, read_dataset_json

RESULTS_FILE = "cnn.json"


@dataclass(frozen=True)
class CnnJob:
    """What `hsbench cnn` was asked for. `overrides` replace the protocol's defaults (Config fields)."""

    data: Path
    out: Path
    protocol: str = "seed"
    backend: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    resume: bool = False
    verbose: int = 1  # Keras: 1 a bar per epoch, 2 a line per epoch, 0 nothing
    # spatial-cv's buffer: pixels, or "auto": matched to the test pixels' distances as the SVM grid's
    # (--cv-buffer auto), so both select on the very same folds
    val_buffer: int | str = "auto"


def check_backend(backend: str, source: str = "--backend") -> None:
    """Raise InputError (one line: the backend, how to install it) unless `backend` is known and installed."""
    if backend not in BACKENDS:
        choices = "; ".join(f"{b} ({BACKEND_INSTALL[b]})" for b in BACKENDS)
        raise InputError(f"{source}: unknown Keras backend {backend!r}; choose {choices}")
    if importlib.util.find_spec(backend) is None:
        raise InputError(f"{source}: backend {backend} is not installed here: {BACKEND_INSTALL[backend]}")


def select_backend(requested: str | None) -> str:
    """Choose the Keras backend (argument, else $KERAS_BACKEND, else tensorflow) before keras loads."""
    backend = requested or os.environ.get("KERAS_BACKEND") or DEFAULT_BACKEND
    check_backend(backend, "--backend" if requested else "KERAS_BACKEND" if os.environ.get("KERAS_BACKEND")
                  else "default backend")
    if "keras" in sys.modules:
        active = sys.modules["keras"].backend.backend()
        if active != backend:
            raise InputError(f"keras is already loaded with backend {active}; set KERAS_BACKEND={backend} instead")
    os.environ["KERAS_BACKEND"] = backend
    return backend


def window_path(data: Path) -> tuple[Path, Path | None]:
    """(window file, dataset.json or None) of a prepared directory or a window file."""
    if data.is_dir():
        check_finished(data)
        dataset = data / "dataset.json"
        return data / "windows.h5", dataset if dataset.is_file() else None
    dataset = data.parent / "dataset.json"
    return data, dataset if dataset.is_file() else None


def _val_buffer(job: CnnJob, config: Any, window_file: Path) -> tuple[Any, dict]:
    """The config with spatial-cv's buffer set, and how it was set (for the results' validation block).

    "auto" matches it to the test pixels as the SVM grid does (hsbench.svm.folds.matched_buffer: same
    candidates, same W, same seed, so the same folds); window - 1 is left as None, which means just that,
    so fold checkpoints written before the buffer was recorded still resume.
    """
    from hsbench.cnn.config import resolve
    from hsbench.cnn.windows import read_layout
    from hsbench.svm.folds import buffer_candidates, matched_buffer

    layout = read_layout(window_file)
    if layout is None:
        return config, {}  # unreadable: training says why
    if resolve(config, layout.split.get("kind")).val_split != "spatial-cv":
        if job.val_buffer != "auto":
            raise InputError(f"--val-buffer {job.val_buffer} applies to --val-split spatial-cv only (the default on "
                             "a disjoint split); this run validates otherwise")
        return config, {}
    if job.val_buffer != "auto":
        return replace(config, val_buffer=int(job.val_buffer)), {"buffer_rule": "given", "buffer_w": None}
    if len(layout.test_coords) == 0:
        return config, {"buffer_rule": "window", "buffer_w": None}
    buffer, scores = matched_buffer(layout.train_labels, layout.train_coords, layout.test_coords, config.val_folds,
                                    config.seed, buffer_candidates(layout.window))
    return (replace(config, val_buffer=None if buffer == max(layout.window - 1, 0) else buffer),
            {"buffer_rule": "matched", "buffer_w": scores})


def _spatial_folds(window_file: Path) -> Any:
    """The SVM grid's spatial fold builder, for the CNN's --val-split spatial-cv (the engines stay apart:
    this layer hands one to the other). Its warnings (a class in fewer folds) go out as one line each."""
    from hsbench.svm.errors import InputError as FoldError
    from hsbench.svm.folds import make_spatial_folds

    def make(y: Any, coords: Any, n_folds: int, seed: int, buffer: int) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                made = make_spatial_folds(y, coords, n_folds, seed, buffer, source=str(window_file))
            except FoldError as exc:  # told in the CNN's options, not the SVM grid's
                reason = str(exc).split(";")[0]
                raise InputError(f"--val-split spatial-cv: {reason}; lower --val-folds, or use --val-split "
                                 "spatial or stratified") from None
        for w in caught:
            print(f"hsbench cnn: warning: {window_file}: {w.message}", file=sys.stderr)
        return made

    return make


def run_cnn_job(job: CnnJob) -> int:
    """Train, predict the test pixels, write OUT/cnn.json; return the exit status.

    Launched as several processes (srun, mpiexec), every process trains its part and process 0
    alone reports and writes; bad input stops them all, reported once, by process 0.
    """
    launch = detect_launch()
    try:
        return _run(job, launch)
    except InputError:
        if launch.writer:
            raise
        return 2


def _run(job: CnnJob, launch: Launch) -> int:
    select_backend(job.backend)
    from hsbench.cnn.checkpoint import read_checkpoint
    from hsbench.cnn.crossval import resumes_from_folds
    from hsbench.cnn.loop import TrainingInterrupted
    from hsbench.cnn.train import train

    if job.protocol not in PROTOCOLS:
        raise InputError(f"--protocol must be one of {', '.join(PROTOCOLS)}, got {job.protocol!r}")
    window_file, dataset_json = window_path(job.data)
    meta = read_dataset_json(dataset_json)  # checked before training, copied into the results after
    if (meta.get("split") or {}).get("kind") == "all":
        raise InputError(f"{dataset_json}: prepared with --split all (every labelled pixel trains), so there are no "
                         "test pixels for the CNN's test metrics; prepare a random or disjoint split")
    overrides = dict(job.overrides)
    if job.resume and "epochs" not in overrides:  # keep the interrupted run's budget, not the protocol default
        if not resumes_from_folds(job.out):  # a cross-validated run's budget is per fold, in its own config
            overrides["epochs"] = read_checkpoint(job.out)["config"]["epochs"]
    config = replace(PROTOCOLS[job.protocol], **overrides)
    config, buffer_note = _val_buffer(job, config, window_file)
    if launch.writer:  # the one writer; probes from several processes would race on the parents they create
        check_output_dir(job.out)
    try:
        result = train(window_file, job.out, config, resume=job.resume, verbose=job.verbose, launch=launch,
                       make_folds=_spatial_folds(window_file))
    except TrainingInterrupted as exc:
        if launch.writer:
            print(f"hsbench cnn: {exc}", file=sys.stderr)
        return 128 + exc.signum
    if not launch.writer:
        return 0

    test = results.test_block(result.test_labels, result.predictions, result.classes, result.inference_seconds)
    refit = None
    if result.refit is not None:
        r = result.refit
        refit = results.refit_block(
            epochs=r.epochs, train_samples=r.train_samples, train_seconds=r.train_seconds,
            wall_seconds=r.wall_seconds, resumed_from=r.resumed_from,
            history=results.relative(r.history_path, job.out), history_rows=r.history,
            selected_test=None if result.selected_predictions is None else
            results.test_block(result.test_labels, result.selected_predictions, result.classes, 0.0),
        )
    data = {"windows": results.file_entry(window_file)}
    if dataset_json is not None:
        data["dataset"] = results.file_entry(dataset_json)
    record = results.cnn_result(
        config=asdict(result.config), model=result.config.model, params=result.params, backend=result.backend,
        backend_flags=result.backend_flags, device=result.device, devices=result.n_devices,
        processes=result.processes, epochs_run=result.epochs_run,
        stopped_early=result.stopped_early, resumed_from=result.resumed_from, best_epoch=result.best_epoch,
        selection=result.selection, validation={**result.validation, **buffer_note} if result.validation else None,
        train_samples=result.train_samples,
        train_seconds=result.train_seconds,
        inference_seconds=result.inference_seconds, history_rows=result.history,
        model_file=results.relative(result.model_path, job.out),
        history=results.relative(result.history_path, job.out), wall_seconds=result.wall_seconds,
        data=data, dataset=results.dataset_summary(meta), test=test, refit=refit, wall_scope=result.wall_scope,
    )
    write_json(job.out / RESULTS_FILE, record)
    refitted = ""
    if refit:
        refitted = f", refit on {refit['train_samples']} pixels for {refit['epochs']} epochs"
        if refit["selected_test"]:
            refitted += f" (selected weights: test OA {refit['selected_test']['oa']:.4f})"
    print(
        f"hsbench cnn: {config.protocol} protocol, {result.epochs_run} epochs "
        f"({record['seconds_per_epoch'] or 0:.2f} s/epoch), best epoch {result.best_epoch}{refitted}: "
        f"test OA {test['oa']:.4f} AA {test['aa']:.4f} kappa {test['kappa']:.4f} -> {job.out / RESULTS_FILE}"
    )
    if result.config.eval_set == "test":
        print("hsbench cnn: note: weights were selected on the TEST set (seed protocol); its OA is optimistic")
    return 0
