"""Feature extractors: one registry, keyed by name. Each extractor maps uint8 image batches
to a dict of feature tensors and describes itself (name, weights hash, preprocessing) so that
results, stats files and caches record what produced them."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

import torch

from ..errors import InputError, WeightsError
from ..preprocess import DEFAULT_RESIZE, INCEPTION_SIZE, check_mode, preprocess
from .inception import FIDInceptionV3
from .weights import WEIGHTS_SHA256, check_weights, find_weights, sha256_of

DEFAULT_EXTRACTOR = "inception-v3-fid"


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise InputError(f"--device {device!r}: not a device (use auto, cpu, cuda or cuda:N)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"--device {device}: CUDA is not available on this machine (use --device cpu)")
    return dev


@dataclass
class Extractor:
    """A loaded feature network with its preprocessing. ``__call__`` takes uint8 images."""

    name: str
    model: torch.nn.Module
    resize: str
    device: torch.device
    weights_sha256: str
    dims: dict = field(default_factory=dict)
    channels_last: bool = False

    @torch.inference_mode()
    def __call__(self, images: torch.Tensor | list[torch.Tensor]) -> dict[str, torch.Tensor]:
        if isinstance(images, list):  # mixed sizes: resize one by one, then batch
            x = torch.cat([preprocess(img.to(self.device, non_blocking=True)[None], self.resize)
                           for img in images])
        else:
            x = preprocess(images.to(self.device, non_blocking=True), self.resize)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        pool3, logits = self.model(x)
        # The original Inception Score code takes softmax(pool3 @ W) without the bias.
        unbiased = pool3 @ self.model.fc.weight.T
        return {"pool3": pool3, "logits": logits, "logits_unbiased": unbiased}

    def metadata(self) -> dict:
        return {"extractor": self.name, "weights_sha256": self.weights_sha256, "resize": self.resize,
                "layout": "channels_last" if self.channels_last else "nchw",
                "standard_weights": self.weights_sha256 == WEIGHTS_SHA256}


def load_inception(weights: str | Path | None = None, device="auto", resize: str = DEFAULT_RESIZE,
                   channels_last: bool = True) -> Extractor:
    """The FID Inception-v3 with pytorch-fid's weights file format.

    ``channels_last`` runs the convolutions in NHWC layout (faster in oneDNN and cuDNN); the
    features differ from NCHW's by float32 rounding only (about 1e-6 relative, inside the parity
    tolerances; see docs/benchmarks.md)."""
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
    check_weights(path, state, sha)
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
        model.to(memory_format=torch.channels_last)
    return Extractor(DEFAULT_EXTRACTOR, model, resize, dev, sha, {"pool3": 2048, "logits": 1008, "logits_unbiased": 1008},
                     channels_last)


@lru_cache(maxsize=8)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    return sha256_of(path)


REGISTRY: dict[str, Callable[..., Extractor]] = {DEFAULT_EXTRACTOR: load_inception}


def get_extractor(name: str = DEFAULT_EXTRACTOR, **kwargs) -> Extractor:
    if name not in REGISTRY:
        raise InputError(f"--extractor {name!r}: unknown (available: {', '.join(REGISTRY)})")
    return REGISTRY[name](**kwargs)


def iter_features(extractor: Extractor, batches: Iterable, progress=None) -> Iterator[dict[str, torch.Tensor]]:
    """Run ``extractor`` over uint8 batches; ``progress`` (a tqdm bar) is advanced per image."""
    for batch in batches:
        out = extractor(batch)
        if progress is not None:
            progress.update(len(batch))
        yield out


__all__ = ["Extractor", "get_extractor", "load_inception", "iter_features", "resolve_device",
           "REGISTRY", "DEFAULT_EXTRACTOR", "INCEPTION_SIZE"]
