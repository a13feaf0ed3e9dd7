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
(``d < r``). The two only differ on exact ties (tested in tests/metrics/test_prdc.py).

Distances are Euclidean, computed in float64 in row chunks so memory stays bounded
(``chunk_bytes`` per distance block, on the GPU when ``device`` is one), then rounded to
float32 for the comparisons, as the ``prdc`` package's distances of float32 features are
(scikit-learn computes them in float64 and returns float32). The rounding makes ties that are
exact in real arithmetic exact in ours: a fake sample that copies a real one sits on the
boundary of every ball whose radius it defines, and is then decided by the rule above (``<=`` or
``<``) instead of by the float64 rounding noise of two different matrix products; distances
below 1e-6 of the vectors' norm (below the rounding error of the expansion, for copies) are 0.
The interval replicates (``prdc_resampler``) compare the same float32 values, so they equal
the metric recomputed on each resample.
"""
from __future__ import annotations

import weakref
from typing import Callable

import numpy as np
import torch

from ..errors import InputError
from ._checks import as_feature_pair

CHUNK_BYTES = 1 << 28  # 256 MiB of float64 distances per block


#: squared distances below this share of ||x||² + ||y||² are 0: the expansion's float64 rounding
#: error is below it up to d of several thousand, so copies get exactly 0
ZERO_TOL = 1e-12


def _distances(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Euclidean distances, ||x||² + ||y||² - 2 x·y in float64 (as scikit-learn computes them),
    rounding-level values set to 0, returned in float32 (module docstring)."""
    norms = (x * x).sum(1, keepdim=True) + (y * y).sum(1)[None, :]
    d2 = norms - 2 * (x @ y.T)
    d2[d2 <= ZERO_TOL * norms] = 0.0
    return d2.sqrt_().to(torch.float32)


