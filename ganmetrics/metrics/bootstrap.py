"""Intervals for metrics at a given sample size and differences between two runs.

What an interval is for
-----------------------
A metric computed on N samples is a random variable θ̂_N. FID, KID's subsets, IS and the k-NN
metrics are *biased* in N (FID falls as N grows), so "the true value" is ambiguous. Our
intervals target **E[θ̂_N], the metric's expectation at this sample size**: two runs at the
same N are comparable through it, and the point estimate always lies inside its interval.
The N -> infinity value is a different quantity with its own estimators (``metrics/infinity.py``:
FID_inf and IS_inf, the metrics ``fid_inf`` and ``is_inf``).

Why not the percentile bootstrap
--------------------------------
Resampling with replacement duplicates rows; duplicates shrink covariances and k-NN radii, so
the replicates of FID sit *above* the estimate and the percentile interval can miss it
entirely (FID 62.9, 95% interval [67.5, 78.7] on 200 + 200 images). Here a resampling scheme
only estimates the **spread** of θ̂_N; the interval (except for P/R/D/C's ``"split"``, below) is
the pivotal ("basic") interval of Efron & Tibshirani (1993, §13.4) around the estimate, with the replicates centred on their own
median (which removes the scheme's bias and keeps the estimate inside)::

    δ_b = θ*_b - median(θ*),    interval = [θ̂ - q_(1+level)/2(δ), θ̂ - q_(1-level)/2(δ)].

The quantiles q are Hyndman & Fan's (1996) type 9 (``QUANTILE``: numpy's "normal_unbiased"),
approximately unbiased for normal order statistics. numpy's default (type 7, "linear") pulls
the tail quantiles of B replicates inwards: at B = 100 its 2.5% and 97.5% points span 0.958 of
the true 95% width (0.885 at B = 30; simulated over 20,000 sets of normal replicates), which is
the 4% narrowness the coverage study measured for IS at N = 10,000; type 9 spans 1.005.

Schemes (``replicates``; ``METHODS`` says which each metric uses):

* ``"two-size"`` (an option, no default): half- and quarter-samples without
  replacement; the half-sample deviations are rescaled so that their variance is the one
  extrapolated to N (``two_size_variance``: linear + degenerate-quadratic terms).
* ``"half"`` (FID, FID_inf, IS_inf, CMMD, and compare's paired differences of those): half-sampling, i.e. the delete-d jackknife with d = N/2 (Shao & Wu, Ann. Statist.
  1989; subsampling without replacement, Politis & Romano 1994). For a √N-rate statistic with
  per-row variance σ², θ̂ on m rows drawn without replacement from the N varies by about
  σ²/m · (N - m)/N, which at m = N/2 is σ²/N = Var(θ̂_N): no rescaling, no duplicated row.
* ``"bootstrap"`` (IS): n rows with replacement per sample (Efron 1979), pivotal around the
  estimate. For IS half-sampling measured a spread 0.68x the true one, the bootstrap 0.92x.
* ``"split"`` (P/R/D/C): each sample cut at random into two disjoint halves and four disjoint
  quarters. The metric on the two halves gives two *independent* draws of θ̂_{N/2} (the rows are
  i.i.d.), so (θ̂_S - θ̂_S')² / 2, averaged over cuts, is unbiased for Var(θ̂_{N/2}) whatever the
  statistic (``split_variance``); the quarters' sample variance likewise for Var(θ̂_{N/4}). The
  variance at N is extrapolated one doubling further at the measured rate,
  V(N) = V(N/2) / r with r = V(N/4) / V(N/2) clipped to [1, 2] (``split_variance_at_n``), and
  the interval is θ̂ ± t·sqrt(V(N)) with Student's t on the extrapolation's own degrees of freedom
  (a jackknife over cuts; ``split_interval``). Why: the k-NN metrics' variance falls more slowly
  than a mean's (r about 1.5-2.4 per doubling, differing by metric and dimension), so
  half-sampling (which assumes 1/N) ran short on 2048-d features (a 95% interval covered
  85-96%), and the variance at N/2 used as it is, the method before, was never short but
  1.2-1.6 times too wide (97.5-100% at 95% on the same draws). Halves and quarters share their cuts, so the noise of
  r partly cancels; the clip keeps it from extrapolating growth or a faster fall than 1/N.
  Measured in docs/coverage.md.

KID has a closed form instead (``kid_interval``): the two-sample jackknife variance of the
full-sample MMD²_u U-statistic (Arvesen, Ann. Math. Statist. 1969), computed from kernel row
sums in one pass, plus the Monte-Carlo variance of averaging ``subsets`` subsets.

Which scheme each metric uses (``METHODS``) was chosen by measured coverage:
``benchmarks/bench_coverage.py``, tables in docs/coverage.md.

Differences (``difference_test``)
---------------------------------
A regression or a ranking compares two runs through the spread of their *difference*: paired
replicates (both recomputed on one resample of a shared reference) when available, else the
two spreads combined in quadrature (independent runs; conservative when the reference is shared,
since the pairing correlation is positive).
"""
from __future__ import annotations

