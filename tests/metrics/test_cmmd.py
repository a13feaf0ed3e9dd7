"""CMMD against the authors' estimator (google-research cmmd/distance.py, transcribed as the
dense formula below), and its basic properties."""
import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

import ganmetrics
from ganmetrics.errors import InputError
from ganmetrics.metrics.mmd import cmmd


def release_formula(x, y, sigma=10.0, scale=1000.0):
    """The release's expression, term for term (dense, float64): the mean of the full kernel
    matrices, diagonals included, gamma = 1 / (2 sigma²)."""
    gamma = 1 / (2 * sigma ** 2)
    xs, ys = np.diag(x @ x.T), np.diag(y @ y.T)
    k_xx = np.mean(np.exp(-gamma * (-2 * x @ x.T + xs[:, None] + xs[None, :])))
    k_xy = np.mean(np.exp(-gamma * (-2 * x @ y.T + xs[:, None] + ys[None, :])))
    k_yy = np.mean(np.exp(-gamma * (-2 * y @ y.T + ys[:, None] + ys[None, :])))
    return scale * (k_xx + k_yy - 2 * k_xy)


def embeddings(n, d=64, shift=0.0, seed=0):
    """Unit-norm rows like CLIP embeddings, with a shift of the mean direction before normalising."""
    z = np.random.default_rng(seed).normal(0, 1, (n, d))
    z[:, 0] += shift
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def test_equals_release_formula_and_cdist_form():
    x, y = embeddings(150, seed=1), embeddings(120, shift=2.0, seed=2) * 3.0  # not unit: sigma matters
    ours = cmmd(x, y)
    assert ours == pytest.approx(release_formula(x, y), rel=1e-9)
    g = 1 / (2 * 10.0 ** 2)
    by_cdist = 1000 * (np.exp(-g * cdist(x, x, "sqeuclidean")).mean() + np.exp(-g * cdist(y, y, "sqeuclidean")).mean()
                       - 2 * np.exp(-g * cdist(x, y, "sqeuclidean")).mean())
    assert ours == pytest.approx(by_cdist, rel=1e-9)


def test_blockwise_equals_dense_for_any_block():
    x, y = embeddings(97, seed=3), embeddings(61, shift=1.0, seed=4)
    dense = release_formula(x, y)
    for block in (1, 7, 60, 1000):
        assert cmmd(x, y, block=block) == pytest.approx(dense, rel=1e-10)


def test_zero_for_a_set_against_itself_and_monotone_in_a_shift():
    x = embeddings(200, seed=5)
    assert abs(cmmd(x, x)) < 1e-9
    values = [cmmd(x, embeddings(200, shift=s, seed=6)) for s in (0.0, 0.5, 1.0, 2.0, 4.0)]
    assert all(b > a for a, b in zip(values, values[1:])), values
    assert values[0] > 0  # the V-statistic is a squared norm: never negative


def test_sigma_and_tensor_inputs():
    x, y = embeddings(40, seed=7), embeddings(30, shift=1.0, seed=8)
    assert cmmd(torch.from_numpy(x).float(), torch.from_numpy(y).float()) == pytest.approx(cmmd(x, y), rel=1e-5)
    assert cmmd(x, y, sigma=1.0) == pytest.approx(release_formula(x, y, sigma=1.0), rel=1e-9)
    assert ganmetrics.cmmd is cmmd


@pytest.mark.parametrize("args, match", [
    ((np.zeros((3, 4)), np.zeros((3, 5))), "dimensions differ"),
    ((np.zeros(4), np.zeros((3, 4))), "N x d"),
    ((np.full((3, 4), np.nan), np.zeros((3, 4))), "NaN"),
])
def test_bad_input_is_one_line(args, match):
    with pytest.raises(InputError, match=match):
        cmmd(*args)
    with pytest.raises(InputError, match="sigma"):
        cmmd(np.zeros((2, 2)), np.zeros((2, 2)), sigma=0)


def test_registered_metric_with_interval():
    from ganmetrics.metrics.registry import Context, get_metric
    from types import SimpleNamespace
    x, y = embeddings(60, seed=9), embeddings(50, shift=1.0, seed=10)
    spec = get_metric("cmmd")
    est = spec.compute(SimpleNamespace(features=x), SimpleNamespace(features=y), dict(spec.params), Context())
    assert est.value == pytest.approx(release_formula(x, y), rel=1e-9)
    ia, ib = np.arange(60)[::-1], np.arange(50)  # a permutation changes nothing
    assert est.replicate(ia, ib) == pytest.approx(est.value, rel=1e-12)
