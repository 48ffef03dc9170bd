"""Studies and methods: the same comparison repeated over split seeds.

A *study* is every dataset of one scene, split kind and train fraction, one per
split seed (`hsbench run --seeds 0-4`). A *method* is what a verdict compares:
an SVM (backend, features, grid; serial and MPI runs of it give the same model,
only faster) or a CNN run label. Within one dataset a method's *representative*
is its first run in report order (the serial one for an SVM).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hsbench.report.fmt import features_of, fmt_num
from hsbench.report.group import CATEGORIES, DatasetGroup, Run


@dataclass(frozen=True)
class Method:
    key: str  # identity across seeds
    name: str  # shown in tables
    family: str  # "svm" | "cnn"


def method_of(run: Run) -> Method:
    d = run.d
    if run.category == "cnn":
        return Method(f"cnn:{run.label}", run.label, "cnn")
    build = d.get("backend_build")
    backend = f"{d.get('backend')}/{build}" if build else str(d.get("backend"))
    grid = d.get("grid_name") or "custom"
    key = json.dumps(["svm", backend, features_of(d), grid, d.get("grid")], sort_keys=True)
    return Method(key, f"SVM {backend}, {features_of(d)}, {grid} grid", "svm")


def methods_of(group: DatasetGroup) -> list[tuple[Method, Run]]:
    """(method, its representative run) in report order; custom grids that differ get #2, #3."""
    out: list[tuple[Method, Run]] = []
    for run in group.runs:
        m = method_of(run)
        if any(seen.key == m.key for seen, _ in out):
            continue
        taken = sum(1 for seen, _ in out if seen.name.split(" #")[0] == m.name)
        if taken:
            m = Method(m.key, f"{m.name} #{taken + 1}", m.family)
        out.append((m, run))
    return out


@dataclass
class Study:
    key: tuple  # (scene name, split kind, train fraction)
    datasets: list[DatasetGroup]  # one per seed, by seed

    @property
    def seeds(self) -> list:
        return [g.key[3] for g in self.datasets]

    @property
    def n(self) -> int:
        return len(self.datasets)

    @property
    def title(self) -> str:
        name, kind, frac = self.key
        return f"{name}, {kind} split, train fraction {fmt_num(frac)}"

    @property
    def seeds_text(self) -> str:
        return f"seed{'s' if self.n > 1 else ''} {seed_list(self.seeds)}"

    @property
    def slug(self) -> str:
        name, kind, frac = self.key
        return re.sub(r"[^A-Za-z0-9.]+", "-", f"{name}-{kind}-{fmt_num(frac)}").strip("-")

    def runs_by_label(self) -> list[tuple[str, str, list[Run | None]]]:
        """(category, label, run of each seed or None) for every run label in the study, report order."""
        order: list[tuple[str, str]] = []
        for g in self.datasets:
            for r in g.runs:
                if (r.category, r.label) not in order:
                    order.append((r.category, r.label))
        return [(cat, label, [next((r for r in g.runs if r.label == label), None) for g in self.datasets])
                for cat, label in sorted(order, key=lambda cl: _CATEGORY_RANK[cl[0]])]

    def methods(self) -> list[tuple[Method, list[Run | None]]]:
        """(method, its representative in each seed or None), in order of first appearance."""
        seen: list[Method] = []
        per_seed = [dict((m.key, (m, r)) for m, r in methods_of(g)) for g in self.datasets]
        for table in per_seed:
            for m, _ in table.values():
                if all(m.key != s.key for s in seen):
                    seen.append(m)
        seen.sort(key=lambda m: m.family != "svm")  # stable: SVMs first, as in every table
        return [(m, [t[m.key][1] if m.key in t else None for t in per_seed]) for m in seen]


_CATEGORY_RANK = {c: i for i, (c, _) in enumerate(CATEGORIES)}


def seed_list(seeds: Sequence) -> str:
    """"0-4" for a run of consecutive integers, else "0, 3, 7"."""
    ints = [s for s in seeds if isinstance(s, int) and not isinstance(s, bool)]
    if len(ints) == len(seeds) and len(ints) > 2 and ints == list(range(ints[0], ints[0] + len(ints))):
        return f"{ints[0]}-{ints[-1]}"
    return ", ".join(str(s) for s in seeds)


def group_by_study(groups: Iterable[DatasetGroup]) -> list[Study]:
    """Datasets that differ only in their split seed, together; studies and seeds in a fixed order."""
    studies: dict[tuple, Study] = {}
    for g in groups:
        studies.setdefault(tuple(g.key[:3]), Study(tuple(g.key[:3]), [])).datasets.append(g)
    for s in studies.values():
        s.datasets.sort(key=lambda g: (not isinstance(g.key[3], int), g.key[3] if isinstance(g.key[3], int) else 0,
                                       str(g.key[3])))
    return [studies[k] for k in sorted(studies, key=lambda k: tuple(str(x) for x in k))]
