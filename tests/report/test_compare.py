"""Comparison reports: known orders, paired significance, caching, atomic report files, budget curves,
and the HTML rendered in a real (headless) Chromium."""
import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import ganmetrics
from ganmetrics.features.runner import FeatureRunner
from ganmetrics.report import render
from ganmetrics.report.budget import budget_table, expected_best
from ganmetrics.report.compare import compare
from ganmetrics.train import TrainConfig, train
from helpers import assert_one_line_error, run, smooth_images, write_folder, runner_for

NOISE = {"001000": 60.0, "002000": 25.0, "003000": 4.0}  # later steps: closer to the reference


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """A reference folder and three sample folders whose quality improves with the step."""
    root = tmp_path_factory.mktemp("compare")
    write_folder(root / "real", smooth_images(24, 32, seed=1))
    rng = np.random.default_rng(0)
    for name, sigma in NOISE.items():
        images = smooth_images(24, 32, seed=int(name)).astype(float) + rng.normal(0, sigma, (24, 32, 32, 3))
        write_folder(root / "samples" / name, np.clip(np.rint(images), 0, 255).astype(np.uint8))
    return root


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("feature-cache")


@pytest.fixture
def opts(weights_file, module_cache, monkeypatch):
    """Extractor options; the feature cache is shared by this module's tests (each folder is extracted once)."""
    monkeypatch.setenv("GANMETRICS_CACHE", str(module_cache))
    return runner_for(weights=weights_file, device="cpu", workers=0)


def folders(sets):
    return [sets / "samples" / n for n in NOISE]


def test_a_set_against_itself_is_inside_its_intervals_and_never_significant(sets, opts):
    """The issue's case: `compare` of a set with itself showed -0.0001 [27.89, 52.25]."""
    same = sets / "samples" / "002000"
    result = compare([same, same], sets / "real", ["fid", "prdc"], names=["a", "b"], n_boot=20, runner=opts)
    t = result.table.set_index("name")
    for m in ("fid", "precision", "recall", "density", "coverage"):
        for name in ("a", "b"):
            assert t.loc[name, f"{m}_ci_low"] <= t.loc[name, m] <= t.loc[name, f"{m}_ci_high"], m
        assert (t[f"{m}_rank"] == 1).all()                      # identical sets tie
        assert not t[f"{m}_best_is_better"].fillna(False).any() and t[f"{m}_p_vs_best"].dropna().eq(1).all(), m


def test_known_order_ranks_and_significance(sets, opts):
    # 24 images per set: the honest (half-sampling) spread of the difference puts the noisiest set's
    # p-value near 0.1, so significance is judged at the 80% level here
    result = compare(folders(sets), sets / "real", ["fid", "prdc"], n_boot=25, ci=0.8, runner=opts)
    t = result.table.set_index("name")
    assert list(t["step"]) == [1000, 2000, 3000]
    # less noise, better: the order is known
    assert list(t["fid_rank"]) == [3, 2, 1] and t["fid"].is_monotonic_decreasing
    assert t.loc["003000", "precision"] > t.loc["001000", "precision"]
    assert result.best["fid"] == "003000"
    assert bool(t.loc["001000", "fid_best_is_better"]) and t.loc["001000", "fid_p_vs_best"] < 0.2
    assert pd.isna(t.loc["003000", "fid_p_vs_best"])
    assert (t["fid_ci_low"] < t["fid_ci_high"]).all()
    assert result.replicates["fid"].shape == (3, 25)


def test_same_distribution_is_not_significant(sets, opts, tmp_path):
    """Two sample sets of one distribution: no significant difference (the test does not flap on noise)."""
    a = smooth_images(24, 32, seed=50)
    b = smooth_images(24, 32, seed=51)
    result = compare([a, b], sets / "real", ["fid", "kid"], names=["a", "b"], n_boot=30, runner=opts,
                     kid_subset_size=24, kid_subsets=5)
    worse = result.table[result.table["fid_rank"] == 2].iloc[0]
    assert not worse["fid_best_is_better"] and not worse["kid_best_is_better"]
    assert worse["fid_p_vs_best"] > 0.1


def test_adding_an_input_extracts_only_that_input(sets, opts, monkeypatch, tmp_path):
    monkeypatch.setenv("GANMETRICS_CACHE", str(tmp_path / "empty-cache"))
    calls = []
    original = FeatureRunner.run

    def counting_run(self, source):
        calls.append(source.name)
        yield from original(self, source)

    monkeypatch.setattr(FeatureRunner, "run", counting_run)
    first = compare(folders(sets)[:2], sets / "real", ["fid"], ci=None, runner=opts)
    assert len(calls) == 3
    calls.clear()
    second = compare(folders(sets), sets / "real", ["fid"], ci=None, runner=opts)
    assert len(calls) == 1 and calls[0].endswith("003000")
    pd.testing.assert_series_equal(first.table["fid"], second.table["fid"][:2])


