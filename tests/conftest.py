"""Shared fixtures: tiny synthetic scenes written as .npy/.mat, and an in-process CLI runner."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io

from hsbench.cli import main


def make_scene(h: int = 24, w: int = 24, bands: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes in horizontal bands of the image, spectra separable but noisy."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((h, w), np.uint8)
    gt[2:8, 2:22] = 1
    gt[9:15, 2:22] = 2
    gt[16:22, 2:22] = 3
    means = rng.uniform(100, 1000, size=(4, bands))
    cube = means[gt] + rng.normal(0, 60, size=(h, w, bands))
    return cube.astype(np.float32), gt


@pytest.fixture
def scene_files(tmp_path):
    cube, gt = make_scene()
    d = tmp_path / "scene"
    d.mkdir()
    np.save(d / "cube.npy", cube)
    np.save(d / "gt.npy", gt)
    scipy.io.savemat(d / "cube.mat", {"my_cube": cube})
    scipy.io.savemat(d / "gt.mat", {"my_gt": gt})
    return d


@pytest.fixture
def cli(capsys):
    """Run `hsbench ARGS` in-process; return (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        try:
            rc = main([str(a) for a in args])
        except SystemExit as exc:  # argparse errors
            rc = exc.code
        out, err = capsys.readouterr()
        return rc, out, err

    return run
