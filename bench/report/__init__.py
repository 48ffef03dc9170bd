"""`hsbench report`: results JSON -> one markdown report (pure) + figures.

Layers, so the markdown stays a pure function of the JSON:

* `load.collect_results(root)` reads every ``*.json`` under a directory (the only
  I/O of the text), keeps the kinds of docs/FORMATS.md and validates the keys the
  report needs (hsbench.results.REQUIRED);
* `group.group_by_dataset(loaded)` files each record under its dataset;
* `markdown.render_markdown(groups)` writes the text from `sections` and `anchors`,
  formatted by `fmt`, with numbers from `derive`;
* `plan.plan_figures(group)` names the PNGs (or says why one is skipped), which
  `figures.draw_figures` draws; both the markdown and the figures follow that plan.

Determinism: inputs are sorted by relative path, every float has one fixed format,
and nothing is added that is not in the JSON (no clock, no host lookup).
"""

from hsbench.report.derive import cell_minutes, find_cell, serial_reference, speedup
from hsbench.report.fmt import NA, NOT_RECORDED, NOT_RUN, table
from hsbench.report.group import CATEGORIES, DatasetGroup, Run, dataset_key, group_by_dataset
from hsbench.report.load import Loaded, collect_results
from hsbench.report.markdown import render_markdown
from hsbench.report.plan import FigureSpec, plan_figures

__all__ = [
    "CATEGORIES",
    "NA",
    "NOT_RECORDED",
    "NOT_RUN",
    "DatasetGroup",
    "FigureSpec",
    "Loaded",
    "Run",
    "cell_minutes",
    "collect_results",
    "dataset_key",
    "find_cell",
    "group_by_dataset",
    "plan_figures",
    "render_markdown",
    "serial_reference",
    "speedup",
    "table",
]
