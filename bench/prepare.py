"""`hsbench prepare`: split a scene once and write the inputs of both methods.

Writes into OUT: train.libsvm, test.libsvm (SVM), windows.h5 (CNN),
dataset.json (split with coordinates) and, last, manifest.json. A directory
without manifest.json is not a finished dataset: the old manifest is removed
before any output is replaced, and every file is moved into place atomically
from a staging folder, so an interrupted prepare never leaves a file a later
stage could mistake for a good one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import dump_svmlight_file

from hsbench import atomic
from hsbench.errors import InputError
from hsbench.features import make_features, parse_features
from hsbench.provenance import command_line, now_iso, package_versions, sha256_file
from hsbench.scenes import Scene
from hsbench.split import Split, check_split_args, make_split

OUTPUTS = ("train.libsvm", "test.libsvm", "windows.h5", "dataset.json")
MANIFEST = "manifest.json"


def outputs_for(split: str) -> tuple[str, ...]:
    """The files a prepare writes: an `all` split has no test set, so no test.libsvm."""
    return tuple(name for name in OUTPUTS if not (split == "all" and name == "test.libsvm"))


@dataclass(frozen=True)
class PrepareConfig:
    split: str = "random"
    train_fraction: float = 0.1
    seed: int = 0
    window: int = 9
    features: str = "raw"
    exclude: tuple[int, ...] = ()
    min_class_pixels: int = 2

    def as_dict(self) -> dict:
        return {
            "split": self.split, "train_fraction": self.train_fraction, "seed": self.seed,
            "window": self.window, "features": self.features, "exclude": list(self.exclude),
            "min_class_pixels": self.min_class_pixels,
        }


def prepare(scene: Scene, out: str | os.PathLike, config: PrepareConfig, force: bool = False) -> dict:
    """Split `scene` and write a dataset directory; return the manifest."""
    out = Path(out)
    check_split_args(config.split, config.train_fraction, config.window, config.min_class_pixels)
    n_pca = parse_features(config.features, scene.shape[2])
    fingerprint = {"scene": scene.name, "source": scene.source, **config.as_dict()}
    _check_out_dir(out, fingerprint, force)

    split = make_split(
        scene.gt, config.split, config.train_fraction, config.seed, config.window,
        config.exclude, config.min_class_pixels,
    )
    x_train, x_test = make_features(_spectra(scene.cube, split.train_coords),
                                    _spectra(scene.cube, split.test_coords), n_pca)
    dataset = dataset_record(scene, split, config.features, x_train.shape[1])

    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".prepare-*"):  # left by a prepare that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=".prepare-", dir=out))
    outputs = outputs_for(config.split)
    try:
        for name, x, y in (("train.libsvm", x_train, split.train_labels), ("test.libsvm", x_test, split.test_labels)):
            if name in outputs:
                dump_svmlight_file(x, y.astype(np.int64), str(staging / name), zero_based=False)
        _write_windows(staging / "windows.h5", scene, split)
        atomic.write_json(staging / "dataset.json", dataset)
        manifest = {
            "kind": "manifest",
            "created": now_iso(),
            "command": command_line(),
            "fingerprint": fingerprint,
            "outputs": {name: {"sha256": sha256_file(staging / name), "bytes": (staging / name).stat().st_size}
                        for name in outputs},
            "summary": {"train_pixels": int(split.train_labels.size), "test_pixels": int(split.test_labels.size),
                        "classes": len(dataset["class_names"]), "features": int(x_train.shape[1])},
            "versions": package_versions(),
        }
        with contextlib.suppress(FileNotFoundError):
            (out / MANIFEST).unlink()  # from here on the directory reads as unfinished
        for name in OUTPUTS:
            if name in outputs:
                os.replace(staging / name, out / name)
            else:  # a test file left by an earlier split would pass for this one's
                with contextlib.suppress(FileNotFoundError):
                    (out / name).unlink()
        atomic.write_json(out / MANIFEST, manifest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def check_finished(data_dir: Path) -> None:
    """Refuse a dataset directory that `prepare` did not finish (manifest.json is written last)."""
    if not (Path(data_dir) / MANIFEST).is_file():
        raise InputError(f"--data {data_dir}: no {MANIFEST}, so not a finished dataset "
                         "(an interrupted hsbench prepare?); run hsbench prepare again")


def read_dataset_json(path: Path | None) -> dict:
    """A prepared dataset's description, checked before any work ({} when there is none)."""
    from hsbench.results import read_kind

    return read_kind(path, "dataset", "dataset.json") if path is not None else {}


def dataset_record(scene: Scene, split: Split, features: str, n_features: int) -> dict:
    used = sorted(set(split.train_labels.tolist()) | set(split.test_labels.tolist()))
    return {
        "kind": "dataset",
        "scene": {"name": scene.name, "shape": list(scene.shape), "source": scene.source,
                  "citation": scene.citation},
        "class_names": {str(c): scene.class_names[c] for c in used},
        "split": split.meta(),
        "features": features,
        "n_features": int(n_features),
        "train": {"coords": split.train_coords.tolist(), "labels": split.train_labels.tolist()},
        "test": {"coords": split.test_coords.tolist(), "labels": split.test_labels.tolist()},
        "counts": split.counts(),
    }


def _spectra(cube: np.ndarray, coords: np.ndarray) -> np.ndarray:
    return cube[coords[:, 0], coords[:, 1], :]


def _write_windows(path: Path, scene: Scene, split: Split) -> None:
    from hsbench.cnn.windows import write_window_file

    write_window_file(
        path, scene.cube, split.train_coords, split.train_labels, split.test_coords, split.test_labels,
        class_names={int(k): v for k, v in scene.class_names.items()}, window=split.window, split=split.meta(),
    )


def _check_out_dir(out: Path, fingerprint: dict, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory")
    if force or not out.is_dir():
        return
    manifest = out / MANIFEST
    if manifest.is_file():
        try:
            old = json.loads(manifest.read_text()).get("fingerprint")
        except (OSError, json.JSONDecodeError):
            old = None
        if old != fingerprint:
            raise InputError(f"{out}: already holds a different dataset (see {manifest}); use --force to replace it")
    elif any((out / name).exists() for name in OUTPUTS):
        raise InputError(f"{out}: holds dataset files without a manifest (an unfinished prepare?); use --force")
