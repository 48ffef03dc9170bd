"""TensorFlow's oneDNN: on by default in every hsbench process, a user's value kept, the truth recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hsbench.cnn import flags

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("before, after", [(None, "1"), ("", "1"), ("0", "0"), ("1", "1")])
def test_the_default_is_on_and_a_users_value_is_kept(monkeypatch, before, after):
    monkeypatch.delenv(flags._SET_BY_HSBENCH, raising=False)
    if before is None:
        monkeypatch.delenv(flags.ONEDNN_VAR, raising=False)
    else:
        monkeypatch.setenv(flags.ONEDNN_VAR, before)
    flags.set_defaults()
    assert os.environ[flags.ONEDNN_VAR] == after
    assert flags._onednn_setting().endswith("(hsbench default)" if before in (None, "") else "(user)")


def _flags_in_a_fresh_process(env: dict[str, str]) -> dict:
    """What a new process that imports hsbench and then keras reports (TensorFlow backend)."""
    code = ("import json, hsbench, keras\nfrom hsbench.cnn.flags import backend_flags\n"
            "print(json.dumps(backend_flags()))")
    base = {k: v for k, v in os.environ.items() if k not in (flags.ONEDNN_VAR, flags._SET_BY_HSBENCH)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**base, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2", **env})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_tensorflow_really_runs_with_onednn_unless_the_user_turns_it_off():
    default = _flags_in_a_fresh_process({})
    assert default["onednn"] is True and default["onednn_setting"].endswith("(hsbench default)")
    assert default["intra_op_threads"] == default["inter_op_threads"] == os.cpu_count()
    assert default["mixed_precision"] == "float32"
    off = _flags_in_a_fresh_process({flags.ONEDNN_VAR: "0"})
    assert off["onednn"] is False and off["onednn_setting"] == "TF_ENABLE_ONEDNN_OPTS=0 (user)"
    threads = _flags_in_a_fresh_process({flags.INTRA_VAR: "1", flags.INTER_VAR: "1"})
    assert threads["intra_op_threads"] == threads["inter_op_threads"] == 1


def test_describe_is_one_line():
    line = flags.describe({"onednn": False, "intra_op_threads": 2, "inter_op_threads": 1,
                           "mixed_precision": "mixed_bfloat16"})
    assert line == "oneDNN off, threads 2 intra / 1 inter, mixed_bfloat16"
    assert flags.describe({"onednn": None, "intra_op_threads": 2, "inter_op_threads": None,
                           "mixed_precision": "float32"}) == "threads 2 intra, float32"
