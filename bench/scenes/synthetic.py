"""Synthetic files in the real layouts of the named scenes, for the tests and the memory benchmark.

No network: the tests serve these files from a local HTTP server, the
benchmark puts them in a temporary cache. Layouts (see the family modules):

* EHU: a MATLAB v5 (scipy) or v7.3 (HDF5 with MATLAB's 512-byte header) file
  per array, under the EHU variable name;
* PURR: a zip holding `10_4231_R7RX991C/bundle.zip` (the band-sequential
  GeoTIFF cube) and `.../documentation/NS-line_Project_and_Ground_Reference_Files.zip`
  (the single-band ground-reference GeoTIFF and its `.clr` legend).
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hsbench.scenes.indian_pines_full import MEMBERS

# GeoTIFF tags (ModelPixelScale, ModelTiepoint, GeoKeyDirectory: projected, UTM zone 16N as the Purdue files)
_GEO_TAGS = [
    (33550, "d", 3, (20.0, 20.0, 0.0), False),
    (33922, "d", 6, (0.0, 0.0, 0.0, 500000.0, 4500000.0, 0.0), False),
    (34735, "H", 16, (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32616), False),
]


def labelled_scene(shape: tuple[int, int, int], counts: Mapping[int, int], seed: int = 0,
                   dtype: type = np.int16) -> tuple[np.ndarray, np.ndarray]:
    """A (H, W, B) cube and a ground truth with exactly `counts[id]` pixels of each class, at random places.

    Spectra are a class mean plus noise, so a classifier can learn them.
    """
    h, w, b = shape
    rng = np.random.default_rng(seed)
    flat = np.zeros(h * w, np.uint8 if max(counts) < 256 else np.uint16)
    places = rng.permutation(h * w)
    start = 0
    for cid, n in counts.items():
        flat[places[start : start + n]] = cid
        start += n
    if start > h * w:
        raise ValueError(f"{start} labelled pixels do not fit in {h} x {w}")
    gt = flat.reshape(h, w)
    means: np.ndarray = rng.integers(500, 4000, size=(int(max(counts)) + 1, b)).astype(dtype)
    cube = means[gt]
    for r in range(0, h, 64):  # noise a block of rows at a time: one cube in memory
        cube[r : r + 64] += rng.integers(0, 200, size=cube[r : r + 64].shape, dtype=dtype)
    return cube, gt


def write_mat(path: Path, arrays: Mapping[str, np.ndarray], version: str = "5") -> None:
    """A MATLAB file: "5" via scipy, "7.3" as HDF5 (arrays stored transposed, as MATLAB does)."""
    if version == "5":
        import scipy.io

        scipy.io.savemat(path, dict(arrays), do_compression=True)
        return
    import h5py

    with h5py.File(path, "w", userblock_size=512) as fh:
        for name, a in arrays.items():
            fh.create_dataset(name, data=np.asarray(a).T)
    header = (f"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: {time.ctime()} "
              "HDF5 schema 1.00 .").ljust(116).encode("ascii")
    with open(path, "r+b") as fh:
        fh.write(header + b"\x00" * 8 + b"\x00\x02" + b"IM")


def write_geotiff(path: Path, array: np.ndarray, bands_first: bool = True, colormap: np.ndarray | None = None) -> None:
    """A GeoTIFF: a (H, W, B) cube written band-sequential (bands_first) or interleaved, or a (H, W) map."""
    import tifffile

    kw: dict = {"extratags": _GEO_TAGS, "metadata": None}
    if array.ndim == 3:
        data = np.moveaxis(array, -1, 0) if bands_first else array
        kw.update(photometric="minisblack", planarconfig="separate" if bands_first else "contig")
        tifffile.imwrite(path, data, **kw)
    elif colormap is not None:
        tifffile.imwrite(path, array, photometric="palette", colormap=colormap, **kw)
    else:
        tifffile.imwrite(path, array, photometric="minisblack", **kw)


def legend_text(names: Mapping[int, str], newline: str = "\r") -> str:
    """A MultiSpec `.clr` legend: `ID R G B n:NAME~` per class (background 0 first)."""
    rng = np.random.default_rng(1)
    lines = ["0 255 255 255 n:background~"]
    for cid, name in names.items():
        r, g, b = (int(x) for x in rng.integers(0, 255, 3))
        lines.append(f"{cid} {r:3d} {g:3d} {b:3d} n:{name}~")
    return newline.join(lines) + newline


def purr_archive(path: Path, cube_tif: Path, gt_tif: Path, legend: str | None,
                 compression: int = zipfile.ZIP_DEFLATED) -> None:
    """The PURR archive layout around the given files (nested zips, written without holding them in memory)."""
    top = "10_4231_R7RX991C"
    with zipfile.ZipFile(path, "w", compression) as outer:
        with outer.open(f"{top}/bundle.zip", "w", force_zip64=True) as raw, \
                zipfile.ZipFile(raw, "w", compression) as bundle:
            bundle.write(cube_tif, f"aviris_hyperspectral_data/{MEMBERS['cube']}")
            bundle.writestr("aviris_hyperspectral_data/README.txt", "synthetic stand-in for the Purdue bundle\n")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression) as ref:
            folder = "NS-line_Project_and_Ground_Reference_Files"
            ref.write(gt_tif, f"{folder}/{MEMBERS['gt']}")
            if legend is not None:
                ref.writestr(f"{folder}/{MEMBERS['legend']}", legend.encode("latin-1"))
        outer.writestr(f"{top}/documentation/{folder}.zip", buf.getvalue())
        outer.writestr(f"{top}/documentation/readme.txt", "synthetic\n")
