"""Named scenes fetched from a local HTTP server: download, progress, resume, checksums, offline, failures.

The server (tests/scene_server.py) listens on 127.0.0.1 and serves synthetic
files in each scene's real format; HSBENCH_MIRROR points the registry's URLs
at it. No test reaches the internet.
"""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from scene_fixtures import ehu_files, full_scene_archive, full_scene_names, pin, sha256
from scene_server import serve

from hsbench.scenes import registry


@pytest.fixture
def server():
    with serve() as srv:
        yield srv


@pytest.fixture
def cache(tmp_path, monkeypatch, server):
    root = tmp_path / "cache"
    monkeypatch.setenv("HSBENCH_DATA", str(root))
    monkeypatch.setenv("HSBENCH_MIRROR", server.url)
    monkeypatch.setenv("HSBENCH_DOWNLOAD_TIMEOUT", "1")
    return root


def _serve_ehu(server, tmp_path, name, **kw):
    files, cube, gt = ehu_files(registry.SCENES[name], tmp_path / "src", **kw)
    server.files.update(files)
    return files, cube, gt


def test_download_progress_record_and_offline_reuse(tmp_path, cli, server, cache):
    files, cube, _ = _serve_ehu(server, tmp_path, "ksc", gt_version="7.3")  # KSC_gt.mat as MATLAB v7.3 (HDF5)
    out = tmp_path / "ksc"
    rc, _, err = cli("prepare", "--scene", "ksc", "--out", out)
    assert rc == 0, err
    assert "ksc: KSC.mat" in err and "100%" in err  # the tqdm bar, once per file
    folder = cache / "ksc"
    for name, data in files.items():
        assert (folder / name).read_bytes() == data
    assert not list(folder.glob("*.part"))
    record = json.loads((folder / "sha256.json").read_text())
    assert {k: v["sha256"] for k, v in record.items()} == {n: sha256(d) for n, d in files.items()}
    scene = json.loads((out / "dataset.json").read_text())["scene"]
    assert scene["files"]["cube"] == {"file": "KSC.mat", "sha256": sha256(files["KSC.mat"]), "check": "recorded",
                                      "url": f"{server.url}/KSC.mat"}
    assert scene["files"]["gt"]["check"] == "recorded"
    with h5py.File(out / "windows.h5") as f:
        np.testing.assert_array_equal(f["cube"][...], cube)  # the named variable, not the decoy
    assert json.loads((out / "dataset.json").read_text())["class_names"]["13"] == "Water"

    server.log.clear()
    rc, _, err = cli("prepare", "--scene", "ksc", "--offline", "--out", tmp_path / "again")
    assert rc == 0, err
    assert server.log == []  # cached and verified: no request


def test_resume_after_cut_connection(tmp_path, cli, server, cache):
    files, _, _ = _serve_ehu(server, tmp_path, "botswana")
    server.behaviour["Botswana.mat"] = "cut"
    rc, _, err = cli("prepare", "--scene", "botswana", "--out", tmp_path / "b")
    assert rc == 0, err
    first, second = server.requests_for("Botswana.mat")
    size = len(files["Botswana.mat"])
    assert first is None and second == f"bytes={size // 2}-"  # resumed where the cut left it
    assert (cache / "botswana" / "Botswana.mat").read_bytes() == files["Botswana.mat"]


def test_stale_part_restarts_when_range_is_ignored(tmp_path, cli, server, cache):
    files, _, _ = _serve_ehu(server, tmp_path, "salinas_a")
    server.behaviour["SalinasA_corrected.mat"] = "norange"
    folder = cache / "salinas_a"
    folder.mkdir(parents=True)
    (folder / "SalinasA_corrected.mat.part").write_bytes(b"garbage from an older run")
    rc, _, err = cli("prepare", "--scene", "salinas_a", "--out", tmp_path / "s")
    assert rc == 0, err
    assert server.requests_for("SalinasA_corrected.mat") == ["bytes=25-"]
    assert (folder / "SalinasA_corrected.mat").read_bytes() == files["SalinasA_corrected.mat"]


def test_pinned_checksum_mismatch_moves_file_aside(tmp_path, cli, server, cache):
    # the real pin of PaviaU_gt.mat against a synthetic file
    _serve_ehu(server, tmp_path, "pavia_university")
    out = tmp_path / "pu"
    rc, _, err = cli("prepare", "--scene", "pavia_university", "--out", out)
    assert rc == 2
    line = err.strip().splitlines()[-1]
    assert "PaviaU_gt.mat: sha256" in line and "is not the pinned 23f6a426" in line
    folder = cache / "pavia_university"
    assert (folder / "PaviaU_gt.mat.bad").is_file() and not (folder / "PaviaU_gt.mat").exists()
    assert not (folder / "PaviaU_gt.mat.part").exists()
    assert not out.exists()  # nothing prepared


def test_pinned_hash_accepted_and_recorded_in_dataset(tmp_path, cli, server, cache, monkeypatch):
    files, _, _ = _serve_ehu(server, tmp_path, "pavia_university")
    pin(monkeypatch, "pavia_university", {"PaviaU_gt.mat": sha256(files["PaviaU_gt.mat"])})
    out = tmp_path / "pu"
    rc, _, err = cli("prepare", "--scene", "pavia_university", "--out", out)
    assert rc == 0, err
    scene = json.loads((out / "dataset.json").read_text())["scene"]
    assert scene["files"]["gt"]["check"] == "pinned"
    assert scene["files"]["gt"]["sha256"] == sha256(files["PaviaU_gt.mat"])
    assert scene["files"]["cube"]["check"] == "recorded"  # PaviaU.mat has no pin
    record = json.loads((cache / "pavia_university" / "sha256.json").read_text())
    assert set(record) == {"PaviaU.mat"}  # a pinned file needs no record


