"""One-pass evaluation, the feature cache, bootstrap intervals, stateful metrics, and the CLI."""
import csv
import io
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import ganmetrics
from ganmetrics.cli import main
from ganmetrics.evaluation import extract_features

from helpers import runner_for


@pytest.fixture(scope="module")
def opts(weights_file):
    return runner_for(weights=weights_file, device="cpu", workers=0)


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_is_and_kid_match_torch_fidelity_end_to_end(image_sets, weights_file, opts):
    torch_fidelity = pytest.importorskip("torch_fidelity")
    common = dict(cuda=False, feature_extractor_weights_path=str(weights_file), verbose=False, cache=False,
                  save_cpu_ram=True)
    # torch-fidelity computes IS on input1 and draws KID subsets from input1 first, as we draw from A first
    their_is = torch_fidelity.calculate_metrics(input1=str(image_sets["fake"]), isc=True, isc_splits=3,
                                                samples_shuffle=False, **common)
    their_kid = torch_fidelity.calculate_metrics(input1=str(image_sets["real"]), input2=str(image_sets["fake"]),
                                                 kid=True, kid_subsets=5, kid_subset_size=10, rng_seed=2020, **common)
    results = {r.metric: r for r in ganmetrics.evaluate(image_sets["real"], image_sets["fake"], ["is", "kid"],
                                                        splits=3, kid_subsets=5, kid_subset_size=10, is_order="file", runner=opts)}
    assert results["is"].value == pytest.approx(their_is["inception_score_mean"], rel=1e-5)
    assert results["is"].std == pytest.approx(their_is["inception_score_std"], rel=1e-3, abs=1e-6)
    # same subsets; torch-fidelity evaluates the kernel in float32, we in float64
    assert results["kid"].value == pytest.approx(their_kid["kernel_inception_distance_mean"], rel=1e-4)


def test_eval_json_csv_and_table(image_sets, weights_file):
    args = ["eval", image_sets["real"], image_sets["fake"], "--weights", weights_file, "--workers", "0",
            "--metrics", "is,kid,prdc", "--subset-size", "10", "--subsets", "5", "--splits", "3", "--k-dc", "3"]
    out = json.loads(cli(*args, "--json").stdout)
    for key in ("is", "is_std", "kid", "kid_std", "precision", "recall", "density", "coverage", "n_a", "n_b",
                "extractor", "resize", "layout", "seed"):
        assert key in out
    assert out["n_a"] == out["n_b"] == 12 and 0 <= out["precision"] <= 1
    rows = list(csv.DictReader(io.StringIO(cli(*args, "--csv").stdout)))
    assert len(rows) == 1 and float(rows[0]["kid"]) == pytest.approx(out["kid"])
    table = cli(*args).stdout
    assert table.splitlines()[0].startswith("IS:") and "precision:" in table


def test_feature_cache_is_reused_and_keyed(image_sets, weights_file, tmp_path, monkeypatch):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for p in sorted(image_sets["real"].iterdir())[:4]:
        (folder / p.name).write_bytes(p.read_bytes())
    opts = runner_for(weights=weights_file, device="cpu", workers=0)
    first = extract_features(folder, opts, cache=True)
    cached = list((tmp_path / "cache" / "features").glob("*.npz"))
    assert len(cached) == 1

    calls = []
    original = opts.extractor.__class__.__call__
    monkeypatch.setattr(opts.extractor.__class__, "__call__", lambda self, x: calls.append(1) or original(self, x))
    again = extract_features(folder, opts, cache=True)
    assert calls == [] and np.array_equal(again.features, first.features)        # served from the cache

    (folder / "00000.png").write_bytes((image_sets["fake"] / "00000.png").read_bytes())  # content changes
    changed = extract_features(folder, opts, cache=True)
    assert calls and not np.array_equal(changed.features, first.features)        # recomputed, not stale
    other_mode = runner_for(weights=weights_file, device="cpu", workers=0, resize="pytorch-fid")
    extract_features(folder, other_mode, cache=True)
    assert len(list((tmp_path / "cache" / "features").glob("*.npz"))) == 3  # one entry per content/mode


