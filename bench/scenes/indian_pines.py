"""AVIRIS Indian Pines, 145 x 145 pixels x 200 bands (water-absorption bands removed).

Source: the files shipped in the `tensorly` wheel,
`tensorly/datasets/data/Indian_pines_corrected.npy` (uint16, 145 x 145 x 200) and
`Indian_pines_gt.npy` (uint8, 145 x 145, 0 = unlabelled, 16 classes,
10,249 labelled pixels), read with importlib.resources so no network and no
tensorly import are needed. Originally the GIC UPV/EHU "Hyperspectral Remote
Sensing Scenes" copy of the Purdue scene.

Citation: Baumgardner, M. F., Biehl, L. L., Landgrebe, D. A. (2015). 220 Band
AVIRIS Hyperspectral Image Data Set: June 12, 1992 Indian Pine Test Site 3.
Purdue University Research Repository. doi:10.4231/R7RX991C.
Licence: CC BY 3.0 (as labelled by tensorly's loader).
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from hsbench.errors import InputError
from hsbench.scenes import Scene, check_scene

CITATION = (
    "Baumgardner, Biehl, Landgrebe (2015). 220 Band AVIRIS Hyperspectral Image Data Set: "
    "June 12, 1992 Indian Pine Test Site 3. Purdue University Research Repository. doi:10.4231/R7RX991C"
)

# The standard Indian Pines legend (class id -> name).
CLASS_NAMES = {
    1: "Alfalfa", 2: "Corn-notill", 3: "Corn-mintill", 4: "Corn", 5: "Grass-pasture",
    6: "Grass-trees", 7: "Grass-pasture-mowed", 8: "Hay-windrowed", 9: "Oats",
    10: "Soybean-notill", 11: "Soybean-mintill", 12: "Soybean-clean", 13: "Wheat",
    14: "Woods", 15: "Buildings-Grass-Trees-Drives", 16: "Stone-Steel-Towers",
}

_PACKAGE = "tensorly.datasets"
_CUBE = "data/Indian_pines_corrected.npy"
_GT = "data/Indian_pines_gt.npy"


def load() -> Scene:
    try:
        root = resources.files(_PACKAGE)
    except ModuleNotFoundError as exc:
        raise InputError(
            "scene indian_pines needs the tensorly package (it ships the data): pip install tensorly"
        ) from exc
    cube_res, gt_res = root / _CUBE, root / _GT
    with resources.as_file(cube_res) as cube_path, resources.as_file(gt_res) as gt_path:
        for p in (cube_path, gt_path):
            if not p.is_file():
                raise InputError(f"{p}: Indian Pines file missing from the installed tensorly package")
        cube = np.load(cube_path)
        gt = np.load(gt_path)
        src = f"tensorly:{_CUBE}"
    gt = check_scene(cube, gt, src, f"tensorly:{_GT}")
    ids = sorted(int(v) for v in np.unique(gt) if v > 0)
    return Scene(
        name="indian_pines",
        cube=np.ascontiguousarray(cube),
        gt=gt,
        class_names={i: CLASS_NAMES.get(i, f"class {i}") for i in ids},
        source=src,
        citation=CITATION,
    )
