"""Gate configs are validated before any work: type, range, finiteness, unknown keys, with the
file and key named in one line; every path in the file is relative to the file."""
import json

import pytest

from ganmetrics.errors import InputError
from ganmetrics.report import gate as gates

from helpers import assert_one_line_error, run

BASE = '[inputs]\nreal = "real"\nfake = "fake"\n'


@pytest.mark.parametrize("body, fragments", [
    (BASE + 'ci = "high"\n', ["ci", "number"]),
    (BASE + "ci = 1.5\n", ["ci", "(0, 1)"]),
    (BASE + 'metrics = "fid"\n', ["metrics", "list"]),
    (BASE + 'metrics = ["fid", "lpips"]\n', ["lpips"]),
    (BASE + "n_boot = 1\n", ["n_boot", ">= 2"]),
    (BASE + 'kid_subsets = "100"\nmetrics = ["kid"]\n', ["kid_subsets", "integer"]),
    (BASE + "cii = 0.9\n", ["cii", "not a known key"]),
    (BASE + '[samples]\nmin_n = "100"\n', ["min_n", "integer"]),
    (BASE + '[[threshold]]\nmetric = "fid"\nmax = nan\n', ["max", "finite"]),
    (BASE + '[[threshold]]\nmetric = "kid"\nmax = 1.0\n', ["kid", "not among"]),
    (BASE + '[[regression]]\nmetric = "fid"\nmax_increase = 1.0\n', ["[baseline]"]),
    (BASE + '[baseline]\nfile = 3\n', ["[baseline] file", "string"]),
    (BASE + '[extra]\nx = 1\n', ["[extra]", "not a gate section"]),
])
def test_bad_configs_are_one_line_errors_naming_file_and_key(tmp_path, body, fragments):
    config = tmp_path / "gate.toml"
    config.write_text(body)
    with pytest.raises(InputError) as e:
        gates.load_config(config)
    assert str(config) in str(e.value) and all(f in str(e.value) for f in fragments), str(e.value)
    r = run("gate", "--config", config)
    assert_one_line_error(r, *fragments)


def test_non_numeric_baseline_and_paths_relative_to_the_config(tmp_path):
    sub = tmp_path / "ci"
    sub.mkdir()
    config = sub / "gate.toml"
    config.write_text(BASE + 'weights = "w.pth"\n[baseline]\nfile = "base.json"\n'
                      '[[regression]]\nmetric = "fid"\nmax_increase = 1.0\n')
    loaded = gates.load_config(config)
    assert loaded["inputs"]["weights"] == str(sub / "w.pth") and loaded["inputs"]["real"] == str(sub / "real")
    assert loaded["baseline"]["file"] == str(sub / "base.json")
    # NAME=PATH weights (several feature spaces): each path is relative to the config, the names kept
    config.write_text(BASE + 'weights = "inception-v3-fid=w.pth,dinov2-vitl14=/abs/d.pth"\n')
    weights = gates.load_config(config)["inputs"]["weights"]
    assert weights == f"inception-v3-fid={sub / 'w.pth'},dinov2-vitl14=/abs/d.pth"
    from ganmetrics.result import Result
    with pytest.raises(InputError, match="not a finite number"):
        gates.run_checks(loaded, [Result("fid", 1.0, {"a": 10, "b": 10})], {"fid": "12.3"})


def test_junit_folder_is_checked_before_the_extraction(tmp_path):
    config = tmp_path / "gate.toml"
    config.write_text(BASE)
    (tmp_path / "a-file").write_text("in the way")
    r = run("gate", "--config", config, "--junit", tmp_path / "a-file" / "gate.xml")
    assert r.exit_code == 2 and "gate.xml" in r.stderr, r.output
    assert "real" not in r.stderr  # the inputs were never opened
