"""Acceptance runs of the reference trainers on 8 Gaussians (results go in docs/training.md).

1. WGAN-GP with default settings vs the non-saturating GAN, same budget (steps) and seeds:
   modes covered (of 8) and share of high-quality samples at the end, per seed.
2. Along each WGAN-GP run: Spearman correlation between the held-out critic estimate and the
   exact W1 over the logged points (they should decrease together).
3. Along each GAN run: Spearman correlation between the discriminator's JS estimate and the
   exact W1, and between JS and the high-quality share (the WGAN paper's point: JS does not
   track sample quality).

    python benchmarks/bench_train.py --steps 5000 --seeds 5 --jobs 2
    python benchmarks/bench_train.py --runs wgan-gp:paper,wgan-gp:toy-code,wgan-gp:beta1-0.5 --steps 2000 --seeds 1

A run is ``algo`` or ``algo:variant``; the variants override the papers' WGAN-GP defaults with
the published toy script's settings (``toy-code``: λ = 0.1, Adam β = (0.5, 0.9), batch 256) or
only its β1 (``beta1-0.5``), or the toy script's settings with the learning rates decayed linearly
to 0 over the run as in the authors' CIFAR-10 code (``toy-code-decay``).

Runs go in parallel over --jobs processes (each toy run uses one thread).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import tempfile
import time
from pathlib import Path

from scipy.stats import spearmanr

from ganmetrics.train import TrainConfig, train


VARIANTS = {
    "paper": {},
    "toy-code": {"gp_lambda": 0.1, "betas": (0.5, 0.9), "batch_size": 256},
    "beta1-0.5": {"betas": (0.5, 0.9)},
    "toy-code-decay": {"gp_lambda": 0.1, "betas": (0.5, 0.9), "batch_size": 256, "lr_decay": "linear"},
}


def one_run(job):
    run, seed, steps, eval_every, out = job
    algo, _, variant = run.partition(":")
    start = time.perf_counter()
    curve = train(TrainConfig(algo=algo, data="8gaussians", out=str(out / f"{run.replace(':', '-')}-{seed}"),
                              steps=steps, eval_every=eval_every, seed=seed, **VARIANTS[variant or "paper"]),
                  log=open(os.devnull, "w"))
    return run, seed, curve, time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--runs", default="wgan-gp,nsgan", help="comma-separated algo or algo:variant (%s)" % ", ".join(VARIANTS))
    args = p.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_train_"))
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}); 8gaussians, {args.steps} steps, "
          f"eval every {args.eval_every}, seeds 0..{args.seeds - 1}; runs in {out}\n")
    print("| algo | seed | modes (of 8) | high-quality share | final exact W1 | wall s | steps/s | "
          "Spearman(critic W, exact W1) | Spearman(JS, exact W1) | Spearman(JS, HQ share) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    jobs = [(algo, seed, args.steps, args.eval_every, out) for algo in args.runs.split(",") for seed in range(args.seeds)]
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for algo, seed, curve, wall in pool.imap(one_run, jobs):
            last = curve.iloc[-1]
            rho_w = spearmanr(curve.w1_critic, curve.w1_exact).statistic
            rho_js = spearmanr(curve.js_discriminator, curve.w1_exact).statistic
            rho_hq = spearmanr(curve.js_discriminator, curve.hq).statistic
            print(f"| {algo} | {seed} | {int(last.modes)} | {last.hq:.3f} | {last.w1_exact:.4f} | {wall:.0f} | "
                  f"{args.steps / wall:.1f} | {rho_w:.3f} | {rho_js:.3f} | {rho_hq:.3f} |", flush=True)


if __name__ == "__main__":
    main()
