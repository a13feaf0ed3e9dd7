"""The interval and network benchmarks run end to end at tiny sizes, so the scripts behind the tables of
docs/metrics.md and docs/benchmarks.md cannot rot (their measurements are long runs, not tests)."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(script, *args):
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_bench_intervals_compares_the_three_prdc_storages_on_the_same_half_samples():
    rows = [r for r in run("bench_intervals.py", "--sizes", "400:8", "400:128", "--replicates", "2", "--threads",
                           "1").splitlines() if r.startswith("| 400 |")]
    assert len(rows) == 2
    assert rows[0].split(" | ")[3] == "neighbours"   # Gaussian pairs in 8-d: the lists
    assert rows[1].split(" | ")[3] == "matrices"     # in 128-d every real point is in most (wider) fake balls
    for row in rows:
        assert re.search(r"\| [\d.]+x \| [\d.]+ / \d+ \|$", row.rstrip()), row


def _bench_coverage_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_coverage", ROOT / "benchmarks" / "bench_coverage.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_bench_coverage_targets_are_leave_one_out_means(capsys):
    """Without truth draws each repetition's target is the mean of the *other* repetitions: here
    that misses every interval, where the plain mean (2.5) would sit in two of the four."""
    bench = _bench_coverage_module()
    records = [{"est": {"fid": v}, "iv": {"fid|half": {"0.9": [v - 0.5, v + 0.5], "0.95": [v - 0.5, v + 0.5]}},
                "alarms": {}} for v in (1.0, 2.0, 3.0, 4.0)]
    bench.table(64, 100, {}, records)
    row = capsys.readouterr().out.strip()
    assert row.startswith("| 64 | 100 | fid | half | 2.5 ") and row.split(" | ")[6:8] == ["0.0%", "0.0%"], row
    bench.table(64, 100, {"fid": (2.5, 0.0, 1.0)}, records)
    assert capsys.readouterr().out.split(" | ")[6:8] == ["50.0%", "50.0%"]


def test_bench_coverage_runs_pool(tmp_path):
    """Two runs saved with other seeds pool into one table over all their repetitions."""
    common = ["--dims", "8", "--ns", "80", "--reps", "3", "--truth-reps", "0", "--metrics", "fid", "prdc",
              "--library-only", "--n-rep", "6", "--prdc-n-rep", "10"]
    for seed in (0, 1):
        run("bench_coverage.py", *common, "--seed", str(seed), "--save", str(tmp_path / "runs.jsonl"))
    lines = (tmp_path / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 6 and len({line for line in lines}) == 6
    pooled = run("bench_coverage.py", "--pool", str(tmp_path / "runs.jsonl"))
    assert "6 repetitions" in pooled
    for metric in ("fid", "precision", "recall", "density", "coverage"):
        assert re.search(rf"\| 8 \| 80 \| {metric} \| half \| [\d.]+ \(± ", pooled), pooled
    for metric in ("precision", "recall", "density", "coverage"):   # the library's P/R/D/C interval, the rule before
        for rule in ("split, extrapolated", r"split at N/2 \(before\)"):
            assert re.search(rf"\| 8 \| 80 \| {metric} \| {rule} \| [\d.]+ \(± ", pooled), pooled


def test_bench_coverage_pools_gzipped_runs_like_plain_ones(tmp_path):
    """The committed runs under benchmarks/results/ are gzip-compressed JSON lines."""
    import gzip
    saved = tmp_path / "runs.jsonl"
    run("bench_coverage.py", "--dims", "8", "--ns", "60", "--reps", "3", "--truth-reps", "0", "--metrics", "fid",
        "--library-only", "--n-rep", "6", "--save", str(saved))
    with gzip.open(tmp_path / "runs.jsonl.gz", "wt") as f:
        f.write(saved.read_text())
    plain = run("bench_coverage.py", "--pool", str(saved))
    assert "| 8 | 60 | fid | half |" in plain
    assert run("bench_coverage.py", "--pool", str(tmp_path / "runs.jsonl.gz")).replace(".jsonl.gz", ".jsonl") == plain
    (tmp_path / "cut.jsonl.gz").write_bytes((tmp_path / "runs.jsonl.gz").read_bytes()[:40])
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_coverage.py"), "--pool",
                          str(tmp_path / "cut.jsonl.gz")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().startswith(f"--pool {tmp_path / 'cut.jsonl.gz'}"), out.stderr


def test_bench_coverage_prdc_alarms_fire_on_a_worse_model_and_are_tabled(tmp_path):
    """prdc_alarms (compare's paired split test and the gate, per P/R/D/C metric): a current set far
    from the baseline's distribution alarms on precision at both levels; a run with gate-prdc
    tables both kinds of false alarm for all four metrics."""
    import argparse
    import numpy as np
    bench = _bench_coverage_module()
    rng = np.random.default_rng(0)
    real = rng.standard_normal((300, 8))
    worse = 2.0 + 3.0 * rng.standard_normal((300, 8))          # far outside the real manifold
    args = argparse.Namespace(shift=0.1, prdc_n_rep=10)
    est = {m: float(v.mean()) for m, v in
           bench.prdc_resampler(real, worse, 3, 5)(np.arange(300), np.arange(300)).items()}
    alarms = bench.prdc_alarms(real, worse, est, args, 0, rng)
    kinds = ("compare paired split, extrapolated", "gate on split, extrapolated")
    assert set(alarms) == {(f"{kind}, {m}", lv) for kind in kinds for m in bench.PRDC for lv in bench.LEVELS}
    assert all(alarms[(f"{kind}, precision", lv)] for kind in kinds for lv in bench.LEVELS)
    out = run("bench_coverage.py", "--dims", "8", "--ns", "80", "--reps", "3", "--truth-reps", "0", "--metrics",
              "gate-prdc", "--library-only", "--prdc-n-rep", "10")
    for kind in kinds:
        for m in ("precision", "recall", "density", "coverage"):
            assert re.search(rf"\| false alarm, {kind}, {m} \| level 95% \| - \| - \| [\d.]+% \(allowed 5%\)", out), out


def test_bench_coverage_shift_makes_prdc_measurable_at_high_d():
    """At d = 2048 the default pair leaves no fake sample in any real ball; the scaled shift does not."""
    common = ["--dims", "2048", "--ns", "60", "--reps", "2", "--truth-reps", "3", "--metrics", "prdc",
              "--library-only", "--prdc-n-rep", "10"]
    far = run("bench_coverage.py", *common)
    near = run("bench_coverage.py", *common, "--shift", f"{0.1 * (64 / 2048) ** 0.5:.4f}")
    for metric, value in (("precision", 0), ("recall", 1), ("density", 0), ("coverage", 0)):
        assert re.search(rf"\| {metric} \| half \| {value} in every draw: degenerate", far), far
        assert re.search(rf"\| {metric} \| half \| 0\.\d+ \(± ", near), near
    assert "degenerate" not in near


def test_bench_coverage_closed_form_kid_expectation_matches_monte_carlo():
    import importlib.util
    import numpy as np
    spec = importlib.util.spec_from_file_location("bench_coverage", ROOT / "benchmarks" / "bench_coverage.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rng, d, n = np.random.default_rng(0), 3, 400_000
    x, y = rng.normal(0.5, 1.0, (n, d)), rng.normal(-0.3, 1.5, (n, d))
    k = ((x * y).sum(1) / d + 1) ** 3
    assert abs(bench.kernel_mean(d, 0.5, 1.0, -0.3, 1.5) - k.mean()) < 4 * k.std() / np.sqrt(n)
    # E[KID] at d = 64 measured over 500 draws of N = 2,000 (docs/metrics.md): 0.03325 ± 0.00012
    assert abs(bench.exact_kid(64, 0.1) - 0.03325) < 3 * 0.00012


def test_bench_network_times_every_path_and_checks_their_features():
    out = run("bench_network.py", "--n", "3", "--batch", "2", "--size", "80", "--rounds", "1", "--sweep", "1/2")
    rows = [r.split("|")[1:-1] for r in out.splitlines() if r.startswith("| ") and r.rstrip().endswith("|")]
    rows = [[c.strip() for c in r] for r in rows if r[0].strip() != "network"]
    assert [r[0].split(",")[0] for r in rows] == ["NCHW", "channels_last", "channels_last", "channels_last"]
    assert "(ganmetrics)" in rows[2][0] and rows[3][0].endswith("CPU schedule 1/2")
    diffs = [float(r[4]) for r in rows]
    assert diffs[0] == 0 and all(0 < d <= 1e-5 for d in diffs[1:]), diffs  # float32 rounding, not another network
    assert all(float(r[1]) > 0 and r[3].endswith("x") for r in rows)


def test_bench_prdc_rates_runs_and_its_ratios_are_two_for_a_mean(tmp_path):
    import importlib.util
    import json
    import numpy as np
    saved = tmp_path / "rates.jsonl"
    out = run("bench_prdc_rates.py", "--dim", "8", "--n", "96", "--draws", "3", "--cuts", "2", "--save", str(saved))
    assert len(saved.read_text().splitlines()) == 3 and out.count("| split (library) |") == 4
    assert run("bench_prdc_rates.py", "--pool", str(saved)).splitlines()[0] == "3 draws"
    # the summary on a statistic whose variance falls like 1/N (a mean): every ratio about 2, the
    # variance at N/2 (the split rule before) sqrt(2) too wide, the library's extrapolation about right
    spec = importlib.util.spec_from_file_location("bench_prdc_rates", ROOT / "benchmarks" / "bench_prdc_rates.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rng, records = np.random.default_rng(0), []
    for _ in range(1000):
        z = rng.standard_normal(256)
        rec = {"est": {m: float(z.mean()) for m in mod.B.PRDC}}
        perms = [rng.permutation(256) for _ in range(50)]                  # the default 50 cuts
        for p in mod.PARTS:
            rec[str(p)] = [[[float(z[q[j * (256 // p):(j + 1) * (256 // p)]].mean())] * 4 for j in range(p)]
                           for q in perms]
        records.append(json.loads(json.dumps(rec)))
    rows = [r for r in mod.summary(records) if r.startswith("| precision |")]
    ratios = [float(x) for x in rows[0].split(" | ")[1:4]]
    assert all(abs(r - 2) < 0.3 for r in ratios), ratios
    def width(rule):
        return float([r for r in rows if f"| {rule} |" in r][0].rstrip(" |").split(" | ")[-1])
    t50 = 2.008559 / 1.959964                                      # Student t, 50 cuts, over the normal z
    assert abs(width("split at N/2 (before)") - 2 ** 0.5 * t50) < 0.1, width("split at N/2 (before)")
    assert 1.0 < width("split (library)") < 1.2, width("split (library)")    # above 1: the clip at 2, the t


def test_pool_names_a_bad_file_in_one_line(tmp_path):
    (tmp_path / "foreign.jsonl").write_text('{"a": 1}\n')
    (tmp_path / "broken.jsonl").write_text("not json\n")
    for script in ("bench_coverage.py", "bench_prdc_rates.py"):
        for name, says in (("foreign.jsonl", "line 1: not a saved repetition"), ("broken.jsonl", "line 1: Expecting"),
                           ("missing.jsonl", "No such file")):
            out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--pool", str(tmp_path / name)],
                                 capture_output=True, text=True, timeout=120)
            assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
            assert out.stderr.strip().startswith(f"--pool {tmp_path / name}: ") and says in out.stderr
            assert len(out.stderr.strip().splitlines()) == 1


def test_committed_coverage_runs_are_the_tables_of_the_docs():
    """docs/coverage.md quotes the pooled tables of the raw runs committed under
    benchmarks/results/coverage/ (one table per setting, its seeds pooled): every row `--pool`
    prints from them is in the page, so the page cannot drift from its data."""
    from collections import defaultdict
    files = sorted((ROOT / "benchmarks" / "results" / "coverage").glob("*.jsonl.gz"))
    assert files, "no committed runs"
    settings = defaultdict(list)
    for f in files:
        settings[re.sub(r"-seed\d+\.jsonl\.gz$", "", f.name)].append(str(f))
    page = (ROOT / "docs" / "coverage.md").read_text()
    for name, group in settings.items():
        out = run("bench_coverage.py", "--pool", *group, "--kid-truth", "exact")
        rows = [r for r in out.splitlines() if r.startswith("| ") and not r.startswith("| d |")
                and "linear quantiles (old)" not in r]
        assert rows, (name, out)
        missing = [r for r in rows if r not in page]
        assert not missing, f"{name}: rows of its --pool output not in docs/coverage.md:\n" + "\n".join(missing)


def test_committed_prdc_rate_draws_are_the_tables_of_the_docs():
    """docs/coverage.md quotes, per setting, what `bench_prdc_rates.py --pool` prints for the draws
    committed under benchmarks/results/prdc_rates/: every row of it is on the page."""
    from collections import defaultdict
    files = sorted((ROOT / "benchmarks" / "results" / "prdc_rates").glob("*.jsonl.gz"))
    assert files, "no committed draws"
    settings = defaultdict(list)                                     # a setting's seeds pooled
    for f in files:
        settings[re.sub(r"-seed\d+\.jsonl\.gz$", "", f.name)].append(str(f))
    page = (ROOT / "docs" / "coverage.md").read_text()
    for name, group in settings.items():
        rows = [r for r in run("bench_prdc_rates.py", "--pool", *group).splitlines()
                if r.startswith("| ") and not r.startswith("| metric |")]
        assert len(rows) == 20, (name, rows)                          # 4 metrics x 5 rules
        missing = [r for r in rows if r not in page]
        assert not missing, f"{name}: rows of its --pool output not in docs/coverage.md:\n" + "\n".join(missing)
