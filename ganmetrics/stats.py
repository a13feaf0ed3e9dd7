"""Streaming Gaussian statistics of feature vectors: the accumulator stage of the pipeline.

Memory is O(d^2) whatever N is: the statistics are kept as float64 sums,

    n,   s = sum_i x_i,   S = sum_i x_i x_i^T,

from which  mu = s / n  and  sigma = (S - n mu mu^T) / (n - 1)  (the unbiased covariance,
as ``numpy.cov`` and pytorch-fid compute it). Sums of disjoint shards add up to the sums of the
whole, so shard statistics merge exactly (up to float64 rounding) -- what multi-process
extraction relies on.

Stats files are ``.npz`` with ``mu`` and ``sigma`` (the keys TTUR and pytorch-fid read and
write, so their tools read our files) plus ``n`` and a JSON ``metadata`` string. TTUR,
pytorch-fid and clean-fid files (``mu`` and ``sigma`` only) are read too.
"""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from .config import DEFAULTS
from .errors import InputError, display_name
from .io import load_npz, save_npz


class GaussianStats:
    """Mean and covariance of a stream of d-dimensional vectors, mergeable across shards."""

    def __init__(self, dim: int, metadata: dict | None = None, device: str | torch.device = "cpu"):
        self.dim = dim
        self.n = 0
        self.metadata = dict(metadata or {})
        self._sum = torch.zeros(dim, dtype=torch.float64, device=device)
        self._outer = torch.zeros(dim, dim, dtype=torch.float64, device=device)
        self._moments: tuple[np.ndarray, np.ndarray] | None = None  # files that carry no n
        self.path: str | None = None  # the file it was loaded from, if any

    @property
    def label(self) -> str:
        """How messages name these statistics: their file, else the images they came from."""
        return self.path or self.metadata.get("source", "statistics")

    # -- accumulation -------------------------------------------------------------------
    def update(self, features) -> "GaussianStats":
        """Add a batch of vectors (N x d, numpy or torch, any float dtype)."""
        x = torch.as_tensor(features)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise InputError(f"expected features of shape N x {self.dim}, got {tuple(x.shape)}")
        x = x.to(device=self._sum.device, dtype=torch.float64)
        if not torch.isfinite(x).all():
            raise InputError("features contain NaN or infinite values")
        self._sum += x.sum(0)
        self._outer += x.T @ x
        self.n += x.shape[0]
        return self

    def merge(self, other: "GaussianStats") -> "GaussianStats":
        """Statistics of the union of two disjoint sets (exact: the sums add)."""
        if other.dim != self.dim:
            raise InputError(f"cannot merge statistics of dimension {self.dim} and {other.dim}")
        if self._moments is not None or other._moments is not None:
            raise InputError("cannot merge statistics whose sample count n is unknown")
        merged = GaussianStats(self.dim, self.metadata, device="cpu")
        merged.n = self.n + other.n
        merged._sum = self._sum.cpu() + other._sum.cpu()
        merged._outer = self._outer.cpu() + other._outer.cpu()
        return merged

    def sums(self) -> tuple[int, torch.Tensor, torch.Tensor]:
        """(n, s, S): what ``torch.distributed.all_reduce`` needs to combine ranks."""
        return self.n, self._sum, self._outer

    # -- moments ------------------------------------------------------------------------
    @property
    def mu(self) -> np.ndarray:
        if self._moments is not None:
            return self._moments[0]
        self._require(1)
        return (self._sum / self.n).cpu().numpy()

    @property
    def sigma(self) -> np.ndarray:
        if self._moments is not None:
            return self._moments[1]
        self._require(2)
        mu = self._sum / self.n
        cov = (self._outer - self.n * torch.outer(mu, mu)) / (self.n - 1)
        return cov.cpu().numpy()

    def _require(self, k: int) -> None:
        if self.n < k:
            raise InputError(f"{self.label}: {self.n} sample(s); a covariance needs at least 2")

    @classmethod
    def from_moments(cls, mu, sigma, n: int | None = None, metadata: dict | None = None,
                     name: str = "statistics") -> "GaussianStats":
        """Statistics from a mean and covariance; with ``n`` they become mergeable again."""
        mu = np.asarray(mu, dtype=np.float64)
        sigma = np.asarray(sigma, dtype=np.float64)
        if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
            raise InputError(f"{display_name(name)}: mu must be a vector and sigma a square matrix of the same size, "
                             f"got {mu.shape} and {sigma.shape}")
        if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
            raise InputError(f"{display_name(name)}: mu or sigma contains NaN or infinite values")
        for key, arr in (("mu", mu), ("sigma", sigma)):
            big = float(np.abs(arr).max()) if arr.size else 0.0
            if big > MAX_MAGNITUDE:
                raise InputError(f"{display_name(name)}: {key} has values up to {big:.3g}, beyond {MAX_MAGNITUDE:.0e}: "
                                 "the FID of such statistics overflows float64; these are not feature statistics")
        check_covariance(sigma, name)
        stats = cls(mu.shape[0], metadata)
        if n is None or n < 2:
            stats._moments = (mu, sigma)
            return stats
        stats.n = int(n)
        stats._sum = torch.from_numpy(n * mu)
        stats._outer = torch.from_numpy((n - 1) * sigma + n * np.outer(mu, mu))
        return stats

    # -- files --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        save_npz(path, mu=self.mu, sigma=self.sigma, n=np.int64(self.n),
                 metadata=np.array(json.dumps(self.metadata, sort_keys=True)))

    @classmethod
    def load(cls, path: str | os.PathLike, identify=None) -> "GaussianStats":
        """Read a statistics ``.npz`` (ours, TTUR's, pytorch-fid's, clean-fid's). ``identify``:
        an optional ``path -> metadata`` lookup for a file without metadata (``refs.load_stats``
        passes the reference manifest's, by sha256). Raises ``InputError`` naming the file."""
        data = load_npz(path)
        if "mu" not in data or "sigma" not in data:
            raise InputError(f"{display_name(path)}: not a statistics file (no 'mu' and 'sigma' arrays; found {sorted(data)})")
        for key in ("mu", "sigma"):
            if data[key].dtype.kind not in "iuf":
                raise InputError(f"{display_name(path)}: '{key}' must be numeric, found dtype {data[key].dtype}")
        metadata = {}
        if "metadata" in data:
            try:
                metadata = json.loads(str(data["metadata"]))
            except ValueError:
                raise InputError(f"{display_name(path)}: unreadable metadata") from None
            if not isinstance(metadata, dict):
                raise InputError(f"{display_name(path)}: metadata must be a JSON object")
        n = None
        if "n" in data:
            if data["n"].size != 1 or data["n"].dtype.kind not in "iu" or int(data["n"]) < 0:
                raise InputError(f"{display_name(path)}: 'n' must be a non-negative integer, found {data['n']!r}")
            n = int(data["n"])
        if not metadata and identify is not None:  # e.g. refs.known_metadata: a known file by sha256
            metadata = identify(path)
        stats = cls.from_moments(data["mu"], data["sigma"], n, metadata, name=str(path))
        stats.path = str(path)
        check_from_declared_network(stats)
        return stats


