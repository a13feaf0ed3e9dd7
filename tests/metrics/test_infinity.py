"""FID_inf and IS_inf (Chong & Forsyth, CVPR 2020): parity with the authors' recipe, the
extrapolation against a closed form, and the metrics through evaluate."""
import numpy as np
import pytest
from scipy import linalg

from ganmetrics.errors import InputError
from ganmetrics.evaluation import evaluate_space
from ganmetrics.features.runner import FeatureSet
from ganmetrics.metrics import registry
from ganmetrics.metrics.frechet import frechet_distance_to_features
from ganmetrics.metrics.infinity import extrapolation_sizes, fid_infinity, is_infinity
from ganmetrics.stats import GaussianStats


# --- a transcription of github.com/mchong6/FID_IS_infinity, score_infinity.py (the loops of
# calculate_FID_infinity / calculate_IS_infinity, calculate_FID, numpy_calculate_frechet_distance,
# calculate_inception_score with probabilities), sklearn's LinearRegression as least squares ----

def _reference_fid(mu1, sigma1, mu2, sigma2):
    covmean = linalg.sqrtm(sigma1.dot(sigma2)).real   # the reference passes disp=False (deprecated)
    diff = mu1 - mu2
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def _reference_is(pred):
    kl = pred * (np.log(pred) - np.log(np.expand_dims(np.mean(pred, 0), 0)))
    return np.exp(np.mean(np.sum(kl, 1)))


def _intercept(sizes, values):
    design = np.stack([1 / sizes, np.ones(len(sizes))], 1)
    return np.linalg.lstsq(design, np.asarray(values), rcond=None)[0][1]


def reference_infinity(rows, score, num_im=50000, num_points=15, seed=0):
    """The loop both calculate_FID_infinity and calculate_IS_infinity run, ``score`` on each subset."""
    np.random.seed(seed)
    rows = rows.copy()
    values = []
    batches = np.linspace(5000, num_im, num_points).astype('int32')
    for size in batches:
        np.random.shuffle(rows)
        values.append(score(rows[:size]))
    return _intercept(batches, values)


def test_fid_inf_and_is_inf_equal_the_authors_recipe_at_their_default_50000():
    rng = np.random.default_rng(0)
    d, n = 6, 50000
    real = rng.normal(size=(20000, d)) @ rng.normal(size=(d, d))
    fake = 0.2 + rng.normal(size=(n, d)) @ rng.normal(size=(d, d))
    mu, sigma = real.mean(0), np.cov(real, rowvar=False)
    assert list(extrapolation_sizes(n)) == list(np.linspace(5000, 50000, 15).astype('int32'))
    ours, slope = fid_infinity(mu, sigma, fake, seed=3)
    reference = reference_infinity(
        fake, lambda act: _reference_fid(np.mean(act, axis=0), np.cov(act, rowvar=False), mu, sigma), seed=3)
    assert ours == pytest.approx(reference, rel=1e-9)
    logits = 2 * rng.normal(size=(n, 10))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert is_infinity(logits, seed=5)[0] == pytest.approx(reference_infinity(probs, _reference_is, seed=5), rel=1e-9)
    assert is_infinity(logits, seed=5)[0] != pytest.approx(is_infinity(logits, seed=6)[0], rel=1e-12)


def test_fid_inf_removes_the_1_over_n_bias_of_gaussian_features():
    # real N(0, I) with its exact statistics, fake N(0.1, 1.1^2 I): population FID = d (0.01 + 0.01)
    d, n = 32, 2000
    truth = d * (0.1 ** 2 + (1.1 - 1) ** 2)
    at_n, at_inf = [], []
    for seed in range(8):
        fake = 0.1 + 1.1 * np.random.default_rng(seed).normal(size=(n, d))
        at_n.append(frechet_distance_to_features(np.zeros(d), np.eye(d), fake))
        at_inf.append(fid_infinity(np.zeros(d), np.eye(d), fake, seed=seed)[0])
    bias_n, bias_inf = np.mean(at_n) - truth, np.mean(at_inf) - truth
    assert bias_n > 0.1 and abs(bias_inf) < bias_n / 4      # measured: 0.150 and -0.014 (s.e. 0.015)
    # the covariances on a torch device (a GPU in use; here the CPU through torch): the same numbers
    assert fid_infinity(np.zeros(d), np.eye(d), fake, seed=7, device="cpu")[0] == pytest.approx(at_inf[-1], rel=1e-10)


def test_too_few_samples_for_the_extrapolation_are_refused():
    with pytest.raises(InputError, match="at least 20 samples"):
        fid_infinity(np.zeros(3), np.eye(3), np.zeros((12, 3)))
    with pytest.raises(InputError, match="N x C"):
        is_infinity(np.zeros(30))
    few = FeatureSet("few/", {"features": np.ones((10, 3)), "logits": np.ones((10, 4))})
    with pytest.raises(InputError, match=r"^fid_inf of few/: .*at least 20 samples.*got 10"):
        registry.get_metric("fid_inf").compute(GaussianStats(3).update(np.eye(3)), few, {"seed": 0}, registry.Context())
    with pytest.raises(InputError, match=r"^is_inf of few/: "):
        registry.get_metric("is_inf").compute(None, few, {"seed": 0}, registry.Context())


