"""The training loop: steps, evaluations, curves, checkpoints, resume.

One step = ``n_critic`` discriminator/critic updates, then one generator update. Every
``eval_every`` steps the run logs the mean losses since the last evaluation, steps/s, the wall
time since the start (evaluations included, carried across resumes), and on the
toys: the exact W1 between 1,000 generated and 1,000 fresh real points, a held-out critic (W1)
and discriminator (JS) estimate trained from scratch on fresh samples, modes covered and the
share of high-quality samples (Unrolled-GAN protocol); on images: the exact W1 in pixel space
between 1,000 generated and the first 1,000 training images, FID, KID and IS through the
package's extractor when Inception weights are available, and on shapes32 the modes covered (of
12) and the share of clean samples (``data.classify_shapes``). The curve goes to ``curves.csv`` and
a scatter plot or image grid to ``samples/``; then the whole state (models, optimisers, the
data/latent RNG, the curve) is checkpointed atomically. Evaluations draw from their own RNG
seeded by (seed, step), so they do not disturb training: a run stopped at any moment and
resumed with ``resume=True`` continues from its last evaluation and, on the CPU, produces the
same curve as an uninterrupted run.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from ..errors import InputError
from ..config import DEFAULTS, Extraction, resolve_device
from ..evaluation import estimates
from ..features.runner import FeatureRunner, extract_features
from ..features.weights import ENV_VAR, WEIGHTS_FILENAME, cache_dir
from ..inputs.sources import to_uint8
from ..io import atomic_write, write_text
from ..metrics import registry
from ..report.plots import grid_png
from ..metrics.critic import dcgan_critic, js_discriminator, wasserstein_critic
from ..metrics.wasserstein import wasserstein_exact
from . import data as datasets
from .algorithms import ALGORITHMS, PRESET_ALGOS, PRESETS, discriminator_loss, generator_loss, gradient_penalty, make_optimizer
from .models import DCGANDiscriminator, DCGANGenerator, MLPImageGenerator, mlp, spectral
from .progan import ProGANDiscriminator, ProGANGenerator, n_stages, stage_and_alpha


@dataclass
class TrainConfig:
    algo: str
    data: str
    out: str
    steps: int = 5000
    arch: str = "auto"                   # mlp (toys), dcgan, progan or mlp-image (images)
    size: int = 32
    z_dim: int | None = None             # 2 for toys, 100 for images
    batch_size: int | None = None        # algorithm default
    lr: float | None = None
    betas: tuple[float | None, float | None] | None = None   # a None: the algorithm's / preset's value
    n_critic: int | None = None
    gp_lambda: float | None = None       # 10 (the paper), 0.1 under preset "toy"
    clip: float = 0.01
    lr_decay: str | None = None          # "none"; "linear": lr·(1 − step/steps), as the WGAN-GP CIFAR code
    preset: str | None = None            # "paper" or "toy" (PRESETS in algorithms.py); None: default_preset()
    spectral_norm: bool = False
    width: int = 64                      # image models' base width (DCGAN's 64; ProGAN: 4·width maps at 4x4)
    minibatch_std: bool | None = None    # ProGAN's tricks: on for --arch progan, off for dcgan unless asked
    equalized_lr: bool | None = None
    pixel_norm: bool | None = None
    phase_steps: int | None = None       # progan: steps per fade-in / stabilisation phase (default: steps / phases)
    drift: float | None = None           # progan: ε_drift·E[D(x)²] in the critic loss, 0.001 (Karras et al.)
    batch_norm: bool | None = None       # DCGAN: on, except in a WGAN-GP critic
    eval_every: int = 500
    eval_samples: int = 2000
    eval_critic_steps: int = 500
    critic_estimates: bool | None = None  # held-out critic W1 / discriminator JS: toys always, images if asked
    n_train: int = 10000                 # images generated for shapes32
    seed: int = 0
    device: str = "auto"                 # images: the GPU when present; toys: the CPU (see train_device)
    weights: str | None = None           # Inception weights for image FID/KID/IS curves

    def resolved(self) -> "TrainConfig":
        if self.algo not in ALGORITHMS:
            raise InputError(f"--algo {self.algo}: unknown (choose from {', '.join(ALGORITHMS)})")
        a = ALGORITHMS[self.algo]
        preset_name = self.preset or default_preset(self.algo, self.data, self.arch)
        if preset_name not in PRESETS:
            raise InputError(f"--preset {preset_name}: unknown (choose from {', '.join(PRESETS)})")
        if self.algo not in PRESET_ALGOS[preset_name]:
            raise InputError(f"--preset {preset_name}: for --algo {', '.join(PRESET_ALGOS[preset_name])} only")
        preset = PRESETS[preset_name]
        lr_decay = self.lr_decay or preset.get("lr_decay", "none")
        toy = self.data in datasets.TOYS
        arch = self.arch if self.arch != "auto" else ("mlp" if toy else "dcgan")
        if toy and arch != "mlp":
            raise InputError(f"--arch {arch}: the 2-D toys use --arch mlp")
        if not toy and arch not in ("dcgan", "progan", "mlp-image"):
            raise InputError(f"--arch {arch}: images use --arch dcgan, progan or mlp-image")
        tricks = {k: getattr(self, k) for k in ("minibatch_std", "equalized_lr", "pixel_norm")}
        if arch not in ("dcgan", "progan") and any(tricks.values()):
            raise InputError(f"--{'/'.join(k.replace('_', '-') for k, v in tricks.items() if v)}: "
                             f"for --arch dcgan or progan, not {arch}")
        tricks = {k: (arch == "progan") if v is None else v for k, v in tricks.items()}
        # Equalised LR stores weights N(0, 1), so a step of Adam's lr moves them lr relative to
        # their size, 10-50x less than on DCGAN's small initial weights: it is designed with ProGAN's
        # Adam (1e-3, beta (0, 0.99)). With the paper's 1e-4 a DCGAN with the tricks still drew noise
        # after 2,000 steps on shapes32, with 1e-3 blobs by 600 (docs/training.md). Explicit options
        # (--lr, --beta1/2, a named --preset) win.
        progans_adam = tricks["equalized_lr"] and a.optimizer == "adam" and self.preset is None
        optimiser = PRESETS["progan"] if progans_adam else {}
        phase_steps = self.phase_steps
        if arch == "progan":
            if phase_steps is None:
                phase_steps = max(1, self.steps // (2 * n_stages(self.size) - 1))
            if phase_steps < 1:
                raise InputError("--phase-steps must be at least 1")
        drift = preset.get("drift", 0.0) if self.drift is None else self.drift
        if lr_decay not in LR_DECAYS:
            raise InputError(f"--lr-decay {lr_decay}: unknown (choose from {', '.join(LR_DECAYS)})")
        for name in ("steps", "eval_every", "eval_samples"):
            if getattr(self, name) < 1:
                raise InputError(f"--{name.replace('_', '-')} must be at least 1")
        return dataclasses.replace(
            self, preset=preset_name, arch=arch, phase_steps=phase_steps, drift=drift, **tricks, z_dim=self.z_dim or (2 if toy else 100),
            batch_size=self.batch_size or preset.get("batch_size", a.batch_size),
            lr=self.lr or optimiser.get("lr", preset.get("lr", a.lr)),
            betas=tuple(b if b is not None else d for b, d in
                        zip(self.betas or (None, None), optimiser.get("betas", preset.get("betas", a.betas)))),
            n_critic=self.n_critic or preset.get("n_critic", a.n_critic), lr_decay=lr_decay,
            gp_lambda=preset.get("gp_lambda", 10.0) if self.gp_lambda is None else self.gp_lambda,
            batch_norm=(self.algo != "wgan-gp") if self.batch_norm is None else self.batch_norm)


LR_DECAYS = ("none", "linear")
CURVE_METRICS = ("fid", "kid", "is")  # image runs: logged at every evaluation


def default_preset(algo: str, data: str, arch: str = "auto") -> str:
    """The preset a run gets when none is named: what the authors ran on that kind of data.
    WGAN-GP on the 2-D toys: "toy" (their toy script gan_toy.py, λ 0.1, β (0.5, 0.9), batch 256,
    plus the linear decay of their CIFAR code; with the paper's β1 = 0 the toys converge for some
    seeds only, docs/training.md). WGAN-GP with --arch progan: "progan" (Karras et al.: Adam 1e-3,
    β (0, 0.99), n_critic 1, drift 0.001). Everything else, images included: "paper"."""
    if algo == "wgan-gp" and data in datasets.TOYS:
        return "toy"
    return "progan" if algo == "wgan-gp" and arch == "progan" else "paper"


def lr_at(cfg: "TrainConfig", step: int) -> float:
    """The learning rate of generator step ``step`` (0-based): constant, or decayed linearly to 0
    over the run as in the WGAN-GP authors' CIFAR-10 ResNet code (both networks). A function of
    the step alone, so a resumed run follows the same schedule."""
    if cfg.lr_decay == "linear":
        return cfg.lr * max(0.0, 1.0 - step / cfg.steps)
    return cfg.lr


@dataclass
class _State:
    step: int = 0
    curve: list[dict] = field(default_factory=list)


def build_models(cfg: TrainConfig):
    """Generator and discriminator of a resolved config (a saved config.json also works: options
    from before a field existed are off)."""
    if cfg.arch == "mlp":
        g, d = mlp(cfg.z_dim, 2), mlp(2, 1)
    elif cfg.arch == "progan":
        g = ProGANGenerator(cfg.z_dim, cfg.size, cfg.width, pixel_norm=cfg.pixel_norm is not False,
                            equalized_lr=cfg.equalized_lr is not False)
        d = ProGANDiscriminator(cfg.size, cfg.width, minibatch_std=cfg.minibatch_std is not False,
                                equalized_lr=cfg.equalized_lr is not False)
    elif cfg.arch == "dcgan":
        g = DCGANGenerator(cfg.z_dim, cfg.size, cfg.width, batch_norm=True, pixel_norm=bool(cfg.pixel_norm),
                           equalized_lr=bool(cfg.equalized_lr))
        d = DCGANDiscriminator(cfg.size, cfg.width, batch_norm=cfg.batch_norm, minibatch_std=bool(cfg.minibatch_std),
                               equalized_lr=bool(cfg.equalized_lr))
    else:
        g, d = MLPImageGenerator(cfg.z_dim, cfg.size), DCGANDiscriminator(cfg.size, batch_norm=cfg.batch_norm)
    return g, (spectral(d) if cfg.spectral_norm else d)


def _checkpoints(out: Path) -> list[Path]:
    return sorted(out.glob("ckpt_*.pt"))


def _save_checkpoint(out: Path, state: _State, g, d, opt_g, opt_d, rng: torch.Generator, cfg) -> None:
    payload = {"step": state.step, "curve": state.curve, "config": json.dumps(dataclasses.asdict(cfg)),
               "generator": g.state_dict(), "discriminator": d.state_dict(), "opt_g": opt_g.state_dict(),
               "opt_d": opt_d.state_dict(), "rng": rng.get_state()}
    if hasattr(g, "stage"):  # Progressive GAN: where the growing schedule stands (also buffers of both nets)
        payload["progan"] = {"stage": int(g.stage), "alpha": float(g.alpha), "resolution": g.resolution}
    with atomic_write(out / f"ckpt_{state.step:07d}.pt") as f:
        torch.save(payload, f)
    for old in _checkpoints(out)[:-2]:  # keep the last two: one bad file never loses the run
        old.unlink()


def _load_checkpoint(out: Path):
    ckpts = _checkpoints(out)
    if not ckpts:
        raise InputError(f"{out}: no checkpoint to resume from (ckpt_*.pt)")
    latest = ckpts[-1]
    try:
        return torch.load(latest, map_location="cpu", weights_only=True)
    except Exception as e:  # a torn or corrupted file
        hint = (f"; the previous checkpoint {ckpts[-2].name} is intact: delete {latest.name} to resume from it"
                if len(ckpts) > 1 else "")
        raise InputError(f"{latest}: corrupt checkpoint ({str(e).splitlines()[0][:120]}){hint}") from None


#: what runs recorded before these options existed ran with
_BEFORE_RECORDED = {"lr_decay": "none", "preset": "paper", "width": 64, "minibatch_std": False, "equalized_lr": False,
                    "pixel_norm": False, "phase_steps": None, "drift": 0.0}


def _run_settings(out: Path) -> dict:
    """The resolved settings recorded in the latest checkpoint of the run in ``out``; fields
    that runs from before an option existed do not record take what those runs ran with."""
    saved = json.loads(_load_checkpoint(out)["config"])
    return {**_BEFORE_RECORDED, **{k: v for k, v in saved.items() if v is not None or k not in _BEFORE_RECORDED}}


def _with_run_settings(cfg: "TrainConfig", saved: dict) -> "TrainConfig":
    """``cfg`` with each setting it leaves to a default (None) taken from the run it resumes, so
    that a change of a default (a preset, equalised LR's optimiser) never changes a run under way;
    the settings given are checked against the run by ``_train``."""
    fill = {}
    for f in dataclasses.fields(cfg):
        if getattr(cfg, f.name) is None and saved.get(f.name) is not None:
            fill[f.name] = tuple(saved[f.name]) if f.name == "betas" else saved[f.name]
    if cfg.betas is not None and None in cfg.betas and saved.get("betas"):  # one beta given: the run's other
        fill["betas"] = tuple(b if b is not None else r for b, r in zip(cfg.betas, saved["betas"]))
    return dataclasses.replace(cfg, **fill)


def run_config(out) -> dict | None:
    """The resolved options of the run in ``out`` (its config.json), or None if it holds none."""
    path = Path(out) / "config.json"
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a run configuration ({str(e)[:100]})") from None
    if not isinstance(saved, dict) or "algo" not in saved:
        raise InputError(f"{path}: not a run configuration (no 'algo')")
    return saved


def train_device(cfg: TrainConfig) -> torch.device:
    """``device="auto"``: the GPU when present for image runs; the CPU for the 2-D toys, whose
    tiny MLPs train in minutes there and whose documented curves reproduce to the digit on it.
    An explicit device is checked (a missing GPU is a one-line error)."""
    if cfg.device == "auto" and cfg.data in datasets.TOYS:
        return torch.device("cpu")
    return resolve_device(cfg.device)


def train(cfg: TrainConfig, resume: bool = False, log=sys.stderr, progress: bool = False) -> pd.DataFrame:
    """Run (or resume) a training run; returns the curve. Writes config.json, curves.csv,
    run.log, samples/ and checkpoints into ``cfg.out``. ``progress``: a tqdm bar over the
    generator steps on ``log`` (the evaluation lines, each with its ETA, print above it). A resumed
    run continues with the settings it was started with wherever ``cfg`` leaves one to its default
    (None): its preset ("paper" for runs from before presets existed), learning rate, betas and
    the rest, so a change of a default never changes a run under way. Raises ``InputError`` for
    an invalid combination (a new run only: runs under way continue) or a given setting that
    differs from the run's."""
    resuming = resume and _checkpoints(Path(cfg.out))
    if resuming:
        cfg = _with_run_settings(cfg, _run_settings(Path(cfg.out)))
    given = cfg
    cfg = cfg.resolved()
    if cfg.equalized_lr and cfg.algo == "wgan" and not resuming:  # runs started before this check continue
        why = "--arch progan uses equalised LR by default" if given.equalized_lr is None else "--equalized-lr"
        raise InputError(f"{why}, and with --algo wgan weight clipping would bound the stored N(0, 1) weights, "
                         f"not the ones the critic uses; use --algo wgan-gp (ProGAN's loss) or --no-equalized-lr")
    if cfg.data in datasets.TOYS and train_device(cfg).type == "cpu":
        # The toy MLPs are tiny: one thread avoids thread overheads (measured 4x faster on 2
        # busy cores) and leaves the other cores to parallel runs.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return _train(cfg, resume, log, progress)
        finally:
            torch.set_num_threads(threads)
    return _train(cfg, resume, log, progress)


def _train(cfg: TrainConfig, resume: bool, log, progress: bool = False) -> pd.DataFrame:
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "samples").mkdir(exist_ok=True)
    device = train_device(cfg)
    toy = cfg.data in datasets.TOYS
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        g_net, d_net = build_models(cfg)
    g_net, d_net = g_net.to(device), d_net.to(device)
    algo = ALGORITHMS[cfg.algo]
    opt_g = make_optimizer(algo, g_net.parameters(), cfg.lr, cfg.betas)
    opt_d = make_optimizer(algo, d_net.parameters(), cfg.lr, cfg.betas)
    rng = torch.Generator().manual_seed(cfg.seed)
    state = _State()
    if resume and _checkpoints(out):
        ck = _load_checkpoint(out)
        saved = {**_BEFORE_RECORDED, **json.loads(ck["config"])}
        for key in ("algo", "data", "arch", "preset", "seed", "batch_size", "n_critic", "lr", "z_dim", "lr_decay",
                    "gp_lambda", "betas", "clip", "width", "minibatch_std", "equalized_lr", "pixel_norm",
                    "phase_steps", "drift"):
            now = list(cfg.betas) if key == "betas" else getattr(cfg, key)
            if saved[key] != now and not (key == "lr" and abs(saved[key] - cfg.lr) < 1e-15):
                raise InputError(f"{out}: cannot resume with {key}={now}; the run was started "
                                 f"with {key}={saved[key]}")
        if cfg.steps < ck["step"]:
            raise InputError(f"{out}: the run is already at step {ck['step']}; --steps {cfg.steps} would end it "
                             f"before that (give --steps {ck['step']} or more)")
        if cfg.lr_decay == "linear" and saved["steps"] != cfg.steps:
            # allowed (extending a decayed run is the only way to train it further), but the rate jumps
            msg = (f"note: --steps {cfg.steps} (was {saved['steps']}) changes the linear decay: the learning rate "
                   f"goes from {lr_at(dataclasses.replace(cfg, steps=saved['steps']), ck['step']):.3g} "
                   f"to {lr_at(cfg, ck['step']):.3g} at step {ck['step']} and reaches 0 at step {cfg.steps}")
            _say(msg, out, log)
        g_net.load_state_dict(ck["generator"])
        d_net.load_state_dict(ck["discriminator"])
        opt_g.load_state_dict(ck["opt_g"])
        opt_d.load_state_dict(ck["opt_d"])
        rng.set_state(ck["rng"])
        state = _State(ck["step"], list(ck["curve"]))
    elif not resume and _checkpoints(out):
        raise InputError(f"{out}: already holds a run; pass --resume to continue it or choose another --out")
    write_text(out / "config.json", json.dumps(dataclasses.asdict(cfg), indent=1))

    images = None if toy else datasets.load_images(cfg.data, cfg.size, cfg.n_train, cfg.seed).to(device)
    evaluator = _Evaluator(cfg, images, device)

    def real_batch(n):
        if toy:
            return datasets.sample_toy(cfg.data, n, rng).to(device)
        return images[torch.randint(0, len(images), (n,), generator=rng).to(device)]

    def latent(n):
        return torch.randn(n, cfg.z_dim, generator=rng).to(device)

    sums, count, t0 = np.zeros(2), 0, time.perf_counter()
    # wall time since the run started, carried across resumes (time spent stopped not counted)
    wall_base, session_start = (state.curve[-1].get("wall_s", 0.0) if state.curve else 0.0), t0
    first_step = state.step
    g_net.train()
    d_net.train()
    progan = cfg.arch == "progan"
    bar = tqdm(total=cfg.steps, initial=state.step, unit="step", file=log, dynamic_ncols=True,
               disable=not progress, leave=False)
    try:
        while state.step < cfg.steps:
            for opt in (opt_g, opt_d):
                for group in opt.param_groups:
                    group["lr"] = lr_at(cfg, state.step)
            if progan:  # the growing schedule, a function of the step (so a resumed run continues mid-fade)
                stage = stage_and_alpha(state.step, cfg.phase_steps, n_stages(cfg.size))
                g_net.set_progress(*stage)
                d_net.set_progress(*stage)
            for _ in range(cfg.n_critic):
                real = real_batch(cfg.batch_size)
                with torch.no_grad():
                    fake = g_net(latent(cfg.batch_size))
                if progan:  # both at the current resolution, so the gradient penalty is taken there
                    real, fake = d_net.real_at_current(real), d_net.to_current(fake)
                d_real = d_net(real)
                loss_d = discriminator_loss(cfg.algo, d_real, d_net(fake))
                if cfg.algo == "wgan-gp":
                    loss_d = loss_d + cfg.gp_lambda * gradient_penalty(d_net, real, fake, rng)
                if cfg.drift:
                    loss_d = loss_d + cfg.drift * d_real.pow(2).mean()
                opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                opt_d.step()
                if cfg.algo == "wgan":
                    with torch.no_grad():
                        for p in d_net.parameters():
                            p.clamp_(-cfg.clip, cfg.clip)
            loss_g = generator_loss(cfg.algo, d_net(g_net(latent(cfg.batch_size))))
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            state.step += 1
            sums += (loss_d.item(), loss_g.item())
            count += 1
            bar.update(1)
            if state.step % cfg.eval_every == 0 or state.step == cfg.steps:
                elapsed = time.perf_counter() - t0
                row = {"step": state.step, "d_loss": sums[0] / count, "g_loss": sums[1] / count,
                       "steps_per_s": count / elapsed}
                if progan:
                    row.update(resolution=g_net.resolution, alpha=float(g_net.alpha))
                row.update(evaluator(g_net, state.step, out))
                row["wall_s"] = wall_base + time.perf_counter() - session_start
                # plain Python numbers: checkpoints load with weights_only=True, which refuses numpy scalars
                row = {k: (int(v) if isinstance(v, (int, np.integer)) else float(v)) for k, v in row.items()}
                state.curve.append(row)
                _write_curve(out, state.curve)
                _save_checkpoint(out, state, g_net, d_net, opt_g, opt_d, rng, cfg)
                msg = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())
                if state.step < cfg.steps:
                    msg += "  " + eta(state.step - first_step, cfg.steps - state.step, time.perf_counter() - session_start)
                _say(msg, out, log, bar)
                sums, count, t0 = np.zeros(2), 0, time.perf_counter()
    finally:
        bar.close()
    return pd.DataFrame(state.curve)


