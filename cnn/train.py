"""Training protocols for the 3D-CNN: the seed's (faithful) and a modern one; checkpoints and resume.

`seed`: SGD lr 1, momentum 0, decay 5e-6 per step as Keras 2 applied it
(lr / (1 + decay * iterations): keras' `InverseTimeDecay` with decay_steps=1),
MSE on one-hot labels, batch 50; every N epochs the model is evaluated on the
TEST pixels and the weights with the lowest test loss are kept, as the seed's
`TestAndSaveEveryN` did. That selects on the test set (optimistic), and the
results say so.

`modern`: Adam, cross-entropy, a stratified validation part carved from the
training pixels only; early stopping and best weights on validation loss.

Resume is exact: the checkpoint holds the full model (weights + optimizer
state, hence the step count that drives the learning rate), the epoch, the
best-weight keeper's state and numpy's RNG state; the per-epoch shuffle order
is a pure function of (seed, epoch).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import keras
import numpy as np

from hsbench.cnn.atomic import atomic_path
from hsbench.cnn.dataset import EpochSetter, WindowDataset
from hsbench.cnn.errors import InputError
from hsbench.cnn.models import MODELS, build_model
from hsbench.cnn.windows import WindowFile

CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "state.json"


@dataclass(frozen=True)
class Config:
    """Every hyper-parameter of a run; `PROTOCOLS` holds the defaults of each protocol."""

    protocol: str
    optimizer: str  # "sgd" | "adam"
    loss: str  # "mean_squared_error" | "categorical_crossentropy"
    lr: float
    momentum: float
    decay: float  # Keras 2 style: lr / (1 + decay * iterations)
    batch_size: int
    epochs: int
    eval_every: int  # evaluate (and maybe keep weights) every N epochs
    eval_set: str  # "test" (seed) | "validation" (modern)
    val_fraction: float = 0.0
    patience: int | None = None  # in evaluations; None = no early stopping
    augment: bool = False  # random flips/rotations of the training windows
    model: str = "standard"
    seed: int = 0
    mixed_precision: bool = False
    devices: str = "1"  # "1" | "all" (data parallel, JAX backend)
    checkpoint_every: int = 10


PROTOCOLS: dict[str, Config] = {
    # The seed's lecture table: SGD, MSE, 600 epochs (it also ran 1000-2000), batch 50, lr 1, decay 5e-6.
    "seed": Config(
        protocol="seed", optimizer="sgd", loss="mean_squared_error", lr=1.0, momentum=0.0,
        decay=5e-6, batch_size=50, epochs=600, eval_every=10, eval_set="test",
    ),
    "modern": Config(
        protocol="modern", optimizer="adam", loss="categorical_crossentropy", lr=1e-3, momentum=0.0,
        decay=0.0, batch_size=128, epochs=100, eval_every=1, eval_set="validation",
        val_fraction=0.1, patience=15, augment=True,
    ),
}


def selection_rule(config: Config) -> str:
    if config.eval_set == "test":
        return (
            f"weights with the lowest TEST loss, evaluated every {config.eval_every} epochs "
            "(the seed's TestAndSaveEveryN): model selection on the test set, so test accuracy is optimistic"
        )
    return (
        f"weights with the lowest validation loss ({config.val_fraction:g} of the training pixels, "
        f"stratified, seed {config.seed}); early stopping after {config.patience} evaluations without "
        "improvement; the test set is used once, at the end"
    )


def learning_rate(config: Config) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """Keras 2's `decay`: lr_t = lr / (1 + decay * t), t = updates done before this one."""
    if not config.decay:
        return config.lr
    return keras.optimizers.schedules.InverseTimeDecay(config.lr, decay_steps=1, decay_rate=config.decay)


def make_optimizer(config: Config) -> keras.optimizers.Optimizer:
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate(config), momentum=config.momentum)
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate(config))
    raise InputError(f"unknown optimizer {config.optimizer!r} (sgd, adam)")


