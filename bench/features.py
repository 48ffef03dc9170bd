"""SVM features: `raw` bands, `pca:N`, and the spectral-spatial profiles `emp:N` and `eap:N`.

Grammar of one `--features` value (docs/FEATURES.md has the why of every default):

    raw                              every band
    pca:N                            N principal components
    emp:N[:radii=R1,R2,...]          extended morphological profile of the first N components:
                                     openings and closings by reconstruction, disks of radius R
                                     (default 1,3,5,7)
    eap:N[:area=A1,...][:std=S1,...] extended attribute profile of the first N components: area
                                     openings and closings, thresholds in pixels (default
                                     100,500,1000,5000), and optionally standard-deviation
                                     thinnings and thickenings (S on the 0-1000 scale)

What is fitted is fitted on the training pixels only: the PCA and the min-max scaling
(test values may fall slightly outside [0, 1], as with svm-scale and a saved range
file). The profiles themselves use no labels and are computed on the whole image, so a
training pixel's features read the values of the pixels around it, test pixels
included, exactly as the CNN's 9 x 9 windows do.
"""

from __future__ import annotations

import itertools
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler

from hsbench.errors import InputError
from hsbench.profiles import CONNECTIVITY, LEVELS, STD_MAX, eap_images, emp_images

KINDS = ("raw", "pca", "emp", "eap")
SYNTAX = "raw, pca:N, emp:N[:radii=R,...] or eap:N[:area=A,...][:std=S,...]"
# Defaults from the literature; docs/FEATURES.md gives the sources.
EMP_RADII = (1, 3, 5, 7)
EAP_AREA = (100, 500, 1000, 5000)
# per kind: option -> value type
_OPTIONS: dict[str, dict[str, type]] = {"raw": {}, "pca": {}, "emp": {"radii": int}, "eap": {"area": int, "std": float}}
# the whole cube is projected onto the components a block of rows at a time (float64 bytes)
_BLOCK_BYTES = 8 << 20


class FeatureWarning(UserWarning):
    """Input that is used, but not as given (an EAP threshold dropped); one line each."""


@dataclass(frozen=True)
class FeatureSpec:
    """One parsed `--features` value; `name` (as typed) names it in dataset.json and `hsbench grid`."""

    name: str
    kind: str
    n: int | None = None  # principal components (pca, emp, eap)
    radii: tuple[int, ...] = ()  # emp
    area: tuple[int, ...] = ()  # eap
    std: tuple[float, ...] = ()  # eap
    dropped_area: tuple[int, ...] = ()  # eap thresholds not smaller than the image

    @property
    def spatial(self) -> bool:
        return self.kind in ("emp", "eap")

    @property
    def slug(self) -> str:
        return slug(self.name)

    def n_features(self, n_bands: int) -> int:
        if self.kind == "raw":
            return n_bands
        per_component = {"pca": 1, "emp": 1 + 2 * len(self.radii),
                         "eap": 1 + 2 * len(self.area) + 2 * len(self.std)}[self.kind]
        return int(self.n or 0) * per_component

    def params(self) -> dict[str, Any]:
        """Every setting, as dataset.json records it."""
        p: dict[str, Any] = {"kind": self.kind}
        if self.n is not None:
            p["components"] = self.n
        if self.kind == "emp":
            p.update(radii=list(self.radii), structuring_element="disk", reconstruction_connectivity=8,
                     order="per component: component, openings by radius, closings by radius")
        if self.kind == "eap":
            p.update(area=list(self.area), std=list(self.std), dropped_area=list(self.dropped_area),
                     levels=LEVELS, connectivity=4 if CONNECTIVITY == 1 else 8, filter_rule="direct",
                     order="per component: component (0..levels), area openings, area closings, "
                           "std thinnings, std thickenings, thresholds in order")
        return p


