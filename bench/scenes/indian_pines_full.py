"""The full Indian Pines NS-line flightline: 1417 x 614 pixels, 220 bands, 58 ground-reference classes.

The scene of the seed's study (Cavallaro et al. 2015 kept the 52 classes with
at least 100 pixels: `--min-class-pixels 100`; the Juelich CNN course used all
58 with 10% / 90%), not the 145 x 145 crop.

Source: Purdue University Research Repository, publication 1947,
doi:10.4231/R7RX991C, downloaded as one zip archive. Layout (from public
scripts that unpack it; not checked against the archive here):

    10_4231_R7RX991C.zip
      10_4231_R7RX991C/bundle.zip
        aviris_hyperspectral_data/19920612_AVIRIS_IndianPine_NS-line.tif   cube, 220 bands
      10_4231_R7RX991C/documentation/NS-line_Project_and_Ground_Reference_Files.zip
        .../19920612_AVIRIS_IndianPine_NS-line_gr.tif                      ground reference
        .../19920612_AVIRIS_IndianPine_NS-line_gr.clr                      legend (assumed, as for Site3)

Members are found by file name at any depth of nested zips, so a folder more
or less does not matter. They are extracted once into the cache and their
hashes recorded; the archive's own hash is recorded at first download.

Format: the cube is a GeoTIFF read with tifffile, band-sequential (bands
first, as tifffile reads the Site3 file of the same archive), 16-bit;
1417 x 614 x 220 x 2 bytes = 383 MB. The ground reference is a single-band
class map (value = class id, 0 = background); an RGB map is turned into ids
through the legend's colours. The legend (`.clr`, one `ID R G B n:NAME` entry
per class, as the Site3 legend of the same archive) gives the class names;
without it classes are named `class <id>`.

Classes: 58. `COUNTS` holds the pixels of the 52 classes with at least 100
pixels, as the seed's lecture tabulates them (training + test of a 10% split;
333,951 pixels); the six smaller classes are not listed there.

Citation: Baumgardner, M. F., Biehl, L. L., Landgrebe, D. A. (2015). 220 Band
AVIRIS Hyperspectral Image Data Set: June 12, 1992 Indian Pine Test Site 3.
Purdue University Research Repository. doi:10.4231/R7RX991C.
Licence: as stated on the PURR record (not checked here).
"""

from __future__ import annotations

import re
import shutil
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from hsbench.atomic import atomic_path
from hsbench.errors import InputError
from hsbench.scenes import Scene, check_scene
from hsbench.scenes.indian_pines import CITATION
from hsbench.scenes.spec import FileSpec, SceneSpec

ARCHIVE = FileSpec("10_4231_R7RX991C.zip", "https://purr.purdue.edu/publications/1947/serve/1?render=archive",
                   "archive")
MEMBERS = {
    "cube": "19920612_AVIRIS_IndianPine_NS-line.tif",
    "gt": "19920612_AVIRIS_IndianPine_NS-line_gr.tif",
    "legend": "19920612_AVIRIS_IndianPine_NS-line_gr.clr",
}
REQUIRED = ("cube", "gt")

# the seed's table of the 52 classes with >= 100 pixels (training + test = all pixels of the class)
COUNTS = {
    "Buildings": 17195, "Corn": 17783, "Corn?": 158, "Corn-EW": 514, "Corn-NS": 2356, "Corn-CleanTill": 12404,
    "Corn-CleanTill-EW": 26486, "Corn-CleanTill-NS": 39678, "Corn-CleanTill-NS-Irrigated": 800,
    "Corn-CleanTilled-NS?": 1728, "Corn-MinTill": 1049, "Corn-MinTill-EW": 5629, "Corn-MinTill-NS": 8862,
    "Corn-NoTill": 4381, "Corn-NoTill-EW": 1206, "Corn-NoTill-NS": 5685, "Fescue": 114, "Grass": 1147,
    "Grass/Trees": 2331, "Hay": 1128, "Hay?": 2185, "Hay-Alfalfa": 2258, "Lake": 224, "NotCropped": 1940,
    "Oats": 1742, "Oats?": 335, "Pasture": 10386, "pond": 102, "Soybeans": 9391, "Soybeans?": 894,
    "Soybeans-NS": 1110, "Soybeans-CleanTill": 5074, "Soybeans-CleanTill?": 2726, "Soybeans-CleanTill-EW": 11802,
    "Soybeans-CleanTill-NS": 10387, "Soybeans-CleanTill-Drilled": 2242, "Soybeans-CleanTill-Weedy": 543,
    "Soybeans-Drilled": 15118, "Soybeans-MinTill": 2667, "Soybeans-MinTill-EW": 1832,
    "Soybeans-MinTill-Drilled": 8098, "Soybeans-MinTill-NS": 4953, "Soybeans-NoTill": 2157,
    "Soybeans-NoTill-EW": 2533, "Soybeans-NoTill-NS": 929, "Soybeans-NoTill-Drilled": 8731, "Swampy Area": 583,
    "River": 3110, "Trees?": 580, "Wheat": 4979, "Woods": 63562, "Woods?": 144,
}

