"""AVIRIS Indian Pines, 145 x 145 pixels x 200 bands (water-absorption bands removed): the embedded default.

Source: the files shipped in the `tensorly` wheel,
`tensorly/datasets/data/Indian_pines_corrected.npy` (uint16, 145 x 145 x 200) and
`Indian_pines_gt.npy` (uint8, 145 x 145, 0 = unlabelled, 16 classes,
10,249 labelled pixels), read with importlib.resources so no network and no
tensorly import are needed. Both files are pinned by sha256 (the values in
tensorly 0.10.0's wheel RECORD) and checked on every load: a different or
altered copy is refused. Originally the GIC UPV/EHU "Hyperspectral Remote
Sensing Scenes" copy of the Purdue scene; `EHU_FILES` names those .mat files
(the ground truth's pin is that of the original EHU file, whose array equals
the embedded one).

Citation: Baumgardner, M. F., Biehl, L. L., Landgrebe, D. A. (2015). 220 Band
AVIRIS Hyperspectral Image Data Set: June 12, 1992 Indian Pine Test Site 3.
Purdue University Research Repository. doi:10.4231/R7RX991C.
Licence: CC BY 3.0 (as labelled by tensorly's loader).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from hsbench.errors import InputError
from hsbench.provenance import sha256_file
from hsbench.scenes import Scene, check_scene
from hsbench.scenes.spec import FileSpec, SceneSpec

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
# GIC UPV/EHU table
COUNTS = dict(zip(CLASS_NAMES.values(), (46, 1428, 830, 237, 483, 730, 28, 478, 20, 972, 2455, 593, 205, 1265, 386, 93),
                  strict=True))

_PACKAGE = "tensorly.datasets"
_DATA = "data"
_WHEEL = "https://pypi.org/project/tensorly/"  # the files are members tensorly/datasets/data/* of its wheel
FILES = (
    FileSpec("Indian_pines_corrected.npy", _WHEEL, "cube",
             sha256="8f038e4d81569e38ebfc72a15c9984c150de42580ab260be10a13442e912e451", size=8_410_128),
    FileSpec("Indian_pines_gt.npy", _WHEEL, "gt",
             sha256="44610d21625b311b05b8e0c4ba9a6cc755c2fbb9df48e4d89419024aa6ad3f9d", size=21_153),
)
# The same scene as the GIC UPV/EHU .mat files (not used by the loader; the gt pin checks copies of it)
EHU_FILES = (
    FileSpec("Indian_pines_corrected.mat", "http://www.ehu.eus/ccwintco/uploads/6/67/Indian_pines_corrected.mat",
             "cube", size=5_953_527, var="indian_pines_corrected"),
    FileSpec("Indian_pines_gt.mat", "http://www.ehu.eus/ccwintco/uploads/c/c4/Indian_pines_gt.mat", "gt",
             sha256="65c4687a8ab04f6da4789799bc3bc4f6e88bccac3ed6a2e6ae367e5e6b9e429c", size=1_125,
             var="indian_pines_gt"),
)

SPEC = SceneSpec(
    name="indian_pines",
    title="Indian Pines (AVIRIS, 145 x 145 crop, 200 bands), embedded in the tensorly wheel",
    family="indian_pines",
    files=FILES,
    shape=(145, 145, 200),
    classes=16,
    class_names=CLASS_NAMES,
    counts=COUNTS,
    citation=CITATION,
    licence="CC BY 3.0 (as labelled by tensorly)",
    homepage="https://www.ehu.eus/ccwintco/index.php/Hyperspectral_Remote_Sensing_Scenes",
)


def data_dir() -> Path:
    """The installed tensorly package's data folder (a plain directory in a pip install)."""
    try:
        root = resources.files(_PACKAGE) / _DATA
    except ModuleNotFoundError as exc:
        raise InputError(
            "scene indian_pines needs the tensorly package (it ships the data): pip install tensorly"
        ) from exc
    return Path(str(root))


def load(spec: SceneSpec = SPEC, offline: bool = False, root: Path | None = None) -> Scene:
    """Load the embedded scene from `root` (default: the tensorly package), checking both pins."""
    root = Path(root) if root is not None else data_dir()
    arrays, files = {}, {}
    for f in spec.files:
        path = root / f.name
        if not path.is_file():
            raise InputError(f"{path}: Indian Pines file missing from the installed tensorly package "
                             "(reinstall it: pip install --force-reinstall tensorly)")
        sha = sha256_file(path)
        if sha != f.sha256:
            raise InputError(f"{path}: sha256 {sha} is not the pinned {f.sha256}: the embedded Indian Pines file "
                             "was altered or comes from another tensorly build; reinstall tensorly")
        try:
            arrays[f.role] = np.load(path, allow_pickle=False)
        except Exception as exc:  # numpy raises several types for corrupt files
            raise InputError(f"{path}: not a readable .npy file ({exc})") from None
        files[f.role] = {"file": f.name, "sha256": sha, "check": "pinned", "url": f.url}
    src = f"tensorly:{_DATA}/{spec.file('cube').name}"
    gt = check_scene(arrays["cube"], arrays["gt"], src, f"tensorly:{_DATA}/{spec.file('gt').name}")
    ids = sorted(int(v) for v in np.unique(gt) if v > 0)
    return Scene(
        name=spec.name,
        cube=np.ascontiguousarray(arrays["cube"]),
        gt=gt,
        class_names={i: CLASS_NAMES.get(i, f"class {i}") for i in ids},
        source=src,
        citation=CITATION,
        files=files,
    )
