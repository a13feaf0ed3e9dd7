"""TF32 off during feature extraction, the caller's precision settings restored (issue 18)."""
import numpy as np
import pytest
import torch

import ganmetrics
from ganmetrics.features.registry import get_extractor
from ganmetrics.features import precision
from ganmetrics.features.precision import current_settings, float32_precision
from helpers import smooth_images


@pytest.fixture
def user_settings():
    """A training script's settings: TF32 allowed on the GPU, bfloat16 matmuls on the CPU."""
    before = current_settings()
    if precision.new_api():
        torch.backends.cuda.matmul.fp32_precision = "tf32"
        torch.backends.cudnn.conv.fp32_precision = "tf32"
        torch.backends.mkldnn.matmul.fp32_precision = "bf16"
    else:  # pragma: no cover - PyTorch < 2.9
        torch.set_float32_matmul_precision("medium")
    try:
        yield current_settings()
    finally:
        if precision.new_api():
            for key, value in before.items():
                backend, op = key.split(".")
                getattr(getattr(torch.backends, backend), op).fp32_precision = value
        else:  # pragma: no cover
            torch.set_float32_matmul_precision(before["float32_matmul_precision"])
    assert current_settings() == before


def full_precision_inside() -> dict:
    with float32_precision():
        return current_settings()


def test_full_float32_inside_and_the_callers_settings_after(user_settings):
    inside = full_precision_inside()
    assert inside != user_settings
    if precision.new_api():
        assert set(inside.values()) == {"ieee"}
    assert current_settings() == user_settings
    with float32_precision(tf32=True):
        on = current_settings()
    if precision.new_api():
        assert on["cuda.matmul"] == on["cudnn.conv"] == "tf32" and on["mkldnn.matmul"] == "ieee"
    assert current_settings() == user_settings
    with pytest.raises(ValueError), float32_precision():  # restored when the block raises too
        raise ValueError
    assert current_settings() == user_settings


def test_legacy_api_path(monkeypatch):
    # PyTorch releases without the per-backend API: allow_tf32 flags and the matmul precision
    monkeypatch.setattr(precision, "_handles", lambda: [])
    saved = current_settings()
    try:
        torch.set_float32_matmul_precision("high")
        torch.backends.cudnn.allow_tf32 = True
        user = current_settings()
        with float32_precision():
            inside = current_settings()
        assert inside == {"cuda.matmul.allow_tf32": False, "cudnn.allow_tf32": False,
                          "float32_matmul_precision": "highest"}
        assert current_settings() == user
    finally:
        torch.backends.cudnn.allow_tf32 = saved["cudnn.allow_tf32"]
        torch.set_float32_matmul_precision(saved["float32_matmul_precision"])


def test_extractor_and_in_loop_metric_run_in_full_float32_and_record_the_flag(weights_file, user_settings):
    seen = []
    images = torch.from_numpy(smooth_images(4, size=32, seed=5)).permute(0, 3, 1, 2).contiguous()
    for tf32 in (False, True):
        fid = ganmetrics.FID(weights=weights_file, device="cpu", batch_size=2, tf32=tf32)
        hook = fid._runner.extractor.model.register_forward_pre_hook(lambda m, a: seen.append(current_settings()))
        fid.update(images[:2], real=True)
        fid.update(images[2:])
        hook.remove()
        assert current_settings() == user_settings  # the training loop's settings are back after each call
        assert fid.compute().metadata["tf32"] is tf32
    if precision.new_api():
        assert all(s["mkldnn.matmul"] == "ieee" and s["cudnn.conv"] == "ieee" for s in seen[:2])
        assert all(s["cudnn.conv"] == "tf32" for s in seen[2:])
    assert get_extractor(weights=str(weights_file), device="cpu", tf32=True).metadata()["tf32"] is True
    assert get_extractor(weights=str(weights_file), device="cpu").metadata()["tf32"] is False


def test_cli_tf32_flag_lands_in_the_json(weights_file, tmp_path):
    from helpers import run, write_folder
    folder = write_folder(tmp_path / "imgs", smooth_images(3, size=32, seed=6))
    r = run("stats", folder, "-o", tmp_path / "s.npz", "--weights", weights_file, "--workers", "0", "--tf32")
    assert r.exit_code == 0, r.output
    assert ganmetrics.GaussianStats.load(tmp_path / "s.npz").metadata["tf32"] is True
    assert np.isfinite(ganmetrics.GaussianStats.load(tmp_path / "s.npz").mu).all()
