"""Reference trainers: sign conventions, a few steps of each algorithm, resume equality, checkpoints."""
import dataclasses
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from ganmetrics.cli import main
from ganmetrics.errors import InputError
from ganmetrics.train import TrainConfig, train
from ganmetrics.train.algorithms import discriminator_loss, generator_loss, gradient_penalty
from ganmetrics.train.loop import build_models, lr_at, train_device
from ganmetrics.train.data import load_images, mode_quality, sample_toy, shapes32, toy_modes
import ganmetrics
from ganmetrics.inputs.sources import to_uint8

FAST = dict(eval_samples=200, eval_critic_steps=20, eval_every=2)


def test_loss_sign_conventions():
    big = torch.full((8, 1), 20.0)
    # a discriminator that wins: D(x) -> 1, D(G(z)) -> 0
    assert discriminator_loss("gan", big, -big).item() == pytest.approx(0, abs=1e-6)
    assert generator_loss("gan", -big).item() == pytest.approx(0, abs=1e-6)        # minimax: saturated, ~0
    assert generator_loss("nsgan", -big).item() == pytest.approx(20, abs=1e-3)     # non-saturating: large
    # D at 1/2 everywhere: the value of the game, -2 log 2
    zero = torch.zeros(8, 1)
    assert -discriminator_loss("nsgan", zero, zero).item() == pytest.approx(-2 * math.log(2))
    # critics maximise E f(x) - E f(G(z)): their loss is the negative
    assert discriminator_loss("wgan", torch.full((8, 1), 3.0), torch.ones(8, 1)).item() == pytest.approx(-2.0)
    assert generator_loss("wgan-gp", torch.full((8, 1), 3.0)).item() == pytest.approx(-3.0)


def test_gradient_penalty_of_a_unit_slope_critic_is_zero():
    critic = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.6, 0.8]]))      # gradient norm 1 everywhere
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    assert gradient_penalty(critic, real, fake, g).item() == pytest.approx(0, abs=1e-12)
    with torch.no_grad():
        critic.weight.mul_(2)                                # norm 2: penalty (2 - 1)^2 = 1
    assert gradient_penalty(critic, real, fake, g).item() == pytest.approx(1.0)


def test_toy_data_and_mode_counting():
    g = torch.Generator().manual_seed(0)
    pts = sample_toy("8gaussians", 4000, g).numpy()
    q = mode_quality(pts, "8gaussians")
    assert q["modes"] == 8 and q["hq"] > 0.99
    centres, _ = toy_modes("8gaussians")
    half = pts[np.linalg.norm(pts[:, None] - centres[None, :4], axis=2).min(1) < 0.5]
    assert mode_quality(half, "8gaussians")["modes"] == 4
    assert mode_quality(np.zeros((100, 2)), "8gaussians")["hq"] == 0
    imgs = shapes32(20, seed=1)
    assert imgs.shape == (20, 32, 32, 3) and imgs.dtype == np.uint8 and np.array_equal(imgs, shapes32(20, seed=1))


@pytest.mark.parametrize("algo", ["gan", "nsgan", "wgan", "wgan-gp"])
def test_each_algorithm_runs_a_few_steps(tmp_path, algo):
    curve = train(TrainConfig(algo=algo, data="8gaussians", out=str(tmp_path / algo), steps=4, batch_size=32, **FAST))
    assert list(curve.step) == [2, 4]
    assert {"d_loss", "g_loss", "w1_exact", "w1_critic", "js_discriminator", "modes", "hq"} <= set(curve)
    assert np.isfinite(curve[["d_loss", "g_loss", "w1_exact"]].to_numpy()).all()
    if algo == "wgan":  # clipping keeps every critic weight in [-c, c]
        ck = torch.load(sorted((tmp_path / algo).glob("ckpt_*.pt"))[-1], weights_only=True)
        assert max(v.abs().max().item() for v in ck["discriminator"].values()) <= 0.01 + 1e-9
    assert (tmp_path / algo / "samples" / "step_0000004.png").is_file()


class _StopAfter:
    """A run log that interrupts training (as Ctrl-C would) once step ``step`` is logged."""

    def __init__(self, step):
        self.marker = f"step {step} "

    def write(self, text):
        if text.startswith(self.marker):
            raise KeyboardInterrupt

    def flush(self):
        pass