def test_recorded_hash_catches_a_changed_file(tmp_path, cli, server, cache):
    _serve_ehu(server, tmp_path, "salinas_a")
    assert cli("prepare", "--scene", "salinas_a", "--out", tmp_path / "a")[0] == 0
    cached = cache / "salinas_a" / "SalinasA_corrected.mat"
    cached.write_bytes(cached.read_bytes() + b"\0")
    out = tmp_path / "b"
    rc, _, err = cli("prepare", "--scene", "salinas_a", "--offline", "--out", out)
    assert rc == 2
    assert "is not the recorded at first download" in err and "sha256.json" in err
    assert (cache / "salinas_a" / "SalinasA_corrected.mat.bad").is_file() and not cached.exists()
    assert not out.exists()


def test_offline_never_touches_the_network(tmp_path, cli, server, cache):
    _serve_ehu(server, tmp_path, "pavia_centre")
    rc, _, err = cli("prepare", "--scene", "pavia_centre", "--offline", "--out", tmp_path / "p")
    assert rc == 2
    line = err.strip()
    assert "\n" not in line
    assert "Pavia.mat is not in the cache and --offline forbids downloading it" in line
    assert f"{server.url}/Pavia.mat" in line and str(cache / "pavia_centre" / "Pavia.mat") in line
    assert "--cube FILE --gt FILE" in line
    assert server.log == []
    assert not cache.exists()


@pytest.mark.parametrize("behaviour, reason", [("404", "HTTP 404"), ("stall", "timed out")])
def test_unreachable_file_is_one_line_and_leaves_nothing(tmp_path, cli, server, cache, behaviour, reason):
    _serve_ehu(server, tmp_path, "pavia_centre")
    server.behaviour["Pavia.mat"] = behaviour
    rc, _, err = cli("prepare", "--scene", "pavia_centre", "--out", tmp_path / "p")
    assert rc == 2
    line = err.strip()
    assert "\n" not in line
    assert f"cannot download {server.url}/Pavia.mat" in line and reason in line
    assert f"put the file at {cache / 'pavia_centre' / 'Pavia.mat'}" in line and "--cube FILE --gt FILE" in line
    assert not (cache / "pavia_centre").exists()


def test_full_scene_from_the_archive_layout(tmp_path, cli, server, cache):
    archive, cube, _ = full_scene_archive(tmp_path / "src")
    server.files["10_4231_R7RX991C.zip"] = archive
    out = tmp_path / "full"
    # the seed's subset: the 52 classes with at least 100 pixels
    rc, _, err = cli("prepare", "--scene", "indian_pines_full", "--min-class-pixels", "100", "--out", out)
    assert rc == 0, err
    ds = json.loads((out / "dataset.json").read_text())
    names = full_scene_names()
    assert ds["class_names"] == {str(i): names[i] for i in range(1, 53)}  # names from the archive's legend
    assert ds["split"]["excluded"] == list(range(53, 59))
    assert ds["scene"]["shape"] == [80, 72, 220]
    files = ds["scene"]["files"]
    assert files["archive"]["sha256"] == sha256(archive) and files["archive"]["check"] == "recorded"
    assert {files[r]["file"] for r in ("cube", "gt", "legend")} == {
        "19920612_AVIRIS_IndianPine_NS-line.tif", "19920612_AVIRIS_IndianPine_NS-line_gr.tif",
        "19920612_AVIRIS_IndianPine_NS-line_gr.clr"}
    with h5py.File(out / "windows.h5") as f:
        np.testing.assert_array_equal(f["cube"][...], cube)  # band-sequential GeoTIFF -> (H, W, B)
    folder = cache / "indian_pines_full"
    assert not list(folder.glob(".*"))  # no nested zip or temporary file left

    # extracted once: the archive is no longer needed, the extracted files are verified by their recorded hashes
    (folder / "10_4231_R7RX991C.zip").unlink()
    server.log.clear()
    rc, _, err = cli("prepare", "--scene", "indian_pines_full", "--offline", "--out", tmp_path / "all58")
    assert rc == 0, err
    assert len(json.loads((tmp_path / "all58" / "dataset.json").read_text())["class_names"]) == 58
    assert server.log == []
    tif = folder / "19920612_AVIRIS_IndianPine_NS-line_gr.tif"
    tif.write_bytes(tif.read_bytes()[:-1] + b"\1")
    rc, _, err = cli("prepare", "--scene", "indian_pines_full", "--offline", "--out", tmp_path / "bad")
    assert rc == 2 and "NS-line_gr.tif: sha256" in err and (folder / (tif.name + ".bad")).is_file()


def test_full_scene_without_legend_names_classes_by_id(tmp_path, cli, server, cache):
    archive, _, _ = full_scene_archive(tmp_path / "src", shape=(30, 24, 220), big=4, small=2, legend=False)
    server.files["10_4231_R7RX991C.zip"] = archive
    rc, _, err = cli("prepare", "--scene", "indian_pines_full", "--out", tmp_path / "f")
    assert rc == 0, err
    names = json.loads((tmp_path / "f" / "dataset.json").read_text())["class_names"]
    assert names["58"] == "class 58" and len(names) == 58


def test_corrupt_archive_is_bad_input(tmp_path, cli, server, cache):
    server.files["10_4231_R7RX991C.zip"] = b"PK\x03\x04 not really a zip"
    rc, _, err = cli("prepare", "--scene", "indian_pines_full", "--out", tmp_path / "f")
    assert rc == 2
    assert "10_4231_R7RX991C.zip: unreadable zip archive" in err
