"""hsbench run end to end on a tiny scene: every stage, the report, and resuming after a lost stage."""

from __future__ import annotations

import json

import numpy as np

from tests.conftest import make_scene


def _scene(tmp_path):
    """A tiny scene in files (20 x 20, 30 bands) under tmp_path/scene."""
    cube, gt = make_scene(h=20, w=20, bands=30)
    scene = tmp_path / "scene"
    scene.mkdir()
    np.save(scene / "cube.npy", cube)
    np.save(scene / "gt.npy", gt)
    return scene


def _small_run(tmp_path, scene, *extra):
    """`hsbench run` arguments for the smallest study: 1 rank, the seed grid, raw bands, 1 CNN epoch."""
    return ("run", "--cube", scene / "cube.npy", "--gt", scene / "gt.npy", "--train-fraction", "0.2",
            "--results", tmp_path / "results", "--work", tmp_path / "runs", "--ranks", "1", "--grids", "seed",
            "--cnn-epochs", "1", "--features", "raw", *extra)


def _run(cli, tmp_path, scene, epochs="2", features=()):
    return cli("run", "--cube", scene / "cube.npy", "--gt", scene / "gt.npy", "--train-fraction", "0.2",
               "--results", tmp_path / "results", "--work", tmp_path / "runs", "--ranks", "2",
               "--grids", "seed", "--cnn-epochs", epochs, *[a for f in features for a in ("--features", f)])


def test_run_all_stages_then_resume(tmp_path, cli, monkeypatch):
    scene = _scene(tmp_path)

    rc, out, err = _run(cli, tmp_path, scene)
    assert rc == 0, out + err
    res = tmp_path / "results" / "cube" / "random-0.2-s0"
    serial = json.loads((res / "svm_seed_serial.json").read_text())
    mpi = json.loads((res / "svm_seed_mpi2.json").read_text())
    cnn = json.loads((res / "cnn_modern_tensorflow" / "cnn.json").read_text())
    assert serial["ranks"] == 1 and mpi["ranks"] == 2
    assert [c["fold_accuracy"] for c in serial["cells"]] == [c["fold_accuracy"] for c in mpi["cells"]]
    # the same split, on the raw bands and on the default attribute profile
    eap = json.loads((res / "svm_seed_eap-4_serial.json").read_text())
    assert serial["dataset"]["features"] == "raw" and eap["dataset"]["features"] == "eap:4"
    assert eap["folds"] == serial["folds"] and eap["test"]["labels"] == serial["test"]["labels"]
    assert eap["dataset"]["feature_set"]["n_features"] == 4 * (1 + 2 * 1)  # 20 x 20: area 100 only
    assert eap["dataset"]["feature_set"]["params"]["dropped_area"] == [500, 1000, 5000]
    assert cnn["kind"] == "cnn" and cnn["epochs_run"] <= 2
    # a random split: stratified validation, the kept weights tested (no refit by default)
    assert cnn["hyper"]["val_split"] == "stratified" and cnn["refit"] is None
    assert json.loads((res / "dataset.json").read_text())["kind"] == "dataset"
    report = (tmp_path / "results" / "cube" / "REPORT.md").read_text()
    assert f"{100 * serial['test']['oa']:.2f}" in report
    # no GPU SVM run: its rows say so in the accuracy and time tables (the intro's legend does not count)
    gpu_rows = [line for line in report.splitlines() if line.startswith("| SVM GPU |")]
    assert len(gpu_rows) == 2 and all(line.split("|")[2].strip() == "not run" for line in gpu_rows)
    assert "svm_seed_serial" in out and "cnn_modern_tensorflow/cnn" in out  # the terminal summary
    assert "| SVM EAP |" in report and "| SVM raw |" in report
    assert "Test pixels to the nearest training pixel: 1 / 1 px" in report  # a random split: neighbours
    assert "refit" not in report.split("### 4. Time")[1].split("### 5.")[0]  # no refit column without a refit

    # lose one stage's result: a second run redoes that stage only
    (res / "svm_seed_mpi2.json").unlink()
    rc, out, err = _run(cli, tmp_path, scene)
    assert rc == 0, out + err
    assert out.count("done already") == 5  # prepare, serial grid, both eap grids, cnn
    assert "svm seed grid, 2 MPI ranks: running" in out
    assert (res / "svm_seed_mpi2.json").is_file()

    # results that this checkout's `hsbench run` did not make (e.g. committed reference results
    # in a fresh clone) are measured again, not taken as done
    (tmp_path / "runs" / ".hsbench-run-done.json").unlink()
    rc, out, err = _run(cli, tmp_path, scene)
    assert rc == 0, out + err
    assert out.count("done already") == 1  # prepare only

    # a stage asked with other arguments runs again; a finished MPI stage needs no mpiexec
    import hsbench.run
    from hsbench.errors import InputError

    def no_mpiexec() -> str:
        raise InputError("mpiexec not found")

    monkeypatch.setattr(hsbench.run, "find_mpiexec", no_mpiexec)
    rc, out, err = _run(cli, tmp_path, scene, epochs="3")
    assert rc == 0, out + err
    assert out.count("done already") == 5 and "cnn modern (tensorflow): running" in out
    assert json.loads((res / "cnn_modern_tensorflow" / "cnn.json").read_text())["epochs"] == 3
    # other feature sets: prepared again (the directory is run's own: --force), finished grids kept
    rc, out, err = _run(cli, tmp_path, scene, epochs="3", features=("raw",))
    assert rc == 0, out + err
    assert "prepare: running" in out and out.count("done already") == 3  # raw grids, cnn
    assert not list((tmp_path / "runs").glob("*/train.eap-4.libsvm"))


