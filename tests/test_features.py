"""Spectral-spatial features: the morphology on hand-checked images, the max-tree std filter
against a brute-force definition, what is fitted on training pixels, and the `--features` grammar."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage
from skimage.morphology import area_closing, area_opening, max_tree
from sklearn.datasets import load_svmlight_file
from sklearn.decomposition import PCA

from hsbench.errors import InputError
from hsbench.features import EAP_AREA, EMP_RADII, make_features, parse_features
from hsbench.profiles import (
    closing_by_reconstruction,
    direct_filter,
    eap_images,
    emp_images,
    node_moments,
    opening_by_reconstruction,
    quantize,
    std_thinnings,
)
from tests.conftest import make_scene


def test_opening_by_reconstruction_hand_checked():
    """A 3 x 3 plateau at 6 with a one-pixel peak 9 in its middle, and a pair of 8s touching it.

    Eroding with the radius-1 disk (a cross) leaves 6 at the plateau's centre (min of 9 and its
    four 6s) and 1 everywhere else. Reconstruction by dilation under the image then floods every
    pixel connected to the centre through values >= 6 up to min(6, its value): the whole plateau
    is kept exactly (a plain opening would shrink it to a cross), the peak is cut to 6, and the
    8s, attached to the plateau, are cut to 6 rather than removed. The background stays 1.
    """
    image = np.array([
        [1, 1, 1, 1, 1],
        [1, 6, 6, 6, 1],
        [1, 6, 9, 6, 1],
        [1, 6, 6, 6, 1],
        [1, 1, 1, 8, 8],
    ], dtype=float)
    expected = np.array([
        [1, 1, 1, 1, 1],
        [1, 6, 6, 6, 1],
        [1, 6, 6, 6, 1],
        [1, 6, 6, 6, 1],
        [1, 1, 1, 6, 6],
    ], dtype=float)
    np.testing.assert_array_equal(opening_by_reconstruction(image, 1), expected)
    # a plain opening with the same disk keeps only the cross around the centre
    plain = ndimage.grey_dilation(ndimage.grey_erosion(image, footprint=_cross()), footprint=_cross())
    assert plain[1, 1] == 1 and opening_by_reconstruction(image, 1)[1, 1] == 6
    # closing by reconstruction is the dual
    np.testing.assert_array_equal(closing_by_reconstruction(-image, 1), -expected)


def _cross() -> np.ndarray:
    return np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool)


def test_emp_orders_openings_below_the_component_below_closings():
    rng = np.random.default_rng(0)
    image = ndimage.gaussian_filter(rng.normal(size=(30, 40)), 1.5)
    images = list(emp_images(image, (1, 3, 5)))
    assert len(images) == 7
    np.testing.assert_array_equal(images[0], image)
    openings, closings = images[1:4], images[4:]
    for wider, narrower in zip(openings[1:], openings, strict=False):  # a larger disk removes more
        assert np.all(wider <= narrower)
    assert np.all(openings[0] <= image) and np.all(image <= closings[0])
    for wider, narrower in zip(closings[1:], closings, strict=False):
        assert np.all(wider >= narrower)


def _brute_force_thinning(image: np.ndarray, lam: float) -> np.ndarray:
    """The direct rule from its definition: each pixel takes the level of the first component
    on its way down (connected components of upper level sets, 4-connected) whose values have
    a standard deviation >= lam; the whole image always counts."""
    out = np.empty_like(image)
    levels = sorted(set(image.ravel().tolist()), reverse=True)
    for (r, c), value in np.ndenumerate(image):
        for v in (lv for lv in levels if lv <= value):
            labels, _ = ndimage.label(image >= v)
            comp = image[labels == labels[r, c]]
            if comp.min() != v:  # the same component as at a higher level, seen already
                continue
            if comp.size == image.size or comp.std() >= lam:
                out[r, c] = v
                break
    return out


@pytest.mark.parametrize("seed", range(6))
def test_std_thinning_matches_its_definition(seed):
    image = np.random.default_rng(seed).integers(0, 6, (6, 7)).astype(np.uint16)
    lams = (0.3, 0.8, 1.0, 1.5)
    for lam, out in zip(lams, std_thinnings(image, lams), strict=True):
        np.testing.assert_array_equal(out, _brute_force_thinning(image, lam), err_msg=f"lambda {lam}")


def test_direct_filter_on_area_is_skimages_area_opening():
    image = np.random.default_rng(3).integers(0, 40, (25, 30)).astype(np.uint16)
    parent, _ = max_tree(image, connectivity=1)
    count, _, _ = node_moments(image, parent)
    for lam in (2, 5, 17, 100):
        np.testing.assert_array_equal(direct_filter(image, parent, count >= lam), area_opening(image, lam, 1))


def test_eap_filters_the_float_component_as_if_it_were_quantized():
    """Area filters commute with the non-decreasing 0..1000 quantization, so eap_images runs them on
    the float component (a faster max-tree): the images equal skimage's on the quantized one."""
    component = ndimage.gaussian_filter(np.random.default_rng(1).normal(size=(40, 50)), 1.5)
    q = quantize(component)
    images = list(eap_images(component, (5, 30), (8.0, 20.0)))
    assert len(images) == 1 + 2 * 2 + 2 * 2
    expected = [q, area_opening(q, 5, 1), area_opening(q, 30, 1), area_closing(q, 5, 1), area_closing(q, 30, 1)]
    for got, want in zip(images, expected, strict=False):
        np.testing.assert_array_equal(got, want)
    thin, thick = images[5:7], images[7:]
    np.testing.assert_array_equal(thin[0], next(std_thinnings(q, (8.0,))))
    assert all(np.all(t <= q) for t in thin) and all(np.all(t >= q) for t in thick)
    inverted = (1000 - q).astype(np.uint16)
    np.testing.assert_array_equal(thick[1], 1000 - next(std_thinnings(inverted, (20.0,))))


