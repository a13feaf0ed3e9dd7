"""Test fixtures that write things in their real on-disk formats."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganmetrics.features.inception import FIDInceptionV3


def random_inception_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights in pytorch-fid's file layout that make mistakes visible.

    Convolutions are He-scaled; batch-norm running statistics are first calibrated on a batch
    of smooth random images (so activations stay O(1) through all 48 layers, as in the real
    network) and then perturbed (mean shifted by 0.2 std, variance scaled by up to 1.5x), with
    scales and shifts away from 1 and 0: a dropped eps, a swapped mean/var or a missing shift
    changes the output. The classifier bias is non-zero, so logits with and without it differ.
    """
    g = torch.Generator().manual_seed(seed)
    model = FIDInceptionV3()
    for name, p in model.named_parameters():
        if name.endswith("conv.weight"):
            p.data = torch.randn(p.shape, generator=g) * math.sqrt(2.0 / p[0].numel())
        elif name.endswith("bn.weight"):
            p.data = 0.8 + 0.4 * torch.rand(p.shape, generator=g)
        elif name.endswith("bn.bias"):
            p.data = 0.1 * torch.randn(p.shape, generator=g)
        elif name == "fc.weight":
            p.data = torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]) * 4
        elif name == "fc.bias":
            p.data = torch.randn(p.shape, generator=g)
    # Calibrate: in train mode with momentum=None, batch norm records the cumulative batch statistics.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    calib = torch.from_numpy(smooth_images(8, size=299, seed=seed + 1000)).permute(0, 3, 1, 2).float()
    model.train()
    with torch.no_grad():
        model((calib - 128) / 128)
    state = model.state_dict()
    for key, value in state.items():
        if key.endswith("running_mean"):
            std = state[key.replace("running_mean", "running_var")].sqrt()
            state[key] = value + 0.2 * std * torch.randn(value.shape, generator=g)
        elif key.endswith("running_var"):
            state[key] = value * torch.exp(0.4 * (torch.rand(value.shape, generator=g) - 0.5))
    return {k: v.clone() for k, v in state.items()}


def write_random_weights(path: Path, seed: int = 0) -> Path:
    torch.save(random_inception_state_dict(seed), path)
    return path


def tiny_extractor(name: str, device="cpu"):
    """A seeded 16-feature network on 16x16 inputs (conv, pool, flatten) as a registered-style
    extractor: fast stand-in features for tests of the layers around the networks."""
    from ganmetrics.features.base import ModuleExtractor
    g = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, stride=2), torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten())
    for p in net.parameters():
        p.data = torch.randn(p.shape, generator=g) * 0.3
    return ModuleExtractor(net, name, outputs=16, input_size=16, device=device)


def smooth_images(n: int, size: int = 32, seed: int = 0, shift: float = 0.0) -> np.ndarray:
    """uint8 N x H x W x 3 images with smooth structure (random low-frequency colour fields),
    closer to real images than white noise; ``shift`` moves their colour distribution."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(0.5 + shift, 0.25, size=(n, 4, 4, 3))
    img = torch.nn.functional.interpolate(torch.from_numpy(coarse).permute(0, 3, 1, 2), size=(size, size),
                                          mode="bicubic", align_corners=False)
    img = img.permute(0, 2, 3, 1).numpy() + rng.normal(0, 0.04, size=(n, size, size, 3))
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)


def write_folder(folder: Path, images: np.ndarray, ext: str = "png") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, im in enumerate(images):
        Image.fromarray(im).save(folder / f"{i:05d}.{ext}")
    return folder


def run(*args):
    """Invoke the CLI in-process with string arguments."""
    from click.testing import CliRunner
    from ganmetrics.cli import main
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 2, result.output
    # one error line (warnings about earlier inputs, e.g. a small sample, may precede it)
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("Warning: ")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def runner_for(**settings):
    """A FeatureRunner from Extraction/InputPolicy keywords (weights=..., device="cpu", workers=0)."""
    from ganmetrics.evaluation import make_runner
    runner, rest = make_runner(**settings)
    assert not rest, rest
    return runner