@pytest.mark.parametrize("lr_decay", ["none", "linear"])
def test_resume_equals_an_uninterrupted_run(tmp_path, lr_decay):
    def config(out):
        return TrainConfig(algo="wgan-gp", data="25gaussians", out=str(tmp_path / out), steps=6, batch_size=16,
                           lr_decay=lr_decay, **FAST)
    whole = train(config("a"))
    with pytest.raises(KeyboardInterrupt):
        train(config("b"), log=_StopAfter(4))
    resumed = train(config("b"), resume=True)
    other = "none" if lr_decay == "linear" else "linear"
    with pytest.raises(InputError, match=f"lr_decay={other}"):
        train(dataclasses.replace(config("b"), lr_decay=other), resume=True)
    assert (np.diff(resumed.wall_s) > 0).all() and (resumed.wall_s > 0).all()
    columns = [c for c in whole if c not in ("steps_per_s", "wall_s")]  # everything but the timing
    pd.testing.assert_frame_equal(whole[columns], resumed[columns])
    on_disk = pd.read_csv(tmp_path / "b" / "curves.csv")
    assert list(on_disk.step) == [2, 4, 6]


def test_linear_learning_rate_decay():
    cfg = TrainConfig(algo="wgan-gp", data="8gaussians", out="unused", steps=4, lr_decay="linear").resolved()
    assert [lr_at(cfg, s) for s in range(4)] == pytest.approx([1e-4, 0.75e-4, 0.5e-4, 0.25e-4])
    assert lr_at(dataclasses.replace(cfg, lr_decay="none"), 3) == 1e-4
    with pytest.raises(InputError, match="--lr-decay cosine"):
        dataclasses.replace(cfg, lr_decay="cosine").resolved()


def test_the_toy_preset_is_the_documented_recipe_and_explicit_options_win():
    base = dict(algo="wgan-gp", data="8gaussians", out="unused")
    preset = TrainConfig(preset="toy", **base).resolved()
    explicit = TrainConfig(preset="paper", gp_lambda=0.1, betas=(0.5, 0.9), batch_size=256, lr_decay="linear",
                           **base).resolved()
    assert dataclasses.replace(preset, preset="paper") == explicit
    paper = TrainConfig(preset="paper", **base).resolved()
    assert (paper.gp_lambda, paper.betas, paper.batch_size, paper.lr_decay) == (10.0, (0.0, 0.9), 64, "none")
    mixed = TrainConfig(preset="toy", gp_lambda=10.0, lr_decay="none", **base).resolved()
    assert (mixed.gp_lambda, mixed.betas, mixed.batch_size, mixed.lr_decay) == (10.0, (0.5, 0.9), 256, "none")
    assert TrainConfig(preset="toy", betas=(None, 0.99), **base).resolved().betas == (0.5, 0.99)
    assert TrainConfig(preset="paper", betas=(0.3, None), **base).resolved().betas == (0.3, 0.9)
    with pytest.raises(InputError, match="--preset toy: for --algo wgan-gp only"):
        TrainConfig(preset="toy", **{**base, "algo": "nsgan"}).resolved()
    with pytest.raises(InputError, match="--preset papers: unknown"):
        TrainConfig(preset="papers", **base).resolved()


@pytest.mark.parametrize("algo,data,preset", [("wgan-gp", "8gaussians", "toy"), ("wgan-gp", "25gaussians", "toy"),
                                              ("wgan-gp", "shapes32", "paper"), ("nsgan", "8gaussians", "paper"),
                                              ("wgan", "25gaussians", "paper")])
def test_the_default_preset_is_what_the_authors_ran_on_that_data(algo, data, preset):
    """Issue 19: WGAN-GP on the toys defaults to the toy script's recipe, images to the paper's table."""
    cfg = TrainConfig(algo=algo, data=data, out="unused").resolved()
    assert cfg == TrainConfig(algo=algo, data=data, out="unused", preset=preset).resolved()
    if (algo, preset) == ("wgan-gp", "toy"):
        assert (cfg.gp_lambda, cfg.betas, cfg.batch_size, cfg.lr_decay) == (0.1, (0.5, 0.9), 256, "linear")
    if algo == "wgan-gp" and preset == "paper":
        assert (cfg.gp_lambda, cfg.betas, cfg.batch_size, cfg.lr_decay) == (10.0, (0.0, 0.9), 64, "none")


