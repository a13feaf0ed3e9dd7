"""Progressive GAN (issue 19): each trick against its formula, the fade-in blends, the growing
schedule, --resume mid-fade, and the tricks on --arch dcgan."""
import dataclasses
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from torch import nn

from ganmetrics.cli import main
from ganmetrics.errors import InputError
from ganmetrics.train import TrainConfig, train
from ganmetrics.train.loop import build_models
from ganmetrics.train.models import DCGANDiscriminator, DCGANGenerator
from ganmetrics.train.progan import (MinibatchStd, PixelNorm, ProGANDiscriminator, ProGANGenerator, he_scaled,
                                     n_stages, stage_and_alpha)


def test_pixel_norm_gives_unit_mean_square_per_pixel():
    x = torch.randn(3, 16, 5, 4, dtype=torch.float64) * 7 + 2
    y = PixelNorm()(x)
    assert torch.allclose(y.pow(2).mean(dim=1), torch.ones(3, 5, 4, dtype=torch.float64), atol=1e-12)
    # the formula, one pixel by hand: a / sqrt(mean_j a_j² + 1e-8)
    a = x[1, :, 2, 3].numpy()
    assert np.allclose(y[1, :, 2, 3].numpy(), a / math.sqrt((a ** 2).mean() + 1e-8), rtol=1e-14)


def test_minibatch_std_appends_the_hand_computed_std_as_one_constant_map():
    x = torch.randn(6, 5, 4, 4, dtype=torch.float64) * torch.arange(1, 6, dtype=torch.float64)[None, :, None, None]
    y = MinibatchStd()(x)
    assert y.shape == (6, 6, 4, 4) and torch.equal(y[:, :5], x)
    xs = x.numpy()
    expected = np.sqrt(((xs - xs.mean(0)) ** 2).mean(0) + 1e-8).mean()  # per feature and pixel, then averaged
    assert np.allclose(y[:, 5].numpy(), expected, rtol=1e-12)
    # a batch of identical images has (almost) no spread: the map is sqrt(1e-8)
    same = MinibatchStd()(x[:1].expand(4, -1, -1, -1))
    assert torch.allclose(same[:, 5], torch.full((4, 4, 4), 1e-4, dtype=torch.float64))


@pytest.mark.parametrize("layer,fan_in", [(nn.Linear(300, 20), 300), (nn.Conv2d(16, 8, 3, padding=1), 16 * 9)])
def test_equalized_lr_draws_unit_normal_weights_and_applies_the_he_constant_at_run_time(layer, fan_in):
    torch.manual_seed(0)
    he_scaled(layer)
    raw = layer.parametrizations.weight.original
    assert abs(raw.mean().item()) < 0.05 and abs(raw.std().item() - 1) < 0.05   # N(0, 1), 6,000 / 1,152 draws
    assert torch.count_nonzero(layer.bias) == 0
    c = math.sqrt(2 / fan_in)
    assert torch.equal(layer.weight, raw * c)    # the effective weight has the He scale
    # at run time: the output is the layer with weight raw·c, and the gradient reaching the stored
    # weight is c times the gradient of the effective weight
    x = torch.randn(4, 300) if isinstance(layer, nn.Linear) else torch.randn(2, 16, 5, 5)
    out = layer(x)
    w = (raw.detach() * c).requires_grad_(True)
    ref = F.linear(x, w, layer.bias) if isinstance(layer, nn.Linear) else F.conv2d(x, w, layer.bias, padding=1)
    assert torch.allclose(out, ref, atol=1e-6)
    out.square().sum().backward()
    ref.square().sum().backward()
    assert torch.allclose(raw.grad, c * w.grad, rtol=1e-5, atol=1e-7)


