"""Shared fixtures: one seeded random weights file in pytorch-fid's format, and small folders."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import smooth_images, write_folder, write_random_weights  # noqa: E402


@pytest.fixture(scope="session")
def weights_file(tmp_path_factory) -> Path:
    return write_random_weights(tmp_path_factory.mktemp("weights") / "pt_inception-random.pth", seed=0)


@pytest.fixture(scope="session")
def image_sets(tmp_path_factory):
    """Two small folders of 32x32 PNGs from slightly different distributions (12 images each)."""
    root = tmp_path_factory.mktemp("images")
    real = smooth_images(12, size=32, seed=1)
    fake = smooth_images(12, size=32, seed=2, shift=0.08)
    return {"real": write_folder(root / "real", real), "fake": write_folder(root / "fake", fake),
            "real_array": real, "fake_array": fake}


@pytest.fixture(autouse=True)
def _no_downloads(monkeypatch, tmp_path):
    """Tests never touch the network or the user's cache."""
    monkeypatch.setenv("GANMETRICS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GANMETRICS_INCEPTION_WEIGHTS", raising=False)
