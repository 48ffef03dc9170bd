"""The report's SVM scaling part (pure): cost growth on the workload ladder, and scaling beyond this machine.

Both come from one kind "svm_scaling" JSON (hsbench.benchmarks.svm_scaling): measured
wall times, kernel vs fit seconds, peak memory and GridSearchCV on each rung, the
fitted cost exponents, and the scaling model (hsbench.svm.simulate) checked against
the measured runs and run on to 1024 ranks. The seed's published 80-core point is
quoted beside the model, marked as theirs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hsbench.errors import InputError
from hsbench.report.fmt import NA, NOT_RUN, fmt_duration, fmt_ratio, is_num, table
from hsbench.results import read_kind

REQUIRED = ("rungs", "exponents", "model", "host")
FIGURES = {"cost_growth": "svm_cost_growth.png", "scaling_model": "svm_scaling_model.png"}


def load_scaling(path: str | Path) -> dict[str, Any]:
    """A kind "svm_scaling" JSON, checked for the keys the report reads."""
    data = read_kind(path, "svm_scaling", "SVM scaling benchmark", option="--scaling")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise InputError(f"--scaling {path}: lacks key(s) {', '.join(missing)}")
    return data


def _mb(values: Any) -> str:
    if not isinstance(values, list) or not values or not all(is_num(v) for v in values):
        return NA
    return " / ".join(f"{v:.0f}" for v in values)


def _gs(e: dict[str, Any], jobs: int) -> str:
    rec = (e.get("gridsearchcv") or {}).get(f"n_jobs_{jobs}")
    if not rec:
        return NOT_RUN
    if rec.get("skipped"):
        return f"skipped (est. {fmt_duration(rec.get('estimated_seconds'))})"
    return fmt_duration(rec.get("seconds"))


def _k(fit: dict[str, Any] | None) -> str:
    return f"n^{fit['k']:.2f}" if fit else NA


def cost_growth_section(s: dict[str, Any], figures_dir: str) -> list[str]:
    out = ["### Cost growth", "",
           f"The SVM grid on Indian Pines with more and more training pixels (`hsbench.benchmarks.svm_scaling`, "
           f"{s['host'].get('cpu', '?')}, {s['host'].get('cores', '?')} cores). Serial = one process; "
           "2 ranks = `mpiexec -n 2`, one kernel per node. Kernel and fit seconds are summed over the serial "
           "run's kernels and tasks. Peak memory per rank in MB: RSS counts the node-shared kernel in every "
           "rank that reads it, PSS splits it among them. GridSearchCV runs on the same folds where its estimate "
           "is within the benchmark's limit; a skipped one shows its estimate, not a measurement.", ""]
    rows = []
    for r in s["rungs"]:
        for grid, e in r["grids"].items():
            runs = e["runs"]
            one, two = runs.get("1") or {}, runs.get("2") or {}
            rows.append([
                f"{r['rung']} ({r.get('n_rows', '?')} rows)", grid,
                fmt_duration(one.get("wall_seconds")), fmt_duration(two.get("wall_seconds")),
                fmt_ratio((e.get("speedup") or {}).get("2")),
                fmt_duration(one.get("kernel_seconds")),
                fmt_duration((one.get("fit_seconds") or 0) + (one.get("predict_seconds") or 0)) if one else NA,
                _gs(e, 1), fmt_ratio(e.get("gridsearchcv_over_ours_serial")),
                _mb(one.get("peak_rss_mb")), _mb(two.get("peak_rss_mb")), _mb(two.get("peak_pss_mb")),
            ])
    out += table(["rung", "grid", "serial", "2 ranks", "speedup", "kernels", "fits", "GridSearchCV n_jobs=1",
                  "GS / ours", "RSS serial", "RSS 2 ranks", "PSS 2 ranks"], rows, "llrrrrrlrrrr")
    out += ["", "Cost exponents (time ~ n^k, least squares over the serial runs of each grid):", ""]
    exp_rows = [[g, _k(ex.get("kernel")), _k(ex.get("fit")), _k(ex.get("wall")),
                 ", ".join(str(n) for n in ex.get("n_rows", []))] for g, ex in s["exponents"].items()]
    out += table(["grid", "kernels", "fits", "whole grid", "rows fitted"], exp_rows, "lrrrl")
    inline = [(r, g, e) for r in s["rungs"] for g, e in r["grids"].items() if "2-inline" in e.get("speedup", {})]
    if inline:
        out += ["", "The task farm before and after its fix (2 ranks; *inline*: rank 0 computed between dispatch "
                "rounds, four tasks queued per worker; *thread*: rank 0 dispatches while its own task runs in a "
                "thread), in the same benchmark run:", ""]
        out += [f"- {r['rung']}, {g} grid: inline {fmt_ratio(e['speedup']['2-inline'])}x, "
                f"thread {fmt_ratio(e['speedup'].get('2'))}x over serial" for r, g, e in inline]
    out += ["", f"![SVM grid cost growth]({figures_dir}/{FIGURES['cost_growth']})", "",
            "*Cost growth of the SVM grid, log-log: kernel, fit and whole-grid seconds against training rows.*"]
    return out


def modelled_section(s: dict[str, Any], figures_dir: str) -> list[str]:
    out = ["### Scaling beyond this machine (modelled)", "",
           "`hsbench simulate` replays the serial run's recorded task and kernel seconds through the task "
           "farm's own policy (longest first, up to two items in hand per worker, rank 0 computing too, one "
           "kernel per node) for P ranks. It does not model ranks slowing each other down (memory bandwidth), "
           "MPI start-up, or a faster or slower machine: these are predictions, not measurements.", ""]
    checks = [(r["rung"], g, c) for r in s["rungs"] for g, e in r["grids"].items() for c in e.get("model_check", [])]
    if checks:
        out += ["Checked against the measured runs on this machine (model from the serial run's costs):", ""]
        out += table(["rung", "grid", "run", "measured", "predicted", "error"],
                     [[rung, g, c["run"], fmt_duration(c["measured_seconds"]), fmt_duration(c["predicted_seconds"]),
                       f"{100 * c['error']:+.1f}%"] for rung, g, c in checks], "lllrrr")
        out.append("")
    seed = s.get("seed_published") or {}
    for grid, m in s["model"].items():
        out += [f"**{grid} grid, {m['rung']} rung** ({m['tasks']} tasks, {fmt_duration(m['work_seconds'])} of "
                f"work, longest task {fmt_duration(m['longest_task_seconds'])}, {m['ranks_per_node']} ranks per "
                f"node, {m['kernel_slots']} kernel slot(s) per node):", ""]
        out += table(["ranks", "nodes", "makespan", "speedup", "efficiency", "bound"],
                     [[str(r["ranks"]), str(r["nodes"]), fmt_duration(r["makespan"]), fmt_ratio(r["speedup"]),
                       f"{100 * r['efficiency']:.1f}%", r["bound"]] for r in m["rows"]], "rrrrrl")
        eff = ", ".join(f"{p} ranks {100 * e:.0f}%" for p, e in m["efficiency"].items())
        collapse = m.get("efficiency_below_half_from")
        binds = m.get("ranks_where_longest_task_binds")
        out += ["", f"Modelled efficiency: {eff}. "
                + (f"Efficiency falls below 50% from {collapse} ranks. " if collapse else "")
                + (f"Past {binds} ranks the longest task alone outlasts an even share of the work, and past "
                   f"{m['tasks']} ranks there are fewer tasks than ranks, so more ranks only idle." if binds else ""),
                ""]
    out += [f"The seed's published point, theirs, not ours: {seed.get('cores', 80)} cores, whole grid "
            f"{seed.get('serial', '~9 h')} -> {seed.get('parallel', '~35 min')} ({seed.get('speedup', 15.4)}x), on "
            f"their data and hardware ({seed.get('source', 'Cavallaro et al., JSTARS 2015')}).", "",
            "What would lift the efficiency past that point: finer tasks (a cell's folds are already separate "
            "tasks; the longest single fit is the floor), threads inside one fit (thundersvm's `--threads`, "
            "or a GPU per rank) so that the longest task shrinks, or a larger grid with more tasks than ranks.",
            "", f"![SVM grid scaling, modelled]({figures_dir}/{FIGURES['scaling_model']})", "",
            "*Speedup against ranks, log-log: the model per grid, the measured runs on this machine, the ideal "
            "line, and the seed's published 80-core point (theirs).*"]
    return out
