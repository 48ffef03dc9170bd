"""The GIC UPV/EHU "Hyperspectral Remote Sensing Scenes": Pavia Centre and University, Salinas,
Salinas-A, Kennedy Space Center, Botswana.

Source: https://www.ehu.eus/ccwintco/index.php/Hyperspectral_Remote_Sensing_Scenes
(Grupo de Inteligencia Computacional, Universidad del País Vasco), at the file
URLs DeepHyperX's `datasets.py` uses (Salinas-A, which DeepHyperX lacks, at the
URLs hsdatasets uses). Each scene is two MATLAB files, a cube (H x W x B) and a
ground truth (H x W, 0 = unlabelled), read with scipy (v5) or h5py (v7.3);
the variable names below are those of the EHU files.

| scene | sensor | H x W x B | classes | labelled |
|---|---|---|---|---|
| pavia_centre | ROSIS | 1096 x 715 x 102 | 9 | 148,152 |
| pavia_university | ROSIS | 610 x 340 x 103 | 9 | 42,776 |
| salinas | AVIRIS (corrected) | 512 x 217 x 204 | 16 | 54,129 |
| salinas_a | AVIRIS (corrected) | 86 x 83 x 204 | 6 | 5,348 |
| ksc | AVIRIS | 512 x 614 x 176 | 13 | 5,211 |
| botswana | Hyperion (EO-1) | 1476 x 256 x 145 | 14 | 3,248 |

Class names are DeepHyperX's (the EHU page abbreviates some KSC classes).
Class counts are the EHU page's tables, except Pavia Centre, whose table
(824 Water, 820 Trees, ...) lists a sample; the counts given for it are the
ones commonly reported for Pavia_gt.mat. Salinas-A keeps Salinas's class ids
(1, 10-14). The ground truths of Pavia University and Salinas are pinned by
sha256 (public copies believed identical to the EHU originals); every other
file's hash is recorded at first download and checked afterwards.

Citation: M. Graña, M. A. Veganzones, B. Ayerdi, "Hyperspectral Remote Sensing
Scenes", GIC, UPV/EHU; Pavia scenes by courtesy of P. Gamba (University of
Pavia); KSC and Botswana from the Center for Space Research, University of
Texas at Austin. Licence: none stated by the source (public research data;
cite it).
"""

from __future__ import annotations

import numpy as np

from hsbench.scenes import Scene, check_scene
from hsbench.scenes.spec import FileSpec, SceneSpec

HOMEPAGE = "https://www.ehu.eus/ccwintco/index.php/Hyperspectral_Remote_Sensing_Scenes"
EHU = "Graña, Veganzones, Ayerdi. Hyperspectral Remote Sensing Scenes. GIC, UPV/EHU. " + HOMEPAGE
LICENCE = "none stated by the source (public research data; cite it)"
_EUS = "http://www.ehu.eus/ccwintco/uploads/"
_ES = "http://www.ehu.es/ccwintco/uploads/"


def _names(*names: str, ids: tuple[int, ...] | None = None) -> dict[int, str]:
    return dict(zip(ids or range(1, len(names) + 1), names, strict=True))


def _spec(name: str, title: str, files: tuple[FileSpec, ...], shape: tuple[int, int, int],
          class_names: dict[int, str], counts: tuple[int, ...], citation: str, counts_source: str = "",
          notes: str = "") -> SceneSpec:
    return SceneSpec(
        name=name, title=title, family="ehu", files=files, shape=shape, classes=len(class_names),
        class_names=class_names, counts=dict(zip(class_names.values(), counts, strict=True)),
        citation=f"{citation} Via {EHU}", licence=LICENCE, homepage=HOMEPAGE, counts_source=counts_source,
        notes=notes,
    )


PAVIA = ("Asphalt", "Meadows", "Gravel", "Trees", "Painted metal sheets", "Bare Soil", "Bitumen",
         "Self-Blocking Bricks", "Shadows")
SALINAS = ("Brocoli_green_weeds_1", "Brocoli_green_weeds_2", "Fallow", "Fallow_rough_plow", "Fallow_smooth",
           "Stubble", "Celery", "Grapes_untrained", "Soil_vinyard_develop", "Corn_senesced_green_weeds",
           "Lettuce_romaine_4wk", "Lettuce_romaine_5wk", "Lettuce_romaine_6wk", "Lettuce_romaine_7wk",
           "Vinyard_untrained", "Vinyard_vertical_trellis")
_PAVIA_CITE = "ROSIS scenes over Pavia, Italy, courtesy of P. Gamba, University of Pavia."
_SALINAS_CITE = "AVIRIS scene over Salinas Valley, California (3.7 m pixels, 20 water-absorption bands removed)."

