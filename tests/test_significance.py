"""McNemar's test against 2x2 tables worked out by hand."""

from __future__ import annotations

import math

import pytest

from hsbench.significance import EXACT_BELOW, mcnemar, mcnemar_counts


def test_exact_binomial_by_hand():
    # b = 10, c = 2: 12 discordant pixels (< 25), so the exact two-sided binomial test:
    # p = 2 * P(X <= 2 | n = 12, 1/2) = 2 * (C(12,0) + C(12,1) + C(12,2)) / 2^12 = 2 * 79 / 4096
    t = mcnemar_counts(10, 2)
    assert t.method == "exact binomial"
    assert t.p == pytest.approx(2 * (1 + 12 + 66) / 4096, rel=1e-12)
    assert t.better == "A" and t.significant  # 0.0386 < 0.05


def test_chi_square_with_continuity_correction_by_hand():
    # b = 40, c = 20: 60 discordant pixels (>= 25): statistic (|40 - 20| - 1)^2 / 60 = 361 / 60,
    # and the survival function of chi-square with one degree of freedom is erfc(sqrt(x / 2))
    t = mcnemar_counts(40, 20)
    assert t.method == "chi-square, continuity corrected"
    assert t.p == pytest.approx(math.erfc(math.sqrt(361 / 60 / 2)), rel=1e-9)
    assert t.p == pytest.approx(0.01417, abs=1e-5)
    assert t.better == "A" and t.significant


def test_from_predictions_the_2x2_table():
    # pixel by pixel: both right x5, A right only x3, B right only x1, both wrong x2 (one each way)
    y = [1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    a = [1, 1, 1, 1, 1, 2, 2, 2, 1, 2, 2]
    b = [1, 1, 1, 1, 1, 1, 3, 3, 3, 1, 1]
    t = mcnemar(y, a, b)
    assert (t.b, t.c) == (3, 1)
    # exact: 2 * P(X <= 1 | n = 4, 1/2) = 2 * (1 + 4) / 16
    assert t.p == pytest.approx(10 / 16) and not t.significant and t.better == "A"
    swapped = mcnemar(y, b, a)
    assert (swapped.b, swapped.c, swapped.p, swapped.better) == (1, 3, t.p, "B")


def test_edges():
    assert mcnemar_counts(0, 0).p == 1.0 and mcnemar_counts(0, 0).better == "tie"
    assert mcnemar_counts(5, 5).p == 1.0
    assert mcnemar_counts(EXACT_BELOW - 1, 0).method == "exact binomial"
    assert mcnemar_counts(EXACT_BELOW, 0).method.startswith("chi-square")
    with pytest.raises(ValueError, match="same pixels"):
        mcnemar([1, 2], [1, 2], [1])
