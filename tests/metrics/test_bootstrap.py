"""Intervals for E[metric at N]: they contain the estimate, their spread matches closed forms or
brute force, the KID jackknife equals its definition, differences and gates judge the difference
and the pivotal quantiles span the nominal width. Coverage itself is measured in
benchmarks/bench_coverage.py (too slow for a unit test)."""
import math

import numpy as np
import pytest

from ganmetrics.errors import InputError
from ganmetrics.metrics import bootstrap as B
from ganmetrics.metrics.kid import kid, mmd2_unbiased
from ganmetrics.report import gate as gates
from ganmetrics.result import Result


def gaussians(n, d, seed, shift=0.1, scale=1.1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), shift + scale * rng.normal(size=(n, d))


def test_centered_interval_always_contains_the_estimate_even_for_biased_skewed_replicates():
    rng = np.random.default_rng(0)
    for _ in range(50):
        reps = 5 + rng.lognormal(0, 1, size=40)     # all replicates far above the estimate, skewed
        for shape in ("pivotal", "normal"):
            lo, hi = B.centered_interval(1.0, reps, 0.95, (0, math.inf), shape)
            assert 0 <= lo <= 1.0 <= hi
    with pytest.raises(InputError, match="at least 2"):
        B.centered_interval(1.0, [np.nan, 2.0])


def test_pivotal_quantiles_of_100_normal_replicates_span_the_nominal_width():
    # B = 100 replicates of a N(0, 1) statistic: a pivotal 95% interval should be 2 * 1.96 wide on
    # average. numpy's default (linear, type 7) quantiles give 0.958 of that, the narrowness the
    # coverage study measured for IS; type 9 (QUANTILE) gives about 1.005.
    reps = np.random.default_rng(1).standard_normal((4000, 100))
    def mean_ratio(method):
        widths = [np.subtract(*B.centered_interval(0.0, r, 0.95, quantile_method=method)[::-1]) for r in reps]
        return float(np.mean(widths)) / (2 * 1.959964)
    assert abs(mean_ratio(B.QUANTILE) - 1.0) < 0.015
    assert mean_ratio("linear") < 0.975          # what the intervals used before
    # the percentile interval of the critic's estimates uses the same estimator
    lo, hi = B.bootstrap_interval(lambda i: float(np.mean(reps[0][i])), [100], n_boot=100, level=0.95, seed=0)
    assert lo < float(np.mean(reps[0])) < hi


def test_fid_interval_contains_the_estimate_where_the_percentile_bootstrap_missed_it():
    # the reproduction: 64-d features, N = 200: percentile [5.17, 6.17] around FID 3.09
    x, y = gaussians(200, 64, 0, shift=0.0, scale=1.0)
    value = B._fid_features(x, y)
    lo_p, hi_p = B.bootstrap_interval(lambda ia, ib: B._fid_features(x[ia], y[ib]), [200, 200], 50, 0.95, 0)
    assert lo_p > value                                  # the old interval lies entirely above
    lo, hi = B.fid_interval(x, y, value, 0.95, n_rep=50, seed=0)
    assert 0 <= lo <= value <= hi


def test_two_size_variance_is_exact_for_a_mean_and_removes_the_quadratic_excess():
    # linear statistic: Var(mean at N) = sigma^2 / N; half-sampling alone already gets it
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2.0, 800)
    half = B.replicates(lambda i: z[i].mean(), [800], 400, 0, "half")
    quarter = B.replicates(lambda i: z[i].mean(), [800], 400, 1, "quarter")
    assert B.two_size_variance(half, quarter) == pytest.approx(4.0 / 800, rel=0.2)
    # FID at d/N = 0.13: half-sampling alone overstates the variance over new draws about 2x
    # (its degenerate quadratic part); the two-size extrapolation does not
    truth = np.var([B._fid_features(*gaussians(500, 64, s)) for s in range(100, 300)])
    half_v, two_v = [], []
    for s in range(4):
        x, y = gaussians(500, 64, s)
        half = B.fid_replicates(x, y, 100, s, "half")
        half_v.append(np.var(half, ddof=1))
        two_v.append(B.two_size_variance(half, B.fid_replicates(x, y, 100, s + 10, "quarter")))
    assert np.mean(half_v) / truth > 1.5
    assert 0.65 < np.mean(two_v) / truth < 1.5