def validation_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (fit, validation) of the TRAINING rows, stratified by class, seeded.

    Each class gives round(fraction * n) rows, at least one when it has two or
    more (so every class is watched) and none when it has only one.
    """
    rng = np.random.default_rng([seed, 7919])  # own stream: independent of the shuffle's (seed, epoch)
    fit, val = [], []
    for cls in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == cls))
        k = min(max(round(fraction * len(rows)), 1 if len(rows) > 1 else 0), len(rows) - 1)
        val.append(rows[:k])
        fit.append(rows[k:])
    return np.sort(np.concatenate(fit)), np.sort(np.concatenate(val))


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
    device: str
    n_devices: int
    resumed_from: int | None
    stopped_early: bool
    model_path: Path
    history_path: Path
    extra: dict = field(default_factory=dict)


class TrainingInterrupted(KeyboardInterrupt):
    """SIGTERM/SIGINT arrived; a checkpoint was written at the end of the epoch then running."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum


class _Monitor(keras.callbacks.Callback):
    """Per-epoch bookkeeping in one place, in order: time, evaluation/best weights, row, checkpoint.

    Evaluation itself is fit's `validation_data`/`validation_freq`, so its
    loss arrives as `val_loss` in the epoch logs.
    """

    def __init__(self, run: _Run):
        super().__init__()
        self.run = run
        self._t0 = self._t_train = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()
        self._t_train = 0.0

    def on_test_begin(self, logs=None):  # fit's validation starts: training time of the epoch ends
        self._t_train = time.perf_counter() - self._t0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        run = self.run
        seconds = self._t_train or (time.perf_counter() - self._t0)
        row = {
            "epoch": epoch + 1, "loss": float(logs["loss"]), "accuracy": float(logs["accuracy"]),
            "val_loss": None, "val_accuracy": None, "seconds": round(seconds, 4),
        }
        if "val_loss" in logs:
            row["val_loss"], row["val_accuracy"] = float(logs["val_loss"]), float(logs["val_accuracy"])
            run.observe(self.model, epoch + 1, row["val_loss"], row["val_accuracy"])
        run.history.append(row)
        run.write_history()
        # an early stop is checkpointed too, so a resume after it does not train on
        if run.stop_signal is not None or run.stopped_early or (epoch + 1) % run.config.checkpoint_every == 0:
            run.checkpoint(self.model, epoch + 1)
        if run.stop_signal is not None:
            self.model.stop_training = True


class _Run:
    """State of one training run that must survive a restart (see `checkpoint`)."""

    def __init__(self, config: Config, out: Path, log, data_fingerprint: str = ""):
        self.config, self.out, self.log = config, out, log
        self.data_fingerprint = data_fingerprint
        self.history: list[dict] = []
        self.best_loss = float("inf")
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.wait = 0
        self.stopped_early = False
        self.stop_signal: int | None = None

    # -- best weights and early stopping (callback state Keras would not restore) --
    def observe(self, model: keras.Model, epoch: int, loss: float, acc: float) -> None:
        name = self.config.eval_set
        if loss < self.best_loss:
            verdict = f"best so far (previous {self.best_loss:.6g}): weights kept"
            self.best_loss, self.best_epoch, self.wait = loss, epoch, 0
            self.best_weights = [np.array(w) for w in model.get_weights()]
        else:
            self.wait += 1
            verdict = f"not better than {self.best_loss:.6g} (epoch {self.best_epoch}): not kept"
        self.log(f"epoch {epoch}: {name} loss {loss:.6g} acc {acc:.4f} -> {verdict}")
        if self.config.patience is not None and self.wait >= self.config.patience:
            self.log(f"early stop: {self.wait} evaluations without improvement")
            self.stopped_early = True
            model.stop_training = True

    # -- files --
    @property
    def ckpt_dir(self) -> Path:
        return self.out / CHECKPOINT_DIR

    def write_history(self) -> None:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"])
        writer.writeheader()
        writer.writerows(self.history)
        with atomic_path(self.out / "history.csv") as tmp:
            tmp.write_text(buf.getvalue())

    def checkpoint(self, model: keras.Model, epoch: int) -> None:
        """Model (+ optimizer) file, best weights, then state.json last: state names only complete files."""
        d = self.ckpt_dir
        d.mkdir(parents=True, exist_ok=True)
        model_file, best_file = f"epoch-{epoch:05d}.keras", f"epoch-{epoch:05d}.best.npz"
        with atomic_path(d / model_file, suffix=".keras") as tmp:
            model.save(tmp)
        if self.best_weights is not None:
            with atomic_path(d / best_file) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, *self.best_weights)
        kind, keys, pos, has_gauss, cached = np.random.get_state()
        state = {
            "epoch": epoch, "model_file": model_file,
            "best_file": best_file if self.best_weights is not None else None,
            "best_loss": self.best_loss if self.best_epoch else None, "best_epoch": self.best_epoch,
            "wait": self.wait, "stopped_early": self.stopped_early, "history": self.history,
            "config": asdict(self.config), "data_fingerprint": self.data_fingerprint,
            "input_shape": list(model.input_shape[1:]), "backend": keras.backend.backend(),
            "numpy_random_state": [kind, keys.tolist(), pos, has_gauss, cached],
        }
        with atomic_path(d / STATE_FILE) as tmp:
            tmp.write_text(json.dumps(state, indent=1))
        for old in d.glob("epoch-*"):
            if not old.name.startswith(f"epoch-{epoch:05d}."):
                old.unlink()
        self.log(f"checkpoint: epoch {epoch} -> {d}")

    def restore(self, state: dict, model: keras.Model) -> None:
        self.history = state["history"]
        self.best_epoch, self.wait = state["best_epoch"], state["wait"]
        self.stopped_early = bool(state.get("stopped_early", False))
        self.best_loss = state["best_loss"] if state["best_loss"] is not None else float("inf")
        if state["best_file"]:
            with np.load(self.ckpt_dir / state["best_file"]) as z:
                self.best_weights = [z[f"arr_{i}"] for i in range(len(z.files))]
        kind, keys, pos, has_gauss, cached = state["numpy_random_state"]
        np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