def _as_before_presets(run):
    """Rewrite a run's config.json and checkpoints as runs from before presets/decay wrote them."""
    saved = json.loads((run / "config.json").read_text())
    old = {k: v for k, v in saved.items() if k not in ("preset", "lr_decay")}
    (run / "config.json").write_text(json.dumps(old))
    for path in run.glob("ckpt_*.pt"):
        ck = torch.load(path, weights_only=True)
        ck["config"] = json.dumps({k: v for k, v in json.loads(ck["config"]).items() if k not in ("preset", "lr_decay")})
        torch.save(ck, path)


def test_runs_started_before_the_default_changed_resume_with_their_own_settings(tmp_path):
    """A run made with the papers' values (the old default, recording no preset) and resumed with
    the new defaults continues with λ 10, β (0, 0.9), no decay: its curve equals an uninterrupted
    paper-preset run's, from Python and from the CLI."""
    def config(out, **kw):
        return TrainConfig(algo="wgan-gp", data="8gaussians", out=str(tmp_path / out), steps=4, batch_size=16,
                           **FAST, **kw)
    whole = train(config("whole", preset="paper"))
    for how in ("python", "cli"):
        run = tmp_path / how
        train(dataclasses.replace(config(how, preset="paper"), steps=2))
        _as_before_presets(run)
        if how == "python":
            resumed = train(config(how), resume=True)  # preset not named: the run's
        else:
            r = CliRunner().invoke(main, ["train", "--out", str(run), "--resume", "--steps", "4"])
            assert r.exit_code == 0, r.output
            resumed = pd.read_csv(run / "curves.csv")
        saved = json.loads((run / "config.json").read_text())
        assert (saved["preset"], saved["gp_lambda"], saved["betas"], saved["lr_decay"]) == ("paper", 10.0, [0.0, 0.9], "none")
        columns = [c for c in whole if c not in ("steps_per_s", "wall_s")]
        pd.testing.assert_frame_equal(whole[columns], resumed[columns], check_dtype=False)
    # naming another preset than the run's is still refused
    with pytest.raises(InputError, match="cannot resume with preset=toy; the run was started with preset=paper"):
        train(dataclasses.replace(config("python", preset="toy"), steps=6), resume=True)


