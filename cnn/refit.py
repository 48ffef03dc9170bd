"""The refit: once validation has chosen the epoch count, a fresh model trains on every training pixel.

The selection run fits only the training pixels outside the validation part and its
buffer (on a disjoint split about 580 of 1,025 on Indian Pines); the SVM, after its
grid search, refits the best cell on all training rows. The refit gives the CNN the
same: the same settings and seed, all training pixels, the kept epoch count, no
evaluation (nothing is chosen any more). It checkpoints under OUT/refit/ and resumes
like the selection run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import keras
import numpy as np

from hsbench.cnn.checkpoint import RunState, data_fingerprint, matching_checkpoint
from hsbench.cnn.config import Config
from hsbench.cnn.dataset import WindowDataset
from hsbench.cnn.loop import fit_epochs, start_model
from hsbench.cnn.windows import WindowFile

REFIT_DIR = "refit"


@dataclass
class Refit:
    """The refit model and what it cost."""

    model: keras.Model
    epochs: int
    train_samples: int
    history: list[dict]
    train_seconds: float  # summed training time of its epochs
    wall_seconds: float | None  # every session together; None when an earlier session's is unknown
    session_seconds: float
    resumed_from: int | None
    history_path: Path


def refit(wf: WindowFile, config: Config, epochs: int, y_train: np.ndarray, out: Path, *, n_classes: int,
          shard: tuple[int, int], writer: bool, resume: bool, verbose: int, log: Callable[[str], None]) -> Refit:
    """Train a fresh model on every training row of `wf` for `epochs` epochs (`y_train`: one-hot, all rows)."""
    rconfig = replace(config, epochs=epochs, patience=None)  # no evaluation: nothing stops it early
    run = RunState(rconfig, out / REFIT_DIR, log, data_fingerprint(wf), writer=writer)
    state = matching_checkpoint(run, ("epochs", "seed")) if resume else None
    if resume and state is None and run.ckpt_dir.is_dir():
        log(f"refit: the checkpoint in {run.ckpt_dir} is of other data, seed or epoch count: refitting afresh")
    keras.utils.set_random_seed(config.seed)  # the same start as the selection run had
    model, initial_epoch = start_model(run, state, config, (wf.window, wf.window, wf.bands, 1),
                                       n_classes, str(wf.path))
    if initial_epoch:
        log(f"refit: resuming after epoch {initial_epoch} of {epochs}")
    else:
        log(f"refit: a fresh model on all {len(y_train)} training pixels for {epochs} epochs (the kept epoch)")
    train_ds = WindowDataset(wf, wf.train_coords, y_train, config.batch_size, shuffle=True, seed=config.seed,
                             augment=config.augment, shard=shard)
    run.start_clock()
    fit_epochs(model, train_ds, run, epochs=epochs, initial_epoch=initial_epoch, verbose=verbose)
    if initial_epoch < epochs and epochs % rconfig.checkpoint_every:
        run.checkpoint(model, epochs)  # the finished refit, so a resume does not train it again
    return Refit(
        model=model, epochs=epochs, train_samples=len(y_train), history=run.history,
        train_seconds=float(sum(r["seconds"] for r in run.history)), wall_seconds=run.wall_seconds(),
        session_seconds=run.session_seconds(), resumed_from=initial_epoch or None,
        history_path=run.out / "history.csv",
    )

