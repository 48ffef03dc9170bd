"""`hsbench report RESULTS_DIR [-o REPORT.md]`: argparse wiring only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DESCRIPTION = """\
Collect every results JSON under RESULTS_DIR (recursively: kinds "svm_grid",
"cnn" and "dataset"; other JSON files are skipped with a warning) and write one
markdown report plus PNG figures in a figures/ folder beside it.

It opens with the verdict: per study (scene + split kind + train fraction),
each method's test OA, AA, kappa as mean +- std over the split seeds, the CV or
validation accuracy it was selected on, wall time, and McNemar's test against
the other family. A study with several seeds then gets its tables over the
seeds. Sections, per dataset (one split seed):
 1 Setup, 2 Accuracy, 3 the grid in the seed's style, 4 Time (speedup and
 efficiency over the serial run), 5 Anchors (the seed's published figures
 beside ours), 6 Figures, 7 Model selection and significance (selection
 accuracy beside test OA; McNemar between every two methods).
A method with no results file reads "not run".
With --scaling, a last part: the SVM grid's cost growth over training-set sizes
and its modelled scaling beyond this machine.
Classification maps need the prepared dataset.json (it holds the pixel
coordinates) somewhere under RESULTS_DIR. --cnn-backends FILE adds the table
"CNN backends on this machine" from `python -m hsbench.benchmarks.cnn_backends`
(hsbench run passes RESULTS/benchmarks/cnn_backends.json when it exists).
--fields FILE adds test OA on the fields the training touches and on the others,
beside the selection gaps, from `python -m hsbench.benchmarks.field_gap` (hsbench
run passes RESULTS/benchmarks/field_gap.json when it exists).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="results JSON -> REPORT.md + figures",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results_dir", metavar="RESULTS_DIR", type=Path,
                   help="directory searched recursively for *.json results")
    p.add_argument("--scaling", metavar="SVM_SCALING.json", type=Path, default=None,
                   help="add the SVM scaling benchmark (python -m hsbench.benchmarks.svm_scaling): cost growth and "
                        "the modelled scaling beyond this machine")
    p.add_argument("-o", "--output", metavar="REPORT.md", type=Path, default=None,
                   help="markdown file to write (default: RESULTS_DIR/REPORT.md); "
                        "figures go to a figures/ folder beside it")
    p.add_argument("--cnn-backends", metavar="FILE", type=Path, default=None,
                   help="cnn_backends.json of python -m hsbench.benchmarks.cnn_backends: adds the section "
                        "'CNN backends on this machine'")
    p.add_argument("--fields", metavar="FILE", type=Path, default=None,
                   help="field_gap.json of python -m hsbench.benchmarks.field_gap: adds test OA on seen and unseen "
                        "fields beside the selection gaps")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # imported here so `hsbench --help` does not pay for matplotlib
    from hsbench.atomic import write_text
    from hsbench.paths import check_output_dir, check_output_file
    from hsbench.report import collect_results, group_by_dataset, render_markdown
    from hsbench.report.backends import load_backends
    from hsbench.report.fields import load_fields
    from hsbench.report.figures import draw_figures
    from hsbench.report.scaling import load_scaling

    output: Path = args.output or args.results_dir / "REPORT.md"
    loaded, warnings = collect_results(args.results_dir)  # validates everything before any write
    check_output_file(output, "-o")
    check_output_dir(output.parent / "figures", "-o (its figures/ folder)")
    cnn_backends = load_backends(args.cnn_backends) if args.cnn_backends else None
    scaling = load_scaling(args.scaling) if args.scaling else None
    fields = load_fields(args.fields) if args.fields else None
    for w in warnings:
        print(f"hsbench report: warning: {w}", file=sys.stderr)
    groups = group_by_dataset(loaded)
    fig_dir = output.parent / "figures"
    markdown = render_markdown(groups, figures_dir="figures", scaling=scaling,  # links relative to the report
                               cnn_backends=cnn_backends, fields=fields)
    n_png = sum(len(draw_figures(g, fig_dir)) for g in groups)
    if scaling is not None:
        from hsbench.report.scaling_figures import draw_scaling_figures

        n_png += len(draw_scaling_figures(scaling, fig_dir))
    write_text(output, markdown)
    n_runs = sum(len(g.runs) for g in groups)
    print(f"hsbench report: {output} ({n_runs} run(s), {len(groups)} dataset(s), {n_png} figure(s) in {fig_dir})")
    return 0
