"""Peak memory of `hsbench prepare --scene indian_pines_full` on a synthetic scene of the real shape.

    python -m hsbench.benchmarks.scene_full_memory --out results/benchmarks/scene_full_memory.json

Builds a 1417 x 614 x 220 int16 band-sequential GeoTIFF, its 58-class ground
reference (the 52 class sizes the seed tabulates plus six small classes) and
legend, packs them in the PURR archive layout (stored, not deflated, to save
time) inside a temporary cache, then runs `hsbench prepare --scene
indian_pines_full --offline` as a child process, twice: the first run
extracts the archive, the second reads the extracted files. The peak resident
set size of each child (ru_maxrss from os.wait4; it counts mapped file pages) is
compared with one float32 copy of the cube (766 MB); the target is at most
about two.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from hsbench.atomic import write_json
from hsbench.provenance import host_info, now_iso, package_versions
from hsbench.scenes import synthetic
from hsbench.scenes.indian_pines_full import COUNTS, SPEC

SMALL = (60, 45, 30, 20, 12, 5)  # six classes under 100 pixels (their real sizes are not published)


def build_cache(cache: Path) -> dict:
    """The synthetic archive in `cache`/indian_pines_full; returns what was built."""
    h, w, b = SPEC.shape
    counts = dict(enumerate([*COUNTS.values(), *SMALL], 1))
    cube, gt = synthetic.labelled_scene((h, w, b), counts)
    work = cache / "build"
    work.mkdir(parents=True)
    synthetic.write_geotiff(work / "cube.tif", cube, bands_first=True)
    del cube
    colormap = np.zeros((3, 256), np.uint16)
    colormap[:, 1:59] = np.random.default_rng(2).integers(0, 65535, (3, 58))
    synthetic.write_geotiff(work / "gt.tif", gt, colormap=colormap)
    names = dict(enumerate([*COUNTS, *(f"Small class {i}" for i in range(1, 7))], 1))
    folder = cache / SPEC.name
    folder.mkdir()
    archive = folder / SPEC.file("archive").name
    synthetic.purr_archive(archive, work / "cube.tif", work / "gt.tif", synthetic.legend_text(names),
                           compression=zipfile.ZIP_STORED)
    built = {"cube_tif_bytes": (work / "cube.tif").stat().st_size, "archive_bytes": archive.stat().st_size,
             "labelled_pixels": int(sum(counts.values())), "classes": len(counts)}
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    return built


def run_prepare(cache: Path, out: Path) -> dict:
    """One `hsbench prepare` child: wall seconds and its own peak RSS (os.wait4)."""
    cmd = [sys.executable, "-m", "hsbench", "prepare", "--scene", SPEC.name, "--offline", "--out", str(out)]
    env = {**os.environ, "HSBENCH_DATA": str(cache)}
    log = out.with_suffix(".log")
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text().strip()
    if proc.returncode:
        raise SystemExit(f"prepare failed ({proc.returncode}): {text}")
    return {"command": " ".join(["hsbench", *cmd[3:]]), "wall_seconds": round(wall, 1),
            "peak_rss_bytes": usage.ru_maxrss * 1024, "output": text.splitlines()[-1]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True, help="JSON file to write")
    p.add_argument("--work", type=Path, help="folder for the temporary cache (default: the system temp dir)")
    args = p.parse_args(argv)
    h, w, b = SPEC.shape
    f32 = h * w * b * 4
    with tempfile.TemporaryDirectory(dir=args.work, prefix="hsbench-scene-mem-") as tmp:
        cache = Path(tmp) / "cache"
        t0 = time.perf_counter()
        built = build_cache(cache)
        build_s = time.perf_counter() - t0
        runs = []
        for i, label in enumerate(("from the archive (extracts it)", "from the extracted files")):
            r = run_prepare(cache, Path(tmp) / f"out{i}")
            r["run"] = label
            r["peak_rss_float32_cubes"] = round(r["peak_rss_bytes"] / f32, 2)
            runs.append(r)
            print(f"{label}: {r['wall_seconds']} s, peak RSS {r['peak_rss_bytes']} bytes", flush=True)
        outputs = {f.name: f.stat().st_size for f in sorted((Path(tmp) / "out0").iterdir())}
    result = {
        "kind": "benchmark_scene_memory", "created": now_iso(), "host": host_info(), "versions": package_versions(),
        "scene": SPEC.name, "shape": list(SPEC.shape), "dtype": "int16", "int16_cube_bytes": h * w * b * 2,
        "float32_cube_bytes": f32, "synthetic": built, "build_seconds": round(build_s, 1), "runs": runs,
        "prepared_outputs_bytes": outputs,
        "note": "peak_rss_bytes: ru_maxrss of each prepare process (os.wait4); it counts mapped file pages too",
    }
    write_json(args.out, result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
