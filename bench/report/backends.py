"""The "CNN backends on this machine" table: a pure function of the JSON of `hsbench.benchmarks.cnn_backends`.

`hsbench report --cnn-backends FILE` adds it to the report (and `hsbench run` passes
RESULTS/benchmarks/cnn_backends.json when it exists); the benchmark writes the same table into
its own markdown file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hsbench.cnn.config import DEFAULT_BACKEND
from hsbench.errors import InputError
from hsbench.report.fmt import NA, NOT_RECORDED, fmt_pct, table

KIND = "cnn_backends"


def load_backends(path: str | Path) -> dict[str, Any]:
    """Read and check a cnn_backends JSON (InputError naming the file and the fault)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"--cnn-backends {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"--cnn-backends {path}: not readable JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND or not isinstance(doc.get("variants"), list):
        raise InputError(f"--cnn-backends {path}: not a {KIND} benchmark JSON "
                         "(written by python -m hsbench.benchmarks.cnn_backends)")
    return doc


def _seconds(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else NOT_RECORDED


def _threads(flags: dict[str, Any]) -> str:
    intra, inter = flags.get("intra_op_threads"), flags.get("inter_op_threads")
    if intra is None:
        return NOT_RECORDED
    return f"{intra} / {inter}" if inter is not None else f"{intra} / {NA}"


def backends_table(doc: dict[str, Any]) -> list[str]:
    """Markdown lines: where it was measured, one row per variant, the bf16 training check."""
    host = doc.get("host") or {}
    batches = [str(b) for b in doc.get("batches", [])]
    out = [
        f"Measured on {host.get('cpu', NOT_RECORDED)} ({host.get('cores', NOT_RECORDED)} cores, host "
        f"{host.get('hostname', NOT_RECORDED)}) at {doc.get('created', NOT_RECORDED)} by "
        f"`{doc.get('command', NOT_RECORDED)}`: the standard model on {doc.get('input_shape', NOT_RECORDED)} "
        f"windows, {doc.get('classes', NOT_RECORDED)} classes, Adam; median of {doc.get('steps', NOT_RECORDED)} "
        f"timed steps after {doc.get('warmup', NOT_RECORDED)} warm-up steps, each variant in its own process. "
        "Figures from another CPU do not carry over: TensorFlow's oneDNN default depends on the CPU.",
        "",
    ]
    last = batches[-1] if batches else None
    ok = [v for v in doc["variants"] if not v.get("error") and last in (v.get("batches") or {})]
    fastest = min((v["batches"][last]["train_step_seconds"] for v in ok), default=None)
    rows = []
    for v in doc["variants"]:
        flags = v.get("flags") or {}
        onednn = flags.get("onednn")
        cells = [v.get("label", NOT_RECORDED), NA if onednn is None else ("on" if onednn else "off"),
                 str(flags.get("mixed_precision", v.get("precision", NOT_RECORDED))), _threads(flags)]
        if v.get("error"):
            rows.append([*cells, *[f"failed: {v['error']}"] + [NA] * (len(batches) + 2)])
            continue
        per = v.get("batches") or {}
        cells += [_seconds((per.get(b) or {}).get("train_step_seconds")) for b in batches]
        inf = (per.get(last) or {}).get("inference_samples_per_second") if last else None
        cells.append(f"{inf:,.0f}" if isinstance(inf, (int, float)) else NOT_RECORDED)
        step = (per.get(last) or {}).get("train_step_seconds") if last else None
        cells.append(f"{step / fastest:.2f}x" if fastest and isinstance(step, (int, float)) else NA)
        busy = (per.get(last) or {}).get("train_cores_busy") if last else None
        cells.append(f"{busy:.2f}" if isinstance(busy, (int, float)) else NOT_RECORDED)
        rows.append(cells)
    out += table(["variant", "oneDNN", "precision", "threads intra / inter",
                  *[f"train s/step, batch {b}" for b in batches], f"inference samples/s, batch {last}",
                  f"step time / fastest (batch {last})", f"cores busy in a train step (batch {last})"],
                 rows, "llll" + "r" * (len(batches) + 3))
    if fastest is not None:
        best = next(v for v in ok if v["batches"][last]["train_step_seconds"] == fastest)
        same = best.get("backend") == DEFAULT_BACKEND
        out += ["", f"Fastest train step (batch {last}): {best.get('label')}; "
                + (f"{DEFAULT_BACKEND} is hsbench's default backend." if same else
                   f"hsbench's default backend, {DEFAULT_BACKEND}, is not the fastest on this machine.")]
    load = doc.get("load_average")
    if load:
        out += ["", f"Load average (1 min) when the run began and ended: {load[0]:.2f}, {load[-1]:.2f} "
                f"on {host.get('cores', NOT_RECORDED)} cores (other work on the machine slows every variant)."]
    if doc.get("not_installed"):
        out += ["", f"Not installed here, so not measured: {', '.join(doc['not_installed'])}."]
    check = doc.get("accuracy_check")
    if check:
        out += ["", f"bf16 mixed precision against float32 on a real training (`hsbench cnn --protocol modern`, "
                f"{check.get('epochs', NOT_RECORDED)} epochs, {check.get('data', NOT_RECORDED)}):", ""]
        rows = []
        for name in ("float32", "mixed_bfloat16"):
            r = check.get(name) or {}
            if r.get("error"):
                rows.append([name, f"failed: {r['error']}", NA, NA])
            else:
                rows.append([name, fmt_pct(r.get("test_oa")), fmt_pct(r.get("test_aa")),
                             _seconds(r.get("seconds_per_epoch"))])
        out += table(["precision", "test OA", "AA", "s / epoch"], rows, "lrrr")
    return out


def backends_section(doc: dict[str, Any]) -> list[str]:
    return ["## CNN backends on this machine", "", *backends_table(doc)]
