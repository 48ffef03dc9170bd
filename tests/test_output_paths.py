"""Output paths that cannot be written are refused before any work: exit 2, one line, nothing left behind."""

from __future__ import annotations

import numpy as np
import pytest

from hsbench.errors import InputError
from hsbench.paths import check_output_dir, check_output_file
from tests.cnn_fixtures import make_window_file
from tests.svm_fixtures import train_test_files


def _one_line_exit_2(cli, command: str, *args: object) -> str:
    rc, _, err = cli(command, *args)
    assert rc == 2, err
    assert err.startswith(f"hsbench {command}: error: ") and len(err.strip().splitlines()) == 1, err
    return err


def test_probes_leave_nothing_behind(tmp_path):
    check_output_dir(tmp_path / "a" / "b" / "c")
    check_output_file(tmp_path / "x" / "y" / "r.json")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "f").write_text("")
    with pytest.raises(InputError, match="exists and is not a directory"):
        check_output_dir(tmp_path / "f")
    with pytest.raises(InputError, match="f exists and is not a directory"):
        check_output_file(tmp_path / "f" / "r.json")
    with pytest.raises(InputError, match="is a directory"):
        check_output_file(tmp_path)
    with pytest.raises(InputError, match="cannot write there"):
        check_output_dir("/proc/hsbench-no/such")


def test_grid_refuses_an_unwritable_out(tmp_path, cli):
    train, _ = train_test_files(tmp_path, n=60)
    err = _one_line_exit_2(cli, "grid", "--train", train, "--gamma", "1", "--C", "1", "--folds", "2",
                           "--out", "/proc/x/g.json")
    assert "--out /proc/x/g.json: cannot write there" in err
    (tmp_path / "file").write_text("")
    err = _one_line_exit_2(cli, "grid", "--train", train, "--gamma", "1", "--C", "1", "--folds", "2",
                           "--out", tmp_path / "file" / "g.json")
    assert "exists and is not a directory" in err


def test_cnn_refuses_an_unwritable_out(tmp_path, cli):
    wfile = make_window_file(tmp_path / "w.h5", window=7)
    err = _one_line_exit_2(cli, "cnn", "--data", wfile, "--out", "/proc/x/c", "--epochs", "1")
    assert "--out /proc/x/c: cannot write there" in err
    (tmp_path / "file").write_text("")
    err = _one_line_exit_2(cli, "cnn", "--data", wfile, "--out", tmp_path / "file", "--epochs", "1")
    assert "exists and is not a directory" in err


def test_prepare_and_report_refuse_unwritable_outputs(tmp_path, cli, scene_files):
    err = _one_line_exit_2(cli, "prepare", "--cube", scene_files / "cube.npy", "--gt", scene_files / "gt.npy",
                           "--out", "/proc/x/ip")
    assert "cannot write there" in err
    from tests.fixtures.make_report_fixtures import write_fixtures

    write_fixtures(tmp_path / "res", ranks=(1,), cnn=False)
    err = _one_line_exit_2(cli, "report", tmp_path / "res", "-o", "/proc/x/REPORT.md")
    assert "-o /proc/x/REPORT.md: cannot write there" in err
    assert not np.any([p.name == "REPORT.md" for p in (tmp_path / "res").rglob("*")])
