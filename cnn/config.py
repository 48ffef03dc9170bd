"""Training configuration: every hyper-parameter of a run, the protocols' defaults, and the choices.

No keras import here: the CLI builds its options from these constants before it
has chosen the Keras backend (which keras reads once, at its first import).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from hsbench.cnn.errors import InputError

BACKENDS = ("tensorflow", "jax", "torch")
# The default follows the measurement: the fastest backend on CPU in python -m hsbench.benchmarks.cnn_backends
# (results/benchmarks/cnn_backends.md; TensorFlow with oneDNN, on the AMD EPYC VM).
DEFAULT_BACKEND = "tensorflow"
# how to install each backend, named in the error when one is missing or unknown
BACKEND_INSTALL = {
    "tensorflow": "pip install tensorflow-cpu (tensorflow on GPUs)",
    "jax": "pip install jax (jax[cuda12] on NVIDIA GPUs)",
    "torch": "pip install torch",
}
DEVICES = ("1", "all")
OPTIMIZERS = ("sgd", "adam")
LOSSES = ("mean_squared_error", "categorical_crossentropy")
EVAL_SETS = ("test", "validation")
# how the validation rows are carved (hsbench.cnn.validation, hsbench.cnn.crossval); "auto": spatial-cv on a
# disjoint split (the SVM's spatial folds, one model per fold), stratified otherwise
VAL_SPLITS = ("auto", "stratified", "spatial", "spatial-cv")
# what chooses the kept weights and stops early; "auto": accuracy on spatial validation, else loss
MONITORS = ("auto", "loss", "accuracy")


@dataclass(frozen=True)
class Config:
    """Every hyper-parameter of a run; `PROTOCOLS` holds the defaults of each protocol.

    Validated on construction (and on `dataclasses.replace`), so a Python caller gets the
    same checks as the CLI. Messages name the CLI option.
    """

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
    val_split: str = "auto"  # one of VAL_SPLITS; a run records the one it used
    monitor: str = "auto"  # one of MONITORS; a run records the one it used
    patience: int | None = None  # in evaluations; None = no early stopping
    augment: bool = False  # random flips/rotations of the training windows
    model: str = "standard"
    seed: int = 0
    # bf16 mixed precision; None: decided per machine when the backend is known (hsbench.cnn.flags.bf16_default)
    mixed_precision: bool | None = False
    devices: str = "1"  # "1" | "all" (data parallel, JAX backend)
    checkpoint_every: int = 10
    # after selection, train afresh on every training pixel for the kept epoch count and test that model
    # (as the SVM refits its best cell on all rows). None ("auto"): only after spatial-cv, which keeps no
    # model to test; after a single validation part the kept weights are tested, because a refit that
    # nothing validates landed 2.6-19 points below them on Indian Pines' random split (docs/CNN.md)
    refit: bool | None = None
    # spatial-cv: folds (the SVM's spatial CV scheme) and epochs each fold's model trains
    val_folds: int = 10
    cv_epochs: int = 30
    # spatial-cv: fitted pixels this close (Chebyshev px) to a fold's held-out pixels are left out; None: the
    # window - 1 (no windows overlap). `hsbench cnn` sets it to the SVM grid's matched buffer by default
    val_buffer: int | None = None

    def __post_init__(self) -> None:
        _choice("--optimizer", self.optimizer, OPTIMIZERS)
        _choice("--loss", self.loss, LOSSES)
        _choice("evaluation set", self.eval_set, EVAL_SETS)
        _choice("--devices", self.devices, DEVICES)
        _choice("--val-split", self.val_split, VAL_SPLITS)
        _choice("--monitor", self.monitor, MONITORS)
        if not self.model:
            raise InputError("--model must name a model")
        if self.mixed_precision not in (True, False, None):
            raise InputError(f"--mixed-precision must be on, off or left to the machine, got {self.mixed_precision!r}")
        for option, value in (("--epochs", self.epochs), ("--batch-size", self.batch_size),
                              ("--eval-every", self.eval_every), ("--checkpoint-every", self.checkpoint_every)):
            _at_least_one(option, value)
        if self.patience is not None:
            _at_least_one("--patience", self.patience)
        _at_least_one("--cv-epochs", self.cv_epochs)
        if isinstance(self.val_folds, bool) or not isinstance(self.val_folds, int) or self.val_folds < 2:
            raise InputError(f"--val-folds must be an integer >= 2, got {self.val_folds!r}")
        if self.val_buffer is not None and (isinstance(self.val_buffer, bool) or not isinstance(self.val_buffer, int)
                                            or self.val_buffer < 0):
            raise InputError(f"--val-buffer must be a number of pixels >= 0 or auto, got {self.val_buffer!r}")
        if self.val_split == "spatial-cv" and self.refit is False:
            raise InputError("--val-split spatial-cv trains one model per fold and tests none of them: it needs "
                             "--refit")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise InputError(f"--lr must be a finite number > 0, got {self.lr}")
        if not (math.isfinite(self.decay) and self.decay >= 0):
            raise InputError(f"--decay must be a finite number >= 0, got {self.decay}")
        if not 0 <= self.momentum < 1:
            raise InputError(f"momentum must be in [0, 1), got {self.momentum}")
        if self.refit not in (True, False, None):
            raise InputError(f"--refit must be on, off or left to the validation kind, got {self.refit!r}")
        if self.refit and self.eval_set != "validation":
            raise InputError("--refit needs a validation part to choose the epoch count (the modern protocol); "
                             "the seed protocol selects on the test set")
        if self.eval_set == "validation" and not 0 < self.val_fraction < 1:
            raise InputError(f"--val-fraction must be in (0, 1), got {self.val_fraction}")


def _choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InputError(f"{option} must be one of {', '.join(choices)}, got {value!r}")


def _at_least_one(option: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{option} must be an integer >= 1, got {value!r}")


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
        # bf16 where it was measured faster at no lower accuracy (results/benchmarks/cnn_backends.md)
        mixed_precision=None,
    ),
}


def resolve(config: Config, split_kind: str | None) -> Config:
    """The config with "auto" choices made for data of `split_kind` (a run records the resolved one).

    Spatial validation on a disjoint split: its pixels lie beyond a buffer, like the test pixels,
    and there the loss rises from the first epochs (confident mistakes) while accuracy still
    improves, so the loss would keep a barely trained model: accuracy chooses (ties: lower loss).
    """
    val_split = config.val_split
    if config.eval_set == "validation" and val_split == "auto":
        # spatial-cv tests a refit: a single spatial block where the refit was turned off
        val_split = ("spatial" if config.refit is False else "spatial-cv") if split_kind == "disjoint" \
            else "stratified"
    monitor = config.monitor
    if monitor == "auto":
        monitor = "accuracy" if config.eval_set == "validation" and val_split.startswith("spatial") else "loss"
    refit = config.refit if config.refit is not None else val_split == "spatial-cv"
    return replace(config, val_split=val_split, monitor=monitor, refit=refit)


def selection_rule(config: Config) -> str:
    """Which set chose the kept weights, in words (written into the results)."""
    best = "highest {set} accuracy (ties: lower loss)" if config.monitor == "accuracy" else "lowest {set} loss"
    if config.eval_set == "test":
        return (
            f"weights with the {best.format(set='TEST')}, evaluated every {config.eval_every} epochs "
            "(the seed's TestAndSaveEveryN): model selection on the test set, so test accuracy is optimistic"
        )
    if config.val_split == "spatial-cv":
        best = best.replace("{set}", "{set} (mean over the folds)")
        part = (f"{config.val_folds}-fold spatial CV, the SVM grid's fold scheme: one model per fold trained "
                f"{config.cv_epochs} epochs, fitted pixels whose window would overlap a held-out window left out")
        return (f"the epoch count with the {best.format(set='validation')} ({part}); then a fresh model trained "
                "on every training pixel for that many epochs, the one tested (refit); the test set is used once, "
                "at the end")
    if config.val_split == "spatial":
        part = (f"{config.val_fraction:g} of each class's training pixels as one spatial block, fitted pixels "
                "whose window would overlap a validation window left out")
    else:
        part = f"{config.val_fraction:g} of the training pixels, stratified, seed {config.seed}"
    then = ("; then a fresh model trained on every training pixel for the kept epoch count, the one tested "
            "(refit)" if config.refit else "")
    return (
        f"weights with the {best.format(set='validation')} ({part}); early stopping after {config.patience} "
        f"evaluations without improvement{then}; the test set is used once, at the end"
    )
