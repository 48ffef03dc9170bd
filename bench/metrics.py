"""Classification metrics: the one definition used for every method's test set.

OA (overall accuracy), AA (average of per-class accuracies, i.e. mean recall),
Cohen's kappa, per-class accuracy, per-class F1 and the confusion matrix, all
from `sklearn.metrics` over an explicit label list so that classes absent from
the predictions still get a row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import cohen_kappa_score, confusion_matrix, f1_score


def classification_metrics(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[int] | None = None
) -> dict:
    """Return {oa, aa, kappa, per_class, f1, confusion, labels, predictions}.

    `per_class` and `f1` map str(label) -> value (JSON keys are strings);
    `confusion[i][j]` counts true `labels[i]` predicted as `labels[j]`.
    Classes with no test pixel get accuracy None and are left out of AA.
    """
    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred).astype(int)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.shape[0]} entries, y_pred {y_pred.shape[0]}")
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    labels = [int(x) for x in labels]
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    support = cm.sum(axis=1)
    per_class: dict[str, float | None] = {}
    for i, lab in enumerate(labels):
        per_class[str(lab)] = float(cm[i, i] / support[i]) if support[i] else None
    present = [v for v in per_class.values() if v is not None]
    f1 = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "oa": float(np.mean(y_true == y_pred)) if y_true.size else float("nan"),
        "aa": float(np.mean(present)) if present else float("nan"),
        "kappa": float(cohen_kappa_score(y_true, y_pred, labels=labels)),
        "per_class": per_class,
        "f1": {str(lab): float(v) for lab, v in zip(labels, f1, strict=True)},
        "confusion": cm.tolist(),
        "labels": labels,
        "predictions": y_pred.tolist(),
    }