def read_checkpoint(out: str | os.PathLike) -> dict:
    path = Path(out) / CHECKPOINT_DIR / STATE_FILE
    if not path.is_file():
        raise InputError(f"{path}: no checkpoint to resume from")
    return json.loads(path.read_text())


def data_fingerprint(wf: WindowFile) -> str:
    """Hash of what a run learns from and is judged on: pixels, labels and normalisation.
    A checkpoint only resumes on the same data (a re-prepared dataset must start afresh)."""
    h = hashlib.sha256()
    for a in (wf.train_coords, wf.train_labels, wf.test_coords, wf.test_labels, wf.mean, wf.std):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((wf.shape, wf.window)).encode())
    return h.hexdigest()


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
    log=print,
) -> Result:
    """Train on a window file, keep the selected weights, predict the test pixels.

    Writes under `out`: `model.keras` (selected weights), `history.csv`,
    `checkpoint/`. All input checks happen before anything is written.
    """
    out = Path(out)
    if config.model not in MODELS:
        raise InputError(f"unknown model {config.model!r} (choose from {', '.join(MODELS)})")
    wf = WindowFile(window_file)
    classes = class_ids(wf)
    input_shape = (wf.window, wf.window, wf.bands, 1)
    state = None
    if resume:
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
        saved = Config(**state["config"])
        # the run's identity comes from the checkpoint; only the epoch budget may grow
        config = replace(saved, epochs=config.epochs)
    n_devices = _set_up_devices(config)
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    keras.utils.set_random_seed(config.seed)

    index = {c: i for i, c in enumerate(classes)}
    onehot = np.eye(len(classes), dtype=np.float32)
    y_train = onehot[[index[int(c)] for c in wf.train_labels]]
    fit_rows = np.arange(len(wf.train_labels))
    if config.eval_set == "validation":
        fit_rows, val_rows = validation_split(wf.train_labels, config.val_fraction, config.seed)
        eval_coords, eval_y = wf.train_coords[val_rows], y_train[val_rows]
    else:
        eval_coords, eval_y = wf.test_coords, onehot[[index[int(c)] for c in wf.test_labels]]
    train_ds = WindowDataset(wf, wf.train_coords[fit_rows], y_train[fit_rows], config.batch_size,
                             shuffle=True, seed=config.seed, augment=config.augment)
    eval_ds = WindowDataset(wf, eval_coords, eval_y, config.batch_size)

    run = _Run(config, out, log, data_fingerprint(wf))
    if state is not None:
        model = keras.models.load_model(run.ckpt_dir / state["model_file"])
        run.restore(state, model)
        initial_epoch = state["epoch"]
        log(f"resuming after epoch {initial_epoch} (optimizer step {int(model.optimizer.iterations)})")
    else:
        try:
            model = build_model(config.model, input_shape, len(classes))
        except ValueError as exc:  # e.g. windows too small for three valid 3x3 convolutions
            raise InputError(f"{wf.path}: model {config.model} does not fit windows {input_shape}: {exc}") from None
        model.compile(optimizer=make_optimizer(config), loss=config.loss, metrics=["accuracy"])
        initial_epoch = 0
    out.mkdir(parents=True, exist_ok=True)  # first write: every input check has passed
    log(f"model {config.model}: {model.count_params():,} parameters, input {input_shape}, {len(classes)} classes; "
        f"protocol {config.protocol}; selection: {selection_rule(config)}")

    eval_epochs = sorted({e for e in range(config.eval_every, config.epochs + 1, config.eval_every)} | {config.epochs})
    previous = _install_signal_handlers(run)
    t0 = time.perf_counter()
    try:
        if run.stopped_early:
            log("the checkpointed run had stopped early: nothing left to train")
        else:
            model.fit(
                # shuffle=False: Keras would permute batch order from numpy's global RNG; the dataset
                # shuffles rows itself from (seed, epoch), which a resume reproduces exactly
                train_ds, epochs=config.epochs, initial_epoch=initial_epoch, verbose=verbose, shuffle=False,
                validation_data=eval_ds, validation_freq=eval_epochs,
                callbacks=[EpochSetter(train_ds), _Monitor(run)],
            )
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    wall = time.perf_counter() - t0
    if run.stop_signal is not None:
        raise TrainingInterrupted(
            f"stopped by signal {run.stop_signal} after epoch {len(run.history)}; "
            f"checkpoint in {run.ckpt_dir}, continue with --resume", run.stop_signal)

    if run.best_weights is not None:
        model.set_weights(run.best_weights)
    with atomic_path(out / "model.keras", suffix=".keras") as tmp:
        model.save(tmp)
    t1 = time.perf_counter()
    probs = model.predict(WindowDataset(wf, wf.test_coords, wf.test_labels, config.batch_size), verbose=0)
    inference_seconds = time.perf_counter() - t1
    predictions = np.asarray(classes)[np.argmax(probs, axis=1)]
    new_rows = run.history[initial_epoch:]
    return Result(
        config=config, params=model.count_params(), classes=classes, history=run.history,
        best_epoch=run.best_epoch, selection=selection_rule(config), epochs_run=len(run.history),
        train_seconds=float(sum(r["seconds"] for r in run.history)), train_samples=len(fit_rows),
        predictions=predictions, test_labels=wf.test_labels, inference_seconds=inference_seconds,
        backend=keras.backend.backend(), device=device_name(), n_devices=n_devices,
        resumed_from=initial_epoch or None, stopped_early=run.stopped_early,
        model_path=out / "model.keras", history_path=out / "history.csv",
        extra={"wall_seconds_this_session": wall, "epochs_this_session": len(new_rows)},
    )


