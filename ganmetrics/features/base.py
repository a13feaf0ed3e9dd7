"""The feature-extractor contract: what every network, ours or a user's, declares and does.

An extractor maps uint8 images (N x 3 x H x W, any size) to a dict of float feature tensors and
describes itself so that statistics, caches and results record the feature space they live in:

- ``name``: the feature space (``inception-v3-fid``, ``dinov2-vitl14``, a user's name);
- ``outputs``: ``{output name: dim}``, e.g. ``{"pool3": 2048, "logits_unbiased": 1008}``;
- ``roles``: which output plays which part for the metrics: ``"features"`` (the embedding FID,
  KID, precision/recall and density/coverage use) and, optionally, ``"logits"`` (class logits,
  for the Inception Score);
- ``input_size``: the (H, W) the network sees after preprocessing;
- ``preprocessing``: a short description of resize and normalisation, recorded as ``resize``;
- ``weights_sha256``: the sha256 of the weights file (or of the parameters, for an in-memory
  module), so that two spaces are the same only when their weights are;
- ``device``: a ``torch.device``.

Subclasses implement ``preprocess`` (uint8 on the device -> float network input) and ``forward``
(network input -> dict of outputs); ``__call__`` does batching of mixed sizes and inference mode.
``ModuleExtractor`` wraps any ``torch.nn.Module`` with a standard resize + normalisation, which is
all a custom network usually needs (see docs/architecture.md, "Adding a feature network").
"""
from __future__ import annotations

import hashlib

import torch
import torch.nn.functional as F

from ..config import resolve_device
from ..errors import InputError
from .precision import float32_precision

ROLES = ("features", "logits")


class Extractor:
    """Base class of feature extractors (see the module docstring for the contract)."""

    name: str = "extractor"
    outputs: dict[str, int] = {}
    roles: dict[str, str] = {}
    input_size: tuple[int, int] = (224, 224)
    preprocessing: str = ""
    weights_sha256: str | None = None
    channels_last: bool = False
    tf32: bool = False  # allow TF32 on the GPU (faster, ~1e-3 relative on features); see precision.py
    device: torch.device = torch.device("cpu")

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 N x 3 x H x W on ``self.device`` -> the network's float input."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The network's float input -> ``{output name: N x dim tensor}``."""
        raise NotImplementedError

    @torch.inference_mode()
    def __call__(self, images: torch.Tensor | list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """uint8 images (a N x 3 x H x W tensor, or a list of 3 x H x W tensors of mixed sizes)
        -> ``{output name: N x dim float tensor}`` on ``self.device``. Runs in full float32 unless
        ``tf32`` is set; the caller's precision settings are restored afterwards."""
        with float32_precision(self.tf32):
            return self._run(images)

    def _run(self, images) -> dict[str, torch.Tensor]:
        if isinstance(images, list):  # mixed sizes: preprocess one by one, then batch
            x = torch.cat([self.preprocess(img.to(self.device, non_blocking=True)[None]) for img in images])
        else:
            x = self.preprocess(images.to(self.device, non_blocking=True))
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.forward(x)

    def dim(self, role: str = "features") -> int:
        """The width of the output that plays ``role``."""
        return self.outputs[self.output_for(role)]

    def output_for(self, role: str) -> str:
        """The output name that plays ``role``; ``InputError`` when this network has none."""
        if role not in self.roles:
            raise InputError(f"features {self.name!r} have no {role!r} output (it has: {', '.join(self.roles)}); "
                             f"{'the Inception Score needs class logits' if role == 'logits' else ''}".rstrip("; "))
        return self.roles[role]

    def metadata(self) -> dict:
        """What produced these features: recorded in statistics, caches and results, and compared
        before two of them are (``extractor``, ``weights_sha256``, ``resize``, ``layout``)."""
        return {"extractor": self.name, "weights_sha256": self.weights_sha256, "resize": self.preprocessing,
                "layout": "channels_last" if self.channels_last else "nchw", "tf32": self.tf32}


def parameters_sha256(module: torch.nn.Module) -> str:
    """sha256 over a module's state dict (names, shapes, dtypes and bytes, in order): the
    identity of an in-memory network's weights."""
    h = hashlib.sha256()
    for name, t in module.state_dict().items():
        t = t.detach().cpu().contiguous()
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype}\n".encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return h.hexdigest()


class ModuleExtractor(Extractor):
    """Any ``torch.nn.Module`` as an extractor: uint8 images are resized to ``input_size``
    (``interpolation`` bilinear or bicubic, antialiased, half-pixel centres), scaled to [0, 1],
    normalised by ``(x - mean) / std`` per channel, and passed to ``module``, whose output (a
    tensor N x dim, or a dict of them) becomes ``outputs``.

    ``outputs``: ``{name: dim}`` (a single int means ``{"features": dim}``); ``roles`` defaults
    to ``{"features": <first output>}``. ``weights_sha256`` defaults to the sha256 of the
    module's parameters, so that features from different weights are never mixed.
    """

    def __init__(self, module: torch.nn.Module, name: str, outputs: int | dict[str, int],
                 input_size: int | tuple[int, int] = 224, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0),
                 interpolation: str = "bilinear", roles: dict[str, str] | None = None,
                 weights_sha256: str | None = None, device="cpu"):
        if interpolation not in ("bilinear", "bicubic"):
            raise InputError(f"interpolation {interpolation!r}: use bilinear or bicubic")
        self.outputs = {"features": outputs} if isinstance(outputs, int) else dict(outputs)
        self.roles = dict(roles) if roles is not None else {"features": next(iter(self.outputs))}
        bad = [r for r, o in self.roles.items() if r not in ROLES or o not in self.outputs]
        if bad:
            raise InputError(f"features {name!r}: roles {bad} must map {'/'.join(ROLES)} to one of {list(self.outputs)}")
        self.name = name
        self.input_size = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
        self.device = resolve_device(device)
        self.module = module.eval().requires_grad_(False).to(self.device)
        self.mean = torch.tensor(mean, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)
        self.interpolation = interpolation
        self.weights_sha256 = weights_sha256 or parameters_sha256(module)
        self.preprocessing = (f"{interpolation}-{self.input_size[0]}x{self.input_size[1]}"
                              f"-mean{list(mean)}-std{list(std)}")

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float().div(255)
        if tuple(x.shape[-2:]) != self.input_size:
            x = F.interpolate(x, size=self.input_size, mode=self.interpolation, align_corners=False, antialias=True)
        return (x - self.mean) / self.std

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.module(x)
        if isinstance(out, torch.Tensor):
            out = {next(iter(self.outputs)): out}
        return {k: v.flatten(1).float() for k, v in out.items()}


__all__ = ["Extractor", "ModuleExtractor", "ROLES", "parameters_sha256"]
