"""Kernel Inception Distance (Bińkowski, Sutherland, Arbel, Gretton, "Demystifying MMD GANs",
ICLR 2018).

KID is the unbiased estimate of the squared MMD with the cubic polynomial kernel

    k(x, y) = (xᵀy / d + 1)³,

    MMD²_u = 1/(m(m-1)) Σ_{i≠j} k(x_i, x_j) + 1/(m(m-1)) Σ_{i≠j} k(y_i, y_j) - 2/m² Σ_{i,j} k(x_i, y_j),

averaged over ``subsets`` random subsets of size ``subset_size`` drawn without replacement
from each set; the spread is the population std over subsets. Subsets are drawn exactly as
torch-fidelity draws them (``numpy.random.RandomState(seed).choice`` for A then B, per
subset), so with the same seed the two tools use the same subsets.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import InputError
from ._checks import as_feature_pair

DEFAULT_SEED = 2020  # torch-fidelity's default: same seed, same subsets, same KID


def mmd2_unbiased(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None,
                  coef0: float = 1.0, ids_x: np.ndarray | None = None, ids_y: np.ndarray | None = None) -> float:
    """Unbiased MMD² between two equal-size samples with the polynomial kernel.

    ``ids_x`` / ``ids_y`` name the original sample behind each row, for bootstrap samples that
    hold duplicates: pairs of rows from the same original sample are left out of the within-set
    sums (as the diagonal is), which keeps the estimator unbiased.
    """
    m = x.shape[0]
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    kxy = (x @ y.T * gamma + coef0) ** degree
    within = 0.0
    for z, ids in ((x, ids_x), (y, ids_y)):
        kzz = (z @ z.T * gamma + coef0) ** degree
        if ids is None:
            within += (kzz.sum() - np.trace(kzz)) / (m * (m - 1))
        else:
            same = ids[:, None] == ids[None, :]  # includes the diagonal
            within += (kzz.sum() - kzz[same].sum()) / (m * m - same.sum())
    return float(within - 2 * kxy.sum() / (m * m))


def kid(feats_a, feats_b, subsets: int = 100, subset_size: int = 1000, degree: int = 3,
        gamma: float | None = None, coef0: float = 1.0, seed: int = DEFAULT_SEED,
        ids_a: np.ndarray | None = None, ids_b: np.ndarray | None = None) -> tuple[float, float | None]:
    """KID mean and std over subsets. ``subset_size`` is capped at the smaller sample (with a warning).

    The std is None when a subset is a whole sample (a sample has at most ``subset_size`` rows):
    the subsets then only reshuffle rows (or redraw the other sample alone), so their spread
    says nothing about the sampling variability (it is exactly 0 when both are covered).
    ``ids_a`` / ``ids_b``: see ``mmd2_unbiased`` (used by the bootstrap).
    """
    a, b = as_feature_pair(feats_a, feats_b, min_samples=2)
    if subsets < 1:
        raise InputError(f"KID needs at least 1 subset, got {subsets}")
    m = min(subset_size, len(a), len(b))
    if m < subset_size:
        warnings.warn(f"KID: subset size {subset_size} capped at {m}, the size of the smaller sample")
    rng = np.random.RandomState(seed)
    values = np.empty(subsets)
    for i in range(subsets):
        ia = rng.choice(len(a), m, replace=False)
        ib = rng.choice(len(b), m, replace=False)
        values[i] = mmd2_unbiased(a[ia], b[ib], degree, gamma, coef0,
                                  None if ids_a is None else ids_a[ia], None if ids_b is None else ids_b[ib])
    covered = m >= len(a) or m >= len(b)
    return float(values.mean()), None if covered else float(values.std())