def test_run_over_seeds_resumes_without_redoing_finished_seeds(tmp_path, cli):
    scene = _scene(tmp_path)
    args = _small_run(tmp_path, scene, "--seeds", "0,1")
    rc, out, err = cli(*args)
    assert rc == 0, out + err
    res = tmp_path / "results" / "cube"
    for seed in (0, 1):  # each seed in its own data and results directories
        split = json.loads((res / f"random-0.2-s{seed}" / "dataset.json").read_text())["split"]
        assert split["seed"] == seed and (tmp_path / "runs" / f"cube-random-0.2-s{seed}" / "manifest.json").is_file()
    report = (res / "REPORT.md").read_text()
    assert "## Across seeds: cube, random split, train fraction 0.2 (seeds 0, 1)" in report
    assert "### 7. Model selection and significance" in report

    # killed during seed 1's CNN: a second run redoes that stage only
    (res / "random-0.2-s1" / "cnn_modern_tensorflow" / "cnn.json").unlink()
    rc, out, err = cli(*args)
    assert rc == 0, out + err
    assert out.count("done already") == 5 and "[seed 1, 3/3] cnn modern (tensorflow): running" in out

    rc, _, err = cli(*args[:-1], "1-")
    assert rc == 2 and err.count("\n") == 1 and "--seeds '1-'" in err


def test_a_malformed_feature_set_stops_run_before_any_stage(tmp_path, cli):
    rc, out, err = cli("run", "--results", tmp_path / "r", "--work", tmp_path / "w", "--features", "raw",
                       "--features", "emp:4:radii=7,5")
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert "--features 'emp:4:radii=7,5': radii must be strictly increasing" in err
    assert not (tmp_path / "w").exists() and not (tmp_path / "r").exists()


def test_the_cnn_stage_is_seeded_by_the_split_seed_and_resumes_only_its_own_checkpoint(tmp_path):
    import json

    from hsbench.run import RunConfig, stages

    cfg = RunConfig(seed=3, results=tmp_path / "results", work=tmp_path / "runs", ranks=1)
    cnn = stages(cfg)[-1]
    args = cnn.args
    assert args[args.index("--seed") + 1] == "3" and not cnn.resume
    state = cnn.output.parent / "checkpoint" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"config": {"seed": 0}}))  # a checkpoint of seed 0: another run
    assert not stages(cfg)[-1].resume
    state.write_text(json.dumps({"config": {"seed": 3}}))
    assert stages(cfg)[-1].resume
    state.unlink()  # a spatially cross-validated run checkpoints per fold: the first fold's seed tells
    fold = cnn.output.parent / "cv" / "fold-00" / "checkpoint" / "state.json"
    fold.parent.mkdir(parents=True)
    fold.write_text(json.dumps({"config": {"seed": 3}}))
    assert stages(cfg)[-1].resume


def test_a_grid_resumes_only_a_journal_its_own_arguments_started(tmp_path, cli):
    scene = _scene(tmp_path)
    args = _small_run(tmp_path, scene, "--seed", "2")
    rc, out, err = cli(*args)
    assert rc == 0, out + err
    res = tmp_path / "results" / "cube" / "random-0.2-s2" / "svm_seed_serial.json"
    first = json.loads(res.read_text())
    assert first["seed"] == 2 and first["resumed_tasks"] == 0  # the split seed seeds the folds
    record_path = tmp_path / "runs" / ".hsbench-run-done.json"

    def lose_result(started_by: str | None) -> None:
        record = json.loads(record_path.read_text())
        del record["outputs"][str(res)]
        if started_by is not None:
            record["started"][str(res)] = started_by
        record_path.write_text(json.dumps(record))
        res.unlink()

    # killed after its tasks were journaled, run again with the same arguments: the journal is resumed
    lose_result(None)
    rc, out, err = cli(*args)
    assert rc == 0, out + err
    again = json.loads(res.read_text())
    assert again["resumed_tasks"] == len(first["cells"]) * first["n_folds"]
    assert [c["fold_accuracy"] for c in again["cells"]] == [c["fold_accuracy"] for c in first["cells"]]

    # a journal that another command line started (an older fold seed, say) is not resumed: a fresh one
    # replaces it, where --resume would stop on "journal written for different inputs"
    journal = res.with_name(res.name + ".journal")
    lines = journal.read_text().splitlines()
    lines[0] = json.dumps({**json.loads(lines[0]), "key": "another"})
    journal.write_text("\n".join(lines) + "\n")
    lose_result(json.dumps({"args": ["grid", "--seed", "0"], "ranks": 1}))
    rc, out, err = cli(*args)
    assert rc == 0, out + err
    assert json.loads(res.read_text())["resumed_tasks"] == 0
    assert json.loads(journal.read_text().splitlines()[0])["key"] != "another"
