"""`hsbench prepare`: split a scene once and write the inputs of both methods.

Writes into OUT: train.libsvm, test.libsvm (SVM, the first --features), one more
pair train.<kind>.libsvm, test.<kind>.libsvm per further --features (same rows,
same split), windows.h5 (CNN), dataset.json (split with coordinates, every feature
set with its settings and extraction time) and, last, manifest.json. A directory
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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import dump_svmlight_file

from hsbench import atomic
from hsbench.errors import InputError
from hsbench.features import FeatureSpec, fit_to_image, make_features, parse_feature_list
from hsbench.paths import check_output_dir
from hsbench.provenance import command_line, host_info, now_iso, package_versions, sha256_file
from hsbench.scenes import Scene
from hsbench.split import Split, check_split_args, make_split

OUTPUTS = ("train.libsvm", "test.libsvm", "windows.h5", "dataset.json")  # of the first feature set
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class PrepareConfig:
    split: str = "random"
    train_fraction: float = 0.1
    seed: int = 0
    window: int = 9
    features: tuple[str, ...] = ("raw",)  # the first one is train.libsvm / test.libsvm
    exclude: tuple[int, ...] = ()
    min_class_pixels: int = 2

    def as_dict(self) -> dict:
        return {
            "split": self.split, "train_fraction": self.train_fraction, "seed": self.seed,
            # one feature set is recorded as before (a string), so older datasets still match
            "window": self.window,
            "features": self.features[0] if len(self.features) == 1 else list(self.features),
            "exclude": list(self.exclude),
            "min_class_pixels": self.min_class_pixels,
        }


def prepare(scene: Scene, out: str | os.PathLike, config: PrepareConfig, force: bool = False) -> dict:
    """Split `scene` and write a dataset directory; return the manifest."""
    out = Path(out)
    check_split_args(config.split, config.train_fraction, config.window, config.min_class_pixels)
    height, width, n_bands = scene.shape
    specs = [fit_to_image(s, height, width) for s in parse_feature_list(config.features, n_bands)]
    fingerprint = {"scene": scene.name, "source": scene.source, **config.as_dict()}
    _check_out_dir(out, fingerprint, force)

    split = make_split(
        scene.gt, config.split, config.train_fraction, config.seed, config.window,
        config.exclude, config.min_class_pixels,
    )
    matrices: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    feature_sets: dict[str, dict[str, Any]] = {}
    for i, spec in enumerate(specs):
        t0 = time.perf_counter()
        x_train, x_test = make_features(scene.cube, split.train_coords, split.test_coords, spec)
        seconds = time.perf_counter() - t0
        train_name, test_name = feature_files(spec, primary=i == 0)
        matrices[train_name] = (x_train, split.train_labels)
        if config.split != "all":  # an `all` split has no test set, so no test file
            matrices[test_name] = (x_test, split.test_labels)
        feature_sets[spec.name] = {
            "train": train_name, "test": test_name if config.split != "all" else None,
            "n_features": int(x_train.shape[1]),
            "params": spec.params(), "seconds": seconds, "host": host_info(),
        }
    n_first = int(feature_sets[specs[0].name]["n_features"])
    dataset = dataset_record(scene, split, specs[0].name, n_first, feature_sets)
    outputs = [*matrices, "windows.h5", "dataset.json"]

    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".prepare-*"):  # left by a prepare that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=".prepare-", dir=out))
    try:
        for name, (x, y) in matrices.items():
            dump_svmlight_file(x, y.astype(np.int64), str(staging / name), zero_based=False)
        del x, x_train, x_test
        matrices.clear()  # float64 features (0.5 GB on the full scene): not needed for the window file
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
                        "classes": len(dataset["class_names"]), "features": n_first,
                        "feature_sets": {k: v["n_features"] for k, v in feature_sets.items()},
                        "feature_seconds": {k: v["seconds"] for k, v in feature_sets.items()}},
            "host": host_info(),
            "versions": package_versions(),
        }
        with contextlib.suppress(FileNotFoundError):
            (out / MANIFEST).unlink()  # from here on the directory reads as unfinished
        # feature sets of an earlier prepare not asked now, and the test files of an earlier split when
        # this one (`all`) has none: left in place they would pass for this split's
        for stale in _feature_files_in(out):
            if stale.name not in outputs:
                stale.unlink()
        for name in outputs:
            os.replace(staging / name, out / name)
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


def feature_files(spec: FeatureSpec, primary: bool) -> tuple[str, str]:
    """LibSVM file names of a feature set: the first one keeps the plain names."""
    if primary:
        return "train.libsvm", "test.libsvm"
    return f"train.{spec.slug}.libsvm", f"test.{spec.slug}.libsvm"


def _feature_files_in(out: Path) -> list[Path]:
    return sorted(p for pattern in ("train*.libsvm", "test*.libsvm") for p in out.glob(pattern))


def dataset_record(scene: Scene, split: Split, features: str, n_features: int,
                   feature_sets: dict | None = None) -> dict:
    """dataset.json; `features` / `n_features` describe train.libsvm, `feature_sets` every pair."""
    used = sorted(set(split.train_labels.tolist()) | set(split.test_labels.tolist()))
    if feature_sets is None:
        feature_sets = {features: {"train": "train.libsvm", "test": "test.libsvm", "n_features": int(n_features)}}
    return {
        "kind": "dataset",
        "scene": {"name": scene.name, "shape": list(scene.shape), "source": scene.source,
                  "citation": scene.citation, "files": scene.files},
        "class_names": {str(c): scene.class_names[c] for c in used},
        "split": split.meta(),
        "features": features,
        "n_features": int(n_features),
        "feature_sets": feature_sets,
        "train": {"coords": split.train_coords.tolist(), "labels": split.train_labels.tolist()},
        "test": {"coords": split.test_coords.tolist(), "labels": split.test_labels.tolist()},
        "counts": split.counts(),
    }


def _write_windows(path: Path, scene: Scene, split: Split) -> None:
    from hsbench.cnn.windows import write_window_file

    write_window_file(
        path, scene.cube, split.train_coords, split.train_labels, split.test_coords, split.test_labels,
        class_names={int(k): v for k, v in scene.class_names.items()}, window=split.window, split=split.meta(),
    )


def _check_out_dir(out: Path, fingerprint: dict, force: bool) -> None:
    check_output_dir(out)
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
    elif any((out / name).exists() for name in OUTPUTS) or _feature_files_in(out):
        raise InputError(f"{out}: holds dataset files without a manifest (an unfinished prepare?); use --force")
