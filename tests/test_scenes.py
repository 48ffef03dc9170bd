"""The scene registry, `hsbench scenes`, the embedded scene's pins, readers and bad input (no network)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from scene_fixtures import ehu_files, pin, sha256

from hsbench.errors import InputError
from hsbench.run import RunConfig, stages
from hsbench.scenes import indian_pines, load_scene, registry, synthetic
from hsbench.scenes.indian_pines_full import ids_from_colours, parse_legend

NAMES = ["indian_pines", "pavia_centre", "pavia_university", "salinas", "salinas_a", "ksc", "botswana",
         "indian_pines_full"]
EHU = NAMES[1:7]
ROOT = Path(__file__).resolve().parents[1]


def test_registry_has_the_eight_scenes_with_complete_entries():
    assert list(registry.SCENES) == NAMES
    for spec in registry.SCENES.values():
        assert spec.citation and spec.licence and spec.homepage.startswith("https://")
        assert spec.files and all(re.match(r"https?://", f.url) for f in spec.files)
        assert all(f.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", f.sha256) for f in spec.files)
        if spec.class_names:
            assert len(spec.class_names) == spec.classes
            assert set(spec.counts) <= set(spec.class_names.values())
    pinned = {f.name: f.sha256 for s in registry.SCENES.values() for f in s.files if f.sha256}
    assert pinned["PaviaU_gt.mat"].startswith("23f6a426") and pinned["Salinas_gt.mat"].startswith("ecfab4d3")
    assert pinned["Indian_pines_corrected.npy"].startswith("8f038e4d")
    full = registry.SCENES["indian_pines_full"]
    assert full.shape == (1417, 614, 220) and full.classes == 58 and len(full.counts) == 52
    assert full.labelled == 333_951


def test_scenes_command_lists_every_scene_cached_or_not(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("HSBENCH_DATA", str(tmp_path))
    (tmp_path / "ksc").mkdir()
    for f in registry.SCENES["ksc"].files:
        (tmp_path / "ksc" / f.name).write_bytes(b"x")
    (tmp_path / "botswana").mkdir()
    (tmp_path / "botswana" / "Botswana.mat.part").write_bytes(b"x")
    rc, out, _ = cli("scenes")
    assert rc == 0
    rows = {line.split()[0]: line for line in out.splitlines()[2:-1]}
    assert list(rows) == NAMES
    assert "1417 x 614 x 220" in rows["indian_pines_full"] and " 58 " in rows["indian_pines_full"]
    assert "embedded" in rows["indian_pines"] and "10,249" in rows["indian_pines"]
    assert re.search(r"\scached\s", rows["ksc"]) and rows["ksc"].endswith(str(tmp_path / "ksc"))
    assert "partly cached" in rows["botswana"] and "not cached" in rows["salinas"]


def test_unknown_scene_exits_2_with_the_names(cli):
    rc, _, err = cli("prepare", "--scene", "indian_pine", "--out", "x")
    assert rc == 2 and all(n in err for n in NAMES)
    with pytest.raises(InputError, match="unknown scene 'nope'; known: indian_pines, pavia_centre"):
        load_scene("nope")


def test_embedded_scene_agrees_with_its_published_size_and_counts():
    spec = registry.SCENES["indian_pines"]
    scene = load_scene("indian_pines")
    assert registry.published_mismatches(scene, spec) == []
    assert scene.shape == (145, 145, 200) and int((scene.gt > 0).sum()) == spec.labelled == 10_249
    assert {f["check"] for f in scene.files.values()} == {"pinned"}


def test_published_mismatches_reports_shape_and_counts():
    scene = load_scene("indian_pines")
    spec = registry.SCENES["salinas"]
    found = registry.published_mismatches(scene, spec)
    assert found[0] == "shape 145x145x200, published 512x217x204"
    assert "class 'Fallow': 0 pixels, published 1976" in found


def test_altered_embedded_file_fails_loudly(tmp_path):
    for f in indian_pines.FILES:
        shutil.copy(indian_pines.data_dir() / f.name, tmp_path / f.name)
    assert indian_pines.load(root=tmp_path).shape == (145, 145, 200)  # an unaltered copy loads
    cube = tmp_path / "Indian_pines_corrected.npy"
    data = bytearray(cube.read_bytes())
    data[-1] ^= 1  # one bit of one pixel
    cube.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"Indian_pines_corrected.npy: sha256 [0-9a-f]{64} is not the pinned 8f038e4d"):
        indian_pines.load(root=tmp_path)


def _shared_data() -> Path | None:
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "data" / "indian_pines" / "Indian_pines_gt.mat").is_file():
            return base / "shared" / "data" / "indian_pines"
    return None


@pytest.mark.skipif(_shared_data() is None, reason="no shared/data/indian_pines beside the checkout")
def test_original_ehu_ground_truth_matches_its_pin_and_the_embedded_one():
    path = _shared_data() / "Indian_pines_gt.mat"  # type: ignore[operator]
    ehu_gt = indian_pines.EHU_FILES[1]
    assert sha256(path.read_bytes()) == ehu_gt.sha256 and path.stat().st_size == ehu_gt.size
    gt = scipy.io.loadmat(path)[ehu_gt.var]
    np.testing.assert_array_equal(gt, load_scene("indian_pines").gt)


@pytest.mark.parametrize("name", EHU)
def test_ehu_scene_reads_its_real_layout(tmp_path, monkeypatch, name):
    """Synthetic files with the EHU variable names (and a decoy array each) placed in the cache."""
    spec = registry.SCENES[name]
    files, cube, gt = ehu_files(spec, tmp_path / "src", gt_version="7.3" if name == "salinas" else "5")
    monkeypatch.setenv("HSBENCH_DATA", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / name
    folder.mkdir(parents=True)
    for fname, data in files.items():
        (folder / fname).write_bytes(data)
    pin(monkeypatch, name, {f.name: sha256(files[f.name]) for f in spec.files if f.sha256})
    scene = load_scene(name, offline=True)
    np.testing.assert_array_equal(scene.cube, cube)
    np.testing.assert_array_equal(scene.gt, gt)
    assert scene.class_names == dict(spec.class_names)
    assert scene.shape[2] == spec.shape[2]
    checks = {role: f["check"] for role, f in scene.files.items()}
    assert checks["gt"] == ("pinned" if spec.file("gt").sha256 else "recorded")


def _bad_file(kind: str, d: Path) -> tuple[Path, Path]:
    cube, gt = synthetic.labelled_scene((10, 8, 5), {1: 20, 2: 20}, dtype=np.uint16)
    good_cube, good_gt = d / "cube.npy", d / "gt.npy"
    np.save(good_cube, cube)
    np.save(good_gt, gt)
    if kind == "truncated v5 .mat":
        synthetic.write_mat(d / "c.mat", {"c": cube})
        bad = d / "c.mat"
    elif kind == "truncated v7.3 .mat":
        synthetic.write_mat(d / "c.mat", {"c": cube}, version="7.3")
        bad = d / "c.mat"
    elif kind == "truncated .tif":
        synthetic.write_geotiff(d / "c.tif", cube)
        bad = d / "c.tif"
    else:  # a corrupt ground-truth .tif
        synthetic.write_geotiff(d / "g.tif", gt)
        bad = d / "g.tif"
        bad.write_bytes(b"II*\x00" + b"\xff" * 64)
        return good_cube, bad
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    return bad, good_gt


@pytest.mark.parametrize("kind", ["truncated v5 .mat", "truncated v7.3 .mat", "truncated .tif", "corrupt gt .tif"])
def test_truncated_or_corrupt_file_exits_2_naming_it(tmp_path, cli, kind):
    cube, gt = _bad_file(kind, tmp_path)
    rc, _, err = cli("prepare", "--cube", cube, "--gt", gt, "--out", tmp_path / "o")
    bad = gt if kind.startswith("corrupt gt") else cube
    assert rc == 2 and f"{bad}: unreadable" in err and "\n" not in err.strip()
    assert not (tmp_path / "o").exists()


def test_corrupt_cached_scene_file_exits_2_naming_it(tmp_path, cli, monkeypatch):
    files, _, _ = ehu_files(registry.SCENES["ksc"], tmp_path / "src")
    monkeypatch.setenv("HSBENCH_DATA", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "ksc"
    folder.mkdir(parents=True)
    (folder / "KSC.mat").write_bytes(files["KSC.mat"][:500])
    (folder / "KSC_gt.mat").write_bytes(files["KSC_gt.mat"])
    rc, _, err = cli("prepare", "--scene", "ksc", "--offline", "--out", tmp_path / "o")
    assert rc == 2 and f"{folder / 'KSC.mat'}: unreadable .mat file" in err


def test_ground_truth_of_another_shape_names_both(tmp_path, cli):
    cube, gt = synthetic.labelled_scene((10, 8, 5), {1: 20, 2: 20})
    np.save(tmp_path / "cube.npy", cube)
    synthetic.write_geotiff(tmp_path / "gt.tif", gt[:9])
    rc, _, err = cli("prepare", "--cube", tmp_path / "cube.npy", "--gt", tmp_path / "gt.tif", "--out", tmp_path / "o")
    assert rc == 2
    assert f"{tmp_path / 'gt.tif'}: ground truth is 9 x 8 but the cube {tmp_path / 'cube.npy'} is 10 x 8" in err


def test_tif_cube_either_interleave_and_dataset_records_input_hashes(tmp_path, cli):
    import json

    cube, gt = synthetic.labelled_scene((12, 10, 7), {1: 30, 2: 30})
    synthetic.write_geotiff(tmp_path / "seq.tif", cube, bands_first=True)
    synthetic.write_geotiff(tmp_path / "pix.tif", cube, bands_first=False)
    synthetic.write_geotiff(tmp_path / "gt.tif", gt)
    from hsbench.scenes.files import read_array

    for name in ("seq.tif", "pix.tif"):
        np.testing.assert_array_equal(read_array(tmp_path / name, None, 3, "cube"), cube)
    rc, _, err = cli("prepare", "--cube", tmp_path / "seq.tif", "--gt", tmp_path / "gt.tif", "--out", tmp_path / "o")
    assert rc == 0, err
    files = json.loads((tmp_path / "o" / "dataset.json").read_text())["scene"]["files"]
    assert files["cube"]["sha256"] == sha256((tmp_path / "seq.tif").read_bytes())
    assert files["cube"]["check"] == "computed"


@pytest.mark.parametrize("sep", ["\r", "\n", "\r\n", ""])
def test_legend_and_rgb_ground_reference(tmp_path, sep):
    text = synthetic.legend_text({1: "Corn-NoTill", 2: "Grass/Trees", 3: "Swampy Area"}, newline=sep)
    (tmp_path / "l.clr").write_text(text, encoding="latin-1")
    legend = parse_legend(tmp_path / "l.clr")
    assert {k: v[0] for k, v in legend.items()} == {0: "background", 1: "Corn-NoTill", 2: "Grass/Trees",
                                                     3: "Swampy Area"}
    ids = np.array([[0, 1, 2], [3, 3, 0]])
    colours = np.array([legend[i][1] for i in range(4)], np.uint8)[ids]
    np.testing.assert_array_equal(ids_from_colours(colours, legend, tmp_path / "gt.tif"), ids)
    colours[0, 0] = (1, 2, 3)
    with pytest.raises(InputError, match=r"gt.tif: colour \(1, 2, 3\) is not in the class legend"):
        ids_from_colours(colours, legend, tmp_path / "gt.tif")


def test_run_passes_scene_and_offline_to_prepare():
    argv = stages(RunConfig(scene="salinas", offline=True, ranks=1, grids=("seed",)))[0].args
    assert argv[argv.index("--scene") + 1] == "salinas" and "--offline" in argv
