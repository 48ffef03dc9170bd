"""Training protocols on a tiny synthetic window file (TensorFlow backend, in-process)."""

import os
import signal

import keras
import numpy as np
import pytest

from hsbench.cnn import refit as refit_mod
from hsbench.cnn import train as train_mod
from hsbench.cnn.config import PROTOCOLS
from hsbench.cnn.loop import TrainingInterrupted
from hsbench.cnn.optimizer import learning_rate
from hsbench.cnn.train import train
from hsbench.cnn.validation import validation_split
from tests.cnn_fixtures import make_window_file

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="resume exactness pinned on TF")


@pytest.fixture(scope="module")
def wfile(tmp_path_factory):
    return make_window_file(tmp_path_factory.mktemp("w") / "w.h5", window=7)


def _seed_config(**kw):
    base = dict(epochs=4, batch_size=8, eval_every=1, checkpoint_every=2)
    base.update(kw)
    from dataclasses import replace

    return replace(PROTOCOLS["seed"], **base)


def test_seed_schedule_is_keras2_decay():
    sched = learning_rate(PROTOCOLS["seed"])
    for t in (0, 1, 1000, 200_000):
        assert float(sched(t)) == pytest.approx(1.0 / (1 + 5e-6 * t), rel=1e-6)


def test_resume_after_sigterm_reproduces_uninterrupted_run(tmp_path, wfile):
    full = train(wfile, tmp_path / "full", _seed_config(), verbose=0, log=lambda m: None)

    def kill_after_first_epoch(msg):
        if msg.startswith("epoch 1:"):
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(TrainingInterrupted) as exc:
        train(wfile, tmp_path / "cut", _seed_config(), verbose=0, log=kill_after_first_epoch)
    assert exc.value.signum == signal.SIGTERM
    assert not (tmp_path / "cut" / "model.keras").exists()  # an interrupted run leaves no final model
    resumed = train(wfile, tmp_path / "cut", _seed_config(), resume=True, verbose=0, log=lambda m: None)
    assert resumed.resumed_from == 1 and resumed.epochs_run == 4

    a = keras.models.load_model(tmp_path / "full" / "checkpoint" / "epoch-00004.keras")
    b = keras.models.load_model(tmp_path / "cut" / "checkpoint" / "epoch-00004.keras")
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    # the learning rate continues from the saved step count: lr / (1 + decay * iterations)
    from hsbench.cnn.windows import WindowFile

    steps = 4 * -(-len(WindowFile(wfile).train_labels) // 8)
    for m in (a, b):
        assert int(m.optimizer.iterations) == steps
        assert float(m.optimizer.learning_rate) == pytest.approx(1 / (1 + 5e-6 * steps), rel=1e-6)
    assert [r["loss"] for r in full.history] == pytest.approx([r["loss"] for r in resumed.history], rel=1e-5)
    assert full.best_epoch == resumed.best_epoch
    np.testing.assert_array_equal(full.predictions, resumed.predictions)
    assert "TEST" in full.selection


def test_validation_split_is_stratified_subset_of_training_rows():
    labels = np.repeat([1, 2, 3, 5], [20, 10, 1, 2])
    fit, val = validation_split(labels, 0.2, seed=3)
    assert set(fit).isdisjoint(val) and sorted([*fit, *val]) == list(range(len(labels)))
    assert [int((labels[val] == c).sum()) for c in (1, 2, 3, 5)] == [4, 2, 0, 1]
    np.testing.assert_array_equal(val, validation_split(labels, 0.2, seed=3)[1])
    assert not np.array_equal(val, validation_split(labels, 0.2, seed=4)[1])


def test_modern_validates_on_training_pixels_only(tmp_path, wfile, monkeypatch):
    from dataclasses import replace

    from hsbench.cnn.windows import WindowFile

    seen = []

    class Spy(train_mod.WindowDataset):
        def __init__(self, wf, coords, targets, batch_size, **kw):
            seen.append((kw.get("shuffle", False), {tuple(c) for c in coords}))
            super().__init__(wf, coords, targets, batch_size, **kw)

    monkeypatch.setattr(train_mod, "WindowDataset", Spy)
    cfg = replace(PROTOCOLS["modern"], epochs=2, batch_size=16, val_fraction=0.25)
    res = train(wfile, tmp_path / "m", cfg, verbose=0, log=lambda m: None)
    wf = WindowFile(wfile)
    train_px, test_px = {tuple(c) for c in wf.train_coords}, {tuple(c) for c in wf.test_coords}
    (_, fit_px), (_, val_px) = seen[0], seen[1]
    assert val_px and val_px <= train_px and val_px.isdisjoint(test_px) and val_px.isdisjoint(fit_px)
    assert fit_px | val_px == train_px and res.train_samples == len(fit_px)
    assert "validation" in res.selection and res.history[0]["val_loss"] is not None


def test_resume_after_an_early_stop_trains_no_further(tmp_path, wfile):
    from dataclasses import replace

    # patience 1 with a tiny lr: the validation loss soon fails to improve and the run stops early
    cfg = replace(PROTOCOLS["modern"], epochs=30, batch_size=8, patience=1, lr=1e-9, checkpoint_every=100)
    first = train(wfile, tmp_path / "o", cfg, verbose=0, log=lambda m: None)
    assert first.stopped_early and first.epochs_run < 30
    again = train(wfile, tmp_path / "o", replace(cfg, epochs=60), resume=True, verbose=0, log=lambda m: None)
    assert again.epochs_run == first.epochs_run and again.best_epoch == first.best_epoch
    np.testing.assert_array_equal(again.predictions, first.predictions)


def test_resume_refuses_a_checkpoint_of_other_data(tmp_path, wfile):
    from hsbench.cnn.errors import InputError

    train(wfile, tmp_path / "o", _seed_config(epochs=2), verbose=0, log=lambda m: None)
    other = make_window_file(tmp_path / "other.h5", window=7, seed=1)  # same shape, other pixels
    with pytest.raises(InputError, match="trained on other pixels or labels"):
        train(other, tmp_path / "o", _seed_config(epochs=3), resume=True, verbose=0, log=lambda m: None)


def test_a_disjoint_split_validates_on_a_spatial_block_chosen_by_accuracy_and_resumes(tmp_path):
    from dataclasses import replace

    from hsbench.cnn.windows import WindowFile

    wfile = make_window_file(tmp_path / "d.h5", h=30, w=30, window=7, split_kind="disjoint")
    cfg = replace(PROTOCOLS["modern"], epochs=3, batch_size=32, checkpoint_every=2, val_fraction=0.2,
                  val_split="spatial")
    full = train(wfile, tmp_path / "full", cfg, verbose=0, log=lambda m: None)
    assert (full.config.val_split, full.config.monitor) == ("spatial", "accuracy")  # accuracy: auto on spatial
    val = full.validation
    assert val is not None and val["kind"] == "spatial" and val["buffer"] == 6
    n_train = len(WindowFile(wfile).train_labels)
    assert val["pixels"] + val["fit_pixels"] + val["buffer_dropped"] == n_train == full.train_samples + \
        val["pixels"] + val["buffer_dropped"]
    # the kept epoch: highest validation accuracy, ties to the lower loss
    rows = full.history
    best = min(rows, key=lambda r: (-r["val_accuracy"], r["val_loss"], r["epoch"]))
    assert full.best_epoch == best["epoch"] and "highest validation accuracy" in full.selection

    def kill_after_first_epoch(msg):
        if msg.startswith("epoch 1:"):
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(TrainingInterrupted):
        train(wfile, tmp_path / "cut", cfg, verbose=0, log=kill_after_first_epoch)
    resumed = train(wfile, tmp_path / "cut", cfg, resume=True, verbose=0, log=lambda m: None)
    assert resumed.best_epoch == full.best_epoch and resumed.validation == val
    np.testing.assert_array_equal(full.predictions, resumed.predictions)


def test_the_refit_trains_a_fresh_model_on_every_training_pixel_for_the_kept_epochs(tmp_path, wfile, monkeypatch):
    from dataclasses import replace

    from hsbench.cnn.windows import WindowFile

    seen = []

    class Spy(train_mod.WindowDataset):
        def __init__(self, wf, coords, targets, batch_size, **kw):
            seen.append((kw.get("shuffle", False), len(coords)))
            super().__init__(wf, coords, targets, batch_size, **kw)

    monkeypatch.setattr(train_mod, "WindowDataset", Spy)
    monkeypatch.setattr(refit_mod, "WindowDataset", Spy)
    cfg = replace(PROTOCOLS["modern"], epochs=4, batch_size=16, val_fraction=0.25, refit=True)
    res = train(wfile, tmp_path / "r", cfg, verbose=0, log=lambda m: None)
    n_train = len(WindowFile(wfile).train_labels)
    r = res.refit
    assert r is not None and r.epochs == res.best_epoch and len(r.history) == res.best_epoch
    assert r.train_samples == n_train > res.train_samples
    assert (True, n_train) in seen  # a shuffled dataset of every training pixel fed the refit
    assert all(row["val_loss"] is None for row in r.history)  # nothing is chosen during the refit
    saved = keras.models.load_model(tmp_path / "r" / "model.keras")  # the tested model is the refit's
    wf = WindowFile(wfile)
    probs = saved.predict(train_mod.WindowDataset(wf, wf.test_coords, wf.test_labels, 16), verbose=0)
    np.testing.assert_array_equal(np.asarray(res.classes)[probs.argmax(1)], res.predictions)
    assert res.selected_predictions is not None and len(res.selected_predictions) == len(res.predictions)
    assert (tmp_path / "r" / "refit" / "history.csv").is_file() and "refit" in res.selection

    # the default after a single validation part: the kept weights are tested, no refit
    plain = train(wfile, tmp_path / "p", replace(cfg, refit=None), verbose=0, log=lambda m: None)
    assert plain.config.refit is False and plain.refit is None and plain.selected_predictions is None
    assert plain.best_epoch == res.best_epoch
    np.testing.assert_array_equal(plain.predictions, res.selected_predictions)  # the same kept weights


def test_a_refit_killed_mid_way_resumes_to_the_same_model_and_keeps_the_wall_time(tmp_path, wfile):
    import json
    from dataclasses import replace

    cfg = replace(PROTOCOLS["modern"], epochs=3, batch_size=16, val_fraction=0.25, patience=None,
                  checkpoint_every=1, monitor="accuracy", refit=True)
    full = train(wfile, tmp_path / "full", cfg, verbose=0, log=lambda m: None)
    assert full.refit is not None
    if full.refit.epochs < 2:
        pytest.skip("kept epoch 1: no refit epoch to cut after")
    refit_ckpt = str(tmp_path / "cut" / "refit" / "checkpoint")

    def kill_in_refit(msg):
        if msg.startswith("checkpoint: epoch 1 ") and msg.endswith(refit_ckpt):
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(TrainingInterrupted):
        train(wfile, tmp_path / "cut", cfg, verbose=0, log=kill_in_refit)
    assert not (tmp_path / "cut" / "model.keras").exists()
    state = json.loads((tmp_path / "cut" / "refit" / "checkpoint" / "state.json").read_text())
    assert state["epoch"] == 1 and state["wall_seconds"] > 0
    resumed = train(wfile, tmp_path / "cut", cfg, resume=True, verbose=0, log=lambda m: None)
    assert resumed.refit is not None and resumed.refit.resumed_from == 1
    np.testing.assert_array_equal(full.predictions, resumed.predictions)
    # the selection run and the refit's first epoch ran in the killed session: their wall time counts
    assert resumed.wall_scope == "run" and resumed.wall_seconds > state["wall_seconds"]


def test_the_seed_protocol_has_nothing_to_refit_with():
    from dataclasses import replace

    from hsbench.cnn.errors import InputError

    with pytest.raises(InputError, match="--refit needs a validation part"):
        replace(PROTOCOLS["seed"], refit=True)


def test_spatial_cv_keeps_the_epoch_of_the_best_mean_fold_accuracy_refits_and_resumes(tmp_path):
    import csv
    from dataclasses import replace

    from hsbench.cnn.windows import WindowFile
    from hsbench.svm.folds import make_spatial_folds

    wfile = make_window_file(tmp_path / "d.h5", h=30, w=30, window=7, split_kind="disjoint")
    cfg = replace(PROTOCOLS["modern"], batch_size=32, val_folds=3, cv_epochs=3, checkpoint_every=1)
    full = train(wfile, tmp_path / "full", cfg, verbose=0, log=lambda m: None, make_folds=make_spatial_folds)
    assert (full.config.val_split, full.config.monitor) == ("spatial-cv", "accuracy")  # a disjoint split's default
    n_train = len(WindowFile(wfile).train_labels)
    assert full.validation["kind"] == "spatial-cv" and full.validation["pixels"] == n_train  # each held out once
    curves = []
    for k in range(3):
        with open(tmp_path / "full" / "cv" / f"fold-{k:02d}" / "history.csv") as fh:
            curves.append([(float(r["val_accuracy"]), float(r["val_loss"])) for r in csv.DictReader(fh)])
    mean = [(np.mean([c[e][0] for c in curves]), np.mean([c[e][1] for c in curves])) for e in range(3)]
    assert full.best_epoch == 1 + min(range(3), key=lambda e: (-mean[e][0], mean[e][1], e))
    assert [r["val_accuracy"] for r in full.history] == pytest.approx([m[0] for m in mean])
    assert full.refit is not None and full.refit.epochs == full.best_epoch and full.refit.train_samples == n_train
    assert full.selected_predictions is None and "mean over the folds" in full.selection

    second = str(tmp_path / "cut" / "cv" / "fold-01" / "checkpoint")

    def kill_in_second_fold(msg):
        if msg.startswith("checkpoint: epoch 1 ") and msg.endswith(second):
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(TrainingInterrupted):
        train(wfile, tmp_path / "cut", cfg, verbose=0, log=kill_in_second_fold, make_folds=make_spatial_folds)
    said = []
    resumed = train(wfile, tmp_path / "cut", cfg, resume=True, verbose=0, log=said.append,
                    make_folds=make_spatial_folds)
    assert any("fold 2 of 3" in m and "from epoch 1" in m for m in said)  # the cut fold continued
    assert any("fold 1 of 3" in m and "finished in an earlier session" in m for m in said)  # not retrained
    assert resumed.best_epoch == full.best_epoch and resumed.wall_scope == "run"
    np.testing.assert_array_equal(full.predictions, resumed.predictions)


def test_spatial_cv_needs_the_refit_and_a_fold_builder(tmp_path):
    from dataclasses import replace

    from hsbench.cnn.errors import InputError

    with pytest.raises(InputError, match="needs --refit"):
        replace(PROTOCOLS["modern"], val_split="spatial-cv", refit=False)
    wfile = make_window_file(tmp_path / "d.h5", h=30, w=30, window=7, split_kind="disjoint")
    with pytest.raises(InputError, match="spatial fold builder"):
        train(wfile, tmp_path / "o", replace(PROTOCOLS["modern"], epochs=1), verbose=0, log=lambda m: None)
    assert not (tmp_path / "o").exists()
