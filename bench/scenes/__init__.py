"""Scenes: a hyperspectral cube, its ground truth and class names.

Named scenes are entries of the registry (`hsbench.scenes.registry.SCENES`),
one module per family (`indian_pines` embedded, `ehu`, `indian_pines_full`);
their files are downloaded, checksummed and cached by `cache`. Any other scene
is given as files (`files`). `load_scene` is the single entry point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hsbench.errors import InputError


@dataclass(frozen=True)
class Scene:
    """A scene ready to split.

    cube: (H, W, B) array (integer or float); gt: (H, W) int array, 0 = unlabelled;
    class_names: class id -> name for every id present in `gt`.
    """

    name: str
    cube: np.ndarray
    gt: np.ndarray
    class_names: dict[int, str]
    source: str
    citation: str = ""
    # role ("cube", "gt", "archive", ...) -> {file, sha256, check: "pinned"|"recorded"|"computed", url or path}
    files: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(x) for x in self.cube.shape)  # type: ignore[return-value]


def load_scene(name: str | None = None, cube: str | None = None, gt: str | None = None,
               cube_var: str | None = None, gt_var: str | None = None, offline: bool = False) -> Scene:
    """Load a named scene (downloaded and verified unless `offline`), or one from `cube` and `gt` files."""
    if cube or gt:
        if not (cube and gt):
            raise InputError("--cube and --gt must be given together")
        from hsbench.scenes.files import load_files

        return load_files(cube, gt, cube_var=cube_var, gt_var=gt_var)
    from hsbench.scenes.registry import load_named

    return load_named(name or "indian_pines", offline=offline)


def check_scene(cube: np.ndarray, gt: np.ndarray, cube_src: str, gt_src: str) -> np.ndarray:
    """Validate cube/ground truth agreement; return gt as int64.

    Messages name the file and the fault: the CLI prints them as one line.
    """
    if cube.ndim != 3:
        raise InputError(f"{cube_src}: cube must be 3-D (height, width, bands), got shape {cube.shape}")
    if gt.ndim != 2:
        raise InputError(f"{gt_src}: ground truth must be 2-D (height, width), got shape {gt.shape}")
    if cube.shape[:2] != gt.shape:
        raise InputError(
            f"{gt_src}: ground truth is {gt.shape[0]} x {gt.shape[1]} but the cube {cube_src} is "
            f"{cube.shape[0]} x {cube.shape[1]} (height x width must agree)"
        )
    if not np.issubdtype(gt.dtype, np.integer):
        if not np.all(np.isfinite(gt)) or not np.all(gt == np.round(gt)):
            raise InputError(f"{gt_src}: ground truth must hold integer class ids")
    gt = gt.astype(np.int64)
    if gt.min() < 0:
        raise InputError(f"{gt_src}: negative class id {int(gt.min())} (0 = unlabelled, classes >= 1)")
    if np.issubdtype(cube.dtype, np.floating):
        bad = ~np.isfinite(cube)
        if bad.any():
            r, c, b = np.argwhere(bad)[0]
            raise InputError(
                f"{cube_src}: {int(bad.sum())} NaN/inf values in the cube (first at row {r}, col {c}, band {b})"
            )
    if not (gt > 0).any():
        raise InputError(f"{gt_src}: no labelled pixels (every ground-truth value is 0)")
    return gt
