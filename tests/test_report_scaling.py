"""`hsbench report --scaling`: cost growth and the modelled scaling, from a ladder summarised by the real code.

The ladder's grid results are the report fixtures' (real writer), resized to two rungs;
expected numbers are computed here from those files, not typed in.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from hsbench.atomic import write_json
from hsbench.benchmarks.svm_scaling import summarize
from hsbench.cli import main
from tests.fixtures.make_report_fixtures import make_dataset, make_svm, write_fixtures

RUNGS = (("10", 100, 1.0), ("25", 250, 6.25))  # rows; task seconds grow as n^2


def ladder(tmp: Path) -> Path:
    ds = make_dataset("random")
    runs = tmp / "ladder"
    runs.mkdir()
    for rung, n, scale in RUNGS:
        for ranks in (1, 2):
            d = make_svm(ds, ranks=ranks)
            d["folds"] = [i % 3 for i in range(n)]
            d["task_seconds"] = [s * scale for s in d["task_seconds"]]
            for cell in d["cells"]:
                for key in ("fit_seconds", "predict_seconds"):
                    cell[key] = [s * scale for s in cell[key]]
            d["kernels"] = [{**k, "rows": n, "seconds": k["seconds"] * scale} for k in d["kernels"]]
            d["wall_seconds"] = (sum(d["task_seconds"]) + sum(k["seconds"] for k in d["kernels"])) / ranks * 1.05
            write_json(runs / f"{rung}-custom-{ranks}.json", d)
        write_json(runs / f"{rung}-custom-gridsearchcv-n1.json", {"skipped": False, "seconds": 40.0 * scale})
    write_json(runs / "25-custom-gridsearchcv-n2.json",
               {"skipped": True, "estimated_seconds": 9000.0, "reason": "over the limit"})
    out = tmp / "svm_scaling.json"
    write_json(out, summarize(runs, ["custom"], ranks_per_node=16))
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("scaling")
    write_fixtures(d / "results", ranks=(1, 2), cnn=False)
    scaling = ladder(d)
    assert main(["report", str(d / "results"), "--scaling", str(scaling)]) == 0
    return d, json.loads(scaling.read_text()), (d / "results" / "REPORT.md").read_text()


def test_cost_growth_reports_the_exponents_and_every_rung(report):
    d, s, md = report
    assert md.count("### Cost growth") == 1
    k = s["exponents"]["custom"]["fit"]["k"]
    assert k == pytest.approx(math.log(6.25) / math.log(2.5))  # fit seconds grew as n^2 by construction
    assert f"n^{k:.2f}" in md
    for rung, n, _ in RUNGS:
        assert f"{rung}% ({n} rows)" in md
    assert "skipped (est. 2.50 h)" not in md  # n_jobs=2 is not a column; n_jobs=1 was measured
    speedup = s["rungs"][0]["grids"]["custom"]["speedup"]["2"]
    assert f"{speedup:.2f}" in md
    assert (d / "results" / "figures" / "svm_cost_growth.png").stat().st_size > 1000


def test_modelled_section_quotes_the_seed_as_theirs_and_says_where_efficiency_falls(report):
    d, s, md = report
    sec = md[md.index("### Scaling beyond this machine (modelled)"):]
    assert "theirs, not ours: 80 cores, whole grid ~9 h -> ~35 min (15.4x)" in sec
    m = s["model"]["custom"]
    assert m["rung"] == "25%" and m["tasks"] == 12 and m["ranks_per_node"] == 16
    assert f"past {m['tasks']} ranks there are fewer tasks than ranks" in sec
    for check in s["rungs"][0]["grids"]["custom"]["model_check"]:
        assert f"{100 * check['error']:+.1f}%" in sec
    assert "finer tasks" in sec and "threads inside one fit" in sec
    assert (d / "results" / "figures" / "svm_scaling_model.png").stat().st_size > 1000


def test_a_bad_scaling_file_is_refused_before_any_write(tmp_path, capsys):
    write_fixtures(tmp_path / "results", ranks=(1,), cnn=False)
    bad = tmp_path / "s.json"
    bad.write_text(json.dumps({"kind": "svm_grid"}))
    rc = main(["report", str(tmp_path / "results"), "--scaling", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2 and "not an hsbench SVM scaling benchmark" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "results" / "REPORT.md").exists()
