"""Tiny synthetic LibSVM data for the svm tests (a few hundred rows, made on the fly)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import dump_svmlight_file, make_classification

ROOT = Path(__file__).resolve().parents[1]


def synthetic(n: int = 150, n_features: int = 8, n_classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Min-max scaled features in [0, 1] and labels 1..n_classes, like a prepared file."""
    X, y = make_classification(n_samples=n, n_features=n_features, n_informative=5,
                               n_redundant=1, n_classes=n_classes, class_sep=0.8, random_state=seed)
    X = (X - X.min(0)) / (X.max(0) - X.min(0))
    return X, y + 1


def write_libsvm(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    dump_svmlight_file(X, y, str(path), zero_based=False)
    return path


def train_test_files(tmp: Path, n: int = 150, seed: int = 0) -> tuple[Path, Path]:
    X, y = synthetic(n + 60, seed=seed)
    return (write_libsvm(tmp / "train.libsvm", X[:n], y[:n]),
            write_libsvm(tmp / "test.libsvm", X[n:], y[n:]))


def cli_env() -> dict:
    """Environment for CLI subprocesses: the venv's bin first on PATH (mpiexec)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    for var in ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS"):
        env.pop(var, None)
    return env


def run_cli(*args: str, ranks: int = 1, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "hsbench", "grid", *args]
    if ranks > 1:
        cmd = ["mpiexec", "-n", str(ranks), *cmd]
    return subprocess.run(cmd, cwd=ROOT, env={**cli_env(), **(env or {})},
                          capture_output=True, text=True, timeout=timeout)
