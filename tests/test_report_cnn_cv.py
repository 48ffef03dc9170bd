"""How the report tells a spatially cross-validated CNN run's cost: per model-epoch, not per epoch of all folds."""

import pytest

from hsbench.report.sections import _cnn_epochs


def test_spatial_cv_epochs_are_told_per_fold_model():
    d = {"epochs_run": 30, "epochs": 100, "seconds_per_epoch": 9.0, "train_samples_per_second": 1000.0,
         "hyper": {"cv_epochs": 30}, "validation": {"kind": "spatial-cv", "folds": 10}}
    text, per_epoch, rate = _cnn_epochs(d)
    assert text == "30 / 30 x 10 folds" and per_epoch == pytest.approx(0.9) and rate == pytest.approx(10000.0)
    plain = {**d, "validation": {"kind": "spatial"}}
    assert _cnn_epochs(plain) == ("30 / 100", 9.0, 1000.0)