def test_equalized_lr_on_dcgan_uses_each_layers_fan_in():
    g = DCGANGenerator(z_dim=10, size=32, width=4, equalized_lr=True, pixel_norm=True)
    convs = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    first, second = convs[0], convs[1]
    assert torch.equal(first.weight, first.parametrizations.weight.original * math.sqrt(2 / 10))  # 1x1 -> 4x4: z_dim
    assert torch.equal(second.weight, second.parametrizations.weight.original * math.sqrt(2 / (16 * 4)))  # 16 ch·4²/2²
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.modules())          # pixel norm replaces it
    assert sum(isinstance(m, PixelNorm) for m in g.modules()) == 3
    d = DCGANDiscriminator(size=32, width=4, batch_norm=False, minibatch_std=True, equalized_lr=True)
    assert any(isinstance(m, MinibatchStd) for m in d.modules())
    assert d(torch.randn(5, 3, 32, 32)).shape == (5, 1)
    plain = DCGANGenerator(z_dim=10, size=32, width=4)   # the tricks off: the old module layout (checkpoints load)
    assert [type(m) for m in plain.net] == [nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU, nn.ConvTranspose2d,
                                            nn.BatchNorm2d, nn.ReLU, nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU,
                                            nn.ConvTranspose2d, nn.Tanh]


def test_the_growing_schedule():
    # 32x32: 4 stages, phases stab 4, fade 8, stab 8, fade 16, stab 16, fade 32, then 32 to the end
    assert n_stages(32) == 4 and n_stages(64) == 5
    got = [stage_and_alpha(s, 4, 4) for s in range(0, 30, 2)]
    assert got == [(0, 1.0), (0, 1.0), (1, 0.0), (1, 0.5), (1, 1.0), (1, 1.0), (2, 0.0), (2, 0.5), (2, 1.0),
                   (2, 1.0), (3, 0.0), (3, 0.5), (3, 1.0), (3, 1.0), (3, 1.0)]
    assert stage_and_alpha(5, 4, 4) == (1, 0.25)


def _nets(size=32):
    torch.manual_seed(0)
    return ProGANGenerator(z_dim=8, size=size, width=4), ProGANDiscriminator(size=size, width=4)


def test_fade_in_blends_the_upsampled_old_output_with_the_new_block():
    g, _ = _nets()
    z = torch.randn(5, 8)
    with torch.no_grad():
        g.set_progress(1, 1.0)
        new = g(z)
        g.set_progress(0, 1.0)
        old = g(z)                                   # 4x4 upsampled (nearest) to 32x32
        for alpha in (0.0, 0.3, 1.0):
            g.set_progress(1, alpha)
            assert torch.allclose(g(z), (1 - alpha) * old + alpha * new, atol=1e-6)
    assert torch.equal(old[:, :, :8, :8], old[:, :, :1, :1].repeat_interleave(8, 2).repeat_interleave(8, 3)[:, :, :8, :8])


def test_the_discriminator_average_pools_and_fades_in_the_same_way():
    _, d = _nets()
    x = torch.randn(6, 3, 32, 32)
    with torch.no_grad():
        d.set_progress(2, 1.0)
        at16 = d(x)
        assert torch.allclose(d(F.avg_pool2d(x, 2)), at16, atol=1e-5)                 # pooling to 16x16 first
        low = F.avg_pool2d(x, 2)
        assert torch.allclose(d(F.interpolate(low, scale_factor=2, mode="nearest")), d(low), atol=1e-5)
        d.set_progress(1, 1.0)
        at8 = d(x)
        for alpha in (0.0, 0.6):                    # the blend is inside the net, so check its ends and linearity
            d.set_progress(2, alpha)
            h_new = d.blocks[2](d.from_rgb[2](F.avg_pool2d(x, 2)))
            h_old = d.from_rgb[1](F.avg_pool2d(x, 4))
            h = h_old + alpha * (h_new - h_old)
            assert torch.allclose(d(x), d.last(d.mbstd(d.blocks[1](h))), atol=1e-6)
        d.set_progress(2, 0.0)
        assert torch.allclose(d(x), at8, atol=1e-5)          # α = 0 is the previous stage's discriminator
        real = d.real_at_current(x)                           # the reals are blended the same way
        assert torch.allclose(real, F.interpolate(F.avg_pool2d(x, 4), scale_factor=2, mode="nearest"), atol=1e-6)


