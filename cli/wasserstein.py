"""``ganmetrics wasserstein`` and ``ganmetrics reproduce``."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from tqdm import tqdm

from ganmetrics.config import W1_METHODS
from ganmetrics.errors import display_name
from ganmetrics.io import check_writable, to_json

from .options import extractor_options, output_option

if TYPE_CHECKING:   # named for type checkers only: importing it loads torch
    from ganmetrics.features.runner import FeatureRunner


@click.command()
@click.argument("a")
@click.argument("b")
@click.option("--on", type=click.Choice(["features", "pixels"]), default="features", show_default=True,
              help="Images become Inception pool3 features, or raw pixels in [-1, 1]. .npy files of "
                   "N x d vectors are used as they are.")
@click.option("--method", type=click.Choice(W1_METHODS), default="critic-gp", show_default=True,
              help="critic-gp / critic-clip: held-out critic estimate (WGAN-GP / WGAN); exact: optimal "
                   "transport (small samples); sliced: sliced W1 (random projections, a lower bound).")
@click.option("--steps", type=click.IntRange(min=1), default=3000, show_default=True,
              help="Critic: maximum training steps (stops earlier on a plateau).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--ci", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Critic: bootstrap interval of the held-out estimate at this level.")
@click.option("--no-baseline", is_flag=True, help="Skip the same-distribution baseline (A split in halves).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@extractor_options
def wasserstein(a, b, on, method, steps, seed, ci, no_baseline, as_json, runner: FeatureRunner):
    """Wasserstein-1 distance between A (real) and B.

    Inputs: image folders/arrays (turned into --features features or pixels) or .npy files
    of N x d vectors. W1 on high-dimensional samples is dominated by small-sample bias, so the same estimate
    between two random halves of A is reported beside it as a baseline: only the excess over
    the baseline measures a difference between A and B.

    \b
    Examples:
      ganmetrics wasserstein real/ fake/ --on features --method critic-gp --ci 0.95
      ganmetrics wasserstein a.npy b.npy --method exact
    """
    from ganmetrics.transport import wasserstein_with_baseline   # torch: only when it runs
    device = runner.extraction.device
    result = wasserstein_with_baseline(a, b, on=on, method=method, steps=steps, seed=seed, ci=ci,
                                       baseline=not no_baseline, runner=runner,
                                       device=None if device == "auto" else device)
    if as_json:
        click.echo(to_json(result))
        return
    line = f"W1 ({method}): {result['w1']:.4f}"
    if "ci_low" in result:
        line += f"   {ci:.0%} CI [{result['ci_low']:.4f}, {result['ci_high']:.4f}]"
    click.echo(line)
    if "lipschitz" in result:
        click.echo(f"critic Lipschitz constant: {result['lipschitz']:.3f}   W1 / L: {result['normalized']:.4f}"
                   f"   ({result['steps']} steps)")
    if "baseline" in result:
        click.echo(f"baseline (A half vs A half): {result['baseline']:.4f}")


@click.group()
def reproduce():
    """Reproduce the WGAN paper's argument (PNG + CSV)."""


@reproduce.command()
@output_option(default="distances.png", help="PNG path; the CSV is written beside it.")
@click.option("--points", type=click.IntRange(min=2), default=21, show_default=True, help="θ values in [-1, 1].")
@click.option("--steps", type=click.IntRange(min=1), default=2000, show_default=True, help="Critic steps per θ.")
@click.option("--seed", type=int, default=0, show_default=True)
def distances(output, points, steps, seed):
    """Parallel lines P0 = (0, U[0,1]) vs Pθ = (θ, U[0,1]): analytic TV, KL, JS, W and the critic
    and discriminator estimates. W tracks |θ|; JS sits at log 2 (Arjovsky et al. 2017, Example 1)."""
    from ganmetrics import reproduce as repro
    out = Path(output)
    check_writable(out)
    with tqdm(total=points, desc="θ", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False) as bar:
        df = repro.distances(points, critic_steps=steps, disc_steps=max(1, steps // 2), seed=seed, progress=bar)
    repro.save_csv(df, out.with_suffix(".csv"))
    repro.plot_distances(df, out)
    click.echo(f"wrote {display_name(out)} and {display_name(out.with_suffix('.csv'))}", err=True)


@reproduce.command("critic-vs-discriminator")
@output_option(default="critic.png", help="PNG path; the CSV is written beside it.")
@click.option("--steps", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def critic_vs_discriminator(output, steps, seed):
    """Two 1-D Gaussians: the GAN discriminator saturates (vanishing gradient at the modes) while
    the WGAN-GP critic is linear with gradient ≈ 1 between them and estimates W1 (Arjovsky et al.
    2017, Figure 2)."""
    from ganmetrics import reproduce as repro
    out = Path(output)
    check_writable(out)
    df = repro.critic_vs_discriminator(steps=steps, seed=seed)
    repro.save_csv(df, out.with_suffix(".csv"))
    repro.plot_critic_vs_discriminator(df, out)
    s = df.attrs
    click.echo(f"critic W1 {s['w1_critic']:.3f} (exact {s['w1_exact']:.3f}); |df/dx| between the modes in "
               f"[{s['critic_grad_min']:.3f}, {s['critic_grad_max']:.3f}]; |dD/dx| at the modes "
               f"{s['discriminator_grad_at_modes']:.2g}")
    click.echo(f"wrote {out} and {out.with_suffix('.csv')}", err=True)
