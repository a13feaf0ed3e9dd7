"""torchrun with 2 gloo processes on the CPU: sharded extraction, all-reduced statistics."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import ganmetrics
from ganmetrics import GaussianStats, distributed
from ganmetrics.sources import ImageSource

from helpers import write_folder


def test_strided_shards_cover_every_image_once(monkeypatch):
    source = ImageSource("x", array=np.arange(11 * 3).reshape(11, 3, 1, 1).astype(np.uint8))
    seen = []
    for r in range(3):
        monkeypatch.setattr(distributed, "active", lambda: True)
        monkeypatch.setattr(distributed, "rank", lambda r=r: r)
        monkeypatch.setattr(distributed, "world_size", lambda: 3)
        seen.extend(distributed.shard(source).array[:, 0, 0, 0] // 3)
    assert sorted(seen) == list(range(11))  # uneven tail: shards of 4, 4, 3


@pytest.mark.slow
def test_torchrun_stats_equal_single_process(image_sets, weights_file, tmp_path):
    folder = write_folder(tmp_path / "eleven", image_sets["real_array"][:11])  # uneven over 2 ranks
    out = tmp_path / "dist.npz"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
           "-m", "ganmetrics", "stats", str(folder), "-o", str(out), "--weights", str(weights_file),
           "--device", "cpu", "--workers", "0", "--batch-size", "4"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stderr.count("wrote ") == 1  # rank 0 alone writes
    dist_stats = GaussianStats.load(out)
    single = ganmetrics.compute_stats(folder, weights=weights_file, device="cpu", workers=0, batch_size=4)
    assert dist_stats.n == single.n == 11
    # the float64 reduction is exact up to rounding; float32 network outputs may differ by ~1e-7
    # relative between batch compositions (oneDNN picks kernels by shape)
    scale = np.abs(single.sigma).max()
    np.testing.assert_allclose(dist_stats.mu, single.mu, rtol=0, atol=1e-5 * np.abs(single.mu).max())
    np.testing.assert_allclose(dist_stats.sigma, single.sigma, rtol=0, atol=1e-5 * scale)


def test_gather_strided_restores_input_order(monkeypatch):
    parts = [torch.tensor([[0.0], [2.0], [4.0]]), torch.tensor([[1.0], [3.0]])]
    monkeypatch.setattr(distributed, "active", lambda: True)
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    monkeypatch.setattr(distributed.dist, "all_gather_object", lambda out, x: out.__setitem__(slice(None), parts))
    assert distributed.gather_strided(parts[0]).ravel().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
