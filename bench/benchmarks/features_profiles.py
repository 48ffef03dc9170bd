"""Benchmark: seconds and peak memory of the spectral-spatial features (emp:4, eap:4).

Two scenes: Indian Pines as shipped (145 x 145 x 200, its 10% random split, seed 0) and
a synthetic cube of the seed's full scene (1417 x 614 x 200, uint16: a few smooth
random fields mixed into the bands plus noise), with 40% of its pixels "labelled" and
split 10% / 90% (about the seed's share). Each case runs in a fresh process and
times the two steps of `hsbench.features.make_features` apart, resetting the peak RSS
(/proc/self/clear_refs) before each:

  pca        the PCA fitted on the training spectra, the cube projected on the N
             components a block of rows at a time -> N component images (N x H x W float64)
  profiles   every profile image of every component, sampled at the training and test
             pixels, then the scaling

Reported per step: seconds and the peak RSS above the memory held before it. For the
profiles, whose baseline holds the component images, the peak is split into the
output (the scaled feature rows, float64: what the LibSVM files hold) and the working
memory, also in units of the N component images: the target is "a few copies".

    python -m hsbench.benchmarks.features_profiles --out results/benchmarks/features_profiles.json
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from hsbench.atomic import write_json
from hsbench.features import fit_pca, parse_features, principal_images, profile_features, scale
from hsbench.provenance import command_line, host_info, now_iso, package_versions

SCENES = ("indian_pines", "full")
KINDS = ("emp:4", "eap:4")
FULL_SHAPE = (1417, 614, 200)


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/self/status")


def _scene(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cube, train coords, test coords)."""
    if name == "indian_pines":
        from hsbench.scenes import load_scene
        from hsbench.split import make_split

        scene = load_scene("indian_pines")
        split = make_split(scene.gt, "random", 0.1, 0, 9, (), 2)
        return scene.cube, split.train_coords, split.test_coords
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(0)
    h, w, b = FULL_SHAPE
    fields = [gaussian_filter(rng.normal(size=(h, w)), sigma) for sigma in (2, 4, 8, 16, 32, 64)]
    fields = [(f - f.mean()) / f.std() for f in fields]
    spectra = rng.uniform(0.2, 1.0, size=(len(fields), b))
    cube = np.empty(FULL_SHAPE, np.uint16)
    for band in range(b):  # one band at a time: no float64 copy of the cube
        mix = sum(s * f for s, f in zip(spectra[:, band], fields, strict=True))
        cube[:, :, band] = np.clip(4000 + 600 * mix + rng.normal(0, 50, size=(h, w)), 0, 65535)
    del fields
    labelled = rng.permutation(h * w)[: int(0.4 * h * w)]
    coords = np.stack(np.unravel_index(labelled, (h, w)), axis=1)
    n_train = len(coords) // 10
    return cube, coords[:n_train], coords[n_train:]


def measure(scene_name: str, kind: str) -> dict:
    """One case, in this process (meant to be a fresh one), the two steps apart."""
    cube, train, test = _scene(scene_name)
    h, w, bands = cube.shape
    spec = parse_features(kind, bands)
    unit = int(spec.n or 0) * h * w * 8  # the N component images, float64
    load = os.getloadavg()[0]  # other work on the machine slows the timing: recorded with it

    base = _reset_peak()
    t0 = time.perf_counter()
    components = principal_images(cube, fit_pca(cube, train, int(spec.n or 0)))
    pca_seconds = time.perf_counter() - t0
    pca_peak = _peak_above(base)

    base = _reset_peak()  # the components are in the baseline now
    t0 = time.perf_counter()
    x_train, x_test = scale(*profile_features(components, spec, (train, test)))
    profile_seconds = time.perf_counter() - t0
    profile_peak = _peak_above(base)
    output = x_train.nbytes + x_test.nbytes
    mb = 1e-6
    return {
        "scene": scene_name, "shape": [h, w, bands], "cube_dtype": str(cube.dtype), "features": kind,
        "n_features": int(x_train.shape[1]), "train_pixels": len(train), "test_pixels": len(test),
        "seconds": pca_seconds + profile_seconds, "pca_seconds": pca_seconds, "profile_seconds": profile_seconds,
        "component_images_mb": unit * mb,
        "pca_peak_above_baseline_mb": pca_peak * mb,
        "profile_peak_above_baseline_mb": profile_peak * mb, "output_mb": output * mb,
        "profile_working_mb": (profile_peak - output) * mb,
        "profile_working_in_component_images": (profile_peak - output) / unit,
        "load_average_1min_before": load,
    }


def _reset_peak() -> int:
    """Bytes resident now; the peak (VmHWM) is reset to it. Memory freed by the previous step is
    first handed back to the system (glibc malloc_trim), or the next step would reuse those
    resident pages and its peak would read too low."""
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS") * 1024


def _peak_above(base: int) -> int:
    return _status_kb("VmHWM") * 1024 - base


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("results/benchmarks/features_profiles.json"))
    p.add_argument("--scenes", default=",".join(SCENES), help="comma-separated: indian_pines, full")
    p.add_argument("--case", nargs=2, metavar=("SCENE", "KIND"), help=argparse.SUPPRESS)  # the child process
    args = p.parse_args(argv)
    if args.case:
        print(json.dumps(measure(*args.case)))
        return 0
    cases = []
    for scene in args.scenes.split(","):
        for kind in KINDS:
            proc = subprocess.run([sys.executable, "-m", "hsbench.benchmarks.features_profiles", "--case", scene,
                                   kind], capture_output=True, text=True, check=True)
            case = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{scene} {kind}: PCA + projection {case['pca_seconds']:.2f} s, peak "
                  f"+{case['pca_peak_above_baseline_mb']:.0f} MB; profiles {case['profile_seconds']:.2f} s, "
                  f"peak +{case['profile_peak_above_baseline_mb']:.0f} MB = output "
                  f"{case['output_mb']:.0f} MB + working {case['profile_working_mb']:.0f} MB "
                  f"({case['profile_working_in_component_images']:.2f} x the {case['component_images_mb']:.1f} MB "
                  "of component images)", flush=True)
            cases.append(case)
    write_json(args.out, {"kind": "benchmark", "benchmark": "features_profiles", "command": command_line(),
                          "created": now_iso(), "host": host_info(), "versions": package_versions(),
                          "cases": cases})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
