"""`hsbench report` from small fixture results (tests/fixtures/make_report_fixtures.py).

Expected numbers are computed here from the fixture dicts, not typed in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hsbench.cli import main
from hsbench.report import cell_minutes, collect_results, group_by_dataset, render_markdown
from tests.fixtures.make_report_fixtures import write_fixtures

SECTIONS = ("### 1. Setup", "### 2. Accuracy", "### 3. The grid, in the seed's style", "### 4. Time",
            "### 5. Anchors", "### 6. Figures")


def _report(results: Path, *extra: str) -> tuple[int, str]:
    rc = main(["report", str(results), *extra])
    out = results / "REPORT.md"
    return rc, out.read_text() if out.exists() else ""


def _line(md: str, *needles: str) -> str:
    """The one line of the markdown that contains every needle."""
    hits = [ln for ln in md.splitlines() if all(n in ln for n in needles)]
    assert len(hits) == 1, (needles, hits)
    return hits[0]


def _sec(md: str, heading: str) -> str:
    """The text of one section: from `heading` to the next ### heading."""
    start = md.index(heading)
    end = md.find("\n### ", start + 1)
    return md[start:] if end < 0 else md[start:end]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """Serial + 2-rank SVM, CNN, dataset.json; no GPU run. Report rendered once."""
    d = tmp_path_factory.mktemp("full")
    files = write_fixtures(d, ranks=(1, 2), gpu=False, cnn=True)
    rc, md = _report(d)
    assert rc == 0
    return d, files, md


def test_every_section_present_once(full):
    _, _, md = full
    for s in SECTIONS:
        assert md.count(s) == 1, s
    assert "## Dataset 1: tiny, random split, train fraction 0.3, seed 0" in md


def test_setup_counts_classes_hardware_versions(full):
    _, files, md = full
    ds = files["dataset.json"]
    setup = _sec(md, "### 1. Setup")
    for cid, name in ds["class_names"].items():
        expected = f"| {cid} | {name} | {ds['counts']['train'][cid]} | {ds['counts']['test'][cid]} |"
        assert expected in setup.splitlines()
    total = _cells(_line(md, "**total**"))
    assert total[2:] == [f"**{len(ds['train']['labels'])}**", f"**{len(ds['test']['labels'])}**"]
    assert "excluded: 3" in md
    host = files["svm/grid_r1.json"]["host"]
    assert _line(md, host["cpu"]).count(str(host["cores"])) >= 1
    for pkg, ver in files["svm/grid_r1.json"]["versions"].items():
        assert f"| {pkg} | {ver} |" in md
    assert "GPU model: none used (not run on a GPU)" in md


def test_accuracy_numbers_match_json(full):
    _, files, md = full
    md = _sec(md, "### 2. Accuracy")
    serial, cnn = files["svm/grid_r1.json"], files["cnn/cnn_modern.json"]
    row = _cells(_line(md, "| SVM serial | SVM sklearn/libsvm, raw, custom grid, 1 rank |"))
    t, b = serial["test"], serial["best"]
    assert row[3:6] == [f"{100 * t['oa']:.2f}", f"{100 * t['aa']:.2f}", f"{t['kappa']:.4f}"]
    assert row[6] == f"{100 * b['mean_accuracy']:.2f} ± {100 * b['std_accuracy']:.2f}"
    assert row[7] == f"gamma={b['gamma']:g}, C={b['C']:g}"
    row = _cells(_line(md, "| 3D-CNN | 3D-CNN modern, tensorflow, cpu | raw |"))
    assert row[3] == f"{100 * cnn['test']['oa']:.2f}" and row[6:] == ["n/a", "n/a"]
    # per-class: SVM and CNN side by side
    for cid, name in files["dataset.json"]["class_names"].items():
        row = _cells(_line(md, f"| {cid} | {name} |", "not run"))
        assert row[4] == f"{100 * t['per_class'][cid]:.2f}"
        assert row[-1] == f"{100 * cnn['test']['per_class'][cid]:.2f}"


def test_grid_in_seed_style_best_bold(full):
    _, files, md = full
    run = files["svm/grid_r1.json"]
    best = run["best"]
    for cell in run["cells"]:
        text = f"{100 * cell['mean_accuracy']:.2f} ({cell_minutes(cell):.2f})"
        expected = (sum(cell["fit_seconds"]) + sum(cell["predict_seconds"])) / 60
        assert f"({expected:.2f})" in text
        is_best = (cell["gamma"], cell["C"]) == (best["gamma"], best["C"])
        # serial and parallel tables both show it (same fixture accuracies)
        assert md.count(f"**{text}**" if is_best else f" {text} ") == 2
    assert "**SVM GPU**: not run." in md


