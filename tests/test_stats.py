import json

import numpy as np
import pytest
import torch

from ganmetrics import GaussianStats
from ganmetrics.errors import InputError


def test_streaming_equals_numpy_mean_and_cov():
    rng = np.random.default_rng(0)
    x = rng.normal(0.4, 0.3, size=(301, 48)) ** 2
    stats = GaussianStats(48)
    for chunk in np.array_split(x, 7):
        stats.update(torch.from_numpy(chunk).float() if len(chunk) % 2 else chunk)
    x32 = np.concatenate([c.astype(np.float32) if len(c) % 2 else c for c in np.array_split(x, 7)]).astype(np.float64)
    assert stats.n == 301
    np.testing.assert_allclose(stats.mu, x32.mean(0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(stats.sigma, np.cov(x32, rowvar=False), rtol=1e-10, atol=1e-12)


def test_merged_shards_equal_the_whole():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 16))
    whole = GaussianStats(16).update(x)
    a, b, c = GaussianStats(16).update(x[:37]), GaussianStats(16).update(x[37:150]), GaussianStats(16).update(x[150:])
    merged = a.merge(b).merge(c)
    assert merged.n == 200
    np.testing.assert_allclose(merged.mu, whole.mu, atol=1e-14)
    np.testing.assert_allclose(merged.sigma, whole.sigma, atol=1e-13)


def test_save_load_roundtrip_and_merge_after_load(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 8))
    stats = GaussianStats(8, {"extractor": "e", "resize": "tf1"}).update(x[:30])
    stats.save(tmp_path / "s.npz")
    loaded = GaussianStats.load(tmp_path / "s.npz")
    assert loaded.n == 30 and loaded.metadata["extractor"] == "e"
    np.testing.assert_allclose(loaded.sigma, stats.sigma, atol=1e-14)
    merged = loaded.merge(GaussianStats(8).update(x[30:]))
    np.testing.assert_allclose(merged.sigma, np.cov(x, rowvar=False), atol=1e-12)
    with np.load(tmp_path / "s.npz", allow_pickle=False) as f:  # what TTUR / pytorch-fid read
        assert set(f.files) >= {"mu", "sigma"}
        assert json.loads(str(f["metadata"]))["resize"] == "tf1"


def test_reads_foreign_stats_files(tmp_path):
    mu, sigma = np.arange(4.0), np.eye(4)
    np.savez(tmp_path / "ttur.npz", mu=mu, sigma=sigma)
    s = GaussianStats.load(tmp_path / "ttur.npz")
    assert s.n == 0 and np.array_equal(s.mu, mu) and np.array_equal(s.sigma, sigma)
    with pytest.raises(InputError, match="unknown"):
        s.merge(s)


def test_errors(tmp_path):
    s = GaussianStats(4)
    with pytest.raises(InputError, match="N x 4"):
        s.update(np.zeros((3, 5)))
    with pytest.raises(InputError, match="NaN"):
        s.update(np.full((2, 4), np.nan))
    s.update(np.zeros((1, 4)))
    with pytest.raises(InputError, match="at least 2"):
        _ = s.sigma
    np.savez(tmp_path / "bad.npz", mu=np.zeros(3), sigma=np.eye(4))
    with pytest.raises(InputError, match="square matrix"):
        GaussianStats.load(tmp_path / "bad.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="junk.npz"):
        GaussianStats.load(tmp_path / "junk.npz")
