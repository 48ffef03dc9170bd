import h5py
import numpy as np
import pytest

from hsbench.cnn.errors import InputError
from hsbench.cnn.windows import WindowFile, write_window_file
from tests.cnn_fixtures import make_window_file, synthetic_scene


def test_roundtrip_windows_normalised_and_reflect_padded(tmp_path):
    path = make_window_file(tmp_path / "w.h5", window=5)
    cube, _ = synthetic_scene()
    wf = WindowFile(path)
    assert wf.window == 5 and wf.bands == 30 and wf.class_names[1] == "class 1"
    with h5py.File(path) as f:
        train = f["train/coords"][...]
        assert f.attrs["format"] == "hsbench-windows"
        np.testing.assert_allclose(f["mean"][...], cube[train[:, 0], train[:, 1]].mean(0), rtol=1e-5)
    norm = (cube - wf.mean) / wf.std
    x = wf.windows(np.array([[5, 6], [0, 0]]))
    assert x.shape == (2, 5, 5, 30, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :, :, :, 0], norm[3:8, 4:9], rtol=1e-5)
    # corner (0, 0): reflect padding mirrors rows/cols 1, 2 without repeating the edge
    np.testing.assert_allclose(x[1, 0, 0, :, 0], norm[2, 2], rtol=1e-5)
    np.testing.assert_allclose(x[1, 2, 2, :, 0], norm[0, 0], rtol=1e-5)
    assert wf.windows(wf.test_coords).shape == (len(wf.test_labels), 5, 5, 30, 1)
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temporary file


def _rewrite(path, fn):
    with h5py.File(path, "a") as f:
        fn(f)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda f: f.__delitem__("test/labels"), "dataset /test/labels missing"),
        (lambda f: f.attrs.__setitem__("window", 4), "window size 4 is not odd"),
        (lambda f: f["cube"].__setitem__((0, 0, 0), np.nan), "NaN"),
    ],
)
def test_bad_files_raise_input_error_naming_file(tmp_path, damage, message):
    path = make_window_file(tmp_path / "w.h5")
    _rewrite(path, damage)
    with pytest.raises(InputError, match=message) as exc:
        WindowFile(path)
    assert str(path) in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        WindowFile(tmp_path / "nope.h5")


def test_writer_rejects_even_window(tmp_path):
    cube, _gt = synthetic_scene()
    with pytest.raises(InputError, match="odd"):
        write_window_file(tmp_path / "w.h5", cube, [[0, 0]], [1], [[1, 1]], [1], {1: "a"}, 4, {})
    assert not list(tmp_path.iterdir())


def test_augmentation_is_the_square_symmetries_and_reproducible(tmp_path):
    from hsbench.cnn.dataset import WindowDataset, dihedral

    x = np.arange(2 * 3 * 3 * 2, dtype=np.float32).reshape(2, 3, 3, 2, 1)
    images = {dihedral(x[:1], np.array([k]))[0, :, :, 0, 0].tobytes() for k in range(8)}
    assert len(images) == 8  # eight different symmetries of the window
    for k in range(8):
        y = dihedral(x, np.full(2, k))
        assert sorted(y.ravel()) == sorted(x.ravel())  # a permutation of pixels
        np.testing.assert_array_equal(y[:, 1, 1], x[:, 1, 1])  # the labelled centre pixel stays put

    wf = WindowFile(make_window_file(tmp_path / "w.h5"))
    coords, labels = wf.train_coords, wf.train_labels
    ds = WindowDataset(wf, coords, labels, 4, shuffle=True, seed=3, augment=True)
    ds.epoch = 2
    a, _ = ds[0]
    ds2 = WindowDataset(wf, coords, labels, 4, shuffle=True, seed=3, augment=True)
    ds2.epoch = 2
    np.testing.assert_array_equal(a, ds2[0][0])  # same (seed, epoch, batch) -> same windows
    plain = WindowDataset(wf, coords, labels, 4, shuffle=True, seed=3)
    plain.epoch = 2
    assert not np.array_equal(a, plain[0][0])


@pytest.mark.parametrize("h,w,r", [(12, 10, 2), (9, 9, 4), (3, 20, 4), (15, 15, 0)])
def test_padded_cube_equals_numpy_reflect_pad(tmp_path, h, w, r):
    cube = np.random.default_rng(h + w + r).uniform(0, 100, (h, w, 5)).astype(np.float32)
    coords, labels = np.array([[0, 0], [h - 1, w - 1]]), np.array([1, 2])
    write_window_file(tmp_path / "p.h5", cube, coords, labels, coords, labels, {1: "a", 2: "b"}, 2 * r + 1, {})
    wf = WindowFile(tmp_path / "p.h5")
    expected = np.pad((cube - wf.mean) / wf.std, ((r, r), (r, r), (0, 0)), mode="reflect" if r else "constant")
    np.testing.assert_allclose(wf._padded, expected, rtol=0, atol=1e-6)
