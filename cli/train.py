"""``ganmetrics train`` and ``ganmetrics curves``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource

from ganmetrics.config import IMAGE_SETS, TOYS, TRAIN_ALGORITHMS, TRAIN_PRESETS
from ganmetrics.errors import InputError, display_name
from ganmetrics.io import check_writable

from .options import Finite, output_option


@click.command()
@click.option("--algo", type=click.Choice(TRAIN_ALGORITHMS),
              help="gan (minimax), nsgan (non-saturating), wgan (weight clipping), wgan-gp.  [required for a new run]")
@click.option("--data", help=f"Toy ({', '.join(TOYS)}), {', '.join(IMAGE_SETS)}, or an image "
                                            "folder/array of --size x --size images.  [required for a new run]")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder.")
@click.option("--steps", type=click.IntRange(min=1), default=5000, show_default=True, help="Generator updates.")
@click.option("--arch", type=click.Choice(["auto", "mlp", "dcgan", "progan", "mlp-image"]), default="auto",
              show_default=True, help="auto: mlp for toys, dcgan for images. progan: Progressive GAN (Karras et al. "
              "2018), grown from 4x4 to --size with fade-ins.")
@click.option("--preset", type=click.Choice(TRAIN_PRESETS), default=None,
              help="toy (wgan-gp only): --gp-lambda 0.1 --beta1 0.5 --batch-size 256 --lr-decay linear, the WGAN-GP "
                   "authors' toy script (plus their CIFAR code's decay): 8/8 modes on 8gaussians in 5 seeds of 5 at "
                   "4,000 and at 5,000 steps. paper: the papers' tables (WGAN-GP: λ 10, β (0, 0.9), batch 64). Explicit options win.  "
                   "[default: toy for wgan-gp on the 2-D toys, paper otherwise (images, other algorithms)]")
@click.option("--size", type=click.Choice(["32", "64"]), default="32", show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="[default: the preset's / algorithm's]")
@click.option("--lr", type=Finite(min=0, min_open=True), default=None,
              help="[default: the preset's / algorithm's; 1e-3 with --equalized-lr unless --preset is named]")
@click.option("--lr-decay", type=click.Choice(["none", "linear"]), default=None,
              help="linear: decay both learning rates to 0 over --steps (the WGAN-GP authors' CIFAR code).  "
                   "[default: none; linear under --preset toy]")
@click.option("--beta1", type=Finite(min=0, max=1, max_open=True), default=None,
              help="Adam beta1.  [default: the algorithm's; 0.5 under --preset toy; 0 with --equalized-lr unless "
                   "--preset is named]")
@click.option("--beta2", type=Finite(min=0, max=1, max_open=True), default=None,
              help="Adam beta2.  [default: the algorithm's; 0.99 with --equalized-lr unless --preset is named]")
@click.option("--n-critic", type=click.IntRange(min=1), default=None, help="[default: 5 for WGANs, 1 for GANs]")
@click.option("--gp-lambda", type=Finite(min=0), default=None, help="WGAN-GP penalty weight.  [default: 10; 0.1 under --preset toy]")
@click.option("--clip", type=Finite(min=0, min_open=True), default=0.01, show_default=True, help="WGAN weight clipping c.")
@click.option("--spectral-norm", is_flag=True, help="Spectral normalisation in the discriminator/critic.")
@click.option("--batch-norm/--no-batch-norm", default=None,
              help="Batch norm in the DCGAN discriminator [default: on, off for WGAN-GP].")
@click.option("--minibatch-std/--no-minibatch-std", default=None,
              help="ProGAN's minibatch-std feature map before the discriminator's last block [default: on for progan].")
@click.option("--equalized-lr/--no-equalized-lr", default=None,
              help="Weights N(0,1) scaled at run time by sqrt(2/fan_in) in both nets; with it the default Adam is "
                   "ProGAN's (--lr 1e-3 --beta1 0 --beta2 0.99), which N(0,1) weights need, unless those or "
                   "--preset are given. Not with --algo wgan (clipping would bound the N(0,1) weights) "
                   "[default: on for progan].")
@click.option("--pixel-norm/--no-pixel-norm", default=None,
              help="Pixelwise feature normalisation in the generator (replaces its batch norm) [default: on for progan].")
@click.option("--width", type=click.IntRange(min=1), default=64, show_default=True,
              help="Base width of the image models (DCGAN: first layer's maps; progan: 4x width at 4x4).")
@click.option("--phase-steps", type=click.IntRange(min=1), default=None,
              help="progan: generator steps per fade-in and per stabilisation phase  [default: --steps / (2 stages - 1)].")
@click.option("--drift", type=Finite(min=0), default=None, help="Critic drift penalty weight ε·E[D(x)²]  [default: 0.001 for "
              "progan, else 0].")
@click.option("--z-dim", type=click.IntRange(min=1), default=None, help="[default: 2 for toys, 100 for images]")
@click.option("--eval-every", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--critic-estimates", is_flag=True, default=None,
              help="Image runs: also log a held-out DCGAN critic's W1 and a held-out discriminator's JS estimate "
                   "(as wide as --width, trained from scratch at each evaluation; always on for the toys).")
@click.option("--eval-samples", type=click.IntRange(min=10), default=2000, show_default=True)
@click.option("--eval-critic-steps", type=click.IntRange(min=1), default=500, show_default=True,
              help="Steps of each held-out critic / discriminator (toys, and images with --critic-estimates).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="auto", show_default=True,
              help="auto: the GPU when present for image runs, the CPU for the 2-D toys; or cpu, cuda, cuda:N.")
@click.option("--weights", type=click.Path(dir_okay=False), default=None,
              help="Inception weights, for FID/KID/IS curves of image runs.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint, with the "
              "options it was started with (config.json); options given again must match, except a larger --steps.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (the evaluation lines still print).")
def train(beta1, beta2, resume, quiet, **options):
    """Train a reference GAN / WGAN and log its metric curves (curves.csv, samples/, checkpoints).

    Defaults follow what the authors ran on that kind of data (docs/training.md). Stop it at
    any time; `ganmetrics train --out RUN --resume` continues it from the last evaluation, with
    the settings it was started with.

    \b
    Which preset applies:
      wgan-gp on the 2-D toys: toy (the authors' toy script: --gp-lambda 0.1 --beta1 0.5
        --batch-size 256, plus --lr-decay linear). With the paper's Adam beta1 = 0 the toys
        converge for some seeds only (1 seed of 5 at 5,000 steps); with toy, all 5 of 5 (8/8 modes, at 4,000 and 5,000 steps).
      wgan-gp with --arch progan: progan (Karras et al.: Adam 1e-3, beta (0, 0.99),
        n_critic 1, drift 0.001, λ 10).
      other images, and gan / nsgan / wgan anywhere: paper (the papers' tables; WGAN-GP:
        λ 10, beta (0, 0.9), batch 64).
      --preset paper keeps the paper's values on the toys too.

    \b
    Examples:
      ganmetrics train --algo wgan-gp --data 8gaussians --steps 4000 --out runs/wgangp-8g
      ganmetrics train --algo wgan-gp --data 8gaussians --preset paper --out runs/wgangp-8g-paper
      ganmetrics train --algo wgan --data shapes32 --arch dcgan --steps 20000 --out runs/wgan-shapes
      ganmetrics train --algo wgan-gp --data shapes32 --arch progan --steps 14000 --out runs/progan
    """
    from ganmetrics.train import train as run_training   # torch: only when a run starts
    from ganmetrics.train.resume import config_for
    ctx = click.get_current_context()
    given = {name for name in ctx.params if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT}
    options["size"] = int(options["size"])
    config = config_for(options, given, resume, beta1, beta2)
    try:
        run_training(config, resume=resume, progress=not quiet and sys.stderr.isatty())
    except KeyboardInterrupt:
        raise click.ClickException(f"interrupted; continue with: ganmetrics train --out {options['out']} --resume") from None
    click.echo(f"done: {display_name(Path(options['out']) / 'curves.csv')}", err=True)


@click.command()
@click.argument("runs", nargs=-1, required=True)
@output_option(default="curves.png", help="PNG path.")
def curves(runs, output):
    """Plot the curves of one or several training runs side by side (PNG).

    \b
    Example:
      ganmetrics curves runs/wgangp-8g runs/gan-8g -o curves.png
    """
    from ganmetrics.train.curves import load_curves, plot_curves
    check_writable(output)
    plot_curves(load_curves(list(runs)), Path(output))
    click.echo(f"wrote {display_name(output)}", err=True)
