"""Peak memory of this process while the grid runs.

RSS counts every page a process maps, the node-shared kernel included, so two ranks
reading one shared kernel both show it. PSS splits each shared page among the
processes mapping it (the sum over a node's ranks is the node's memory) and
"private" is what the process alone holds. The peaks of PSS and private memory are
sampled from /proc/self/smaps_rollup (Linux); the peak RSS is the kernel's own
`ru_maxrss`, which no sampling can miss. Reading smaps_rollup walks the page tables
(6 ms at 1.5 GB resident), so the sampler waits 100 times as long as its last read
took, at least `INTERVAL_SECONDS`: under 1% of a core.
"""

from __future__ import annotations

import re
import resource
import sys
import threading
import time
from pathlib import Path

_ROLLUP = Path("/proc/self/smaps_rollup")
_FIELD = re.compile(r"^(Pss|Private_Clean|Private_Dirty):\s+(\d+) kB", re.MULTILINE)
INTERVAL_SECONDS = 0.1


def _sample() -> tuple[float, float] | None:
    """(PSS MB, private MB) now, or None where smaps_rollup is unavailable."""
    try:
        text = _ROLLUP.read_text()
    except OSError:
        return None
    kb: dict[str, int] = {}
    for name, value in _FIELD.findall(text):
        kb[name] = kb.get(name, 0) + int(value)
    return kb.get("Pss", 0) / 1024, (kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) / 1024


def peak_rss_mb() -> float:
    """The process's peak resident set so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


class PeakMemory:
    """Samples PSS and private memory in a background thread between `start()` and `stop()`."""

    def __init__(self, interval: float = INTERVAL_SECONDS):
        self.interval = interval
        self.peak_pss: float | None = None
        self.peak_private: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hsbench-memory", daemon=True)

    def _take(self) -> float:
        """Sample once; return the seconds the read took."""
        t0 = time.perf_counter()
        now = _sample()
        if now is not None:
            self.peak_pss = max(self.peak_pss or 0.0, now[0])
            self.peak_private = max(self.peak_private or 0.0, now[1])
        return time.perf_counter() - t0

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.wait(wait):
            wait = max(self.interval, 100 * self._take())

    def start(self) -> PeakMemory:
        self._take()
        self._thread.start()
        return self

    def stop(self) -> dict[str, float | None]:
        """{peak_rss_mb, peak_pss_mb, peak_private_mb} (the last two None without smaps_rollup)."""
        self._stop.set()
        self._thread.join()
        self._take()
        return {"peak_rss_mb": peak_rss_mb(), "peak_pss_mb": self.peak_pss, "peak_private_mb": self.peak_private}
