import itertools

import numpy as np
import pytest
import torch

from ganmetrics import kid
from ganmetrics.errors import InputError
from ganmetrics.metrics.kid import mmd2_unbiased


def features(n, d=32, shift=0.0, seed=0):
    return np.random.default_rng(seed).normal(shift, 1, (n, d))


def test_parity_with_torch_fidelity_same_subsets():
    tk = pytest.importorskip("torch_fidelity.metric_kid")
    a, b = features(120, seed=1), features(110, shift=0.3, seed=2)
    theirs = tk.kid_features_to_metric(torch.from_numpy(a), torch.from_numpy(b), kid_subsets=20,
                                       kid_subset_size=50, rng_seed=7, verbose=False, kid_kernel="poly",
                                       kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None,
                                       kid_kernel_poly_coef0=1)
    mean, std = kid(a, b, subsets=20, subset_size=50, seed=7)
    assert mean == pytest.approx(theirs["kernel_inception_distance_mean"], rel=1e-9)
    assert std == pytest.approx(theirs["kernel_inception_distance_std"], rel=1e-7)


def test_same_distribution_gives_about_zero_and_shift_gives_more():
    a = features(400, seed=3)
    same, spread = kid(a, features(400, seed=9), subsets=50, subset_size=200, seed=0)
    assert abs(same) < 4 * spread  # unbiased: zero up to sampling noise
    shifted, _ = kid(a, features(400, shift=0.5, seed=4), subsets=50, subset_size=200, seed=0)
    assert shifted > 10 * max(abs(same), spread)
    # literally the same array: subsets overlap, the estimate goes slightly negative and shrinks with m
    small = kid(a, a, subsets=20, subset_size=50, seed=0)[0]
    large = kid(a, a, subsets=20, subset_size=400, seed=0)[0]
    assert small < 0 and large < 0 and abs(large) < abs(small) < shifted


def test_unbiased_statistic_by_brute_force():
    x, y = features(6, d=3, seed=5), features(6, d=3, shift=1, seed=6)
    k = lambda u, v: (u @ v / 3 + 1) ** 3  # noqa: E731
    xx = np.mean([k(x[i], x[j]) for i, j in itertools.permutations(range(6), 2)])
    yy = np.mean([k(y[i], y[j]) for i, j in itertools.permutations(range(6), 2)])
    xy = np.mean([k(x[i], y[j]) for i in range(6) for j in range(6)])
    assert mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-12)


def test_duplicate_rows_from_a_bootstrap_are_left_out():
    x, y = features(5, d=3, seed=7), features(5, d=3, seed=8)
    ids = np.array([0, 0, 1, 2, 3])  # row 1 is a copy of row 0
    xd = x[ids]
    k = lambda u, v: (u @ v / 3 + 1) ** 3  # noqa: E731
    pairs = [(i, j) for i, j in itertools.product(range(5), repeat=2) if ids[i] != ids[j]]
    xx = np.mean([k(xd[i], xd[j]) for i, j in pairs])
    yy = np.mean([k(y[i], y[j]) for i, j in itertools.permutations(range(5), 2)])
    xy = np.mean([k(xd[i], y[j]) for i in range(5) for j in range(5)])
    assert mmd2_unbiased(xd, y, ids_x=ids) == pytest.approx(xx + yy - 2 * xy, rel=1e-12)


def test_subset_size_capped_with_warning():
    with pytest.warns(UserWarning, match="capped at 30"):
        kid(features(30), features(40), subsets=2, subset_size=1000)


@pytest.mark.parametrize("a, b, match", [
    (np.full((10, 4), np.nan), np.zeros((10, 4)), "NaN"),
    (np.zeros((10, 4)), np.zeros((10, 5)), "dimensions differ"),
    (np.zeros((1, 4)), np.zeros((10, 4)), "at least 2"),
])
def test_bad_inputs(a, b, match):
    with pytest.raises(InputError, match=match):
        kid(a, b, subsets=2, subset_size=5)
