"""Random and spatially disjoint splits."""

from __future__ import annotations

import numpy as np
import pytest

from hsbench.errors import InputError
from hsbench.split import make_split
from tests.conftest import make_scene


@pytest.fixture
def gt():
    return make_scene(h=40, w=40)[1]


def test_random_is_stratified_and_seeded(gt):
    s = make_split(gt, "random", 0.25, seed=1)
    for c in (1, 2, 3):
        n = int((gt == c).sum())
        assert (s.train_labels == c).sum() == round(0.25 * n)
    train = {tuple(x) for x in s.train_coords}
    test = {tuple(x) for x in s.test_coords}
    assert not train & test
    assert len(train) + len(test) == int((gt > 0).sum())
    assert np.all(gt[s.train_coords[:, 0], s.train_coords[:, 1]] == s.train_labels)
    assert not np.array_equal(make_split(gt, "random", 0.25, seed=2).train_coords, s.train_coords)
    np.testing.assert_array_equal(make_split(gt, "random", 0.25, seed=1).train_coords, s.train_coords)


def test_every_class_keeps_a_pixel_each_side():
    gt = np.zeros((5, 5), int)
    gt[0, :2] = 1  # 2 pixels: a tiny fraction still gives 1 train + 1 test
    gt[2:, :] = 2
    s = make_split(gt, "random", 0.01)
    assert set(s.train_labels) == {1, 2} and set(s.test_labels) == {1, 2}


def test_min_class_pixels_and_exclude(gt):
    gt = gt.copy()
    gt[0, 0:3] = 4  # a 3-pixel class
    s = make_split(gt, "random", 0.5, min_class_pixels=5, exclude=(2,))
    assert s.excluded == [2, 4]
    assert set(s.train_labels) | set(s.test_labels) == {1, 3}
    with pytest.raises(InputError, match=r"not in the ground truth: \[9\]"):
        make_split(gt, exclude=(9,))


@pytest.mark.parametrize("window", [3, 5])
def test_disjoint_buffer_keeps_windows_apart(gt, window):
    s = make_split(gt, "disjoint", 0.2, seed=0, window=window)
    d = np.abs(s.test_coords[:, None, :] - s.train_coords[None, :, :]).max(axis=2)
    assert d.min() >= window  # no test window overlaps a training window
    labelled = int((gt > 0).sum())
    gone = labelled - s.train_labels.size - s.test_labels.size
    assert s.buffer_dropped == gone - sum(int((gt == c).sum()) for c in s.missing_train)
    assert s.buffer_dropped > 0
    assert s.meta()["buffer"] == window - 1  # the dropped band: test pixels at distance <= window - 1
    assert make_split(gt, "random", 0.2, seed=0, window=window).meta()["buffer"] == 0
    assert set(s.train_labels) == {1, 2, 3}
