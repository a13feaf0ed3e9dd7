"""In-loop metrics for training loops, in the torchmetrics habit: ``update`` / ``compute`` / ``reset``.

    fid = ganmetrics.FID(reference="real.npz", device="cuda")
    for batch in loader:
        fid.update(generator(z))          # uint8 N x 3 x H x W, or float in [0, 1]
    print(fid.compute().value); fid.reset()

States are declared once with their reduction: FID keeps float64 sums (``GaussianStats``,
all-reduced), every other metric keeps the network outputs it needs (rows, all-gathered).
``StreamingMetric("name")`` works for any metric of the registry (KID, IS, precision, a user's),
so a new metric needs no new class. Under ``torch.distributed`` (initialised by the user, e.g.
with torchrun) ``compute()`` is a collective: every rank must call it, and every rank gets the
same result.
"""
from __future__ import annotations

import torch

from . import distributed
from ._version import __version__
from .config import DEFAULTS, Extraction
from .errors import InputError
from .evaluation import estimates, load_stats_or_images
from .features.runner import FeatureRunner, FeatureSet
from .inputs.sources import as_uint8_nchw
from .metrics import registry
from .result import Result
from .stats import GaussianStats


def _to_uint8(images) -> torch.Tensor:
    if isinstance(images, torch.Tensor) and images.dtype == torch.uint8 and images.ndim == 4 and images.shape[1] == 3:
        return images  # fast path: stays on its device
    return torch.from_numpy(as_uint8_nchw(images, "images"))


class _ImageMetric:
    def __init__(self, extraction: Extraction):
        self._runner = FeatureRunner(extraction.replace(workers=0))

    def _outputs(self, images) -> dict[str, torch.Tensor]:
        """The extractor's outputs by role, for a batch of images."""
        ext, bs = self._runner.extractor, self._runner.extraction.batch_size
        x = _to_uint8(images)
        outs = [ext(x[i:i + bs]) for i in range(0, len(x), bs)]
        return {role: torch.cat([o[name] for o in outs]) for role, name in ext.roles.items()}

    def _meta(self) -> dict:
        return {**self._runner.extractor.metadata(), "ganmetrics_version": __version__}

    def _gathered(self, chunks: list[torch.Tensor], role: str) -> torch.Tensor:
        """Every rank's rows of one output, in rank order. A rank that saw no images still takes
        part (with 0 rows): compute() is a collective, and a rank that skipped it would leave the
        others waiting forever."""
        mine = torch.cat(chunks) if chunks else torch.zeros(0, self._runner.extractor.dim(role), dtype=torch.float64)
        return distributed.gather_rows(mine)


def _extraction(weights, device, resize, batch_size, channels_last, features=DEFAULTS.features,
                tf32: bool = False) -> Extraction:
    # every forward pass runs in full float32 unless tf32=True, and the training loop's own
    # precision settings (e.g. TF32 for the generator) are restored after it (features/precision.py)
    return Extraction(features=features, weights=weights, device=device, resize=resize, batch_size=batch_size,
                      channels_last=channels_last, tf32=tf32)


class FID(_ImageMetric):
    """FID between the images passed with ``real=True`` (or a fixed ``reference``: a stats file,
    ``GaussianStats`` or images) and the rest. State: float64 sums per side (all-reduced)."""

    def __init__(self, reference=None, weights=None, device="auto", resize=DEFAULTS.resize,
                 batch_size=DEFAULTS.batch_size, sqrtm: str = DEFAULTS.sqrtm, channels_last: bool = True,
                 features: str = DEFAULTS.features, tf32: bool = False):
        super().__init__(_extraction(weights, device, resize, batch_size, channels_last, features, tf32))
        self.sqrtm = sqrtm
        self._reference = None if reference is None else load_stats_or_images(reference, self._runner)
        self.reset()

    def reset(self) -> None:
        """Forget the accumulated images (a fixed ``reference`` is kept)."""
        self._stats: dict[bool, GaussianStats | None] = {True: self._reference, False: None}

    def update(self, images, real: bool = False) -> None:
        if real and self._reference is not None:
            raise InputError("this FID has a fixed reference; update(..., real=True) is not allowed")
        feats = self._outputs(images)["features"]
        if self._stats[real] is None:  # accumulate on the extractor's device
            self._stats[real] = GaussianStats(feats.shape[1], self._meta(), device=feats.device)
        self._stats[real].update(feats)

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
        est = registry.get_metric("fid").compute(real, fake, {"sqrtm": self.sqrtm},
                                                 registry.Context(device=self._runner.extractor.device))
        return Result("fid", est.value, {"a": real.n or None, "b": fake.n},
                      metadata={**self._meta(), "sqrtm": self.sqrtm, **est.metadata})

    def _synced(self, stats: GaussianStats | None) -> GaussianStats:
        """The sums of every rank (a rank that saw no images contributes zeros; see _gathered)."""
        if stats is None:
            stats = GaussianStats(self._runner.extractor.dim("features"), self._meta())
        return distributed.reduce_stats(stats)


