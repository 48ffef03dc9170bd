"""The scene registry: every named scene as data, like `hsbench.cnn.models.MODELS`.

`SCENES` maps a name to a `SceneSpec`: its files (URL, sha256 where known, MATLAB
variable), class names, citation, licence, and the published shape and class
counts. Each family module (torchgeo style: one module per source, its
docstring giving source, format, classes, citation and licence) holds its
entries and a `load(spec, offline=...)`:

* `indian_pines`: the embedded default, from the tensorly wheel;
* `ehu`: the GIC UPV/EHU .mat scenes (Pavia Centre and University, Salinas,
  Salinas-A, Kennedy Space Center, Botswana), at the URLs DeepHyperX uses;
* `indian_pines_full`: the full 58-class NS-line flightline from the Purdue
  University Research Repository archive (doi:10.4231/R7RX991C).

The entries are `hsbench.scenes.spec` dataclasses. This module imports no
reader (scipy, h5py, tifffile), so the CLI can list the names cheaply.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from hsbench.errors import InputError
from hsbench.scenes.spec import FileSpec, SceneSpec

__all__ = ["SCENES", "FileSpec", "SceneSpec", "get_spec", "load_named", "published_mismatches", "warn_published"]

if TYPE_CHECKING:
    from hsbench.scenes import Scene


def _specs() -> dict[str, SceneSpec]:
    from hsbench.scenes import ehu, indian_pines, indian_pines_full

    specs = [indian_pines.SPEC, *ehu.SPECS, indian_pines_full.SPEC]
    return {s.name: s for s in specs}


SCENES: Mapping[str, SceneSpec] = MappingProxyType(_specs())


def get_spec(name: str) -> SceneSpec:
    """The registry entry for `name`; an unknown name is bad input that lists the known ones."""
    try:
        return SCENES[name]
    except KeyError:
        raise InputError(f"unknown scene {name!r}; known: {', '.join(SCENES)} "
                         "(or give --cube FILE --gt FILE)") from None


def load_named(name: str, offline: bool = False) -> Scene:
    """Load a registered scene, downloading (and verifying) its files unless `offline`."""
    spec = get_spec(name)
    module = importlib.import_module(f"hsbench.scenes.{spec.family}")
    scene: Scene = module.load(spec, offline=offline)
    return scene


def published_mismatches(scene: Scene, spec: SceneSpec) -> list[str]:
    """How a loaded scene differs from what its source publishes (empty when it agrees).

    Shape always; class counts by class name, for the classes the source lists.
    """
    out = []
    if tuple(scene.shape) != tuple(spec.shape):
        out.append(f"shape {'x'.join(map(str, scene.shape))}, published {'x'.join(map(str, spec.shape))}")
    import numpy as np

    ids, n = np.unique(scene.gt[scene.gt > 0], return_counts=True)
    have = {scene.class_names.get(int(i), f"class {int(i)}"): int(c) for i, c in zip(ids, n, strict=True)}
    for cname, expected in spec.counts.items():
        if have.get(cname) != expected:
            out.append(f"class {cname!r}: {have.get(cname, 0)} pixels, published {expected}")
    return out


def warn_published(spec: SceneSpec, shape: tuple[int, ...]) -> None:
    """One line on stderr when a scene's shape is not the published one (the pins and hashes decide trust)."""
    if tuple(shape) != tuple(spec.shape):
        print(f"hsbench: warning: scene {spec.name} is {' x '.join(map(str, shape))}, published as "
              f"{' x '.join(map(str, spec.shape))}", file=sys.stderr)
