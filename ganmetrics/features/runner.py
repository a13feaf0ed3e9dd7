"""Running a network over an input: batching, CPU chunks, progress, the unreadable-file policy,
and the ``FeatureSet`` it produces (features once per input; every metric reads them).

``FeatureRunner`` holds the settings (``Extraction``, ``InputPolicy``) and loads the network on
first use, so inputs that are already statistics need no weights. Building one has no side
effects: under torchrun the entry point initialises torch.distributed first.
"""
from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from .. import distributed
from .._version import __version__
from ..config import Extraction, InputPolicy, default_workers
from ..errors import InputError
from ..inputs.open import open_images
from ..inputs.sources import ImageSource, iter_batches
from ..stats import is_stats_file
from . import cache as feature_cache
from .base import Extractor
from .registry import get_extractor

CPU_CHUNK = 50  # = the default --batch-size, so the default path batches as pytorch-fid does


class FeatureRunner:
    """The network of ``extraction`` (loaded on first use) and the input ``policy``."""

    def __init__(self, extraction: Extraction | None = None, policy: InputPolicy | None = None):
        self.extraction = extraction or Extraction()
        self.policy = policy or InputPolicy()
        self._extractor: Extractor | None = None

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            self._extractor = get_extractor(self.extraction)
        return self._extractor

    @property
    def device(self) -> torch.device:
        return self.extractor.device

    @property
    def workers(self) -> int:
        return default_workers() if self.extraction.workers is None else self.extraction.workers

    def open(self, x, name: str | None = None) -> ImageSource:
        return open_images(x, name, self.policy.root, self.policy.download)

    def run(self, source: ImageSource):
        """Yield the extractor's output dicts for every batch of ``source``.

        On the CPU the network sees fixed chunks of ``CPU_CHUNK`` images aligned to the input's
        order, whatever ``batch_size`` and ``workers`` are, so results are bit-identical across
        them (oneDNN's float32 results depend on the batch shape). On a GPU batches go as loaded.
        """
        ext, policy = self.extractor, self.policy
        pin = ext.device.type == "cuda"
        batches = iter_batches(source, self.extraction.batch_size, self.workers, pin, policy.skip_invalid,
                               policy.max_pixels)
        if ext.device.type == "cpu":
            batches = rebatch(batches, CPU_CHUNK)
        bar = tqdm(total=len(source), desc=_short_name(source.name), unit="img", file=sys.stderr,
                   disable=not self.extraction.progress or not distributed.is_main(), leave=False,
                   dynamic_ncols=True)
        with bar:
            for batch in batches:
                out = ext(batch)
                bar.update(len(batch))
                yield out
        self._check_skipped(source)

    def _check_skipped(self, source: ImageSource) -> None:
        k, n = len(source.skipped), len(source)
        if not k:
            return
        if k > self.policy.max_invalid * n:
            raise InputError(f"{source.name}: {k} of {n} images unreadable, more than --max-invalid "
                             f"{self.policy.max_invalid:.1%} allows (first: {source.skipped[0]})")
        warnings.warn(f"{source.name}: skipped {k} unreadable image(s) of {n} (first: {source.skipped[0]})")


def rebatch(batches, size: int):
    """Regroup a stream of batches into chunks of exactly ``size`` images (the last may be
    smaller), aligned to the stream's order; a chunk of mixed sizes is a list."""
    buf: list[torch.Tensor] = []
    for batch in batches:
        buf.extend(batch if isinstance(batch, list) else batch.unbind(0))
        while len(buf) >= size:
            yield _stack(buf[:size])
            buf = buf[size:]
    if buf:
        yield _stack(buf)


def _stack(images: list[torch.Tensor]):
    return torch.stack(images) if all(i.shape == images[0].shape for i in images) else images


def _short_name(name: str, width: int = 30) -> str:
    return name if len(name) <= width else "..." + name[-(width - 3):]


@dataclass
class FeatureSet:
    """The network outputs of one input, by role: ``features`` (N x d, the embedding) and,
    where the network has class logits, ``logits`` (N x C). ``metadata`` names the feature
    space (see ``Extractor.metadata``) and the input."""

    name: str
    outputs: dict[str, np.ndarray]
    metadata: dict = field(default_factory=dict)

    @property
    def features(self) -> np.ndarray:
        return self.outputs["features"]

    @property
    def label(self) -> str:
        return self.name

    @property
    def logits(self) -> np.ndarray:
        if "logits" not in self.outputs:
            raise InputError(f"{self.name}: the features {self.metadata.get('extractor')!r} have no class logits "
                             "(the Inception Score needs them)")
        return self.outputs["logits"]

    def __len__(self) -> int:
        return len(self.features)


def extract_features(x, runner: FeatureRunner | None = None, cache: bool = False,
                     name: str | None = None) -> FeatureSet:
    """Run the network once over an input (a folder, array file, dataset name, array or
    tensor); with ``cache``, reuse or keep the result in the content-keyed feature cache
    (``features/cache.py``). Raises ``InputError`` for a statistics file or fewer than 2 images."""
    if isinstance(x, FeatureSet):
        return x
    runner = runner or FeatureRunner()
    if isinstance(x, (str, bytes)) or hasattr(x, "__fspath__"):
        if is_stats_file(x):
            raise InputError(f"{x}: holds only statistics (mu, sigma); this metric needs the images "
                             "(FID of two statistics files: ganmetrics fid A.npz B.npz)")
    source = runner.open(x, name)
    if len(source) < 2:
        raise InputError(f"{source.name}: {len(source)} image; metrics need at least 2")
    ext = runner.extractor
    meta = {**ext.metadata(), "source": source.name, "ganmetrics_version": __version__}
    path = feature_cache.path_for(source, x, ext.metadata()) if cache else None
    if path is not None:
        hit = feature_cache.load(path, ext.roles)
        if hit is not None:
            return FeatureSet(source.name, hit, meta)
    chunks: dict[str, list[torch.Tensor]] = {role: [] for role in ext.roles}
    for out in runner.run(distributed.shard(source)):
        for role, output in ext.roles.items():
            chunks[role].append(out[output].float().cpu())
    outputs = {role: distributed.gather_strided(torch.cat(c)).numpy() for role, c in chunks.items()}
    if path is not None and distributed.is_main():
        feature_cache.save(path, outputs)
    return FeatureSet(source.name, outputs, meta)


__all__ = ["FeatureRunner", "FeatureSet", "extract_features", "rebatch", "CPU_CHUNK"]
