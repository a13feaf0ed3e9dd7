import numpy as np
import pytest
import torch

from ganmetrics import density_coverage, precision_recall
from ganmetrics.errors import InputError
from ganmetrics.metrics.prdc import prdc_indicators


def gaussian(n, d=8, seed=0, shift=0.0):
    return np.random.default_rng(seed).normal(shift, 1, (n, d))


def test_parity_with_prdc_package():
    prdc = pytest.importorskip("prdc")
    real, fake = gaussian(300, seed=1), gaussian(250, seed=2, shift=0.4)
    for k in (3, 5):
        theirs = prdc.compute_prdc(real, fake, nearest_k=k)
        p, r = precision_recall(real, fake, k=k)
        d, c = density_coverage(real, fake, k=k)
        # continuous data: no ties, so <= (ours, P/R) and < (prdc) agree
        assert (p, r) == (pytest.approx(theirs["precision"], abs=1e-12), pytest.approx(theirs["recall"], abs=1e-12))
        assert d == pytest.approx(theirs["density"], abs=1e-12)
        assert c == pytest.approx(theirs["coverage"], abs=1e-12)


def test_ties_on_the_ball_boundary():
    """Precision/recall count the boundary in (original code: <=), density/coverage do not (prdc: <)."""
    prdc = pytest.importorskip("prdc")
    real = np.array([[0.0], [1.0], [2.0], [3.0]])   # 1-NN radius of every real point is exactly 1
    fake = np.array([[4.0], [5.0], [6.0]])          # 4 is at distance exactly 1 from the real point 3
    p, r = precision_recall(real, fake, k=1)
    assert (p, r) == (1 / 3, 1 / 4)                  # 4 and 3 lie on each other's boundary: counted
    theirs = prdc.compute_prdc(real, fake, nearest_k=1)
    assert theirs["precision"] == 0.0 and theirs["recall"] == 0.0   # strict < : not counted
    d, c = density_coverage(real, fake, k=1)
    assert (d, c) == (0.0, 0.0)                      # strict, like prdc


def test_same_distribution_density_one_and_coverage_one_minus_two_to_minus_k():
    real, fake = gaussian(3000, d=4, seed=3), gaussian(3000, d=4, seed=4)
    d, c = density_coverage(real, fake, k=5)
    assert d == pytest.approx(1.0, abs=0.05)
    assert c == pytest.approx(1 - 2 ** -5, abs=0.02)


def test_dropping_modes_loses_recall_and_coverage_not_precision():
    rng = np.random.default_rng(5)
    centres = 10 * rng.normal(size=(8, 16))
    sample = lambda modes: centres[rng.integers(0, modes, 1600)] + rng.normal(size=(1600, 16))  # noqa: E731
    real, full, half = sample(8), sample(8), sample(4)
    (p_full, r_full), (p_half, r_half) = precision_recall(real, full), precision_recall(real, half)
    (d_full, c_full), (d_half, c_half) = density_coverage(real, full), density_coverage(real, half)
    assert abs(p_half - p_full) < 0.05 and abs(d_half - d_full) < 0.1      # fidelity unchanged
    assert r_half == pytest.approx(r_full / 2, abs=0.06)                   # half the modes, half the recall
    assert c_half == pytest.approx(c_full / 2, abs=0.06)


def test_chunking_does_not_change_the_result():
    real, fake = gaussian(120, seed=6), gaussian(100, seed=7, shift=0.3)
    whole = prdc_indicators(real, fake)
    chunked = prdc_indicators(real, fake, chunk_bytes=8 * 120 * 7)  # 7 rows per block
    for key in whole:
        assert np.array_equal(whole[key], chunked[key])


@pytest.mark.parametrize("real, fake, match", [
    (gaussian(3), gaussian(10), "need at least 4"),
    (gaussian(10), np.full((10, 8), np.inf), "NaN or infinite"),
    (gaussian(10), gaussian(10, d=4), "dimensions differ"),
])
def test_bad_inputs(real, fake, match):
    with pytest.raises(InputError, match=match):
        precision_recall(real, fake, k=3)


@pytest.mark.parametrize("kw, match", [({"k_pr": -1}, "k_pr must be an integer of at least 1, got -1"),
                                       ({"k_dc": 0}, "k_dc must be an integer of at least 1, got 0"),
                                       ({"k_pr": 2.5}, "k_pr must be an integer"),
                                       ({"k_dc": True}, "k_dc must be an integer"),
                                       ({"neighbours": 7.5}, "neighbours must be an integer")])
