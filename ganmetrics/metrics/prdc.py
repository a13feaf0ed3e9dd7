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
The interval replicates (``prdc_resampler``) compare the same float32 values, taken from the whole
samples' distances, so they equal the metric recomputed on each resample up to the float64 rounding
of the distance expansion, which depends on the shape of the matrix product: a distance within
that rounding of a ball's boundary can fall either way, in the metric itself too (reordering the
rows can move it). On continuous features this is a membership within about 1e-16 x ||x||² of a
boundary; data far from the origin with exact ties (e.g. a coarse grid offset by 3,000) meets it.
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
    d2 = torch.mm(x, y.T).mul_(-2).add_(norms)     # = norms - 2 x·y exactly, in place (1.6x faster)
    d2.masked_fill_(d2 <= norms.mul_(ZERO_TOL), 0.0)
    return d2.sqrt_().to(torch.float32)


def _row_chunks(n_rows: int, n_cols: int, chunk_bytes: int):
    step = max(1, chunk_bytes // (8 * max(n_cols, 1)))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def knn_radii(x: torch.Tensor, k: int, chunk_bytes: int = CHUNK_BYTES) -> torch.Tensor:
    """Distance from each point to its k-th nearest neighbour in the same set (itself excluded)."""
    return _radii(x, (k,), chunk_bytes)[0]


def _radii(x: torch.Tensor, ks, chunk_bytes: int = CHUNK_BYTES) -> list[torch.Tensor]:
    """``knn_radii`` for each k in ``ks`` from one distance pass."""
    radii = torch.empty(len(ks), len(x), dtype=torch.float32, device=x.device)
    for rows in _row_chunks(len(x), len(x), chunk_bytes):
        near = torch.topk(_distances(x[rows], x), max(ks) + 1, dim=1, largest=False).values
        radii[:, rows] = near[:, list(ks)].T
    return list(radii)


def _kth_neighbour(d_self: torch.Tensor, k: int) -> torch.Tensor:
    """Per row of distances to the row's own set (itself included, at 0): the (k+1)-th smallest."""
    return torch.topk(d_self, k + 1, dim=1, largest=False).values[:, -1]


def _whole(name: str, value, least: int = 1) -> int:
    """``value`` as an int of at least ``least`` (bools and floats refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < least:
        raise InputError(f"{name} must be an integer of at least {least}, got {value!r}")
    return int(value)


def _prepare(real, fake, ks: tuple[int, int], device):
    """Checked features as tensors on the device; ``ks`` = (k_pr, k_dc)."""
    k = max(_whole("k_pr", ks[0]), _whole("k_dc", ks[1]))
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
    x, y = _prepare(real, fake, (k_pr, k_dc), device)
    (r_real_pr, r_real_dc), r_fake_pr = _radii(x, (k_pr, k_dc), chunk_bytes), knn_radii(y, k_pr, chunk_bytes)
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


#: neighbours listed per point for the resamples (``prdc_resampler``): a half-sample keeps each
#: of them with probability about 1/2 (a quarter-sample 1/4), and a point's k-NN radius in the
#: resample is read off its list when max(k_pr, k_dc) + 1 of them (itself included) are kept:
#: with 48 and k = 5, all but about one point in 10^9 of a half-sample, 0.4% of a quarter-sample
#: (those rows are then recomputed from the features: exact, a little slower)
NEIGHBOURS = 48
STORAGES = ("auto", "neighbours", "matrices", "recompute")


def _self_lists(a: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's ``k`` smallest distances to its own set (itself included, at 0), ascending,
    and the points they are to: (n, k) float32 and int32 arrays."""
    vals = np.empty((len(a), k), np.float32)
    idx = np.empty((len(a), k), np.int32)
    for rows in _row_chunks(len(a), len(a), CHUNK_BYTES):
        top = torch.topk(_distances(a[rows], a), k, dim=1, largest=False, sorted=True)
        vals[rows], idx[rows] = top.values.cpu().numpy(), top.indices.cpu().numpy()
    return vals, idx


def _resample_radii(vals, idx, rows, member, ks):
    """k-NN radii of the points ``rows`` within the resample ``member`` (a boolean mask), read off
    their neighbour lists: the (k+1)-th smallest listed distance to a member, for each k in ``ks``.
    Exact when the list holds max(ks) + 1 members (every unlisted distance is at least the last
    listed one); the rows where it does not are returned too, to be recomputed."""
    rank = np.cumsum(member[idx[rows]], axis=1, dtype=np.int32)
    short = rank[:, -1] <= max(ks)
    return [vals[rows, np.argmax(rank >= k + 1, axis=1)] for k in ks], short


class _NeighbourLists:
    """The resampler's default storage: each point's NEIGHBOURS nearest in its own set, and every
    fake-real pair that a resample can count: within the real point's or the fake point's last
    listed distance (a resample's radius is at most that whenever it is read off the list)."""

    def __init__(self, x, y, k_pr, k_dc, neighbours, max_pairs):
        self.x, self.y, self.k_pr, self.k_dc = x, y, k_pr, k_dc
        n, m = len(x), len(y)
        self.real = _self_lists(x, min(neighbours, n))
        self.fake = _self_lists(y, min(neighbours, m))
        bound = lambda vals, size: (torch.from_numpy(vals[:, -1]) if vals.shape[1] < size  # noqa: E731
                                    else torch.full((size,), float("inf")))
        r_real, r_fake = bound(self.real[0], n).to(x.device), bound(self.fake[0], m).to(x.device)
        fake_of, real_of, dist, count = [], [], [], 0
        for rows in _row_chunks(m, n, CHUNK_BYTES):
            d = _distances(y[rows], x)
            j, i = torch.nonzero((d <= r_real[None, :]) | (d <= r_fake[rows, None]), as_tuple=True)
            count += len(j)
            if count > max_pairs:
                self.pairs = None
                return
            fake_of.append((j + rows.start).to(torch.int32).cpu().numpy())
            real_of.append(i.to(torch.int32).cpu().numpy())
            dist.append(d[j, i].cpu().numpy())
        self.pairs = tuple(np.concatenate(p) for p in (fake_of, real_of, dist))

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (*self.real, *self.fake, *self.pairs))

    def __call__(self, ia: np.ndarray, ib: np.ndarray) -> dict[str, np.ndarray]:
        n, m, k_pr, k_dc = len(self.x), len(self.y), self.k_pr, self.k_dc
        in_a, in_b = np.zeros(n, bool), np.zeros(m, bool)
        in_a[ia], in_b[ib] = True, True
        (r_pr, r_dc), short_a = _resample_radii(*self.real, ia, in_a, (k_pr, k_dc))
        (r_fk,), short_b = _resample_radii(*self.fake, ib, in_b, (k_pr,))
        real_pr, real_dc, fake_pr = (np.full(size, -np.inf, np.float32) for size in (n, n, m))
        real_pr[ia], real_dc[ia], fake_pr[ib] = r_pr, r_dc, r_fk
        redo_a, redo_b = ia[short_a], ib[short_b]     # radii beyond the list: rows recomputed
        rows = lambda a, idx: a[torch.as_tensor(idx, device=a.device)]  # noqa: E731
        if len(redo_a):
            near = torch.topk(_distances(rows(self.x, redo_a), rows(self.x, ia)), max(k_pr, k_dc) + 1, dim=1,
                              largest=False).values.cpu().numpy()
            real_pr[redo_a], real_dc[redo_a] = near[:, k_pr], near[:, k_dc]
        if len(redo_b):
            fake_pr[redo_b] = _kth_neighbour(_distances(rows(self.y, redo_b), rows(self.y, ib)), k_pr).cpu().numpy()
        j, i, d = self.pairs
        keep = in_a[i] & in_b[j]
        j, i, d = j[keep], i[keep], d[keep]
        exact_a, exact_b = np.zeros(n, bool), np.zeros(m, bool)
        exact_a[redo_a], exact_b[redo_b] = True, True
        listed_a, listed_b = ~exact_a[i], ~exact_b[j]
        in_pr, in_dc = (d <= real_pr[i]) & listed_a, (d < real_dc[i]) & listed_a
        precision, coverage, recall = np.zeros(m, bool), np.zeros(n, bool), np.zeros(n, bool)
        precision[j[in_pr]] = True
        density = np.bincount(j[in_dc], minlength=m).astype(np.float64)
        coverage[i[in_dc]] = True
        recall[i[(d <= fake_pr[j]) & listed_b]] = True
        if len(redo_a):   # these real balls against every fake of the resample
            d_col = _distances(rows(self.y, ib), rows(self.x, redo_a)).cpu().numpy()
            precision[ib] |= (d_col <= real_pr[redo_a]).any(1)
            density[ib] += (d_col < real_dc[redo_a]).sum(1)
            coverage[redo_a] = (d_col < real_dc[redo_a]).any(0)
        if len(redo_b):   # these fake balls against every real of the resample
            d_row = _distances(rows(self.y, redo_b), rows(self.x, ia)).cpu().numpy()
            recall[ia] |= (d_row <= fake_pr[redo_b][:, None]).any(0)
        return {"precision": precision[ib].astype(np.float64), "recall": recall[ia].astype(np.float64),
                "density": density[ib] / k_dc, "coverage": coverage[ia].astype(np.float64)}


