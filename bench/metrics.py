"""Classification metrics: the one definition used for every method's test set.

OA (overall accuracy), AA (average of per-class accuracies, i.e. mean recall),
Cohen's kappa, per-class accuracy, per-class F1 and the confusion matrix, all
from `sklearn.metrics` over an explicit label list so that classes absent from
the predictions still get a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import cohen_kappa_score, confusion_matrix, f1_score


def classification_metrics(
    y_true: ArrayLike, y_pred: ArrayLike, labels: Sequence[int] | None = None
) -> dict[str, Any]:
    """Return {oa, aa, kappa, per_class, f1, confusion, labels, predictions}.

    `per_class` and `f1` map str(label) -> value (JSON keys are strings);
    `confusion[i][j]` counts true `labels[i]` predicted as `labels[j]`.
    Classes with no test pixel get accuracy None and are left out of AA.
    """
    truth = np.asarray(y_true).astype(int)
    pred = np.asarray(y_pred).astype(int)
    if truth.shape != pred.shape:
        raise ValueError(f"y_true has {truth.shape[0]} entries, y_pred {pred.shape[0]}")
    ids = [int(x) for x in (labels if labels is not None else np.unique(np.concatenate([truth, pred])))]
    cm = confusion_matrix(truth, pred, labels=ids)
    support = cm.sum(axis=1)
    per_class: dict[str, float | None] = {}
    for i, lab in enumerate(ids):
        per_class[str(lab)] = float(cm[i, i] / support[i]) if support[i] else None
    present = [v for v in per_class.values() if v is not None]
    f1 = f1_score(truth, pred, labels=ids, average=None, zero_division=0)
    return {
        "oa": float(np.mean(truth == pred)) if truth.size else float("nan"),
        "aa": float(np.mean(present)) if present else float("nan"),
        "kappa": float(cohen_kappa_score(truth, pred, labels=ids)),
        "per_class": per_class,
        "f1": {str(lab): float(v) for lab, v in zip(ids, f1, strict=True)},
        "confusion": cm.tolist(),
        "labels": ids,
        "predictions": pred.tolist(),
    }
