"""Percentile bootstrap intervals (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993).

Each replicate draws, for every input sample, as many indices with replacement as it has rows,
and recomputes the statistic on them; the interval is the (1-level)/2 and (1+level)/2
quantiles of the replicates. The statistic receives index arrays (not copies), so that metrics
can treat repeated rows correctly (KID leaves pairs of copies out of its U-statistic).

Cost: ``n_boot`` times the statistic.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..errors import InputError


def bootstrap_interval(statistic: Callable[..., float], sizes: Sequence[int], n_boot: int = 100,
                       level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile interval of ``statistic(*index_arrays)`` over ``n_boot`` resamples."""
    if not 0 < level < 1:
        raise InputError(f"confidence level must be in (0, 1), got {level}")
    if n_boot < 2:
        raise InputError(f"the bootstrap needs at least 2 resamples, got {n_boot}")
    rng = np.random.default_rng(seed)
    values = np.array([statistic(*(rng.integers(0, n, n) for n in sizes)) for _ in range(n_boot)])
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)