def prdc_resampler(real, fake, k_pr: int = 3, k_dc: int = 5, device: str = "cpu",
                   max_bytes: int = RESAMPLE_BYTES, neighbours: int = NEIGHBOURS,
                   storage: str = "auto") -> Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """``f(ia, ib)`` = ``prdc_indicators(real[ia], fake[ib], k_pr, k_dc)`` (to the float64 rounding
    the module docstring describes) for many index arrays without duplicates (the half-samples of
    the intervals), the k-NN manifolds recomputed on each.

    The distances of the whole samples are computed once (float32, the values
    ``prdc_indicators`` compares) and kept, in the first of these that fits in ``max_bytes``
    beside what other live resamplers keep (``compare`` holds one per input):

    * ``"neighbours"``: each point's ``neighbours`` nearest distances in its own set, and the
      fake-real pairs within a listed radius: (N + M) x ``neighbours`` x 8 bytes plus 12 per pair,
      about 150 pairs per point on Gaussian features; kept when the pairs are at most a quarter
      of N x M. A resample reads its radii off the lists and counts the pairs: milliseconds.
    * ``"matrices"``: the three distance matrices, sliced (N x N + M x M + M x N x 4 bytes: 2 GiB
      holds N = M = 13,000), for samples where most pairs matter (e.g. every real point inside
      every fake ball).
    * ``"recompute"``: nothing kept; each resample computes its distances, as ``prdc_indicators``.

    ``storage`` forces one of them regardless of the budget (benchmarks, tests); the returned
    function's ``storage`` names the one taken and ``nbytes`` what it keeps. ``ia``, ``ib``: 1-d integer index
    arrays (or boolean masks) without repeated rows (their zero distance would be the 1st
    neighbour; ``replicates`` never draws them for half-sampling). Errors: InputError for k_pr,
    k_dc or neighbours not an integer of at least 1, for other indices, or for a resample smaller
    than max(k_pr, k_dc) + 1.
    """
    x, y = _prepare(real, fake, (k_pr, k_dc), device)
    neighbours = _whole("neighbours", neighbours)
    n, m = len(x), len(y)
    k_max = max(k_pr, k_dc)

    def checked(ia, ib):
        ia, ib = _index(ia, n, "real"), _index(ib, m, "fake")
        ia, ib = np.where(ia < 0, ia + n, ia), np.where(ib < 0, ib + m, ib)
        if min(len(ia), len(ib)) < k_max + 1:
            raise InputError(f"a resample of {min(len(ia), len(ib))} rows is too small for k_pr = {k_pr}, "
                             f"k_dc = {k_dc} (the four metrics share one k-NN pass: at least "
                             f"{k_max + 1} rows; a smaller --k-dc helps precision/recall)")
        for name, idx in (("real", ia), ("fake", ib)):
            if len(np.unique(idx)) < len(idx):
                raise InputError(f"{name}: resample indices repeat a row; the k-NN resampler takes "
                                 "subsamples without replacement (half-sampling)")
        return ia, ib

    def keep(f, storage, nbytes):
        def indicators(ia, ib):
            return f(*checked(ia, ib))
        indicators.storage, indicators.nbytes = storage, nbytes
        _held[0] += nbytes
        weakref.finalize(indicators, _release, nbytes)
        return indicators

    if storage not in STORAGES:
        raise InputError(f"resampler storage {storage!r}: choose from {', '.join(STORAGES)}")
    budget, neighbours = max_bytes - _held[0], max(neighbours, k_max + 1)
    list_bytes = 8 * min(neighbours, n) * n + 8 * min(neighbours, m) * m
    if storage == "neighbours" or (storage == "auto" and budget >= list_bytes):
        max_pairs = n * m if storage == "neighbours" else min(n * m // 4, (budget - list_bytes) // 12)
        lists = _NeighbourLists(x, y, k_pr, k_dc, neighbours, max_pairs)
        if lists.pairs is not None:
            return keep(lists, "neighbours", lists.nbytes)
    nbytes = 4 * (n * n + m * m + m * n)
    if storage == "recompute" or (storage == "auto" and nbytes > budget):
        real, fake = x.cpu().numpy(), y.cpu().numpy()     # checked float64 copies (also of tensors)
        return keep(lambda ia, ib: prdc_indicators(real[ia], fake[ib], k_pr, k_dc, device), "recompute", 0)

    def matrix(a, b):
        out = torch.empty(len(a), len(b), dtype=torch.float32, device=a.device)
        for rows in _row_chunks(len(a), len(b), CHUNK_BYTES):
            out[rows] = _distances(a[rows], b)
        return out
    d_rr, d_ff, d_fr = matrix(x, x), matrix(y, y), matrix(y, x)

    def sliced(ia, ib) -> dict[str, np.ndarray]:
        ia, ib = torch.as_tensor(ia, device=x.device), torch.as_tensor(ib, device=x.device)
        rows, cols = ia[:, None], ib[:, None]     # one gather per block (two steps copy twice as much)
        nearest_real = torch.topk(d_rr[rows, ia], k_max + 1, dim=1, largest=False).values
        r_real_pr, r_real_dc = nearest_real[:, k_pr], nearest_real[:, k_dc]
        r_fake_pr = _kth_neighbour(d_ff[cols, ib], k_pr)
        out = _empty_indicators(len(ia), len(ib), x.device)
        _add_fake_rows(out, slice(None), d_fr[cols, ia], r_real_pr, r_fake_pr, r_real_dc, k_dc)
        return _as_numpy(out)
    return keep(sliced, "matrices", nbytes)


def precision_recall(real, fake, k: int = 3, device: str = "cpu") -> tuple[float, float]:
    """Improved precision and recall of ``fake`` against ``real`` (N x d and M x d features)."""
    t = prdc_indicators(real, fake, k, k, device)
    return float(t["precision"].mean()), float(t["recall"].mean())


def density_coverage(real, fake, k: int = 5, device: str = "cpu") -> tuple[float, float]:
    """Density and coverage of ``fake`` against ``real`` (N x d and M x d features)."""
    t = prdc_indicators(real, fake, k, k, device)
    return float(t["density"].mean()), float(t["coverage"].mean())


__all__ = ["precision_recall", "density_coverage", "prdc_indicators", "prdc_resampler", "knn_radii"]
