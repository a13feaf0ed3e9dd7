"""Inputs -> features -> statistics -> metrics, in one pass per input.

This is the layer the CLI calls: it opens inputs (folders, arrays, stats files), runs the
extractor once per input, and hands arrays to the pure metric functions.
"""
from __future__ import annotations

import os
import sys

from tqdm import tqdm

from . import __version__
from .errors import IncompatibleStatsError, InputError
from .features import DEFAULT_EXTRACTOR, Extractor, get_extractor, iter_features
from .metrics.frechet import frechet_distance
from .preprocess import DEFAULT_RESIZE
from .result import Result
from .sources import ImageSource, iter_batches, open_images
from .stats import GaussianStats, is_stats_file

#: metadata keys that must agree between two statistics before they are compared
COMPAT_KEYS = ("extractor", "resize", "weights_sha256")


def default_workers() -> int:
    return min(4, os.cpu_count() or 1)


class ExtractorOptions:
    """The options every command that runs the network shares (same names as the CLI flags).

    The network is loaded on first use, so inputs that are already statistics need no weights.
    """

    def __init__(self, weights=None, device="auto", resize=DEFAULT_RESIZE, batch_size=50, workers=None,
                 progress=False, extractor: str = DEFAULT_EXTRACTOR):
        self.weights, self.device, self.resize = weights, device, resize
        self.batch_size = batch_size
        self.workers = default_workers() if workers is None else workers
        self.progress, self.extractor_name = progress, extractor
        self._extractor: Extractor | None = None

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            self._extractor = get_extractor(self.extractor_name, weights=self.weights, device=self.device,
                                            resize=self.resize)
        return self._extractor

    def run(self, source: ImageSource):
        """Yield the extractor's feature dicts for every batch of ``source``."""
        ext = self.extractor
        pin = ext.device.type == "cuda"
        bar = tqdm(total=len(source), desc=_short_name(source.name), unit="img", file=sys.stderr,
                   disable=not self.progress, leave=False, dynamic_ncols=True)
        with bar:
            yield from iter_features(ext, iter_batches(source, self.batch_size, self.workers, pin), bar)


def _short_name(name: str, width: int = 30) -> str:
    return name if len(name) <= width else "..." + name[-(width - 3):]


def image_stats(source: ImageSource, opts: ExtractorOptions) -> GaussianStats:
    """Streaming pool3 statistics of an image source (memory independent of N)."""
    if len(source) < 2:
        raise InputError(f"{source.name}: {len(source)} image; statistics need at least 2 (and FID far more)")
    ext = opts.extractor
    stats = GaussianStats(ext.dims["pool3"], {**ext.metadata(), "source": source.name,
                                              "ganmetrics_version": __version__}, device=ext.device)
    for feats in opts.run(source):
        stats.update(feats["pool3"])
    return stats


def load_stats_or_images(x, opts: ExtractorOptions, name: str | None = None) -> GaussianStats:
    """A GaussianStats, a stats ``.npz`` file, or anything ``open_images`` takes -> GaussianStats."""
    if isinstance(x, GaussianStats):
        return x
    if isinstance(x, (str, os.PathLike)) and is_stats_file(x):
        return GaussianStats.load(x)
    return image_stats(open_images(x, name), opts)


def compute_stats(x, *, weights=None, device="auto", resize=DEFAULT_RESIZE, batch_size=50, workers=None,
                  progress=False, opts: ExtractorOptions | None = None) -> GaussianStats:
    """Pool3 statistics of a folder or image array (file or in memory): what ``ganmetrics stats`` saves.

    ``opts`` (an ``ExtractorOptions``) replaces the individual extractor keywords when given.
    """
    opts = opts or ExtractorOptions(weights, device, resize, batch_size, workers, progress)
    if isinstance(x, (str, os.PathLike)) and is_stats_file(x):
        raise InputError(f"{x}: is already a statistics file")
    return image_stats(open_images(x), opts)


def check_compatible(a: GaussianStats, b: GaussianStats, force: bool = False) -> None:
    """Refuse to compare statistics produced by different extractors, weights or preprocessing."""
    if a.dim != b.dim:
        raise InputError(f"{a.metadata.get('source', 'a')} has {a.dim}-d statistics but "
                         f"{b.metadata.get('source', 'b')} has {b.dim}-d; they cannot be compared")
    if force:
        return
    for key in COMPAT_KEYS:
        va, vb = a.metadata.get(key), b.metadata.get(key)
        if va is not None and vb is not None and va != vb:
            hint = " (pass --resize accordingly)" if key == "resize" else ""
            raise IncompatibleStatsError(
                f"{a.metadata.get('source', 'a')} has {key}={va} but {b.metadata.get('source', 'b')} has "
                f"{key}={vb}{hint}; the FID would be meaningless (--force overrides)")


def fid(a, b, *, weights=None, device="auto", resize=DEFAULT_RESIZE, batch_size=50, workers=None,
        progress=False, force=False, opts: ExtractorOptions | None = None) -> Result:
    """FID (Heusel et al. 2017) between two inputs, each a folder, an ``.npy``/``.npz`` image array,
    a stats file, a uint8 or [0, 1] float array/tensor, or a ``GaussianStats``.

    Statistics made with a different extractor, weights or resize mode are refused
    (``IncompatibleStatsError``) unless ``force=True``. ``opts`` replaces the extractor keywords.

    >>> ganmetrics.fid("real/", "fake/").value
    """
    opts = opts or ExtractorOptions(weights, device, resize, batch_size, workers, progress)
    sa = load_stats_or_images(a, opts, name=None if isinstance(a, (str, os.PathLike)) else "a")
    sb = load_stats_or_images(b, opts, name=None if isinstance(b, (str, os.PathLike)) else "b")
    check_compatible(sa, sb, force)
    value = frechet_distance(sa.mu, sa.sigma, sb.mu, sb.sigma)
    meta = {k: sa.metadata.get(k, sb.metadata.get(k)) for k in COMPAT_KEYS}
    meta.update(a=sa.metadata.get("source", "a"), b=sb.metadata.get("source", "b"), ganmetrics_version=__version__)
    return Result("fid", value, n={"a": sa.n or None, "b": sb.n or None}, metadata=meta)


__all__ = ["fid", "compute_stats", "check_compatible", "ExtractorOptions", "image_stats", "load_stats_or_images"]