def test_time_speedup_and_efficiency(full):
    _, files, md = full
    md = _sec(md, "### 4. Time")
    ws, wp = files["svm/grid_r1.json"]["wall_seconds"], files["svm/grid_r2.json"]["wall_seconds"]
    row = _cells(_line(md, "| SVM parallel (MPI) | SVM sklearn/libsvm, raw, custom grid, 2 ranks |"))
    assert row[3] == f"{wp:.2f}"
    assert row[5] == f"{ws / wp:.2f}" and row[6] == f"{ws / wp / 2:.2f}"
    cnn = files["cnn/cnn_modern.json"]
    row = _cells(_line(md, f"| 3D-CNN modern, tensorflow, cpu | {cnn['epochs_run']} / {cnn['epochs']} |"))
    refit = cnn.get("refit")
    # refit columns only where a run was refitted
    refit_cells = [f"{refit['epochs']} on {refit['train_samples']} px", f"{refit['train_seconds']:.2f}"] if refit \
        else []
    assert row[3:] == [f"{cnn['train_seconds']:.2f}", f"{cnn['seconds_per_epoch']:.2f}",
                       f"{cnn['train_samples_per_second']:.1f}", *refit_cells, f"{cnn['inference_seconds']:.2f}",
                       f"{cnn['inference_samples_per_second']:.1f}"]
    assert _cells(_line(md, "| SVM GPU | not run |", "| not run | not run |"))


def test_anchors_theirs_and_ours(full):
    _, files, md = full
    # the seed's quoted grid is scenario (2), engineered features: no such run in this fixture
    row = _cells(_line(md, "| (2) pre-processed: 10-fold CV, best cell |"))
    assert "77.02% at gamma=8, C=100" in row[1] and row[2] == "not run"
    row = _cells(_line(md, "| (1) raw bands: 10-fold CV, best cell |"))
    assert row[1].startswith("not quoted")
    b = files["svm/grid_r1.json"]["best"]
    assert f"{100 * b['mean_accuracy']:.2f}% at gamma={b['gamma']:g}, C={b['C']:g}" in row[2]
    assert "14.41 min serial -> 1.02 min on 80 cores" in md and "~9 h -> ~35 min" in md
    assert "~83.5% OA after 1000 epochs, 16 h on 2 K40 GPUs" in md
    assert "1,036 train / 9,330 test pixels, 0.49 h for 1000 epochs" in md
    assert "Cavallaro" in md and "JSTARS" in md and "Juelich" in md


def test_figures_written_nonempty_and_linked(full):
    d, _, md = full
    pngs = sorted((d / "figures").glob("*.png"))
    assert [p.name.split("_", 1)[1] for p in pngs] == ["cnn_curves.png", "grid.png", "maps.png", "speedup.png"]
    for p in pngs:
        assert p.stat().st_size > 5000 and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"](figures/{p.name})" in md


def test_deterministic(full, tmp_path):
    d, _, md = full
    assert main(["report", str(d), "-o", str(tmp_path / "again.md")]) == 0
    assert (tmp_path / "again.md").read_bytes() == md.encode("utf-8")
    loaded, _ = collect_results(d)
    assert render_markdown(group_by_dataset(loaded)) == render_markdown(group_by_dataset(reversed(loaded)))


def test_missing_cnn_gpu_and_dataset_file(tmp_path):
    write_fixtures(tmp_path, ranks=(1,), gpu=False, cnn=False, dataset_file=False)
    rc, md = _report(tmp_path)
    assert rc == 0
    assert "| 3D-CNN | not run |" in md and "| SVM parallel (MPI) | not run |" in md
    assert "| not run | not run | not run | not run | not run | not run | not run | not run |" in md
    assert "not drawn, no dataset.json" in md and "not drawn, no CNN run" in md
    assert "not drawn, needs a serial and at least one parallel" in md
    for line in md.splitlines():  # no blank table cells (the total row's id is the only one)
        if line.startswith("|") and "**total**" not in line:
            assert "|  |" not in line, line
    assert [p.name.split("_", 1)[1] for p in (tmp_path / "figures").glob("*.png")] == ["grid.png"]


def test_gpu_run_is_shown(tmp_path):
    files = write_fixtures(tmp_path, ranks=(1,), gpu=True, cnn=False)
    _rc, md = _report(tmp_path)
    gpu = files["svm/grid_gpu.json"]
    row = _cells(_line(_sec(md, "### 2."), "| SVM GPU | SVM thundersvm/gpu, raw, custom grid, 1 rank |"))
    assert row[3] == f"{100 * gpu['test']['oa']:.2f}"
    assert "GPU model: Tesla T4" in md
    row = _cells(_line(_sec(md, "### 4."), "| SVM GPU | SVM thundersvm/gpu, raw, custom grid, 1 rank |"))
    ws = files["svm/grid_r1.json"]["wall_seconds"]
    assert row[5] == f"{ws / gpu['wall_seconds']:.2f}" and row[6] == "n/a"


