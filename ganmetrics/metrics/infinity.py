"""FID_inf and IS_inf: FID and IS extrapolated to an infinite sample (Chong & Forsyth,
"Effectively Unbiased FID and Inception Score and where to find them", CVPR 2020, §3).

FID and IS are biased in the sample size N, and to first order the bias is linear in 1/N
(FID_N ≈ FID_inf + k / N). The recipe, as the authors' code does it (``calculate_FID_infinity``
and ``calculate_IS_infinity`` in github.com/mchong6/FID_IS_infinity, ``score_infinity.py``):

1. 15 subset sizes evenly spaced in N: ``np.linspace(5000, 50000, 15).astype(int32)`` for the
   default 50,000 images. Here the sizes scale with N: ``linspace(N // 10, N, points)``,
   which is the reference's at N = 50,000;
2. for each size, shuffle the evaluated set in place (``np.random.shuffle``: the shuffles
   compound) and take the first ``size`` rows;
3. FID of those rows against the *whole* reference set's statistics, or IS of those rows with
   one split;
4. ordinary least squares of the values on 1/size; the intercept is FID_inf (IS_inf).

With the same seed (``np.random.seed(seed)`` before the reference's loop) the values equal the
reference's to rounding (``tests/metrics/test_infinity.py``). These are estimates of the
N -> infinity value, a different quantity from ``evaluate``'s FID, whose interval is for
E[FID at N] (``bootstrap`` module docstring).

Pure functions on arrays; no I/O.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .frechet import frechet_distance_to_features
from .inception_score import inception_score

#: the reference's number of subset sizes
POINTS = 15


def extrapolation_sizes(n: int, points: int = POINTS) -> np.ndarray:
    """The subset sizes, ``linspace(n // 10, n, points)`` truncated to integers (int64, ascending).

    At n = 50,000 and 15 points: the reference's 5,000, 8,214, ..., 50,000. Errors: InputError
    when they give fewer than 2 distinct sizes of at least 2 rows (n below 20 at the default)."""
    if points < 2:
        raise InputError(f"extrapolation needs at least 2 subset sizes, got points={points}")
    sizes = np.linspace(n // 10, n, points).astype(np.int64)
    if sizes[0] < 2 or len(np.unique(sizes)) < 2:
        raise InputError(f"extrapolating to N -> infinity needs at least 20 samples (subset sizes N/10 .. N), got {n}")
    return sizes


def extrapolate(statistic, n: int, points: int = POINTS, seed: int = 0) -> tuple[float, float, np.ndarray, np.ndarray]:
    """``(value_inf, slope, sizes, values)``: ``statistic(rows)`` on the first ``size`` rows of a
    compounding in-place shuffle (``np.random.RandomState(seed)``, as ``np.random.seed(seed)``
    then ``np.random.shuffle`` in the reference), one size after another, then the least-squares
    line in 1/size. ``statistic`` takes an index array into the n rows and returns a float."""
    sizes = extrapolation_sizes(n, points)
    rng = np.random.RandomState(seed)
    order = np.arange(n)
    values = np.empty(len(sizes))
    for i, size in enumerate(sizes):
        rng.shuffle(order)
        values[i] = statistic(order[:size])
    slope, intercept = np.polyfit(1.0 / sizes, values, 1)
    return float(intercept), float(slope), sizes, values


def fid_infinity(mu: np.ndarray, sigma: np.ndarray, features: np.ndarray, points: int = POINTS,
                 seed: int = 0, device=None) -> tuple[float, float]:
    """``(FID_inf, slope)`` of ``features`` (N x d, the evaluated set) against the reference's
    Gaussian statistics ``mu`` (d) and ``sigma`` (d x d), computed once from the whole reference
    set as the reference code's ``gt_path`` statistics are. Slope in FID units x samples (FID_N ≈
    FID_inf + slope / N). ``device``: a torch device for each subset's covariance and Fréchet
    step (float64; None: the CPU). Errors: InputError for mismatched shapes or fewer than 20 samples."""
    x = np.asarray(features, np.float64)
    if x.ndim != 2:
        raise InputError(f"features must be N x d, got shape {x.shape}")
    return extrapolate(lambda rows: frechet_distance_to_features(mu, sigma, x[rows], device), len(x), points,
                       seed)[:2]


def is_infinity(logits: np.ndarray, points: int = POINTS, seed: int = 0) -> tuple[float, float]:
    """``(IS_inf, slope)`` of ``logits`` (N x C; probabilities are accepted as ``inception_score``
    accepts them): IS with one split on each subset, extrapolated. Errors as ``extrapolation_sizes``."""
    x = np.asarray(logits)
    if x.ndim != 2:
        raise InputError(f"logits must be N x C, got shape {x.shape}")
    return extrapolate(lambda rows: inception_score(x[rows], 1)[0], len(x), points, seed)[:2]


__all__ = ["POINTS", "extrapolation_sizes", "extrapolate", "fid_infinity", "is_infinity"]
