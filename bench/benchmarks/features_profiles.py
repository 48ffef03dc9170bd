"""Benchmark: seconds and peak memory of the spectral-spatial features (emp:4, eap:4).

Two scenes: Indian Pines as shipped (145 x 145 x 200, its 10% random split, seed 0) and
a synthetic cube of the seed's full scene (1417 x 614 x 200, uint16: a few smooth
random fields mixed into the bands plus noise), with 40% of its pixels "labelled" and
split 10% / 90% (about the seed's share). Each case runs in a fresh process: the cube
and coordinates are made, the peak RSS is reset (/proc/self/clear_refs), and
`hsbench.features.make_features` runs once (PCA fit on the training pixels, the cube
projected on the components, every profile image, the scaling).

Reported per case: seconds; the peak RSS above the process's memory before the step;
the output (the scaled feature rows, float64, what the LibSVM files hold); and the
working memory = peak above baseline - output, in units of the N component images
(N x H x W float64): the target is "a few copies".

    python -m hsbench.benchmarks.features_profiles --out results/benchmarks/features_profiles.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from hsbench.atomic import write_json
from hsbench.features import make_features, parse_features
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
    """One case, in this process (meant to be a fresh one)."""
    cube, train, test = _scene(scene_name)
    h, w, bands = cube.shape
    spec = parse_features(kind, bands)
    baseline_kb = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    t0 = time.perf_counter()
    x_train, x_test = make_features(cube, train, test, spec)
    seconds = time.perf_counter() - t0
    peak_kb = _status_kb("VmHWM")
    mb = 1e-6
    unit = int(spec.n or 0) * h * w * 8
    above = (peak_kb - baseline_kb) * 1024
    output = x_train.nbytes + x_test.nbytes
    return {
        "scene": scene_name, "shape": [h, w, bands], "cube_dtype": str(cube.dtype), "features": kind,
        "n_features": int(x_train.shape[1]), "train_pixels": len(train), "test_pixels": len(test),
        "seconds": seconds, "baseline_rss_mb": baseline_kb * 1024 * mb, "peak_rss_mb": peak_kb * 1024 * mb,
        "peak_above_baseline_mb": above * mb, "output_mb": output * mb, "component_images_mb": unit * mb,
        "working_mb": (above - output) * mb, "working_in_component_images": (above - output) / unit,
    }


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
            print(f"{scene} {kind}: {case['seconds']:.2f} s, peak +{case['peak_above_baseline_mb']:.0f} MB "
                  f"(output {case['output_mb']:.0f} MB, working {case['working_mb']:.0f} MB = "
                  f"{case['working_in_component_images']:.2f} x the {case['component_images_mb']:.0f} MB "
                  "of component images)", flush=True)
            cases.append(case)
    write_json(args.out, {"kind": "benchmark", "benchmark": "features_profiles", "command": command_line(),
                          "created": now_iso(), "host": host_info(), "versions": package_versions(),
                          "cases": cases})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
