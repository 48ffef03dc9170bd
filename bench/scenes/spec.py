"""What a registry entry says about a scene: `SceneSpec` and its downloadable `FileSpec`s.

Plain data, no imports of the readers: the family modules build their entries
from these, and `hsbench.scenes.registry` collects them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileSpec:
    """One downloadable file of a scene."""

    name: str  # file name in the cache (and under a mirror, see cache.file_url)
    url: str
    role: str  # "cube", "gt" or "archive"
    sha256: str | None = None  # pinned; None: recorded at first download, verified after
    size: int | None = None  # bytes, where known
    var: str | None = None  # MATLAB variable holding the array


@dataclass(frozen=True)
class SceneSpec:
    """A named scene: where its files come from and what the source publishes about it."""

    name: str
    title: str
    family: str  # module hsbench.scenes.<family> with load(spec, offline=...)
    files: tuple[FileSpec, ...]
    shape: tuple[int, int, int]  # published (height, width, bands)
    classes: int  # published number of classes
    class_names: Mapping[int, str]  # class id -> name ({} when the names come with the data)
    counts: Mapping[str, int]  # published labelled pixels per class name (may cover only some classes)
    citation: str
    licence: str
    homepage: str
    counts_source: str = ""  # where `counts` come from, when not the homepage
    members: Mapping[str, str] = field(default_factory=dict)  # role -> file name inside an archive
    notes: str = ""

    @property
    def labelled(self) -> int:
        """Published labelled pixels (the sum of `counts`)."""
        return sum(self.counts.values())

    def file(self, role: str) -> FileSpec:
        for f in self.files:
            if f.role == role:
                return f
        raise KeyError(f"scene {self.name} has no {role} file")
