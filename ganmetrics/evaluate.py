"""Inputs -> features -> statistics -> metrics, in one pass per input.

This is the layer the CLI calls: it opens inputs (folders, arrays, stats files), runs the
extractor once per input, and hands arrays to the pure metric functions.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import __version__, distributed
from .errors import IncompatibleStatsError, InputError
from .features import DEFAULT_EXTRACTOR, Extractor, get_extractor, iter_features
from .features.weights import cache_dir
from .io import load_npz, save_npz
from .metrics._checks import warn_if_duplicate_dominated
from .metrics.bootstrap import bootstrap_interval
from .metrics.frechet import DEFAULT_METHOD, frechet_distance, frechet_distance_features
from .metrics.inception_score import inception_score
from .metrics.kid import DEFAULT_SEED, kid
from .metrics.prdc import prdc_indicators
from .preprocess import DEFAULT_RESIZE
from .result import Result
from .sources import ImageSource, content_fingerprint, iter_batches, open_images
from .stats import GaussianStats, assume_protocol, is_stats_file

#: metadata keys that must agree between two statistics before they are compared
COMPAT_KEYS = ("extractor", "resize", "weights_sha256")


def default_workers() -> int:
    return min(4, os.cpu_count() or 1)


class ExtractorOptions:
    """The options every command that runs the network shares (same names as the CLI flags).

    The network is loaded on first use, so inputs that are already statistics need no weights.
    """

    def __init__(self, weights=None, device="auto", resize=DEFAULT_RESIZE, batch_size=50, workers=None,
                 progress=False, extractor: str = DEFAULT_EXTRACTOR, root=None, download: bool = False,
                 skip_invalid: bool = False, max_invalid: float = 0.01, max_pixels: int | None = None,
                 channels_last: bool = True):
        if distributed.launched():  # under torchrun: join the process group, one device per rank
            device = distributed.init_from_env(device)
        self.weights, self.device, self.resize = weights, device, resize
        self.batch_size = batch_size
        self.workers = default_workers() if workers is None else workers
        self.progress, self.extractor_name = progress, extractor
        self.root, self.download = root, download  # where dataset names (cifar10:train) are read
        # unreadable files: stop (default) or skip and count them, up to a fraction
        self.skip_invalid, self.max_invalid, self.max_pixels = skip_invalid, max_invalid, max_pixels
        self.channels_last = channels_last  # NHWC convolutions: faster; float32 rounding differs from NCHW
        self._extractor: Extractor | None = None

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            self._extractor = get_extractor(self.extractor_name, weights=self.weights, device=self.device,
                                            resize=self.resize, channels_last=self.channels_last)
        return self._extractor

    def run(self, source: ImageSource):
        """Yield the extractor's feature dicts for every batch of ``source``.

        On the CPU the network sees fixed chunks of ``CPU_CHUNK`` images aligned to the input's
        order, whatever ``batch_size`` and ``workers`` are, so results are bit-identical across
        them (oneDNN's float32 results depend on the batch shape). On a GPU batches go as loaded.
        """
        ext = self.extractor
        pin = ext.device.type == "cuda"
        batches = iter_batches(source, self.batch_size, self.workers, pin, self.skip_invalid, self.max_pixels)
        if ext.device.type == "cpu":
            batches = rebatch(batches, CPU_CHUNK)
        bar = tqdm(total=len(source), desc=_short_name(source.name), unit="img", file=sys.stderr,
                   disable=not self.progress or not distributed.is_main(), leave=False, dynamic_ncols=True)
        with bar:
            yield from iter_features(ext, batches, bar)
        self._check_skipped(source)

    def _check_skipped(self, source: ImageSource) -> None:
        k, n = len(source.skipped), len(source)
        if not k:
            return
        if k > self.max_invalid * n:
            raise InputError(f"{source.name}: {k} of {n} images unreadable, more than --max-invalid "
                             f"{self.max_invalid:.1%} allows (first: {source.skipped[0]})")
        warnings.warn(f"{source.name}: skipped {k} unreadable image(s) of {n} (first: {source.skipped[0]})")


CPU_CHUNK = 50  # = the default --batch-size, so the default path batches as pytorch-fid does


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


def image_stats(source: ImageSource, opts: ExtractorOptions) -> GaussianStats:
    """Streaming pool3 statistics of an image source (memory independent of N)."""
    if len(source) < 2:
        raise InputError(f"{source.name}: {len(source)} image; statistics need at least 2 (and FID far more)")
    ext = opts.extractor
    stats = GaussianStats(ext.dims["pool3"], {**ext.metadata(), "source": source.name,
                                              "ganmetrics_version": __version__}, device=ext.device)
    for feats in opts.run(distributed.shard(source)):
        stats.update(feats["pool3"])
    stats.metadata["skipped"] = len(source.skipped)
    if len(source) - len(source.skipped) < ext.dims["pool3"]:  # the images read, not the files listed
        warnings.warn(f"{source.name}: {len(source) - len(source.skipped)} images < {ext.dims['pool3']} feature dimensions: the "
                      "covariance is rank-deficient and FID is biased upwards (use 10,000+ images to compare "
                      "with published numbers)")
    return distributed.reduce_stats(stats)


def load_stats_or_images(x, opts: ExtractorOptions, name: str | None = None) -> GaussianStats:
    """A GaussianStats, a stats ``.npz`` file, or anything ``open_images`` takes -> GaussianStats."""
    if isinstance(x, GaussianStats):
        return x
    if isinstance(x, (str, os.PathLike)) and is_stats_file(x):
        return GaussianStats.load(x)
    return image_stats(open_images(x, name, opts.root, opts.download), opts)


def compute_stats(x, *, weights=None, device="auto", resize=DEFAULT_RESIZE, batch_size=50, workers=None,
                  progress=False, channels_last: bool = True, opts: ExtractorOptions | None = None) -> GaussianStats:
    """Pool3 statistics of a folder or image array (file or in memory): what ``ganmetrics stats`` saves.

    ``opts`` (an ``ExtractorOptions``) replaces the individual extractor keywords when given.
    """
    opts = opts or ExtractorOptions(weights, device, resize, batch_size, workers, progress, channels_last=channels_last)
    if isinstance(x, (str, os.PathLike)) and is_stats_file(x):
        raise InputError(f"{x}: is already a statistics file")
    return image_stats(open_images(x, None, opts.root, opts.download), opts)


def check_compatible(a: GaussianStats, b: GaussianStats, force: bool = False) -> None:
    """Refuse to compare statistics produced by different extractors, weights or preprocessing."""
    if a.dim != b.dim:
        raise InputError(f"{a.label} has {a.dim}-d statistics but "
                         f"{b.label} has {b.dim}-d; they cannot be compared")
    assume_protocol(a, b)  # a file without metadata: say what is assumed, record it
    if force:
        return
    for key in COMPAT_KEYS:
        va, vb = a.metadata.get(key), b.metadata.get(key)
        if va is not None and vb is not None and va != vb:
            hint = " (pass --resize accordingly)" if key == "resize" else ""
            raise IncompatibleStatsError(
                f"{a.label} has {key}={va} but {b.label} has "
                f"{key}={vb}{hint}; the FID would be meaningless (--force overrides)")


def fid(a, b, *, weights=None, device="auto", resize=DEFAULT_RESIZE, batch_size=50, workers=None,
        progress=False, force=False, sqrtm: str = DEFAULT_METHOD, channels_last: bool = True,
        opts: ExtractorOptions | None = None) -> Result:
    """FID (Heusel et al. 2017) between two inputs, each a folder, an ``.npy``/``.npz`` image array,
    a stats file, a uint8 or [0, 1] float array/tensor, or a ``GaussianStats``.

    Statistics made with a different extractor, weights or resize mode are refused
    (``IncompatibleStatsError``) unless ``force=True``. ``sqrtm`` picks how Tr((Σa Σb)^½) is
    computed (see ``frechet_distance``). ``channels_last=False`` runs the network in NCHW layout,
    as pytorch-fid and torch-fidelity do (bit-level parity; slower on the CPU). ``opts`` replaces
    the extractor keywords.

    >>> ganmetrics.fid("real/", "fake/").value
    """
    opts = opts or ExtractorOptions(weights, device, resize, batch_size, workers, progress, channels_last=channels_last)
    sa = load_stats_or_images(a, opts, name=None if isinstance(a, (str, os.PathLike)) else "a")
    sb = load_stats_or_images(b, opts, name=None if isinstance(b, (str, os.PathLike)) else "b")
    check_compatible(sa, sb, force)
    value = frechet_distance(sa.mu, sa.sigma, sb.mu, sb.sigma, method=sqrtm)
    meta = {k: sa.metadata.get(k, sb.metadata.get(k)) for k in (*COMPAT_KEYS, "layout")}
    meta.update({f"protocol_assumed_{k}": x.metadata["protocol_assumed"] for k, x in (("a", sa), ("b", sb))
                 if "protocol_assumed" in x.metadata})
    meta.update(a=sa.label, b=sb.label, sqrtm=sqrtm, skipped_a=sa.metadata.get("skipped", 0),
                skipped_b=sb.metadata.get("skipped", 0),
                ganmetrics_version=__version__)
    return Result("fid", value, n={"a": sa.n or None, "b": sb.n or None}, metadata=meta)




# ----------------------------------------------------------------------------- one-pass evaluation

METRICS = ("fid", "is", "kid", "prdc")
FEATURE_CACHE_VERSION = 1


@dataclass
class FeatureSet:
    """The features of one input: pool3 (N x 2048) and the bias-free logits (N x 1008)."""

    name: str
    pool3: np.ndarray
    logits_unbiased: np.ndarray
    metadata: dict


def extract_features(x, opts: ExtractorOptions, cache: bool = False, name: str | None = None) -> FeatureSet:
    """Run the extractor once over an input; with ``cache`` reuse/keep the result in the cache.

    The cache key covers the input's content fingerprint, the extractor, its weights' sha256,
    the resize mode and the cache format, so a changed folder, weights file or preprocessing
    never returns stale features. Cache files are written atomically.
    """
    if isinstance(x, FeatureSet):
        return x
    if isinstance(x, (str, os.PathLike)) and is_stats_file(x):
        raise InputError(f"{x}: holds only statistics (mu, sigma); this metric needs the images")
    source = open_images(x, name, opts.root, opts.download)
    if len(source) < 2:
        raise InputError(f"{source.name}: {len(source)} image; metrics need at least 2")
    meta = {**opts.extractor.metadata(), "source": source.name, "ganmetrics_version": __version__}
    path = None
    if cache:
        key = hashlib.sha256(json.dumps([content_fingerprint(source, x if source.files is not None else None),
                                         opts.extractor.metadata(),
                                         FEATURE_CACHE_VERSION]).encode()).hexdigest()[:32]
        path = cache_dir() / "features" / f"{key}.npz"
        if path.is_file():
            data = load_npz(path)
            return FeatureSet(source.name, data["pool3"], data["logits_unbiased"], meta)
    pool3, logits = [], []
    for feats in opts.run(distributed.shard(source)):
        pool3.append(feats["pool3"].float().cpu())
        logits.append(feats["logits_unbiased"].float().cpu())
    pool3, logits = (distributed.gather_strided(torch.cat(t)).numpy() for t in (pool3, logits))
    fs = FeatureSet(source.name, pool3, logits, meta)
    if path is not None and distributed.is_main():
        path.parent.mkdir(parents=True, exist_ok=True)
        save_npz(path, pool3=fs.pool3, logits_unbiased=fs.logits_unbiased)
    return fs


def fid_of_features(x1: np.ndarray, x2: np.ndarray) -> float:
    """FID of two feature matrices by the cheaper exact route: the N1 x N2 nuclear-norm form
    while both sample counts are below the dimension (bootstraps of small sets), else the
    d x d covariances."""
    if max(len(x1), len(x2)) <= x1.shape[1]:
        return frechet_distance_features(x1, x2)
    s1, s2 = GaussianStats(x1.shape[1]).update(x1), GaussianStats(x2.shape[1]).update(x2)
    return frechet_distance(s1.mu, s1.sigma, s2.mu, s2.sigma)


def evaluate(a, b=None, metrics=("fid",), *, ci: float | None = None, n_boot: int = 100,
             seed: int = DEFAULT_SEED, splits: int = 10, kid_subsets: int = 100, kid_subset_size: int = 1000,
             k_pr: int = 3, k_dc: int = 5, cache: bool = False, force: bool = False,
             sqrtm: str = DEFAULT_METHOD, is_order: str = "random", opts: ExtractorOptions | None = None,
             **extractor_kwargs) -> list[Result]:
    """Every requested metric from one extraction per input.

    ``a`` is the reference (real) input, ``b`` the evaluated (generated) one; the Inception
    Score is computed on ``b`` (on ``a`` when ``b`` is None). ``ci`` (e.g. 0.95) adds a
    percentile bootstrap interval with ``n_boot`` resamples to every metric (see docs for the
    cost). FID also accepts a statistics file for ``a``. ``is_order``: ``"random"`` splits the
    Inception Score after a ``seed``-ed permutation (independent of file names), ``"file"`` in
    file order as the original code (see ``inception_score``).
    """
    metrics = list(dict.fromkeys(metrics))
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise InputError(f"unknown metric(s) {', '.join(unknown)}; choose from {', '.join(METRICS)}")
    if b is None and metrics != ["is"]:
        raise InputError("two inputs are needed for " + ", ".join(m for m in metrics if m != "is"))
    opts = opts or ExtractorOptions(**extractor_kwargs)
    common = {"seed": seed, "ganmetrics_version": __version__}
    if ci is not None:
        common.update(ci=ci, n_boot=n_boot)

    needs_features_a = any(m in metrics for m in ("kid", "prdc")) or (b is None) or \
        ("fid" in metrics and ci is not None)
    stats_a = None
    if isinstance(a, GaussianStats):
        if needs_features_a:
            raise InputError(f"{a.label}: holds only statistics (mu, sigma); "
                             f"{', '.join(m for m in metrics if m != 'fid') or 'the interval'} needs the images")
        stats_a = a
    elif "fid" in metrics and not needs_features_a and isinstance(a, (str, os.PathLike)) and is_stats_file(a):
        stats_a = GaussianStats.load(a)
    fa = None if stats_a is not None else extract_features(a, opts, cache)
    fb = extract_features(b, opts, cache) if b is not None else None
    for fs in (fa, fb):  # a set of copies: say so (k-NN metrics would measure rounding noise)
        if fs is not None:
            warn_if_duplicate_dominated(fs.name, fs.pool3)
    meta = {**(fb or fa).metadata, **common}
    meta.pop("source", None)
    results: list[Result] = []

    if "fid" in metrics:
        if stats_a is None:
            stats_a = GaussianStats(fa.pool3.shape[1], fa.metadata).update(fa.pool3)
        stats_b = GaussianStats(fb.pool3.shape[1], fb.metadata).update(fb.pool3)
        check_compatible(stats_a, stats_b, force)
        value = frechet_distance(stats_a.mu, stats_a.sigma, stats_b.mu, stats_b.sigma, method=sqrtm)
        interval = None
        if ci is not None:
            interval = bootstrap_interval(lambda ia, ib: fid_of_features(fa.pool3[ia], fb.pool3[ib]), [len(fa.pool3), len(fb.pool3)], n_boot, ci, seed)
        assumed = {"protocol_assumed_a": stats_a.metadata["protocol_assumed"]} \
            if "protocol_assumed" in stats_a.metadata else {}
        results.append(Result("fid", value, {"a": stats_a.n or None, "b": stats_b.n}, None, interval,
                              {**meta, **assumed, "sqrtm": sqrtm}))

    if "is" in metrics:
        target = fb or fa
        mean, std = inception_score(target.logits_unbiased, splits, order=is_order, seed=seed)
        interval = None
        if ci is not None:
            interval = bootstrap_interval(lambda i: inception_score(target.logits_unbiased[i], splits, order=is_order,
                                                                    seed=seed)[0],
                                          [len(target.logits_unbiased)], n_boot, ci, seed)
        results.append(Result("is", mean, {"b" if fb is not None else "a": len(target.logits_unbiased)}, std,
                              interval, {**meta, "splits": splits, "order": is_order}))

    if "kid" in metrics:
        kw = dict(subsets=kid_subsets, subset_size=kid_subset_size, seed=seed)
        mean, std = kid(fa.pool3, fb.pool3, **kw)
        interval = None
        if ci is not None:
            interval = bootstrap_interval(lambda ia, ib: kid(fa.pool3[ia], fb.pool3[ib], ids_a=ia, ids_b=ib, **kw)[0],
                                          [len(fa.pool3), len(fb.pool3)], n_boot, ci, seed)
        results.append(Result("kid", mean, {"a": len(fa.pool3), "b": len(fb.pool3)}, std, interval,
                              {**meta, "subsets": kid_subsets, "subset_size": min(kid_subset_size, len(fa.pool3),
                                                                                  len(fb.pool3))}))

    if "prdc" in metrics:
        results.extend(prdc_results(fa.pool3, fb.pool3, k_pr, k_dc, ci, n_boot, seed, meta, opts.device))
    return results


def prdc_results(real, fake, k_pr, k_dc, ci, n_boot, seed, meta, device="cpu") -> list[Result]:
    """Precision, recall (k_pr) and density, coverage (k_dc) as Results.

    Their bootstrap keeps the k-NN manifolds fixed and resamples the per-sample indicators
    (resampling the points themselves would create duplicates at distance 0 and shrink the
    k-NN radii).
    """
    indicators = prdc_indicators(real, fake, k_pr, k_dc, device)
    n = {"a": len(real), "b": len(fake)}
    out = []
    for name, per_sample in indicators.items():
        interval = None
        if ci is not None:
            interval = bootstrap_interval(lambda i: float(per_sample[i].mean()), [len(per_sample)], n_boot, ci, seed)
        k = k_pr if name in ("precision", "recall") else k_dc
        out.append(Result(name, float(per_sample.mean()), n, None, interval, {**meta, "k": k}))
    return out


__all__ = ["fid", "compute_stats", "evaluate", "extract_features", "check_compatible", "ExtractorOptions",
           "image_stats", "load_stats_or_images", "FeatureSet", "METRICS"]