def brute_jackknife(x, y):
    n, m = len(x), len(y)

    def mmd(a, b):
        k = lambda u, v: (u @ v.T / x.shape[1] + 1) ** 3  # noqa: E731
        kaa, kbb, kab = k(a, a), k(b, b), k(a, b)
        return ((kaa.sum() - np.trace(kaa)) / (len(a) * (len(a) - 1)) + (kbb.sum() - np.trace(kbb))
                / (len(b) * (len(b) - 1)) - 2 * kab.mean())
    lx = np.array([mmd(np.delete(x, i, 0), y) for i in range(n)])
    ly = np.array([mmd(x, np.delete(y, j, 0)) for j in range(m)])
    return mmd(x, y), (n - 1) / n * ((lx - lx.mean()) ** 2).sum() + (m - 1) / m * ((ly - ly.mean()) ** 2).sum()


def test_kid_jackknife_matches_brute_force_and_the_repeated_draw_variance():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(9, 3)), rng.normal(0.3, 1, size=(7, 3))
    full, var = B.kid_jackknife_variance(x, y)
    ref_full, ref_var = brute_jackknife(x, y)
    assert full == pytest.approx(ref_full, rel=1e-10) and var == pytest.approx(ref_var, rel=1e-8)
    x, y = rng.normal(size=(50, 4)), rng.normal(size=(50, 4))
    assert B.kid_jackknife_variance(x, y)[0] == pytest.approx(mmd2_unbiased(x, y), rel=1e-9)
    # the jackknife variance estimates the variance of the full-sample statistic over new draws;
    # it is biased upwards (Efron & Stein 1981), here by 1.6x: conservative, never too narrow
    draws = [gaussians(150, 8, s, 0.2, 1.0) for s in range(200)]
    spread = np.var([B.kid_jackknife_variance(a, b)[0] for a, b in draws])
    estimate = np.mean([B.kid_jackknife_variance(a, b)[1] for a, b in draws[:20]])
    assert 1.0 < estimate / spread < 2.0


def test_kid_spread_is_undefined_when_a_subset_is_the_whole_sample():
    x, y = gaussians(30, 4, 3)
    with pytest.warns(UserWarning, match="capped"):
        mean, std = kid(x, y, subsets=5, subset_size=100)
    assert std is None and math.isfinite(mean)
    assert kid(x, y, subsets=5, subset_size=10)[1] > 0
    lo, hi = B.kid_interval(x, y, mean, std, 5, 0.95)
    assert lo < mean < hi


def test_difference_test_closed_form_and_paired_replicates():
    (lo, hi), p = B.difference_test(1.959964, 0.95, sd=1.0)
    assert p == pytest.approx(0.05, abs=1e-4) and lo == pytest.approx(0, abs=1e-4) and hi > 3.9
    (lo, hi), p = B.difference_test(0.0, 0.95, sd=1.0)
    assert p == 1.0 and lo < 0 < hi
    rng = np.random.default_rng(4)
    (lo, hi), p = B.difference_test(0.0, 0.9, diff_replicates=rng.normal(5, 1, 200))
    assert lo < 0 < hi and p == 1.0                     # a set against itself: never significant
    (lo, hi), p = B.difference_test(4.0, 0.9, diff_replicates=rng.normal(5, 1, 200))
    assert lo > 0 and p == pytest.approx(2 / 201)
    with pytest.raises(InputError, match="standard deviation"):
        B.difference_test(1.0)


def test_gate_regression_is_judged_on_the_difference():
    config = {"inputs": {"ci": 0.95}, "regression": [{"metric": "fid", "max_increase": 0.0}],
              "threshold": [{"metric": "fid", "max": 64.0}]}
    # the case: rerunning on the baseline's own inputs, with an interval around the estimate
    same = Result("fid", 62.9494, {"a": 200, "b": 200}, interval=(58.0, 68.5))
    baseline = {"fid": 62.9494, "fid_ci_low": 58.0, "fid_ci_high": 68.5, "ci": 0.95}
    checks = gates.run_checks(config, [same], baseline)
    assert all(c.passed for c in checks), [c.message for c in checks]
    assert "P(meets) ≈ 0.6" in checks[0].message and "CI of the difference" in checks[1].message
    # worse by more than the spread of the difference: fails; worse by less: passes
    sd = math.hypot(10.5, 10.5) / (2 * 1.959964)
    worse = Result("fid", 62.9494 + 2.2 * sd, {"a": 200, "b": 200}, interval=(58.0 + 2.2 * sd, 68.5 + 2.2 * sd))
    assert not gates.run_checks(config, [worse], baseline)[1].passed
    slightly = Result("fid", 62.9494 + 1.8 * sd, {"a": 200, "b": 200}, interval=(58.0 + 1.8 * sd, 68.5 + 1.8 * sd))
    assert gates.run_checks(config, [slightly], baseline)[1].passed