def slug(name: str) -> str:
    """A feature set's name in file names: emp:4 -> emp-4."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-")


def parse_features(spec: str, n_bands: int) -> FeatureSpec:
    """Parse one `--features` value; raise InputError (one line) for anything malformed."""
    text = spec.strip()
    kind, _, rest = text.partition(":")
    if kind not in KINDS:
        raise InputError(f"--features {spec!r}: unknown kind {kind!r}; expected {SYNTAX}")
    if kind == "raw":
        if rest:
            raise InputError(f"--features {spec!r}: raw takes no N or options")
        return FeatureSpec(text, "raw")
    n_text, _, options = rest.partition(":")
    try:
        n = int(n_text)
    except ValueError:
        raise InputError(f"--features {spec!r}: {kind}:N needs an integer N, got {n_text!r}") from None
    if not 1 <= n <= n_bands:
        raise InputError(f"--features {spec}: N must be between 1 and the band count {n_bands}")
    values: dict[str, tuple] = {}
    allowed = _OPTIONS[kind]
    for item in options.split(":") if options else []:
        key, eq, val = item.partition("=")
        if key not in allowed or not eq:
            takes = ", ".join(f"{k}=..." for k in allowed) or "no options"
            raise InputError(f"--features {spec!r}: unknown option {item!r} ({kind} takes {takes})")
        if key in values:
            raise InputError(f"--features {spec!r}: option {key} given twice")
        values[key] = _ladder(spec, key, val, allowed[key])
    if kind == "emp":
        return FeatureSpec(text, kind, n, radii=values.get("radii", EMP_RADII))
    if kind == "eap":
        return FeatureSpec(text, kind, n, area=values.get("area", EAP_AREA), std=values.get("std", ()))
    return FeatureSpec(text, kind, n)


def _ladder(spec: str, key: str, text: str, kind: type) -> tuple:
    """A strictly increasing list of positive sizes or thresholds."""
    try:
        values = tuple(kind(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--features {spec!r}: {key} must be comma-separated {kind.__name__}s, "
                         f"got {text!r}") from None
    if any(not v > 0 for v in values):
        raise InputError(f"--features {spec!r}: {key} must be positive, got {text}")
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise InputError(f"--features {spec!r}: {key} must be strictly increasing, got {text}")
    if key == "std" and values[-1] > STD_MAX:
        raise InputError(f"--features {spec!r}: std thresholds are on the 0-{LEVELS} scale of the "
                         f"quantized components, so at most {STD_MAX:g}; got {values[-1]:g}")
    return values


def parse_feature_list(specs: Sequence[str], n_bands: int) -> list[FeatureSpec]:
    """Several `--features` for one prepared directory: names must differ (they name the files)."""
    parsed = [parse_features(s, n_bands) for s in specs or ["raw"]]
    for i, f in enumerate(parsed):
        for g in parsed[:i]:
            if f.slug == g.slug:
                raise InputError(f"--features {f.name!r} given twice (or as {g.name!r}): one prepared "
                                 "directory holds each feature set once")
    return parsed


def fit_to_image(spec: FeatureSpec, height: int, width: int) -> FeatureSpec:
    """Drop EAP area thresholds not smaller than the image, warning once (FeatureWarning)."""
    if spec.kind != "eap":
        return spec
    pixels = height * width
    dropped = tuple(a for a in spec.area if a >= pixels)
    if not dropped:
        return spec
    kept = tuple(a for a in spec.area if a < pixels)
    if not kept and not spec.std:
        raise InputError(f"--features {spec.name}: every area threshold is at least the image's "
                         f"{height} x {width} = {pixels} pixels; give smaller ones with :area=...")
    warnings.warn(FeatureWarning(
        f"--features {spec.name}: area threshold(s) {', '.join(map(str, dropped))} not smaller than the "
        f"image ({height} x {width} = {pixels} pixels) dropped: such a filter flattens the whole component"),
        stacklevel=2)
    return replace(spec, area=kept, dropped_area=dropped)


def make_features(cube: np.ndarray, train_coords: np.ndarray, test_coords: np.ndarray,
                  spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """Scaled (train, test) feature rows of the pixels at `train_coords` / `test_coords` ((row, col) pairs)."""
    if spec.kind == "raw":
        return scale(_spectra(cube, train_coords), _spectra(cube, test_coords))
    pca = fit_pca(cube, train_coords, int(spec.n or 0))
    if spec.spatial:  # the test spectra are never needed whole: the cube is projected by blocks
        x_train, x_test = profile_features(principal_images(cube, pca), spec, (train_coords, test_coords))
        return scale(x_train, x_test)
    x_test = _spectra(cube, test_coords)
    return scale(pca.transform(_spectra(cube, train_coords)), pca.transform(x_test) if len(x_test) else x_test)


def fit_pca(cube: np.ndarray, train_coords: np.ndarray, n: int) -> PCA:
    """The first `n` principal components of the training pixels' spectra, and of nothing else.

    Eigenvectors of the bands' covariance matrix: deterministic (re-running prepare gives
    byte-identical files) and without the full SVD's copies of the spectra (164 MB against 4 MB
    above the spectra for 34,838 x 200 training pixels, the seed's full scene).
    """
    return PCA(n_components=n, svd_solver="covariance_eigh").fit(_spectra(cube, train_coords))


def scale(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min-max scaling fitted on the training rows, applied to both, in place (the arrays are ours)."""
    scaler = MinMaxScaler(copy=False).fit(x_train)
    # no test rows (an `all` split): sklearn refuses to transform an empty array
    x_test = scaler.transform(x_test) if len(x_test) else np.empty((0, x_train.shape[1]))
    return scaler.transform(x_train), x_test


def _spectra(cube: np.ndarray, coords: np.ndarray) -> np.ndarray:
    return cube[coords[:, 0], coords[:, 1], :].astype(np.float64)


def principal_images(cube: np.ndarray, pca: PCA) -> np.ndarray:
    """(N, H, W) float64: every pixel projected on the components, a block of rows at a time,
    so the cube is never copied whole as float64."""
    h, w, b = cube.shape
    out = np.empty((pca.n_components_, h, w))
    rows = max(1, _BLOCK_BYTES // (w * b * 8))
    for r0 in range(0, h, rows):
        block = cube[r0 : r0 + rows].reshape(-1, b).astype(np.float64)
        out[:, r0 : r0 + rows, :] = pca.transform(block).T.reshape(-1, min(rows, h - r0), w)
    return out


def profile_features(components: np.ndarray, spec: FeatureSpec,
                     coord_sets: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The profile of every component, sampled at each set of (row, col) coordinates.

    One profile image exists at a time: it is sampled into the output columns and dropped.
    """
    from tqdm import tqdm

    n_cols = spec.n_features(0)
    outs = [np.empty((len(c), n_cols)) for c in coord_sets]
    bar = tqdm(total=n_cols, desc=f"features {spec.name}", unit="image", file=sys.stderr, disable=None)
    col = 0
    for component in components:
        for image in _profile(component, spec):
            for out, coords in zip(outs, coord_sets, strict=True):
                out[:, col] = image[coords[:, 0], coords[:, 1]]
            col += 1
            bar.update(1)
    bar.close()
    return outs


def _profile(component: np.ndarray, spec: FeatureSpec) -> Iterator[np.ndarray]:
    if spec.kind == "emp":
        return emp_images(component, spec.radii)
    return eap_images(component, spec.area, spec.std)
