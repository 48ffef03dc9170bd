"""The whole report as markdown: a pure function of the dataset groups (same groups in, same text out).

Order: the verdict (one table per study: scene, split kind, train fraction), then for each study
with two or more split seeds its tables over the seeds, then every dataset (one split seed) with
its seven sections.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hsbench.report.across import across_seeds
from hsbench.report.anchors import anchors_section
from hsbench.report.backends import backends_section
from hsbench.report.fields import fields_section
from hsbench.report.fmt import NA, NOT_RECORDED, NOT_RUN
from hsbench.report.group import DatasetGroup
from hsbench.report.scaling import cost_growth_section, modelled_section
from hsbench.report.sections import accuracy_section, figures_section, grid_section, setup_section, time_section
from hsbench.report.study import group_by_study, methods_of
from hsbench.report.verdict import selection_section, verdict_section


def render_markdown(groups: Sequence[DatasetGroup], figures_dir: str = "figures",
                    scaling: dict[str, Any] | None = None, cnn_backends: dict[str, Any] | None = None,
                    fields: dict[str, Any] | None = None) -> str:
    """The whole report. Pure: same groups (and benchmark JSONs) in, same text out.

    `scaling`: the SVM scaling benchmark; `cnn_backends`: a cnn_backends benchmark JSON, which adds the
    section "CNN backends on this machine"; `fields`: a field_gap benchmark JSON, which adds test OA on
    seen and unseen fields beside the selection gaps (over the seeds, or in section 7 of a lone seed).
    """
    n_files = sum(len(g.runs) + len(g.dataset_files) for g in groups)
    studies = group_by_study(groups)
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
        out += ["", "Datasets (each has its own seven sections; results of different splits are "
                "never mixed in one table):", ""]
        out += [f"{i}. {g.title}" for i, g in enumerate(groups, 1)]
    out += ["", *verdict_section(studies)]
    in_multi_seed = set()
    for study in studies:
        if study.n > 1:
            out += ["", *across_seeds(study)]
            in_multi_seed |= {id(g) for g in study.datasets}
            if fields is not None:
                part = fields_section(study.seeds, [(m.name, reps) for m, reps in study.methods()], fields)
                out += ["", *part] if part else []
    for i, g in enumerate(groups, 1):
        out += ["", f"## Dataset {i}: {g.title}"]
        for section in (setup_section, accuracy_section, grid_section, time_section, anchors_section):
            out += ["", *section(g)]
        out += ["", *figures_section(g, figures_dir)]
        out += ["", *selection_section(g)]
        if fields is not None and id(g) not in in_multi_seed:
            part = fields_section([g.key[3]], [(m.name, [r]) for m, r in methods_of(g)], fields, "####")
            out += ["", *part] if part else []
    if scaling is not None:
        out += ["", "## The SVM grid where parallelism matters", "",
                "From the scaling benchmark (kind \"svm_scaling\"), over several training-set sizes of the scene "
                "rather than one dataset above."]
        out += ["", *cost_growth_section(scaling, figures_dir), "", *modelled_section(scaling, figures_dir)]
    if cnn_backends is not None:
        out += ["", *backends_section(cnn_backends)]
    return "\n".join(out) + "\n"
