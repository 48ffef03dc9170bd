"""What every results file records about where and with what it was made."""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import platform
import socket
import sys
from importlib import metadata
from pathlib import Path

_PACKAGES = (
    "hsbench", "numpy", "scipy", "scikit-learn", "scikit-image", "h5py", "mpi4py", "keras",
    "tensorflow-cpu", "tensorflow", "jax", "torch", "tensorly", "matplotlib",
    "thundersvm", "thundersvm-cpu",
)


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Installed versions of the packages that matter for results (absent ones left out)."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES + extra:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def host_info() -> dict:
    return {
        "hostname": socket.gethostname(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
    }


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def command_line() -> str:
    """The command as a user would type it (`python -m hsbench` is the `hsbench` script)."""
    prog = Path(sys.argv[0])
    name = "hsbench" if prog.name in ("cli.py", "__main__.py") and prog.parent.name == "bench" else prog.name
    return " ".join([name, *sys.argv[1:]])


def gpu_name() -> str:
    """The first NVIDIA GPU's name from nvidia-smi, or "gpu" when it cannot be asked."""
    import subprocess

    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out.splitlines()[0].strip() if out else "gpu"
