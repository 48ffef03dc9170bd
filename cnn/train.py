"""Training of the 3D-CNN: set-up, the selection run, the refit, and the final prediction.

Protocols (hsbench.cnn.config): `seed` is SGD lr 1, momentum 0, decay 5e-6 per step as
Keras 2 applied it (lr / (1 + decay * iterations)), MSE on one-hot labels, batch 50;
every N epochs the model is evaluated on the TEST pixels and the weights with the
lowest test loss are kept, as the seed's `TestAndSaveEveryN` did. That selects on the
test set (optimistic), and the results say so. `modern` is Adam, cross-entropy, a
stratified (spatial on a disjoint split) validation part carved from the training pixels only;
early stopping and the kept epoch chosen on it, then a refit on every training pixel (hsbench.cnn.refit).

Resume is exact: the checkpoint (hsbench.cnn.checkpoint) holds the full model, the
epoch, the best-weight keeper's state and numpy's RNG state; the per-epoch shuffle
order is a pure function of (seed, epoch).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import keras
import numpy as np

from hsbench.cnn.atomic import atomic_path
from hsbench.cnn.checkpoint import CHECKPOINT_DIR, RunState, data_fingerprint, read_checkpoint
from hsbench.cnn.config import Config, resolve, selection_rule
from hsbench.cnn.crossval import CrossValidation, FoldMaker, cross_validate, resumes_from_folds
from hsbench.cnn.dataset import WindowDataset
from hsbench.cnn.devices import device_name, predict, set_up_devices, undistributed
from hsbench.cnn.distributed import Launch, agree, detect_launch
from hsbench.cnn.errors import InputError
from hsbench.cnn.flags import backend_flags, bf16_default, describe
from hsbench.cnn.loop import fit_epochs, start_model
from hsbench.cnn.models import MODELS
from hsbench.cnn.refit import Refit, refit
from hsbench.cnn.validation import ValidationRows, spatial_validation_split, validation_split
from hsbench.cnn.windows import WindowFile


@dataclass
class Result:
    """What a run produced; `bench` turns it into the results JSON (metrics via bench.metrics)."""

    config: Config
    params: int
    classes: list[int]
    history: list[dict]
    best_epoch: int | None
    selection: str
    epochs_run: int
    train_seconds: float
    train_samples: int
    predictions: np.ndarray
    test_labels: np.ndarray
    inference_seconds: float
    backend: str
    backend_flags: dict  # what was in force: oneDNN, thread pools, precision (hsbench.cnn.flags)
    device: str
    n_devices: int
    processes: int
    resumed_from: int | None
    stopped_early: bool
    validation: dict | None  # ValidationRows.record() of the validation part, None without one
    model_path: Path
    history_path: Path
    # wall time of the fit (training and evaluation, refit included): of every session when the
    # checkpoints carried it (wall_scope "run"), else of this session only ("last session")
    wall_seconds: float
    wall_scope: str = "run"
    refit: Refit | None = None  # the refit on all training pixels (Config.refit), None without one
    selected_predictions: np.ndarray | None = None  # test predictions of the selected weights, when refitted


def class_ids(wf: WindowFile) -> list[int]:
    """Class ids the model predicts (those with training pixels); test classes must be among them."""
    classes = sorted(int(c) for c in np.unique(wf.train_labels))
    missing = sorted(set(int(c) for c in np.unique(wf.test_labels)) - set(classes))
    if missing:
        raise InputError(f"{wf.path}: test labels {missing} have no training pixels (the model cannot predict them)")
    return classes


def train(
    window_file: str | os.PathLike,
    out: str | os.PathLike,
    config: Config,
    *,
    resume: bool = False,
    verbose: int = 1,
    log: Callable[[str], None] = print,
    launch: Launch | None = None,
    make_folds: FoldMaker | None = None,
) -> Result:
    """Train on a window file, keep the selected weights (or refit), predict the test pixels.

    Writes under `out`: `model.keras` (the tested model), `history.csv`, `checkpoint/`
    (`cv/` with --val-split spatial-cv, `refit/` with --refit). All input checks happen
    before anything is written. `make_folds` builds the spatial CV folds (spatial-cv only;
    the caller passes the SVM's, hsbench.svm.folds.make_spatial_folds).
    `launch` (default: detected from the environment) makes this one of several processes
    of one data-parallel run (hsbench.cnn.distributed): then only process 0 writes and logs.
    """
    out = Path(out)
    launch = launch or detect_launch()
    if not launch.writer:
        verbose, log = 0, _quiet
    if config.model not in MODELS:
        raise InputError(f"unknown model {config.model!r} (choose from {', '.join(MODELS)})")
    wf = WindowFile(window_file)
    if len(wf.test_labels) == 0:
        raise InputError(f"{wf.path}: no test pixels (prepared with --split all?), and the CNN reports test "
                         "metrics; prepare a random or disjoint split")
    classes = class_ids(wf)
    input_shape = (wf.window, wf.window, wf.bands, 1)
    state = None
    # a cross-validated run keeps its checkpoints per fold (cv/), not in checkpoint/
    if resume and not resumes_from_folds(out):
        state = read_checkpoint(out)
        if tuple(state["input_shape"]) != input_shape:
            raise InputError(
                f"{wf.path}: windows are {input_shape[:3]} (bands {wf.bands}) but the checkpoint in "
                f"{out / CHECKPOINT_DIR} was trained on {tuple(state['input_shape'][:3])}"
            )
        if state.get("data_fingerprint") != data_fingerprint(wf):
            raise InputError(
                f"{wf.path}: the checkpoint in {out / CHECKPOINT_DIR} was trained on other pixels or labels "
                "(a re-prepared dataset?); remove it or use another --out"
            )
        # checkpoints from before these were recorded: stratified validation rows, loss chose
        saved = Config(**{"val_split": "stratified", "monitor": "loss", **state["config"]})
        # the run's identity comes from the checkpoint; only the epoch budget may grow, and the refit
        # (after selection, so it does not change what was selected) may be asked for or not
        config = replace(saved, epochs=config.epochs, refit=config.refit)
    config = resolve(config, wf.split.get("kind"))  # recorded resolved: a resume carves and chooses alike
    n_devices = set_up_devices(config, launch)
    agree(launch, state["epoch"] if state is not None else 0, "the checkpoint's epoch to resume from")
    if config.mixed_precision is None:  # the protocol leaves it to the machine; recorded resolved, as resume needs
        config = replace(config, mixed_precision=bf16_default())
    # set either way: the policy is global to the process, and an earlier run in it may have changed it
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if config.mixed_precision else "float32")
    keras.utils.set_random_seed(config.seed)
    flags = backend_flags()

    index = {c: i for i, c in enumerate(classes)}
    onehot = np.eye(len(classes), dtype=np.float32)
    y_train = onehot[[index[int(c)] for c in wf.train_labels]]
    # several processes: each feeds its slice of every global batch (DataParallel joins them)
    shard = (launch.index, launch.count)
    if config.val_split == "spatial-cv":
        return _train_cross_validated(wf, out, config, classes, y_train, shard, flags, n_devices, launch,
                                      resume=resume, verbose=verbose, log=log, make_folds=make_folds)
    fit_rows = np.arange(len(wf.train_labels))
    parts: ValidationRows | None = None
    if config.eval_set == "validation":
        parts = _validation_rows(wf, config)
        fit_rows, val_rows = parts.fit, parts.validation
        eval_coords, eval_y = wf.train_coords[val_rows], y_train[val_rows]
    else:
        eval_coords, eval_y = wf.test_coords, onehot[[index[int(c)] for c in wf.test_labels]]
    train_ds = WindowDataset(wf, wf.train_coords[fit_rows], y_train[fit_rows], config.batch_size,
                             shuffle=True, seed=config.seed, augment=config.augment, shard=shard)
    eval_ds = WindowDataset(wf, eval_coords, eval_y, config.batch_size, shard=shard)

    run = RunState(config, out, log, data_fingerprint(wf), writer=launch.writer)
    model, initial_epoch = start_model(run, state, config, input_shape, len(classes), str(wf.path))
    if initial_epoch:
        log(f"resuming after epoch {initial_epoch} (optimizer step {int(model.optimizer.iterations)})")
    flags["jit_compile"] = bool(model.jit_compile)  # Keras' "auto": XLA on JAX, not for TensorFlow on CPU only
    _start_writing(out, config, f"{model.count_params():,} parameters, input {input_shape}", len(classes), flags,
                   n_devices, launch, log)

    eval_epochs = sorted({e for e in range(config.eval_every, config.epochs + 1, config.eval_every)} | {config.epochs})
    run.start_clock()
    if run.stopped_early:
        log("the checkpointed run had stopped early: nothing left to train")
    else:
        fit_epochs(model, train_ds, run, epochs=config.epochs, initial_epoch=initial_epoch, verbose=verbose,
                   eval_ds=eval_ds, eval_epochs=eval_epochs)
    walls = [run.wall_seconds()]
    session = run.session_seconds()
    if run.best_weights is not None:
        model.set_weights(run.best_weights)
    test_ds = WindowDataset(wf, wf.test_coords, wf.test_labels, config.batch_size)
    refitted: Refit | None = None
    selected_predictions = None
    if config.refit and run.best_epoch:
        # the selected weights' test predictions are kept beside the refit's, to show what the refit changed
        selected_predictions = np.asarray(classes)[np.argmax(predict(model, test_ds, launch), axis=1)]
        refitted = refit(wf, config, run.best_epoch, y_train, out, n_classes=len(classes), shard=shard,
                         writer=launch.writer, resume=resume, verbose=verbose, log=log)
        model = refitted.model
        walls.append(refitted.wall_seconds)
        session += refitted.session_seconds
    predictions, inference_seconds = _save_and_predict(model, test_ds, classes, out, launch)
    wall, scope = _wall(walls, session)
    return Result(
        config=config, params=model.count_params(), classes=classes, history=run.history,
        best_epoch=run.best_epoch, selection=selection_rule(config), epochs_run=len(run.history),
        train_seconds=float(sum(r["seconds"] for r in run.history)), train_samples=len(fit_rows),
        predictions=predictions, test_labels=wf.test_labels, inference_seconds=inference_seconds,
        backend=keras.backend.backend(), backend_flags=flags, device=device_name(), n_devices=n_devices,
        processes=launch.count,
        resumed_from=initial_epoch or None, stopped_early=run.stopped_early,
        validation=parts.record() if parts is not None else None,
        model_path=out / "model.keras", history_path=out / "history.csv",
        wall_seconds=wall, wall_scope=scope, refit=refitted, selected_predictions=selected_predictions,
    )


def _wall(phases: list[float | None], session: float) -> tuple[float, str]:
    """(wall seconds, scope): every phase's whole-run wall when all are known ("run"), else this
    session's ("last session": a checkpoint from before wall time was recorded)."""
    if all(w is not None for w in phases):
        return float(sum(w for w in phases if w is not None)), "run"
    return session, "last session"


def _start_writing(out: Path, config: Config, model_desc: str, n_classes: int, flags: dict, n_devices: int,
                   launch: Launch, log: Callable[[str], None]) -> None:
    """Every input check has passed: create OUT (process 0) and say what will train, and where."""
    if launch.writer:
        out.mkdir(parents=True, exist_ok=True)
    log(f"model {config.model}: {model_desc}, {n_classes} classes; protocol {config.protocol}; "
        f"selection: {selection_rule(config)}")
    log(f"backend {keras.backend.backend()}: {describe(flags)}; {n_devices} device(s)"
        + (f" in {launch.count} processes ({launch.launcher})" if launch.multi else ""))


def _save_and_predict(model: keras.Model, test_ds: WindowDataset, classes: list[int], out: Path,
                      launch: Launch) -> tuple[np.ndarray, float]:
    """Save the tested model as OUT/model.keras (process 0), then its test predictions and their seconds."""
    if launch.writer:
        with atomic_path(out / "model.keras", suffix=".keras") as tmp, undistributed():
            model.save(tmp)
    t1 = time.perf_counter()
    # the whole test set on every process (no shard): each predicts locally in a multi-process run
    probs = predict(model, test_ds, launch)
    return np.asarray(classes)[np.argmax(probs, axis=1)], time.perf_counter() - t1


def _train_cross_validated(wf: WindowFile, out: Path, config: Config, classes: list[int], y_train: np.ndarray,
                           shard: tuple[int, int], flags: dict, n_devices: int, launch: Launch, *, resume: bool,
                           verbose: int, log: Callable[[str], None], make_folds: FoldMaker | None) -> Result:
    """--val-split spatial-cv: the epoch count from spatial CV over the SVM's folds, then the refit, tested."""
    if make_folds is None:
        raise InputError("--val-split spatial-cv needs the spatial fold builder (hsbench cnn passes the SVM's)")
    buffer = config.val_buffer if config.val_buffer is not None else max(wf.window - 1, 0)
    folds, exclude = make_folds(wf.train_labels, wf.train_coords, config.val_folds, config.seed, buffer)
    _start_writing(out, config, f"input {(wf.window, wf.window, wf.bands, 1)}", len(classes), flags, n_devices,
                   launch, log)
    cv: CrossValidation = cross_validate(wf, config, y_train, folds, exclude, out, n_classes=len(classes),
                                         shard=shard, writer=launch.writer, resume=resume, verbose=verbose, log=log)
    mean = RunState(config, out, log, writer=launch.writer)
    mean.history = cv.history
    mean.write_history()  # OUT/history.csv: the mean curve over the folds
    refitted = refit(wf, config, cv.best_epoch, y_train, out, n_classes=len(classes), shard=shard,
                     writer=launch.writer, resume=resume, verbose=verbose, log=log)
    flags["jit_compile"] = bool(refitted.model.jit_compile)
    test_ds = WindowDataset(wf, wf.test_coords, wf.test_labels, config.batch_size)
    predictions, inference_seconds = _save_and_predict(refitted.model, test_ds, classes, out, launch)
    wall, scope = _wall([cv.wall_seconds, refitted.wall_seconds], cv.session_seconds + refitted.session_seconds)
    fit_mean = round(float(np.mean(cv.fit_pixels)))  # pixels fitted per fold, on average
    validation = {"kind": "spatial-cv", "folds": cv.folds, "pixels": int(sum(cv.held_pixels)),
                  "fit_pixels": fit_mean, "buffer": buffer,
                  "buffer_dropped": round(float(np.mean(cv.dropped_pixels))), "classes_without_validation": []}
    return Result(
        config=config, params=refitted.model.count_params(), classes=classes, history=cv.history,
        best_epoch=cv.best_epoch, selection=selection_rule(config), epochs_run=len(cv.history),
        train_seconds=cv.train_seconds, train_samples=fit_mean,
        predictions=predictions, test_labels=wf.test_labels, inference_seconds=inference_seconds,
        backend=keras.backend.backend(), backend_flags=flags, device=device_name(), n_devices=n_devices,
        processes=launch.count, resumed_from=None, stopped_early=False, validation=validation,
        model_path=out / "model.keras", history_path=out / "history.csv",
        wall_seconds=wall, wall_scope=scope, refit=refitted, selected_predictions=None,
    )


def _validation_rows(wf: WindowFile, config: Config) -> ValidationRows:
    if config.val_split == "spatial":
        parts = spatial_validation_split(wf.train_coords, wf.train_labels, config.val_fraction, config.seed,
                                         wf.window)
    else:
        fit, val = validation_split(wf.train_labels, config.val_fraction, config.seed)
        unwatched = sorted(set(np.unique(wf.train_labels).tolist()) - set(np.unique(wf.train_labels[val]).tolist()))
        parts = ValidationRows(fit=fit, validation=val, kind="stratified", unwatched=tuple(unwatched))
    if len(parts.validation) == 0:
        raise InputError(f"{wf.path}: no class can give {config.val_split} validation pixels "
                         f"(--val-fraction {config.val_fraction:g}) and keep fitted pixels; "
                         "try --val-split stratified or a larger training fraction")
    return parts


def _quiet(message: str) -> None:
    """The log of processes other than 0: one process speaks for the run."""
