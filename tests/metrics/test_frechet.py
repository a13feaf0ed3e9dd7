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



def test_feature_space_form_equals_covariance_form():
    """Full rank (N > d): equal to the covariance form; also on a bootstrap resample (repeated rows)."""
    from ganmetrics.metrics.frechet import frechet_distance_features
    rng = np.random.default_rng(3)
    d = 100
    mix = rng.normal(size=(d, d)) * (np.arange(1, d + 1) ** -0.7)[None, :]
    x1 = np.abs(rng.normal(size=(400, d)) @ mix.T)
    x2 = np.abs(rng.normal(size=(300, d)) @ mix.T + 0.1)
    x2 = x2[rng.integers(0, 300, 300)]
    reference = frechet_distance(x1.mean(0), np.cov(x1, rowvar=False), x2.mean(0), np.cov(x2, rowvar=False),
                                 method="scipy")
    assert frechet_distance_features(x1, x2) == pytest.approx(reference, rel=1e-9)
    assert frechet_distance_features(x1, x1) == pytest.approx(0, abs=1e-9)
    with pytest.raises(InputError, match="same d"):
        frechet_distance_features(x1, x2[:, :10])


def test_feature_space_form_is_exact_when_rank_deficient():
    """N < d: the covariance form carries sqrt(rounding noise) from its d - N zero eigenvalues;
    the feature form matches a 50-digit computation of the covariance form."""
    mpmath = pytest.importorskip("mpmath")
    from ganmetrics.metrics.frechet import frechet_distance_features
    rng = np.random.default_rng(4)
    x1, x2 = rng.normal(size=(12, 40)), rng.normal(size=(15, 40)) + 0.3
    mpmath.mp.dps = 50

    def cov(x):  # in 50 digits from the float64 samples, so the zero eigenvalues stay zero
        m = mpmath.matrix(x.tolist())
        mean = [mpmath.fsum(m[i, j] for i in range(m.rows)) / m.rows for j in range(m.cols)]
        c = mpmath.matrix(m.rows, m.cols)
        for i in range(m.rows):
            for j in range(m.cols):
                c[i, j] = m[i, j] - mean[j]
        return c.T * c / (m.rows - 1), mean

    (c1, m1), (c2, m2) = cov(x1), cov(x2)
    eig = mpmath.eig(c1 * c2, left=False, right=False)
    tr_sqrt = sum(mpmath.sqrt(max(mpmath.re(e), 0)) for e in eig)
    exact = float(sum((a - b) ** 2 for a, b in zip(m1, m2)) + sum(c1[i, i] + c2[i, i] for i in range(40))
                  - 2 * tr_sqrt)
    assert frechet_distance_features(x1, x2) == pytest.approx(exact, rel=1e-10)


@pytest.mark.parametrize("n2", [30, 150])  # below and above d
def test_stats_to_features_form(n2):
    from ganmetrics.metrics.frechet import frechet_distance_to_features
    rng = np.random.default_rng(5)
    d = 80
    m1, s1 = rng.normal(size=d), random_spd(d, rng)
    x2 = rng.normal(size=(n2, d)) * np.linspace(0.2, 2, d)
    reference = frechet_distance(m1, s1, x2.mean(0), np.cov(x2, rowvar=False), method="scipy")
    assert frechet_distance_to_features(m1, s1, x2) == pytest.approx(reference, rel=1e-7)
    # with a torch device the covariance is computed there (on a GPU: FID_inf's 15 subsets)
    assert frechet_distance_to_features(m1, s1, x2, "cpu") == pytest.approx(reference, rel=1e-7)
    with pytest.raises(InputError, match="do not fit"):
        frechet_distance_to_features(m1[:5], s1, x2)


# ----------------------------------------------------------------------------- routes (issue 18)
from ganmetrics.metrics.frechet import (frechet_distance_features, frechet_distance_features_info,  # noqa: E402
                                        frechet_distance_info,
                                        frechet_distance_of_features_info)


def realistic_features(n, d, seed, shift=0.0):
    mix = np.random.default_rng(99).normal(size=(d, d)) * (np.arange(1, d + 1) ** -0.7)[None, :]
    return np.abs(np.random.default_rng(seed).normal(size=(n, d)) @ mix.T + shift)


def test_cholesky_route_is_the_default_for_full_rank_and_matches_scipy():
    d = 256
    m1, s1 = realistic_stats(2000, d, 1)
    m2, s2 = realistic_stats(2000, d, 2, shift=0.05)
    reference = frechet_distance(m1, s1, m2, s2, method="scipy")
    value, info = frechet_distance_info(m1, s1, m2, s2)
    assert info["sqrtm_route"] == "cholesky" and info["sqrtm"] == "auto" and info["sqrtm_device"] == "cpu"
    assert value == pytest.approx(reference, rel=1e-9)
    assert frechet_distance(m1, s1, m2, s2, method="cholesky") == value
    # the closed form with commuting covariances, through the Cholesky route
    a, b = np.linspace(0.1, 3, d), np.linspace(2, 0.5, d)
    value, info = frechet_distance_info(m1, np.diag(a), m1, np.diag(b))
    assert info["sqrtm_route"] == "cholesky"
    assert value == pytest.approx(np.sum((np.sqrt(a) - np.sqrt(b)) ** 2), rel=1e-10)


