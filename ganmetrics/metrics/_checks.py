"""Validation shared by the metrics that take two feature matrices."""
from __future__ import annotations

import numpy as np

from ..errors import InputError, display_name


def as_features(x, name: str, min_samples: int = 1) -> np.ndarray:
    try:
        import torch  # here: the metric functions take numpy arrays and need torch only for tensors
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2:
        raise InputError(f"{name}: expected an N x d feature matrix, got shape {a.shape}")
    if len(a) < min_samples:
        raise InputError(f"{name}: {len(a)} samples, need at least {min_samples}")
    if not np.isfinite(a).all():
        raise InputError(f"{name}: features contain NaN or infinite values")
    return a


def as_feature_pair(a, b, min_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
    a, b = as_features(a, "a", min_samples), as_features(b, "b", min_samples)
    if a.shape[1] != b.shape[1]:
        raise InputError(f"feature dimensions differ: {a.shape[1]} (a) and {b.shape[1]} (b)")
    return a, b


def duplicate_fraction(x, rel_tol: float = 1e-6) -> float:
    """Share of the rows of ``x`` (N x d) that repeat an earlier row, up to ``rel_tol`` of the
    features' scale (identical images give features equal to float rounding).

    Rows are compared through a fixed random projection scaled to O(1) and rounded to
    ``rel_tol``: O(N d), no N x N distances. Distinct images differ by far more than 1e-6."""
    a = np.asarray(x, dtype=np.float64)
    if len(a) < 2:
        return 0.0
    scale = float(np.abs(a).max()) or 1.0
    key = a @ np.random.RandomState(0).standard_normal(a.shape[1]) / (scale * np.sqrt(a.shape[1]))
    return 1.0 - len(np.unique(np.round(key / rel_tol))) / len(a)


#: warn when at least this share of a set repeats other samples
DUPLICATE_WARNING_SHARE = 0.5


def warn_if_duplicate_dominated(name: str, x) -> float:
    """One-line warning when most samples of a set are copies of others: the k-NN metrics then
    measure distances of rounding size (6 identical images against themselves gave density
    0.40), and every metric describes far fewer distinct samples than N. Returns the share."""
    import warnings
    share = duplicate_fraction(x)
    if share >= DUPLICATE_WARNING_SHARE:
        n = len(x)
        warnings.warn(f"{display_name(name)}: {round(share * n)} of {n} samples duplicate others (identical "
                      "features); precision, recall, density and coverage measure rounding noise on such a set, "
                      "and FID/IS/KID describe only the distinct ones")
    return share
