import numpy as np
import pytest
import torch
from PIL import Image

from ganmetrics.errors import InputError
from ganmetrics.inputs.open import open_images
from ganmetrics.inputs.sources import as_uint8_nchw, decode_image, iter_batches, list_image_files


def test_folder_is_recursive_sorted_and_skips_hidden(tmp_path):
    for rel in ["b/2.png", "a/10.jpg", "a/9.JPEG", "c.bmp", "d.webp", "e.tif"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8)).save(tmp_path / rel)
    (tmp_path / ".DS_Store").write_bytes(b"x")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "junk.txt").write_text("x")
    names = [p.relative_to(tmp_path).as_posix() for p in list_image_files(tmp_path)]
    assert names == ["a/10.jpg", "a/9.JPEG", "b/2.png", "c.bmp", "d.webp", "e.tif"]


def test_mode_conversions(tmp_path):
    gray = np.arange(64, dtype=np.uint8).reshape(8, 8)
    Image.fromarray(gray, "L").save(tmp_path / "g.png")
    assert np.array_equal(decode_image(tmp_path / "g.png"), np.stack([gray] * 3, -1))

    rgba = np.random.default_rng(0).integers(0, 256, (8, 8, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert np.array_equal(decode_image(tmp_path / "a.png"), rgba[..., :3])

    pal = Image.fromarray(gray, "L").convert("P")
    pal.save(tmp_path / "p.png")
    assert np.array_equal(decode_image(tmp_path / "p.png"), np.asarray(pal.convert("RGB")))

    g16 = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1040)  # up to 65520
    Image.fromarray(g16).save(tmp_path / "g16.png")
    out = decode_image(tmp_path / "g16.png")
    assert np.array_equal(out[..., 0], np.rint(g16 / 257).astype(np.uint8))
    assert out.max() == 255


def test_array_layouts_and_float_rule():
    rng = np.random.default_rng(0)
    nhwc = rng.integers(0, 256, (2, 5, 6, 3), dtype=np.uint8)
    nchw = nhwc.transpose(0, 3, 1, 2)
    assert np.array_equal(as_uint8_nchw(nhwc), nchw)
    assert np.array_equal(as_uint8_nchw(nchw), nchw)
    assert np.array_equal(as_uint8_nchw(torch.from_numpy(nchw)), nchw)
    assert np.array_equal(as_uint8_nchw(nhwc / 255.0), nchw)      # float in [0, 1] -> round(255 x)
    assert as_uint8_nchw(nhwc[..., :1]).shape == (2, 3, 5, 6)      # gray -> RGB
    assert as_uint8_nchw(nhwc[..., 0]).shape == (2, 3, 5, 6)       # N x H x W
    rgba = np.concatenate([nhwc, nhwc[..., :1]], -1)
    assert np.array_equal(as_uint8_nchw(rgba), nchw)               # alpha dropped


@pytest.mark.parametrize("array, match", [
    (np.full((2, 4, 4, 3), 1.5), r"\[0, 1\]"),
    (np.full((2, 4, 4, 3), np.nan), "NaN"),
    (np.full((2, 4, 4, 3), 300, dtype=np.int32), "0..255"),
    (np.zeros((2, 5, 4, 5), dtype=np.uint8), "channel axis"),
    (np.zeros((4, 4), dtype=np.uint8), "shape"),
    (np.zeros((0, 4, 4, 3), dtype=np.uint8), "no images"),
])
def test_array_errors(array, match):
    with pytest.raises(InputError, match=match):
        as_uint8_nchw(array, "x.npy")


def test_array_files_and_batches(tmp_path):
    imgs = np.random.default_rng(0).integers(0, 256, (7, 8, 8, 3), dtype=np.uint8)
    np.save(tmp_path / "a.npy", imgs)
    np.savez(tmp_path / "b.npz", images=imgs, labels=np.arange(7))
    for name in ("a.npy", "b.npz"):
        src = open_images(tmp_path / name)
        batches = list(iter_batches(src, batch_size=3))
        assert [len(b) for b in batches] == [3, 3, 1]
        assert np.array_equal(torch.cat(batches).numpy(), imgs.transpose(0, 3, 1, 2))
    np.savez(tmp_path / "c.npz", u=imgs, v=imgs)
    with pytest.raises(InputError, match="c.npz"):
        open_images(tmp_path / "c.npz")


def test_mixed_sizes_come_as_a_list(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    Image.new("RGB", (9, 7)).save(tmp_path / "b.png")
    (batch,) = iter_batches(open_images(tmp_path), batch_size=4)
    assert isinstance(batch, list) and [tuple(b.shape) for b in batch] == [(3, 8, 8), (3, 7, 9)]


def test_folder_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        open_images(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no image files"):
        open_images(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    Image.new("RGB", (8, 8)).save(bad / "0.png")
    (bad / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="notes.txt: not an image"):
        open_images(bad)


@pytest.mark.parametrize("workers", [0, 2])
def test_corrupt_image_is_one_clean_line_from_workers(tmp_path, workers):
    Image.new("RGB", (8, 8)).save(tmp_path / "0.png")
    (tmp_path / "1.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(InputError) as info:
        list(iter_batches(open_images(tmp_path), batch_size=2, workers=workers))
    assert "1.png" in str(info.value) and "\n" not in str(info.value)