def eta(done: int, left: int, seconds: float) -> str:
    """'eta 1h02m' for ``left`` more steps at this session's pace (evaluations included): ``done``
    steps took ``seconds``."""
    rest = round(left * seconds / max(done, 1))
    h, m, sec = rest // 3600, rest % 3600 // 60, rest % 60
    return f"eta {h}h{m:02d}m" if h else (f"eta {m}m{sec:02d}s" if m else f"eta {sec}s")


def _say(msg: str, out: Path, log, bar=None) -> None:
    """One line to the caller's stream (above the progress bar, if one is shown) and to run.log."""
    if bar is not None and not bar.disable:
        bar.write(msg, file=log)
    else:
        print(msg, file=log, flush=True)
    with open(out / "run.log", "a") as f:
        f.write(msg + "\n")


def _write_curve(out: Path, curve: list[dict]) -> None:
    with atomic_write(out / "curves.csv", "w") as f:
        pd.DataFrame(curve).to_csv(f, index=False)


class _Evaluator:
    """Metrics of the current generator, from an RNG seeded by (seed, step)."""

    def __init__(self, cfg: TrainConfig, images, device):
        self.cfg, self.images, self.device = cfg, images, device
        self.toy = cfg.data in datasets.TOYS
        self.reference = None  # image runs: real feature statistics, computed once

    def __call__(self, g_net, step: int, out: Path) -> dict:
        cfg = self.cfg
        ev = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
        was_training = g_net.training
        g_net.eval()
        with torch.no_grad():
            z = torch.randn(cfg.eval_samples, cfg.z_dim, generator=ev).to(self.device)
            fake = torch.cat([g_net(c) for c in z.split(500)]).cpu()
        g_net.train(was_training)
        row: dict = {}
        if self.toy:
            real = datasets.sample_toy(cfg.data, cfg.eval_samples, ev)
            f_np, r_np = fake.double().numpy(), real.double().numpy()
            m = min(1000, len(f_np))
            row["w1_exact"] = wasserstein_exact(r_np[:m], f_np[:m]).value
            row["w1_critic"] = wasserstein_critic(r_np, f_np, steps=cfg.eval_critic_steps, seed=step,
                                                  patience=10 ** 9).value
            row["js_discriminator"] = js_discriminator(r_np, f_np, steps=cfg.eval_critic_steps, seed=step).value
            quality = datasets.mode_quality(f_np, cfg.data)
            if quality:
                row.update(quality)
            _scatter(out / "samples" / f"step_{step:07d}.png", r_np, f_np, step)
        else:
            if cfg.data == "shapes32":  # modes covered (of 12) and the clean share, like the toys
                row.update(datasets.shapes_mode_quality(to_uint8(fake).permute(0, 2, 3, 1).numpy()))
            r_np, f_np = self.images[:cfg.eval_samples].cpu().numpy(), fake.numpy()
            m = min(1000, len(r_np), len(f_np))  # the weight-free yardstick: exact W1 in pixel space
            row["w1_exact"] = wasserstein_exact(r_np[:m], f_np[:m]).value
            if cfg.critic_estimates:  # the WGAN paper's Fig. 3/4 quantities, with a DCGAN critic
                critic = wasserstein_critic(
                    r_np, f_np, steps=cfg.eval_critic_steps, seed=step, patience=10 ** 9, device=str(self.device),
                    critic=held_out_net(r_np.shape[1:], cfg.width, step))
                row["w1_critic"], row["critic_lipschitz"] = critic.value, critic.lipschitz
                row["js_discriminator"] = js_discriminator(
                    r_np, f_np, steps=cfg.eval_critic_steps, seed=step, device=str(self.device),
                    discriminator=held_out_net(r_np.shape[1:], cfg.width, step)).value
            row.update(self._image_metrics(fake))
            _grid(out / "samples" / f"step_{step:07d}.png", fake[:64])
        return row

    def _image_metrics(self, fake: torch.Tensor) -> dict:
        """FID (exact small-sample route), KID and IS of the generated images against the real
        ones, through the metric registry; {} when no Inception weights are at hand."""
        if not (self.cfg.weights or os.environ.get(ENV_VAR) or (cache_dir() / WEIGHTS_FILENAME).is_file()):
            return {}  # no Inception weights here: losses only
        runner = FeatureRunner(Extraction(weights=self.cfg.weights, device=str(self.device), workers=0))
        if self.reference is None:
            self.reference = extract_features(to_uint8(self.images[:self.cfg.eval_samples].cpu()), runner, name="real")
        f = extract_features(to_uint8(fake), runner, name="fake")
        n = min(len(self.reference), len(f))
        specs = [registry.get_metric(m) for m in CURVE_METRICS]
        params = {**registry.param_defaults(specs), "sqrtm": "features", "kid_subsets": 10,
                  "kid_subset_size": min(1000, n), "seed": DEFAULTS.seed, "splits": min(10, len(f))}
        return {name: est.value for name, est in
                estimates(specs, self.reference, f, params, registry.Context(device=runner.device)).items()}


def held_out_net(shape: tuple, width: int, seed: int) -> torch.nn.Module:
    """The DCGAN critic (no batch norm) that an image run's held-out W1 and JS estimates train
    from scratch: as wide as the run's own networks (``width`` channels in its first layer), its
    initial weights drawn from ``seed`` without touching the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return dcgan_critic(shape[0], shape[-1], width)


def _scatter(path: Path, real: np.ndarray, fake: np.ndarray, step: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(real[:, 0], real[:, 1], s=2, alpha=0.3, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=2, alpha=0.3, label="generated")
    ax.set(title=f"step {step}", aspect="equal")
    ax.legend(loc="upper right", fontsize=7, markerscale=4)
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=80)
    plt.close(fig)


def _grid(path: Path, images: torch.Tensor) -> None:
    uint8 = to_uint8(images).numpy()
    with atomic_write(path) as f:
        f.write(grid_png(uint8, min_width=0))
