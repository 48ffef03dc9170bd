"""A scene given as a cube file and a ground-truth file (.mat, .npy or GeoTIFF), and the readers.

For .mat files (MATLAB v5, or v7.3 = HDF5) the variable is picked
automatically when the file holds exactly one 3-D array (cube) or one 2-D
array (ground truth); otherwise name it with --cube-var / --gt-var. A GeoTIFF
cube may be band-interleaved (bands last) or band-sequential (bands first, as
the Purdue NS-line file); either way the scene is (height, width, bands).
Class names are `class <id>` (files carry no legend).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsbench.errors import InputError
from hsbench.provenance import sha256_file
from hsbench.scenes import Scene, check_scene

TIFF = (".tif", ".tiff")


def read_array(path: str | Path, var: str | None, ndim: int, what: str) -> np.ndarray:
    """The array in `path` (.npy, .mat, .tif); InputError naming the file for anything unreadable."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: {what} file not found")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        try:
            return np.load(p, allow_pickle=False)
        except Exception as exc:  # numpy raises several types for corrupt files
            raise InputError(f"{path}: not a readable .npy file ({exc})") from None
    if suffix == ".mat":
        return _read_mat(p, var, ndim, what)
    if suffix in TIFF:
        return read_tif(p, ndim, what)
    raise InputError(f"{path}: unsupported {what} file type {suffix!r} (use .mat, .npy or .tif)")


def _read_mat(p: Path, var: str | None, ndim: int, what: str) -> np.ndarray:
    import scipy.io

    try:
        arrays = {k: v for k, v in scipy.io.loadmat(p).items() if not k.startswith("__")}
    except NotImplementedError:
        # MATLAB v7.3 files are HDF5; h5py stores them transposed
        import h5py

        try:
            with h5py.File(p, "r") as fh:
                arrays = {k: np.asarray(fh[k]).T for k in fh.keys() if isinstance(fh[k], h5py.Dataset)}
        except OSError as exc:
            raise InputError(f"{p}: unreadable .mat file ({exc})") from None
    except Exception as exc:
        raise InputError(f"{p}: unreadable .mat file ({exc})") from None
    arrays = {k: v for k, v in arrays.items() if isinstance(v, np.ndarray) and v.dtype != object}
    if var is not None:
        if var in arrays:
            return arrays[var]
        folded = [k for k in arrays if k.lower() == var.lower()]  # the same scene re-saved with other case
        if len(folded) == 1:
            return arrays[folded[0]]
        raise InputError(f"{p}: no variable {var!r} (has: {', '.join(sorted(arrays)) or 'none'})")
    candidates = [k for k, v in arrays.items() if v.ndim == ndim]
    if len(candidates) == 1:
        return arrays[candidates[0]]
    if not candidates:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in sorted(arrays.items())) or "no arrays"
        raise InputError(f"{p}: no {ndim}-D array for the {what} ({shapes})")
    raise InputError(
        f"{p}: several {ndim}-D arrays ({', '.join(sorted(candidates))}); name one with --{what.split()[0]}-var"
    )


def read_tif(p: Path, ndim: int, what: str) -> np.ndarray:
    """A GeoTIFF as (H, W) or (H, W, B), holding one copy of the data in memory.

    Band-sequential files (tifffile axes "SYX", "IYX", ...) are moved to bands
    last a block of rows at a time, from a memory map when the file is
    uncompressed, so the peak is about one copy of the cube.
    """
    import tifffile

    try:
        with tifffile.TiffFile(p) as tif:
            series = tif.series[0]
            axes, shape = series.axes, tuple(series.shape)
            data: np.ndarray | None = None
            if ndim == 3 and axes[-1] != "S":
                try:
                    data = tifffile.memmap(p, mode="r")
                except ValueError:  # compressed or tiled: not mappable
                    data = None
            if data is None:
                data = np.asarray(series.asarray())
    except Exception as exc:  # tifffile raises TiffFileError, ValueError, OSError, ... for bad files
        raise InputError(f"{p}: unreadable TIFF file ({type(exc).__name__}: {exc})") from None
    data = np.asarray(data).reshape(shape)
    if ndim == 2 or data.ndim != 3 or axes[-1] == "S":
        return data  # never a memory map here (only band-sequential cubes are mapped)
    bands, h, w = data.shape  # bands first: copy to bands last in row blocks
    out = np.empty((h, w, bands), data.dtype)
    step = max(1, (32 << 20) // max(1, w * bands * data.itemsize))
    for r in range(0, h, step):
        out[r : r + step] = np.moveaxis(data[:, r : r + step, :], 0, -1)
    return out


def load_files(cube: str, gt: str, cube_var: str | None = None, gt_var: str | None = None) -> Scene:
    cube_arr = read_array(cube, cube_var, 3, "cube")
    gt_arr = read_array(gt, gt_var, 2, "gt (ground truth)")
    gt_arr = check_scene(cube_arr, gt_arr, cube, gt)
    ids = sorted(int(v) for v in np.unique(gt_arr) if v > 0)
    files = {role: {"file": Path(p).name, "path": str(Path(p).resolve()), "sha256": sha256_file(p), "check": "computed"}
             for role, p in (("cube", cube), ("gt", gt))}
    return Scene(
        name=Path(cube).stem,
        cube=np.ascontiguousarray(cube_arr),
        gt=gt_arr,
        class_names={i: f"class {i}" for i in ids},
        source=f"{Path(cube).resolve()} + {Path(gt).resolve()}",
        files=files,
    )