def test_cli_preset_fills_the_beta_not_given(tmp_path):
    r = CliRunner().invoke(main, ["train", "--algo", "wgan-gp", "--data", "8gaussians", "--preset", "toy",
                                  "--beta2", "0.99", "--batch-size", "16", "--steps", "2", "--eval-every", "2",
                                  "--eval-samples", "50", "--eval-critic-steps", "7", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    saved = json.loads((tmp_path / "config.json").read_text())
    assert (saved["preset"], saved["betas"], saved["gp_lambda"], saved["lr_decay"]) == ("toy", [0.5, 0.99], 0.1, "linear")
    assert saved["eval_critic_steps"] == 7


def test_cli_resume_needs_only_the_run_folder(tmp_path):
    run = str(tmp_path / "run")
    first = ["train", "--algo", "wgan-gp", "--data", "25gaussians", "--preset", "toy", "--beta2", "0.99",
             "--batch-size", "16", "--steps", "2", "--eval-every", "2", "--eval-samples", "50", "--seed", "3",
             "--out", run]
    assert CliRunner().invoke(main, first).exit_code == 0
    started = json.loads((tmp_path / "run" / "config.json").read_text())
    r = CliRunner().invoke(main, ["train", "--out", run, "--resume", "--steps", "4"])
    assert r.exit_code == 0, r.output
    assert list(pd.read_csv(tmp_path / "run" / "curves.csv").step) == [2, 4]
    assert json.loads((tmp_path / "run" / "config.json").read_text()) == {**started, "steps": 4}
    assert "changes the linear decay" in (tmp_path / "run" / "run.log").read_text()  # the preset's decay went on
    r = CliRunner().invoke(main, ["train", "--out", run, "--resume", "--steps", "6", "--gp-lambda", "10"])
    assert r.exit_code == 2 and "cannot resume with gp_lambda=10.0; the run was started with gp_lambda=0.1" in r.stderr
    r = CliRunner().invoke(main, ["train", "--out", str(tmp_path / "none"), "--resume"])
    assert r.exit_code == 2 and "none holds no run to continue (no config.json); to start one there, give --algo and --data" in r.stderr
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "config.json").write_text("{not json")
    r = CliRunner().invoke(main, ["train", "--out", str(tmp_path / "bad"), "--resume"])
    assert r.exit_code == 2 and "config.json: not a run configuration" in r.stderr


def test_resume_refuses_other_settings_than_the_runs(tmp_path):
    cfg = TrainConfig(algo="wgan-gp", data="8gaussians", out=str(tmp_path), steps=2, batch_size=16, preset="toy",
                      **FAST)
    train(cfg)
    for change, key in [(dict(preset="paper", betas=(0.5, 0.9), gp_lambda=0.1, lr_decay="linear"), "preset"),
                        (dict(gp_lambda=10.0), "gp_lambda"), (dict(betas=(0.0, 0.9)), "betas"),
                        (dict(clip=0.1), "clip")]:
        with pytest.raises(InputError, match=f"cannot resume with {key}=.*started with {key}="):
            train(dataclasses.replace(cfg, steps=4, **change), resume=True)
    assert list(train(dataclasses.replace(cfg, steps=4), resume=True).step) == [2, 4]
    with pytest.raises(InputError, match="already at step 4; --steps 3 would end it before that"):
        train(dataclasses.replace(cfg, steps=3), resume=True)


def test_the_decayed_learning_rate_is_the_one_used(tmp_path):
    cfg = TrainConfig(algo="wgan-gp", data="8gaussians", out=str(tmp_path), steps=4, batch_size=16,
                      lr_decay="linear", **FAST)
    train(cfg)
    ck = torch.load(tmp_path / "ckpt_0000004.pt", weights_only=True)
    for opt in ("opt_g", "opt_d"):  # the last step ran at lr·(1 − 3/4)
        assert ck[opt]["param_groups"][0]["lr"] == pytest.approx(0.25e-4)
    assert json.loads((tmp_path / "config.json").read_text())["lr_decay"] == "linear"


def test_extending_a_decayed_run_says_the_rate_jumps(tmp_path):
    cfg = TrainConfig(algo="wgan-gp", data="8gaussians", out=str(tmp_path), steps=4, batch_size=16,
                      lr_decay="linear", **FAST)
    train(cfg)
    log = io.StringIO()
    curve = train(dataclasses.replace(cfg, steps=8), resume=True, log=log)
    assert list(curve.step) == [2, 4, 6, 8]
    # at step 4 the old schedule had reached 0; the new one is at 1e-4 * (1 - 4/8)
    assert "--steps 8 (was 4) changes the linear decay: the learning rate goes from 0 to 5e-05 at step 4" in log.getvalue()
    assert "changes the linear decay" in (tmp_path / "run.log").read_text()


def test_corrupt_checkpoint_is_reported_and_the_previous_one_survives(tmp_path):
    cfg = TrainConfig(algo="nsgan", data="8gaussians", out=str(tmp_path), steps=4, batch_size=16, **FAST)
    train(cfg)
    latest, previous = tmp_path / "ckpt_0000004.pt", tmp_path / "ckpt_0000002.pt"
    latest.write_bytes(latest.read_bytes()[:500])
    with pytest.raises(InputError, match="corrupt checkpoint.*ckpt_0000002.pt is intact"):
        train(cfg, resume=True)
    assert previous.is_file() and torch.load(previous, weights_only=True)["step"] == 2
    latest.unlink()
    assert list(train(cfg, resume=True).step) == [2, 4]
    with pytest.raises(InputError, match="already holds a run"):
        train(cfg)


def test_image_run_and_cli(tmp_path):
    r = CliRunner().invoke(main, ["train", "--algo", "wgan-gp", "--data", "shapes32", "--steps", "2", "--out",
                                  str(tmp_path / "img"), "--eval-every", "2", "--eval-samples", "16",
                                  "--batch-size", "8"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "img" / "samples" / "step_0000002.png").is_file()
    assert (tmp_path / "img" / "config.json").is_file()
    r = CliRunner().invoke(main, ["train", "--algo", "gan", "--data", "8gaussians", "--steps", "2", "--out",
                                  str(tmp_path / "toy"), "--eval-every", "2", "--eval-samples", "50"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["curves", str(tmp_path / "toy"), str(tmp_path / "img"), "-o",
                                  str(tmp_path / "c.png")])
    assert r.exit_code == 0 and (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    r = CliRunner().invoke(main, ["train", "--algo", "gan", "--data", "moons", "--steps", "2", "--out",
                                  str(tmp_path / "x")])
    assert r.exit_code == 2 and "moons" in r.stderr


def test_image_curves_are_the_packages_fid_kid_and_is_of_the_evaluated_samples(tmp_path, weights_file):
    cfg = TrainConfig(algo="wgan-gp", data="shapes32", out=str(tmp_path), steps=2, batch_size=8, eval_every=2,
                      eval_samples=24, n_train=64, seed=1, weights=str(weights_file))
    row = train(cfg).iloc[-1]
    # the evaluation's samples, redrawn from the checkpoint and the evaluation's seed
    resolved = cfg.resolved()
    g_net, _ = build_models(resolved)
    g_net.load_state_dict(torch.load(tmp_path / "ckpt_0000002.pt", weights_only=True)["generator"])
    g_net.eval()
    z = torch.randn(24, resolved.z_dim, generator=torch.Generator().manual_seed(1 * 1_000_003 + 2))
    with torch.no_grad():
        fake = to_uint8(g_net(z))
    real = to_uint8(load_images("shapes32", 32, 64, 1)[:24])
    results = {r.metric: r.value for r in ganmetrics.evaluate(
        real, fake, metrics=["fid", "kid", "is"], weights=weights_file, device="cpu", kid_subsets=1,
        kid_subset_size=24)}
    assert row.fid == pytest.approx(results["fid"], rel=1e-4) and row.fid > 0
    assert row.kid == pytest.approx(results["kid"], rel=1e-3, abs=1e-6)
    assert row["is"] == pytest.approx(results["is"], rel=1e-4) and row["is"] > 1


def test_auto_device_puts_image_runs_on_the_gpu_and_toys_on_the_cpu(monkeypatch):
    image, toy = (TrainConfig(algo="wgan-gp", data=d, out="unused") for d in ("shapes32", "8gaussians"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert train_device(image).type == "cuda" and train_device(toy).type == "cpu"
    assert train_device(dataclasses.replace(toy, device="cuda")).type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert train_device(image).type == "cpu"
    with pytest.raises(InputError, match="--device cuda: CUDA is not available"):
        train(dataclasses.replace(toy, device="cuda"))


def test_the_shapes32_classifier_on_real_and_corrupted_images():
    """Issue 19: >= 99% of real shapes32 images get their mode and count as clean; corruptions
    that break the mode (noise, blends, two shapes, a foreign colour, blur, blank) are flagged."""
    from scipy import ndimage
    from ganmetrics.train.data import classify_shapes, shapes_mode_quality
    imgs, labels = shapes32(600, seed=11, labels=True)
    assert np.array_equal(imgs, shapes32(600, seed=11))           # labels do not change the images
    modes, clean = classify_shapes(imgs)
    assert (modes == labels).mean() >= 0.99 and clean.mean() >= 0.99
    big, big_labels = shapes32(100, seed=2, size=64, labels=True)  # the rules are size-free
    assert (classify_shapes(big)[0] == big_labels).mean() >= 0.99
    rng = np.random.default_rng(0)
    x = imgs[:200].astype(np.float64)
    mild = np.clip(x + rng.normal(0, 10, x.shape), 0, 255).astype(np.uint8)
    m, c = classify_shapes(mild)
    assert (m == labels[:200]).mean() >= 0.99 and c.mean() >= 0.99      # mild noise keeps the mode
    corrupted = {
        "noise 40": np.clip(x + rng.normal(0, 40, x.shape), 0, 255).astype(np.uint8),
        "uniform noise": rng.integers(0, 256, x.shape).astype(np.uint8),
        "blank": np.zeros_like(imgs[:200]),
        "blend of two images": ((x + imgs[200:400]) / 2).astype(np.uint8),
        "foreign colour": np.where(imgs[:200].max(-1, keepdims=True) > 64, np.uint8([160, 60, 200]), 0).astype(np.uint8),
        "blur": ndimage.gaussian_filter(x, (0, 2, 2, 0)).astype(np.uint8),
    }
    for name, images in corrupted.items():
        assert classify_shapes(images)[1].mean() <= 0.01, name
    two = np.maximum(imgs[:200], imgs[200:400])  # some second shapes are hidden behind the first: those stay clean
    assert classify_shapes(two)[1].mean() <= 0.10
    flipped = classify_shapes(imgs[:200, ::-1])  # an upside-down triangle is not the mode; discs and squares are
    triangle = labels[:200] // 4 == 2
    assert not flipped[1][triangle].any() and flipped[1][~triangle].mean() >= 0.99
    q = shapes_mode_quality(np.concatenate([imgs[:300], corrupted["blank"]]))
    assert q == {"modes": 12, "modes_total": 12, "hq": 0.6}
    one_mode = imgs[labels == 5][:20]
    assert shapes_mode_quality(one_mode) == {"modes": 1, "modes_total": 12, "hq": 1.0}
    with pytest.raises(InputError, match="expected uint8 N x H x W x 3"):
        classify_shapes(imgs.astype(np.float32))


def test_eta_is_the_remaining_steps_at_the_runs_pace(tmp_path):
    from ganmetrics.train.loop import eta
    assert eta(100, 300, 50.0) == "eta 2m30s" and eta(10, 7200, 10.0) == "eta 2h00m" and eta(1, 0, 5.0) == "eta 0s"
    log = io.StringIO()
    train(TrainConfig(algo="wgan-gp", data="8gaussians", out=str(tmp_path), steps=4, batch_size=16, **FAST), log=log)
    first, last = log.getvalue().splitlines()
    assert first.startswith("step 2 ") and " eta " in first and " eta " not in last   # none once the run is done


def test_image_runs_log_the_held_out_critic_and_js_when_asked(tmp_path):
    """Issue 19 item 4: on shapes32 the curve can carry the held-out critic's W1 and the
    discriminator's JS next to modes/HQ, and the exact pixel-space W1 as the yardstick that needs
    no weights; the logged values are wasserstein_critic (a critic as wide as the run's networks)
    and wasserstein_exact on the evaluation's own samples (redrawn from the checkpoint and the
    evaluation seed)."""
    from ganmetrics.metrics.critic import wasserstein_critic
    from ganmetrics.metrics.wasserstein import wasserstein_exact
    from ganmetrics.train.loop import held_out_net
    cfg = TrainConfig(algo="wgan", data="shapes32", out=str(tmp_path), steps=2, batch_size=8, eval_every=2,
                      eval_samples=16, eval_critic_steps=3, n_train=32, width=4, device="cpu", critic_estimates=True)
    row = train(cfg).iloc[-1]
    assert {"w1_critic", "js_discriminator", "modes", "modes_total", "hq"} <= set(row.index)
    assert row.modes_total == 12 and 0 <= row.hq <= 1
    resolved = cfg.resolved()
    g_net, _ = build_models(resolved)
    g_net.load_state_dict(torch.load(tmp_path / "ckpt_0000002.pt", weights_only=True)["generator"])
    g_net.eval()
    z = torch.randn(16, resolved.z_dim, generator=torch.Generator().manual_seed(1_000_003 * 0 + 2))
    with torch.no_grad():
        fake = g_net(z).numpy()
    real = load_images("shapes32", 32, 32, 0)[:16].numpy()
    critic = held_out_net(real.shape[1:], 4, seed=2)
    assert sum(p.numel() for p in critic.parameters()) < 5_000       # width 4, not the default 64
    assert row.w1_critic == pytest.approx(wasserstein_critic(real, fake, steps=3, seed=2, patience=10 ** 9,
                                                             critic=critic).value, rel=1e-5)
    assert row.w1_exact == pytest.approx(wasserstein_exact(real, fake).value, rel=1e-9)
    assert row.w1_exact > 1.0                                        # 3,072 pixels in [-1, 1]: not a toy's scale


def test_progress_bar_counts_steps_and_keeps_the_evaluation_lines(tmp_path):
    cfg = TrainConfig(algo="nsgan", data="8gaussians", out=str(tmp_path / "bar"), steps=4, batch_size=16, **FAST)
    log = io.StringIO()
    train(cfg, log=log, progress=True)
    text = log.getvalue()
    assert "4/4" in text and "step/s" in text                      # tqdm's counter over generator steps
    evals = [line for line in text.replace("\r", "\n").splitlines() if line.startswith("step ")]
    assert [line.split()[1] for line in evals] == ["2", "4"]      # written above the bar, whole
    quiet = io.StringIO()
    train(dataclasses.replace(cfg, out=str(tmp_path / "quiet")), log=quiet)
    assert "step/s" not in quiet.getvalue() and quiet.getvalue().count("\n") == 2