def test_bad_k_is_refused_by_every_path(kw, match):
    """A k below 1 or not whole is refused by the metric and by every resampler storage alike
    (the neighbour lists once answered k_pr = -1 with precision 0)."""
    from ganmetrics.metrics.prdc import prdc_resampler
    real, fake = gaussian(200), gaussian(200, seed=1)
    ks = {"k_pr": 3, "k_dc": 5, **{k: v for k, v in kw.items() if k.startswith("k_")}}
    if "neighbours" not in kw:
        with pytest.raises(InputError, match=match):
            prdc_indicators(real, fake, ks["k_pr"], ks["k_dc"])
    for storage in ("neighbours", "matrices", "recompute", "auto"):
        with pytest.raises(InputError, match=match):
            prdc_resampler(real, fake, storage=storage, **kw)


def test_the_four_intervals_share_one_knn_pass_per_resample(monkeypatch):
    """prdc's four intervals draw the same resamples: one k-NN pass each (plus the estimate),
    not four, and each interval equals the one computed for that metric alone."""
    from ganmetrics.evaluation import estimates, interval_of
    from ganmetrics.features.runner import FeatureSet
    from ganmetrics.metrics import registry

    rng = np.random.default_rng(5)
    a = FeatureSet("real", {"features": rng.standard_normal((120, 8))})
    b = FeatureSet("fake", {"features": 0.2 + rng.standard_normal((120, 8))})
    names = ["precision", "recall", "density", "coverage"]
    specs = [registry.get_metric(m) for m in names]
    params = registry.param_defaults(specs)

    def intervals(which):
        chosen = [s for s in specs if s.name in which]
        ests = estimates(chosen, a, b, params, registry.Context(device="cpu"))
        return {s.name: (ests[s.name].value, interval_of(ests[s.name], s, a, b, 0.9, 12, 0)) for s in chosen}

    calls, resamples = [], []
    original, original_resampler = registry.prdc_indicators, registry.prdc_resampler
    monkeypatch.setattr(registry, "prdc_indicators", lambda *x, **k: calls.append(1) or original(*x, **k))

    def resampler(*x, **k):
        resample = original_resampler(*x, **k)
        return lambda ia, ib: resamples.append(1) or resample(ia, ib)
    monkeypatch.setattr(registry, "prdc_resampler", resampler)
    together = intervals(names)
    assert (len(calls), len(resamples)) == (1, 36)      # 12 half-samples asked: 6 cuts of 2 halves + 4 quarters
    for m in names:
        assert intervals([m])[m] == together[m]
    assert len({iv for _, iv in together.values()}) == 4

    # told that intervals follow, the estimate is read off the resampler: no second distance pass,
    # the same estimates and intervals
    calls.clear()
    resamples.clear()
    ests = estimates(specs, a, b, params, registry.Context(device="cpu", intervals=True))
    assert (len(calls), len(resamples)) == (0, 1)
    for s in specs:
        assert (ests[s.name].value, interval_of(ests[s.name], s, a, b, 0.9, 12, 0)) == together[s.name]
    assert len(resamples) == 1 + 36


@pytest.mark.parametrize("storage, kw", [
    ("neighbours", {"neighbours": 9}),     # radii read off the lists, a few rows recomputed
    ("neighbours", {"neighbours": 7}),     # short lists: many rows' radii lie beyond them, recomputed
    ("neighbours", {"neighbours": 6}),     # lists of k_dc + 1: nearly every row recomputed
    ("recompute", {"max_bytes": 0}),       # beyond the memory budget
])
def test_resampler_equals_the_metric_recomputed_on_each_half_sample(storage, kw):
    from ganmetrics.metrics.bootstrap import replicates
    from ganmetrics.metrics.prdc import prdc_resampler
    rng = np.random.default_rng(8)
    real, fake = rng.normal(size=(90, 6)), rng.normal(0.3, 1.2, size=(70, 6))
    ties_real, ties_fake = rng.integers(0, 4, (60, 2)).astype(float), rng.integers(1, 5, (50, 2)).astype(float)
    for a, b, k_pr, k_dc in ((real, fake, 3, 5), (ties_real, ties_fake, 2, 2)):
        resample = prdc_resampler(a, b, k_pr, k_dc, **kw)
        assert resample.storage == storage
        seen = []

        def check(ia, ib):
            ours, direct = resample(ia, ib), prdc_indicators(a[ia], b[ib], k_pr, k_dc)
            for m in direct:
                np.testing.assert_array_equal(ours[m], direct[m], err_msg=m)
            seen.append(direct["density"].mean())
            return 0.0
        replicates(check, [len(a), len(b)], n_rep=5, seed=1, scheme="half")
        assert len(set(seen)) > 1      # the half-samples differ, so the comparison is not of one case


