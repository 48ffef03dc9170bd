"""Where scene files live, and the checksums that vouch for them.

Cache directory: `$HSBENCH_DATA`, else the platform's user cache directory
(`~/.cache/hsbench` on Linux, via platformdirs); one folder per scene.

A file is trusted when its sha256 matches the registry's pin or, for a file
with no pin, the hash recorded in the scene folder's `sha256.json` the first
time it was read successfully. Every load checks it again. A mismatch moves
the file aside (`NAME.bad`) and is bad input (exit 2), so nothing is prepared
from it. A download goes to `NAME.part` and is moved into place only once
verified; a failed download leaves nothing behind, except the bytes of a cut
transfer, which the next attempt resumes.

Environment: `HSBENCH_MIRROR=URL` fetches every file as `URL/<file name>`
(a local mirror; the tests' server); the pins still apply.
`HSBENCH_DOWNLOAD_TIMEOUT` (seconds, default 60) bounds each network wait.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from hsbench import atomic
from hsbench.errors import InputError
from hsbench.provenance import now_iso, sha256_file
from hsbench.scenes.download import DownloadError, download
from hsbench.scenes.spec import FileSpec, SceneSpec

ENV_DATA = "HSBENCH_DATA"
ENV_MIRROR = "HSBENCH_MIRROR"
ENV_TIMEOUT = "HSBENCH_DOWNLOAD_TIMEOUT"
RECORD = "sha256.json"
ALTERNATIVE = "or pass the scene's files yourself with --cube FILE --gt FILE"


class ChecksumError(InputError):
    """A file whose sha256 is not the pinned or recorded one."""


class SceneUnavailable(InputError):
    """A scene file that is not in the cache and could not (or may not) be downloaded."""


def cache_root() -> Path:
    env = os.environ.get(ENV_DATA)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("hsbench", appauthor=False))


def scene_dir(name: str) -> Path:
    return cache_root() / name


def file_url(f: FileSpec) -> str:
    mirror = os.environ.get(ENV_MIRROR)
    return f"{mirror.rstrip('/')}/{f.name}" if mirror else f.url


def download_timeout() -> float:
    text = os.environ.get(ENV_TIMEOUT, "60")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{ENV_TIMEOUT}={text!r}: expected a number of seconds") from None
    if value <= 0:
        raise InputError(f"{ENV_TIMEOUT}={text!r}: must be positive")
    return value


class Record:
    """`sha256.json` of one scene folder: file name -> hash recorded at first successful read."""

    def __init__(self, folder: Path):
        self.path = folder / RECORD
        try:
            self.data: dict = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.data = {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{self.path}: unreadable checksum record ({exc}); delete it to record afresh") from None

    def get(self, name: str) -> str | None:
        entry = self.data.get(name)
        return entry.get("sha256") if isinstance(entry, dict) else None

    def add(self, name: str, sha256: str, source: str) -> None:
        self.data[name] = {"sha256": sha256, "source": source, "recorded": now_iso()}
        atomic.write_json(self.path, self.data)


@dataclass(frozen=True)
class CachedFile:
    """A scene file on disk whose hash has been checked (`check`: "pinned" or "recorded")."""

    path: Path
    sha256: str
    check: str
    url: str
    new: bool = False  # no pin and nothing recorded yet: `remember` records it once the file reads well

    def entry(self) -> dict:
        """What dataset.json records about the file."""
        return {"file": self.path.name, "sha256": self.sha256, "check": self.check, "url": self.url}


def fetch(spec: SceneSpec, f: FileSpec, offline: bool = False) -> CachedFile:
    """The verified cached copy of `f`, downloaded first when missing (unless `offline`)."""
    folder = scene_dir(spec.name)
    path, url = folder / f.name, file_url(f)
    if path.is_file():
        return verify(path, f.sha256, Record(folder), url)
    if offline:
        raise SceneUnavailable(f"scene {spec.name}: {f.name} is not in the cache and --offline forbids downloading "
                               f"it; download {url} to {path}, {ALTERNATIVE}")
    folder.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        download(url, part, timeout=download_timeout(), desc=f"{spec.name}: {f.name}")
    except DownloadError as exc:
        if not exc.partial:
            part.unlink(missing_ok=True)
            _remove_if_empty(folder)
        kept = f" (partial download kept in {part}; run again to resume)" if exc.partial else ""
        raise SceneUnavailable(f"cannot download {url}: {exc.reason}{kept}; put the file at {path}, "
                               f"{ALTERNATIVE}") from None
    checked = verify(part, f.sha256, Record(folder), url, name=f.name)
    os.replace(part, path)
    return CachedFile(path, checked.sha256, checked.check, url, checked.new)


def verify(path: Path, pinned: str | None, record: Record, url: str, name: str | None = None) -> CachedFile:
    """Check `path` against its pin, else its recorded hash; a mismatch moves it aside and raises."""
    name = name or path.name
    sha = sha256_file(path)
    expected = pinned or record.get(name)
    final = path.with_name(name)
    if expected is None:
        return CachedFile(final, sha, "recorded", url, new=True)
    if sha != expected:
        bad = path.with_name(name + ".bad")
        os.replace(path, bad)
        kind = "pinned" if pinned else f"recorded at first download in {record.path}"
        raise ChecksumError(f"{final}: sha256 {sha} is not the {kind} {expected}; the file was moved to {bad} "
                            f"and nothing was prepared (download it again, {ALTERNATIVE})")
    return CachedFile(final, sha, "pinned" if pinned else "recorded", url)


def remember(spec: SceneSpec, files: list[CachedFile]) -> None:
    """Record the hashes of files read successfully for the first time."""
    new = [f for f in files if f.new]
    if new:
        record = Record(scene_dir(spec.name))
        for f in new:
            record.add(f.path.name, f.sha256, f.url)


def status(spec: SceneSpec) -> str:
    """"cached", "partly cached" or "not cached", for `hsbench scenes`."""
    folder = scene_dir(spec.name)
    have = [(folder / f.name).is_file() for f in spec.files]
    if all(have):
        return "cached"
    extracted = [(folder / m).is_file() for m in spec.members.values()]
    if extracted and all(extracted):
        return "cached"
    if any(have) or any(extracted) or any(folder.glob("*.part")):
        return "partly cached"
    return "not cached"


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)
