"""Spatial cross-validation for the CNN: the epoch count is chosen as the SVM chooses its cell.

On a disjoint split a single validation block per class is small (about 90 pixels on
Indian Pines) and, with its buffer, leaves several classes unwatched, so its accuracy
swings by tens of points between seeds. Here every training pixel is held out once:
the folds are the SVM grid's spatial folds (sub-strips of each class's training pixels,
fitted pixels within window - 1 of a held-out pixel left out), built by the caller (the
engines stay apart: `bench` passes hsbench.svm.folds in), one model per fold trains
`cv_epochs` epochs and is evaluated on its held-out pixels after every epoch. The kept
epoch count maximises the mean over the folds of the held-out accuracy (ties: lower
mean loss), as the SVM's best cell maximises the mean fold accuracy; the refit
(hsbench.cnn.refit) then trains on every training pixel for that many epochs.

Each fold checkpoints under OUT/cv/fold-KK/ and a resume skips the finished folds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import keras
import numpy as np

from hsbench.cnn.checkpoint import CHECKPOINT_DIR, STATE_FILE, RunState, data_fingerprint, matching_checkpoint
from hsbench.cnn.config import Config
from hsbench.cnn.dataset import WindowDataset
from hsbench.cnn.loop import fit_epochs, start_model
from hsbench.cnn.windows import WindowFile

CV_DIR = "cv"
# (labels, coordinates, folds, seed, buffer) -> (fold of every row, exclude[fold, row])
FoldMaker = Callable[[np.ndarray, np.ndarray, int, int, int], tuple[np.ndarray, np.ndarray]]


@dataclass
class CrossValidation:
    history: list[dict]  # per epoch: means over the folds (val_* on the held-out pixels)
    best_epoch: int
    folds: int
    fit_pixels: list[int]  # per fold
    held_pixels: list[int]
    dropped_pixels: list[int]  # per fold: left out by the buffer
    train_seconds: float  # every fold's epochs
    wall_seconds: float | None  # every fold, every session; None when an earlier session's is unknown
    session_seconds: float
    resumed_folds: int


def cross_validate(wf: WindowFile, config: Config, y_train: np.ndarray, folds: np.ndarray, exclude: np.ndarray,
                   out: Path, *, n_classes: int, shard: tuple[int, int], writer: bool, resume: bool, verbose: int,
                   log: Callable[[str], None]) -> CrossValidation:
    """Train one model per fold for `config.cv_epochs` epochs; choose the epoch count on the mean curve."""
    fconfig = replace(config, epochs=config.cv_epochs, patience=None)
    histories, fit_n, held_n, dropped_n = [], [], [], []
    train_seconds, session, resumed = 0.0, 0.0, 0
    wall: float | None = 0.0
    for k in range(config.val_folds):
        held, fit = np.flatnonzero(folds == k), np.flatnonzero((folds != k) & ~exclude[k])
        if len(held) == 0 or len(fit) == 0:
            continue
        run = RunState(fconfig, out / CV_DIR / f"fold-{k:02d}", log, data_fingerprint(wf), writer=writer)
        state = matching_checkpoint(run, ("epochs", "seed", "val_folds", "val_buffer")) if resume else None
        keras.utils.set_random_seed(config.seed)  # every fold's model starts as the refit will
        model, initial_epoch = start_model(run, state, config, (wf.window, wf.window, wf.bands, 1),
                                           n_classes, str(wf.path))
        resumed += state is not None
        where = ("; finished in an earlier session" if initial_epoch >= fconfig.epochs
                 else f"; from epoch {initial_epoch}" if initial_epoch else "")
        log(f"spatial CV fold {k + 1} of {config.val_folds}: {len(fit)} pixels fitted, {len(held)} held out, "
            f"{int(exclude[k].sum())} left out by the buffer{where}")
        train_ds = WindowDataset(wf, wf.train_coords[fit], y_train[fit], config.batch_size, shuffle=True,
                                 seed=config.seed, augment=config.augment, shard=shard)
        held_ds = WindowDataset(wf, wf.train_coords[held], y_train[held], config.batch_size, shard=shard)
        run.start_clock()
        if initial_epoch < fconfig.epochs:
            fit_epochs(model, train_ds, run, epochs=fconfig.epochs, initial_epoch=initial_epoch, verbose=verbose,
                       eval_ds=held_ds, eval_epochs=list(range(1, fconfig.epochs + 1)))
            if fconfig.epochs % fconfig.checkpoint_every:
                run.checkpoint(model, fconfig.epochs)  # the finished fold, so a resume skips it
        histories.append(run.history)
        fit_n.append(len(fit))
        held_n.append(len(held))
        dropped_n.append(int(exclude[k].sum()))
        train_seconds += sum(r["seconds"] for r in run.history)
        fold_wall = run.wall_seconds()
        wall = None if wall is None or fold_wall is None else wall + fold_wall
        session += run.session_seconds()
    history = _mean_curve(histories)
    best = _best_epoch(history, config.monitor)
    log(f"spatial CV: kept epoch {best} (mean held-out accuracy {history[best - 1]['val_accuracy']:.4f} over "
        f"{len(histories)} folds)")
    return CrossValidation(history=history, best_epoch=best, folds=len(histories), fit_pixels=fit_n,
                           held_pixels=held_n, dropped_pixels=dropped_n, train_seconds=train_seconds,
                           wall_seconds=wall, session_seconds=session, resumed_folds=resumed)


def resumes_from_folds(out: Path) -> bool:
    """A --resume of OUT finds a cross-validated run: fold checkpoints (cv/) and no checkpoint/ of its own."""
    return (out / CV_DIR).is_dir() and not (out / CHECKPOINT_DIR / STATE_FILE).is_file()


def _mean_curve(histories: list[list[dict]]) -> list[dict]:
    """Per epoch, the unweighted mean over the folds (as the SVM's mean fold accuracy); seconds summed."""
    n = min(len(h) for h in histories)
    rows = []
    for e in range(n):
        per = [h[e] for h in histories]
        row = {key: float(np.mean([r[key] for r in per])) for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
        rows.append({"epoch": e + 1, **row, "seconds": round(sum(r["seconds"] for r in per), 4)})
    return rows


def _best_epoch(history: list[dict], monitor: str) -> int:
    """The epoch with the highest mean accuracy (ties: lower loss), or the lowest mean loss; earliest on ties."""
    if monitor == "accuracy":
        best = min(history, key=lambda r: (-r["val_accuracy"], r["val_loss"], r["epoch"]))
    else:
        best = min(history, key=lambda r: (r["val_loss"], -r["val_accuracy"], r["epoch"]))
    return int(best["epoch"])