def test_report_files_and_cli(sets, opts, weights_file, tmp_path):
    out = tmp_path / "report"
    r = run("compare", *folders(sets), "--ref", sets / "real", "--metrics", "fid,kid,is", "--n-boot", 10,
            "--subset-size", 24, "--subsets", 5, "--splits", 2, "--weights", weights_file, "--workers", 0,
            "--device", "cpu", "-o", out)
    assert r.exit_code == 0, r.output
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert "FID" in lines[0] and lines[1].split()[1] == "003000"  # ranked table, best first
    results = json.loads((out / "results.json").read_text())
    assert [row["name"] for row in results["results"]] == list(NOISE)
    assert results["metadata"]["n_boot"] == 10 and results["metadata"]["weights_sha256"]
    csv = pd.read_csv(out / "results.csv")
    assert list(csv["fid_rank"]) == [3, 2, 1] and {"kid_ci_low", "is_p_vs_best"} <= set(csv.columns)
    html = (out / "report.html").read_text()
    assert html.count("<img") == 4 and "http" not in html.split("<body>")[1]  # 3 grids + 1 plot, offline
    md = (out / "report.md").read_text()
    assert "| 1 | **003000** |" in md and "(grids/003000.png)" in md
    for f in ("grids/001000.png", "plots/metrics_vs_step.png"):
        assert (out / f).read_bytes()[:4] == b"\x89PNG"


