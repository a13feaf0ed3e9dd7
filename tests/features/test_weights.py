import hashlib
import os

import pytest
import torch

from ganmetrics.errors import WeightsError
from ganmetrics.features import weights
from ganmetrics.features.inception import load_inception


def test_search_order(tmp_path, monkeypatch):
    explicit, env, cached = tmp_path / "explicit.pth", tmp_path / "env.pth", tmp_path / "cache" / weights.WEIGHTS_FILENAME
    cached.parent.mkdir(parents=True, exist_ok=True)
    for p in (explicit, env, cached):
        p.write_bytes(b"x")
    monkeypatch.setenv(weights.ENV_VAR, str(env))
    assert weights.find_weights(explicit) == explicit
    assert weights.find_weights(None) == env
    monkeypatch.delenv(weights.ENV_VAR)
    assert weights.find_weights(None) == cached
    with pytest.raises(WeightsError, match="not found"):
        weights.find_weights(tmp_path / "nope.pth")


def test_download_verifies_sha256_and_is_atomic(tmp_path, monkeypatch):
    payload = b"weights" * 1000
    src = tmp_path / "served.pth"
    src.write_bytes(payload)
    dest = tmp_path / "cache" / weights.WEIGHTS_FILENAME
    with pytest.raises(WeightsError, match="sha256"):
        weights.download_file(src.as_uri(), dest, "0" * 64)
    assert not dest.parent.exists() or os.listdir(dest.parent) == []  # nothing left, not even a temp file
    weights.download_file(src.as_uri(), dest, hashlib.sha256(payload).hexdigest())
    assert dest.read_bytes() == payload


def test_offline_error_says_how_to_provide_the_file(monkeypatch):
    monkeypatch.setattr(weights, "WEIGHTS_URL", "http://127.0.0.1:9/pt_inception.pth")
    with pytest.raises(WeightsError) as info:
        weights.find_weights(None)
    message = str(info.value)
    assert "--weights" in message and weights.ENV_VAR in message and "\n" not in message


def test_truncated_and_foreign_files_are_refused(tmp_path, weights_file):
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(weights_file.read_bytes()[: 1 << 20])
    with pytest.raises(WeightsError, match="truncated.pth: not a loadable weights file"):
        load_inception(truncated, device="cpu")
    foreign = tmp_path / "foreign.pth"
    torch.save({"fc.weight": torch.zeros(3, 3)}, foreign)
    with pytest.raises(WeightsError, match="foreign.pth: not FID Inception-v3 weights"):
        load_inception(foreign, device="cpu")


def test_pickled_module_is_not_unpickled(tmp_path):
    evil = tmp_path / "evil.pth"
    torch.save(torch.nn.Linear(2, 2), evil)  # a whole module needs arbitrary unpickling
    with pytest.raises(WeightsError, match="evil.pth"):
        load_inception(evil, device="cpu")


def test_loaded_extractor_records_hash(weights_file):
    ext = load_inception(weights_file, device="cpu", resize="pytorch-fid")
    assert ext.metadata() == {"extractor": "inception-v3-fid", "resize": "pytorch-fid", "layout": "channels_last", "tf32": False,
                              "weights_sha256": hashlib.sha256(weights_file.read_bytes()).hexdigest(),
                              "standard_weights": False}  # random test weights, not pytorch-fid's file
    assert load_inception(weights_file, device="cpu", channels_last=False).metadata()["layout"] == "nchw"
