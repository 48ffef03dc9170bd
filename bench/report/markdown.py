"""The whole report as markdown: a pure function of the dataset groups (same groups in, same text out)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hsbench.report.anchors import anchors_section
from hsbench.report.fmt import NA, NOT_RECORDED, NOT_RUN
from hsbench.report.group import DatasetGroup
from hsbench.report.scaling import cost_growth_section, modelled_section
from hsbench.report.sections import accuracy_section, figures_section, grid_section, setup_section, time_section


def render_markdown(groups: Sequence[DatasetGroup], figures_dir: str = "figures",
                    scaling: dict[str, Any] | None = None) -> str:
    """The whole report. Pure: same groups (and scaling benchmark) in, same text out."""
    n_files = sum(len(g.runs) + len(g.dataset_files) for g in groups)
    out = [
        "# hsbench report",
        "",
        f"Built by `hsbench report` from {n_files} JSON file(s) in {len(groups)} dataset(s). "
        "Every number below is read from those files. "
        f"\"{NOT_RUN}\" marks a method with no results file, \"{NA}\" a value that does not apply, "
        f"\"{NOT_RECORDED}\" a key missing from its file. "
        "Section 5 quotes the seed's *published* figures, which are theirs, not ours.",
    ]
    if len(groups) > 1:
        out += ["", "Datasets (each has its own six sections; results of different splits are "
                "never mixed in one table):", ""]
        out += [f"{i}. {g.title}" for i, g in enumerate(groups, 1)]
    for i, g in enumerate(groups, 1):
        out += ["", f"## Dataset {i}: {g.title}"]
        for section in (setup_section, accuracy_section, grid_section, time_section, anchors_section):
            out += ["", *section(g)]
        out += ["", *figures_section(g, figures_dir)]
    if scaling is not None:
        out += ["", "## The SVM grid where parallelism matters", "",
                "From the scaling benchmark (kind \"svm_scaling\"), over several training-set sizes of the scene "
                "rather than one dataset above."]
        out += ["", *cost_growth_section(scaling, figures_dir), "", *modelled_section(scaling, figures_dir)]
    return "\n".join(out) + "\n"
