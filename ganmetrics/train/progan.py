"""Progressive GAN (Karras, Aila, Laine, Lehtinen, ICLR 2018, "Progressive Growing of GANs for
Improved Quality, Stability, and Variation") and its three tricks as separate modules.

* ``PixelNorm``: pixelwise feature normalisation in the generator (paper Sec. 4.2, eq. 2):
  b_{x,y} = a_{x,y} / sqrt(1/C Σ_j (a^j_{x,y})² + ε), ε = 1e-8.
* ``MinibatchStd``: minibatch standard deviation (Sec. 3): the std of each feature at each pixel
  over the minibatch, sqrt(mean over the batch of (x − mean)² + 1e-8), averaged over features and
  pixels to one number, appended as one constant feature map (the reference code's group size is
  the whole minibatch here).
* ``he_scaled``: equalised learning rate (Sec. 4.1): weights initialised N(0, 1) and multiplied at
  run time by the He constant c = sqrt(2 / fan_in), so Adam's step is the same relative size in
  every layer. Done with a ``torch.nn.utils.parametrize`` parametrisation, so it also applies to
  the DCGAN layers (``--arch dcgan --equalized-lr``).
* ``ProGANGenerator`` / ``ProGANDiscriminator``: the paper's Table 2 architecture scaled down to
  32x32 or 64x64 (two 3x3 convolutions per resolution, leaky ReLU 0.2, 1x1 toRGB / fromRGB,
  a dense 4x4 first layer), grown from 4x4. During a fade-in the new block's output is blended
  with the previous resolution's: in G, nearest-neighbour upsampling of the old toRGB output,
  out = (1 − α)·up(toRGB_old(x)) + α·toRGB_new(block(up(x))); in D, average pooling of the input,
  (1 − α)·fromRGB_old(pool(x)) + α·block(fromRGB_new(x)) (Fig. 2). The current stage and α are
  buffers, so they are saved with the weights and a checkpoint samples at the resolution and α
  it was trained at. G always returns the full-size image (the current one upsampled by nearest
  neighbour, as the paper displays intermediate results); D average-pools any input down to the
  current resolution first, which is exact for G's output and is the paper's downsampling of
  the real images.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

EPS = 1e-8


class PixelNorm(nn.Module):
    """x / sqrt(mean over channels of x² + 1e-8), per sample and pixel (N x C x ... or N x C)."""

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + EPS)


class MinibatchStd(nn.Module):
    """Append the minibatch std (one number per batch, Karras et al. Sec. 3) as an extra channel:
    N x C x H x W -> N x (C + 1) x H x W."""

    def forward(self, x):
        std = torch.sqrt(x.var(dim=0, unbiased=False) + EPS)   # C x H x W: per feature and pixel
        s = std.mean()
        return torch.cat([x, s.expand(x.shape[0], 1, *x.shape[2:])], dim=1)


class _HeScale(nn.Module):
    def __init__(self, c: float):
        super().__init__()
        self.c = c

    def forward(self, w):
        return w * self.c


def he_scaled(layer: nn.Module, fan_in: int | None = None) -> nn.Module:
    """Equalised learning rate on ``layer`` (Linear, Conv2d or ConvTranspose2d): its stored weight
    is re-drawn N(0, 1), its bias set to 0, and the weight it uses is the stored one times
    c = sqrt(2 / fan_in). ``fan_in`` defaults to in_features or in_channels·k_h·k_w (Linear,
    Conv2d); a transposed convolution must be given the number of inputs each output sums."""
    if fan_in is None:
        if isinstance(layer, nn.ConvTranspose2d):
            raise ValueError("he_scaled: give the fan-in of a transposed convolution")
        fan_in = layer.weight[0].numel()
    with torch.no_grad():
        layer.weight.normal_(0.0, 1.0)
        if layer.bias is not None:
            layer.bias.zero_()
    parametrize.register_parametrization(layer, "weight", _HeScale(math.sqrt(2.0 / fan_in)))
    return layer


def _conv(c_in, c_out, k, eq):
    layer = nn.Conv2d(c_in, c_out, k, 1, k // 2)
    return he_scaled(layer) if eq else layer


def _linear(d_in, d_out, eq):
    layer = nn.Linear(d_in, d_out)
    return he_scaled(layer) if eq else layer


def channels(res: int, width: int) -> int:
    """Feature maps at resolution ``res``: 4·width up to 16x16, then halving (width 64: 256, 256,
    256, 128, 64 at 4, 8, 16, 32, 64), the paper's min(512, 8192/res) scaled down."""
    return max(1, min(4 * width, width * 64 // res))


def n_stages(size: int) -> int:
    """Resolutions 4, 8, ..., size: 4 stages for 32x32, 5 for 64x64."""
    return int(math.log2(size)) - 1


def stage_and_alpha(step: int, phase_steps: int, stages: int) -> tuple[int, float]:
    """The schedule: phases of ``phase_steps`` generator steps, stabilise 4x4, then for each new
    resolution a fade-in (α rising linearly from 0 to 1 over the phase) and a stabilisation
    (α = 1); the last resolution trains at α = 1 until the end. A function of the step alone."""
    phase = step // phase_steps
    if phase >= 2 * (stages - 1):
        return stages - 1, 1.0
    stage = (phase + 1) // 2
    if phase % 2 == 1:
        return stage, (step - phase * phase_steps) / phase_steps
    return stage, 1.0


class _Grown(nn.Module):
    def __init__(self, size: int):
        super().__init__()
        self.size = size
        self.register_buffer("stage", torch.tensor(n_stages(size) - 1))
        self.register_buffer("alpha", torch.tensor(1.0, dtype=torch.float64))

    def set_progress(self, stage: int, alpha: float) -> None:
        self.stage.fill_(stage)
        self.alpha.fill_(alpha)

    @property
    def resolution(self) -> int:
        return 4 * 2 ** int(self.stage)


class ProGANGenerator(_Grown):
    """z (N x z_dim) -> N x 3 x size x size: the current resolution's image (linear toRGB output,
    as in the paper), upsampled by nearest neighbour to ``size``."""

    def __init__(self, z_dim: int = 100, size: int = 32, width: int = 64, pixel_norm: bool = True,
                 equalized_lr: bool = True):
        super().__init__(size)
        self.z_dim = z_dim
        norm = PixelNorm if pixel_norm else nn.Identity
        act = lambda: nn.LeakyReLU(0.2)  # noqa: E731
        c = channels(4, width)
        self.latent_norm = norm()
        self.dense = _linear(z_dim, c * 16, equalized_lr)
        self.first = nn.Sequential(act(), norm())
        self.first_conv = nn.Sequential(_conv(c, c, 3, equalized_lr), act(), norm())
        self.blocks = nn.ModuleList([nn.Identity()])
        self.to_rgb = nn.ModuleList([_conv(c, 3, 1, equalized_lr)])
        for s in range(1, n_stages(size)):
            c_in, c_out = channels(4 * 2 ** (s - 1), width), channels(4 * 2 ** s, width)
            self.blocks.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                             _conv(c_in, c_out, 3, equalized_lr), act(), norm(),
                                             _conv(c_out, c_out, 3, equalized_lr), act(), norm()))
            self.to_rgb.append(_conv(c_out, 3, 1, equalized_lr))

    def forward(self, z):
        stage, alpha = int(self.stage), float(self.alpha)
        x = self.dense(self.latent_norm(z)).view(len(z), -1, 4, 4)
        x = self.first_conv(self.first(x))
        for s in range(1, stage):
            x = self.blocks[s](x)
        if stage == 0:
            img = self.to_rgb[0](x)
        else:
            new = self.to_rgb[stage](self.blocks[stage](x))
            if alpha < 1.0:
                old = F.interpolate(self.to_rgb[stage - 1](x), scale_factor=2, mode="nearest")
                img = old + alpha * (new - old)
            else:
                img = new
        factor = self.size // img.shape[-1]
        return F.interpolate(img, scale_factor=factor, mode="nearest") if factor > 1 else img


