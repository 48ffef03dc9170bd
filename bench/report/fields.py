"""Test OA in the fields the training pixels touch and in the fields they do not, per seed: a pure
function of the JSON of `hsbench.benchmarks.field_gap`.

`hsbench report --fields FILE` adds it beside the selection gaps (`hsbench run` passes
RESULTS/benchmarks/field_gap.json when it exists). A row of the benchmark is used only for the results
file it was measured on, and only while that file's test OA is the one it recorded: rerun the benchmark
after a rerun of the methods, or the report says how many rows it could not use.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hsbench.errors import InputError
from hsbench.report.fmt import NOT_RUN, fmt_pct, get, is_num, table
from hsbench.report.group import Run
from hsbench.results import read_kind

KIND = "field_gap"

FIELDS_TEXT = (
    "A field is a connected patch of one class in the ground truth; a test pixel's field is seen when a training "
    "pixel of its class lies in it. Cross-validation inside the training strips holds out parts of seen fields "
    "only, so no selection accuracy can measure the shift to unseen fields: the gap grows with their share. "
    "Test labels are used here after the fact, for the diagnosis only."
)


def load_fields(path: str | Path) -> dict[str, Any]:
    """Read and check a field_gap JSON (InputError naming the file and the fault)."""
    doc = read_kind(path, KIND, "field_gap benchmark JSON (python -m hsbench.benchmarks.field_gap)",
                    option="--fields")
    if not isinstance(doc.get("cases"), list):
        raise InputError(f"--fields {path}: lacks its list of cases")
    return doc


def _same_file(a: str, b: str) -> bool:
    """Paths relative to two results roots, one of which may hold the other."""
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _row_of(run: Run, doc: dict[str, Any]) -> tuple[dict | None, dict | None]:
    """(the benchmark's row for `run` and its case, if it still matches the file's test OA)."""
    for case in doc["cases"]:
        for row in case.get("runs") or []:
            if _same_file(str(row.get("path")), run.item.path):
                oa = get(run.d, "test", "oa")
                fresh = is_num(oa) and is_num(row.get("test_oa")) and abs(oa - row["test_oa"]) < 1e-9
                return (row, case) if fresh else (None, None)
    return None, None


def _cell(row: dict | None) -> str:
    if row is None:
        return NOT_RUN
    return f"{fmt_pct(row.get('seen_oa'))} / {fmt_pct(row.get('unseen_oa'))}"


def fields_section(seeds: Sequence[Any], methods: Sequence[tuple[str, Sequence[Run | None]]],
                   doc: dict[str, Any], heading: str = "###") -> list[str]:
    """Markdown lines (nothing when no run of these seeds was measured): per method and seed, test OA on
    seen / unseen fields, and the unseen share of the test pixels."""
    rows, shares = [], [None] * len(seeds)
    stale = 0
    for name, reps in methods:
        cells = []
        for k, run in enumerate(reps):
            row, case = _row_of(run, doc) if run is not None else (None, None)
            stale += run is not None and row is None
            if case is not None:
                shares[k] = case.get("unseen_share")
            cells.append(_cell(row))
        rows.append([name, *cells])
    if all(s is None for s in shares):
        return []
    rows.append(["test pixels in unseen fields", *[fmt_pct(s) if is_num(s) else NOT_RUN for s in shares]])
    out = [f"{heading} Test OA in seen and unseen fields", "",
           f"Per seed: test OA (%) on the test pixels in fields the training touches / in the others, from "
           f"`{doc.get('command', 'python -m hsbench.benchmarks.field_gap')}`. " + FIELDS_TEXT, ""]
    out += table(["method", *[f"seed {s}" for s in seeds]], rows, "l" + "r" * len(seeds))
    if stale:
        out += ["", f"{stale} run(s) have no row, or results newer than the benchmark's: rerun it to fill them."]
    return out