def test_bootstrap_intervals_are_seeded_and_bracket_the_estimate(image_sets, opts):
    kw = dict(metrics=["is", "prdc"], splits=2, ci=0.9, n_boot=50, runner=opts, k_pr=2, k_dc=2)
    r1 = {r.metric: r for r in ganmetrics.evaluate(image_sets["real"], image_sets["fake"], seed=1, **kw)}
    r2 = {r.metric: r for r in ganmetrics.evaluate(image_sets["real"], image_sets["fake"], seed=1, **kw)}
    for name, r in r1.items():
        assert r.interval == r2[name].interval                               # deterministic
        lo, hi = r.interval
        assert lo - 1e-9 <= r.value <= hi + 1e-9                          # every interval holds its estimate
    assert r1["is"].metadata["ci"] == 0.9 and r1["is"].metadata["seed"] == 1


def test_fid_bootstrap_on_features():
    from ganmetrics.metrics.bootstrap import bootstrap_interval
    from ganmetrics.metrics.frechet import frechet_distance
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(400, 3)), rng.normal(0.5, 1, size=(400, 3))

    def fid_of(ia, ib):
        return frechet_distance(a[ia].mean(0), np.cov(a[ia], rowvar=False), b[ib].mean(0), np.cov(b[ib], rowvar=False))
    lo, hi = bootstrap_interval(fid_of, [400, 400], n_boot=200, level=0.95, seed=0)
    assert lo < 0.75 < hi and hi - lo < 0.6   # true FID = 3 * 0.25


def test_stateful_metrics_match_the_one_shot_api(image_sets, weights_file):
    real, fake = image_sets["real_array"], image_sets["fake_array"]
    kid_metric = ganmetrics.KID(subsets=5, subset_size=10, weights=weights_file, device="cpu")
    is_metric = ganmetrics.InceptionScore(splits=3, weights=weights_file, device="cpu")
    for chunk in np.array_split(np.arange(12), 3):
        kid_metric.update(torch.from_numpy(real[chunk]).permute(0, 3, 1, 2), real=True)
        kid_metric.update(fake[chunk], real=False)             # numpy NHWC works too
        is_metric.update(fake[chunk] / 255.0)                  # float in [0, 1] works too
    one_shot = {r.metric: r for r in ganmetrics.evaluate(real, fake, ["is", "kid"], splits=3, kid_subsets=5,
                                                         kid_subset_size=10, weights=weights_file, device="cpu")}
    assert kid_metric.compute().value == pytest.approx(one_shot["kid"].value, rel=1e-5)
    assert is_metric.compute().value == pytest.approx(one_shot["is"].value, rel=1e-5)
    is_metric.reset()
    with pytest.raises(ganmetrics.InputError, match="before any update"):
        is_metric.compute()


def test_stateful_fid_with_reference_stats(image_sets, weights_file, tmp_path):
    stats = ganmetrics.compute_stats(image_sets["real"], weights=weights_file, device="cpu", workers=0)
    stats.save(tmp_path / "real.npz")
    metric = ganmetrics.FID(reference=tmp_path / "real.npz", weights=weights_file, device="cpu")
    metric.update(image_sets["fake_array"][:6])
    metric.update(image_sets["fake_array"][6:])
    expected = ganmetrics.fid(tmp_path / "real.npz", image_sets["fake_array"], weights=weights_file, device="cpu")
    assert metric.compute().value == pytest.approx(expected.value, rel=1e-6)
    with pytest.raises(ganmetrics.InputError, match="fixed reference"):
        metric.update(image_sets["real_array"], real=True)


def test_stateful_metrics_take_the_layout(image_sets, weights_file):
    """channels_last=False gives the peers' NCHW layout, as in ganmetrics.fid and the CLI."""
    real, fake = image_sets["real_array"], image_sets["fake_array"]
    metric = ganmetrics.FID(weights=weights_file, device="cpu", channels_last=False)
    metric.update(real, real=True)
    metric.update(fake)
    result = metric.compute()
    expected = ganmetrics.fid(real, fake, weights=weights_file, device="cpu", channels_last=False)
    assert result.metadata["layout"] == "nchw" == expected.metadata["layout"]
    assert result.value == pytest.approx(expected.value, rel=1e-9)
    assert ganmetrics.KID(weights=weights_file, device="cpu")._meta()["layout"] == "channels_last"


