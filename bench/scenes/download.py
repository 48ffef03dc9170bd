"""Streamed HTTP(S) downloads that survive a cut connection.

The body goes to a `.part` file with a tqdm progress bar on stderr. When the
connection drops mid-body, the download goes on from the bytes already on disk
with an HTTP Range request (a server that ignores Range sends the whole file
again, and the part is restarted). Standard library only (urllib).

Checking the bytes and moving the part into place is the caller's job
(`hsbench.scenes.cache`): this module only moves bytes.
"""

from __future__ import annotations

import http.client
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from hsbench import __version__

CHUNK = 1 << 16


class DownloadError(OSError):
    """A download that could not finish; `partial` is True when bytes were kept for a later resume."""

    def __init__(self, reason: str, partial: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.partial = partial


def download(url: str, part: Path, timeout: float = 60.0, retries: int = 3, desc: str | None = None) -> None:
    """Fetch `url` into `part`, resuming from what `part` already holds.

    A cut or stalled body is retried `retries` times from where it stopped.
    Raises `DownloadError` for an HTTP error, an unreachable host, a timeout
    before any byte, or a body still incomplete after the retries.
    """
    part = Path(part)
    cuts = 0
    restarted = False
    while True:
        offset = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": f"hsbench/{__version__}"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            resp = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and offset and not restarted:  # the part is stale (longer than the file): start over
                part.unlink()
                restarted = True
                continue
            raise DownloadError(f"HTTP {exc.code} {exc.reason}", partial=offset > 0) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if offset and cuts < retries:  # the server went away mid-file: try again from here
                cuts += 1
                time.sleep(0.2 * cuts)
                continue
            raise DownloadError(f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__,
                                partial=offset > 0) from None
        with resp:
            if offset and resp.status != 206:  # Range ignored: the body is the whole file
                offset = 0
            length = resp.headers.get("Content-Length")
            total = offset + int(length) if length is not None else None
            done = _stream(resp, part, offset, total, desc or part.name.removesuffix(".part"))
        if done:
            return
        cuts += 1
        if cuts > retries:
            got = part.stat().st_size if part.exists() else 0
            raise DownloadError(f"connection cut {cuts} times; {got} of {total or '?'} bytes kept for a later resume",
                                partial=got > 0)
        time.sleep(0.2 * cuts)


def _stream(resp: http.client.HTTPResponse, part: Path, offset: int, total: int | None, desc: str) -> bool:
    """Append the body to `part`; True when it ended where the headers said it would."""
    with open(part, "ab" if offset else "wb") as fh, tqdm(
        total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
        file=sys.stderr, mininterval=0.5, disable=False,
    ) as bar:
        try:
            while chunk := resp.read(CHUNK):
                fh.write(chunk)
                bar.update(len(chunk))
        except (http.client.IncompleteRead, OSError):  # cut or stalled mid-body (socket timeouts are OSErrors)
            return False
    return total is None or part.stat().st_size == total
