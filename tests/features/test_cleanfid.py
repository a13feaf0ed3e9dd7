"""``--resize clean`` against clean-fid 0.1.35 itself (GaParmar/clean-fid, Parmar et al., CVPR 2022).

The oracle is clean-fid's own code: its ``clean`` resizer, and its folder pipeline
(``cleanfid.fid.get_folder_features``: file listing, ``convert("RGB")``, DataLoader, resize,
batching) with our Inception network on random weights plugged in as its model, which takes
clean-fid's 0..255 299x299 batches and normalises them the way clean-fid's TorchScript
network does (``(x - 128) / 128``).
"""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from ganmetrics import GaussianStats
from ganmetrics.features.inception import FIDInceptionV3
from ganmetrics.features.runner import extract_features
from ganmetrics.preprocess import preprocess, resize_clean
from helpers import assert_one_line_error, run, runner_for, smooth_images, write_folder

cleanfid_resize = pytest.importorskip("cleanfid.resize")


@pytest.mark.parametrize("hw", [(32, 32), (64, 64), (17, 40), (500, 350), (299, 299)])
def test_clean_resize_equals_cleanfid_resizer(hw):
    """Same Pillow call on the same float32 channel: the results are bit-identical (tolerance 0),
    so the network input (x - 128) / 128 is too; up- and downsampling, non-square and the
    299 x 299 identity (Pillow's resize returns a copy for an equal size)."""
    rng = np.random.default_rng(hw[0] * 1000 + hw[1])
    img = rng.integers(0, 256, size=(*hw, 3), dtype=np.uint8)  # white noise: bicubic overshoots, the clip matters
    theirs = cleanfid_resize.build_resizer("clean")(img)        # H x W x 3 float32, 0..255
    assert theirs.shape == (299, 299, 3) and theirs.dtype == np.float32
    x = torch.from_numpy(img).permute(2, 0, 1)[None]
    ours = resize_clean(x)[0].permute(1, 2, 0).numpy()
    assert np.array_equal(ours, theirs)
    expected = (torch.from_numpy(theirs).permute(2, 0, 1)[None] - 128) / 128  # InceptionV3W.forward
    assert torch.equal(preprocess(x, "clean"), expected)


def _model_from(weights_file) -> FIDInceptionV3:
    model = FIDInceptionV3()
    model.load_state_dict(torch.load(weights_file, map_location="cpu", weights_only=True))
    return model.eval().requires_grad_(False)


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory):
    """6 PNGs: 32x32 and 64x64 RGB, one grayscale (L) and one RGBA, as clean-fid's loader sees them."""
    folder = tmp_path_factory.mktemp("cleanfid_images")
    small, large = smooth_images(3, size=32, seed=11), smooth_images(3, size=64, seed=12)
    Image.fromarray(small[0]).save(folder / "a0.png")
    Image.fromarray(small[1]).save(folder / "a1.png")
    Image.fromarray(small[2][..., 0]).save(folder / "a2.png")                      # mode L
    Image.fromarray(large[0]).save(folder / "b0.png")
    Image.fromarray(large[1]).save(folder / "b1.png")
    alpha = np.random.default_rng(13).integers(0, 256, size=(64, 64, 1), dtype=np.uint8)
    Image.fromarray(np.concatenate([large[2], alpha], axis=2)).save(folder / "b2.png")  # mode RGBA
    return folder


def test_features_equal_cleanfid_folder_pipeline(mixed_folder, weights_file):
    fid = pytest.importorskip("cleanfid.fid")
    model = _model_from(weights_file)
    theirs = fid.get_folder_features(str(mixed_folder), model=lambda x: model((x - 128) / 128)[0], num_workers=0,
                                     batch_size=4, device=torch.device("cpu"), mode="clean", verbose=False)
    ours = extract_features(mixed_folder, runner_for(weights=weights_file, device="cpu", workers=0, resize="clean"))
    assert ours.metadata["resize"] == "clean" and ours.features.shape == theirs.shape == (6, 2048)
    # channels-last convolutions (our default) round differently from clean-fid's NCHW: ~1e-6 relative
    rel = np.abs(ours.features - theirs).max() / np.abs(theirs).max()
    assert rel < 1e-5, rel
    # in clean-fid's NCHW layout the same network input gives the same features (measured: 0.0;
    # 1e-6 leaves room for batch-size-dependent convolution rounding on other CPUs)
    nchw = extract_features(mixed_folder, runner_for(weights=weights_file, device="cpu", workers=0, resize="clean",
                                                     channels_last=False))
    assert np.abs(nchw.features - theirs).max() / np.abs(theirs).max() < 1e-6
    # and the protocol matters: the tf1 resize of the same folder gives other features
    tf1 = extract_features(mixed_folder, runner_for(weights=weights_file, device="cpu", workers=0, resize="tf1"))
    assert np.abs(tf1.features - theirs).max() / np.abs(theirs).max() > 1e-3


def test_cli_fid_resize_clean_records_the_mode_and_refuses_mixing(weights_file, tmp_path):
    a = write_folder(tmp_path / "a", smooth_images(4, size=32, seed=21))
    b = write_folder(tmp_path / "b", smooth_images(4, size=32, seed=22, shift=0.1))
    r = run("fid", a, b, "--weights", weights_file, "--workers", "0", "--resize", "clean", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["resize"] == "clean" and out["fid"] > 0
    stats = tmp_path / "real-clean.npz"
    assert run("stats", a, "-o", stats, "--weights", weights_file, "--workers", "0",
               "--resize", "clean").exit_code == 0
    assert GaussianStats.load(stats).metadata["resize"] == "clean"
    r = run("fid", stats, b, "--weights", weights_file, "--workers", "0", "--resize", "clean", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["fid"] == pytest.approx(out["fid"], rel=1e-6)
    r = run("fid", stats, b, "--weights", weights_file, "--workers", "0")  # default tf1
    assert_one_line_error(r, "resize=clean", "resize=tf1", "--force")
    r = run("fid", a, b, "--resize", "bogus")
    assert_one_line_error(r, "--resize", "clean")
