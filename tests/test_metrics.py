"""The one metric definition, checked against values worked out by hand."""

from __future__ import annotations

import pytest

from hsbench.metrics import classification_metrics


def test_hand_worked_example():
    y_true = [1, 1, 1, 1, 2, 2, 3, 3]
    y_pred = [1, 1, 1, 2, 2, 2, 3, 1]
    m = classification_metrics(y_true, y_pred, labels=[1, 2, 3, 4])
    assert m["oa"] == pytest.approx(6 / 8)
    assert m["per_class"] == {"1": 0.75, "2": 1.0, "3": 0.5, "4": None}  # class 4 has no test pixel
    assert m["aa"] == pytest.approx((0.75 + 1.0 + 0.5) / 3)
    # kappa = (po - pe) / (1 - pe); row sums 4,2,2,0, column sums 4,3,1,0
    pe = (4 * 4 + 2 * 3 + 2 * 1) / 64
    assert m["kappa"] == pytest.approx((6 / 8 - pe) / (1 - pe))
    assert m["confusion"] == [[3, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    assert m["f1"]["1"] == pytest.approx(2 * 0.75 * 0.75 / 1.5)
    assert m["predictions"] == y_pred and m["labels"] == [1, 2, 3, 4]