def test_interrupted_runs_leave_the_old_report_intact(sets, opts, tmp_path, monkeypatch):
    out = tmp_path / "report"
    render.write_report(compare(folders(sets)[:2], sets / "real", ["fid"], ci=None, runner=opts), out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    # interrupted while extracting (Ctrl-C): nothing is written
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    with monkeypatch.context() as m:
        m.setattr(ganmetrics.report.compare, "extract_features", interrupted)
        with pytest.raises(KeyboardInterrupt):
            render.write_report(compare(folders(sets), sets / "real", ["fid"], ci=None, runner=opts), out)

    # interrupted in the middle of writing a file: that file keeps its old content, no temp files stay
    new = compare(folders(sets), sets / "real", ["fid"], ci=None, runner=opts)
    real_atomic_write = render.atomic_write

    def failing_atomic_write(path, mode="wb"):
        if path.name == "results.json":
            with real_atomic_write(path, mode) as f:
                f.write(b'{"half": ')
                raise KeyboardInterrupt
        return real_atomic_write(path, mode)
    monkeypatch.setattr(render, "atomic_write", failing_atomic_write)
    with pytest.raises(KeyboardInterrupt):
        render.write_report(new, out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after[out.joinpath("results.json").relative_to(out)] == before[out.joinpath("results.json").relative_to(out)]
    assert after[out.joinpath("report.html").relative_to(out)] == before[out.joinpath("report.html").relative_to(out)]
    assert not [p for p in out.rglob(".*.tmp")]
    json.loads((out / "results.json").read_text())


def test_stats_reference_and_checkpoints_sampled_on_the_fly(sets, opts, weights_file, tmp_path):
    stats = tmp_path / "real_stats.npz"
    ganmetrics.compute_stats(sets / "real", runner=opts).save(stats)
    result = compare(folders(sets), stats, ["fid"], n_boot=5, runner=opts)
    assert list(result.table["fid_rank"]) == [3, 2, 1]
    direct = ganmetrics.fid(stats, folders(sets)[2], runner=opts).value
    assert result.table["fid"].iloc[2] == pytest.approx(direct, rel=1e-7)  # two exact routes (features vs stats)
    assert_one_line_error(run("compare", *folders(sets), "--ref", stats, "--metrics", "fid,kid", "--weights",
                              weights_file), "supports FID, FID_inf only", "give reference images for kid")

    run_dir = tmp_path / "run"
    train(TrainConfig(algo="wgan-gp", data="shapes32", out=str(run_dir), steps=2, eval_every=1, eval_samples=16,
                      batch_size=8, n_train=64), log=open("/dev/null", "w"))
    ckpts = sorted(run_dir.glob("ckpt_*.pt"))
    from ganmetrics.report.compare import SamplerOptions
    result = compare(ckpts, sets / "real", ["fid"], ci=None, sampler=SamplerOptions(n=12, seed=1), runner=opts)
    assert list(result.table["step"]) == [1, 2] and list(result.table["n"]) == [12, 12]
    assert result.previews["ckpt_0000002"].shape == (12, 3, 32, 32)


def test_bad_inputs(sets, weights_file, tmp_path):
    assert_one_line_error(run("compare", sets / "samples" / "001000", "--ref", tmp_path / "nope", "--weights",
                              weights_file), "nope")
    assert_one_line_error(run("compare", tmp_path / "missing", "--ref", sets / "real", "--weights", weights_file),
                          "missing")
    assert_one_line_error(run("compare", *folders(sets), "--ref", sets / "real", "--names", "a,b",
                              "--weights", weights_file), "--names")


# ----------------------------------------------------------------------------- budget


def test_expected_best_closed_form():
    scores = np.array([30.0, 22.0, 41.0, 25.0, 60.0])
    assert expected_best(scores, 1) == pytest.approx(scores.mean())
    assert expected_best(scores, 500) == pytest.approx(scores.min(), abs=1e-9)
    assert expected_best(scores, 3, lower_is_better=False) > expected_best(scores, 1, lower_is_better=False)
    rng = np.random.default_rng(0)
    draws = scores[rng.integers(0, 5, (200_000, 3))].min(axis=1)  # Monte Carlo of the best of 3 runs
    assert expected_best(scores, 3) == pytest.approx(draws.mean(), abs=0.1)
    values = [expected_best(scores, k) for k in range(1, 20)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_budget_command_compares_models_at_equal_budget(tmp_path):
    rng = np.random.default_rng(1)
    # A: steady around 30; B: mostly bad with one lucky run below A's best
    runs = pd.DataFrame({"model": ["A"] * 10 + ["B"] * 10,
                         "fid": np.r_[30 + rng.normal(0, 1, 10), [20.0] + list(60 + rng.normal(0, 5, 9))]})
    runs.to_csv(tmp_path / "runs.csv", index=False)
    table = budget_table(runs, "fid", "model", max_budget=100, n_boot=200)
    at = table.set_index(["model", "budget"])["expected_best"]
    assert at["A", 1] < at["B", 1] and at["A", 10] < at["B", 10]  # at the budget tried, A is the better model
    assert at["B", 100] < at["A", 100]        # B's single lucky run wins only with ten times that budget
    r = run("budget", tmp_path / "runs.csv", "--metric", "fid", "--by", "model", "-o", tmp_path / "b.png",
            "--csv", tmp_path / "b.csv", "--n-boot", 100)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "b.png").read_bytes()[:4] == b"\x89PNG"
    curves = pd.read_csv(tmp_path / "b.csv")
    assert (curves["ci_low"] <= curves["expected_best"] + 1e-9).all()
    assert_one_line_error(run("budget", tmp_path / "runs.csv", "--metric", "kid"), "no column 'kid'")


# ----------------------------------------------------------------------------- a real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
PROBE = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  document.body.setAttribute('data-images', imgs.length);
  document.body.setAttribute('data-decoded', imgs.filter(i => i.complete && i.naturalWidth > 0).length);
  document.body.setAttribute('data-rows', document.querySelectorAll('#results tbody tr').length);
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(sets, opts, tmp_path):
    out = tmp_path / "report"
    render.write_report(compare(folders(sets), sets / "real", ["fid", "prdc"], n_boot=10, runner=opts), out)
    # a copy with a probe script that records what the browser actually decoded
    probed = tmp_path / "probed.html"
    probed.write_text((out / "report.html").read_text().replace("</body>", PROBE + "</body>"))
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
                          probed.as_uri()], capture_output=True, text=True, timeout=120).stdout
    body = re.search(r"<body([^>]*)>", dom).group(1)
    attrs = dict(re.findall(r'data-(\w+)="(\d+)"', body))
    assert attrs == {"images": "4", "decoded": "4", "rows": "3"}, body
    assert "003000" in re.search(r'<table id="results">.*?</table>', dom, re.S).group(0)


