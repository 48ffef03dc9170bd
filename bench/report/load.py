"""Loading: every results JSON under a directory, validated against the keys the report needs.

The only I/O of the report's text: `collect_results` reads, checks and sorts by path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hsbench.errors import InputError
from hsbench.results import KINDS, REQUIRED


@dataclass(frozen=True)
class Loaded:
    """One JSON file: `path` relative to the results directory (POSIX form)."""

    path: str
    data: dict


def collect_results(root: str | Path) -> tuple[list[Loaded], list[str]]:
    """Read every ``*.json`` under `root` (recursively).

    Returns the known-kind files sorted by path and one warning per skipped
    file. Raises `InputError` for a missing directory, a file that is not
    valid JSON, a known kind lacking a required key, or no usable file at all.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: no such results directory")
    loaded: list[Loaded] = []
    warnings: list[str] = []
    unlabelled: list[str] = []
    for path in sorted(root.rglob("*.json")):
        rel = path.relative_to(root).as_posix()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not valid JSON ({exc})") from None
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind is None:
            # not a results file (e.g. a CNN checkpoint's state.json): named only if nothing else is found
            unlabelled.append(f"{path}: skipped, no 'kind' key")
            continue
        if kind not in KINDS:
            warnings.append(f"{path}: skipped, kind {kind!r} is not one of {', '.join(KINDS)}")
            continue
        missing = [k for k in REQUIRED[kind] if k not in data]
        if missing:
            raise InputError(
                f"{path}: kind {kind!r} lacks key(s) {', '.join(missing)} "
                "(see docs/FORMATS.md; was it written by an older hsbench?)"
            )
        loaded.append(Loaded(rel, data))
    if not any(item.data["kind"] != "dataset" for item in loaded):
        raise InputError(
            f"{root}: no results JSON found (no *.json of kind svm_grid or cnn, searched "
            "recursively); run `hsbench grid` or `hsbench cnn` with --out in this directory first"
            + (f"; skipped: {'; '.join(warnings + unlabelled)}" if warnings or unlabelled else "")
        )
    return loaded, warnings
