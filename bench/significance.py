"""McNemar's test: are two classifiers' errors on the same test pixels different?

Only the pixels where exactly one of the two is right carry information:
b = A right and B wrong, c = A wrong and B right. Under the null hypothesis
(equal error rates) each such pixel goes either way with probability 1/2.
With few discordant pixels the exact two-sided binomial test is used, else the
chi-square statistic with continuity correction, (|b - c| - 1)^2 / (b + c), on one
degree of freedom (Dietterich, Neural Computation 10 (1998) 1895-1923; Foody,
Photogramm. Eng. Remote Sens. 70 (2004) 627-633, for thematic maps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import binomtest, chi2

# below this many discordant pixels the chi-square approximation is poor: exact binomial instead
EXACT_BELOW = 25
ALPHA = 0.05


@dataclass(frozen=True)
class McNemar:
    b: int  # A right, B wrong
    c: int  # A wrong, B right
    p: float
    method: str  # "exact binomial" | "chi-square, continuity corrected" | "no discordant pixels"

    @property
    def significant(self) -> bool:
        return self.p < ALPHA

    @property
    def better(self) -> str:
        """'A', 'B' or 'tie': which is right on more of the pixels where they disagree."""
        return "A" if self.b > self.c else "B" if self.c > self.b else "tie"


def mcnemar_counts(b: int, c: int) -> McNemar:
    """The test from the discordant counts alone."""
    b, c = int(b), int(c)
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return McNemar(b, c, 1.0, "no discordant pixels")
    if n < EXACT_BELOW:
        return McNemar(b, c, float(binomtest(b, n, 0.5).pvalue), "exact binomial")
    stat = (abs(b - c) - 1) ** 2 / n
    return McNemar(b, c, float(chi2.sf(stat, df=1)), "chi-square, continuity corrected")


def mcnemar(y_true: ArrayLike, pred_a: ArrayLike, pred_b: ArrayLike) -> McNemar:
    """McNemar's test of classifiers A and B on the same pixels (arrays in the same order)."""
    y, a, b = (np.asarray(v).ravel() for v in (y_true, pred_a, pred_b))
    if not (len(y) == len(a) == len(b)):
        raise ValueError(f"predictions must cover the same pixels: {len(y)} labels, {len(a)} and {len(b)} predictions")
    right_a, right_b = a == y, b == y
    return mcnemar_counts(int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b)))
