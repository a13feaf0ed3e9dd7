"""Image runs of issue 19 on shapes32 (results go in docs/training.md). Meant for a GPU; on a
CPU use small --steps/--width.

``claim``: the WGAN paper's Fig. 3/4 point. A WGAN and a WGAN-GP run (DCGAN) log the held-out
critic's W1 estimate, a GAN run (non-saturating, DCGAN) the held-out discriminator's JS
estimate, all next to FID/KID (when Inception weights are given), the exact W1 in pixel space
(1,000 generated vs 1,000 real images; the yardstick that needs no weights), modes covered (of
12) and the clean share. The table gives, per run, Spearman correlations of each estimate (also the
training critic's own, -d_loss, and the training discriminator's JS, log 2 - d_loss / 2, the
quantities the paper plots) with each quality measure over the logged points (the paper: the
critic's estimate falls as quality rises, so positive with FID/KID and pixel W1, negative with
modes/HQ; JS does not follow). The figure goes to --figure.

``tricks``: DCGAN vs DCGAN with ProGAN's three tricks vs Progressive GAN (all WGAN-GP) over
--seeds seeds: modes covered, the clean share and the pixel-space W1 at the end.

    python benchmarks/bench_train_images.py claim --steps 20000 --eval-every 1000 --weights W --figure docs/img/wgan_claim.png
    python benchmarks/bench_train_images.py tricks --steps 14000 --seeds 3 --eval-every 1000

Runs already in --out are continued or read back, as in bench_train.py.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
from pathlib import Path

import pandas as pd
import torch
from scipy.stats import spearmanr

from ganmetrics.train import TrainConfig, train

CLAIM = {"wgan": dict(algo="wgan", critic_estimates=True), "wgan-gp": dict(algo="wgan-gp", critic_estimates=True),
         "nsgan": dict(algo="nsgan", critic_estimates=True)}
TRICKS = {"dcgan": dict(algo="wgan-gp", arch="dcgan"),
          "dcgan+tricks": dict(algo="wgan-gp", arch="dcgan", minibatch_std=True, equalized_lr=True, pixel_norm=True),
          "progan": dict(algo="wgan-gp", arch="progan")}


def run(name, options, seed, args) -> pd.DataFrame:
    folder = args.out / f"{name}-{seed}"
    resume = any(folder.glob("ckpt_*.pt"))
    cfg = TrainConfig(data="shapes32", out=str(folder), steps=args.steps, eval_every=args.eval_every, seed=seed,
                      eval_samples=args.eval_samples, eval_critic_steps=args.critic_steps, width=args.width,
                      weights=args.weights, device=args.device, **options)
    return train(cfg, resume=resume, log=open(os.devnull, "w") if args.quiet else sys.stderr)


def rho(curve, a, b) -> str:
    """Spearman's rank correlation of two logged columns; "—" where one is missing or constant."""
    if a not in curve or b not in curve or len(curve) < 3 or curve[a].nunique() < 2 or curve[b].nunique() < 2:
        return "—"
    value = spearmanr(curve[a], curve[b]).statistic
    return f"{value:.3f}"


def training_estimate(name, curve) -> tuple[str, pd.Series]:
    """What the papers plot: the training critic's estimate -d_loss (WGAN; WGAN-GP with its
    penalty), or the training discriminator's JS, log 2 - d_loss / 2 (GAN: d_loss is
    -E log D(x) - E log(1 - D(G(z))) = 2 log 2 - 2 JS at the optimal D)."""
    if name == "nsgan":
        return "train_js", math.log(2) - curve.d_loss / 2
    return "train_w1", -curve.d_loss


def claim(args) -> None:
    curves = {name: run(name, options, 0, args) for name, options in CLAIM.items()}
    for name, curve in curves.items():
        column, values = training_estimate(name, curve)
        curve[column] = values
    print("| run | estimate | points | Spearman with FID | with KID | with exact pixel W1 | with modes covered "
          "| with clean share |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, curve in curves.items():
        for est in ("train_w1", "train_js", "w1_critic", "js_discriminator"):
            if est in curve:
                print(f"| {name} | {est} | {len(curve)} | {rho(curve, est, 'fid')} | {rho(curve, est, 'kid')} | "
                      f"{rho(curve, est, 'w1_exact')} | {rho(curve, est, 'modes')} | {rho(curve, est, 'hq')} |")
    print("\n| run | step | training estimate | w1_critic | critic Lipschitz | w1_exact (pixels) | js_discriminator "
          "| modes | clean share |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, curve in curves.items():
        column, _ = training_estimate(name, curve)
        for _, r in curve.iterrows():
            print(f"| {name} | {int(r.step)} | {column} {r[column]:.4f} | {r.w1_critic:.2f} | {r.critic_lipschitz:.2f} "
                  f"| {r.w1_exact:.2f} | {r.js_discriminator:.4f} | {int(r.modes)} | {r.hq:.3f} |")
    if args.figure:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        order = ("train_w1", "train_js", "w1_critic", "js_discriminator", "w1_exact", "fid", "kid", "modes", "hq")
        panels = [c for c in order if any(c in d and d[c].nunique() > 1 for d in curves.values())]  # not constant
        cols = min(4, len(panels))
        rows = -(-len(panels) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False)
        for ax, column in zip(axes.flat, panels):
            for name, curve in curves.items():
                if column in curve:
                    ax.plot(curve.step, curve[column], marker=".", label=name)
            if column in ("train_w1", "w1_critic"):  # WGAN's and WGAN-GP's scales differ 100x
                ax.set_yscale("log")
            ax.set(title=column, xlabel="step")
            ax.legend(fontsize=7)
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(args.figure, dpi=90)


def tricks(args) -> None:
    print("| model | seed | modes (of 12) | clean share | pixel W1 | FID | wall s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, options in TRICKS.items():
        for seed in range(args.seeds):
            last = run(name, options, seed, args).iloc[-1]
            fid = f"{last.fid:.2f}" if "fid" in last else "—"
            w1 = f"{last.w1_exact:.2f}" if "w1_exact" in last and pd.notna(last.w1_exact) else "—"
            print(f"| {name} | {seed} | {int(last.modes)} | {last.hq:.3f} | {w1} | {fid} | {last.wall_s:.0f} |",
                  flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["claim", "tricks"])
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--eval-samples", type=int, default=2000)
    p.add_argument("--critic-steps", type=int, default=500)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--weights", default=None, help="Inception weights for FID/KID (else modes/HQ only)")
    p.add_argument("--device", default="auto")
    p.add_argument("--figure", default=None)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()
    args.out = args.out or Path(tempfile.mkdtemp(prefix="bench_train_images_"))
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}), {gpu}; shapes32, {args.steps} steps, "
          f"eval every {args.eval_every}; runs in {args.out}\n")
    (claim if args.what == "claim" else tricks)(args)


if __name__ == "__main__":
    main()
