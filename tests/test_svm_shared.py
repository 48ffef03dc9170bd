"""One kernel per node under mpiexec, the kernel budget's bad inputs, `hsbench simulate` end to end."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.svm_fixtures import cli_env, run_cli, synthetic, write_libsvm

N = 1100  # three row blocks of at most 512: a kernel's rows can be split across two ranks
GRID = ["--gamma", "0.5,2,8", "--C", "1,100", "--folds", "3", "--quiet"]
KERNEL_MB = N * N * 8 / 2**20
needs_mpiexec = pytest.mark.skipif(shutil.which("mpiexec", path=cli_env()["PATH"]) is None, reason="no mpiexec")


def _cells(path):
    return [c["fold_accuracy"] for c in json.loads(path.read_text())["cells"]]


@pytest.fixture(scope="module")
def train(tmp_path_factory):
    X, y = synthetic(N, seed=4)
    return write_libsvm(tmp_path_factory.mktemp("shared") / "train.libsvm", X, y)


@pytest.fixture(scope="module")
def serial(train, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "s.json"
    proc = run_cli("--train", str(train), "--out", str(out), *GRID)
    assert proc.returncode == 0, proc.stderr
    return out


def test_serial_keeps_private_slots_and_records_costs(serial):
    res = json.loads(serial.read_text())
    assert res["kernel_slots"] == 3 and res["shared_kernel_mb"] == 0 and res["nodes"] == 1
    assert sorted(k["gamma"] for k in res["kernels"]) == [0.5, 2.0, 8.0]
    assert all(k["blocks"] == 3 and k["rows"] == N and k["ranks"] == [0] for k in res["kernels"])
    assert len(res["task_seconds"]) == 18 and all(s > 0 for s in res["task_seconds"])
    assert res["task_ranks"] == [0] * 18 and res["farm"]["root"] == "serial"
    assert len(res["peak_rss_mb"]) == 1 and res["peak_rss_mb"][0] > 0
    assert res["test"] is None and res["refit_seconds"] is None  # no test set: CV only, no refit


@needs_mpiexec
@pytest.mark.parametrize("root", ["thread", "inline"])
def test_two_ranks_share_one_kernel_per_gamma_and_equal_serial(train, serial, tmp_path, root):
    out = tmp_path / "r2.json"
    # room for two kernels per node: gamma by gamma, the next one computed while the last fits run
    proc = run_cli("--train", str(train), "--out", str(out), *GRID, "--kernel-cache-mb", str(2.5 * KERNEL_MB),
                   ranks=2, env={"HSBENCH_FARM_ROOT": root})
    assert proc.returncode == 0, proc.stderr
    assert _cells(out) == _cells(serial)  # bit for bit: the same kernel bytes, whoever computed them
    res = json.loads(out.read_text())
    assert res["nodes"] == 1 and res["node_of_rank"] == [0, 0] and res["kernel_slots"] == 2
    assert res["shared_kernel_mb"] == pytest.approx(2 * KERNEL_MB)
    assert sorted(k["gamma"] for k in res["kernels"]) == [0.5, 2.0, 8.0]  # once per node, not per rank
    assert all(k["rows"] == N for k in res["kernels"])
    assert {r for k in res["kernels"] for r in k["ranks"]} == {0, 1}  # rows split across the ranks
    assert set(res["task_ranks"]) == {0, 1} and res["farm"]["root"] == root
    assert len(res["peak_rss_mb"]) == len(res["peak_pss_mb"]) == 2


def test_a_kernel_over_the_budget_warns_once_and_fits_plain_rbf(train, serial, tmp_path):
    out = tmp_path / "plain.json"
    proc = run_cli("--train", str(train), "--out", str(out), *GRID, "--kernel-cache-mb", "1")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert f"one RBF kernel of {N} rows needs 9 MB, more than --kernel-cache-mb 1 per node" in warnings[0]
    res = json.loads(out.read_text())
    assert res["kernel_cache"] is False and res["kernel_slots"] == 0 and res["kernels"] == []
    for a, b in zip(json.loads(serial.read_text())["cells"], res["cells"], strict=True):
        assert abs(a["mean_accuracy"] - b["mean_accuracy"]) <= 1e-12


@pytest.mark.parametrize("budget", ["-1", "nan"])
def test_a_budget_that_is_no_budget_is_refused(train, tmp_path, budget):
    out = tmp_path / "r.json"
    proc = run_cli("--train", str(train), "--out", str(out), *GRID, f"--kernel-cache-mb={budget}")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "--kernel-cache-mb" in proc.stderr and "must be a number of MB >= 0" in proc.stderr
    assert not out.exists()


def test_simulate_replays_a_run_and_checks_itself(serial, tmp_path, cli):
    model = tmp_path / "model.json"
    rc, out, err = cli("simulate", serial, "--ranks", "1,2,64", "--ranks-per-node", "16",
                       "--measured", serial, "--out", model)
    assert rc == 0, err
    assert "measured" in out and "1 rank(s)" in out
    m = json.loads(model.read_text())
    assert [r["ranks"] for r in m["model"]] == [1, 2, 64] and m["model"][2]["nodes"] == 4
    assert m["model"][0]["speedup"] == 1.0 and 1.0 < m["model"][1]["speedup"] <= 2.0
    assert m["model"][2]["bound"] == "longest task"  # 18 tasks on 64 ranks
    assert len(m["validation"]) == 1 and abs(m["validation"][0]["error"]) < 0.5


def test_simulate_refuses_a_file_without_costs(serial, tmp_path, cli):
    old = json.loads(serial.read_text())
    del old["task_seconds"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    rc, _, err = cli("simulate", path)
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert f"{path}: no per-task costs" in err
    other = json.loads(serial.read_text())
    other["grid"]["gamma"] = [1.0]
    (tmp_path / "other.json").write_text(json.dumps(other))
    rc, _, err = cli("simulate", serial, "--measured", tmp_path / "other.json")
    assert rc == 2 and "another grid or other folds" in err
