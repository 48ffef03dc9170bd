"""Backend flags: TensorFlow's oneDNN default set before Keras loads, and the flags in force for the results.

TensorFlow reads `TF_ENABLE_ONEDNN_OPTS` once, when it is imported. Left unset, TensorFlow 2.21
turns oneDNN on only on CPUs with the newer vector instructions (AVX512_VNNI, AVX512_BF16, AMX):
on this project's AMD EPYC it was on, on an Intel Xeon VM without them it was off and one training
step of the standard model took 6.28 s instead of 0.575 s (issue 10). `set_defaults` therefore
sets it to 1 when the user has not set it; a value the user set is kept. It runs from
`hsbench/__init__.py`, which Python executes before any hsbench module (this engine included), so
every process that goes through hsbench (the CLI, `hsbench run`'s stages, the benchmarks, the
tests) has it before its first Keras import. It has no effect in a process that imported
TensorFlow earlier; `backend_flags` reports what is really in force, not what was asked.

No keras or tensorflow import at module level: this module runs before the backend is chosen.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ONEDNN_VAR = "TF_ENABLE_ONEDNN_OPTS"
# How the user may set TensorFlow's thread pools (TensorFlow reads both when its runtime starts).
INTRA_VAR, INTER_VAR = "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"
_SET_BY_HSBENCH = "_HSBENCH_SET_ONEDNN"  # remembers, for subprocesses too, that the value was ours


def set_defaults() -> None:
    """Turn TensorFlow's oneDNN on unless the user set TF_ENABLE_ONEDNN_OPTS (empty counts as unset, as for TF)."""
    if os.environ.get(ONEDNN_VAR, "") == "":
        os.environ[ONEDNN_VAR] = "1"
        os.environ[_SET_BY_HSBENCH] = "1"


def backend_flags() -> dict[str, Any]:
    """The flags in force in this process for the active Keras backend (call after keras is imported).

    Keys: backend, onednn (TensorFlow: whether oneDNN is really on; None on other backends),
    onednn_setting (the variable's value and who set it), intra_op_threads / inter_op_threads
    (the pools' sizes; TensorFlow's 0 means "one per core" and is resolved here to the core count),
    mixed_precision (the Keras dtype policy). The training adds jit_compile once the model is compiled.
    """
    import keras

    backend = keras.backend.backend()
    flags: dict[str, Any] = {
        "backend": backend,
        "onednn": None,
        "onednn_setting": _onednn_setting(),
        "intra_op_threads": None,
        "inter_op_threads": None,
        "mixed_precision": keras.mixed_precision.global_policy().name,
    }
    cores = os.cpu_count() or 1
    if backend == "tensorflow":
        import tensorflow as tf

        flags["onednn"] = _tf_onednn_on()
        intra = tf.config.threading.get_intra_op_parallelism_threads() or _env_int(INTRA_VAR) or cores
        inter = tf.config.threading.get_inter_op_parallelism_threads() or _env_int(INTER_VAR) or cores
        flags["intra_op_threads"], flags["inter_op_threads"] = intra, inter
    elif backend == "torch":
        import torch

        flags["intra_op_threads"], flags["inter_op_threads"] = torch.get_num_threads(), torch.get_num_interop_threads()
    else:  # XLA's CPU client runs one thread per core for the ops of a step; there is no inter-op pool to size
        flags["intra_op_threads"] = cores
    return flags


def native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512_BF16 or AMX-BF16, as Linux lists them)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    words = set(text.split())
    return "avx512_bf16" in words or "amx_bf16" in words


def bf16_default() -> bool:
    """The machine's default for bf16 mixed precision (call after keras is imported).

    On: TensorFlow with oneDNN on a CPU-only machine whose CPU computes bf16 natively. There
    `python -m hsbench.benchmarks.cnn_backends` measured bf16 faster (AMD EPYC with AVX512_BF16: train
    step 0.363 vs 0.573 s at batch 128, 0.157 vs 0.224 s at batch 50; 10 epochs of the modern protocol
    3.93 vs 4.78 s/epoch) at no lower accuracy (test OA after those 10 epochs 66.4% vs 64.9%).
    Off everywhere else: without native bf16 the CPU emulates it (oneDNN off and bf16: no step within
    240 s), JAX on CPU stays far slower than TensorFlow, and on GPUs it was not measured here
    (`--mixed-precision` asks for it).
    """
    import keras

    if keras.backend.backend() != "tensorflow" or not native_bf16() or not _tf_onednn_on():
        return False
    import tensorflow as tf

    return not tf.config.list_physical_devices("GPU")


def _onednn_setting() -> str:
    value = os.environ.get(ONEDNN_VAR)
    if value is None or value == "":
        return "unset (TensorFlow's CPU-dependent default)"
    who = "hsbench default" if os.environ.get(_SET_BY_HSBENCH) and value == "1" else "user"
    return f"{ONEDNN_VAR}={value} ({who})"


def _tf_onednn_on() -> bool | None:
    if "tensorflow" not in sys.modules:
        return None
    try:  # TensorFlow's own answer: IsMklEnabled() is what its kernels consult
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return None


def _env_int(name: str) -> int:
    try:
        return max(0, int(os.environ.get(name, "0")))
    except ValueError:
        return 0


def describe(flags: dict[str, Any]) -> str:
    """One line for logs and the report: "oneDNN on, threads 2 intra / 2 inter, float32"."""
    parts = []
    if flags.get("onednn") is not None:
        parts.append(f"oneDNN {'on' if flags['onednn'] else 'off'}")
    intra, inter = flags.get("intra_op_threads"), flags.get("inter_op_threads")
    if intra is not None:
        parts.append(f"threads {intra} intra" + (f" / {inter} inter" if inter is not None else ""))
    parts.append(str(flags.get("mixed_precision", "float32")))
    if flags.get("jit_compile") is not None:
        parts.append("XLA" if flags["jit_compile"] else "no XLA")
    return ", ".join(parts)
