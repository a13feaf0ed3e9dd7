"""CI quality gates: pass, fail on threshold, fail on regression, no flapping on noise, errors."""
import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from ganmetrics.cli import main
from ganmetrics.report import gate as gates
from ganmetrics.result import Result

from helpers import smooth_images, write_folder


def write_config(path, body):
    path.write_text(body)
    return path


@pytest.fixture(scope="module")
def same_distribution(tmp_path_factory):
    """Two sample sets from one distribution and a third from a shifted one (12 images each)."""
    root = tmp_path_factory.mktemp("gate")
    return {"real": write_folder(root / "real", smooth_images(12, seed=1)),
            "same": write_folder(root / "same", smooth_images(12, seed=2)),
            "shifted": write_folder(root / "shifted", smooth_images(12, seed=3, shift=0.3))}


def run_gate(config, weights, *extra):
    return CliRunner().invoke(main, ["gate", "--config", str(config), "--weights", str(weights), "--device", "cpu",
                                     "--workers", "0", *map(str, extra)])


INPUTS = '''[inputs]
real = "{real}"
fake = "{fake}"
metrics = ["kid", "prdc"]
kid_subsets = 10
kid_subset_size = 12
'''


def test_pass_fail_threshold_junit_and_annotations(same_distribution, weights_file, tmp_path, monkeypatch):
    ok = write_config(tmp_path / "ok.toml", INPUTS.format(real=same_distribution["real"], fake=same_distribution["same"])
                      + '[[threshold]]\nmetric = "precision"\nmin = 0.0\n[samples]\nmin_n = 10\n')
    r = run_gate(ok, weights_file, "--junit", tmp_path / "gate.xml")
    assert r.exit_code == 0, r.output
    assert "PASS threshold.precision" in r.stdout and "PASS samples.min_n" in r.stdout
    suite = ET.parse(tmp_path / "gate.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "0"

    bad = write_config(tmp_path / "bad.toml", INPUTS.format(real=same_distribution["real"],
                                                            fake=same_distribution["shifted"])
                       + '[[threshold]]\nmetric = "kid"\nmax = -1.0\n[samples]\nmin_n = 100\n')
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    r = run_gate(bad, weights_file, "--junit", tmp_path / "bad.xml")
    assert r.exit_code == 1
    assert "FAIL threshold.kid" in r.stdout and "FAIL samples.min_n" in r.stdout
    assert "::error title=ganmetrics gate threshold.kid::" in r.stdout
    assert ET.parse(tmp_path / "bad.xml").getroot().get("failures") == "2"


def test_regression_against_a_baseline(same_distribution, weights_file, tmp_path):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"kid": 0.0, "precision": 1.0}))
    cfg = write_config(tmp_path / "reg.toml", INPUTS.format(real=same_distribution["real"],
                                                            fake=same_distribution["shifted"])
                       + f'[baseline]\nfile = "{baseline}"\n[[regression]]\nmetric = "kid"\nmax_increase = 0.0\n')
    r = run_gate(cfg, weights_file)
    assert r.exit_code == 1 and "FAIL regression.kid" in r.stdout


def test_noise_aware_checks_do_not_flap_on_the_same_distribution():
    """Pure check logic: a same-distribution rerun whose point value is slightly worse than the
    baseline fails the point comparison but passes once the interval is taken into account."""
    config = {"inputs": {"ci": 0.95}, "regression": [{"metric": "fid", "max_increase": 0.0}],
              "threshold": [{"metric": "fid", "max": 10.0}]}
    noisy_rerun = Result("fid", 10.4, {"a": 100, "b": 100}, interval=(9.1, 11.8))
    checks = gates.run_checks(config, [noisy_rerun], {"fid": 10.0})
    assert all(c.passed for c in checks)
    point_only = gates.run_checks({**config, "inputs": {}}, [noisy_rerun], {"fid": 10.0})
    assert not any(c.passed for c in point_only)            # without intervals the same noise would fail
    clearly_worse = Result("fid", 14.0, {"a": 100, "b": 100}, interval=(12.5, 15.5))
    assert not any(c.passed for c in gates.run_checks(config, [clearly_worse], {"fid": 10.0}))


def test_same_distribution_sets_pass_a_noise_aware_gate(same_distribution, weights_file, tmp_path):
    # baseline: KID of one same-distribution pair; the gate on another pair must not fail
    baseline = tmp_path / "baseline.json"
    r = CliRunner().invoke(main, ["kid", str(same_distribution["real"]), str(same_distribution["same"]),
                                  "--weights", str(weights_file), "--workers", "0", "--subsets", "10",
                                  "--subset-size", "12", "--json"])
    baseline.write_text(r.stdout)
    other = write_folder(tmp_path / "other", smooth_images(12, seed=4))
    cfg = write_config(tmp_path / "noise.toml", INPUTS.format(real=same_distribution["real"], fake=other)
                       .replace('metrics = ["kid", "prdc"]', 'metrics = ["kid"]\nci = 0.95\nn_boot = 30')
                       + f'[baseline]\nfile = "{baseline}"\n[[regression]]\nmetric = "kid"\nmax_increase = 0.0\n')
    r = run_gate(cfg, weights_file)
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("body, message", [
    ("[inputs]\nfake = 'x'\n", "needs fake and real"),
    ("[inputs]\nreal = 'a'\nfake = 'b'\n[[threshold]]\nmetric = 'lpips'\nmax = 1\n", "lpips"),
    ("[inputs]\nreal = 'a'\nfake = 'b'\n[[threshold]]\nmetric = 'fid'\n", "needs a number"),
    ("[inputs]\nreal = 'a'\nfake = 'b'\n[[regression]]\nmetric = 'fid'\nmax_increase = 1\n", "[baseline]"),
    ("not = [valid", "not valid TOML"),
])
def test_broken_configs_exit_2(tmp_path, body, message, weights_file):
    cfg = write_config(tmp_path / "g.toml", body)
    r = run_gate(cfg, weights_file)
    assert r.exit_code == 2 and message in r.stderr
    assert run_gate(tmp_path / "missing.toml", weights_file).exit_code == 2


def test_regression_message_says_better_for_an_improvement_of_a_higher_is_better_metric():
    config = {"inputs": {}, "regression": [{"metric": "is", "max_increase": 0.0},
                                           {"metric": "fid", "max_increase": 0.5}]}
    results = [Result("is", 1.2863, {"b": 100}), Result("fid", 10.3, {"a": 100, "b": 100})]
    checks = {c.name: c for c in gates.run_checks(config, results, {"is": 1.10508, "fid": 10.0})}
    assert checks["regression.is"].passed and "better by 0.18122" in checks["regression.is"].message
    assert checks["regression.fid"].passed and "worse by 0.3 " in checks["regression.fid"].message