SPECS = (
    _spec("pavia_centre", "Pavia Centre (ROSIS, 1096 x 715, 102 bands)",
          (FileSpec("Pavia.mat", _EUS + "e/e3/Pavia.mat", "cube", var="pavia"),
           FileSpec("Pavia_gt.mat", _EUS + "5/53/Pavia_gt.mat", "gt", var="pavia_gt")),
          (1096, 715, 102),
          _names("Water", "Trees", "Asphalt", "Self-Blocking Bricks", "Bitumen", "Tiles", "Shadows", "Meadows",
                 "Bare Soil"),
          (65971, 7598, 3090, 2685, 6584, 9248, 7287, 42826, 2863), _PAVIA_CITE,
          counts_source="commonly reported for Pavia_gt.mat; the EHU page's table (824 Water, ...) lists a sample"),
    _spec("pavia_university", "Pavia University (ROSIS, 610 x 340, 103 bands)",
          (FileSpec("PaviaU.mat", _EUS + "e/ee/PaviaU.mat", "cube", var="paviaU"),
           FileSpec("PaviaU_gt.mat", _EUS + "5/50/PaviaU_gt.mat", "gt", var="paviaU_gt", size=11_005,
                    sha256="23f6a426928f9b32984adffe659e29f554f9fb6c93b5a107528d308d5087a829")),
          (610, 340, 103), _names(*PAVIA), (6631, 18649, 2099, 3064, 1345, 5029, 1330, 3682, 947), _PAVIA_CITE),
    _spec("salinas", "Salinas (AVIRIS, 512 x 217, 204 bands)",
          (FileSpec("Salinas_corrected.mat", _EUS + "a/a3/Salinas_corrected.mat", "cube", var="salinas_corrected"),
           FileSpec("Salinas_gt.mat", _EUS + "f/fa/Salinas_gt.mat", "gt", var="salinas_gt", size=4_277,
                    sha256="ecfab4d31ef5553f097943235d8ea502038eb4a2067b2ad10b33e37c949955e2")),
          (512, 217, 204), _names(*SALINAS),
          (2009, 3726, 1976, 1394, 2678, 3959, 3579, 11271, 6203, 3278, 1068, 1927, 916, 1070, 7268, 1807),
          _SALINAS_CITE),
    _spec("salinas_a", "Salinas-A (AVIRIS, 86 x 83 subscene of Salinas, 204 bands)",
          (FileSpec("SalinasA_corrected.mat", _EUS + "1/1a/SalinasA_corrected.mat", "cube", var="salinasA_corrected"),
           FileSpec("SalinasA_gt.mat", _EUS + "a/aa/SalinasA_gt.mat", "gt", var="salinasA_gt")),
          (86, 83, 204),
          _names(SALINAS[0], *SALINAS[9:14], ids=(1, 10, 11, 12, 13, 14)),
          (391, 1343, 616, 1525, 674, 799), _SALINAS_CITE,
          notes="class ids are Salinas's (1, 10-14), as in the EHU file"),
    _spec("ksc", "Kennedy Space Center (AVIRIS, 512 x 614, 176 bands)",
          (FileSpec("KSC.mat", _ES + "2/26/KSC.mat", "cube", var="KSC"),
           FileSpec("KSC_gt.mat", _ES + "a/a6/KSC_gt.mat", "gt", var="KSC_gt")),
          (512, 614, 176),
          _names("Scrub", "Willow swamp", "Cabbage palm hammock", "Cabbage palm/oak hammock", "Slash pine",
                 "Oak/broadleaf hammock", "Hardwood swamp", "Graminoid marsh", "Spartina marsh", "Cattail marsh",
                 "Salt marsh", "Mud flats", "Water"),
          (761, 243, 256, 252, 161, 229, 105, 431, 520, 404, 419, 503, 927),
          "NASA AVIRIS over Kennedy Space Center, Florida, 23 March 1996 (18 m pixels); "
          "Center for Space Research, University of Texas at Austin."),
    _spec("botswana", "Botswana (Hyperion, 1476 x 256, 145 bands)",
          (FileSpec("Botswana.mat", _ES + "7/72/Botswana.mat", "cube", var="Botswana"),
           FileSpec("Botswana_gt.mat", _ES + "5/58/Botswana_gt.mat", "gt", var="Botswana_gt")),
          (1476, 256, 145),
          _names("Water", "Hippo grass", "Floodplain grasses 1", "Floodplain grasses 2", "Reeds", "Riparian",
                 "Firescar", "Island interior", "Acacia woodlands", "Acacia shrublands", "Acacia grasslands",
                 "Short mopane", "Mixed mopane", "Exposed soils"),
          (270, 101, 251, 215, 269, 269, 259, 203, 314, 248, 305, 181, 268, 95),
          "NASA EO-1 Hyperion over the Okavango Delta, Botswana, 2001 (30 m pixels); "
          "Center for Space Research, University of Texas at Austin."),
)


def load(spec: SceneSpec, offline: bool = False) -> Scene:
    """Download (unless cached), verify and read a scene's cube and ground-truth .mat files."""
    from hsbench.scenes import cache, registry  # registry imports this module
    from hsbench.scenes.files import read_array

    cube_f, gt_f = spec.file("cube"), spec.file("gt")
    cube_c = cache.fetch(spec, cube_f, offline)
    gt_c = cache.fetch(spec, gt_f, offline)
    cube = read_array(cube_c.path, cube_f.var, 3, "cube")
    gt = check_scene(cube, read_array(gt_c.path, gt_f.var, 2, "gt (ground truth)"), str(cube_c.path), str(gt_c.path))
    cache.remember(spec, [cube_c, gt_c])
    registry.warn_published(spec, cube.shape)
    ids = sorted(int(v) for v in np.unique(gt) if v > 0)
    return Scene(
        name=spec.name,
        cube=np.ascontiguousarray(cube),
        gt=gt,
        class_names={i: spec.class_names.get(i, f"class {i}") for i in ids},
        source=str(cube_c.path),
        citation=spec.citation,
        files={"cube": cube_c.entry(), "gt": gt_c.entry()},
    )

