"""k-NN manifold metrics on feature vectors.

Improved precision and recall (Kynkäänniemi, Karras, Laine, Lehtinen, Aila, NeurIPS 2019):
each set's manifold is the union of balls around its points with radius the distance to the
point's k-th nearest neighbour (k = 3);

    precision = share of fake points inside the real manifold,
    recall    = share of real points inside the fake manifold.

Density and coverage (Naeem, Oh, Uh, Choi, Yoo, ICML 2020), on the real balls only (k = 5):

    density  = 1/(k M) Σ_j Σ_i 1[y_j ∈ B(x_i, r_i)],
    coverage = 1/N Σ_i 1[∃ j: y_j ∈ B(x_i, r_i)].

Ball membership follows each metric's reference code: the original precision/recall code
(kynkaat/improved-precision-and-recall-metric) counts the boundary in (``d <= r``); the
density/coverage code (clovaai/generative-evaluation-prdc, the ``prdc`` package) does not
(``d < r``). The two only differ on exact ties (tested in tests/test_prdc.py).

Distances are Euclidean, in float64, computed in row chunks so memory stays bounded
(``chunk_bytes`` per distance block, on the GPU when ``device`` is one).
"""
from __future__ import annotations

import numpy as np
import torch

from ..errors import InputError
from ._checks import as_feature_pair

CHUNK_BYTES = 1 << 28  # 256 MiB of float64 distances per block


def _distances(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Euclidean distances, ||x||² + ||y||² - 2 x·y (clamped at 0), as scikit-learn computes them."""
    d2 = (x * x).sum(1, keepdim=True) + (y * y).sum(1)[None, :] - 2 * (x @ y.T)
    return d2.clamp_min_(0).sqrt_()


def _row_chunks(n_rows: int, n_cols: int, chunk_bytes: int):
    step = max(1, chunk_bytes // (8 * max(n_cols, 1)))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def knn_radii(x: torch.Tensor, k: int, chunk_bytes: int = CHUNK_BYTES) -> torch.Tensor:
    """Distance from each point to its k-th nearest neighbour in the same set (itself excluded)."""
    radii = torch.empty(len(x), dtype=x.dtype, device=x.device)
    for rows in _row_chunks(len(x), len(x), chunk_bytes):
        # the (k+1)-th smallest distance, the point itself being the first
        radii[rows] = torch.topk(_distances(x[rows], x), k + 1, dim=1, largest=False).values[:, -1]
    return radii


def _prepare(real, fake, k: int, device):
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    a, b = as_feature_pair(real, fake)
    for name, arr in (("real", a), ("fake", b)):
        if len(arr) < k + 1:
            raise InputError(f"{name}: {len(arr)} samples; k={k} nearest neighbours need at least {k + 1}")
    dev = torch.device(device if device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    return torch.from_numpy(a).to(dev), torch.from_numpy(b).to(dev)


def prdc_indicators(real, fake, k_pr: int = 3, k_dc: int = 5, device: str = "cpu",
                    chunk_bytes: int = CHUNK_BYTES) -> dict[str, np.ndarray]:
    """Per-sample terms whose means are the four metrics (what the bootstrap resamples):

    precision: per fake, 1 if inside the real k_pr-manifold; recall: per real, 1 if inside the
    fake k_pr-manifold; density: per fake, the number of real k_dc-balls holding it divided by
    k_dc; coverage: per real, 1 if its k_dc-ball holds a fake.
    """
    x, y = _prepare(real, fake, max(k_pr, k_dc), device)
    r_real_pr, r_fake_pr = knn_radii(x, k_pr, chunk_bytes), knn_radii(y, k_pr, chunk_bytes)
    r_real_dc = r_real_pr if k_dc == k_pr else knn_radii(x, k_dc, chunk_bytes)
    precision = torch.zeros(len(y), dtype=torch.bool, device=y.device)
    density = torch.zeros(len(y), dtype=torch.float64, device=y.device)
    for rows in _row_chunks(len(y), len(x), chunk_bytes):
        d = _distances(y[rows], x)                                   # fake rows x real columns
        precision[rows] = (d <= r_real_pr[None, :]).any(1)
        density[rows] = (d < r_real_dc[None, :]).sum(1).double() / k_dc
    recall = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    coverage = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    for rows in _row_chunks(len(x), len(y), chunk_bytes):
        d = _distances(x[rows], y)                                   # real rows x fake columns
        recall[rows] = (d <= r_fake_pr[None, :]).any(1)
        coverage[rows] = (d < r_real_dc[rows, None]).any(1)
    as_np = lambda t: t.double().cpu().numpy()  # noqa: E731
    return {"precision": as_np(precision), "recall": as_np(recall),
            "density": as_np(density), "coverage": as_np(coverage)}


def precision_recall(real, fake, k: int = 3, device: str = "cpu") -> tuple[float, float]:
    """Improved precision and recall of ``fake`` against ``real`` (N x d and M x d features)."""
    t = prdc_indicators(real, fake, k, k, device)
    return float(t["precision"].mean()), float(t["recall"].mean())


def density_coverage(real, fake, k: int = 5, device: str = "cpu") -> tuple[float, float]:
    """Density and coverage of ``fake`` against ``real`` (N x d and M x d features)."""
    t = prdc_indicators(real, fake, k, k, device)
    return float(t["density"].mean()), float(t["coverage"].mean())


__all__ = ["precision_recall", "density_coverage", "prdc_indicators", "knn_radii"]