def _progan(out, **kw):
    return TrainConfig(algo="wgan-gp", data="shapes32", arch="progan", out=str(out), steps=8, phase_steps=4,
                       eval_every=6, eval_samples=16, n_train=64, width=2, batch_size=8, z_dim=8, device="cpu", **kw)


class _StopAfter:
    def __init__(self, step):
        self.marker = f"step {step} "

    def write(self, text):
        if text.startswith(self.marker):
            raise KeyboardInterrupt

    def flush(self):
        pass


def test_progan_resumes_mid_fade_exactly(tmp_path):
    whole = train(_progan(tmp_path / "a"))
    assert list(whole.resolution) == [8, 8] and list(whole.alpha) == [0.25, 0.75]   # both evaluations mid-fade
    assert (whole.w1_exact > 1).all() and "w1_critic" not in whole    # pixel-space W1 on every image run
    with pytest.raises(KeyboardInterrupt):
        train(_progan(tmp_path / "b"), log=_StopAfter(6))
    ck = torch.load(tmp_path / "b" / "ckpt_0000006.pt", weights_only=True)
    assert ck["progan"] == {"stage": 1, "alpha": 0.25, "resolution": 8}
    assert float(ck["generator"]["alpha"]) == 0.25 and int(ck["discriminator"]["stage"]) == 1
    resumed = train(_progan(tmp_path / "b"), resume=True)
    columns = [c for c in whole if c not in ("steps_per_s", "wall_s")]
    pd.testing.assert_frame_equal(whole[columns], resumed[columns])
    a = torch.load(tmp_path / "a" / "ckpt_0000008.pt", weights_only=True)
    b = torch.load(tmp_path / "b" / "ckpt_0000008.pt", weights_only=True)
    for net in ("generator", "discriminator"):
        assert all(torch.equal(a[net][k], b[net][k]) for k in a[net])
    saved = json.loads((tmp_path / "a" / "config.json").read_text())
    assert (saved["preset"], saved["lr"], saved["betas"], saved["n_critic"], saved["drift"], saved["gp_lambda"]) == \
        ("progan", 1e-3, [0.0, 0.99], 1, 0.001, 10.0)
    assert (saved["minibatch_std"], saved["equalized_lr"], saved["pixel_norm"]) == (True, True, True)
    with pytest.raises(InputError, match="cannot resume with phase_steps=2"):
        train(dataclasses.replace(_progan(tmp_path / "b"), phase_steps=2, steps=10), resume=True)


def test_the_drift_term_is_in_the_critic_loss(tmp_path, monkeypatch):
    """One critic step at the first stage, loss recomputed by hand: WGAN-GP + 0.001·E[D(x)²]."""
    import ganmetrics.train.loop as loop
    seen = {}
    original = loop.gradient_penalty

    def spy(critic, real, fake, g):
        gp = original(critic, real, fake, g)
        with torch.no_grad():
            d_real, d_fake = critic(real), critic(fake)
        seen.setdefault("parts", (d_real.mean().item(), d_fake.mean().item(), gp.item(), d_real.pow(2).mean().item()))
        return gp

    monkeypatch.setattr(loop, "gradient_penalty", spy)
    curve = train(dataclasses.replace(_progan(tmp_path), steps=1, eval_every=1))
    d_real, d_fake, gp, sq = seen["parts"]
    assert curve.d_loss.iloc[0] == pytest.approx(d_fake - d_real + 10 * gp + 0.001 * sq, rel=1e-5)


def test_dcgan_with_the_tricks_trains_and_bad_combinations_are_one_line_errors(tmp_path):
    cfg = TrainConfig(algo="wgan-gp", data="shapes32", arch="dcgan", out=str(tmp_path / "d"), steps=2, eval_every=2,
                      eval_samples=16, n_train=32, width=4, batch_size=8, device="cpu", minibatch_std=True,
                      equalized_lr=True, pixel_norm=True)
    curve = train(cfg)
    assert np.isfinite(curve.d_loss).all()
    resolved = cfg.resolved()
    assert resolved.preset == "paper" and resolved.drift == 0.0
    g, d = build_models(resolved)
    assert any(isinstance(m, MinibatchStd) for m in d.modules()) and any(isinstance(m, PixelNorm) for m in g.modules())
    with pytest.raises(InputError, match="--minibatch-std: for --arch dcgan or progan, not mlp-image"):
        TrainConfig(algo="wgan", data="shapes32", arch="mlp-image", out="x", minibatch_std=True).resolved()
    r = CliRunner().invoke(main, ["train", "--algo", "wgan-gp", "--data", "8gaussians", "--arch", "progan",
                                  "--out", str(tmp_path / "t")])
    assert r.exit_code == 2 and "the 2-D toys use --arch mlp" in r.stderr