def test_tiny_sets_get_no_interval_rather_than_a_failed_report(tmp_path, monkeypatch):
    """Resamples of a 6-image reference hold 3 rows or fewer, fewer than k + 1 for density/coverage:
    the k-NN metrics get no interval (one warning each) and the report still comes out."""
    from ganmetrics.features import registry as extractors
    from helpers import tiny_extractor

    extractors.register_extractor("tiny-cmp", lambda weights=None, device="cpu": tiny_extractor("tiny-cmp", device))
    try:
        real = write_folder(tmp_path / "real", smooth_images(6, size=16, seed=1))
        sets = [write_folder(tmp_path / f"s{i}", smooth_images(12, size=16, seed=2 + i)) for i in range(2)]
        with pytest.warns(UserWarning, match="density: no interval"):
            result = compare(sets, real, ["fid", "prdc"], n_boot=10, cache=False, features="tiny-cmp", device="cpu",
                             workers=0)
        assert "fid_ci_low" in result.table and "density_ci_low" not in result.table
        assert result.table["density"].notna().all()
    finally:
        extractors._FACTORIES.pop("tiny-cmp")


def test_knn_metrics_are_resampled_in_cuts_shared_with_the_reference():
    # compare's replicates for P/R/D/C (interval "split"): each cut gives two disjoint halves and
    # four disjoint quarters, the same piece of the reference and of every input in one replicate;
    # other metrics keep independent halves.
    from types import SimpleNamespace
    from ganmetrics.features.runner import FeatureSet
    from ganmetrics.metrics import registry
    from ganmetrics.metrics.bootstrap import split_replicates
    from ganmetrics.report.compare import _paired_bootstrap
    seen = []

    def probe(a, b, params, ctx):
        return registry.Estimate(0.0, sides=("a", "b"),
                                 replicate=lambda ia, ib: seen.append((ia, ib)) or float(len(seen)))
    rng = np.random.default_rng(0)
    ref = FeatureSet("ref", {"features": rng.normal(size=(40, 3))})
    entries = [SimpleNamespace(features=FeatureSet(n, {"features": rng.normal(size=(m, 3))}))
               for n, m in (("x", 30), ("y", 26))]
    for split in (True, False):
        seen.clear()
        spec = registry.MetricSpec("probe", probe, interval="split" if split else "half")
        n_rep = split_replicates(10) if split else 6                    # 5 cuts of 6 pieces, or 6 halves
        out = _paired_bootstrap(ref, entries, [spec], {}, n_rep, 0, "cpu", split=split)
        assert out["probe"].shape == (2, n_rep)
        by_rep = [seen[2 * r: 2 * r + 2] for r in range(n_rep)]       # per replicate: (x, y)
        for (ra, xa), (ra2, ya) in by_rep:
            assert np.array_equal(ra, ra2)                              # one reference piece per replicate
        sizes = [(len(r), len(x), len(y)) for (r, x), (_, y) in by_rep]
        if not split:
            assert sizes == [(20, 15, 13)] * 6
            (ra, xa), _ = by_rep[0]
            (rb, xb), _ = by_rep[1]
            assert set(ra) & set(rb) and set(xa) & set(xb)              # independent halves overlap
            continue
        assert sizes == ([(20, 15, 13)] * 2 + [(10, 7, 6)] * 4) * 5
        for c in range(5):
            block = by_rep[6 * c: 6 * c + 6]
            for side in range(3):
                pieces = [(rep[0][0], rep[0][1], rep[1][1])[side] for rep in block]
                assert not set(pieces[0]) & set(pieces[1])              # halves disjoint
                quarters = np.concatenate(pieces[2:])
                assert len(set(quarters)) == len(quarters)              # quarters disjoint


def test_too_few_replicates_for_the_knn_intervals_are_refused_before_any_extraction(tmp_path):
    from ganmetrics.errors import InputError
    missing = tmp_path / "not-read"          # never opened: the check comes first
    with pytest.raises(InputError, match=r"--n-boot 4: .*at least 10"):
        compare([missing], missing, ["fid", "prdc"], n_boot=4)
    with pytest.raises(InputError, match=r"--n-boot 9: .*at least 10"):
        ganmetrics.evaluate(missing, missing, ["precision"], ci=0.9, n_boot=9)
    with pytest.raises(InputError, match="does not exist|no such|not found|No such"):
        ganmetrics.evaluate(missing, missing, ["precision"], ci=None, n_boot=4)   # no interval: no check


def test_p_values_print_as_below_0001_or_na():
    from types import SimpleNamespace
    cmp = SimpleNamespace(metrics=["precision"])
    row = {"precision": 0.5, "precision_rank": 2, "precision_p_vs_best": 3e-6, "precision_best_is_better": True}
    assert render._cells(cmp, row) == ["0.5000 p<0.001*"]
    assert render._cells(cmp, {**row, "precision_p_vs_best": float("nan"),
                               "precision_best_is_better": pd.NA}) == ["0.5000 p=n/a"]
    assert render._cells(cmp, {**row, "precision_p_vs_best": 0.0123}) == ["0.5000 p=0.012*"]
