"""The extractor contract and registry: a user's network by name or module:function, from Python
and the CLI; statistics from different feature spaces are refused by name."""
import json
import textwrap

import numpy as np
import pytest
import torch
from scipy import linalg

import ganmetrics
from ganmetrics.errors import InputError
from ganmetrics.features import registry
from ganmetrics.features.base import ModuleExtractor
from ganmetrics.metrics.kid import kid

from helpers import assert_one_line_error, run, smooth_images, write_folder

TINY = textwrap.dedent('''
    import torch
    from ganmetrics.features.base import ModuleExtractor

    def _net(seed):
        g = torch.Generator().manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(),
                                  torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten())
        for p in net.parameters():
            p.data = torch.randn(p.shape, generator=g) * 0.3
        return net

    def make(weights=None, device="cpu"):
        return ModuleExtractor(_net(0), "tiny-net", outputs=32, input_size=24, mean=(0.5, 0.4, 0.3),
                               std=(0.2, 0.25, 0.3), device=device)

    def make_other(weights=None, device="cpu"):
        return ModuleExtractor(_net(1), "other-net", outputs=32, input_size=24, device=device)
''')


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    (tmp_path / "tinynet.py").write_text(TINY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    root = tmp_path / "images"
    return {"real": write_folder(root / "real", smooth_images(40, size=32, seed=1)),
            "fake": write_folder(root / "fake", smooth_images(40, size=32, seed=2, shift=0.1)),
            "real_array": smooth_images(40, size=32, seed=1), "fake_array": smooth_images(40, size=32, seed=2, shift=0.1)}


def by_hand(images: np.ndarray) -> np.ndarray:
    """The tiny network's features computed without the package's runner: resize, normalise, forward."""
    import tinynet
    net = tinynet._net(0).eval()
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    x = torch.nn.functional.interpolate(x, size=(24, 24), mode="bilinear", align_corners=False, antialias=True)
    x = (x - torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1)) / torch.tensor([0.2, 0.25, 0.3]).view(1, 3, 1, 1)
    with torch.no_grad():
        return net(x).double().numpy()


def test_cli_computes_fid_and_kid_with_a_custom_network(tiny):
    r = run("eval", tiny["real"], tiny["fake"], "--features", "tinynet:make", "--metrics", "fid,kid",
            "--subsets", "5", "--subset-size", "20", "--workers", "0", "--device", "cpu", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    fa, fb = by_hand(tiny["real_array"]), by_hand(tiny["fake_array"])
    mu_a, mu_b = fa.mean(0), fb.mean(0)
    sa, sb = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    expected_fid = ((mu_a - mu_b) ** 2).sum() + np.trace(sa + sb - 2 * linalg.sqrtm(sa @ sb).real)
    assert out["fid"] == pytest.approx(expected_fid, rel=1e-5)
    assert out["kid"] == pytest.approx(kid(fa, fb, subsets=5, subset_size=20)[0], rel=1e-5, abs=1e-9)
    assert out["extractor"] == "tiny-net" and len(out["weights_sha256"]) == 64
    # the same network registered by name, from Python
    registry.register_extractor("tiny", lambda weights=None, device="cpu": __import__("tinynet").make(weights, device))
    try:
        res = ganmetrics.evaluate(tiny["real_array"], tiny["fake_array"], ["fid"], features="tiny", device="cpu",
                                  workers=0)
        assert res[0].value == pytest.approx(out["fid"], rel=1e-9)
    finally:
        registry._FACTORIES.pop("tiny")


def test_statistics_from_different_feature_spaces_are_refused(tiny, tmp_path):
    assert run("stats", tiny["real"], "--features", "tinynet:make", "-o", tmp_path / "a.npz", "--workers", "0").exit_code == 0
    assert run("stats", tiny["fake"], "--features", "tinynet:make_other", "-o", tmp_path / "b.npz",
               "--workers", "0").exit_code == 0
    r = run("fid", tmp_path / "a.npz", tmp_path / "b.npz")
    assert_one_line_error(r, "extractor=tiny-net", "extractor=other-net")
    assert run("fid", tmp_path / "a.npz", tmp_path / "b.npz", "--force").exit_code == 0


def test_bad_feature_specs_are_one_line_errors(tiny):
    assert_one_line_error(run("fid", tiny["real"], tiny["fake"], "--features", "nosuchnet"), "nosuchnet", "unknown")
    assert_one_line_error(run("fid", tiny["real"], tiny["fake"], "--features", "nosuchmod:make"), "cannot import")
    assert_one_line_error(run("fid", tiny["real"], tiny["fake"], "--features", "tinynet:nothing"), "no attribute")
    assert_one_line_error(run("is", tiny["fake"], "--features", "tinynet:make", "--workers", "0"), "logits")
    assert_one_line_error(run("fid", tiny["real"], tiny["fake"], "--features", "tinynet:make", "--resize",
                              "pytorch-fid"), "--resize")
    with pytest.raises(InputError, match="already registered"):
        registry.register_extractor("inception-v3-fid", lambda **kw: None)


def test_module_extractor_declares_the_contract():
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 5))
    ext = ModuleExtractor(net, "lin", outputs=5, input_size=8)
    out = ext(torch.zeros(2, 3, 16, 16, dtype=torch.uint8))
    assert set(out) == {"features"} and out["features"].shape == (2, 5)
    assert ext.roles == {"features": "features"} and ext.dim() == 5
    meta = ext.metadata()
    assert meta["extractor"] == "lin" and meta["resize"].startswith("bilinear-8x8")
    net2 = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 5))
    assert ModuleExtractor(net2, "lin", outputs=5, input_size=8).weights_sha256 != ext.weights_sha256
