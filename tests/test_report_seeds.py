"""The report over split seeds: one seed renders as before, several get mean ± std, the verdict and
McNemar. Expected numbers are computed here from the fixture files, not typed in."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import numpy as np
import pytest

from hsbench.report import collect_results, group_by_dataset, render_markdown
from hsbench.significance import mcnemar
from tests.fixtures.make_report_fixtures import write_fixtures
from tests.test_report import _cells, _line

ONE_SEED = Path(__file__).parent / "fixtures" / "one_seed"


def _render(root: Path) -> str:
    loaded, _ = collect_results(root)
    return render_markdown(group_by_dataset(loaded))


def _tables(md: str) -> list[str]:
    return re.findall(r"(?:^\|.*\|\n)+", md, re.MULTILINE)


def _sec(md: str, heading: str) -> str:
    start = md.index(heading)
    end = md.find("\n## ", start + 1)
    return md[start:] if end < 0 else md[start:end]


def test_one_seed_renders_as_before():
    """REPORT.main.md is the report of these files by the code without repeated seeds (the features
    branch, 789d738, as merged): every dataset's six
    sections come out byte for byte, and every table it had is still there, in order."""
    before = (ONE_SEED / "REPORT.main.md").read_text()
    now = _render(ONE_SEED)
    for block in re.split(r"\n(?=## Dataset )", before)[1:]:
        assert block.rstrip("\n") + "\n\n### 7. Model selection and significance" in now
    old, new = _tables(before), _tables(now)
    it = iter(new)
    assert all(any(t == n for n in it) for t in old)  # a subsequence: same tables, same order
    assert "## Across seeds" not in now  # nothing to average with one seed


@pytest.fixture(scope="module")
def three_seeds(tmp_path_factory):
    d = tmp_path_factory.mktemp("seeds")
    files = {s: write_fixtures(d / f"disjoint-s{s}", ranks=(1, 2), split_kind="disjoint", split_seed=s)
             for s in (0, 1, 2)}
    return files, _render(d)


def _stat(values: list[float], scale: float = 100.0, digits: int = 2) -> str:
    return f"{scale * statistics.mean(values):.{digits}f} ± {scale * statistics.stdev(values):.{digits}f}"


def test_verdict_table_mean_std_selection_gap_and_mcnemar(three_seeds):
    files, md = three_seeds
    verdict = _sec(md, "## Verdict")
    assert "### tiny, disjoint split, train fraction 0.3 (seeds 0-2)" in verdict
    svm = [files[s]["svm/grid_r1.json"] for s in (0, 1, 2)]
    cnn = [files[s]["cnn/cnn_modern.json"] for s in (0, 1, 2)]
    row = _cells(_line(verdict, "| SVM sklearn/libsvm, raw, custom grid |"))
    oa = [r["test"]["oa"] for r in svm]
    cv = [r["best"]["mean_accuracy"] for r in svm]
    assert row[1] == "3" and row[2] == _stat(oa)
    assert row[3] == _stat(cv) + " (3-fold stratified CV)"
    assert row[4] == _stat([c - o for c, o in zip(cv, oa, strict=True)])
    assert row[6] == _stat([r["test"]["kappa"] for r in svm], 1.0, 4)
    walls1 = [r["wall_seconds"] for r in svm]
    walls2 = [files[s]["svm/grid_r2.json"]["wall_seconds"] for s in (0, 1, 2)]
    assert row[7] == f"{_stat(walls1, 1.0)} on 1 rank; {_stat(walls2, 1.0)} on 2 ranks"
    # McNemar from the predictions and the dataset's test labels, seed by seed
    tests = [mcnemar(files[s]["dataset.json"]["test"]["labels"], svm[s]["test"]["predictions"],
                     cnn[s]["test"]["predictions"]) for s in (0, 1, 2)]
    won, lost = sum(t.b > t.c for t in tests), sum(t.c > t.b for t in tests)
    tied = 3 - won - lost
    sig = sum(t.p < 0.05 for t in tests)
    expected = f"vs 3D-CNN modern, tensorflow, cpu: won {won}, lost {lost}{f', tied {tied}' if tied else ''} of 3; " \
               f"{sig} significant"
    assert row[8] == expected
    crow = _cells(_line(verdict, "| 3D-CNN modern, tensorflow, cpu |"))
    val = [next(h["val_accuracy"] for h in r["history_rows"] if h["epoch"] == r["best_epoch"]) for r in cnn]
    assert crow[3] == _stat(val) + " (stratified validation)"


def test_across_seeds_accuracy_per_class_time(three_seeds):
    files, md = three_seeds
    across = _sec(md, "## Across seeds: tiny, disjoint split")
    serial = [files[s]["svm/grid_r1.json"] for s in (0, 1, 2)]
    row = _cells(_line(across, "| SVM serial | SVM sklearn/libsvm, raw, custom grid, 1 rank | raw | 3 |"))
    assert row[3] == "3" and row[4] == _stat([r["test"]["oa"] for r in serial])
    assert row[5] == _stat([r["test"]["aa"] for r in serial])
    cells = [(r["best"]["gamma"], r["best"]["C"]) for r in serial]
    top, k = max(((c, cells.count(c)) for c in cells), key=lambda ck: ck[1])
    assert f"gamma={top[0]:g}, C={top[1]:g} ({k} of 3)" in row[8]
    # per-class: class 1, SVM serial column; a class with no test pixel in a seed shows n=k
    per = [r["test"]["per_class"]["1"] for r in serial]
    present = [v for v in per if v is not None]
    expected = _stat(present) if len(present) > 1 else f"{100 * present[0]:.2f}"
    expected += "" if len(present) == 3 else f" (n={len(present)})"
    assert _cells(_line(across, "| 1 | Alfalfa |"))[4] == expected
    # time: speedup per seed against that seed's serial run, then mean ± std
    par = [files[s]["svm/grid_r2.json"] for s in (0, 1, 2)]
    speed = [s["wall_seconds"] / p["wall_seconds"] for s, p in zip(serial, par, strict=True)]
    row = _cells(_line(_sec(md, "### Time over seeds"), "| SVM parallel (MPI) |"))
    assert row[5] == _stat(speed, 1.0) and row[6] == _stat([x / 2 for x in speed], 1.0)


def test_section_7_of_each_seed(three_seeds):
    files, md = three_seeds
    for s in (0, 1, 2):
        f = files[s]
        block = md[md.index(f"## Dataset {s + 1}: tiny, disjoint split, train fraction 0.3, seed {s}"):]
        block = block[block.index("### 7."):]
        svm, cnn = f["svm/grid_r1.json"], f["cnn/cnn_modern.json"]
        t = mcnemar(f["dataset.json"]["test"]["labels"], svm["test"]["predictions"], cnn["test"]["predictions"])
        row = _cells(_line(block.split("\n## ")[0], "| SVM sklearn/libsvm, raw, custom grid | 3D-CNN"))
        assert row[2:5] == [str(t.b), str(t.c), t.method]
        gap = svm["best"]["mean_accuracy"] - svm["test"]["oa"]
        row = _cells(_line(block.split("\n## ")[0], "| SVM sklearn/libsvm, raw, custom grid | 3-fold"))
        assert row[4] == f"{100 * gap:.2f}"


def test_selection_gap_uses_the_split_seeds_in_order(three_seeds):
    files, md = three_seeds
    section = _sec(md, "### Selection accuracy against test OA")
    row = _cells(_line(section, "| SVM sklearn/libsvm, raw, custom grid | 3-fold"))
    gaps = [files[s]["svm/grid_r1.json"]["best"]["mean_accuracy"] - files[s]["svm/grid_r1.json"]["test"]["oa"]
            for s in (0, 1, 2)]
    assert row[2:5] == [f"{100 * g:.2f}" for g in gaps]
    assert np.isclose(float(row[5].split(" ± ")[0]), 100 * statistics.mean(gaps), atol=0.006)