def test_resampler_default_lists_on_a_larger_sample():
    """The default 48 neighbours at N = 600: the lists are taken, hold few pairs, and no row
    needs recomputing, with the metric's indicators on every half-sample."""
    from ganmetrics.metrics import prdc
    rng = np.random.default_rng(16)
    real, fake = rng.normal(size=(600, 8)), rng.normal(0.2, 1.1, size=(500, 8))
    resample = prdc.prdc_resampler(real, fake)
    assert resample.storage == "neighbours"
    for _ in range(3):
        ia, ib = np.sort(rng.permutation(600)[:300]), np.sort(rng.permutation(500)[:250])
        ours, direct = resample(ia, ib), prdc_indicators(real[ia], fake[ib])
        for m in direct:
            np.testing.assert_array_equal(ours[m], direct[m], err_msg=m)


def test_resampler_keeps_the_matrices_when_most_pairs_matter():
    """Fake points spread wider than the real ones: every real point lies in most fake balls,
    so the neighbour lists would list every pair; the three matrices are kept and sliced instead,
    with the same indicators."""
    from ganmetrics.metrics.prdc import prdc_resampler
    rng = np.random.default_rng(13)
    real, fake = rng.normal(size=(80, 5)), rng.normal(0, 3, size=(70, 5))
    resample = prdc_resampler(real, fake)
    assert resample.storage == "matrices"
    ia, ib = np.sort(rng.permutation(80)[:40]), np.sort(rng.permutation(70)[:35])
    ours, direct = resample(ia, ib), prdc_indicators(real[ia], fake[ib])
    for m in direct:
        np.testing.assert_array_equal(ours[m], direct[m], err_msg=m)
    assert direct["recall"].all() and 0 < direct["precision"].mean() < 1


def test_neighbour_lists_read_radii_exactly_or_flag_the_row():
    """A resample's k-NN radius read off a point's sorted list equals the radius over the whole
    resample whenever the list holds k + 1 members of it, and the other rows are flagged."""
    from ganmetrics.metrics.prdc import _resample_radii, _self_lists
    rng = np.random.default_rng(14)
    x = rng.normal(size=(200, 4))
    vals, idx = _self_lists(torch.from_numpy(x), 12)
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    member = rng.random(200) < 0.5
    rows = np.flatnonzero(member)
    (r3, r5), short = _resample_radii(vals, idx, rows, member, (3, 5))
    truth = np.sort(d[np.ix_(rows, rows)], 1)
    np.testing.assert_allclose(r3[~short], truth[~short, 3], rtol=1e-6)
    np.testing.assert_allclose(r5[~short], truth[~short, 5], rtol=1e-6)
    kept = member[idx[rows]].sum(1)
    np.testing.assert_array_equal(short, kept < 6)
    assert 0 < short.sum() < len(rows)        # both cases occur


def test_resampler_refuses_repeated_rows():
    from ganmetrics.metrics.prdc import prdc_resampler
    rng = np.random.default_rng(15)
    for kw in ({}, {"max_bytes": 0}):
        resample = prdc_resampler(rng.normal(size=(30, 3)), rng.normal(size=(30, 3)), **kw)
        with pytest.raises(InputError, match="repeat a row"):
            resample(np.r_[np.arange(14), 3], np.arange(15))


def test_chunked_cross_distances_match_the_direct_definitions():
    """One fake-by-real distance pass fills all four indicators: compare with their definitions."""
    rng = np.random.default_rng(9)
    real, fake = rng.normal(size=(40, 3)), rng.normal(0.2, 1.1, size=(30, 3))
    ind = prdc_indicators(real, fake, 3, 5, chunk_bytes=8 * 40 * 4)   # 4 fake rows per block
    d = np.linalg.norm(fake[:, None] - real[None], axis=2)
    kth = lambda s, k: np.sort(np.linalg.norm(s[:, None] - s[None], axis=2), 1)[:, k]  # noqa: E731
    r3, r5, f3 = kth(real, 3), kth(real, 5), kth(fake, 3)
    np.testing.assert_array_equal(ind["precision"], (d <= r3[None]).any(1))
    np.testing.assert_array_equal(ind["recall"], (d <= f3[:, None]).any(0))
    np.testing.assert_allclose(ind["density"], (d < r5[None]).sum(1) / 5)
    np.testing.assert_array_equal(ind["coverage"], (d < r5[None]).any(0))
    assert 0 < ind["precision"].mean() < 1 and 0 < ind["coverage"].mean() < 1


def test_live_resamplers_share_one_memory_budget():
    """compare keeps one resampler per input alive at once: together they stay within the budget,
    later ones recompute, and the memory is returned when a resampler is released."""
    import gc
    from ganmetrics.metrics import prdc
    rng = np.random.default_rng(10)
    real, fake = rng.normal(size=(40, 4)), rng.normal(size=(30, 4))
    one = 4 * (40 * 40 + 30 * 30 + 30 * 40)
    before = prdc._held[0]
    first = prdc.prdc_resampler(real, fake, max_bytes=before + one)
    assert prdc._held[0] == before + one
    second = prdc.prdc_resampler(real, fake, max_bytes=before + one)   # over the shared budget: recomputes
    assert prdc._held[0] == before + one
    ia, ib = np.arange(0, 40, 2), np.arange(0, 30, 2)
    for m, v in first(ia, ib).items():
        np.testing.assert_array_equal(v, second(ia, ib)[m])
    del first
    gc.collect()
    assert prdc._held[0] == before