def test_two_datasets_are_reported_apart(tmp_path):
    write_fixtures(tmp_path / "random", ranks=(1,), cnn=False, split_kind="random")
    write_fixtures(tmp_path / "disjoint", ranks=(1, 2), cnn=True, split_kind="disjoint")
    rc, md = _report(tmp_path)
    assert rc == 0
    assert md.count("### 1. Setup") == 2
    assert "## Dataset 1: tiny, disjoint split" in md and "## Dataset 2: tiny, random split" in md
    first, second = md.split("## Dataset 2:")
    assert "| 3D-CNN | not run |" in second and "| 3D-CNN | not run |" not in first
    names = {p.name for p in (tmp_path / "figures").glob("*.png")}
    assert "tiny-disjoint-0.3-seed0_maps.png" in names and "tiny-random-0.3-seed0_maps.png" in names


def _err(capsys, argv: list[str]) -> tuple[int, str]:
    rc = main(argv)
    return rc, capsys.readouterr().err


def test_bad_input_errors(tmp_path, capsys):
    rc, err = _err(capsys, ["report", str(tmp_path / "nope")])
    assert rc == 2 and err.startswith("hsbench report: error:") and "no such results directory" in err

    (tmp_path / "notes.json").write_text(json.dumps({"hello": 1}))
    rc, err = _err(capsys, ["report", str(tmp_path)])
    assert rc == 2 and "no results JSON found" in err and "notes.json: skipped" in err

    write_fixtures(tmp_path, ranks=(1,), cnn=False)
    bad = tmp_path / "svm" / "broken.json"
    bad.write_text("{not json")
    rc, err = _err(capsys, ["report", str(tmp_path)])
    assert rc == 2 and str(bad) in err and "not valid JSON" in err
    assert not (tmp_path / "REPORT.md").exists()  # no partial output

    bad.write_text(json.dumps({"kind": "cnn", "dataset": {}, "protocol": "seed", "backend": "jax"}))
    rc, err = _err(capsys, ["report", str(tmp_path)])
    assert rc == 2 and "broken.json" in err and "lacks key(s) test" in err
    assert not (tmp_path / "REPORT.md").exists()


def test_grids_of_one_dataset_get_their_own_labels_and_serial_reference(tmp_path):
    from hsbench.atomic import write_json
    from tests.fixtures.make_report_fixtures import make_dataset, make_svm

    ds = make_dataset("random")
    write_json(tmp_path / "dataset.json", ds)
    wide = (0.5 / 8, 2.0 / 8)
    runs = {
        "seed_r1": make_svm(ds, ranks=1, wall=100.0, grid_name="seed"),
        "seed_r2": make_svm(ds, ranks=2, wall=60.0, grid_name="seed"),
        "wide_r1": make_svm(ds, ranks=1, wall=40.0, seed=5, gamma=wide, grid_name="wide"),
        "wide_r2": make_svm(ds, ranks=2, wall=25.0, seed=5, gamma=wide, grid_name="wide"),
    }
    for name, run in runs.items():
        write_json(tmp_path / f"{name}.json", run)
    rc, md = _report(tmp_path)
    assert rc == 0
    assert "#2" not in md
    # each parallel run is compared with the serial run of its own grid: 100/60 and 40/25
    assert _cells(_line(_sec(md, "### 4."), "| SVM sklearn/libsvm, raw, seed grid, 2 ranks |"))[5] == "1.67"
    assert _cells(_line(_sec(md, "### 4."), "| SVM sklearn/libsvm, raw, wide grid, 2 ranks |"))[5] == "1.60"


def test_a_resumed_run_is_marked_and_gets_no_speedup(tmp_path):
    files = write_fixtures(tmp_path, ranks=(1, 2), cnn=False)
    par = files["svm/grid_r2.json"]
    par["resumed_tasks"] = 5
    from hsbench.atomic import write_json

    write_json(tmp_path / "svm" / "grid_r2.json", par)
    rc, md = _report(tmp_path)
    assert rc == 0
    row = _cells(_line(_sec(md, "### 4."), "| SVM parallel (MPI) |"))
    assert row[3].endswith("(resumed: last session only)")
    assert row[5] == row[6] == "n/a"  # no speedup or efficiency from a partial wall time


def test_cnn_backend_flags_are_shown(full):
    _, files, md = full
    flags = files["cnn/cnn_modern.json"]["backend_flags"]
    assert flags["onednn"] is True
    row = _cells(_line(_sec(md, "### 4. Time"), "| oneDNN on, "))
    assert row[1:] == ["tensorflow", "oneDNN on, threads 2 intra / 1 inter, float32",
                       "TF_ENABLE_ONEDNN_OPTS=1 (hsbench default)"]


