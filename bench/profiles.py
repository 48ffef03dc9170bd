"""Morphological and attribute profiles of one component image (scikit-image's morphology).

`emp_images` yields the morphological profile of Benediktsson et al. (2005):
the component, then openings and closings by reconstruction with disks of growing
radius. `eap_images` yields the attribute profile of Dalla Mura et al. (2010):
the component, then area openings and closings (skimage's max-tree filters) and,
optionally, thinnings and thickenings by the standard deviation of each
max-tree node, filtered with the direct rule.

Each profile image is yielded one at a time, so a caller that samples it at
some pixels and drops it never holds the whole profile: the working set is the
component, one or two max-trees and a few image-sized arrays.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from skimage.morphology import area_closing, area_opening, dilation, disk, erosion, max_tree, reconstruction

# EAP: components are rescaled to 0..LEVELS integers before filtering (as attribute-profile
# toolboxes do), so standard-deviation thresholds have a fixed scale and a max-tree has
# at most LEVELS + 1 levels
LEVELS = 1000
# largest standard deviation values in [0, LEVELS] can have: half at 0, half at LEVELS
STD_MAX = LEVELS / 2
CONNECTIVITY = 1  # max-tree neighbourhood: 4-connected (skimage's default)


def opening_by_reconstruction(image: np.ndarray, radius: int) -> np.ndarray:
    """Erode with a disk, then reconstruct by dilation under `image`: bright structures the
    disk does not fit in are removed, every other shape is kept exactly (not rounded off)."""
    return reconstruction(erosion(image, disk(radius)), image, method="dilation")


def closing_by_reconstruction(image: np.ndarray, radius: int) -> np.ndarray:
    """The dual: dilate with a disk, reconstruct by erosion above `image` (dark structures)."""
    return reconstruction(dilation(image, disk(radius)), image, method="erosion")


def emp_images(component: np.ndarray, radii: Sequence[int]) -> Iterator[np.ndarray]:
    """The component, its openings (radii in order), then its closings."""
    image = np.asarray(component, np.float64)
    yield image
    for r in radii:
        yield opening_by_reconstruction(image, r)
    for r in radii:
        yield closing_by_reconstruction(image, r)


def quantize(component: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """Rescale to integers 0..levels (uint16) with the image's own min and max (no labels used)."""
    lo, hi = float(component.min()), float(component.max())
    if hi <= lo:
        return np.zeros(component.shape, np.uint16)
    out = np.empty(component.shape, np.float64)
    np.subtract(component, lo, out=out)
    out *= levels / (hi - lo)
    np.rint(out, out=out)
    return out.astype(np.uint16)


def eap_images(component: np.ndarray, area: Sequence[int], std: Sequence[float] = ()) -> Iterator[np.ndarray]:
    """The quantized component, its area openings and closings, then its std thinnings and thickenings."""
    image = quantize(component)
    yield image
    inverted = (LEVELS - image).astype(np.uint16)  # closings are openings of the inverted image
    for tree_image, closing in ((image, False), (inverted, True)):
        parent, traverser = max_tree(tree_image, connectivity=CONNECTIVITY)
        for a in area:
            if closing:  # skimage wants the max-tree of the inverted image here
                yield area_closing(image, a, CONNECTIVITY, parent=parent, tree_traverser=traverser)
            else:
                yield area_opening(image, a, CONNECTIVITY, parent=parent, tree_traverser=traverser)
        del parent, traverser
    for tree_image, closing in ((image, False), (inverted, True)):
        if not std:
            break
        for out in std_thinnings(tree_image, std):
            yield (LEVELS - out).astype(np.uint16) if closing else out


def std_thinnings(image: np.ndarray, thresholds: Sequence[float]) -> Iterator[np.ndarray]:
    """Attribute thinnings by standard deviation, one per threshold (direct rule).

    A max-tree node (a connected component of an upper level set) whose pixel values have a
    standard deviation below the threshold is removed: its pixels take the level of the
    nearest ancestor that is kept. The attribute is not increasing, so this is a thinning,
    not an opening; the direct rule is the one skimage's own attribute filters use.
    """
    parent, _ = max_tree(image, connectivity=CONNECTIVITY)
    count, total, squares = node_moments(image, parent)
    # std >= lam as n * sum(x^2) - sum(x)^2 >= (lam * n)^2: exact on small integer images,
    # where the mean-based form rounds a tie (std 0.8 came out 0.7999999999999993)
    spread = count * squares - total * total
    del total, squares
    for lam in thresholds:
        yield direct_filter(image, parent, spread >= (lam * count) ** 2)


def node_moments(image: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel count, sum and sum of squares of every max-tree node (at its canonical pixel).

    A node's parent is at a strictly lower level and a non-canonical pixel's parent is its
    node's canonical pixel at the same level, so one pass over the levels from the top down,
    pixels before nodes, adds every subtree into its parent: a vectorised step per grey level
    (at most LEVELS + 1 on a quantized component).
    """
    flat = image.ravel()
    par = parent.ravel()
    count = np.ones(flat.size)
    total = flat.astype(np.float64)
    squares = total * total
    order = np.argsort(flat, kind="stable")
    ranked = flat[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    ends = np.r_[starts[1:], flat.size]
    for lo, hi in zip(starts[::-1], ends[::-1], strict=True):
        pix = order[lo:hi]
        pix = pix[par[pix] != pix]  # the root has nowhere to go
        same_level = flat[par[pix]] == flat[pix]
        for moved in (pix[same_level], pix[~same_level]):  # pixels into their node, then nodes up
            for acc in (count, total, squares):
                np.add.at(acc, par[moved], acc[moved])
    return count, total, squares


def direct_filter(image: np.ndarray, parent: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Every pixel takes the level of its nearest kept node, itself or an ancestor (the root is
    always kept). Pointer jumping: log2(tree depth) vectorised steps."""
    flat = image.ravel()
    par = parent.ravel()
    idx = np.arange(flat.size)
    canonical = (par == idx) | (flat[par] != flat)
    target = np.where((keep.ravel() & canonical) | (par == idx), idx, par)
    while True:
        jumped = target[target]
        if np.array_equal(jumped, target):
            break
        target = jumped
    return flat[target].reshape(image.shape)
