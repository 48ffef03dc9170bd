"""One installed namespace: every package folder is installed under `hsbench`, and the engines stay apart."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")


def test_every_package_folder_is_installed_under_hsbench():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set()
    for name, folder in cfg["package-dir"].items():
        assert name == "hsbench" or name.startswith("hsbench.")
        for init in (ROOT / folder).rglob("__init__.py"):
            found.add(".".join([name, *init.parent.relative_to(ROOT / folder).parts]))
    assert found == set(cfg["packages"])


@pytest.mark.parametrize("engine", ["svm", "cnn"])
def test_engines_import_neither_each_other_nor_the_suite(engine):
    own = f"hsbench.{engine}"
    for path in (ROOT / engine).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name == "hsbench" or name.startswith("hsbench."):
                    assert name == own or name.startswith(own + "."), f"{path.name} imports {name}"


def test_python_dash_m_hsbench_is_the_cli():
    proc = subprocess.run([sys.executable, "-m", "hsbench", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.startswith("hsbench ")
