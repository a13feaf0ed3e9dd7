"""Several feature spaces from one decode pass (--features A,B,...): each space's numbers equal a
single-space run, every image is decoded once, outputs are named by space."""
import json
import textwrap

import pytest

import ganmetrics
from ganmetrics.errors import InputError
from ganmetrics.inputs import sources

from helpers import assert_one_line_error, run, smooth_images, write_folder

NETS = textwrap.dedent('''
    import torch
    from ganmetrics.features.base import ModuleExtractor

    def _net(seed, width):
        g = torch.Generator().manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Conv2d(3, width, 3, stride=2), torch.nn.ReLU(),
                                  torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten())
        for p in net.parameters():
            p.data = torch.randn(p.shape, generator=g) * 0.3
        return net

    def one(weights=None, device="cpu"):
        return ModuleExtractor(_net(0, 4), "net-one", outputs=16, input_size=24, device=device)

    def two(weights=None, device="cpu"):
        return ModuleExtractor(_net(1, 6), "net-two", outputs=24, input_size=40, interpolation="bicubic", device=device)
''')


@pytest.fixture
def nets(tmp_path, monkeypatch):
    (tmp_path / "twonets.py").write_text(NETS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return {"real": write_folder(tmp_path / "real", smooth_images(12, size=32, seed=1)),
            "fake": write_folder(tmp_path / "fake", smooth_images(12, size=32, seed=2, shift=0.1))}


def test_two_spaces_decode_once_and_equal_single_runs(nets, monkeypatch):
    calls = []
    real_decode = sources.decode_image
    monkeypatch.setattr(sources, "decode_image", lambda *a, **k: calls.append(a[0]) or real_decode(*a, **k))
    multi = ganmetrics.evaluate(nets["real"], nets["fake"], ["fid", "kid", "cmmd"], features="twonets:one,twonets:two",
                                kid_subset_size=10, device="cpu", workers=0)
    assert len(calls) == 24
    for feats, name in (("twonets:one", "net-one"), ("twonets:two", "net-two")):
        single = {r.metric: r.value for r in ganmetrics.evaluate(nets["real"], nets["fake"], ["fid", "kid", "cmmd"],
                                                                features=feats, kid_subset_size=10, device="cpu")}
        assert {r.metric: r.value for r in multi if r.metadata["extractor"] == name} == pytest.approx(single, rel=1e-9)


@pytest.mark.slow
def test_each_space_equals_its_single_run_and_images_are_decoded_once(nets, weights_file, monkeypatch):
    calls = []
    real_decode = sources.decode_image
    monkeypatch.setattr(sources, "decode_image", lambda *a, **k: calls.append(a[0]) or real_decode(*a, **k))
    kw = dict(device="cpu", workers=0, weights=f"inception-v3-fid={weights_file}", progress=False)
    multi = ganmetrics.evaluate(nets["real"], nets["fake"], ["fid", "kid", "is", "cmmd"],
                                features="inception-v3-fid,twonets:one,twonets:two", kid_subset_size=10, **kw)
    assert len(calls) == 24  # 12 + 12 images, each decoded once for three networks
    spaces = [r.metadata["extractor"] for r in multi]
    assert spaces.count("inception-v3-fid") == 4 and spaces.count("net-one") == 3 and spaces.count("net-two") == 3
    assert not any(r.metric == "is" and r.metadata["extractor"] != "inception-v3-fid" for r in multi)  # no logits
    for feats, name in (("inception-v3-fid", "inception-v3-fid"), ("twonets:one", "net-one"), ("twonets:two", "net-two")):
        kw1 = dict(kw, weights=str(weights_file)) if name == "inception-v3-fid" else dict(kw, weights=None)
        metrics = ["fid", "kid", "cmmd"] + (["is"] if name == "inception-v3-fid" else [])
        single = {r.metric: r.value for r in ganmetrics.evaluate(nets["real"], nets["fake"], metrics, features=feats,
                                                                kid_subset_size=10, **kw1)}
        ours = {r.metric: r.value for r in multi if r.metadata["extractor"] == name}
        assert ours == pytest.approx(single, rel=1e-9), name


def test_cli_keys_name_the_space_and_stats_files_are_refused(nets, tmp_path):
    args = ["eval", str(nets["real"]), str(nets["fake"]), "--features", "twonets:one,twonets:two",
            "--metrics", "fid,cmmd", "--device", "cpu"]
    res = run(*args, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"fid_net-one", "cmmd_net-one", "fid_net-two", "cmmd_net-two"} <= set(out) and "fid" not in out
    text = run(*args).stdout
    assert "FD_net-one:" in text and "FD_net-two:" in text and "CMMD [net-two]:" in text
    stats = tmp_path / "s.npz"
    assert run("stats", str(nets["real"]), "-o", str(stats), "--features", "twonets:one", "--device", "cpu").exit_code == 0
    res = run("eval", str(stats), str(nets["fake"]), "--features", "twonets:one,twonets:two",
              "--metrics", "fid", "--device", "cpu")
    assert_one_line_error(res, "holds one feature space")


def test_a_space_named_twice_is_refused(nets):
    with pytest.raises(InputError, match="named twice"):
        ganmetrics.evaluate(nets["real"], nets["fake"], ["cmmd"], features="twonets:one,twonets:one", device="cpu")


def test_compare_ranks_each_space_as_its_single_space_run(nets, tmp_path):
    from ganmetrics.report.compare import compare
    other = write_folder(tmp_path / "other", smooth_images(12, size=32, seed=3, shift=0.3))
    kw = dict(device="cpu", workers=0, kid_subset_size=10, n_boot=8, cache=False)
    multi = compare([nets["fake"], other], nets["real"], ["fid", "kid"], features="twonets:one,twonets:two", **kw)
    assert multi.metrics == ["fid_net-one", "kid_net-one", "fid_net-two", "kid_net-two"]
    for feats, space in (("twonets:one", "net-one"), ("twonets:two", "net-two")):
        single = compare([nets["fake"], other], nets["real"], ["fid", "kid"], features=feats, **kw)
        for m in ("fid", "kid"):
            for col in ("", "_rank", "_ci_low", "_ci_high"):
                assert multi.table[f"{m}_{space}{col}"].tolist() == pytest.approx(single.table[f"{m}{col}"].tolist(),
                                                                               rel=1e-9), (space, m, col)
    text = run("compare", str(nets["fake"]), str(other), "--ref", str(nets["real"]), "--features",
               "twonets:one,twonets:two", "--metrics", "fid", "--device", "cpu", "-q", "--no-ci")
    assert text.exit_code == 0, text.output
    assert "FD_net-one ↓" in text.stdout and "FD_net-two ↓" in text.stdout


def test_gate_thresholds_name_the_space(nets, tmp_path):
    from ganmetrics.report.gate import run_gate
    single = ganmetrics.evaluate(nets["real"], nets["fake"], ["fid"], features="twonets:two", device="cpu")[0].value
    cfg = tmp_path / "gate.toml"

    def gate(metric, limit):
        cfg.write_text(f'[inputs]\nreal = "{nets["real"]}"\nfake = "{nets["fake"]}"\nmetrics = ["fid", "cmmd"]\n'
                       f'features = "twonets:one,twonets:two"\n[[threshold]]\nmetric = "{metric}"\nmax = {limit}\n')
        return run_gate(cfg, device="cpu")
    assert gate("fid_net-two", single * 1.001).passed and not gate("fid_net-two", single * 0.999).passed
    assert gate("fid_net-two", single * 1.001).checks[0].message.startswith(f"fid_net-two = {single:.6g} meets")
    with pytest.raises(InputError, match="fid_net-three, which .*computed: fid_net-one, cmmd_net-one, fid_net-two"):
        gate("fid_net-three", 1)
    with pytest.raises(InputError, match="'kid_net-two' is not among the metrics"):
        gate("kid_net-two", 1)
