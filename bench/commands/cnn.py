"""`hsbench cnn`: train the 3D-CNN on a window file and write the results JSON (kind "cnn").

Keras reads KERAS_BACKEND once, at its first import, so this module imports
nothing of keras (nor `cnn.train`) until `run` has set the backend.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

BACKENDS = ("tensorflow", "jax", "torch")
PROTOCOL_NAMES = ("seed", "modern")
RESULTS_FILE = "cnn.json"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "cnn",
        help="train the 3D-CNN (seed's standard model) on a window file",
        description=(
            "Train the 3D-CNN on 9x9xB windows of the prepared pixels and write OUT/cnn.json "
            "(kind \"cnn\"), OUT/model.keras, OUT/history.csv and OUT/checkpoint/. Protocol 'seed' is "
            "the lecture's SGD/MSE run that keeps the weights with the lowest TEST loss (model selection "
            "on the test set, as the seed did); 'modern' is Adam/cross-entropy with a validation part "
            "carved from the training pixels. Defaults of each protocol apply unless overridden."
        ),
    )
    p.add_argument("--data", required=True, type=Path,
                   help="prepared dataset directory (holding windows.h5) or a window file")
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--protocol", choices=PROTOCOL_NAMES, default="seed", help="training protocol (default: %(default)s)")
    p.add_argument("--model", default="standard", help="model name (default: %(default)s)")
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="Keras backend (default: $KERAS_BACKEND, else tensorflow)")
    p.add_argument("--epochs", type=int, help="epochs (seed: 600, modern: 100, an upper bound)")
    p.add_argument("--batch-size", type=int, help="global batch size (seed: 50, modern: 128)")
    p.add_argument("--lr", type=float, help="learning rate (seed: 1.0, modern: 1e-3)")
    p.add_argument("--decay", type=float, help="Keras 2 learning-rate decay per step (seed: 5e-6)")
    p.add_argument("--eval-every", type=int,
                   help="evaluate every N epochs (seed: 10 on the test set, modern: 1 on validation)")
    p.add_argument("--patience", type=int, help="modern: evaluations without improvement before stopping")
    p.add_argument("--val-fraction", type=float, help="modern: part of each class's training pixels for validation")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random flips and 90-degree rotations of training windows (modern: on, seed: off)")
    p.add_argument("--seed", type=int, default=0, help="seed for initialisation, shuffling and the validation split (default: %(default)s)")
    p.add_argument("--devices", choices=("1", "all"), default="1",
                   help="'all': data-parallel over every visible device (JAX backend), global batch split")
    p.add_argument("--mixed-precision", action="store_true", help="bf16 mixed precision (GPUs)")
    p.add_argument("--checkpoint-every", type=int, default=10,
                   help="checkpoint every N epochs (and on SIGTERM/SIGINT); a kill loses at most N epochs (default: %(default)s)")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoint (same settings; --epochs may raise the budget)")
    p.add_argument("--progress", choices=("bar", "epoch", "none"), default="bar",
                   help="Keras progress output: a bar per epoch, one line per epoch, or none (default: %(default)s)")
    p.set_defaults(func=run)


def _window_path(data: Path) -> tuple[Path, Path | None]:
    from hsbench.prepare import check_finished

    if data.is_dir():
        check_finished(data)
        dataset = data / "dataset.json"
        return data / "windows.h5", dataset if dataset.is_file() else None
    dataset = data.parent / "dataset.json"
    return data, dataset if dataset.is_file() else None


def _select_backend(requested: str | None) -> str:
    from hsbench.cnn.errors import InputError

    backend = requested or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r} (KERAS_BACKEND; choose from {', '.join(BACKENDS)})")
    if "keras" in sys.modules:
        active = sys.modules["keras"].backend.backend()
        if active != backend:
            raise InputError(f"keras is already loaded with backend {active}; set KERAS_BACKEND={backend} instead")
    module = "tensorflow" if backend == "tensorflow" else backend
    if importlib.util.find_spec(module) is None:
        raise InputError(f"backend {backend}: the package {module} is not installed")
    os.environ["KERAS_BACKEND"] = backend
    return backend


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict, replace

    from hsbench.cnn.errors import InputError

    _select_backend(args.backend)
    from hsbench.atomic import write_json
    from hsbench.cnn.train import PROTOCOLS, TrainingInterrupted, read_checkpoint, train
    from hsbench.metrics import classification_metrics
    from hsbench.prepare import dataset_summary, read_dataset_json
    from hsbench.provenance import command_line, host_info, now_iso, package_versions, sha256_file

    window_file, dataset_json = _window_path(args.data)
    meta = read_dataset_json(dataset_json)  # checked before training, copied into the results after
    overrides = {
        k: v for k, v in {
            "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "decay": args.decay,
            "eval_every": args.eval_every, "patience": args.patience, "val_fraction": args.val_fraction,
            "augment": args.augment,
        }.items() if v is not None
    }
    for name in ("epochs", "batch_size", "eval_every", "patience"):
        if name in overrides and overrides[name] < 1:
            raise InputError(f"--{name.replace('_', '-')} must be >= 1, got {overrides[name]}")
    if args.checkpoint_every < 1:
        raise InputError(f"--checkpoint-every must be >= 1, got {args.checkpoint_every}")
    if "val_fraction" in overrides and not 0 < overrides["val_fraction"] < 1:
        raise InputError(f"--val-fraction must be in (0, 1), got {overrides['val_fraction']}")
    if args.resume and args.epochs is None:  # keep the interrupted run's budget, not the protocol default
        overrides["epochs"] = read_checkpoint(args.out)["config"]["epochs"]
    config = replace(
        PROTOCOLS[args.protocol], model=args.model, seed=args.seed, devices=args.devices,
        mixed_precision=args.mixed_precision, checkpoint_every=args.checkpoint_every, **overrides,
    )
    verbose = {"bar": 1, "epoch": 2, "none": 0}[args.progress]
    try:
        result = train(window_file, args.out, config, resume=args.resume, verbose=verbose)
    except TrainingInterrupted as exc:
        print(f"hsbench cnn: {exc}", file=sys.stderr)
        return 128 + exc.signum

    metrics = classification_metrics(result.test_labels, result.predictions, labels=result.classes)
    n_test = len(result.test_labels)
    metrics["predict_seconds"] = result.inference_seconds
    cfg = result.config
    epochs_run = result.epochs_run
    data = {"windows": {"path": str(window_file), "sha256": sha256_file(window_file)}}
    dataset = None
    if dataset_json is not None:
        data["dataset"] = {"path": str(dataset_json), "sha256": sha256_file(dataset_json)}
        dataset = dataset_summary(meta)
    results = {
        "kind": "cnn",
        "command": command_line(),
        "created": now_iso(),
        "host": host_info(),
        "device": result.device,
        "versions": package_versions(),
        "wall_seconds": result.extra["wall_seconds_this_session"],
        "data": data,
        "dataset": dataset,
        "test": metrics,
        "model": cfg.model,
        "params": result.params,
        "protocol": cfg.protocol,
        "backend": result.backend,
        "devices": result.n_devices,
        "mixed_precision": cfg.mixed_precision,
        "hyper": asdict(cfg),  # every setting, augmentation included
        "epochs": cfg.epochs,
        "epochs_run": epochs_run,
        "stopped_early": result.stopped_early,
        "resumed_from": result.resumed_from,
        "batch_size": cfg.batch_size,
        "best_epoch": result.best_epoch,
        "selection": result.selection,
        "selection_on_test": cfg.eval_set == "test",
        "train_samples": result.train_samples,
        "train_seconds": result.train_seconds,
        "seconds_per_epoch": result.train_seconds / epochs_run if epochs_run else None,
        "train_samples_per_second": (
            result.train_samples * epochs_run / result.train_seconds if result.train_seconds else None
        ),
        "inference_seconds": result.inference_seconds,
        "inference_samples_per_second": n_test / result.inference_seconds if result.inference_seconds else None,
        "model_file": os.path.relpath(result.model_path, args.out),
        "history": os.path.relpath(result.history_path, args.out),
        "history_rows": result.history,
    }
    write_json(args.out / RESULTS_FILE, results)
    print(
        f"hsbench cnn: {cfg.protocol} protocol, {epochs_run} epochs ({results['seconds_per_epoch'] or 0:.2f} s/epoch), "
        f"best epoch {result.best_epoch}: test OA {metrics['oa']:.4f} AA {metrics['aa']:.4f} "
        f"kappa {metrics['kappa']:.4f} -> {args.out / RESULTS_FILE}"
    )
    if cfg.eval_set == "test":
        print("hsbench cnn: note: weights were selected on the TEST set (seed protocol); its OA is optimistic")
    return 0
