"""Within one dataset: what each method selected on (CV or validation accuracy beside the test OA),
and McNemar's test between every two methods on the shared test pixels. Pure functions of the JSON."""

from __future__ import annotations

from dataclasses import dataclass

from hsbench.report.fmt import NA, NOT_RECORDED, get, is_num
from hsbench.report.group import DatasetGroup, Run
from hsbench.report.study import Method, methods_of
from hsbench.significance import McNemar, mcnemar


@dataclass(frozen=True)
class Selection:
    what: str  # what the model was selected on, in words
    accuracy: float | None  # the selection accuracy (fraction), None where it does not apply
    scheme: str  # the short form: "10-fold spatial CV", "spatial validation", ...


def selection_of(run: Run) -> Selection:
    """SVM: the best cell's mean CV accuracy; CNN: validation accuracy at the kept epoch."""
    d = run.d
    if run.category != "cnn":
        kind = d.get("folds_kind")
        scheme = f"{d.get('n_folds', NOT_RECORDED)}-fold {kind + ' ' if kind else ''}CV"
        buffer = f", buffer {d.get('cv_buffer', NOT_RECORDED)} px{_matched(d.get('cv_buffer_rule'))}" \
            if kind == "spatial" else ""
        best = d.get("best") or {}
        return Selection(f"{scheme}{buffer}, best cell", best.get("mean_accuracy"), scheme)
    if d.get("selection_on_test"):
        return Selection("the test set (seed protocol)", None, "test set")
    rows = d.get("history_rows") or []
    at_best: dict = next((r for r in rows if r.get("epoch") == d.get("best_epoch")), {})
    val = d.get("validation") or {}
    what = "validation"
    if val.get("kind") == "spatial-cv":  # the SVM's fold scheme: one model per fold, the epoch count chosen
        scheme = f"{val.get('folds', NOT_RECORDED)}-fold spatial CV"
        what = (f"{scheme}, buffer {val.get('buffer', NOT_RECORDED)} px{_matched(val.get('buffer_rule'))}, mean "
                "held-out accuracy, epoch "
                f"{d.get('best_epoch', NOT_RECORDED)}")
        return Selection(what + _refit_text(d.get("refit") or {}), at_best.get("val_accuracy"), scheme)
    if val:
        what += f", {val.get('kind', NOT_RECORDED)}, {val.get('pixels', NOT_RECORDED)} px"
        unwatched, classes = val.get("classes_without_validation"), get(d, "test", "labels")
        if isinstance(unwatched, list) and isinstance(classes, list) and unwatched:
            # a validation part that misses classes measures the others only
            n_classes = len(set(classes) | set(unwatched))
            what += f" of {n_classes - len(unwatched)} of {n_classes} classes"
        if val.get("kind") == "spatial":
            what += f", buffer {val.get('buffer', NOT_RECORDED)} px ({val.get('buffer_dropped', NOT_RECORDED)} " \
                    "fitted px left out)"
    scheme = f"{val['kind']} validation" if val.get("kind") else "validation"
    what += f", epoch {d.get('best_epoch', NOT_RECORDED)}"
    if d.get("refit"):  # the tested model is the refit
        what += _refit_text(d["refit"])
    return Selection(what, at_best.get("val_accuracy"), scheme)


def _matched(rule: object) -> str:
    """Said of a buffer matched to the test pixels' distances (older results, and given buffers: nothing)."""
    return " (matched to the test distances)" if rule == "matched" else ""


def _refit_text(refit: dict) -> str:
    """What was tested after selection; the selected weights' own test OA, where recorded, shows what the
    refit changed."""
    text = (f"; tested: refit on {refit.get('train_samples', NOT_RECORDED)} px for "
            f"{refit.get('epochs', NOT_RECORDED)} epochs")
    sel_oa = get(refit, "selected_test", "oa")
    return text + (f" (selected weights: test OA {100 * sel_oa:.2f}%)" if is_num(sel_oa) else "")


def gap(run: Run) -> float | None:
    """Selection accuracy minus test OA (fractions); None where either is missing."""
    sel, oa = selection_of(run).accuracy, get(run.d, "test", "oa")
    return sel - oa if is_num(sel) and is_num(oa) else None


@dataclass(frozen=True)
class Pair:
    a: Method
    b: Method
    test: McNemar | None
    why_not: str  # why there is no test (empty when there is one)


def truth(group: DatasetGroup) -> list | None:
    """The test labels in test-row order (from dataset.json), or None without one."""
    labels = get(group.info, "test", "labels")
    return labels if isinstance(labels, list) else None


def pairs(group: DatasetGroup) -> list[Pair]:
    """McNemar's test for every two methods of the dataset (SVMs first, then CNNs)."""
    methods = methods_of(group)
    methods.sort(key=lambda mr: mr[0].family != "svm")
    y = truth(group)
    out = []
    for i, (ma, ra) in enumerate(methods):
        for mb, rb in methods[i + 1:]:
            out.append(_pair(ma, ra, mb, rb, y))
    return out


def _pair(ma: Method, ra: Run, mb: Method, rb: Run, y: list | None) -> Pair:
    if y is None:
        return Pair(ma, mb, None, "no dataset.json with the test labels")
    pa, pb = get(ra.d, "test", "predictions"), get(rb.d, "test", "predictions")
    if not isinstance(pa, list) or not isinstance(pb, list):
        return Pair(ma, mb, None, "test predictions not recorded")
    if not len(pa) == len(pb) == len(y):
        return Pair(ma, mb, None, f"predictions ({len(pa)}, {len(pb)}) do not match the {len(y)} test pixels")
    return Pair(ma, mb, mcnemar(y, pa, pb), "")


def fmt_p(p: float | None) -> str:
    """p-values: four decimals, or "< 0.0001"."""
    if not is_num(p):
        return NA
    assert p is not None
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}"


def verdict(pair: Pair) -> str:
    t = pair.test
    if t is None:
        return f"{NA} ({pair.why_not})"
    if t.better == "tie":
        return "tie: as many pixels each way"
    better = pair.a.name if t.better == "A" else pair.b.name
    return f"{better} better" + (", significant (p < 0.05)" if t.significant else ", not significant")


def fmt_gap(x: float | None) -> str:
    return f"{100 * x:.2f}" if x is not None and is_num(x) else NA