def _perturbed_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(cube, the cube with one test pixel's spectrum made huge, train coords, test coords)."""
    cube, gt = make_scene(h=24, w=24, bands=12)
    rows, cols = np.nonzero(gt)
    coords = np.stack([rows, cols], axis=1)
    order = np.random.default_rng(0).permutation(len(coords))
    train, test = coords[order[:60]], coords[order[60:]]
    other = cube.copy()
    other[test[0, 0], test[0, 1], :] = 50 * cube.max()
    return cube, other, train, test


def test_pca_and_scaling_see_no_test_pixel():
    cube, other, train, test = _perturbed_scene()
    # the check can fail: a PCA fitted on every labelled pixel moves with the perturbed one
    everything = np.concatenate([train, test])
    a = PCA(2, svd_solver="full").fit(cube[everything[:, 0], everything[:, 1]])
    b = PCA(2, svd_solver="full").fit(other[everything[:, 0], everything[:, 1]])
    assert not np.allclose(np.abs(a.components_), np.abs(b.components_), atol=1e-3)

    for kind in ("raw", "pca:3"):  # pixel-wise features: training rows bit for bit the same
        spec = parse_features(kind, 12)
        before, _ = make_features(cube, train, test, spec)
        after, _ = make_features(other, train, test, spec)
        np.testing.assert_array_equal(before, after, err_msg=kind)

    # profiles read the neighbourhood (test pixels included, like the CNN's windows), but each
    # component's own column comes from the PCA and the scaling alone: unchanged
    spec = parse_features("emp:3:radii=1,2", 12)
    before, _ = make_features(cube, train, test, spec)
    after, _ = make_features(other, train, test, spec)
    per_component = 1 + 2 * 2
    component_columns = [i * per_component for i in range(3)]
    np.testing.assert_array_equal(before[:, component_columns], after[:, component_columns])


@pytest.mark.parametrize(("spec", "expected"), [
    ("raw", ("raw", None, (), (), ())),
    ("pca:7", ("pca", 7, (), (), ())),
    ("emp:4", ("emp", 4, EMP_RADII, (), ())),
    ("emp:2:radii=2,4,8", ("emp", 2, (2, 4, 8), (), ())),
    ("eap:4", ("eap", 4, (), EAP_AREA, ())),
    ("eap:3:std=20,30.5:area=10,50", ("eap", 3, (), (10, 50), (20.0, 30.5))),
])
def test_parse_features(spec, expected):
    f = parse_features(spec, 200)
    assert (f.kind, f.n, f.radii, f.area, f.std) == expected and f.name == spec


@pytest.mark.parametrize(("spec", "message"), [
    ("foo:3", "unknown kind 'foo'"),
    ("emp:0", "N must be between 1 and the band count 12"),
    ("eap:-2", "N must be between 1 and the band count 12"),
    ("emp:13", "N must be between 1 and the band count 12"),
    ("emp:x", "emp:N needs an integer N, got 'x'"),
    ("emp:4:radii=3,1", "radii must be strictly increasing, got 3,1"),
    ("emp:4:radii=1,1", "radii must be strictly increasing"),
    ("eap:4:area=0,10", "area must be positive"),
    ("eap:4:std=20,600", "at most 500"),
    ("emp:4:area=10", "unknown option 'area=10' (emp takes radii=...)"),
    ("eap:4:area=10:area=20", "option area given twice"),
    ("raw:3", "raw takes no N or options"),
])
def test_malformed_features(spec, message):
    with pytest.raises(InputError, match="--features") as err:
        parse_features(spec, 12)
    assert message in str(err.value)


def test_bad_features_on_the_command_line(tmp_path, cli, scene_files):
    out = tmp_path / "out"
    rc, _, err = cli("prepare", "--cube", scene_files / "cube.npy", "--gt", scene_files / "gt.npy",
                     "--features", "raw", "--features", "emp:4:radii=5,3", "--out", out)
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith("hsbench prepare: error: --features 'emp:4:radii=5,3': radii must be strictly increasing")
    assert not out.exists()


def test_several_feature_sets_share_one_split(tmp_path, cli, scene_files):
    out = tmp_path / "d"
    rc, _, err = cli("prepare", "--cube", scene_files / "cube.npy", "--gt", scene_files / "gt.npy",
                     "--features", "raw", "--features", "emp:2", "--features", "eap:2", "--out", out)
    assert rc == 0, err
    # 24 x 24 = 576 pixels: the area thresholds 1000 and 5000 cannot select anything
    assert err == ("hsbench prepare: warning: --features eap:2: area threshold(s) 1000, 5000 not smaller than "
                   "the image (24 x 24 = 576 pixels) dropped: such a filter flattens the whole component\n")
    ds = json.loads((out / "dataset.json").read_text())
    assert ds["features"] == "raw" and sorted(ds["feature_sets"]) == ["eap:2", "emp:2", "raw"]
    eap = ds["feature_sets"]["eap:2"]
    assert eap["params"]["area"] == [100, 500] and eap["params"]["dropped_area"] == [1000, 5000]
    assert eap["n_features"] == 2 * (1 + 2 * 2) and eap["seconds"] > 0
    assert sorted(p.name for p in out.iterdir()) == [
        "dataset.json", "manifest.json", "test.eap-2.libsvm", "test.emp-2.libsvm", "test.libsvm",
        "train.eap-2.libsvm", "train.emp-2.libsvm", "train.libsvm", "windows.h5"]
    y_raw = load_svmlight_file(str(out / "train.libsvm"), zero_based=False)[1]
    x_emp, y_emp = load_svmlight_file(str(out / "train.emp-2.libsvm"), zero_based=False, n_features=18)
    np.testing.assert_array_equal(y_raw, y_emp)  # the same rows in the same order
    assert x_emp.shape == (len(ds["train"]["labels"]), 18)
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["outputs"]) == {p.name for p in out.iterdir()} - {"manifest.json"}

    # the grid reads a feature set by name; its results say which one and what it cost
    rc, _, err = cli("grid", "--data", out, "--features", "eap:2", "--gamma", "1", "--C", "1", "--folds", "3",
                     "--quiet", "--out", tmp_path / "eap.json")
    assert rc == 0, err
    res = json.loads((tmp_path / "eap.json").read_text())
    assert res["dataset"]["features"] == "eap:2" and res["dataset"]["feature_set"]["seconds"] == eap["seconds"]
    assert res["data"]["train"]["path"].endswith("train.eap-2.libsvm") and res["test"]["oa"] > 0.9
    rc, _, err = cli("grid", "--data", out, "--features", "emp:3", "--quiet", "--out", tmp_path / "x.json")
    assert rc == 2 and "--features emp:3: not prepared in" in err and "(it holds: eap:2, emp:2, raw)" in err
    assert not (tmp_path / "x.json").exists()

    # prepared again with fewer sets (--force): the other sets' files go
    rc, _, err = cli("prepare", "--cube", scene_files / "cube.npy", "--gt", scene_files / "gt.npy",
                     "--features", "raw", "--out", out)
    assert rc == 2 and "already holds a different dataset" in err
    assert cli("prepare", "--cube", scene_files / "cube.npy", "--gt", scene_files / "gt.npy", "--out", out,
               "--force")[0] == 0
    assert not list(out.glob("*.emp-2.libsvm"))


def test_an_eap_with_every_threshold_too_large_is_refused(tmp_path, cli, scene_files):
    rc, _, err = cli("prepare", "--cube", scene_files / "cube.npy", "--gt", scene_files / "gt.npy",
                     "--features", "eap:2:area=600,700", "--out", tmp_path / "o")
    assert rc == 2 and "every area threshold is at least the image's 24 x 24 = 576 pixels" in err
    assert not (tmp_path / "o").exists()