class ProGANDiscriminator(_Grown):
    """N x 3 x H x W (H = size or any multiple of the current resolution) -> one score per image.
    The input is average-pooled to the current resolution; minibatch std before the last block."""

    def __init__(self, size: int = 32, width: int = 64, minibatch_std: bool = True, equalized_lr: bool = True):
        super().__init__(size)
        act = lambda: nn.LeakyReLU(0.2)  # noqa: E731
        self.from_rgb = nn.ModuleList()
        self.blocks = nn.ModuleList()
        for s in range(n_stages(size)):
            c_out = channels(4 * 2 ** s, width)
            self.from_rgb.append(nn.Sequential(_conv(3, c_out, 1, equalized_lr), act()))
            if s == 0:
                self.blocks.append(nn.Identity())
            else:
                c_next = channels(4 * 2 ** (s - 1), width)
                self.blocks.append(nn.Sequential(_conv(c_out, c_out, 3, equalized_lr), act(),
                                                 _conv(c_out, c_next, 3, equalized_lr), act(), nn.AvgPool2d(2)))
        c = channels(4, width)
        self.mbstd = MinibatchStd() if minibatch_std else nn.Identity()
        extra = 1 if minibatch_std else 0
        self.last = nn.Sequential(_conv(c + extra, c, 3, equalized_lr), act(), nn.Flatten(),
                                  _linear(c * 16, c, equalized_lr), act(), _linear(c, 1, equalized_lr))

    def to_current(self, x):
        """Average-pool images to the current resolution (exact inverse of G's nearest upsampling)."""
        factor = x.shape[-1] // self.resolution
        return F.avg_pool2d(x, factor) if factor > 1 else x

    def real_at_current(self, x):
        """Real images at the current resolution; during a fade-in blended like G's output,
        (1 − α)·up(pool(x)) + α·x, as the reference code does to the reals."""
        x = self.to_current(x)
        alpha = float(self.alpha)
        if int(self.stage) > 0 and alpha < 1.0:
            low = F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest")
            x = low + alpha * (x - low)
        return x

    def forward(self, x):
        stage, alpha = int(self.stage), float(self.alpha)
        x = self.to_current(x)
        h = self.from_rgb[stage](x)
        if stage > 0:
            h = self.blocks[stage](h)
            if alpha < 1.0:
                old = self.from_rgb[stage - 1](F.avg_pool2d(x, 2))
                h = old + alpha * (h - old)
            for s in range(stage - 1, 0, -1):
                h = self.blocks[s](h)
        return self.last(self.mbstd(h))
