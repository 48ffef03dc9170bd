"""The verdict: the report's opening tables (one per study), each dataset's section 7, and the
selection gaps and McNemar results across seeds. Pure functions of the dataset groups."""

from __future__ import annotations

from dataclasses import replace

from hsbench.report.compare import Pair, fmt_gap, fmt_p, gap, pairs, selection_of, verdict
from hsbench.report.derive import resumed
from hsbench.report.distance import Distances, distances_of_test_pixels, selection_distances
from hsbench.report.fmt import NA, NOT_RUN, fmt_kappa, fmt_pct, fmt_seconds, fmt_stat, get, is_num, table
from hsbench.report.group import DatasetGroup
from hsbench.report.study import Method, Study, method_of, methods_of
from hsbench.significance import EXACT_BELOW

VERDICT_INTRO = (
    "One table per split: each method's test OA, AA and kappa, as mean ± standard deviation over the "
    "split seeds (sample std, n - 1; one seed: its value), beside the accuracy it was selected on (SVM: "
    "the best cell's CV accuracy; CNN: validation accuracy at the kept epoch) and the gap between the two, "
    "so a leak shows at a glance. The SVM tests its best cell refitted on every training pixel; the CNN its "
    "kept weights, or, where its results say refit (after spatial CV), a model refitted on every training "
    "pixel for the kept epoch count. Wall time: SVM the whole CV grid, per number of MPI ranks; CNN its "
    "training, fold models and refit included. McNemar: against each method of "
    "the other family on the same test pixels, the seeds each won and how many of the differences were "
    "significant (p < 0.05). Accuracies in %, gaps in points."
)

MCNEMAR_TEXT = (
    "McNemar's test between every two methods on the {n} shared test pixels: b = pixels A gets right and B "
    f"wrong, c = the reverse; exact binomial test when b + c < {EXACT_BELOW}, otherwise chi-square with "
    "continuity correction, one degree of freedom."
)


DISTANCE_TEXT = (
    "Chebyshev distances, medians; any class: label-free, the quantity nearest-neighbour distance matching "
    "compares (Milà et al. 2022); same class: to the nearest fitted pixel of the pixel's own class. Selection "
    "pixels nearer their fitted pixels than the test pixels are to theirs select for a shorter reach than "
    "the test asks: the gap grows with the difference."
)


def _fmt_distances(d: Distances | None) -> str:
    if d is None:
        return NA
    return " / ".join("none" if v == float("inf") else f"{v:.0f}" for v in (d.same_class, d.any_class))


def _wall(study: Study, method: Method, n: int) -> str:
    """SVM: wall of the CV grid per rank count over seeds; CNN: wall of the training session."""
    by_ranks: dict[int, list] = {}
    for g in study.datasets:
        for r in g.runs:
            if method_of(r).key == method.key and not resumed(r.d):
                ranks = 0 if r.category == "cnn" else int(r.d.get("ranks", 1) or 1)
                by_ranks.setdefault(ranks, []).append(r.d.get("wall_seconds"))
    if not by_ranks:
        return NA
    parts = []
    for ranks in sorted(by_ranks):
        text = fmt_stat(by_ranks[ranks], fmt_seconds, n)
        parts.append(text if ranks == 0 else f"{text} on {ranks} rank{'s' if ranks > 1 else ''}")
    return "; ".join(parts)


def _record(results: list[Pair | None], one_seed: bool) -> str:
    """Seeds won / lost / tied by A and how many were significant, over the seeds that have the pair
    (`one_seed`: a study of one seed, told with b, c and p)."""
    tests = [p.test for p in results if p is not None and p.test is not None]
    if not tests:
        reasons = sorted({p.why_not for p in results if p is not None and p.why_not})
        return f"{NA} ({'; '.join(reasons) or NOT_RUN})"
    if one_seed and len(tests) == 1:
        t = tests[0]
        word = {"A": "won", "B": "lost", "tie": "tied"}[t.better]
        p = fmt_p(t.p)
        return f"{word} (b={t.b}, c={t.c}, p {p if p.startswith('<') else '= ' + p})"
    won = sum(t.better == "A" for t in tests)
    lost = sum(t.better == "B" for t in tests)
    tied = len(tests) - won - lost
    sig = sum(t.significant for t in tests)
    return f"won {won}, lost {lost}{f', tied {tied}' if tied else ''} of {len(tests)}; {sig} significant"


def _pair_across(study: Study, a: Method, b: Method) -> list[Pair | None]:
    """The (a, b) pair of each seed, oriented so that a is A (None where a seed lacks one of them)."""
    out: list[Pair | None] = []
    for g in study.datasets:
        found = None
        for p in pairs(g):
            if (p.a.key, p.b.key) == (a.key, b.key):
                found = p
            elif (p.a.key, p.b.key) == (b.key, a.key):
                flipped = None if p.test is None else replace(p.test, b=p.test.c, c=p.test.b)
                found = Pair(a, b, flipped, p.why_not)
        out.append(found)
    return out


