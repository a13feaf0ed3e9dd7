"""The FID Inception-v3: the 2015-12-05 TensorFlow ImageNet graph that TTUR's FID code uses.

Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium"
(NeurIPS 2017) define FID on the 2048-d ``pool_3`` features of this graph; Salimans et al.,
"Improved Techniques for Training GANs" (NeurIPS 2016) define the Inception Score on its
1008-way softmax. The graph is torchvision's Inception3 up to four details, which are what make
it "the FID network" and not torchvision's ImageNet classifier:

* the average pools inside the A, C and first E blocks exclude the zero padding from the mean
  (TensorFlow's ``avg_pool`` with SAME padding), i.e. ``count_include_pad=False``;
* the last E block (``Mixed_7c``) pools its fourth branch with a *max* pool;
* the classifier has 1008 outputs (1000 ImageNet classes plus 8 unused ones);
* batch norm uses eps = 0.001 (as torchvision does).

Module names follow torchvision's ``Inception3`` so that pytorch-fid's weights file
``pt_inception-2015-12-05-6726825d.pth`` (and torch-fidelity's copy of it) load unchanged.

Input: float images, N x 3 x 299 x 299, already resized and normalised to [-1, 1]
(see ``ganmetrics.preprocess``). Output: ``(pool3, logits)`` with pool3 N x 2048 and
logits N x 1008 (the classifier *with* its bias).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..config import DEFAULTS, resolve_device
from ..errors import WeightsError
from ..preprocess import INCEPTION_SIZE, check_mode, preprocess
from .base import Extractor
from .weights import WEIGHTS_SHA256, check_weights, find_weights, sha256_of

NUM_CLASSES = 1008
POOL3_DIM = 2048


class BasicConv2d(nn.Module):
    """conv (no bias) -> batch norm (eps 1e-3) -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, **conv_kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **conv_kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)  # in place: the bn output is ours


def _avg_pool_3x3(x: torch.Tensor) -> torch.Tensor:
    # TensorFlow's SAME-padded average pool divides by the number of real pixels in the window.
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


def _avg_pool_branch(branch: BasicConv2d, x: torch.Tensor) -> torch.Tensor:
    """The pooling branch, ``branch(avg_pool(x))``. Once ``fold_batch_norm`` has made its 1x1
    convolution affine per pixel, it commutes with the pool (whose weights sum to 1, padding
    excluded), so the pool runs on the branch's 32-192 output channels instead of the block's
    192-1280 input channels: equal up to float32 rounding, 0.8 s less per 600 images on a CPU."""
    if isinstance(branch.bn, nn.Identity):
        return F.relu(_avg_pool_3x3(branch.conv(x)), inplace=True)
    return branch(_avg_pool_3x3(x))