def test_cnn_backends_table_from_the_benchmark_json(full, tmp_path):
    from tests.fixtures.make_report_fixtures import make_cnn_backends

    d, _, _ = full
    bench = tmp_path / "cnn_backends.json"
    bench.write_text(json.dumps(make_cnn_backends()))
    rc = main(["report", str(d), "-o", str(tmp_path / "R.md"), "--cnn-backends", str(bench)])
    md = (tmp_path / "R.md").read_text()
    assert rc == 0 and md.count("## CNN backends on this machine") == 1
    on, off = _cells(_line(md, "| TensorFlow, oneDNN on |")), _cells(_line(md, "| TensorFlow, oneDNN off |"))
    assert on[1:6] == ["on", "float32", "2 / 2", "0.250", "0.500"] and on[-2:] == ["1.00x", "1.90"]
    assert off[1] == "off" and off[4:6] == ["2.500", "6.000"] and off[-2:] == ["12.00x", "1.00"]
    assert "failed: out of memory" in _line(md, "| JAX |")
    assert "Not installed here, so not measured: torch." in md
    assert _cells(_line(md, "| mixed_bfloat16 |"))[1:] == ["79.00", "69.00", "3.000"]
    # without the option the section is absent
    assert "CNN backends on this machine" not in full[2]


@pytest.mark.parametrize("content", [None, "{not json", '{"kind": "cnn"}'])
def test_a_bad_cnn_backends_file_is_one_line_and_no_report(full, tmp_path, capsys, content):
    d, _, _ = full
    bench = tmp_path / "b.json"
    if content is not None:
        bench.write_text(content)
    rc = main(["report", str(d), "-o", str(tmp_path / "R.md"), "--cnn-backends", str(bench)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and f"--cnn-backends {bench}" in err[0]
    assert not (tmp_path / "R.md").exists()


def test_engineered_features_are_a_method_of_their_own(tmp_path):
    """SVM raw, SVM EAP and the 3D-CNN side by side; the EAP's cost includes its feature extraction."""
    files = write_fixtures(tmp_path, ranks=(1, 2), cnn=True, spatial=True)
    rc, md = _report(tmp_path)
    assert rc == 0
    raw, eap, cnn = files["svm/grid_r1.json"], files["svm/grid_eap_r1.json"], files["cnn/cnn_modern.json"]
    acc = _sec(md, "### 2. Accuracy")
    eap_secs = files["dataset.json"]["feature_sets"]["eap:2"]["seconds"]
    row = _cells(_line(acc, "| SVM EAP |"))
    assert row[1] == "SVM sklearn/libsvm, eap:2, custom grid, 1 rank"
    assert row[2] == f"{100 * eap['test']['oa']:.2f}"
    assert row[6] == f"{eap_secs:.2f} + {eap['wall_seconds']:.2f} = {eap_secs + eap['wall_seconds']:.2f}"
    # raw: serial and 2-rank runs have the same cells; the tie goes to the first, the serial run
    assert _cells(_line(acc, "| SVM raw |"))[1] == "SVM sklearn/libsvm, raw, custom grid, 1 rank"
    row = _cells(_line(acc, "| 3D-CNN | 3D-CNN modern", "= "))
    assert row[2] == f"{100 * cnn['test']['oa']:.2f}" and row[6].endswith(f"= {cnn['wall_seconds']:.2f}")
    row = _cells(_line(_sec(md, "### 4."), "| SVM sklearn/libsvm, eap:2, custom grid, 1 rank | 1 |"))
    assert row[7:] == [f"{eap_secs:.2f}", f"{eap_secs + eap['wall_seconds']:.2f}"]
    # scenario (2) of the seed beside our engineered features, (1) beside raw bands
    b = eap["best"]
    row = _line(md, "| (2) pre-processed: 10-fold CV, best cell |")
    assert f"{100 * b['mean_accuracy']:.2f}% at gamma={b['gamma']:g}" in row and "raw" not in row
    assert "eap:2" in _line(md, "| (2) whole grid, serial -> parallel |")
    assert "eap:2" not in _line(md, "| (1) raw bands: 10-fold CV, best cell |")
    assert f"{100 * raw['best']['mean_accuracy']:.2f}%" in _line(md, "| (1) raw bands: 10-fold CV, best cell |")
    assert "- Feature set eap:2: 10 columns (area 2,4; components 2;" in md
    assert "test pixels included, as the CNN's windows do" in md


def test_a_report_without_engineered_features_says_so(full):
    _, _, md = full
    acc = _sec(md, "### 2. Accuracy")
    assert _cells(_line(acc, "| SVM EMP or EAP (engineered features) |"))[1] == "not run"
