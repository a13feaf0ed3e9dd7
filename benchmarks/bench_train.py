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
to 0 over the run as in the authors' CIFAR-10 code (``toy-code-decay``, which is ``--preset toy``). The ``paper-*`` variants
keep every value the paper fixes (λ = 10, n_critic 5, Adam 1e-4, β (0, 0.9)) and change only what
it leaves open: the batch size (``paper-b256``: the toy script's 256), the schedule
(``paper-decay``: linear decay) or both (``paper-b256-decay``).

Runs go in parallel over --jobs processes (each toy run uses one thread). Runs already in --out
are continued, or read back when finished, so the table can be rebuilt from earlier runs.

The exact W1 of 1,000 generated points against 1,000 fresh real points cannot go below the
value two real samples have (0.107 ± 0.031 over 30 pairs here); the script measures that floor
and also reports the critic/exact-W1 correlation over the logged points above it, where the two
can still decrease together.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

from ganmetrics.metrics.wasserstein import wasserstein_exact
from ganmetrics.train import TrainConfig, train
from ganmetrics.train.data import sample_toy


VARIANTS = {
    "default": {},  # what `ganmetrics train --algo ALGO --data DATA` runs with no other option
    "paper": {"preset": "paper"},
    "toy-code": {"preset": "paper", "gp_lambda": 0.1, "betas": (0.5, 0.9), "batch_size": 256},
    "beta1-0.5": {"preset": "paper", "betas": (0.5, 0.9)},
    "toy-code-decay": {"preset": "toy"},  # = toy-code + lr_decay linear (tested equal)
    "paper-decay": {"preset": "paper", "lr_decay": "linear"},
    "paper-b256": {"preset": "paper", "batch_size": 256},
    "paper-b256-decay": {"preset": "paper", "batch_size": 256, "lr_decay": "linear"},
}


def one_run(job):
    """Train one run, or continue it if --out already holds it (a finished run is read back)."""
    run, seed, steps, eval_every, out, data = job
    algo, _, variant = run.partition(":")
    folder = out / f"{data}-{run.replace(':', '-')}-{seed}"
    start, resume = time.perf_counter(), any(folder.glob("ckpt_*.pt"))
    curve = train(TrainConfig(algo=algo, data=data, out=str(folder), steps=steps, eval_every=eval_every,
                              seed=seed, **VARIANTS[variant or "default"]),
                  resume=resume, log=open(os.devnull, "w"))
    if "wall_s" in curve:
        wall = curve.wall_s.iloc[-1]
    else:  # a run from before curves logged wall time: known only if it ran here, uninterrupted
        wall = None if resume else time.perf_counter() - start
    return run, seed, curve, wall


def w1_floor(data: str, n: int = 1000, pairs: int = 30) -> tuple[float, float]:
    """Mean and sd of the exact W1 between two independent n-point samples of the toy: the
    value a perfect generator would be logged with. Below about mean + 2 sd, differences in the
    logged W1 are sampling noise."""
    values = []
    for k in range(pairs):
        g = torch.Generator().manual_seed(10_000 + k)
        a, b = (sample_toy(data, n, g).double().numpy() for _ in range(2))
        values.append(wasserstein_exact(a, b).value)
    return float(np.mean(values)), float(np.std(values, ddof=1))


def spearman_above(curve, threshold: float) -> tuple[float, int]:
    """Spearman(critic W, exact W1) over the logged points whose exact W1 is above ``threshold``."""
    above = curve[curve.w1_exact > threshold]
    if len(above) < 3:
        return float("nan"), len(above)
    return spearmanr(above.w1_critic, above.w1_exact).statistic, len(above)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--first-seed", type=int, default=0, help="seeds are first-seed .. first-seed + seeds - 1")
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--data", default="8gaussians", choices=["8gaussians", "25gaussians"])
    p.add_argument("--runs", default="wgan-gp,nsgan", help="comma-separated algo or algo:variant (%s)" % ", ".join(VARIANTS))
    args = p.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_train_"))
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}); {args.data}, {args.steps} steps, "
          f"eval every {args.eval_every}, seeds {args.first_seed}..{args.first_seed + args.seeds - 1}; runs in {out}\n")
    floor, sd = w1_floor(args.data)
    threshold = floor + 2 * sd
    print(f"exact W1 between two 1,000-point samples of the real distribution: {floor:.3f} ± {sd:.3f}; "
          f"'above floor' = logged exact W1 > {threshold:.3f}\n")
    print(f"| algo | seed | modes (of {8 if args.data == '8gaussians' else 25}) | high-quality share | final exact W1 | wall s | steps/s | "
          "Spearman(critic W, exact W1) | same, above floor (points) | Spearman(JS, exact W1) | "
          "Spearman(JS, HQ share) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    jobs = [(algo, seed, args.steps, args.eval_every, out, args.data) for algo in args.runs.split(",") for seed in range(args.first_seed, args.first_seed + args.seeds)]
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for algo, seed, curve, wall in pool.imap(one_run, jobs):
            last = curve.iloc[-1]
            rho_w = spearmanr(curve.w1_critic, curve.w1_exact).statistic
            rho_js = spearmanr(curve.js_discriminator, curve.w1_exact).statistic
            rho_hq = spearmanr(curve.js_discriminator, curve.hq).statistic
            rho_above, points = spearman_above(curve, threshold)
            timing = f"{wall:.0f} | {args.steps / wall:.1f}" if wall else "— | —"
            print(f"| {algo} | {seed} | {int(last.modes)} | {last.hq:.3f} | {last.w1_exact:.4f} | {timing} | "
                  f"{rho_w:.3f} | {rho_above:.3f} ({points}) | {rho_js:.3f} | {rho_hq:.3f} |", flush=True)


if __name__ == "__main__":
    main()