import math
from statistics import NormalDist
from typing import Callable, Sequence

import numpy as np

from ..errors import InputError

SCHEMES = ("half", "quarter", "bootstrap", "split")

#: how tail quantiles of B replicates are estimated (Hyndman & Fan 1996, type 9; module docstring)
QUANTILE = "normal_unbiased"

#: interval method per metric, chosen by measured coverage (docs/metrics.md, "Intervals"):
#: "two-size" = half- and quarter-sampling with the variance extrapolated to N (``two_size_variance``)
METHODS = {"fid": "half", "is": "bootstrap", "kid": "closed-form", "precision": "split",
           "recall": "split", "density": "split", "coverage": "split"}

#: the range each metric's expectation can take (the interval is clipped to it)
BOUNDS = {"fid": (0.0, math.inf), "is": (1.0, math.inf), "kid": (-math.inf, math.inf),
          "precision": (0.0, 1.0), "recall": (0.0, 1.0), "density": (0.0, math.inf), "coverage": (0.0, 1.0)}


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise InputError(f"confidence level must be in (0, 1), got {level}")


def _z(level: float) -> float:
    return NormalDist().inv_cdf((1 + level) / 2)


def replicates(statistic: Callable[..., float], sizes: Sequence[int], n_rep: int = 100, seed: int = 0,
               scheme: str = "half") -> np.ndarray:
    """``n_rep`` values of ``statistic(*index_arrays)``, one index array per sample of size ``sizes[k]``.

    ``scheme="half"``: ``sizes[k] // 2`` distinct indices per sample (half-sampling);
    ``scheme="quarter"``: ``sizes[k] // 4`` distinct indices; ``scheme="bootstrap"``: ``sizes[k]`` indices with
    replacement; ``scheme="split"``: one cut per two half-samples asked, ``SPLIT_PIECES``
    replicates per cut, two disjoint halves and four disjoint quarters of every sample
    (``split_piece``, ``split_replicates``: 300 for ``n_rep = 100``, which must be at least
    ``MIN_SPLIT_REPS``). Index arrays (sorted), not copies, are
    passed so that a statistic can recognise repeated rows (KID does). Errors: InputError for an
    unknown scheme, ``n_rep < 2``, or a sample too small to halve.
    """
    if scheme not in SCHEMES:
        raise InputError(f"resampling scheme {scheme!r}: choose from {', '.join(SCHEMES)}")
    if n_rep < 2:
        raise InputError(f"resampling needs at least 2 replicates, got {n_rep}")
    if scheme == "split":
        n_rep = split_replicates(n_rep)
    if scheme in ("half", "quarter", "split") and min(sizes) < 8:
        raise InputError(f"an interval by subsampling needs at least 8 samples per input, got {min(sizes)}")
    rng = np.random.default_rng(seed)
    part = {"half": 2, "quarter": 4, "split": 2}.get(scheme)
    cuts: dict = {}

    def draw(k, n, r):
        if scheme == "split":
            return split_piece(rng, cuts, k, n, r)
        return np.sort(rng.permutation(n)[: n // part]) if part else rng.integers(0, n, n)

    return np.array([statistic(*(draw(k, n, r) for k, n in enumerate(sizes))) for r in range(n_rep)],
                    dtype=np.float64)


#: replicates per cut of scheme "split": two complementary halves, then four disjoint quarters
SPLIT_PIECES = 6


def split_piece(rng: np.random.Generator, cuts: dict, key, n: int, r: int) -> np.ndarray:
    """Sorted indices of replicate ``r`` of scheme "split" for the sample ``key`` of ``n`` rows.

    Replicates come in blocks of ``SPLIT_PIECES`` per cut: the first of a block draws a fresh
    permutation p into ``cuts[key]``; pieces 0 and 1 are its halves p[:h], p[h:2h] (h = n // 2),
    pieces 2-5 its quarters p[iq:(i+1)q] (q = n // 4), disjoint from each other. ``replicates`` and
    ``compare``'s paired replicates both draw through it, so the blocks line up for
    ``split_variance_at_n``."""
    j = r % SPLIT_PIECES
    if j == 0:
        cuts[key] = rng.permutation(n)
    size, i = (n // 2, j) if j < 2 else (n // 4, j - 2)
    return np.sort(cuts[key][i * size: (i + 1) * size])


#: fewest half-samples asked of scheme "split": 5 cuts
MIN_SPLIT_REPS = 10


def split_replicates(n_rep: int) -> int:
    """The replicates scheme "split" draws for ``n_rep`` half-samples asked: one cut per two (rounded
    up), ``SPLIT_PIECES`` replicates per cut (2 halves, 4 quarters): 300 for the default 100.
    Errors: InputError below ``MIN_SPLIT_REPS`` (with 1-4 cuts the variance has 1-4 degrees of
    freedom, and discrete metrics tie between halves: zero-width intervals)."""
    if n_rep < MIN_SPLIT_REPS:
        raise InputError(f"--n-boot {n_rep}: intervals of precision, recall, density and coverage need at least "
                         f"{MIN_SPLIT_REPS} replicates ({MIN_SPLIT_REPS // 2} cuts into halves and quarters; "
                         "default 100)")
    return SPLIT_PIECES * ((n_rep + 1) // 2)


def _pieces(reps) -> tuple[np.ndarray, np.ndarray]:
    """(halves C x 2, quarters C x 4) of the complete cuts of ``scheme="split"`` replicates whose six
    values are all finite. Errors: InputError when no cut is left."""
    reps = np.asarray(reps, np.float64)
    blocks = reps[: len(reps) // SPLIT_PIECES * SPLIT_PIECES].reshape(-1, SPLIT_PIECES)
    blocks = blocks[np.isfinite(blocks).all(1)]
    if not len(blocks):
        raise InputError("the split interval needs at least one cut (two halves and four quarters) of finite values")
    return blocks[:, :2], blocks[:, 2:]


def split_variance(reps: np.ndarray) -> float:
    """Var(θ̂_{N/2}) from ``scheme="split"`` replicates: the mean over cuts of (θ̂_S - θ̂_S')² / 2,
    S and S' the cut's two halves.

    Unbiased for any statistic of i.i.d. rows: S and S' are disjoint, so the two values are
    independent draws of θ̂ at N/2 rows. Cuts with a non-finite value are dropped. Errors:
    InputError without a finite cut."""
    halves, _ = _pieces(reps)
    return float(np.mean((halves[:, 0] - halves[:, 1]) ** 2) / 2)


#: the variance ratio V(N/4) / V(N/2) is clipped to this range before the extrapolation to N:
#: at least 1 (a variance that grows with N is not extrapolated; V(N/2) is used as it is), at
#: most 2 (no faster fall than a mean's 1/N, however the quarters came out)
SPLIT_RATE_RANGE = (1.0, 2.0)


def _extrapolated(v_half: np.ndarray, v_quarter: np.ndarray) -> np.ndarray:
    lo, hi = SPLIT_RATE_RANGE
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.clip(np.where(v_half > 0, v_quarter / np.where(v_half > 0, v_half, 1.0), hi), lo, hi)
    return v_half / rate


def split_variance_at_n(reps: np.ndarray) -> tuple[float, float]:
    """``(V, df)``: Var(θ̂_N) extrapolated from ``scheme="split"`` replicates, and its degrees of freedom.

    Per cut, the two halves give (θ̂_S - θ̂_S')² / 2 and the four disjoint quarters their sample
    variance (ddof 1), unbiased for V(N/2) and V(N/4) (``split_variance``). Averaged over the C cuts,
    V(N) = V(N/2) / r with the rate r = V(N/4) / V(N/2) clipped to ``SPLIT_RATE_RANGE``: a power law
    in N continued for one more doubling; r = 2 for a statistic whose variance falls like a mean's,
    less for the k-NN metrics, whose variance falls more slowly (docs/coverage.md). Halves and
    quarters come from the same cuts, so their noise is correlated and partly cancels in r.

    ``df``: 2 / Var(log V) with Var(log V) the jackknife over cuts (for V ~ χ²_ν / ν,
    Var(log V) ≈ 2 / ν), at least 1 and at most C (the halves' own degrees of freedom); C when the
    jackknife values are all equal, 1 below 3 cuts. When the halves of every cut tie (V(N/2) = 0,
    a discrete metric at small N), V = V(N/4) / 4: the quarters' variance carried to N at a
    mean's rate (0 only when the quarters tie too). Errors: InputError without a finite cut."""
    halves, quarters = _pieces(reps)
    vh = (halves[:, 0] - halves[:, 1]) ** 2 / 2
    vq = quarters.var(1, ddof=1)
    c = len(vh)
    if vh.mean() == 0:              # every cut's halves tie (a discrete metric at small N):
        return float(vq.mean()) / 4, float(c)   # the quarters' variance carried to N at a mean's rate
    v = float(_extrapolated(np.array([vh.mean()]), np.array([vq.mean()]))[0])
    if c < 3:                       # no jackknife: as uncertain as it gets
        return v, 1.0
    loo_h, loo_q = (vh.sum() - vh) / (c - 1), (vq.sum() - vq) / (c - 1)
    loo = _extrapolated(loo_h, loo_q)
    if (loo <= 0).any():            # one cut carries all the spread: as uncertain as it gets
        return v, 1.0
    log_v = np.log(loo)
    var_log = (c - 1) / c * float(((log_v - log_v.mean()) ** 2).sum())
    return v, float(c) if var_log == 0 else float(min(max(2 / var_log, 1.0), c))


def _t(level: float, df: float) -> float:
    """Student's t quantile at (1 + level) / 2 with ``df`` degrees of freedom."""
    from scipy.stats import t
    return float(t.ppf((1 + level) / 2, df))


def split_interval(estimate: float, reps: np.ndarray, level: float = 0.95,
                   bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float]:
    """Interval θ̂ ± t·sqrt(V) for E[θ̂_N], clipped to ``bounds``, with (V, df) from
    ``split_variance_at_n(reps)`` and t Student's quantile with df degrees of freedom (module
    docstring, scheme "split"). Always contains ``estimate`` (if inside ``bounds``)."""
    _check_level(level)
    v, df = split_variance_at_n(reps)
    half = _t(level, df) * math.sqrt(v)
    return (float(max(estimate - half, min(bounds[0], estimate))),
            float(min(estimate + half, max(bounds[1], estimate))))


def two_size_variance(half_reps: np.ndarray, quarter_reps: np.ndarray) -> float:
    """Var(θ̂_N) from the variances V(N/2), V(N/4) of subsamples drawn without replacement:

        Var(θ̂_N) ≈ 2 V(N/2) - V(N/4) / 3,   clipped to [V(N/2) / 3, V(N/2)].

    Derivation (ours; measured in benchmarks/bench_coverage.py): write θ̂ as a linear term plus a
    degenerate quadratic one (Hoeffding). Drawing m of the N rows without replacement, the linear
    term varies by a(1/m - 1/N) and the quadratic one by b(1/m² - 1/N²), while at the full size
    from the population Var(θ̂_N) = a/N + b/N². Two sizes determine a and b. Half-sampling alone
    (the delete-N/2 jackknife) is exact for the linear term but counts the quadratic one three
    times, which for FID at d/N = 0.1 made the interval 1.4x too wide; with the quadratic term
    extrapolated the measured sd ratio was 1.03 (d = 64, N = 500, 200 replicates per size). With
    30 replicates per size its noise made the 95% interval cover only 88% (bench_coverage.py), so
    no metric uses it by default; half-sampling (conservative, 96-99%) does.
    """
    v2 = float(np.var(np.asarray(half_reps, np.float64), ddof=1))
    v4 = float(np.var(np.asarray(quarter_reps, np.float64), ddof=1))
    return float(min(max(2 * v2 - v4 / 3, v2 / 3), v2))


def centered_interval(estimate: float, reps: np.ndarray, level: float = 0.95,
                      bounds: tuple[float, float] = (-math.inf, math.inf), shape: str = "pivotal",
                      scale: float = 1.0, quantile_method: str = QUANTILE) -> tuple[float, float]:
    """Interval around ``estimate`` from resampling replicates (module docstring).

    ``shape="pivotal"``: replicates centred on their median, reflected quantiles (keeps skew);
    ``shape="normal"``: estimate ± z · std(replicates). ``scale`` multiplies the deviations (the
    two-size correction: sqrt(Var(θ̂_N) / V(N/2))). ``quantile_method``: numpy's name of the
    quantile estimator (default ``QUANTILE``, type 9; "linear" was used before). Always contains
    ``estimate`` (if it is inside ``bounds``); clipped to ``bounds``. Errors: InputError for
    fewer than 2 finite replicates.
    """
    _check_level(level)
    reps = np.asarray(reps, dtype=np.float64)
    reps = reps[np.isfinite(reps)]
    if len(reps) < 2:
        raise InputError("the interval needs at least 2 finite replicates")
    if shape == "normal":
        half = _z(level) * float(reps.std(ddof=1))
        lo_q, hi_q = -half, half
    elif shape == "pivotal":
        delta = reps - np.median(reps)
        lo_q, hi_q = np.quantile(delta, [(1 - level) / 2, (1 + level) / 2], method=quantile_method)
    else:
        raise InputError(f"interval shape {shape!r}: use 'pivotal' or 'normal'")
    lo, hi = estimate - scale * max(hi_q, 0.0), estimate - scale * min(lo_q, 0.0)
    return float(max(lo, min(bounds[0], estimate))), float(min(hi, max(bounds[1], estimate)))


def resampled_interval(statistic: Callable[..., float], sizes: Sequence[int], estimate: float, n_rep: int = 100,
                       level: float = 0.95, seed: int = 0, scheme: str = "two-size",
                       bounds: tuple[float, float] = (-math.inf, math.inf),
                       shape: str = "pivotal") -> tuple[tuple[float, float], np.ndarray]:
    """``(interval, replicates)`` for E[statistic at these sizes] around ``estimate`` (the replicates:
    the half-samples; for ``"split"`` all of its pieces, halves and quarters, in their layout).

    ``scheme="two-size"``: ``n_rep`` half- and ``n_rep`` quarter-samples, the half-sample
    deviations rescaled by sqrt(``two_size_variance`` / V(N/2)); ``"half"`` / ``"bootstrap"``:
    one scheme, unscaled; ``"split"``: ``split_interval`` (``shape`` unused). Cost: n_rep
    statistics on N/2 rows (+ n_rep on N/4 for two-size; + 2·n_rep on N/4 for split).
    """
    _check_level(level)
    if scheme == "two-size":
        half = replicates(statistic, sizes, n_rep, seed, "half")
        quarter = replicates(statistic, sizes, n_rep, seed + 1, "quarter")
        return centered_interval(estimate, half, level, bounds, shape, two_size_scale(half, quarter)), half
    reps = replicates(statistic, sizes, n_rep, seed, scheme)
    if scheme == "split":
        return split_interval(estimate, reps, level, bounds), reps
    return centered_interval(estimate, reps, level, bounds, shape), reps


def two_size_scale(half_reps: np.ndarray, quarter_reps: np.ndarray) -> float:
    """sqrt(two_size_variance / V(N/2)): the factor on half-sample deviations (1 when V(N/2) is 0)."""
    v2 = float(np.var(np.asarray(half_reps, np.float64), ddof=1))
    return math.sqrt(two_size_variance(half_reps, quarter_reps) / v2) if v2 > 0 else 1.0


def bootstrap_interval(statistic: Callable[..., float], sizes: Sequence[int], n_boot: int = 100,
                       level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval (Efron & Tibshirani 1993, §13.3) of ``statistic(*index_arrays)``.

    Valid for (near-)linear unbiased statistics such as a difference of means (the critic's
    held-out estimate); for FID, KID, IS and the k-NN metrics use ``resampled_interval`` /
    ``metric_interval`` (module docstring).
    """
    _check_level(level)
    reps = replicates(statistic, sizes, n_boot, seed, "bootstrap")
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2], method=QUANTILE)
    return float(lo), float(hi)


def _poly_kernel_sums(x: np.ndarray, y: np.ndarray, degree: int, gamma: float, coef0: float, block: int = 2048):
    """Row sums of k(x, x) without the diagonal, of k(x, y) and of k(y, x), in blocks (float64)."""
    def rows(a, b, same):
        out = np.empty(len(a))
        for s in range(0, len(a), block):
            k = (a[s:s + block] @ b.T * gamma + coef0) ** degree
            if same:
                idx = np.arange(s, min(s + block, len(a)))
                k[idx - s, idx] = 0.0
            out[s:s + block] = k.sum(1)
        return out
    return rows(x, x, True), rows(y, y, True), rows(x, y, False), rows(y, x, False)


def kid_jackknife_variance(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None,
                           coef0: float = 1.0) -> tuple[float, float]:
    """``(mmd2_u, variance)``: the full-sample unbiased MMD² (polynomial kernel, as KID) and the
    two-sample jackknife estimate of its variance (Arvesen 1969), in closed form.

    x: n x d, y: m x d (n, m >= 3). Leaving out x_i changes S_xx = Σ_{i≠j} k(x_i, x_j) by twice
    its row sum and S_xy by its row sum, so all n + m leave-one-out values cost one pass over
    the kernel matrices (O((n + m)² d) time, O(block · (n + m)) memory).
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    n, m = len(x), len(y)
    if min(n, m) < 3:
        raise InputError(f"the KID variance needs at least 3 samples per input, got {n} and {m}")
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    rxx, ryy, rxy, ryx = _poly_kernel_sums(x, y, degree, gamma, coef0)
    sxx, syy, sxy = rxx.sum(), ryy.sum(), rxy.sum()
    full = sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2 * sxy / (n * m)
    loo_x = (sxx - 2 * rxx) / ((n - 1) * (n - 2)) + syy / (m * (m - 1)) - 2 * (sxy - rxy) / ((n - 1) * m)
    loo_y = sxx / (n * (n - 1)) + (syy - 2 * ryy) / ((m - 1) * (m - 2)) - 2 * (sxy - ryx) / (n * (m - 1))
    var = (n - 1) / n * ((loo_x - loo_x.mean()) ** 2).sum() + (m - 1) / m * ((loo_y - loo_y.mean()) ** 2).sum()
    return float(full), float(var)


def kid_interval(x: np.ndarray, y: np.ndarray, estimate: float, subset_std: float | None, subsets: int,
                 level: float = 0.95, degree: int = 3, gamma: float | None = None,
                 coef0: float = 1.0, jackknife_variance: float | None = None) -> tuple[float, float]:
    """Normal interval for E[KID at this N] around ``estimate``: the jackknife variance of the
    full-sample U-statistic (which the average over random subsets estimates) plus the Monte-Carlo
    variance of averaging ``subsets`` subsets, subset_std² / subsets (Bińkowski et al. 2018 report
    the subset std; we add the U-statistic's own sampling variance, which that std does not measure).
    ``jackknife_variance``: ``kid_jackknife_variance(x, y, ...)[1]`` if already computed (it costs
    (n + m)² d; several levels from one pass)."""
    _check_level(level)
    var = kid_jackknife_variance(x, y, degree, gamma, coef0)[1] if jackknife_variance is None else jackknife_variance
    var += (subset_std or 0.0) ** 2 / max(subsets, 1)
    half = _z(level) * math.sqrt(max(var, 0.0))
    return float(estimate - half), float(estimate + half)


def difference_test(diff: float, level: float = 0.95, *, diff_replicates: np.ndarray | None = None,
                    diff_quarter: np.ndarray | None = None, split: bool = False,
                    sd: float | None = None) -> tuple[tuple[float, float], float]:
    """``(interval, p)`` for E[difference] from a point difference and its spread.

    Give either ``diff_replicates`` (paired half-sample replicates of the difference, centred as in
    ``centered_interval``, rescaled by ``two_size_scale`` when the paired quarter-sample
    replicates ``diff_quarter`` are given; p is the two-sided share of centred replicates at
    least as extreme as ``diff``, floored at 2/(B+1)) or ``sd`` (normal approximation, two-sided p = 2(1 - Φ(|diff|/sd))).
    ``split=True``: ``diff_replicates`` come in cuts of halves and quarters (scheme "split"): the
    interval is ``split_interval``'s and p the two-sided Student t p with its degrees of freedom
    (``split_variance_at_n``); p is NaN (cannot tell) when every piece of every cut gave the same
    difference.
    The interval always contains ``diff``; p is 1 when ``diff`` is 0.
    """
    _check_level(level)
    if diff_replicates is not None and split:
        if diff_quarter is not None:
            raise InputError("difference_test: the split scheme takes no quarter-sample replicates")
        v, df = split_variance_at_n(diff_replicates)
        sd = math.sqrt(v)
        if sd == 0:
            return (diff, diff), (1.0 if diff == 0 else math.nan)
        from scipy.stats import t
        return split_interval(diff, diff_replicates, level), float(2 * t.sf(abs(diff) / sd, df))
    if diff_replicates is not None:
        reps = np.asarray(diff_replicates, np.float64)
        reps = reps[np.isfinite(reps)]
        scale = 1.0 if diff_quarter is None else two_size_scale(reps, np.asarray(diff_quarter, np.float64))
        interval = centered_interval(diff, reps, level, scale=scale)
        centred = scale * (reps - np.median(reps))
        share = float((np.abs(centred) >= abs(diff)).mean())
        return interval, min(1.0, max(share, 2 / (len(reps) + 1))) if diff != 0 else 1.0
    if sd is None or not math.isfinite(sd) or sd < 0:
        raise InputError("difference_test needs paired replicates or a finite standard deviation")
    if sd == 0:
        return (diff, diff), (1.0 if diff == 0 else 0.0)
    half = _z(level) * sd
    p = 2 * (1 - NormalDist().cdf(abs(diff) / sd))
    return (float(diff - half), float(diff + half)), float(p)


def sd_from_interval(interval: tuple[float, float] | None, level: float) -> float | None:
    """The standard deviation a normal interval of this level implies (half-width / z); None if unknown."""
    if interval is None or level is None:
        return None
    lo, hi = interval
    return float((hi - lo) / (2 * _z(level)))


# --- per-metric intervals: what evaluate, compare and the metric registry call -------------------

def _fid_features(x: np.ndarray, y: np.ndarray) -> float:
    from .frechet import frechet_distance, frechet_distance_features
    if max(len(x), len(y)) <= x.shape[1]:
        return frechet_distance_features(x, y)
    return frechet_distance(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False))


def fid_replicates(real: np.ndarray | None, fake: np.ndarray, n_rep: int = 100, seed: int = 0,
                   scheme: str = "half", ref_stats: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Resampling replicates of FID (float64): both feature sets resampled, or only ``fake``
    against fixed reference statistics ``ref_stats = (mu, sigma)`` (a statistics file)."""
    fake = np.asarray(fake, np.float64)
    if ref_stats is not None:
        from .frechet import frechet_distance_to_features
        mu, sigma = ref_stats
        return replicates(lambda ib: frechet_distance_to_features(mu, sigma, fake[ib]), [len(fake)], n_rep, seed,
                          scheme)
    real = np.asarray(real, np.float64)
    return replicates(lambda ia, ib: _fid_features(real[ia], fake[ib]), [len(real), len(fake)], n_rep, seed,
                      scheme)


def fid_interval(real, fake, estimate: float, level: float = 0.95, n_rep: int = 100, seed: int = 0,
                 scheme: str | None = None, ref_stats=None) -> tuple[float, float]:
    """Interval for E[FID at these N] around ``estimate`` (real: N1 x d or None with ``ref_stats``,
    fake: N2 x d). Scheme: ``METHODS["fid"]`` unless given. Cost: ``n_rep`` FIDs on N/2 rows and
    ``n_rep`` on N/4. Errors: InputError below 8 samples per input."""
    scheme = scheme or METHODS["fid"]
    if scheme != "two-size":
        return centered_interval(estimate, fid_replicates(real, fake, n_rep, seed, scheme, ref_stats), level,
                                 BOUNDS["fid"])
    half = fid_replicates(real, fake, n_rep, seed, "half", ref_stats)
    quarter = fid_replicates(real, fake, n_rep, seed + 1, "quarter", ref_stats)
    return centered_interval(estimate, half, level, BOUNDS["fid"], scale=two_size_scale(half, quarter))


def is_interval(logits: np.ndarray, estimate: float, splits: int = 10, level: float = 0.95, n_rep: int = 100,
                seed: int = 0, scheme: str | None = None) -> tuple[float, float]:
    """Interval for E[IS at this N] around ``estimate`` (logits: N x C; the splits are kept)."""
    from .inception_score import inception_score
    logits = np.asarray(logits)
    if len(logits) // 4 < splits:
        raise InputError(f"an IS interval with {splits} splits needs at least {4 * splits} samples, got {len(logits)}")
    return resampled_interval(lambda i: inception_score(logits[i], splits)[0], [len(logits)], estimate, n_rep, level,
                              seed, scheme or METHODS["is"], BOUNDS["is"])[0]


PRDC = ("precision", "recall", "density", "coverage")


def prdc_replicates(real: np.ndarray, fake: np.ndarray, k_pr: int = 3, k_dc: int = 5, n_rep: int = 100,
                    seed: int = 0, scheme: str = "half", device: str = "cpu") -> dict[str, np.ndarray]:
    """Replicates of precision, recall, density and coverage with the k-NN manifolds recomputed on
    every resample (half-sampling: no duplicate rows, whose zero distances would shrink the radii).
    The whole samples' distances are computed once and kept, as neighbour lists where they fit
    (``prdc_resampler``)."""
    from .prdc import prdc_indicators, prdc_resampler
    out = {m: [] for m in PRDC}
    if scheme == "bootstrap":   # duplicated rows: each resample recomputes its own distances
        real, fake = np.asarray(real), np.asarray(fake)
        resample = lambda ia, ib: prdc_indicators(real[ia], fake[ib], k_pr, k_dc, device)  # noqa: E731
    else:
        resample = prdc_resampler(real, fake, k_pr, k_dc, device)

    def stat(ia, ib):
        ind = resample(ia, ib)
        for m in PRDC:
            out[m].append(float(ind[m].mean()))
        return 0.0

    replicates(stat, [len(real), len(fake)], n_rep, seed, scheme)
    return {m: np.array(v) for m, v in out.items()}


def prdc_intervals(real, fake, estimates: dict[str, float], k_pr: int = 3, k_dc: int = 5, level: float = 0.95,
                   n_rep: int = 100, seed: int = 0, device: str = "cpu") -> dict[str, tuple[float, float]]:
    """Intervals for E[precision, recall, density, coverage at these N] around ``estimates``:
    ``split_interval`` on ``n_rep`` half-samples and twice as many quarters, from ``n_rep / 2``
    cuts (``METHODS``)."""
    real, fake = np.asarray(real), np.asarray(fake)
    if min(len(real), len(fake)) // 4 < max(k_pr, k_dc) + 1:
        raise InputError(f"P/R/D/C intervals need at least {4 * (max(k_pr, k_dc) + 1)} samples per input "
                         f"(k-NN on quarter-samples), got {min(len(real), len(fake))}")
    reps = prdc_replicates(real, fake, k_pr, k_dc, n_rep, seed, METHODS["precision"], device)
    return {m: split_interval(estimates[m], reps[m], level, BOUNDS[m]) for m in estimates}


__all__ = ["METHODS", "BOUNDS", "SCHEMES", "QUANTILE", "replicates", "centered_interval", "resampled_interval",
           "split_variance", "split_variance_at_n", "split_interval", "split_replicates", "split_piece",
           "MIN_SPLIT_REPS", "SPLIT_PIECES", "SPLIT_RATE_RANGE",
           "two_size_variance", "two_size_scale",
           "bootstrap_interval", "kid_jackknife_variance", "kid_interval", "difference_test", "sd_from_interval",
           "fid_replicates", "fid_interval", "is_interval", "prdc_replicates", "prdc_intervals"]
