"""A scene given as a cube file and a ground-truth file (.mat or .npy).

For .mat files the variable is picked automatically when the file holds exactly
one 3-D array (cube) or one 2-D array (ground truth); otherwise name it with
--cube-var / --gt-var. Class names are `class <id>` (files carry no legend).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsbench.errors import InputError
from hsbench.scenes import Scene, check_scene


def _read_array(path: str, var: str | None, ndim: int, what: str) -> np.ndarray:
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
    raise InputError(f"{path}: unsupported {what} file type {suffix!r} (use .mat or .npy)")


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
        if var not in arrays:
            raise InputError(f"{p}: no variable {var!r} (has: {', '.join(sorted(arrays)) or 'none'})")
        return arrays[var]
    candidates = [k for k, v in arrays.items() if v.ndim == ndim]
    if len(candidates) == 1:
        return arrays[candidates[0]]
    if not candidates:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in sorted(arrays.items())) or "no arrays"
        raise InputError(f"{p}: no {ndim}-D array for the {what} ({shapes})")
    raise InputError(
        f"{p}: several {ndim}-D arrays ({', '.join(sorted(candidates))}); name one with --{what.split()[0]}-var"
    )


def load_files(cube: str, gt: str, cube_var: str | None = None, gt_var: str | None = None) -> Scene:
    cube_arr = _read_array(cube, cube_var, 3, "cube")
    gt_arr = _read_array(gt, gt_var, 2, "gt (ground truth)")
    gt_arr = check_scene(cube_arr, gt_arr, cube, gt)
    ids = sorted(int(v) for v in np.unique(gt_arr) if v > 0)
    return Scene(
        name=Path(cube).stem,
        cube=np.ascontiguousarray(cube_arr),
        gt=gt_arr,
        class_names={i: f"class {i}" for i in ids},
        source=f"{Path(cube).resolve()} + {Path(gt).resolve()}",
    )
