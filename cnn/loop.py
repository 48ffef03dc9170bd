"""The epoch loop both training phases share (selection, then the refit): per-epoch bookkeeping,
checkpoints on a schedule and on SIGTERM/SIGINT, and the interruption that follows a signal."""

from __future__ import annotations

import signal
import time

import keras

from hsbench.cnn.checkpoint import RunState
from hsbench.cnn.config import Config
from hsbench.cnn.dataset import EpochSetter
from hsbench.cnn.errors import InputError
from hsbench.cnn.models import build_model
from hsbench.cnn.optimizer import make_optimizer


class TrainingInterrupted(KeyboardInterrupt):
    """SIGTERM/SIGINT arrived; a checkpoint was written at the end of the epoch then running."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum


class Monitor(keras.callbacks.Callback):
    """Per-epoch bookkeeping in one place, in order: time, evaluation/best weights, row, checkpoint.

    Evaluation itself is fit's `validation_data`/`validation_freq`, so its
    loss arrives as `val_loss` in the epoch logs.
    """

    def __init__(self, run: RunState):
        super().__init__()
        self.run = run
        self._t0 = self._t_train = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._t0 = time.perf_counter()
        self._t_train = 0.0

    def on_test_begin(self, logs: dict | None = None) -> None:  # fit's validation starts: training time ends
        self._t_train = time.perf_counter() - self._t0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        run = self.run
        seconds = self._t_train or (time.perf_counter() - self._t0)
        row = {
            "epoch": epoch + 1, "loss": float(logs["loss"]), "accuracy": float(logs["accuracy"]),
            "val_loss": None, "val_accuracy": None, "seconds": round(seconds, 4),
        }
        if "val_loss" in logs:
            val_loss, val_acc = float(logs["val_loss"]), float(logs["val_accuracy"])
            row["val_loss"], row["val_accuracy"] = val_loss, val_acc
            run.observe(self.model, epoch + 1, val_loss, val_acc)
        run.history.append(row)
        run.write_history()
        # an early stop is checkpointed too, so a resume after it does not train on
        if run.stop_signal is not None or run.stopped_early or (epoch + 1) % run.config.checkpoint_every == 0:
            run.checkpoint(self.model, epoch + 1)
        if run.stop_signal is not None:
            self.model.stop_training = True


def start_model(run: RunState, state: dict | None, config: Config, input_shape: tuple[int, ...],
                n_classes: int, source: str) -> tuple[keras.Model, int]:
    """(model, epochs already trained): the checkpointed model with `run` restored from `state`, or a
    fresh compiled one; InputError naming `source` when the model does not fit the windows."""
    if state is not None:
        model = keras.models.load_model(run.ckpt_dir / state["model_file"])
        run.restore(state, model)
        return model, int(state["epoch"])
    try:
        model = build_model(config.model, input_shape, n_classes)
    except ValueError as exc:  # e.g. windows too small for three valid 3x3 convolutions
        raise InputError(f"{source}: model {config.model} does not fit windows {input_shape}: {exc}") from None
    model.compile(optimizer=make_optimizer(config), loss=config.loss, metrics=["accuracy"])
    return model, 0


def fit_epochs(model: keras.Model, train_ds: keras.utils.PyDataset, run: RunState, *, epochs: int,
               initial_epoch: int, verbose: int, eval_ds: keras.utils.PyDataset | None = None,
               eval_epochs: list[int] | None = None) -> None:
    """Train epochs initial_epoch + 1 .. `epochs`; raise TrainingInterrupted after a signal's checkpoint."""
    previous = _install_signal_handlers(run)
    try:
        model.fit(
            # shuffle=False: Keras would permute batch order from numpy's global RNG; the dataset
            # shuffles rows itself from (seed, epoch), which a resume reproduces exactly
            train_ds, epochs=epochs, initial_epoch=initial_epoch, verbose=verbose, shuffle=False,
            validation_data=eval_ds, validation_freq=eval_epochs or 1,
            callbacks=[EpochSetter(train_ds), Monitor(run)],
        )
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if run.stop_signal is not None:
        raise TrainingInterrupted(
            f"stopped by signal {run.stop_signal} after epoch {len(run.history)}; "
            f"checkpoint in {run.ckpt_dir}, continue with --resume", run.stop_signal)


def _install_signal_handlers(run: RunState) -> dict:
    """First SIGTERM/SIGINT: finish the epoch, checkpoint, stop. A second one: stop at once."""

    def handler(signum: int, frame: object) -> None:
        if run.stop_signal is not None:
            raise KeyboardInterrupt
        run.stop_signal = signum
        run.log(f"signal {signum}: checkpointing at the end of this epoch (again to stop now)")

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[signum] = signal.signal(signum, handler)
        except ValueError:  # not the main thread: leave signals alone
            pass
    return previous