class StreamingMetric(_ImageMetric):
    """Any metric of the registry, accumulated over ``update`` calls. State: the rows of the
    network outputs the metric needs, per side (all-gathered in ``compute``).

    ``StreamingMetric("kid", kid_subsets=50)``; images with ``real=True`` form the reference
    side, the rest the evaluated side (single-input metrics such as ``is`` use the latter only).
    ``reference``: a fixed reference instead (statistics file, ``GaussianStats`` or images), for
    the metrics that accept statistics (``fid``, ``fid_inf``): ``StreamingMetric("fid_inf",
    reference="real.npz")``. ``params``: the metric's parameters (defaults from
    ``ganmetrics.config.DEFAULTS``)."""

    def __init__(self, metric: str, weights=None, device="auto", resize=DEFAULTS.resize,
                 batch_size=DEFAULTS.batch_size, channels_last: bool = True, features: str = DEFAULTS.features,
                 tf32: bool = False, reference=None, **params):
        super().__init__(_extraction(weights, device, resize, batch_size, channels_last, features, tf32))
        self.spec = registry.get_metric(metric)
        defaults = {**self.spec.params}
        unknown = [k for k in params if k not in defaults]
        if unknown:
            raise InputError(f"{metric}: unknown parameter(s) {', '.join(unknown)} (takes: {', '.join(defaults)})")
        if reference is not None and not self.spec.stats_ok:
            raise InputError(f"{metric}: a fixed reference is supported for "
                             f"{', '.join(registry.stats_metrics())}; pass reference images with "
                             "update(..., real=True)")
        self._reference = None if reference is None else load_stats_or_images(reference, self._runner)
        self.params = {**defaults, **params}
        self.reset()

    def reset(self) -> None:
        self._rows: dict[bool, dict[str, list[torch.Tensor]]] = {s: {r: [] for r in self.spec.needs} for s in (True, False)}

    def update(self, images, real: bool = False) -> None:
        if real and not self.spec.pair:
            raise InputError(f"{self.spec.name} uses the evaluated images only; update(..., real=True) is not allowed")
        if real and self._reference is not None:
            raise InputError(f"this {self.spec.name} has a fixed reference; update(..., real=True) is not allowed")
        outs = self._outputs(images)
        for role in self.spec.needs:
            self._rows[real][role].append(outs[role].double().cpu())

    def compute(self) -> Result:
        sides = {s: {r: self._gathered(self._rows[s][r], r).numpy() for r in self.spec.needs} for s in (True, False)}
        n = {s: len(next(iter(sides[s].values()))) for s in sides}
        name = type(self).__name__ if type(self) is not StreamingMetric else f"StreamingMetric({self.spec.name!r})"
        if not n[False] and not self.spec.pair:
            raise InputError(f"{name}.compute() called before any update()")
        fixed = self._reference is not None
        if self.spec.pair and ((not n[True] and not fixed) or not n[False]):
            raise InputError(f"{name}.compute() needs images with real=True and real=False "
                             f"(got {n[True]} real, {n[False]} generated)" if not fixed else
                             f"{name}.compute() needs generated images (update(images)); got none")
        meta = self._meta()
        a = (self._reference if fixed else FeatureSet("real", sides[True], meta)) if self.spec.pair else None
        if fixed:
            n[True] = self._reference.n or None
        b = FeatureSet("generated", sides[False], meta)
        est = estimates([self.spec], a, b, self.params, registry.Context(device="cpu"))[self.spec.name]
        counts = {"a": n[True], "b": n[False]} if self.spec.pair else {"b": n[False]}
        return Result(self.spec.name, est.value, counts, est.std, metadata={**meta, **est.metadata, **self._extra_meta()})

    def _extra_meta(self) -> dict:
        return {}


class InceptionScore(StreamingMetric):
    """Inception Score of the images passed to ``update`` (original-code definition, see metrics)."""

    def __init__(self, splits: int = DEFAULTS.splits, weights=None, device="auto", resize=DEFAULTS.resize,
                 batch_size=DEFAULTS.batch_size, channels_last: bool = True, tf32: bool = False,
                 order: str = DEFAULTS.is_order, seed: int = DEFAULTS.seed):
        super().__init__("is", weights, device, resize, batch_size, channels_last, tf32=tf32, splits=splits,
                         is_order=order, seed=seed)
        self.splits, self.order, self.seed = splits, order, seed

    def _extra_meta(self) -> dict:
        return {"seed": self.seed}


class KID(StreamingMetric):
    """KID between the images passed with ``real=True`` and the rest."""

    def __init__(self, subsets: int = DEFAULTS.kid_subsets, subset_size: int = DEFAULTS.kid_subset_size,
                 seed: int = DEFAULTS.seed, weights=None, device="auto", resize=DEFAULTS.resize,
                 batch_size=DEFAULTS.batch_size, channels_last: bool = True, tf32: bool = False):
        super().__init__("kid", weights, device, resize, batch_size, channels_last, tf32=tf32, kid_subsets=subsets,
                         kid_subset_size=subset_size, seed=seed)
        self.subsets, self.subset_size, self.seed = subsets, subset_size, seed

    def _extra_meta(self) -> dict:
        return {"subsets": self.subsets, "seed": self.seed}


__all__ = ["FID", "KID", "InceptionScore", "StreamingMetric"]