def test_singular_covariance_takes_the_low_rank_route_and_says_so():
    d = 64
    f1, f2 = realistic_features(30, d, 1), realistic_features(500, d, 2, shift=0.05)  # N1 < d: Σ1 singular
    m1, s1, m2, s2 = f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False)
    exact = frechet_distance_features(f1, f2)  # the feature-matrix form: no d x d eigenproblem
    for kw in ({}, {"n1": 30, "n2": 500}, {"n1": 500, "n2": 30, "swap": True}):
        args = (m2, s2, m1, s1) if kw.pop("swap", False) else (m1, s1, m2, s2)
        value, info = frechet_distance_info(*args, **kw)  # found by Cholesky, or known from the counts
        assert info["sqrtm_route"] == "lowrank"
        assert value == pytest.approx(exact, rel=1e-10)
    # the non-symmetric routes carry the square roots of rounding-level eigenvalues
    assert frechet_distance(m1, s1, m2, s2, method="eigvals") == pytest.approx(exact, rel=1e-5)
    with pytest.raises(InputError, match="sigma1 is singular"):
        frechet_distance(m1, s1, m2, s2, method="cholesky")
    # a singular covariance whose Cholesky succeeds (a tiny positive pivot) is caught too
    s3 = np.diag(np.r_[np.ones(d - 1), 1e-14])
    assert frechet_distance_info(m2, s3, m2, s2)[1]["sqrtm_route"] == "lowrank"
    # duplicated samples: fewer columns than n - 1; zero covariance: no columns
    dup = np.repeat(f1[:5], 4, axis=0)
    assert frechet_distance(dup.mean(0), np.cov(dup, rowvar=False), m2, s2, n1=20) == pytest.approx(
        frechet_distance_features(dup, f2), rel=1e-9)
    assert frechet_distance(m1, np.zeros((d, d)), m2, s2, n1=2) == pytest.approx(
        np.sum((m1 - m2) ** 2) + np.trace(s2), rel=1e-12)


def test_set_against_itself_statistics_only_is_zero_to_rounding():
    d = 128
    f = realistic_features(8, d, 3)  # 8 samples: rank 7
    mu, sigma = f.mean(0), np.cov(f, rowvar=False)
    for kw in ({"n1": 8, "n2": 8}, {}):
        value, info = frechet_distance_info(mu, sigma, mu, sigma, **kw)
        assert info["sqrtm_route"] == "lowrank" and 0.0 <= value < 1e-12 * np.trace(sigma)
        assert -1e-12 * np.trace(sigma) < info.get("fid_raw", 0.0) <= 0.0
    # today's route: a negative at about 1e-7 of the traces, reported as 0 with the raw value kept
    value, info = frechet_distance_info(mu, sigma, mu, sigma, method="eigvals")
    assert value == 0.0 and -1e-6 * 2 * np.trace(sigma) <= info["fid_raw"] < -1e-12 * np.trace(sigma)
    # with the features at hand the exact small-sample route gives zero to rounding
    value, info = frechet_distance_features_info(f, f)
    assert info["sqrtm_route"] == "features" and 0.0 <= value < 1e-12 * np.trace(sigma)


def test_clearly_negative_distance_is_an_error_naming_the_culprit():
    # Σ2 = diag(1, -2) is not a covariance: the formula gives 2 + (-1) - 2 * 1 = -1
    with pytest.raises(InputError, match="negative.*sigma2 is not a covariance matrix"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.diag([1.0, -2.0]))


@pytest.mark.parametrize("what", ["sigma", "mu"])
def test_overflowing_values_are_input_errors(what):
    d = 4
    mu, sigma = np.zeros(d), np.eye(d)
    big = (mu, sigma * 1e300) if what == "sigma" else (np.full(d, 1e200), sigma)
    with pytest.raises(InputError, match=f"{what}2 has values up to 1e\\+(300|200).*overflow"):
        frechet_distance(mu, sigma, *big)


@pytest.mark.parametrize("n1,n2", [(40, 50), (40, 400), (400, 40), (400, 500)])
def test_features_routes_are_exact(n1, n2):
    d = 64
    f1, f2 = realistic_features(n1, d, 1), realistic_features(n2, d, 2, shift=0.05)
    value, info = frechet_distance_of_features_info(f1, f2)
    assert info["sqrtm_route"] == ("cholesky" if min(n1, n2) > d else "features")
    # reference: scipy's sqrtm on the sample covariances (exact up to its own rounding)
    reference = frechet_distance(f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False),
                                 method="scipy")
    assert value == pytest.approx(reference, rel=1e-6)
    assert frechet_distance_of_features_info(f2, f1)[0] == pytest.approx(value, rel=1e-10)
