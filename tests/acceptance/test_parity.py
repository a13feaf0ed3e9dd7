"""Parity with the reference implementations on the same random weights file.

pytorch-fid: ``--resize pytorch-fid``, features to 1e-4 (max abs), FID to 1e-3.
torch-fidelity: ``--resize tf1`` (its TF-1 compatible path), features to 1e-4, FID to 1e-3.
Both in the peers' NCHW layout (``channels_last=False``); the default NHWC layout is checked
against NCHW separately (float32 rounding only).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ganmetrics

from helpers import runner_for
from ganmetrics.inputs.open import open_images

pytorch_fid = pytest.importorskip("pytorch_fid")
torch_fidelity = pytest.importorskip("torch_fidelity")


def our_features(path, weights, resize, channels_last=False):
    opts = runner_for(weights=weights, device="cpu", resize=resize, batch_size=5, workers=0,
                            channels_last=channels_last)
    out = [f for f in opts.run(open_images(path))]
    return (torch.cat([f["pool3"] for f in out]).numpy().astype(np.float64),
            torch.cat([f["logits"] for f in out]).numpy().astype(np.float64))


def reference_fid(f1, f2):
    """FID from features by an independent route: Tr sqrt(S1 S2) = sum sqrt(eig(S1 S2))."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    tr_covmean = np.sum(np.sqrt(np.linalg.eigvals(s1 @ s2).astype(complex)).real)
    return float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


@pytest.fixture(scope="module")
def pytorch_fid_model(weights_file, monkeypatch_module):
    from pytorch_fid import inception
    monkeypatch_module.setattr(inception, "load_state_dict_from_url",
                               lambda *a, **k: torch.load(weights_file, weights_only=True))
    model = inception.InceptionV3([inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    return model.eval()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def pytorch_fid_activations(folder, model):
    from pytorch_fid.fid_score import get_activations
    files = sorted(str(p) for p in folder.iterdir())
    return get_activations(files, model, batch_size=5, dims=2048, device="cpu", num_workers=0).astype(np.float64)


def test_features_match_pytorch_fid(image_sets, weights_file, pytorch_fid_model):
    theirs = pytorch_fid_activations(image_sets["real"], pytorch_fid_model)
    ours, _ = our_features(image_sets["real"], weights_file, "pytorch-fid")
    assert ours.shape == theirs.shape == (12, 2048)
    assert np.abs(ours - theirs).max() < 1e-4
    assert theirs.std() > 0.1  # the random network is not degenerate


def test_fid_matches_pytorch_fid(image_sets, weights_file, pytorch_fid_model):
    a = pytorch_fid_activations(image_sets["real"], pytorch_fid_model)
    b = pytorch_fid_activations(image_sets["fake"], pytorch_fid_model)
    expected = reference_fid(a, b)
    kw = dict(weights=weights_file, device="cpu", resize="pytorch-fid", workers=0, channels_last=False)
    ours = ganmetrics.fid(image_sets["real"], image_sets["fake"], sqrtm="scipy", **kw).value  # the peer's numerics
    assert expected > 1.0
    assert abs(ours - expected) < 1e-3
    # the default route is exact at N < d, where scipy's sqrtm is about 1e-6 relative off (docs/metrics.md)
    assert ganmetrics.fid(image_sets["real"], image_sets["fake"], **kw).value == pytest.approx(expected, rel=1e-5)


def tfid_extractor(weights_file):
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    return FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased", "logits"],
                                       feature_extractor_weights_path=str(weights_file))


def test_features_and_logits_match_torch_fidelity(image_sets, weights_file):
    fe = tfid_extractor(weights_file)
    x = torch.from_numpy(image_sets["real_array"]).permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        pool3, logits_unbiased, logits = (t.double().numpy() for t in fe(x))
    ours, our_logits = our_features(image_sets["real"], weights_file, "tf1")
    assert np.abs(ours - pool3).max() < 1e-4
    assert np.abs(our_logits - logits).max() < 1e-3 * max(1.0, np.abs(logits).max() / 100)
    # the classifier bias matters for these weights: logits with and without it differ
    assert np.abs(logits - logits_unbiased).max() > 0.1


def test_fid_matches_torch_fidelity(image_sets, weights_file):
    metrics = torch_fidelity.calculate_metrics(
        input1=str(image_sets["real"]), input2=str(image_sets["fake"]), fid=True, cuda=False,
        feature_extractor="inception-v3-compat", feature_extractor_weights_path=str(weights_file),
        batch_size=6, verbose=False, cache=False, save_cpu_ram=True)
    ours = ganmetrics.fid(image_sets["real"], image_sets["fake"], sqrtm="scipy", weights=weights_file, device="cpu",
                          resize="tf1", workers=0, channels_last=False).value
    assert abs(ours - metrics["frechet_inception_distance"]) < 1e-3


def test_resize_modes_differ_on_small_images(image_sets, weights_file):
    tf1, _ = our_features(image_sets["real"], weights_file, "tf1")
    pt, _ = our_features(image_sets["real"], weights_file, "pytorch-fid")
    assert np.abs(tf1 - pt).max() > 1e-2  # the modes are really different code paths


def test_channels_last_changes_only_float32_rounding(image_sets, weights_file):
    nchw, _ = our_features(image_sets["real"], weights_file, "tf1", channels_last=False)
    nhwc, _ = our_features(image_sets["real"], weights_file, "tf1", channels_last=True)
    assert np.abs(nchw - nhwc).max() <= 1e-5 * np.abs(nchw).max()
    fids = [ganmetrics.fid(image_sets["real"], image_sets["fake"], weights=weights_file, device="cpu", workers=0,
                           channels_last=layout) for layout in (False, True)]
    assert abs(fids[1].value - fids[0].value) <= 5e-6 * fids[0].value
    assert [f.metadata["layout"] for f in fids] == ["nchw", "channels_last"]
