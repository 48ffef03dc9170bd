"""Slurm / PBS job scripts for the grid: valid bash, and every `hsbench grid` line parses."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from hsbench.cli import build_parser
from tests.svm_fixtures import ROOT

SCRIPTS = sorted((ROOT / "bench" / "jobs").glob("svm_grid_*.sh"))


def _grid_argv(script) -> list[list[str]]:
    text = script.read_text().replace("\\\n", " ")
    calls = []
    for line in text.splitlines():
        if "hsbench grid" in line and not line.lstrip().startswith("#"):
            # shell variables stand for paths and counts: give them harmless values
            line = re.sub(r'"?\$\{?[A-Za-z_][A-Za-z_0-9]*[^ "]*\}?"?', "4", line)
            calls.append(shlex.split(line.split("hsbench", 1)[1]))
    return calls


def test_there_are_cpu_and_gpu_scripts_for_slurm_and_pbs():
    names = {s.name for s in SCRIPTS}
    assert names >= {"svm_grid_cpu.slurm.sh", "svm_grid_gpu.slurm.sh",
                     "svm_grid_cpu.pbs.sh", "svm_grid_gpu.pbs.sh"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_script_is_bash_and_uses_real_options(script):
    subprocess.run(["bash", "-n", str(script)], check=True)
    calls = _grid_argv(script)
    assert len(calls) == 1, "one hsbench grid call per script"
    args = build_parser().parse_args(calls[0])  # exits (SystemExit) on an unknown option
    assert args.command == "grid" and args.func.__module__ == "hsbench.commands.grid"
    assert args.backend == ("thundersvm" if "_gpu" in script.name else "sklearn")
    assert args.resume  # a requeued job continues from the journal