def verdict_section(studies: list[Study]) -> list[str]:
    out = ["## Verdict", "", VERDICT_INTRO]
    for study in studies:
        out += ["", f"### {study.title} ({study.seeds_text})", ""]
        methods = study.methods()
        rows = []
        for m, reps in methods:
            runs = [r for r in reps if r is not None]
            others = [o for o, _ in methods if o.family != m.family]
            record = "; ".join(f"vs {o.name}: {_record(_pair_across(study, m, o), study.n == 1)}" for o in others)
            sels = {selection_of(r).scheme for r in runs}
            rows.append([
                m.name, str(len(runs)),
                fmt_stat([get(r.d, "test", "oa") for r in runs], fmt_pct, len(runs)),
                fmt_stat([selection_of(r).accuracy for r in runs], fmt_pct, len(runs), missing=NA)
                + f" ({', '.join(sorted(sels))})",
                fmt_stat([gap(r) for r in runs], fmt_gap, len(runs), missing=NA),
                fmt_stat([get(r.d, "test", "aa") for r in runs], fmt_pct, len(runs)),
                fmt_stat([get(r.d, "test", "kappa") for r in runs], fmt_kappa, len(runs)),
                _wall(study, m, len(runs)),
                record or f"{NA} (no method of the other family)",
            ])
        if not rows:
            rows.append([NOT_RUN] * 9)
        out += table(["method", "seeds", "test OA", "selection accuracy (selected on)", "gap", "AA", "kappa",
                      "wall (s)", "McNemar vs the other family"], rows, "lrrlrrrll")
    return out


def selection_section(g: DatasetGroup) -> list[str]:
    """Section 7 of a dataset: selection accuracy beside test OA, and McNemar between the methods."""
    out = ["### 7. Model selection and significance", "",
           "What chose each model, its accuracy there and its test OA (%); gap = selection accuracy - test OA "
           "in points. A large gap means the selection pixels resembled the training pixels more than the "
           "test pixels do: a leak.", ""]
    rows = []
    for m, r in methods_of(g):
        sel = selection_of(r)
        rows.append([m.name, sel.what, fmt_pct(sel.accuracy) if is_num(sel.accuracy) else NA,
                     fmt_pct(get(r.d, "test", "oa")), fmt_gap(gap(r)), _fmt_distances(selection_distances(g.info, r))])
    out += table(["method", "selected on", "selection accuracy", "test OA", "gap",
                  "selection px to fitted px (same class / any)"], rows or [[NOT_RUN] * 6], "llrrrr")
    test_px = _fmt_distances(distances_of_test_pixels(g.info))
    out += ["", f"Test pixels to the nearest training pixel: {test_px} px (same class / any class). "
            + DISTANCE_TEXT]
    n_test = len(get(g.info, "test", "labels") or [])
    out += ["", MCNEMAR_TEXT.format(n=f"{n_test:,}" if n_test else "(unknown number of)"), ""]
    prs = pairs(g)
    rows = [[p.a.name, p.b.name, str(p.test.b) if p.test else NA, str(p.test.c) if p.test else NA,
             p.test.method if p.test else NA, fmt_p(p.test.p) if p.test else NA, verdict(p)] for p in prs]
    out += table(["A", "B", "b", "c", "test", "p", "verdict"],
                 rows or [[f"{NA} (fewer than two methods)"] + [NA] * 6], "llrrlrl")
    return out


def across_selection(study: Study) -> list[str]:
    """Selection gap per seed and McNemar per pair across the seeds of a study."""
    seeds = [str(s) for s in study.seeds]
    out = ["### Selection accuracy against test OA, every seed", "",
           "Gap = selection accuracy - test OA, in points, per split seed.", ""]
    rows = []
    for m, reps in study.methods():
        runs = [r for r in reps if r is not None]
        rows.append([m.name, "; ".join(sorted({selection_of(r).scheme for r in runs})),
                     *[fmt_gap(gap(r)) if r is not None else NOT_RUN for r in reps],
                     fmt_stat([gap(r) for r in runs], fmt_gap, len(runs), missing=NA)])
    out += table(["method", "selected on", *[f"seed {s}" for s in seeds], "mean ± std"], rows or [
        [NOT_RUN] * (3 + len(seeds))], "ll" + "r" * (len(seeds) + 1))
    rows = [[m.name, *[_fmt_distances(selection_distances(g.info, r)) if r is not None else NOT_RUN
                       for g, r in zip(study.datasets, reps, strict=True)]] for m, reps in study.methods()]
    rows.append(["test pixels to training pixels",
                 *[_fmt_distances(distances_of_test_pixels(g.info)) for g in study.datasets]])
    out += ["", "Median distance in pixels (same class / any class) from each method's selection pixels to the "
            "pixels fitted beside them, and from the test pixels to the training pixels, per seed. "
            + DISTANCE_TEXT, ""]
    out += table(["pixels", *[f"seed {s}" for s in seeds]], rows, "l" + "r" * len(seeds))
    out += ["", "### McNemar's test, every seed", "",
            "Per pair of methods: the seeds where A (or B) was right on more of the disputed pixels, how many "
            "of those differences were significant (p < 0.05), and each seed's p-value.", ""]
    methods = [m for m, _ in study.methods()]
    rows = []
    for i, a in enumerate(methods):
        for b in methods[i + 1:]:
            across = _pair_across(study, a, b)
            tests = [p.test if p is not None else None for p in across]
            rows.append([a.name, b.name, _record(across, one_seed=False),
                         *[fmt_p(t.p) + f" ({'A' if t.better == 'A' else 'B' if t.better == 'B' else '='})"
                           if t is not None else NA for t in tests]])
    out += table(["A", "B", "A: seeds won, lost; significant", *[f"p, seed {s}" for s in seeds]],
                 rows or [[f"{NA} (fewer than two methods)", NA, NA] + [NA] * len(seeds)], "lll" + "r" * len(seeds))
    return out
