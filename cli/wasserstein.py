"""``ganmetrics wasserstein`` and ``ganmetrics reproduce``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np
from tqdm import tqdm

from ganmetrics import reproduce as repro
from ganmetrics.errors import InputError, display_name
from ganmetrics.evaluate import ExtractorOptions, extract_features
from ganmetrics.io import check_writable, load_npy, to_json
from ganmetrics.metrics.critic import wasserstein_critic
from ganmetrics.metrics.wasserstein import wasserstein_exact, wasserstein_sliced
from ganmetrics.sources import open_images, read_all

from .common import extractor_options
from .main import main

METHODS = ("critic-gp", "critic-clip", "exact", "sliced")


def load_samples(path: str, on: str, opts: ExtractorOptions) -> tuple[np.ndarray, str]:
    """N x d vectors from an .npy of vectors; otherwise images -> Inception pool3 features
    (``--on features``) or pixels scaled to [-1, 1] (``--on pixels``, N x C x H x W)."""
    p = Path(path)
    if p.suffix.lower() == ".npy" and p.is_file():
        arr = load_npy(p)
        if arr.ndim == 2:
            if arr.dtype.kind not in "iuf":
                raise InputError(f"{p}: expected numeric vectors, got dtype {arr.dtype}")
            return arr.astype(np.float64), "vectors"
    if on == "features":
        return extract_features(path, opts).pool3.astype(np.float64), "features"
    return read_all(open_images(path, None, opts.root, opts.download), opts.workers).astype(np.float32) / 127.5 - 1, "pixels"


def estimate(x, y, method: str, steps: int, seed: int, ci, device: str) -> dict:
    if method == "exact":
        flat_x, flat_y = x.reshape(len(x), -1), y.reshape(len(y), -1)
        return {"w1": wasserstein_exact(flat_x, flat_y).value}
    if method == "sliced":
        return {"w1": wasserstein_sliced(x.reshape(len(x), -1), y.reshape(len(y), -1), seed=seed)}
    est = wasserstein_critic(x, y, method=method.split("-")[1], steps=steps, seed=seed, ci=ci, device=device)
    out = {"w1": est.value, "lipschitz": est.lipschitz, "normalized": est.normalized, "steps": est.steps}
    if est.interval is not None:
        out["ci_low"], out["ci_high"] = est.interval
    return out


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--on", type=click.Choice(["features", "pixels"]), default="features", show_default=True,
              help="Images become Inception pool3 features, or raw pixels in [-1, 1]. .npy files of "
                   "N x d vectors are used as they are.")
@click.option("--method", type=click.Choice(METHODS), default="critic-gp", show_default=True,
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
def wasserstein(a, b, on, method, steps, seed, ci, no_baseline, as_json, opts: ExtractorOptions):
    """Wasserstein-1 distance between A (real) and B.

    W1 on high-dimensional samples is dominated by small-sample bias, so the same estimate
    between two random halves of A is reported beside it as a baseline: only the excess over
    the baseline measures a difference between A and B.

    \b
    Examples:
      ganmetrics wasserstein real/ fake/ --on features --method critic-gp --ci 0.95
      ganmetrics wasserstein a.npy b.npy --method exact
    """
    (x, kind), (y, _) = load_samples(a, on, opts), load_samples(b, on, opts)
    if x.shape[1:] != y.shape[1:]:
        raise InputError(f"{a} and {b} have different dimensions: {x.shape[1:]} and {y.shape[1:]}")
    device = "cpu" if opts.device == "auto" else opts.device
    result = {"method": method, "on": kind, "n_a": len(x), "n_b": len(y), **estimate(x, y, method, steps, seed, ci, device)}
    if not no_baseline:
        perm = np.random.default_rng(seed).permutation(len(x))
        half = len(x) // 2
        result["baseline"] = estimate(x[perm[:half]], x[perm[half:2 * half]], method, steps, seed, None, device)["w1"]
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


@main.group()
def reproduce():
    """Reproduce the WGAN paper's argument (PNG + CSV)."""


@reproduce.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="distances.png", show_default=True,
              help="PNG path; the CSV is written beside it.")
@click.option("--points", type=click.IntRange(min=2), default=21, show_default=True, help="θ values in [-1, 1].")
@click.option("--steps", type=click.IntRange(min=1), default=2000, show_default=True, help="Critic steps per θ.")
@click.option("--seed", type=int, default=0, show_default=True)
def distances(output, points, steps, seed):
    """Parallel lines P0 = (0, U[0,1]) vs Pθ = (θ, U[0,1]): analytic TV, KL, JS, W and the critic
    and discriminator estimates. W tracks |θ|; JS sits at log 2 (Arjovsky et al. 2017, Example 1)."""
    out = Path(output)
    check_writable(out)
    with tqdm(total=points, desc="θ", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False) as bar:
        df = repro.distances(points, critic_steps=steps, disc_steps=max(1, steps // 2), seed=seed, progress=bar)
    repro.save_csv(df, out.with_suffix(".csv"))
    repro.plot_distances(df, out)
    click.echo(f"wrote {display_name(out)} and {display_name(out.with_suffix('.csv'))}", err=True)


@reproduce.command("critic-vs-discriminator")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="critic.png", show_default=True,
              help="PNG path; the CSV is written beside it.")
@click.option("--steps", type=click.IntRange(min=1), default=3000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def critic_vs_discriminator(output, steps, seed):
    """Two 1-D Gaussians: the GAN discriminator saturates (vanishing gradient) while the WGAN-GP
    critic stays near-linear (Arjovsky et al. 2017, Figure 2)."""
    out = Path(output)
    check_writable(out)
    df = repro.critic_vs_discriminator(steps=steps, seed=seed)
    repro.save_csv(df, out.with_suffix(".csv"))
    repro.plot_critic_vs_discriminator(df, out)
    click.echo(f"wrote {display_name(out)} and {display_name(out.with_suffix('.csv'))}", err=True)