def test_eval_errors(image_sets, weights_file, tmp_path):
    r = cli("eval", image_sets["real"], image_sets["fake"], "--metrics", "fid,lpips")
    assert r.exit_code == 2 and "lpips" in r.output
    np.savez(tmp_path / "s.npz", mu=np.zeros(2048), sigma=np.eye(2048))
    r = cli("kid", tmp_path / "s.npz", image_sets["fake"], "--weights", weights_file, "--workers", "0")
    assert r.exit_code == 2 and "holds only statistics" in r.stderr
    r = cli("prdc", image_sets["real"], image_sets["fake"], "--weights", weights_file, "--workers", "0",
            "--k-pr", "20")
    lines = [line for line in r.stderr.strip().splitlines() if not line.startswith("Warning:")]  # once per process
    assert r.exit_code == 2 and "k=20" in r.stderr and len(lines) == 1
    r = cli("is", image_sets["fake"], "--weights", weights_file, "--workers", "0", "--splits", "50")
    assert r.exit_code == 2 and "50 splits" in r.stderr


def test_intervals_against_a_statistics_file_resample_the_evaluated_set_only(image_sets, weights_file, tmp_path):
    """`eval real.npz fake/ --ci` (refused before): the reference statistics are fixed, as in the
    published protocols, so FID's half-samples are drawn from the fake features alone."""
    from ganmetrics.config import DEFAULTS
    from ganmetrics.metrics.bootstrap import BOUNDS, resampled_interval
    from ganmetrics.metrics.frechet import frechet_distance_to_features
    stats = ganmetrics.compute_stats(image_sets["real"], weights=weights_file, device="cpu", workers=0)
    stats.save(tmp_path / "real.npz")
    r = cli("eval", tmp_path / "real.npz", image_sets["fake"], "--metrics", "fid", "--ci", "0.9", "--n-boot", "20",
            "--weights", weights_file, "--workers", "0", "--device", "cpu", "--json")
    assert r.exit_code == 0, r.stderr
    got = json.loads(r.stdout)
    value, interval = got["fid"], [got["fid_ci_low"], got["fid_ci_high"]]
    fake = extract_features(image_sets["fake"], ganmetrics.evaluation.make_runner(
        None, weights=weights_file, device="cpu", workers=0)[0]).features.astype(np.float64)
    expected, _ = resampled_interval(lambda ib: frechet_distance_to_features(stats.mu, stats.sigma, fake[ib]),
                                     [len(fake)], value, 20, 0.9, DEFAULTS.seed, "half", BOUNDS["fid"])
    assert interval == pytest.approx(list(expected), rel=1e-6)
    assert interval[0] <= value <= interval[1] and expected[1] > expected[0]


def test_interval_replicates_show_a_progress_bar_only_when_asked(capsys):
    """100 FIDs on 2048-d features take minutes on a CPU: with progress on (the CLI on a terminal
    without --quiet) the replicates draw a bar on stderr naming the metric and the count; off, not a
    character; the interval is the same either way. compare's paired replicates likewise."""
    from types import SimpleNamespace
    from ganmetrics.evaluation import evaluate_space
    from ganmetrics.features.runner import FeatureSet
    from ganmetrics.metrics import registry
    from ganmetrics.report.compare import _paired_bootstrap
    rng = np.random.default_rng(3)
    a = FeatureSet("real", {"features": rng.normal(size=(80, 6))}, {"extractor": "test"})
    b = FeatureSet("fake", {"features": 0.2 + rng.normal(size=(80, 6))}, {"extractor": "test"})
    specs = [registry.get_metric(m) for m in ("fid", "precision")]
    params = {**registry.param_defaults(specs), "seed": 0}
    quiet = SimpleNamespace(device="cpu", extraction=SimpleNamespace(progress=False))
    shown = SimpleNamespace(device="cpu", extraction=SimpleNamespace(progress=True))
    silent = evaluate_space(specs, a, b, params, quiet, 0.9, 12, 0, False)
    assert capsys.readouterr().err == ""
    loud = evaluate_space(specs, a, b, params, shown, 0.9, 12, 0, False)
    err = capsys.readouterr().err
    assert "fid 90% interval" in err and "precision 90% interval" in err and "/12" in err, err
    assert [(r.value, r.interval) for r in loud] == [(r.value, r.interval) for r in silent]
    entries = [SimpleNamespace(features=b)]
    reps = _paired_bootstrap(a, entries, specs[:1], params, 8, 0, "cpu", progress=True)
    err = capsys.readouterr().err
    assert "paired replicates of fid" in err and "/8" in err, err
    assert np.array_equal(reps["fid"], _paired_bootstrap(a, entries, specs[:1], params, 8, 0, "cpu")["fid"])
    assert capsys.readouterr().err == ""
