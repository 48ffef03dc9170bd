"""Formatting: one rule per quantity, so the same JSON gives the same bytes; and the table writer.

Missing results read NOT_RUN, values that do not apply NA, keys absent from a file
NOT_RECORDED -- never a blank or a guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

NOT_RUN = "not run"
NA = "n/a"
NOT_RECORDED = "not recorded"


def fmt_num(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def fmt_pct(x: Any) -> str:
    """A fraction in [0, 1] as a percentage with two decimals ("77.02")."""
    return f"{100.0 * x:.2f}" if is_num(x) else NOT_RECORDED if x is None else NA


def fmt_kappa(x: Any) -> str:
    return f"{x:.4f}" if is_num(x) else NOT_RECORDED


def fmt_seconds(x: Any) -> str:
    return f"{x:.2f}" if is_num(x) else NOT_RECORDED


def fmt_minutes(x: Any) -> str:
    return f"{x:.2f}" if is_num(x) else NOT_RECORDED


def fmt_ratio(x: Any) -> str:
    return f"{x:.2f}" if is_num(x) else NA


def fmt_duration(seconds: Any) -> str:
    """Seconds in the unit a reader compares with the seed's: h, min or s."""
    if not is_num(seconds):
        return NOT_RECORDED
    if seconds >= 3600:
        return f"{seconds / 3600:.2f} h"
    if seconds >= 60:
        return f"{seconds / 60:.2f} min"
    return f"{seconds:.2f} s"


def fmt_rate(x: Any) -> str:
    return f"{x:.1f}" if is_num(x) else NOT_RECORDED


def get(d: dict, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def features_of(data: dict) -> str:
    return str(get(data, "dataset", "features") or data.get("features") or NOT_RECORDED)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    """A GitHub markdown table. `align`: one of 'l'/'r' per column (default: first l, rest r)."""
    align = align or "l" + "r" * (len(header) - 1)

    def esc(cell: object) -> str:  # a cell must not end the row
        return str(cell).replace("|", "\\|")

    out = ["| " + " | ".join(esc(h) for h in header) + " |"]
    out.append("|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|")
    for row in rows:
        assert len(row) == len(header), (header, row)
        out.append("| " + " | ".join(esc(c) for c in row) + " |")
    return out


def mean_std(values: Sequence[Any]) -> tuple[float, float | None, int]:
    """(mean, sample standard deviation (ddof 1; None for one value), n) of the numeric values."""
    nums = [float(v) for v in values if is_num(v)]
    if not nums:
        raise ValueError("no numeric value")
    mean = math.fsum(nums) / len(nums)
    if len(nums) == 1:
        return mean, None, 1
    var = math.fsum((v - mean) ** 2 for v in nums) / (len(nums) - 1)
    return mean, math.sqrt(var), len(nums)


def fmt_stat(values: Sequence[Any], fmt: Any, n: int, missing: str = NOT_RECORDED) -> str:
    """Mean ± sample std over seeds in the quantity's own format ("80.29 ± 0.51"); one value alone;
    "(n=k)" when only k of the `n` seeds have a value."""
    nums = [v for v in values if is_num(v)]
    if not nums:
        return missing
    mean, std, k = mean_std(nums)
    text = fmt(mean) if std is None else f"{fmt(mean)} ± {fmt(std)}"
    return text if k == n else f"{text} (n={k})"
