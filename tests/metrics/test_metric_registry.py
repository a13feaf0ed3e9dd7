"""The metric registry: a toy metric registered from Python appears in eval, compare, the gate
and the in-loop objects without any of them being edited."""
import json

import numpy as np
import pytest

import ganmetrics
from ganmetrics.errors import InputError
from ganmetrics.metrics import registry
from ganmetrics.metrics.registry import Estimate, MetricSpec

from helpers import run, smooth_images, write_folder

TINY = '''
from helpers import tiny_extractor

def make(weights=None, device="cpu"):
    return tiny_extractor("tiny-net", device)
'''


def mean_gap(a, b, params, ctx) -> Estimate:
    """||mean(a) - mean(b)||^power: a toy metric."""
    fa, fb, p = a.features, b.features, params["power"]
    value = float(np.linalg.norm(fa.mean(0) - fb.mean(0)) ** p)
    return Estimate(value, metadata={"power": p}, sides=("a", "b"),
                    replicate=lambda ia, ib: float(np.linalg.norm(fa[ia].mean(0) - fb[ib].mean(0)) ** p))


@pytest.fixture
def toy(tmp_path, monkeypatch):
    (tmp_path / "tinynet2.py").write_text(TINY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.register_metric(MetricSpec("mean_gap", mean_gap, "mean gap", params={"power": 1.0}, decimals=3))
    root = tmp_path / "images"
    sets = {"real": write_folder(root / "real", smooth_images(20, size=16, seed=1)),
            "near": write_folder(root / "near", smooth_images(20, size=16, seed=2, shift=0.02)),
            "far": write_folder(root / "far", smooth_images(20, size=16, seed=3, shift=0.3))}
    yield sets
    registry._SPECS.pop("mean_gap")


def test_a_registered_metric_is_in_eval_compare_gate_and_the_loop(toy, tmp_path):
    common = ["--features", "tinynet2:make", "--workers", "0", "--device", "cpu"]
    r = run("eval", toy["real"], toy["far"], "--metrics", "mean_gap,fid", *common)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("mean gap:") and len(r.stdout.splitlines()[0].split(":")[1].split(".")[1]) == 3
    js = json.loads(run("eval", toy["real"], toy["far"], "--metrics", "mean_gap", "--json", *common).stdout)
    direct = ganmetrics.evaluate(toy["real"], toy["far"], ["mean_gap"], features="tinynet2:make", device="cpu",
                                 workers=0, power=2.0)[0]
    assert direct.value == pytest.approx(js["mean_gap"] ** 2, rel=1e-6) and direct.metadata["power"] == 2.0

    result = ganmetrics.compare([toy["near"], toy["far"]], toy["real"], ["mean_gap"], n_boot=20, cache=False,
                                features="tinynet2:make", device="cpu", workers=0)
    table = result.table.set_index("name")
    assert table.loc["near", "mean_gap_rank"] == 1 and table.loc["far", "mean_gap_rank"] == 2
    assert table.loc["far", "mean_gap_ci_low"] <= table.loc["far", "mean_gap_ci_high"]

    limit = (js["mean_gap"] + 0.0) / 2  # far's gap is above half of itself: the threshold fails
    config = tmp_path / "gate.toml"
    config.write_text(f'[inputs]\nreal = "images/real"\nfake = "images/far"\nmetrics = ["mean_gap"]\npower = 1.0\n'
                      f'features = "tinynet2:make"\n[[threshold]]\nmetric = "mean_gap"\nmax = {limit}\n')
    r = run("gate", "--config", config, "--device", "cpu", "--workers", "0")
    assert r.exit_code == 1 and "FAIL threshold.mean_gap" in r.stdout, r.output
    config.write_text(config.read_text().replace(f"max = {limit}", f"max = {js['mean_gap'] * 2}"))
    r = run("gate", "--config", config, "--device", "cpu", "--workers", "0")
    assert r.exit_code == 0 and "PASS threshold.mean_gap" in r.stdout, r.output

    loop = ganmetrics.StreamingMetric("mean_gap", features="tinynet2:make", device="cpu")
    loop.update(smooth_images(20, size=16, seed=1), real=True)
    loop.update(smooth_images(20, size=16, seed=3, shift=0.3))
    assert loop.compute().value == pytest.approx(js["mean_gap"], rel=1e-6)


def test_registry_refuses_bad_or_taken_names():
    with pytest.raises(InputError, match="already registered"):
        registry.register_metric(MetricSpec("fid", mean_gap))
    with pytest.raises(InputError, match="lower-case"):
        registry.register_metric(MetricSpec("Bad Name", mean_gap))
    with pytest.raises(InputError, match="unknown metric"):
        registry.expand(["fid", "lpips"])
    assert registry.expand(["prdc", "fid", "precision"]) == ["precision", "recall", "density", "coverage", "fid"]