def _brute_force(real, fake, k_pr=3, k_dc=5):
    """The definitions on distances computed pair by pair (no matrix-product rounding)."""
    dist = lambda a, b: np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).astype(np.float32)  # noqa: E731
    rr, ff, fr = dist(real, real), dist(fake, fake), dist(fake, real)
    r_pr, r_dc, f_pr = np.sort(rr, 1)[:, k_pr], np.sort(rr, 1)[:, k_dc], np.sort(ff, 1)[:, k_pr]
    return {"precision": (fr <= r_pr[None]).any(1), "recall": (fr <= f_pr[:, None]).any(0),
            "density": (fr < r_dc[None]).sum(1) / k_dc, "coverage": (fr < r_dc[None]).any(0)}


def test_copies_of_real_samples_are_decided_by_the_rule_not_by_rounding():
    """A fake that copies a real sample lies exactly on the boundary of the balls whose radius
    that real sample defines: density/coverage (strict <) leave it out, precision/recall (<=)
    count it, in the metric and in every interval replicate alike (float64 noise decided it before)."""
    from ganmetrics.metrics.bootstrap import replicates
    from ganmetrics.metrics.prdc import prdc_resampler
    rng = np.random.default_rng(11)
    real = rng.normal(size=(80, 64)) * 3
    fake = np.concatenate([real[:50], rng.normal(size=(30, 64)) * 3])
    whole = prdc_indicators(real, fake)
    for m, v in _brute_force(real, fake).items():
        np.testing.assert_array_equal(whole[m], v, err_msg=m)
    resample = prdc_resampler(real, fake)

    def check(ia, ib):
        for m, v in _brute_force(real[ia], fake[ib]).items():
            np.testing.assert_array_equal(resample(ia, ib)[m], v, err_msg=m)
            np.testing.assert_array_equal(prdc_indicators(real[ia], fake[ib])[m], v, err_msg=m)
        return 0.0
    replicates(check, [80, 80], n_rep=6, seed=2, scheme="half")


def test_resampler_refuses_indices_it_cannot_use():
    from ganmetrics.metrics.prdc import prdc_resampler
    rng = np.random.default_rng(12)
    resample = prdc_resampler(rng.normal(size=(20, 3)), rng.normal(size=(20, 3)))
    for bad in (np.arange(10).reshape(2, 5), np.int64(3), np.arange(10) + 15, np.linspace(0, 9, 10)):
        with pytest.raises(InputError, match="resample indices"):
            resample(bad, np.arange(10))
    mask = np.zeros(20, bool)
    mask[::2] = True
    for m, v in resample(mask, mask).items():
        np.testing.assert_array_equal(v, resample(np.arange(0, 20, 2), np.arange(0, 20, 2))[m])


@pytest.mark.parametrize("dim", [512, 64])
def test_evaluate_gives_prdc_the_split_interval_without_a_warning(dim):
    """evaluate's P/R/D/C intervals are bootstrap.prdc_intervals' (cuts into halves and quarters,
    the variance extrapolated to N; docs/coverage.md), on high- and low-dimensional features
    alike, with no warning (the half-sampling intervals they replace ran short on 2048-d features
    and warned); the estimates are the same with and without intervals."""
    import warnings
    from ganmetrics.evaluation import evaluate_space
    from ganmetrics.features.runner import FeatureSet
    from ganmetrics.metrics import bootstrap as B
    from ganmetrics.metrics import registry
    rng = np.random.default_rng(17)
    a = FeatureSet("real", {"features": rng.normal(size=(60, dim))}, {"extractor": "test"})
    b = FeatureSet("fake", {"features": 0.05 + rng.normal(size=(60, dim))}, {"extractor": "test"})
    specs = [registry.get_metric(m) for m in ("precision", "recall", "density", "coverage")]
    params = registry.param_defaults(specs)

    class Runner:
        device = "cpu"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with_ci = evaluate_space(specs, a, b, params, Runner(), 0.9, 10, 0, False)
    assert not caught, [str(w.message) for w in caught]
    without = evaluate_space(specs, a, b, params, Runner(), None, 10, 0, False)
    assert [r.value for r in with_ci] == [r.value for r in without]
    expected = B.prdc_intervals(a.features, b.features, {r.metric: r.value for r in with_ci}, level=0.9, n_rep=10)
    for r in with_ci:
        assert r.interval == pytest.approx(expected[r.metric], abs=1e-12)
        assert r.interval[0] <= r.value <= r.interval[1]
