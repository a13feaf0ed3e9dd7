"""Stateful metrics for training loops, in the torchmetrics habit: ``update`` / ``compute`` / ``reset``.

    fid = ganmetrics.FID(reference="real.npz", device="cuda")
    for batch in loader:
        fid.update(generator(z))          # uint8 N x 3 x H x W, or float in [0, 1]
    print(fid.compute().value); fid.reset()

Under ``torch.distributed`` (initialised by the user, e.g. with torchrun), ``compute()`` combines
the ranks: FID all-reduces its float64 sums, IS and KID all-gather their features. Every rank
gets the same result.
"""
from __future__ import annotations

import torch

from . import __version__, distributed
from .errors import InputError
from .evaluate import ExtractorOptions, load_stats_or_images
from .metrics.frechet import frechet_distance
from .metrics.inception_score import inception_score
from .metrics.kid import DEFAULT_SEED, kid
from .preprocess import DEFAULT_RESIZE
from .result import Result
from .sources import as_uint8_nchw
from .stats import GaussianStats


def _to_uint8(images) -> torch.Tensor:
    if isinstance(images, torch.Tensor) and images.dtype == torch.uint8 and images.ndim == 4 and images.shape[1] == 3:
        return images  # fast path: stays on its device
    return torch.from_numpy(as_uint8_nchw(images, "images"))


class _ImageMetric:
    def __init__(self, weights=None, device="auto", resize=DEFAULT_RESIZE, batch_size=50, channels_last: bool = True):
        # channels_last=False runs the peers' NCHW layout (they differ by float32 rounding only)
        self._opts = ExtractorOptions(weights=weights, device=device, resize=resize, batch_size=batch_size,
                                      workers=0, channels_last=channels_last)

    def _features(self, images) -> dict[str, torch.Tensor]:
        x = _to_uint8(images)
        outs = [self._opts.extractor(x[i:i + self._opts.batch_size]) for i in range(0, len(x), self._opts.batch_size)]
        return {k: torch.cat([o[k] for o in outs]) for k in outs[0]}

    def _meta(self) -> dict:
        return {**self._opts.extractor.metadata(), "ganmetrics_version": __version__}

    def _gathered(self, chunks: list[torch.Tensor], output: str) -> torch.Tensor:
        """Every rank's rows of one network output, in rank order. A rank that saw no images
        still takes part (with 0 rows): compute() is a collective, and a rank that skipped it
        would leave the others waiting forever."""
        mine = torch.cat(chunks) if chunks else torch.zeros(0, self._opts.extractor.dims[output], dtype=torch.float64)
        return distributed.gather_rows(mine)


class FID(_ImageMetric):
    """FID between the images passed with ``real=True`` (or a fixed ``reference``) and the rest."""

    def __init__(self, reference=None, weights=None, device="auto", resize=DEFAULT_RESIZE, batch_size=50,
                 sqrtm: str = "eigvals", channels_last: bool = True):
        super().__init__(weights, device, resize, batch_size, channels_last)
        self.sqrtm = sqrtm
        self._reference = None if reference is None else load_stats_or_images(reference, self._opts)
        self.reset()

    def reset(self) -> None:
        """Forget the accumulated images (a fixed ``reference`` is kept)."""
        self._stats: dict[bool, GaussianStats | None] = {True: self._reference, False: None}

    def update(self, images, real: bool = False) -> None:
        if real and self._reference is not None:
            raise InputError("this FID has a fixed reference; update(..., real=True) is not allowed")
        pool3 = self._features(images)["pool3"]
        if self._stats[real] is None:  # accumulate on the extractor's device
            self._stats[real] = GaussianStats(pool3.shape[1], self._meta(), device=pool3.device)
        self._stats[real].update(pool3)

    def compute(self) -> Result:
        real = self._reference if self._reference is not None else self._synced(self._stats[True])
        fake = self._synced(self._stats[False])
        if fake.n == 0 or (self._reference is None and real.n == 0):  # global counts: every rank raises alike
            raise InputError("FID.compute() needs real images (or a reference) and generated images")
        sides = [("generated", fake, "update(images)")]
        if self._reference is None:
            sides.insert(0, ("real", real, "update(images, real=True)"))
        for side, stats, call in sides:
            if stats.n == 1:
                raise InputError(f"FID.compute(): 1 {side} image (passed with {call}); a covariance needs at "
                                 "least 2, and FID far more")
        value = frechet_distance(real.mu, real.sigma, fake.mu, fake.sigma, method=self.sqrtm)
        return Result("fid", value, {"a": real.n or None, "b": fake.n}, metadata={**self._meta(), "sqrtm": self.sqrtm})

    def _synced(self, stats: GaussianStats | None) -> GaussianStats:
        """The sums of every rank (a rank that saw no images contributes zeros; see _gathered)."""
        if stats is None:
            stats = GaussianStats(self._opts.extractor.dims["pool3"], self._meta())
        return distributed.reduce_stats(stats)


class InceptionScore(_ImageMetric):
    """Inception Score of the images passed to ``update`` (original-code definition, see metrics)."""

    def __init__(self, splits: int = 10, weights=None, device="auto", resize=DEFAULT_RESIZE, batch_size=50,
                 channels_last: bool = True, order: str = "random", seed: int = DEFAULT_SEED):
        super().__init__(weights, device, resize, batch_size, channels_last)
        self.splits, self.order, self.seed = splits, order, seed
        self.reset()

    def reset(self) -> None:
        self._logits: list[torch.Tensor] = []

    def update(self, images) -> None:
        self._logits.append(self._features(images)["logits_unbiased"].double().cpu())

    def compute(self) -> Result:
        logits = self._gathered(self._logits, "logits_unbiased").numpy()
        if not len(logits):
            raise InputError("InceptionScore.compute() called before any update()")
        mean, std = inception_score(logits, self.splits, order=self.order, seed=self.seed)
        return Result("is", mean, {"b": len(logits)}, std, metadata={**self._meta(), "splits": self.splits,
                                                                    "order": self.order, "seed": self.seed})


class KID(_ImageMetric):
    """KID between the images passed with ``real=True`` and the rest."""

    def __init__(self, subsets: int = 100, subset_size: int = 1000, seed: int = DEFAULT_SEED, weights=None,
                 device="auto", resize=DEFAULT_RESIZE, batch_size=50, channels_last: bool = True):
        super().__init__(weights, device, resize, batch_size, channels_last)
        self.subsets, self.subset_size, self.seed = subsets, subset_size, seed
        self.reset()

    def reset(self) -> None:
        self._feats: dict[bool, list[torch.Tensor]] = {True: [], False: []}

    def update(self, images, real: bool = False) -> None:
        self._feats[real].append(self._features(images)["pool3"].double().cpu())

    def compute(self) -> Result:
        a, b = (self._gathered(self._feats[r], "pool3").numpy() for r in (True, False))
        if not len(a) or not len(b):
            raise InputError("KID.compute() needs images with real=True and real=False")
        mean, std = kid(a, b, self.subsets, self.subset_size, seed=self.seed)
        return Result("kid", mean, {"a": len(a), "b": len(b)}, std,
                      metadata={**self._meta(), "subsets": self.subsets, "seed": self.seed})