def _install_signal_handlers(run: _Run) -> dict:
    """First SIGTERM/SIGINT: finish the epoch, checkpoint, stop. A second one: stop at once."""

    def handler(signum, frame):
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


def _set_up_devices(config: Config) -> int:
    if config.devices in ("1", ""):
        return 1
    if config.devices != "all":
        raise InputError(f"--devices must be 1 or all, got {config.devices!r}")
    if keras.backend.backend() != "jax":
        raise InputError(f"--devices all needs the JAX backend (KERAS_BACKEND=jax), not {keras.backend.backend()}")
    devices = keras.distribution.list_devices()
    if config.batch_size % len(devices):
        raise InputError(f"--batch-size {config.batch_size} is not divisible by the {len(devices)} devices")
    # The global batch is split across devices; gradients are averaged, so one step equals a one-device step.
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return len(devices)


def device_name() -> str:
    """"cpu", or the first accelerator's name as the backend reports it."""
    backend = keras.backend.backend()
    try:
        if backend == "torch":  # keras.distribution has no torch implementation: ask torch
            import torch

            return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        devices = keras.distribution.list_devices()
        if not any(d.lower().startswith(("gpu", "cuda")) for d in devices):
            return "cpu"
        if backend == "jax":
            import jax

            return jax.devices()[0].device_kind
        import tensorflow as tf

        gpu = tf.config.list_physical_devices("GPU")[0]
        return tf.config.experimental.get_device_details(gpu).get("device_name", "gpu")
    except Exception:  # a name is nice to have, never worth failing a finished run
        return "unknown"