SPEC = SceneSpec(
    name="indian_pines_full",
    title="Indian Pines NS-line flightline (AVIRIS, 1417 x 614, 220 bands, 58 classes), PURR archive",
    family="indian_pines_full",
    files=(ARCHIVE,),
    shape=(1417, 614, 220),
    classes=58,
    class_names={},  # from the archive's legend
    counts=COUNTS,
    counts_source="the seed's lecture (Cavallaro et al. 2015): the 52 classes with >= 100 pixels",
    citation=CITATION,
    licence="as stated on the PURR record (not checked here)",
    homepage="https://purr.purdue.edu/publications/1947/about?v=1",
    members=MEMBERS,
    notes="52 of the 58 classes have >= 100 pixels: --min-class-pixels 100 gives the seed's subset",
)


def load(spec: SceneSpec = SPEC, offline: bool = False) -> Scene:
    """The NS-line cube and ground reference, extracted from the (downloaded, verified) archive."""
    from hsbench.scenes import cache, registry  # registry imports this module
    from hsbench.scenes.files import read_array

    folder = cache.scene_dir(spec.name)
    archive_url = cache.file_url(spec.file("archive"))
    files: dict[str, cache.CachedFile] = {}
    if not all((folder / spec.members[r]).is_file() for r in REQUIRED):
        files["archive"] = cache.fetch(spec, spec.file("archive"), offline)
        extract(files["archive"].path, {spec.members[r] for r in spec.members}, folder)
    record = cache.Record(folder)
    for role, member in spec.members.items():
        path = folder / member
        if path.is_file():
            files[role] = cache.verify(path, None, record, f"{archive_url}#{member}")
        elif role in REQUIRED:
            raise InputError(f"{files['archive'].path if 'archive' in files else folder}: no {member} in the "
                             f"archive (the {role} of scene {spec.name})")
    cube = read_array(files["cube"].path, None, 3, "cube")
    gt = read_array(files["gt"].path, None, 2, "gt (ground truth)")
    legend = parse_legend(files["legend"].path) if "legend" in files else {}
    if gt.ndim == 3 and gt.shape[2] in (3, 4):
        gt = ids_from_colours(gt[..., :3], legend, files["gt"].path)
    gt = check_scene(cube, gt, str(files["cube"].path), str(files["gt"].path))
    cache.remember(spec, list(files.values()))
    registry.warn_published(spec, cube.shape)
    ids = sorted(int(v) for v in np.unique(gt) if v > 0)
    return Scene(
        name=spec.name,
        cube=cube,
        gt=gt,
        class_names={i: legend[i][0] if i in legend else f"class {i}" for i in ids},
        source=str(files["cube"].path),
        citation=spec.citation,
        files={role: f.entry() for role, f in files.items()},
    )


def extract(archive: Path, wanted: set[str], dest: Path) -> dict[str, Path]:
    """Extract the members named `wanted` (by file name, at any depth of nested zips) into `dest`."""
    found: dict[str, Path] = {}
    try:
        with zipfile.ZipFile(archive) as zf:
            _walk(zf, wanted, dest, found)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as exc:
        raise InputError(f"{archive}: unreadable zip archive ({exc}); delete it to download it again") from None
    return found


def _walk(zf: zipfile.ZipFile, wanted: set[str], dest: Path, found: dict[str, Path]) -> None:
    infos = [i for i in zf.infolist() if not i.is_dir()]
    for info in infos:
        name = PurePosixPath(info.filename).name
        if name in wanted and name not in found:
            with zf.open(info) as src, atomic_path(dest / name) as tmp, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            found[name] = dest / name
    for info in infos:
        if len(found) == len(wanted):
            return
        if info.filename.lower().endswith(".zip"):
            nested = dest / f".{PurePosixPath(info.filename).name}.extracting"
            try:
                with zf.open(info) as src, open(nested, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                with zipfile.ZipFile(nested) as inner:
                    _walk(inner, wanted, dest, found)
            finally:
                nested.unlink(missing_ok=True)


_ENTRY = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*(?:n:)?(.*?)\s*$")


def parse_legend(path: Path) -> dict[int, tuple[str, tuple[int, int, int]]]:
    """A MultiSpec `.clr` legend: class id -> (name, (r, g, b)); entries split by newlines or `~`."""
    text = path.read_bytes().decode("latin-1")
    out = {}
    for entry in re.split(r"[~\r\n]+", text):
        m = _ENTRY.match(entry)
        if m:
            cid, r, g, b, name = m.groups()
            out[int(cid)] = (name.strip() or f"class {cid}", (int(r), int(g), int(b)))
    if not out:
        raise InputError(f"{path}: no 'ID R G B n:NAME' entries in the class legend")
    return out


def ids_from_colours(rgb: np.ndarray, legend: dict[int, tuple[str, tuple[int, int, int]]], path: Path) -> np.ndarray:
    """Class ids of an RGB class map, through the legend's colours."""
    if not legend:
        raise InputError(f"{path}: the ground reference is an RGB image and the archive has no legend to read it")
    codes = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    lut = {(r << 16) | (g << 8) | b: cid for cid, (_, (r, g, b)) in legend.items()}
    uniq, inverse = np.unique(codes, return_inverse=True)
    missing = [int(c) for c in uniq if int(c) not in lut]
    if missing:
        c = missing[0]
        raise InputError(f"{path}: colour ({c >> 16}, {(c >> 8) & 255}, {c & 255}) is not in the class legend")
    return np.array([lut[int(c)] for c in uniq], np.int64)[inverse].reshape(rgb.shape[:2])
