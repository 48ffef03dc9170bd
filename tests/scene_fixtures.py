"""Synthetic files of the named scenes in their real layouts, as bytes to serve or place in a cache."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from types import MappingProxyType

import numpy as np

from hsbench.scenes import registry, synthetic
from hsbench.scenes.indian_pines_full import COUNTS
from hsbench.scenes.spec import SceneSpec


def ehu_files(spec: SceneSpec, tmp: Path, h: int = 14, w: int = 12, per_class: int = 6,
              gt_version: str = "5") -> tuple[dict[str, bytes], np.ndarray, np.ndarray]:
    """{file name: bytes} of an EHU scene's cube and gt .mat (real variable names, plus a decoy array each)."""
    counts = {cid: per_class for cid in spec.class_names}
    cube, gt = synthetic.labelled_scene((h, w, spec.shape[2]), counts, dtype=np.uint16)
    cube_f, gt_f = spec.file("cube"), spec.file("gt")
    tmp.mkdir(parents=True, exist_ok=True)
    assert cube_f.var and gt_f.var
    synthetic.write_mat(tmp / cube_f.name, {cube_f.var: cube, "decoy": cube[..., :3]})
    synthetic.write_mat(tmp / gt_f.name, {gt_f.var: gt, "decoy_map": gt.T.copy()}, version=gt_version)
    return {f.name: (tmp / f.name).read_bytes() for f in (cube_f, gt_f)}, cube, gt


def full_scene_names() -> dict[int, str]:
    """58 legend names: the 52 the seed tabulates, then six small made-up ones."""
    names = list(COUNTS) + [f"Small class {i}" for i in range(1, 7)]
    return dict(enumerate(names, 1))


def full_scene_archive(tmp: Path, shape: tuple[int, int, int] = (80, 72, 220), big: int = 100,
                       small: int = 5, legend: bool = True) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The PURR archive layout holding a synthetic NS-line scene: 52 classes of `big` pixels, 6 of `small`."""
    counts = {cid: (big if cid <= 52 else small) for cid in range(1, 59)}
    cube, gt = synthetic.labelled_scene(shape, counts)
    tmp.mkdir(parents=True, exist_ok=True)
    synthetic.write_geotiff(tmp / "cube.tif", cube, bands_first=True)
    colormap = np.zeros((3, 256), np.uint16)
    colormap[:, 1:59] = np.random.default_rng(2).integers(0, 65535, (3, 58))
    synthetic.write_geotiff(tmp / "gt.tif", gt, colormap=colormap)
    text = synthetic.legend_text(full_scene_names()) if legend else None
    synthetic.purr_archive(tmp / "archive.zip", tmp / "cube.tif", tmp / "gt.tif", text)
    return (tmp / "archive.zip").read_bytes(), cube, gt


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pin(monkeypatch: object, name: str, pins: dict[str, str | None]) -> SceneSpec:
    """Replace the sha256 pins of scene `name`'s files in the registry (for this test only)."""
    spec = registry.SCENES[name]
    files = tuple(dataclasses.replace(f, sha256=pins.get(f.name, f.sha256)) for f in spec.files)
    new = dataclasses.replace(spec, files=files)
    monkeypatch.setattr(registry, "SCENES", MappingProxyType({**registry.SCENES, name: new}))  # type: ignore[attr-defined]
    return new
