"""What a training run must carry across a restart, and the checkpoint files that hold it.

Keras' own callbacks do not restore early-stopping counters, the best weights kept
so far or numpy's RNG (STYLE.md, Keras section), so `RunState` saves them beside the
full model (weights + optimizer state, hence the step count that drives the
learning rate). `state.json` is written last and names only complete files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np

from hsbench.cnn.atomic import atomic_path
from hsbench.cnn.config import Config
from hsbench.cnn.devices import undistributed
from hsbench.cnn.errors import InputError
from hsbench.cnn.windows import WindowFile

CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "state.json"


class RunState:
    """State of one training run that must survive a restart (see `checkpoint`)."""

    def __init__(self, config: Config, out: Path, log: Callable[[str], None], data_fingerprint: str = "",
                 writer: bool = True):
        self.config, self.out, self.log = config, out, log
        self.writer = writer  # False on processes other than 0 of a multi-process run: they keep state, write nothing
        self.data_fingerprint = data_fingerprint
        self.history: list[dict] = []
        # what the kept weights scored, compared as a tuple (lower is better): (loss, -accuracy) when the
        # monitor is the loss, (-accuracy, loss) when it is the accuracy
        self.best_score: tuple[float, float] = (float("inf"), float("inf"))
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.wait = 0
        self.stopped_early = False
        self.stop_signal: int | None = None
        # wall seconds of earlier sessions up to their last checkpoint (None: a checkpoint from before
        # this was recorded), and when this session's clock started: wall time survives a resume
        self.elapsed: float | None = 0.0
        self._clock = time.perf_counter()

    def start_clock(self) -> None:
        """This session's training starts now (loading and set-up before it are not training time)."""
        self._clock = time.perf_counter()

    def wall_seconds(self) -> float | None:
        """Wall seconds of the run so far, every session together; None when an earlier one is unknown."""
        return None if self.elapsed is None else self.elapsed + time.perf_counter() - self._clock

    def session_seconds(self) -> float:
        return time.perf_counter() - self._clock

    def score(self, loss: float, acc: float) -> tuple[float, float]:
        return (-acc, loss) if self.config.monitor == "accuracy" else (loss, -acc)

    # -- best weights and early stopping (callback state Keras would not restore) --
    def observe(self, model: keras.Model, epoch: int, loss: float, acc: float) -> None:
        name, monitor = self.config.eval_set, self.config.monitor
        score = self.score(loss, acc)
        previous = f"{monitor} {abs(self.best_score[0]):.6g}"
        if score < self.best_score:
            verdict = f"best {monitor} so far (previous {previous}): weights kept"
            self.best_score, self.best_epoch, self.wait = score, epoch, 0
            self.best_weights = [np.array(w) for w in model.get_weights()]
        else:
            self.wait += 1
            verdict = f"not better than {previous} (epoch {self.best_epoch}): not kept"
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
        if not self.writer:
            return
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"])
        writer.writeheader()
        writer.writerows(self.history)
        with atomic_path(self.out / "history.csv") as tmp:
            tmp.write_text(buf.getvalue())

    def checkpoint(self, model: keras.Model, epoch: int) -> None:
        """Model (+ optimizer) file, best weights, then state.json last: state names only complete files."""
        if not self.writer:
            return
        d = self.ckpt_dir
        d.mkdir(parents=True, exist_ok=True)
        model_file, best_file = f"epoch-{epoch:05d}.keras", f"epoch-{epoch:05d}.best.npz"
        with atomic_path(d / model_file, suffix=".keras") as tmp, undistributed():
            model.save(tmp)
        if self.best_weights is not None:
            with atomic_path(d / best_file) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, *self.best_weights)
        kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
        assert isinstance(keys, np.ndarray)  # the legacy tuple form
        state = {
            "epoch": epoch, "model_file": model_file,
            "best_file": best_file if self.best_weights is not None else None,
            "best_score": list(self.best_score) if self.best_epoch else None, "best_epoch": self.best_epoch,
            "wait": self.wait, "stopped_early": self.stopped_early, "history": self.history,
            "wall_seconds": self.wall_seconds(),
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
        self.elapsed = state.get("wall_seconds")  # absent in checkpoints from before it was recorded
        if state.get("best_score") is not None:
            self.best_score = (float(state["best_score"][0]), float(state["best_score"][1]))
        elif state.get("best_loss") is not None:  # a checkpoint from before the monitor was chosen (loss)
            self.best_score = (float(state["best_loss"]), float("inf"))
        if state["best_file"]:
            with np.load(self.ckpt_dir / state["best_file"]) as z:
                self.best_weights = [z[f"arr_{i}"] for i in range(len(z.files))]
        kind, keys, pos, has_gauss, cached = state["numpy_random_state"]
        np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


def matching_checkpoint(run: RunState, settings: tuple[str, ...]) -> dict | None:
    """The checkpoint in `run.ckpt_dir` if it is of this data and its config agrees with `run.config` on
    `settings` (Config field names); else None: the run starts afresh."""
    path = run.ckpt_dir / STATE_FILE
    if not path.is_file():
        return None
    state = json.loads(path.read_text())
    saved, now = state.get("config", {}), asdict(run.config)
    if state.get("data_fingerprint") != run.data_fingerprint or any(saved.get(k) != now[k] for k in settings):
        return None
    return state


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
