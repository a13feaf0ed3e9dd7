"""Fréchet distance against closed forms."""
import numpy as np
import pytest

from ganmetrics import frechet_distance
from ganmetrics.errors import InputError


def random_spd(d, rng, rank=None):
    a = rng.normal(size=(d, rank or d))
    return a @ a.T / d + (0 if rank else 0.1 * np.eye(d))


def test_commuting_covariances_closed_form():
    rng = np.random.default_rng(0)
    d = 16
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    a, b = rng.uniform(0.1, 3, d), rng.uniform(0.1, 3, d)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-10)


def test_scaled_identity_against_general_covariance():
    # sigma1 = c I: Tr sqrt(c sigma2) = sqrt(c) * sum sqrt(eig(sigma2))
    rng = np.random.default_rng(1)
    d, c = 32, 0.7
    s2 = random_spd(d, rng)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    expected = (np.sum((mu1 - mu2) ** 2) + d * c + np.trace(s2)
                - 2 * np.sqrt(c) * np.sum(np.sqrt(np.linalg.eigvalsh(s2))))
    assert frechet_distance(mu1, c * np.eye(d), mu2, s2) == pytest.approx(expected, rel=1e-9)


def test_identical_gaussians_give_zero_and_symmetry():
    rng = np.random.default_rng(2)
    s1, s2 = random_spd(20, rng), random_spd(20, rng)
    mu = rng.normal(size=20)
    assert abs(frechet_distance(mu, s1, mu, s1)) < 1e-8
    assert frechet_distance(mu, s1, 0 * mu, s2) == pytest.approx(frechet_distance(0 * mu, s2, mu, s1), rel=1e-8)


def test_one_dimensional():
    # W2^2 between N(m1, v1) and N(m2, v2) is (m1 - m2)^2 + (sqrt v1 - sqrt v2)^2
    assert frechet_distance([1.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(4 + 1)


def test_rank_deficient_covariances_stay_finite():
    rng = np.random.default_rng(3)
    d = 64
    f1, f2 = rng.normal(size=(10, d)), rng.normal(size=(10, d)) + 0.5  # N < d: singular covariances
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    value = frechet_distance(f1.mean(0), s1, f2.mean(0), s2)
    assert np.isfinite(value) and value > 0


def test_bad_shapes_and_nan():
    with pytest.raises(InputError, match="dimensions"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(InputError, match="NaN"):
        frechet_distance(np.zeros(2), np.eye(2) * np.nan, np.zeros(2), np.eye(2))


def realistic_stats(n, d, seed, shift=0.0):
    """Non-negative features with a decaying spectrum, like pool3 features."""
    rng = np.random.default_rng(seed)
    mix = np.random.default_rng(99).normal(size=(d, d)) * (np.arange(1, d + 1) ** -0.7)[None, :]
    f = np.abs(rng.normal(size=(n, d)) @ mix.T + shift)
    return f.mean(0), np.cov(f, rowvar=False)


@pytest.mark.parametrize("n", [300, 3000])  # rank-deficient (n < d) and full rank
def test_fast_methods_agree_with_scipy_sqrtm(n):
    d = 768
    m1, s1 = realistic_stats(n, d, 1)
    m2, s2 = realistic_stats(n, d, 2, shift=0.05)
    reference = frechet_distance(m1, s1, m2, s2, method="scipy")
    assert frechet_distance(m1, s1, m2, s2, method="eigvals") == pytest.approx(reference, rel=1e-6)
    assert frechet_distance(m1, s1, m2, s2, method="eigh") == pytest.approx(reference, rel=1e-3)
    with pytest.raises(InputError, match="method"):
        frechet_distance(m1, s1, m2, s2, method="fast")