def test_fid_inf_and_is_inf_through_evaluate_with_intervals():
    rng = np.random.default_rng(1)
    a = FeatureSet("real", {"features": rng.normal(size=(400, 8))}, {"extractor": "test"})
    b = FeatureSet("fake", {"features": 0.3 + rng.normal(size=(400, 8)), "logits": 2 * rng.normal(size=(400, 5))},
                   {"extractor": "test"})
    specs = [registry.get_metric(m) for m in ("fid_inf", "is_inf", "fid")]
    params = {**registry.param_defaults(specs), "seed": 0}

    class Runner:
        device = "cpu"
    results = {r.metric: r for r in evaluate_space(specs, a, b, params, Runner(), 0.9, 20, 0, False)}
    ref = GaussianStats(8).update(a.features)
    assert results["fid_inf"].value == pytest.approx(fid_infinity(ref.mu, ref.sigma, b.features)[0], rel=1e-9)
    assert results["is_inf"].value == pytest.approx(is_infinity(b.logits)[0], rel=1e-9)
    assert results["fid_inf"].value < results["fid"].value       # the 1/N bias is positive for FID
    for m in ("fid_inf", "is_inf"):
        lo, hi = results[m].interval
        assert lo <= results[m].value <= hi and hi > lo
    assert results["fid_inf"].metadata["points"] == 15 and results["fid_inf"].metadata["slope"] > 0
    # statistics as the reference (a statistics file) give the same value
    stats = registry.get_metric("fid_inf").compute(ref, b, {"seed": 0}, registry.Context())
    assert stats.value == pytest.approx(results["fid_inf"].value, rel=1e-9)
    assert registry.label("fid_inf") == "FID_inf" and not registry.lower_is_better("is_inf")


def test_result_keys_of_fid_inf_and_is_inf_in_other_spaces_split_at_the_metric_name():
    assert registry.split_key("is_inf_logit-net") == ("is_inf", "logit-net")
    assert registry.split_key("fid_inf_dinov2-vitl14") == ("fid_inf", "dinov2-vitl14")
    assert registry.split_key("fid_dinov2-vitl14") == ("fid", "dinov2-vitl14")
    assert registry.label("is_inf_logit-net") == "IS_inf [logit-net]"
    assert registry.label("fid_inf_dinov2-vitl14") == "FD_inf [dinov2-vitl14]"
    # a space whose name would make FID's key read as another metric is refused, not mislabelled
    with pytest.raises(InputError, match="feature space 'inf'.*'fid_inf'"):
        registry.result_key("fid", "inf", ["inception-v3-fid", "inf"])


def test_non_finite_features_are_refused_naming_the_input():
    a = FeatureSet("real/", {"features": np.random.default_rng(1).normal(size=(30, 4))}, {"extractor": "net"})
    bad = np.random.default_rng(0).normal(size=(30, 4))
    bad[3, 1] = np.nan
    b = FeatureSet("fake-dark/", {"features": bad}, {"extractor": "net"})
    specs = [registry.get_metric("fid_inf")]

    class Runner:
        device = "cpu"
    with pytest.raises(InputError, match=r"^fake-dark/: the features of 1 of 30 samples are NaN"):
        evaluate_space(specs, a, b, {"seed": 0}, Runner(), None, 10, 0, False)
    with pytest.raises(InputError, match=r"^fake-dark/: "):
        evaluate_space(specs, b, a, {"seed": 0}, Runner(), None, 10, 0, False)


def test_cli_eval_and_compare_with_a_statistics_reference(weights_file, tmp_path):
    import json
    from helpers import run, smooth_images, write_folder
    real = write_folder(tmp_path / "real", smooth_images(24, size=32, seed=1))
    fakes = [write_folder(tmp_path / f"fake{k}", smooth_images(24, size=32, seed=2 + k, shift=0.1 * k)) for k in (1, 2)]
    common = ["--weights", weights_file, "--workers", "0", "--device", "cpu"]
    assert run("stats", real, "-o", tmp_path / "real.npz", *common).exit_code == 0
    r = run("eval", tmp_path / "real.npz", fakes[0], "--metrics", "fid_inf,is_inf", "--json", *common)
    assert r.exit_code == 0, r.output
    from_stats = json.loads(r.stdout)
    from_images = json.loads(run("eval", real, fakes[0], "--metrics", "fid_inf", "--json", *common).stdout)
    assert from_stats["fid_inf"] == pytest.approx(from_images["fid_inf"], rel=1e-6)
    # compare: IS_inf ignores the reference, so a statistics file is accepted for it too
    r = run("compare", *fakes, "--ref", tmp_path / "real.npz", "--metrics", "fid_inf,is_inf", "--no-ci", "--json",
            *common)
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)["results"]}
    assert rows["fake1"]["fid_inf"] == pytest.approx(from_stats["fid_inf"], rel=1e-6)
    assert rows["fake1"]["is_inf"] == pytest.approx(from_stats["is_inf"], rel=1e-6)
    r = run("eval", real, tmp_path / "fake1", "--metrics", "fid_inf", "--n-boot", "5", "--ci", "0.9", *common)
    assert r.exit_code == 0 and "no interval at this sample size (its resamples of 12 and 12 rows" in r.output
