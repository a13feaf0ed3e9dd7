"""Training data: 2-D toys with known modes, and a bundled procedural image set.

Toys (as in the WGAN-GP and Unrolled-GAN experiments):

* ``8gaussians``: 8 Gaussians on a circle of radius 2, std 0.02;
* ``25gaussians``: a 5 x 5 grid with spacing 2 (centres -4..4), std 0.05;
* ``swissroll``: scikit-learn's 2-D Swiss roll (t ~ 1.5π(1 + 2u), (t cos t, t sin t)) / 7.5,
  plus noise 0.25 / 7.5; no discrete modes;
* ``lines``: the WGAN paper's P0 = (0, U[0, 1]); no discrete modes.

``shapes32``: 32x32 RGB images of one of 3 shapes (disc, square, triangle) in one of 4 colours
(12 modes) at a random position and size on a black background, generated from a seed, so an
image run works offline on a fresh machine.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..errors import InputError
from ..inputs.datasets import COLOURS, SHAPES, shapes32  # noqa: F401 (re-exported)
from ..inputs.open import open_images
from ..inputs.sources import read_all

TOYS = ("8gaussians", "25gaussians", "swissroll", "lines")
IMAGE_SETS = ("shapes32",)


def toy_modes(name: str) -> tuple[np.ndarray, float] | None:
    """(mode centres, std) of a toy with discrete modes, else None."""
    if name == "8gaussians":
        angles = 2 * math.pi * np.arange(8) / 8
        return 2 * np.stack([np.cos(angles), np.sin(angles)], 1), 0.02
    if name == "25gaussians":
        g = np.arange(-4, 5, 2, dtype=np.float64)
        return np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2), 0.05
    return None


def sample_toy(name: str, n: int, g: torch.Generator) -> torch.Tensor:
    """n points of toy ``name`` (float32, n x 2), drawn with the torch generator ``g``."""
    modes = toy_modes(name)
    if modes is not None:
        centres, std = modes
        idx = torch.randint(0, len(centres), (n,), generator=g)
        return torch.from_numpy(centres).float()[idx] + std * torch.randn(n, 2, generator=g)
    if name == "swissroll":
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=g))
        pts = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1)
        return (pts + 0.25 * torch.randn(n, 2, generator=g)) / 7.5
    if name == "lines":
        return torch.stack([torch.zeros(n), torch.rand(n, generator=g)], 1)
    raise InputError(f"--data {name}: unknown toy (choose from {', '.join(TOYS)})")


def mode_quality(samples: np.ndarray, name: str, min_count: int = 5) -> dict[str, float] | None:
    """Unrolled-GAN protocol (Metz et al., ICLR 2017): a sample is high-quality if it lies within
    3 std of a mode centre; a mode is covered if at least ``min_count`` high-quality samples
    fall on it. Returns {"modes": covered, "modes_total": K, "hq": share of high-quality samples}."""
    modes = toy_modes(name)
    if modes is None:
        return None
    centres, std = modes
    d = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)
    nearest, dist = d.argmin(1), d.min(1)
    hq = dist <= 3 * std
    counts = np.bincount(nearest[hq], minlength=len(centres))
    return {"modes": int((counts >= min_count).sum()), "modes_total": len(centres), "hq": float(hq.mean())}


def load_images(data: str, size: int, n: int = 10000, seed: int = 0) -> torch.Tensor:
    """Training images as float N x 3 x size x size in [-1, 1]: ``shapes32`` or a folder/array."""
    if data == "shapes32":
        arr = shapes32(n, seed, size)
    else:
        if not Path(data).exists():
            raise InputError(f"--data {data}: not a toy ({', '.join(TOYS)}), not shapes32, and no such path")
        arr = read_all(open_images(data)).transpose(0, 2, 3, 1)
        if arr.shape[1:3] != (size, size):
            raise InputError(f"--data {data}: images are {arr.shape[2]}x{arr.shape[1]}, the model needs {size}x{size}")
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float() / 127.5 - 1