#: larger |mu| or |sigma| entries make FID's squares and matrix products overflow float64
#: (1e100^2 * 2048 is still finite; 1e200^2 is not); real feature statistics are below 1e4
MAX_MAGNITUDE = 1e100

#: networks whose features are non-negative (pool3 averages post-ReLU activations)
NON_NEGATIVE_FEATURES = {"inception-v3-fid": 2048}


def check_from_declared_network(stats: "GaussianStats", tol: float = 1e-6) -> None:
    """Refuse statistics that cannot come from the network they declare (or, without metadata,
    the default one): the FID Inception's pool3 averages post-ReLU activations, so every mean
    is >= 0. A negative mean means another network or layer (e.g. pre-activation features),
    whose FID against pool3 statistics would be large and meaningless."""
    extractor = stats.metadata.get("extractor") or DEFAULTS.features
    if NON_NEGATIVE_FEATURES.get(extractor) != stats.dim:
        return
    mu = stats.mu
    j = int(np.argmin(mu))
    if mu[j] < -tol * max(float(np.abs(mu).max()), 1.0):
        said = "declares" if stats.metadata.get("extractor") else "is assumed to come from (no metadata)"
        raise InputError(f"{display_name(stats.label)}: mean of feature {j} is {mu[j]:.4g} < 0, but the file {said} "
                         f"{extractor} pool3, whose features are post-ReLU averages (>= 0); it was made with another "
                         "network or layer")


PROTOCOL_KEYS = ("extractor", "resize")


def assume_protocol(a: "GaussianStats", b: "GaussianStats") -> None:
    """Statistics without metadata (pytorch-fid's or TTUR's ``mu``/``sigma`` files) are never
    silently taken to match: say in one line which protocol is assumed and how to choose
    another, and record it in their metadata (``protocol_assumed``, carried into the Result)."""
    for x, other in ((a, b), (b, a)):
        if any(x.metadata.get(k) is not None for k in PROTOCOL_KEYS) or "protocol_assumed" in x.metadata:
            continue
        if all(other.metadata.get(k) is None for k in PROTOCOL_KEYS):
            assumed = "the same network and resize as " + display_name(other.label)
            x.metadata["protocol_assumed"] = "same as the other input (neither says)"
        else:
            extractor, resize = other.metadata.get("extractor"), other.metadata.get("resize")
            assumed = f"{extractor} with resize={resize}, like {display_name(other.label)}"
            x.metadata["protocol_assumed"] = f"extractor={extractor}, resize={resize}"
            x.metadata.setdefault("extractor", extractor)
            x.metadata.setdefault("resize", resize)
        warnings.warn(f"{display_name(x.label)}: statistics without metadata; assuming {assumed}. If the file was "
                      "made with pytorch-fid pass --resize pytorch-fid, with TTUR --resize tf1, with clean-fid's clean mode "
                      "--resize clean; or recompute it with 'ganmetrics stats'")


def check_covariance(sigma: np.ndarray, name: str, tol: float = 1e-6) -> None:
    """Refuse a matrix that is not a covariance: asymmetric, or with clearly negative eigenvalues
    (rounding noise of a rank-deficient covariance, down to -tol * largest, is accepted)."""
    scale = float(np.abs(sigma).max()) or 1.0
    asym = float(np.abs(sigma - sigma.T).max())
    if asym > tol * scale:
        raise InputError(f"{display_name(name)}: sigma is not symmetric (largest |sigma - sigma^T| = {asym:.3g})")
    eig = np.linalg.eigvalsh(sigma)
    if eig[0] < -tol * max(eig[-1], 0.0) - 1e-300:
        raise InputError(f"{display_name(name)}: sigma is not positive semi-definite (smallest eigenvalue {eig[0]:.3g}, "
                         f"largest {eig[-1]:.3g})")


def is_stats_file(path: str | os.PathLike) -> bool:
    """True for an ``.npz`` that holds ``mu`` and ``sigma`` (reads only the zip directory)."""
    path = Path(path)
    if path.suffix.lower() != ".npz" or not path.is_file():
        return False
    try:
        with np.load(path, allow_pickle=False) as data:
            return "mu" in data.files and "sigma" in data.files
    except Exception:
        return False
