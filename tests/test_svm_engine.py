"""svm engine: LibSVM validation, value syntax, folds, the sklearn oracle, aggregation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

from hsbench.svm import libsvm
from hsbench.svm.backends import SklearnBackend, make_backend
from hsbench.svm.errors import InputError
from hsbench.svm.grid import SEED_GRID, WIDE_GRID, Grid, fold_splits, make_folds, parse_values
from hsbench.svm.journal import Journal, journal_key, read
from hsbench.svm.search import run_search
from hsbench.svm.tasks import aggregate, fit_and_score, format_table
from tests.svm_fixtures import synthetic, write_libsvm

# --- LibSVM input -----------------------------------------------------------------

@pytest.mark.parametrize("text, fault", [
    ("1 1:0.5 2:0.1\n2 1:0.3 2:abc\n", ":2: '2:abc' is not index:value"),
    ("1 1:0.5\n2 0:0.3\n", ":2: feature index 0"),
    ("1 1:0.5\n2 -3:0.3\n", ":2: feature index -3"),
    ("1 1:0.5\n2 1:nan\n", ":2: feature 1 has value 'nan'"),
    ("1 1:0.5\n1 1:0.2\n2 2:inf\n", ":3: feature 2 has value 'inf'"),
    ("1 1:0.5\nx 1:0.2\n", ":2: label 'x' is not a number"),
    ("1.5 1:0.5\n", ":1: label '1.5' is not an integer"),
])
def test_bad_lines_name_file_and_line(tmp_path, text, fault):
    path = tmp_path / "bad.libsvm"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        libsvm.load(path)
    assert str(err.value).startswith(str(path) + fault)


def test_empty_file_and_single_class(tmp_path):
    empty = tmp_path / "empty.libsvm"
    empty.write_text("\n# only a comment\n")
    with pytest.raises(InputError, match="empty file"):
        libsvm.load(empty)
    one = tmp_path / "one.libsvm"
    one.write_text("3 1:0.5\n3 1:0.7 2:0.1\n")
    data = libsvm.load(one)
    with pytest.raises(InputError, match=r"single class \(3\)"):
        libsvm.check_training(data)


def test_load_densifies_pads_and_checks_test_labels(tmp_path):
    tr = tmp_path / "tr.libsvm"
    tr.write_text("1 1:0.5 3:1 # comment\n2 2:0.25\n")
    te = tmp_path / "te.libsvm"
    te.write_text("1 1:1\n5 2:1\n")
    train = libsvm.load(tr)
    assert train.X.flags.c_contiguous and train.X.dtype == np.float64
    np.testing.assert_array_equal(train.X, [[0.5, 0, 1], [0, 0.25, 0]])
    assert train.y.dtype.kind == "i" and train.classes == [1, 2]
    test = libsvm.load(te, n_features=3)
    assert test.X.shape == (2, 3)
    with pytest.raises(InputError, match=r"test labels \[5\] never occur"):
        libsvm.check_test(test, train)
    wide = tmp_path / "wide.libsvm"
    wide.write_text("1 4:1\n")  # a feature that is zero in every training row
    train, test = libsvm.load_pair(tr, wide)
    assert train.X.shape == (2, 4) and test.X.shape == (1, 4) and not train.X[:, 3].any()
    huge = tmp_path / "huge.libsvm"
    huge.write_text("1 1:1 2000000000:1\n2 2:1\n")
    with pytest.raises(InputError, match="too large to densify"):
        libsvm.load(huge)


# --- grid values and folds --------------------------------------------------------

def test_parse_values_lists_and_log_ranges():
    assert parse_values("2,4,8", "--gamma") == (2.0, 4.0, 8.0)
    assert parse_values("2^-6:2^4", "--gamma") == WIDE_GRID["gamma"]
    assert parse_values("1e0:1e5", "--C") == WIDE_GRID["C"]
    assert parse_values("0.5,2^0:2^2,4", "--gamma") == (0.5, 1.0, 2.0, 4.0)
    for bad, msg in [("0,1", "> 0"), ("-2", "> 0"), ("2^3:2^1", "lo <= hi"),
                     ("2^1:1e3", "same base"), ("abc", "not a number"), ("2,,4", "empty entry"),
                     ("1:10", "range is lo:hi")]:
        with pytest.raises(InputError, match=msg):
            parse_values(bad, "--C")


def test_grid_ids_and_longest_first_schedule():
    grid = Grid(gamma=SEED_GRID["gamma"], C=SEED_GRID["C"], n_folds=10)
    assert grid.n_tasks == 250
    assert grid.cell(0) == (2.0, 1.0) and grid.cell(24) == (32.0, 10000.0)
    assert grid.task(137) == (13, 7)
    order = grid.schedule()
    assert sorted(order) == list(range(250))
    first, last = grid.cell(grid.task(order[0])[0]), grid.cell(grid.task(order[-1])[0])
    assert first == (32.0, 10000.0) and last == (2.0, 1.0)
    costs = [math.log(grid.cell(grid.task(t)[0])[1]) for t in order]
    assert costs == sorted(costs, reverse=True)  # C never increases along the schedule
    with pytest.raises(InputError):
        Grid(gamma=(1.0, 0.0), C=(1.0,), n_folds=2)


@pytest.mark.filterwarnings("ignore:1 classes have fewer")
def test_folds_validated_stratified_and_warn_once_for_small_classes():
    y = np.array([1] * 30 + [2] * 20 + [3] * 3)
    with pytest.raises(InputError, match="2 <= folds <= 53"):
        make_folds(y, 1, 0)
    with pytest.raises(InputError, match="2 <= folds <= 53"):
        make_folds(y, 54, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folds = make_folds(y, 5, seed=7)
    msgs = [str(w.message) for w in caught]
    assert len(msgs) == 1 and "{3: 3}" in msgs[0]
    assert sorted(np.bincount(folds).tolist()) == [10, 10, 11, 11, 11]
    for f in range(5):  # stratified: class 1 has 6 per fold, class 2 has 4
        assert np.sum(y[folds == f] == 1) == 6 and np.sum(y[folds == f] == 2) == 4
    np.testing.assert_array_equal(folds, make_folds(y, 5, seed=7))
    assert not np.array_equal(folds, make_folds(y, 5, seed=8))


# --- the oracle: scikit-learn GridSearchCV on the same folds -----------------------

def _run_grid(backend, grid, folds, y, tmp_path):
    out = run_search(backend, grid, folds, y, journal_path=tmp_path / "j.journal", journal_key="k")
    return out.cells, out.best


# 64 MB: every gamma's kernel kept; 0.6 MB: two of the four at a time, gamma by gamma; 0: plain RBF fits
@pytest.mark.parametrize("cache_mb", [64, 0.6, 0])
def test_cells_equal_gridsearchcv(cache_mb, tmp_path):
    X, y = synthetic(180, seed=3)
    grid = Grid(gamma=(0.25, 1.0, 4.0, 16.0), C=(1.0, 10.0, 1000.0), n_folds=5)
    folds = make_folds(y, grid.n_folds, seed=1)
    backend = SklearnBackend(X, y, kernel_cache_mb=cache_mb)
    assert backend.kernel_cache == (cache_mb > 0)
    cells, best = _run_grid(backend, grid, folds, y, tmp_path)
    search = GridSearchCV(SVC(kernel="rbf"), {"gamma": list(grid.gamma), "C": list(grid.C)},
                          cv=fold_splits(folds, grid.n_folds), n_jobs=1).fit(X, y)
    want = {(p["gamma"], p["C"]): s for p, s in
            zip(search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True)}
    for cell in cells:
        assert abs(cell["mean_accuracy"] - want[(cell["gamma"], cell["C"])]) <= 1e-12
    assert len({c["mean_accuracy"] for c in cells}) > 3  # the grid is not degenerate
    top = max(want.values())
    assert best["mean_accuracy"] == pytest.approx(top, abs=1e-12)


def test_kernel_budget_counts_slots_and_refuses_bad_values():
    X, y = synthetic(100)
    one = 100 * 100 * 8
    assert SklearnBackend(X, y, kernel_cache_mb=2.5 * one / 2**20).kernel_slots == 2
    assert not SklearnBackend(X, y, kernel_cache_mb=0.5 * one / 2**20).kernel_cache
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(InputError, match=r"--kernel-cache-mb .*must be a number of MB >= 0"):
            SklearnBackend(X, y, kernel_cache_mb=bad)


# --- aggregation -------------------------------------------------------------------

def _rec(grid, cell, fold, acc, error=None):
    return {"task": cell * grid.n_folds + fold, "cell": cell, "fold": fold, "accuracy": acc,
            "fit_seconds": 30.0, "predict_seconds": 0.0, "error": error}


def test_best_ties_go_to_smaller_C_then_smaller_gamma():
    grid = Grid(gamma=(1.0, 2.0), C=(1.0, 10.0), n_folds=2)
    # cells: 0=(1,1) 1=(1,10) 2=(2,1) 3=(2,10); cells 1, 2, 3 tie at 0.9
    accs = {0: 0.5, 1: 0.9, 2: 0.9, 3: 0.9}
    cells, best = aggregate([_rec(grid, c, f, a) for c, a in accs.items() for f in range(2)], grid)
    assert (best["gamma"], best["C"]) == (2.0, 1.0)
    accs = {0: 0.5, 1: 0.9, 2: 0.5, 3: 0.9}
    _, best = aggregate([_rec(grid, c, f, a) for c, a in accs.items() for f in range(2)], grid)
    assert (best["gamma"], best["C"]) == (1.0, 10.0)
    table = format_table(cells, grid)
    assert table.splitlines()[1].split() == ["1", "50.00", "(1.00)", "90.00", "(1.00)"]


def test_failed_fits_are_recorded_warned_and_all_failed_raises():
    grid = Grid(gamma=(1.0,), C=(1.0, 10.0), n_folds=2)
    recs = [_rec(grid, 0, 0, 0.8), _rec(grid, 0, 1, 0.6),
            _rec(grid, 1, 0, math.nan, "ValueError: boom"), _rec(grid, 1, 1, 0.9)]
    with pytest.warns(RuntimeWarning, match="1 of 4 fits failed.*1 x ValueError: boom"):
        cells, best = aggregate(recs, grid)
    assert math.isnan(cells[1]["mean_accuracy"]) and best["C"] == 1.0
    with pytest.raises(RuntimeError, match="all 4 fits failed"):
        aggregate([_rec(grid, c, f, math.nan, "E") for c in range(2) for f in range(2)], grid)
    with pytest.raises(RuntimeError, match="1 of 4 tasks have no result"):
        aggregate(recs[:3], grid)


def test_fit_and_score_records_errors_instead_of_raising():
    _X, y = synthetic(40)
    grid = Grid(gamma=(1.0,), C=(1.0,), n_folds=2)
    folds = make_folds(y, 2, 0)

    class Broken:
        def fit_predict(self, *a):
            raise ValueError("no convergence")

    rec = fit_and_score(Broken(), grid, folds, y, 1)
    assert rec["error"] == "ValueError: no convergence" and math.isnan(rec["accuracy"])
    assert (rec["cell"], rec["fold"]) == (0, 1)


def test_unknown_backend():
    X, y = synthetic(20)
    with pytest.raises(InputError, match="unknown backend; choose one of sklearn, thundersvm"):
        make_backend("libsvm3", X, y)


# --- journal -----------------------------------------------------------------------

def test_journal_resume_key_and_cut_last_line(tmp_path):
    grid = Grid(gamma=(1.0,), C=(1.0,), n_folds=3)
    folds = np.array([0, 1, 2, 0, 1, 2])
    key = journal_key("abc", grid, folds, "sklearn")
    path = tmp_path / "r.json.journal"
    j = Journal(path, key, resume=False)
    j.append(_rec(grid, 0, 0, 0.5))
    j.append(_rec(grid, 0, 1, 0.75))
    j.close()
    with open(path, "a") as fh:
        fh.write('{"task": 2, "cell"')  # a kill in the middle of a write
    assert sorted(r["task"] for r in read(path, key)) == [0, 1]
    j = Journal(path, key, resume=True)  # drops the cut line, appends after it
    j.append(_rec(grid, 0, 2, 1.0))
    j.close()
    assert sorted(r["task"] for r in read(path, key)) == [0, 1, 2]
    for other in (journal_key("abd", grid, folds, "sklearn"),
                  journal_key("abc", grid, folds[::-1], "sklearn"),
                  journal_key("abc", Grid((2.0,), (1.0,), 3), folds, "sklearn"),
                  journal_key("abc", grid, folds, "thundersvm")):
        with pytest.raises(InputError, match="different inputs"):
            read(path, other)
    Journal(path, key, resume=False).close()  # without resume: a fresh journal
    assert read(path, key) == []


def test_written_file_roundtrip(tmp_path):
    X, y = synthetic(30)
    data = libsvm.load(write_libsvm(tmp_path / "a.libsvm", X, y))
    np.testing.assert_allclose(data.X, X, rtol=1e-15)
    np.testing.assert_array_equal(data.y, y)


def test_journal_cut_inside_its_header_starts_afresh(tmp_path):
    from hsbench.svm.journal import Journal, read

    path = tmp_path / "r.json.journal"
    path.write_text('{"format": "hsbench-svm-jou')  # killed while the header was written
    j = Journal(path, "k", resume=True)
    j.append({"task": 3, "accuracy": 0.5})
    j.close()
    assert [r["task"] for r in read(path, "k")] == [3]


def test_small_kernel_cache_computes_each_gamma_once_with_the_same_cells(tmp_path):
    from hsbench.svm.search import run_search
    from tests.svm_fixtures import synthetic

    X, y = synthetic(60, seed=3)
    grid = Grid(gamma=(0.05, 0.1, 0.5, 1.0, 2.0), C=(1.0, 10.0, 100.0), n_folds=3)
    folds = make_folds(y, 3, 0)
    two_slots_mb = 2 * 60 * 60 * 8 / 2**20
    small = SklearnBackend(X, y, kernel_cache_mb=two_slots_mb)
    big = SklearnBackend(X, y)
    assert small.kernel_slots == 2 and big.kernel_slots >= 5
    out = {}
    for name, backend in (("small", small), ("big", big)):
        out[name] = run_search(backend, grid, folds, y, journal_path=tmp_path / f"{name}.journal",
                               journal_key="k")
    for name in out:  # one gamma at a time or all at once: no kernel computed twice
        assert sorted(k["gamma"] for k in out[name].kernels) == list(grid.gamma)
        assert all(k["rows"] == 60 for k in out[name].kernels)
    assert out["small"].kernel_slots == 2 and out["big"].kernel_slots == 5
    assert [c["fold_accuracy"] for c in out["small"].cells] == [c["fold_accuracy"] for c in out["big"].cells]
