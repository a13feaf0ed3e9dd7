"""Generators and discriminators/critics of the papers' experiments.

* toys: MLPs with 3 hidden ReLU layers of 512 units (WGAN-GP's toy code), latent dimension 2;
* images: DCGAN (Radford et al. 2016) generator and discriminator for 32x32 and 64x64, with or
  without batch norm (the WGAN paper's ablation; WGAN-GP forbids it in the critic), and the WGAN
  paper's MLP image generator (4 ReLU layers of 512 units).
"""
from __future__ import annotations

from torch import nn

from .progan import MinibatchStd, PixelNorm, he_scaled


def mlp(d_in: int, d_out: int, hidden: int = 512, depth: int = 3) -> nn.Sequential:
    layers, width = [], d_in
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, d_out))


class DCGANGenerator(nn.Module):
    """z (N x z_dim) -> tanh image N x 3 x size x size via stride-2 transposed convolutions.

    Progressive GAN's tricks as switches: ``pixel_norm`` puts pixelwise feature normalisation
    after every hidden activation in place of batch norm (as ProGAN does); ``equalized_lr``
    draws every weight N(0, 1) and scales it at run time by sqrt(2 / fan_in), with fan_in the
    inputs one output pixel sums: z_dim for the first (1x1 -> 4x4) layer, in_channels·4²/2²
    for the stride-2 4x4 layers."""

    def __init__(self, z_dim: int = 100, size: int = 32, width: int = 64, batch_norm: bool = True,
                 pixel_norm: bool = False, equalized_lr: bool = False):
        super().__init__()
        n_up = {32: 3, 64: 4}[size]
        ch = width * 2 ** (n_up - 1)
        self.z_dim = z_dim

        def up(c_in, c_out, first=False):
            layer = nn.ConvTranspose2d(c_in, c_out, 4, 1, 0) if first else nn.ConvTranspose2d(c_in, c_out, 4, 2, 1)
            return he_scaled(layer, c_in if first else c_in * 4) if equalized_lr else layer

        def norm(c):
            return nn.Identity() if pixel_norm else (nn.BatchNorm2d(c) if batch_norm else nn.Identity())

        def after():
            return [PixelNorm()] if pixel_norm else []

        layers = [up(z_dim, ch, first=True)]  # 4x4
        for _ in range(n_up - 1):
            layers += [norm(ch), nn.ReLU(), *after(), up(ch, ch // 2)]
            ch //= 2
        layers += [norm(ch), nn.ReLU(), *after(), up(ch, 3), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """Image -> one logit/score; batch norm optional (off for WGAN-GP critics).
    ``minibatch_std`` appends ProGAN's minibatch-std feature map before the last (4x4) layer;
    ``equalized_lr`` scales every weight at run time by sqrt(2 / (in_channels·k²))."""

    def __init__(self, size: int = 32, width: int = 64, batch_norm: bool = True, minibatch_std: bool = False,
                 equalized_lr: bool = False):
        super().__init__()
        n_down = {32: 3, 64: 4}[size]

        def conv(*args):
            layer = nn.Conv2d(*args)
            return he_scaled(layer) if equalized_lr else layer

        layers, c_in, c_out = [], 3, width
        for i in range(n_down):
            layers += [conv(c_in, c_out, 4, 2, 1),
                       nn.BatchNorm2d(c_out) if batch_norm and i > 0 else nn.Identity(), nn.LeakyReLU(0.2)]
            c_in, c_out = c_out, c_out * 2
        if minibatch_std:
            layers.append(MinibatchStd())
        self.net = nn.Sequential(*layers, conv(c_in + int(minibatch_std), 1, 4, 1, 0), nn.Flatten())

    def forward(self, x):
        return self.net(x)


class MLPImageGenerator(nn.Module):
    """The WGAN paper's MLP generator: 4 ReLU layers of 512 units, tanh output image."""

    def __init__(self, z_dim: int = 100, size: int = 32):
        super().__init__()
        self.z_dim, self.size = z_dim, size
        self.net = nn.Sequential(mlp(z_dim, 3 * size * size, hidden=512, depth=4), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, 3, self.size, self.size)


def spectral(module: nn.Module) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) on every linear and convolutional layer."""
    for name, child in module.named_children():
        if isinstance(child, (nn.Linear, nn.Conv2d)):
            setattr(module, name, nn.utils.parametrizations.spectral_norm(child))
        else:
            spectral(child)
    return module
