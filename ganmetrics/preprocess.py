"""Resize and normalisation in front of the Inception network.

Three modes, recorded in every result and stats file:

``tf1`` (default)
    What the original TTUR / TensorFlow-1 FID code does inside the graph: bilinear resize to
    299x299 with TF1's ``resize_bilinear(align_corners=False)`` sampling (source coordinate
    ``i * in/out``, no half-pixel offset) on pixel values 0..255, then ``(x - 128) / 128``.
    torch-fidelity reproduces the same thing. Paper numbers computed with TTUR's code are in
    this mode, hence the default.
``pytorch-fid``
    What pytorch-fid does: ``x / 255``, ``torch.nn.functional.interpolate(bilinear,
    align_corners=False)`` (half-pixel centres), then ``2x - 1``.
``clean``
    clean-fid's ``clean`` mode (Parmar, Zhang and Zhu, "On Aliased Resizing and Surprising
    Subtleties in GAN Evaluation", CVPR 2022; GaParmar/clean-fid ``resize.py``,
    ``make_resizer("PIL", False, "bicubic", (299, 299))``): each channel of the uint8 image is
    converted to a 32-bit float Pillow image (mode ``F``), resized by Pillow's antialiased
    bicubic filter, clipped to [0, 255], and normalised by ``(x - 128) / 128`` as clean-fid's
    network (the same TF graph, NVIDIA's TorchScript port) does internally. Pillow *is* the
    protocol, so it is called, not reimplemented; it runs on the CPU, image by image.

For 299x299 inputs the three resizes are the identity, so ``tf1`` and ``clean`` give the same
network input and ``pytorch-fid`` differs by the normalisation (127.5 vs 128 centre). See
docs/metrics.md for how far the resulting FIDs differ.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .config import DEFAULTS, RESIZE_MODES
from .errors import InputError

INCEPTION_SIZE = 299
DEFAULT_RESIZE = DEFAULTS.resize


def check_mode(mode: str) -> str:
    if mode not in RESIZE_MODES:
        raise InputError(f"--resize {mode!r}: unknown mode (choose from {', '.join(RESIZE_MODES)})")
    return mode


def _tf1_source_index(in_size: int, out_size: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """TF1 ``resize_bilinear`` (align_corners=False, half_pixel_centers=False) sampling grid.

    src = dst * (in/out) in float32; lo = floor(src); hi = min(lo + 1, in - 1); weight = src - lo.
    """
    scale = torch.tensor(in_size / out_size, dtype=torch.float32)
    src = torch.arange(out_size, dtype=torch.float32) * scale
    lo = src.long()  # src >= 0, so truncation is floor
    hi = (lo + 1).clamp_max(in_size - 1)
    frac = src - lo.float()
    return lo.to(device), hi.to(device), frac.to(device)


def resize_tf1(x: torch.Tensor, size: int = INCEPTION_SIZE) -> torch.Tensor:
    """TensorFlow-1 bilinear resize of a uint8 or float N x C x H x W batch to float32
    ``size`` x ``size`` (TF's kernel computes in float32; uint8 pixels are gathered before they
    are converted, which is exact and moves a quarter of the bytes).

    The interpolation is evaluated as ``top + (bottom - top) * frac`` (columns, then rows, as TF's
    kernel does), which makes the result bit-identical to torch-fidelity's. The columns are
    interpolated on the small input first and only then are rows gathered to the output size:
    gathering rows commutes with the column arithmetic, so the numbers are the same and the
    full-size work is two row gathers instead of six column gathers.
    """
    h, w = x.shape[-2:]
    ylo, yhi, dy = _tf1_source_index(h, size, x.device)
    xlo, xhi, dx = _tf1_source_index(w, size, x.device)
    left, right = x.index_select(3, xlo).float(), x.index_select(3, xhi).float()  # uint8 gathers: less to move
    columns = right.sub_(left).mul_(dx).add_(left)      # left + (right - left) * dx, N x C x h x size
    top, bottom = columns.index_select(2, ylo), columns.index_select(2, yhi)
    return bottom.sub_(top).mul_(dy.view(-1, 1)).add_(top)  # in place: the same roundings, fewer buffers


def resize_clean(images: torch.Tensor, size: int = INCEPTION_SIZE) -> torch.Tensor:
    """clean-fid's ``clean`` resize of a N x C x H x W batch (uint8, or float on the 0..255 scale)
    to float32 N x C x ``size`` x ``size`` in [0, 255], on the input's device.

    Per image and channel, as clean-fid's ``make_resizer("PIL", False, "bicubic", ...)``:
    ``Image.fromarray(x.astype(float32))`` (Pillow mode ``F``), ``.resize((size, size), BICUBIC)``
    (Pillow's antialiased bicubic, a = -0.5, support scaled by the downsampling factor), then
    ``clip(0, 255)``. An image already ``size`` x ``size`` is copied unchanged, as Pillow's
    ``resize`` does for an equal size. The work is on the CPU (a GPU batch goes there and back).
    """
    arr = images.detach().cpu().numpy()
    n, c, h, w = arr.shape
    if (h, w) == (size, size):  # Image.resize returns a copy for an equal size: the identity
        out = arr.astype(np.float32)
    else:
        out = np.empty((n, c, size, size), dtype=np.float32)
        for i in range(n):
            for ch in range(c):
                channel = Image.fromarray(np.ascontiguousarray(arr[i, ch], dtype=np.float32))  # mode F
                out[i, ch] = np.asarray(channel.resize((size, size), resample=Image.Resampling.BICUBIC))
    np.clip(out, 0, 255, out=out)
    return torch.from_numpy(out).to(images.device)


def preprocess(images: torch.Tensor, mode: str = DEFAULT_RESIZE) -> torch.Tensor:
    """uint8 N x 3 x H x W (any device) -> float32 N x 3 x 299 x 299 in the network's input range."""
    if images.dtype != torch.uint8:
        raise InputError(f"expected uint8 images, got {images.dtype}")
    if mode == "tf1":
        return resize_tf1(images).sub_(128).div_(128)  # in place: the same numbers, one buffer
    if mode == "pytorch-fid":
        x = images.float().div_(255)
        x = F.interpolate(x, size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear", align_corners=False)
        return x.mul_(2).sub_(1)
    if mode == "clean":
        return (resize_clean(images) - 128) / 128  # clean-fid's InceptionV3W: x - 128, then / 128
    raise InputError(f"--resize {mode!r}: unknown mode (choose from {', '.join(RESIZE_MODES)})")
