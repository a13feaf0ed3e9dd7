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

import itertools
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from ..config import IMAGE_SETS, TOYS  # noqa: F401 (re-exported; in config so that --help needs no torch)
from ..errors import InputError
from ..inputs.datasets import COLOURS, SHAPES, shapes32  # noqa: F401 (re-exported)
from ..inputs.open import open_images
from ..inputs.sources import read_all


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


# Mode classifier for shapes32 (issue 19): which of the 12 modes an image shows, and whether it
# is clean enough to count (the image analogue of the toys' "within 3 std of a mode centre").
# The rules follow from how the images are drawn (PIL, no anti-aliasing, black background):
# the fill ratio area / bounding box is 1 for a square, 0.755-0.800 for a disc and
# 0.501-0.538 for the triangle (measured over 3,000 images), and every shape pixel has the
# mode's colour exactly.
FOREGROUND = 64          # a pixel whose brightest channel exceeds this is foreground
COLOUR_TOLERANCE = 80.0  # RGB distance from the mode's colour for a pixel to count as that colour
FILL_BOUNDS = {"triangle": (0.45, 0.60), "disc": (0.70, 0.85), "square": (0.90, 1.0)}   # clean fill ratios


def classify_shapes(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mode and cleanliness of uint8 N x H x W x 3 shapes images (any H = W, the bundled size is 32).

    Returns ``(modes, clean)``: int64 N, the mode (shape index · 4 + colour index, as
    ``shapes32(labels=True)``; -1 for an image with no shape) and bool N. The shape is the
    largest connected foreground blob (pixels brighter than 64 in some channel), classed by its
    fill ratio (area / bounding box: above 0.9 square, above 0.645 disc, else triangle); the
    colour is the nearest of the four to the blob's median colour. An image is clean when the
    blob covers at least 4% of the image and holds 95% of the foreground pixels, its fill ratio
    lies in its shape's clean band (triangle 0.45-0.60, disc 0.70-0.85, square 0.90-1) with a
    bounding box of aspect 0.8-1.25, 90% of its pixels are within RGB distance 80 of the mode's
    colour, and the shape drawn as ``shapes32`` draws it in the blob's bounding box overlaps the
    blob with IoU 0.88 or more (real images: 0.904 or more). Deterministic; validated in tests/test_train.py (real samples and corruptions)."""
    from scipy import ndimage
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise InputError(f"classify_shapes: expected uint8 N x H x W x 3 images, got {images.dtype} {images.shape}")
    palette = np.asarray(COLOURS, dtype=np.float64)
    n, h, w = images.shape[:3]
    modes, clean = np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool)
    for i, img in enumerate(images):
        fg = img.max(-1) > FOREGROUND
        if not fg.any():
            continue
        blobs, count = ndimage.label(fg)
        sizes = np.bincount(blobs.ravel())[1:]
        blob = blobs == (np.argmax(sizes) + 1)
        ys, xs = np.nonzero(blob)
        bh, bw = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        fill = blob.sum() / (bh * bw)
        shape = SHAPES.index("square" if fill > 0.9 else ("disc" if fill > 0.645 else "triangle"))
        pixels = img[blob].astype(np.float64)
        colour = int(np.argmin(np.linalg.norm(palette - np.median(pixels, 0), axis=1)))
        modes[i] = shape * len(COLOURS) + colour
        lo, hi = FILL_BOUNDS[SHAPES[shape]]
        on_colour = (np.linalg.norm(pixels - palette[colour], axis=1) <= COLOUR_TOLERANCE).mean()
        clean[i] = (blob.sum() >= 0.04 * h * w and blob.sum() >= 0.95 * fg.sum() and lo <= fill <= hi
                    and 0.8 <= bw / bh <= 1.25 and on_colour >= 0.9
                    and _template_iou(blob, SHAPES[shape], xs.min(), xs.max(), ys.min(), ys.max()) >= TEMPLATE_IOU)
    return modes, clean


TEMPLATE_IOU = 0.88   # real shapes: 0.904 or more (1,000 images); two overlapping shapes mostly below


def _template_iou(blob: np.ndarray, shape: str, x0, x1, y0, y1) -> float:
    """Intersection over union of the blob with the shape drawn the way ``shapes32`` draws it in
    the blob's bounding box (centre and radius within half a pixel, the best of 27 placements;
    stops at the first placement that reaches TEMPLATE_IOU)."""
    best = 0.0
    for dx, dy, dr in sorted(itertools.product((0.0, -0.5, 0.5), repeat=3), key=lambda o: sum(map(abs, o))):
        cx, cy, r = (x0 + x1) / 2 + dx, (y0 + y1) / 2 + dy, (x1 - x0) / 2 + dr
        template = Image.new("1", blob.shape[::-1])
        draw = ImageDraw.Draw(template)
        if shape == "disc":
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=1)
        elif shape == "square":
            draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=1)
        else:
            draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=1)
        t = np.asarray(template)
        best = max(best, (t & blob).sum() / (t | blob).sum())
        if best >= TEMPLATE_IOU:
            break
    return best


def shapes_mode_quality(images: np.ndarray, min_count: int = 5) -> dict[str, float]:
    """The toys' protocol on shapes32: a mode is covered if at least ``min_count`` clean samples
    show it. Returns {"modes": covered, "modes_total": 12, "hq": share of clean samples}."""
    modes, clean = classify_shapes(images)
    counts = np.bincount(modes[clean], minlength=len(SHAPES) * len(COLOURS))
    return {"modes": int((counts >= min_count).sum()), "modes_total": len(SHAPES) * len(COLOURS),
            "hq": float(clean.mean())}