def test_split_replicates_come_in_cuts_of_two_halves_and_four_quarters():
    seen = []
    B.replicates(lambda ia, ib: seen.append((ia, ib)) or 0.0, [101, 64], n_rep=11, seed=3, scheme="split")
    assert len(seen) == 36                                     # 11 halves asked: 6 cuts of 6 pieces
    for c in range(6):
        block = seen[6 * c: 6 * c + 6]
        for side, n in ((0, 101), (1, 64)):
            pieces = [p[side] for p in block]
            assert [len(x) for x in pieces] == [n // 2] * 2 + [n // 4] * 4
            assert all(np.all(np.diff(x) > 0) for x in pieces)
            assert not set(pieces[0]) & set(pieces[1])        # halves disjoint: independent draws at N/2
            quarters = np.concatenate(pieces[2:])
            assert len(np.unique(quarters)) == len(quarters)  # quarters pairwise disjoint
    assert not np.array_equal(seen[0][0], seen[6][0])          # each cut a fresh permutation


@pytest.mark.parametrize("stat, name", [(lambda z: z.mean(), "mean"),
                                        (lambda z: np.sort(z)[2], "3rd smallest")])
def test_split_variance_is_unbiased_for_the_variance_at_half_the_rows(stat, name):
    # any statistic of i.i.d. rows, smooth (the mean) or not (an order statistic, like a k-NN
    # radius): E[split_variance] = Var(statistic on N/2 rows), simulated directly. Overlapping
    # halves (plain half-sampling) would give about Var at N - Var at N/2... far below.
    rng = np.random.default_rng(4)
    n, draws = 80, 600
    direct = np.var([stat(rng.standard_normal(n // 2)) for _ in range(20000)], ddof=1)
    est = np.mean([B.split_variance(B.replicates(lambda i, z=z: stat(z[i]), [n], 40, s, "split"))
                   for s, z in enumerate(rng.standard_normal((draws, n)))])
    assert est == pytest.approx(direct, rel=0.08), name
    half = np.mean([np.var(B.replicates(lambda i, z=z: stat(z[i]), [n], 40, s, "half"), ddof=1)
                    for s, z in enumerate(rng.standard_normal((100, n)))])
    assert half < 0.75 * direct, name


@pytest.mark.parametrize("stat, name", [(lambda z: z.mean(), "mean"),
                                        (lambda z: np.sort(z)[2], "3rd smallest")])
def test_split_variance_at_n_extrapolates_to_the_variance_at_n(stat, name):
    # the mean's variance halves per doubling of N (rate 2), the 3rd smallest value's falls more
    # slowly (about 1.25 here); V(N/2), the method before, is too big by that rate, the
    # extrapolation is close to the variance at N itself (simulated directly)
    rng = np.random.default_rng(5)
    n, draws = 80, 500
    at_n = np.var([stat(rng.standard_normal(n)) for _ in range(20000)], ddof=1)
    at_half = np.var([stat(rng.standard_normal(n // 2)) for _ in range(20000)], ddof=1)
    got = [B.split_variance_at_n(B.replicates(lambda i, z=z: stat(z[i]), [n], 40, s, "split"))
           for s, z in enumerate(rng.standard_normal((draws, n)))]
    v = np.mean([g[0] for g in got])
    assert v == pytest.approx(at_n, rel=0.15), (name, v / at_n, at_half / at_n)   # mean: 1.10 (the clip at 2)
    assert abs(v / at_n - 1) < abs(at_half / at_n - 1) - 0.15, name
    assert all(1 <= g[1] <= 20 for g in got)                  # df: at least 1, at most the 20 cuts


def test_split_replicates_need_five_cuts_of_six_pieces():
    assert [B.split_replicates(n) for n in (10, 11, 100)] == [30, 36, 300]
    for n in (2, 3, 9):
        with pytest.raises(InputError, match=f"--n-boot {n}: .* at least 10 replicates"):
            B.split_replicates(n)
        with pytest.raises(InputError, match="at least 10"):
            B.replicates(lambda i: 0.0, [50], n, 0, "split")


def test_split_interval_extrapolates_with_the_clipped_rate_and_student_t():
    # two cuts (halves, then quarters) and an unfinished one; below 3 cuts no jackknife: df = 1
    reps = np.array([1.0, 3.0, 0.0, 2.0, 4.0, 6.0,                  # (1-3)²/2 = 2; var(0,2,4,6) = 20/3
                     2.0, 2.0, 1.0, 1.0, 2.0, 2.0,                  # 0; var(1,1,2,2) = 1/3
                     7.0, 1.0])
    v_half, v_quarter = (2 + 0) / 2, (20 / 3 + 1 / 3) / 2           # 1 and 3.5: rate 3.5, clipped to 2
    assert B.split_variance(reps) == pytest.approx(v_half)
    assert B.split_variance_at_n(reps) == (pytest.approx(v_half / 2), 1.0)
    lo, hi = B.split_interval(0.4, reps, 0.95)
    t1 = 12.706205                                                 # Student t, 1 degree of freedom
    assert (lo + hi) / 2 == pytest.approx(0.4) and (hi - lo) / 2 == pytest.approx(t1 * math.sqrt(0.5))
    assert B.split_interval(0.4, reps, 0.95, (0.0, math.inf)) == (0.0, pytest.approx(hi))
    assert B.split_interval(0.4, reps, 0.95, (0.0, 1.0)) == (0.0, 1.0)
    tied = np.tile([1.0, 1.0, 0.0, 1.0, 2.0, 3.0], 5)                 # halves tie, quarters do not (var 5/3)
    assert B.split_variance_at_n(tied) == (pytest.approx(5 / 3 / 4), 5.0)
    assert B.split_variance_at_n(np.ones(30)) == (0.0, 5.0)          # every piece ties: no spread
    inside = reps.copy()
    inside[2:6] = [0.0, 1.0, 2.0, 3.0]                               # var 5/3
    inside[8:12] = [0.0, 1.0, 1.0, 2.0]                              # var 2/3: V(N/4) = 7/6, rate 7/6 inside [1, 2]
    assert B.split_variance_at_n(inside)[0] == pytest.approx(1 / (7 / 6))
    growing = reps.copy()
    growing[2:6] = growing[8:12] = 1.0                               # quarters agree: rate 0, clipped to 1
    assert B.split_variance_at_n(growing)[0] == pytest.approx(v_half)
    with pytest.raises(InputError, match="cut"):
        B.split_variance([1.0, np.nan, 2.0, 1.0, 1.0, 1.0])


def test_split_degrees_of_freedom_come_from_the_jackknife_over_cuts():
    same = np.tile([1.0, 3.0, 0.0, 2.0, 3.0, 5.0], 8)             # 8 identical cuts: no noise, df = 8
    assert B.split_variance_at_n(same)[1] == 8.0
    rng = np.random.default_rng(0)
    noisy = rng.standard_normal(6 * 40)                             # 40 cuts of pure noise
    v, df = B.split_variance_at_n(noisy)
    assert 2 < df < 40 and v > 0
    one = np.tile([1.0, 1.0, 0.0, 0.0, 0.0, 0.0], 6)
    one[:2] = [0.0, 4.0]                                            # all the spread in one cut
    assert B.split_variance_at_n(one)[1] == 1.0


def test_prdc_intervals_are_split_intervals_and_difference_tests_take_split_pairs():
    real, fake = gaussians(120, 8, 5)
    from ganmetrics.metrics.prdc import prdc_indicators
    est = {m: float(v.mean()) for m, v in prdc_indicators(real, fake).items()}
    assert set(B.METHODS[m] for m in B.PRDC) == {"split"}
    reps = B.prdc_replicates(real, fake, n_rep=20, seed=2, scheme="split")
    assert all(len(v) == 60 for v in reps.values())               # 10 cuts of 2 halves + 4 quarters
    got = B.prdc_intervals(real, fake, est, n_rep=20, seed=2)
    for m in B.PRDC:
        assert got[m] == pytest.approx(B.split_interval(est[m], reps[m], 0.95, B.BOUNDS[m]))
        assert got[m][0] <= est[m] <= got[m][1]
    d = reps["recall"] - reps["precision"]
    (lo, hi), p = B.difference_test(0.1, 0.95, diff_replicates=d, split=True)
    v, df = B.split_variance_at_n(d)
    from scipy.stats import t
    assert 1 <= df <= 10                                                 # 10 cuts
    assert (hi - lo) / 2 == pytest.approx(t.ppf(0.975, df) * math.sqrt(v))
    assert p == pytest.approx(2 * t.sf(0.1 / math.sqrt(v), df))
    assert B.difference_test(0.0, 0.95, diff_replicates=d, split=True)[1] == 1.0
    tied = np.repeat([0.2, 0.4, 0.1], 6)                                  # every cut's pieces agree: no spread
    assert B.difference_test(0.1, 0.95, diff_replicates=tied, split=True) == ((0.1, 0.1), pytest.approx(np.nan, nan_ok=True))
    with pytest.raises(InputError, match="quarter"):
        B.difference_test(0.1, 0.95, diff_replicates=d, diff_quarter=d, split=True)
