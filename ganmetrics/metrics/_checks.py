"""Validation shared by the metrics that take two feature matrices."""
from __future__ import annotations

import numpy as np

from ..errors import InputError


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
