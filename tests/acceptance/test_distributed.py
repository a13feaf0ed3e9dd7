"""torchrun with 2 gloo processes on the CPU: sharded extraction, all-reduced statistics."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import ganmetrics
from ganmetrics import GaussianStats, distributed
from ganmetrics.inputs.sources import ImageSource

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


@pytest.mark.slow
def test_torchrun_fid_and_eval_equal_single_process(image_sets, weights_file, tmp_path):
    """`fid` all-reduces sums; `eval` gathers features back into input order (KID subsets and IS
    splits depend on it), so both equal one process's numbers."""
    real = write_folder(tmp_path / "real", image_sets["real_array"][:11])   # uneven over 2 ranks
    fake = write_folder(tmp_path / "fake", image_sets["fake_array"][:9])
    common = ["--weights", str(weights_file), "--device", "cpu", "--workers", "0", "--batch-size", "4", "--json"]
    evaluated = ["eval", str(real), str(fake), "--metrics", "fid,is,kid,prdc", "--splits", "2", "--subsets", "4",
                 "--subset-size", "5", "--k-pr", "3", "--k-dc", "3"]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone", "-m",
                "ganmetrics"]
    for args in (["fid", str(real), str(fake)], evaluated):
        run = subprocess.run(torchrun + args + common, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
        assert len(lines) == 1  # rank 0 alone prints
        single = json.loads(subprocess.run([sys.executable, "-m", "ganmetrics"] + args + common, capture_output=True,
                                           text=True, timeout=600, check=True).stdout)
        dist_result = json.loads(lines[0])
        assert dist_result["n_a"] == 11 and dist_result["n_b"] == 9
        for key, value in single.items():
            if isinstance(value, float):  # float32 features differ by ~1e-7 between batch compositions
                # a spread (std over IS splits or KID subsets) is a difference of close values: its
                # error is relative to the metric, not to itself
                scale = abs(single[key[:-len("_std")]]) if key.endswith("_std") else abs(value)
                assert dist_result[key] == pytest.approx(value, rel=0, abs=1e-5 * scale), key
            else:
                assert dist_result[key] == value, key


def test_gather_strided_restores_input_order(monkeypatch):
    parts = [torch.tensor([[0.0], [2.0], [4.0]]), torch.tensor([[1.0], [3.0]])]
    monkeypatch.setattr(distributed, "active", lambda: True)
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    monkeypatch.setattr(distributed.dist, "all_gather_object", lambda out, x: out.__setitem__(slice(None), parts))
    assert distributed.gather_strided(parts[0]).ravel().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


@pytest.mark.slow
def test_stateful_metrics_sync_across_ranks_in_a_users_loop(image_sets, weights_file, tmp_path):
    """FID all-reduces its sums, KID and IS gather features in rank order; every rank agrees."""
    real, fake = image_sets["real_array"][:7], image_sets["fake_array"][:7]
    np.savez(tmp_path / "data.npz", real=real, fake=fake)
    worker = Path(__file__).with_name("ddp_stateful_worker.py")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone", str(worker),
           str(tmp_path / "data.npz"), str(weights_file), str(tmp_path / "out")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)  # a rank left waiting would hang
    assert run.returncode == 0, run.stderr[-2000:]
    ranks = [json.loads((tmp_path / f"out.rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0] == ranks[1]
    assert ranks[0]["fid_n"] == {"a": 7, "b": 7}
    order = np.r_[0:7:2, 1:7:2]  # what the gathers concatenate: rank 0's rows, then rank 1's
    fid = ganmetrics.FID(weights=weights_file, device="cpu")
    kid = ganmetrics.KID(subsets=4, subset_size=5, weights=weights_file, device="cpu")
    inception_score = ganmetrics.InceptionScore(splits=2, weights=weights_file, device="cpu")
    fid.update(real[order], real=True)
    fid.update(fake[order])
    kid.update(real[order], real=True)
    kid.update(fake[order])
    inception_score.update(fake[order])
    # float32 features differ by ~1e-7 relative between batch compositions
    assert ranks[0]["fid"] == pytest.approx(fid.compute().value, rel=1e-5)
    assert ranks[0]["kid"] == pytest.approx(kid.compute().value, rel=1e-5)
    assert ranks[0]["is"] == pytest.approx(inception_score.compute().value, rel=1e-5)
    rank0_only = ganmetrics.FID(weights=weights_file, device="cpu")
    rank0_only.update(real[0::2], real=True)
    rank0_only.update(fake[0::2])
    assert ranks[0]["fid_rank0_only"] == pytest.approx(rank0_only.compute().value, rel=1e-5)
    assert "needs images with real=True and real=False" in ranks[0]["empty_kid_error"]