def test_equalized_lr_brings_progans_adam_unless_told_otherwise(tmp_path):
    """Equalised LR stores N(0, 1) weights and is designed with Adam 1e-3, β (0, 0.99): that is
    its default on any arch; explicit options (a named preset too) win; a new run refuses weight
    clipping (wgan) with it, naming where the equalised LR came from."""
    base = dict(data="shapes32", arch="dcgan", out=str(tmp_path / "x"))
    eq = TrainConfig(algo="wgan-gp", equalized_lr=True, **base).resolved()
    assert (eq.lr, eq.betas, eq.n_critic, eq.preset) == (1e-3, (0.0, 0.99), 5, "paper")
    plain = TrainConfig(algo="wgan-gp", minibatch_std=True, pixel_norm=True, **base).resolved()
    assert (plain.lr, plain.betas) == (1e-4, (0.0, 0.9))
    mine = TrainConfig(algo="wgan-gp", equalized_lr=True, lr=2e-4, betas=(0.5, None), **base).resolved()
    assert (mine.lr, mine.betas) == (2e-4, (0.5, 0.99))
    assert TrainConfig(algo="nsgan", equalized_lr=True, **base).resolved().lr == 1e-3
    paper = TrainConfig(algo="nsgan", equalized_lr=True, preset="paper", **base).resolved()
    assert (paper.lr, paper.betas) == (2e-4, (0.5, 0.999))              # --preset paper keeps the paper's values
    with pytest.raises(InputError, match=r"^--equalized-lr, and with --algo wgan weight clipping would bound"):
        train(TrainConfig(algo="wgan", equalized_lr=True, **base))
    r = CliRunner().invoke(main, ["train", "--algo", "wgan", "--data", "shapes32", "--arch", "progan",
                                  "--out", str(tmp_path / "p")])
    assert r.exit_code == 2 and "--arch progan uses equalised LR by default" in r.stderr
    assert "--no-equalized-lr" in r.stderr and "Traceback" not in r.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "p").exists()


def test_runs_started_under_older_defaults_resume_with_their_own(tmp_path):
    """Runs started before equalised LR brought ProGAN's Adam (lr 1e-4 recorded) or before wgan
    was refused with it continue, from Python without naming their settings and from the CLI."""
    from ganmetrics.train import loop
    tiny = dict(data="shapes32", steps=2, eval_every=2, eval_samples=10, n_train=32, width=2, batch_size=8,
                z_dim=8, device="cpu")
    old = TrainConfig(algo="wgan-gp", arch="dcgan", equalized_lr=True, out=str(tmp_path / "gp"), **tiny)
    loop._train(dataclasses.replace(old.resolved(), lr=1e-4, betas=(0.0, 0.9)), False, io.StringIO())
    resumed = train(dataclasses.replace(old, steps=4), resume=True, log=io.StringIO())
    assert list(resumed.step) == [2, 4]
    assert json.loads((tmp_path / "gp" / "config.json").read_text())["lr"] == 1e-4
    clipped = TrainConfig(algo="wgan", arch="progan", out=str(tmp_path / "wgan"), **tiny)
    loop._train(clipped.resolved(), False, io.StringIO())                 # as the code before the check did
    r = CliRunner().invoke(main, ["train", "--out", str(tmp_path / "wgan"), "--resume", "--steps", "4", "-q"])
    assert r.exit_code == 0, r.output
    assert list(pd.read_csv(tmp_path / "wgan" / "curves.csv").step) == [2, 4]