def _row_chunks(n_rows: int, n_cols: int, chunk_bytes: int):
    step = max(1, chunk_bytes // (8 * max(n_cols, 1)))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def knn_radii(x: torch.Tensor, k: int, chunk_bytes: int = CHUNK_BYTES) -> torch.Tensor:
    """Distance from each point to its k-th nearest neighbour in the same set (itself excluded)."""
    radii = torch.empty(len(x), dtype=torch.float32, device=x.device)
    for rows in _row_chunks(len(x), len(x), chunk_bytes):
        radii[rows] = _kth_neighbour(_distances(x[rows], x), k)
    return radii


def _kth_neighbour(d_self: torch.Tensor, k: int) -> torch.Tensor:
    """Per row of distances to the row's own set (itself included, at 0): the (k+1)-th smallest."""
    return torch.topk(d_self, k + 1, dim=1, largest=False).values[:, -1]


def _prepare(real, fake, k: int, device):
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    a, b = as_feature_pair(real, fake)
    for name, arr in (("real", a), ("fake", b)):
        if len(arr) < k + 1:
            raise InputError(f"{name}: {len(arr)} samples; k={k} nearest neighbours need at least {k + 1}")
    dev = torch.device(device if device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    return torch.from_numpy(a).to(dev), torch.from_numpy(b).to(dev)


def _empty_indicators(n_real: int, n_fake: int, device) -> dict[str, torch.Tensor]:
    flags = lambda n: torch.zeros(n, dtype=torch.bool, device=device)  # noqa: E731
    return {"precision": flags(n_fake), "density": torch.zeros(n_fake, dtype=torch.float64, device=device),
            "recall": flags(n_real), "coverage": flags(n_real)}


def _add_fake_rows(out: dict, rows, d: torch.Tensor, r_real_pr, r_fake_pr, r_real_dc, k_dc: int) -> None:
    """Fill the indicators from the distances ``d`` of the fake rows ``rows`` to every real point
    (boundaries: ``<=`` for precision/recall as kynkaat's code, ``<`` for density/coverage as prdc's)."""
    in_real_dc = d < r_real_dc[None, :]
    out["precision"][rows] = (d <= r_real_pr[None, :]).any(1)
    out["density"][rows] = in_real_dc.sum(1).double() / k_dc
    out["recall"] |= (d <= r_fake_pr[rows, None]).any(0)
    out["coverage"] |= in_real_dc.any(0)


def _as_numpy(out: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    return {m: out[m].double().cpu().numpy() for m in ("precision", "recall", "density", "coverage")}


def prdc_indicators(real, fake, k_pr: int = 3, k_dc: int = 5, device: str = "cpu",
                    chunk_bytes: int = CHUNK_BYTES) -> dict[str, np.ndarray]:
    """Per-sample terms whose means are the four metrics (what the bootstrap resamples):

    precision: per fake, 1 if inside the real k_pr-manifold; recall: per real, 1 if inside the
    fake k_pr-manifold; density: per fake, the number of real k_dc-balls holding it divided by
    k_dc; coverage: per real, 1 if its k_dc-ball holds a fake. Each of the three distance
    matrices (real-real, fake-fake, fake-real) is computed once, in blocks of ``chunk_bytes``.
    """
    x, y = _prepare(real, fake, max(k_pr, k_dc), device)
    r_real_pr, r_fake_pr = knn_radii(x, k_pr, chunk_bytes), knn_radii(y, k_pr, chunk_bytes)
    r_real_dc = r_real_pr if k_dc == k_pr else knn_radii(x, k_dc, chunk_bytes)
    out = _empty_indicators(len(x), len(y), x.device)
    for rows in _row_chunks(len(y), len(x), chunk_bytes):
        _add_fake_rows(out, rows, _distances(y[rows], x), r_real_pr, r_fake_pr, r_real_dc, k_dc)
    return _as_numpy(out)


#: memory for the distance matrices that live resamplers keep together (float32; beyond it each
#: resample recomputes): ``compare`` holds one resampler per input at once
RESAMPLE_BYTES = 2 << 30
_held = [0]   # bytes kept by live resamplers (released when a resampler is garbage-collected)


def _release(nbytes: int) -> None:
    _held[0] -= nbytes


def _index(idx, n: int, name: str) -> np.ndarray:
    """A 1-d integer index array into n rows (negative indices count from the end; a boolean
    mask of length n is taken as its true positions)."""
    idx = np.asarray(idx)
    if idx.dtype == bool and idx.shape == (n,):
        idx = np.flatnonzero(idx)
    if idx.ndim != 1 or not (np.issubdtype(idx.dtype, np.integer) or idx.size == 0):
        raise InputError(f"{name}: resample indices must be a 1-d integer array, got shape {idx.shape} of {idx.dtype}")
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise InputError(f"{name}: resample indices must lie in [-{n}, {n}), got {idx.min()} .. {idx.max()}")
    return idx.astype(np.int64)


def prdc_resampler(real, fake, k_pr: int = 3, k_dc: int = 5, device: str = "cpu",
                   max_bytes: int = RESAMPLE_BYTES) -> Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """``f(ia, ib)`` = ``prdc_indicators(real[ia], fake[ib], k_pr, k_dc)`` for many index arrays
    without duplicates (the half-samples of the intervals), the k-NN manifolds recomputed on each.

    The three distance matrices of the whole samples are computed once and sliced (float32, the
    values ``prdc_indicators`` compares) when they fit in ``max_bytes`` beside the matrices other
    live resamplers keep (N x N + M x M + M x N x 4 bytes: 2 GiB holds N = M = 13,000). Larger
    samples recompute every resample, as ``prdc_indicators`` does. ``ia``, ``ib``: 1-d integer
    index arrays; rows repeated within one are not supported (their zero distance would be the
    1st neighbour; ``replicates`` never draws them for half-sampling). Errors: InputError for
    other indices, or a resample smaller than max(k_pr, k_dc) + 1.
    """
    x, y = _prepare(real, fake, max(k_pr, k_dc), device)
    n, m = len(x), len(y)
    nbytes = 4 * (n * n + m * m + m * n)
    if _held[0] + nbytes > max_bytes:
        real, fake = np.asarray(real), np.asarray(fake)
        return lambda ia, ib: prdc_indicators(real[_index(ia, n, "real")], fake[_index(ib, m, "fake")], k_pr, k_dc,
                                              device)

    def matrix(a, b):
        out = torch.empty(len(a), len(b), dtype=torch.float32, device=a.device)
        for rows in _row_chunks(len(a), len(b), CHUNK_BYTES):
            out[rows] = _distances(a[rows], b)
        return out
    d_rr, d_ff, d_fr = matrix(x, x), matrix(y, y), matrix(y, x)

    def indicators(ia, ib) -> dict[str, np.ndarray]:
        ia, ib = _index(ia, n, "real"), _index(ib, m, "fake")
        ia, ib = torch.as_tensor(ia, device=x.device), torch.as_tensor(ib, device=x.device)
        if min(len(ia), len(ib)) < max(k_pr, k_dc) + 1:
            raise InputError(f"a resample of {min(len(ia), len(ib))} rows is too small for k_pr = {k_pr}, "
                             f"k_dc = {k_dc} (the four metrics share one k-NN pass: at least "
                             f"{max(k_pr, k_dc) + 1} rows; a smaller --k-dc helps precision/recall)")
        rows, cols = ia[:, None], ib[:, None]     # one gather per block (two steps copy twice as much)
        nearest_real = torch.topk(d_rr[rows, ia], max(k_pr, k_dc) + 1, dim=1, largest=False).values
        r_real_pr, r_real_dc = nearest_real[:, k_pr], nearest_real[:, k_dc]
        r_fake_pr = _kth_neighbour(d_ff[cols, ib], k_pr)
        out = _empty_indicators(len(ia), len(ib), x.device)
        _add_fake_rows(out, slice(None), d_fr[cols, ia], r_real_pr, r_fake_pr, r_real_dc, k_dc)
        return _as_numpy(out)
    _held[0] += nbytes
    weakref.finalize(indicators, _release, nbytes)
    return indicators


def precision_recall(real, fake, k: int = 3, device: str = "cpu") -> tuple[float, float]:
    """Improved precision and recall of ``fake`` against ``real`` (N x d and M x d features)."""
    t = prdc_indicators(real, fake, k, k, device)
    return float(t["precision"].mean()), float(t["recall"].mean())


def density_coverage(real, fake, k: int = 5, device: str = "cpu") -> tuple[float, float]:
    """Density and coverage of ``fake`` against ``real`` (N x d and M x d features)."""
    t = prdc_indicators(real, fake, k, k, device)
    return float(t["density"].mean()), float(t["coverage"].mean())


__all__ = ["precision_recall", "density_coverage", "prdc_indicators", "prdc_resampler", "knn_radii"]