class InceptionA(nn.Module):
    """35x35 block (Mixed_5b..5d): 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1."""

    def __init__(self, in_channels: int, pool_features: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = _avg_pool_branch(self.branch_pool, x)
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    """35x35 -> 17x17 reduction (Mixed_6a): 3x3/2 | 1x1-3x3-3x3/2 | maxpool/2."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.branch3x3 = BasicConv2d(in_channels, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, bd, bp], 1)


class InceptionC(nn.Module):
    """17x17 block (Mixed_6b..6e) with factorised 7x7 convolutions."""

    def __init__(self, in_channels: int, channels_7x7: int):
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                      self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = layer(bd)
        bp = _avg_pool_branch(self.branch_pool, x)
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionD(nn.Module):
    """17x17 -> 8x8 reduction (Mixed_7a)."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, b7, bp], 1)


class InceptionE(nn.Module):
    """8x8 block (Mixed_7b, Mixed_7c) with expanded 3x3 branches.

    ``pool="avg"`` for Mixed_7b and ``pool="max"`` for Mixed_7c, as in the TensorFlow graph.
    """

    def __init__(self, in_channels: int, pool: str):
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(in_channels, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(in_channels, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.pool == "max":
            bp = self.branch_pool(F.max_pool2d(x, kernel_size=3, stride=1, padding=1))
        else:
            bp = _avg_pool_branch(self.branch_pool, x)
        return torch.cat([b1, b3, bd, bp], 1)


class FIDInceptionV3(nn.Module):
    """299x299x3 in [-1, 1] -> (pool3: N x 2048, logits: N x 1008)."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)     # 149x149x32
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)              # 147x147x32
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)   # 147x147x64
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)              # 73x73x80
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)             # 71x71x192
        self.Mixed_5b = InceptionA(192, pool_features=32)                     # 35x35x256
        self.Mixed_5c = InceptionA(256, pool_features=64)                     # 35x35x288
        self.Mixed_5d = InceptionA(288, pool_features=64)                     # 35x35x288
        self.Mixed_6a = InceptionB(288)                                       # 17x17x768
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)                     # 17x17x768
        self.Mixed_7a = InceptionD(768)                                       # 8x8x1280
        self.Mixed_7b = InceptionE(1280, pool="avg")                          # 8x8x2048
        self.Mixed_7c = InceptionE(2048, pool="max")                          # 8x8x2048
        self.fc = nn.Linear(POOL3_DIM, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head(self.blocks(self.stem(x)))

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """299x299x3 -> 35x35x192: five convolutions and two max pools."""
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        return F.max_pool2d(x, kernel_size=3, stride=2)

    def blocks(self, x: torch.Tensor) -> torch.Tensor:
        """35x35x192 -> 8x8x2048: the eleven Inception blocks."""
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b,
                      self.Mixed_6c, self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b,
                      self.Mixed_7c):
            x = block(x)
        return x

    def head(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """8x8x2048 -> (pool3 N x 2048, logits N x 1008)."""
        pool3 = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return pool3, self.fc(pool3)


def fold_batch_norm(model: FIDInceptionV3) -> FIDInceptionV3:
    """Fold each inference-mode batch norm into its convolution, in place, and return the model.

    conv (weight W, no bias) -> BN(gamma, beta, mean, var, eps) equals one convolution with
    weight W * s and bias beta - mean * s, s = gamma / sqrt(var + eps) per output channel
    (computed in float64, stored in float32). The features change by float32 rounding only
    (about 1e-6 relative, the size of the channels_last difference) and the forward pass skips
    one pass over every activation: 94 batch norms, about 9% of the CPU time at 299 px.
    Only for evaluation: the folded model has no batch-norm statistics left to train.
    """
    for module in model.modules():
        if isinstance(module, BasicConv2d) and isinstance(module.bn, nn.BatchNorm2d):
            bn, conv = module.bn, module.conv
            scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
            weight = conv.weight.double() * scale[:, None, None, None]
            bias = bn.bias.double() - bn.running_mean.double() * scale
            conv.weight = nn.Parameter(weight.to(conv.weight.dtype), requires_grad=False)
            conv.bias = nn.Parameter(bias.to(conv.weight.dtype), requires_grad=False)
            module.bn = nn.Identity()
    return model


# CPU schedule of the fast path: on a CPU the network is faster on small batches, because their
# activations stay in cache (one 147x147x64 stem activation is 5.5 MB per image). Measured on the
# 2-core machine (docs/benchmarks.md, "CPU schedule"): the stem fastest on 1-2 images at a time,
# the blocks on 8-32; this split is 1.15-1.19x the network on 50 images at once, and its
# features are bit-identical to it (every image's convolutions are computed alike whatever the
# batch, in NHWC).
STEM_MICRO_BATCH = 2
BLOCKS_MICRO_BATCH = 16


def cpu_schedule(model: FIDInceptionV3, x: torch.Tensor, stem: int = STEM_MICRO_BATCH,
                 blocks: int = BLOCKS_MICRO_BATCH) -> tuple[torch.Tensor, torch.Tensor]:
    """``model(x)`` evaluated in micro-batches: the stem ``stem`` images at a time, the blocks and
    head ``blocks`` at a time. Same outputs (N x 2048, N x 1008), less time on a CPU."""
    outs = []
    for chunk in x.split(blocks):
        h = torch.cat([model.stem(part) for part in chunk.split(stem)])
        outs.append(model.head(model.blocks(h)))
    return torch.cat([o[0] for o in outs]), torch.cat([o[1] for o in outs])


# ----------------------------------------------------------------------------- the extractor


class InceptionExtractor(Extractor):
    """The FID Inception-v3 as an extractor: ``pool3`` (2048, the FID/KID/PR features), ``logits``
    (1008, with the classifier bias) and ``logits_unbiased`` (1008, without it: the original
    Inception Score code takes softmax(pool3 @ W))."""

    name = DEFAULTS.features
    outputs = {"pool3": POOL3_DIM, "logits": NUM_CLASSES, "logits_unbiased": NUM_CLASSES}
    roles = {"features": "pool3", "logits": "logits_unbiased"}
    input_size = (INCEPTION_SIZE, INCEPTION_SIZE)

    def __init__(self, model: FIDInceptionV3, resize: str, device: torch.device, weights_sha256: str,
                 channels_last: bool = False):
        self.model, self.preprocessing, self.device = model, resize, device
        self.weights_sha256, self.channels_last = weights_sha256, channels_last

    @property
    def resize(self) -> str:
        return self.preprocessing

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        return preprocess(images, self.preprocessing)

    def metadata(self) -> dict:
        """The base metadata plus ``standard_weights``: whether these are the published FID
        weights (sha256 6726825d...), i.e. whether the FID is comparable with published numbers."""
        return {**super().metadata(), "standard_weights": self.weights_sha256 == WEIGHTS_SHA256}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.device.type == "cpu" and self.channels_last:
            pool3, logits = cpu_schedule(self.model, x)
        else:
            pool3, logits = self.model(x)
        return {"pool3": pool3, "logits": logits, "logits_unbiased": pool3 @ self.model.fc.weight.T}


def load_inception(weights: str | Path | None = None, device="auto", resize: str = DEFAULTS.resize,
                   channels_last: bool = True) -> InceptionExtractor:
    """The FID Inception-v3 with pytorch-fid's weights file format
    (``pt_inception-2015-12-05-6726825d.pth``; found, downloaded and verified by ``weights.py``).

    ``channels_last`` is the fast path: the convolutions run in NHWC layout (faster in oneDNN and
    cuDNN) with the batch norms folded into them (``fold_batch_norm``); the features differ from
    the peers' path (``channels_last=False``: NCHW, unfused, their exact op sequence) by float32
    rounding only (about 1e-6 relative, inside the parity tolerances; see docs/benchmarks.md).
    Raises ``WeightsError`` for a file that is not these weights, ``InputError`` for an unknown
    resize mode or device."""
    check_mode(resize)
    path = find_weights(weights)
    sha = _cached_sha256(str(path), path.stat().st_size, path.stat().st_mtime_ns)
    model = FIDInceptionV3()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a truncated or foreign file
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise WeightsError(f"{path}: not a loadable weights file ({first[:200]})") from None
    if not isinstance(state, dict):
        raise WeightsError(f"{path}: expected a state dict, found {type(state).__name__}")
    check_weights(path, state, sha)  # NaN/inf tensors named; non-standard weights announced once
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        missing = [k for k in model.state_dict() if k not in state]
        unexpected = [k for k in state if k not in model.state_dict()]
        detail = (f"{len(missing)} missing keys (e.g. {missing[:2]}), {len(unexpected)} unexpected"
                  if missing or unexpected else str(e).splitlines()[-1].strip())
        raise WeightsError(f"{path}: not FID Inception-v3 weights ({detail})") from None
    dev = resolve_device(device)
    model.eval().requires_grad_(False).to(dev)
    if channels_last:
        fold_batch_norm(model).to(memory_format=torch.channels_last)
    return InceptionExtractor(model, resize, dev, sha, channels_last)


@lru_cache(maxsize=8)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    return sha256_of(path)
