"""``ganmetrics train`` and ``ganmetrics curves``."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import click
from click.core import ParameterSource

from ganmetrics.errors import InputError, display_name
from ganmetrics.io import check_writable
from ganmetrics.train import ALGORITHMS, TrainConfig, train as run_training
from ganmetrics.train.algorithms import PRESETS
from ganmetrics.train.loop import run_config
from ganmetrics.train.curves import load_curves, plot_curves
from ganmetrics.train.data import IMAGE_SETS, TOYS

from .main import main


@main.command()
@click.option("--algo", type=click.Choice(list(ALGORITHMS)),
              help="gan (minimax), nsgan (non-saturating), wgan (weight clipping), wgan-gp.  [required for a new run]")
@click.option("--data", help=f"Toy ({', '.join(TOYS)}), {', '.join(IMAGE_SETS)}, or an image "
                                            "folder/array of --size x --size images.  [required for a new run]")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder.")
@click.option("--steps", type=click.IntRange(min=1), default=5000, show_default=True, help="Generator updates.")
@click.option("--arch", type=click.Choice(["auto", "mlp", "dcgan", "mlp-image"]), default="auto", show_default=True,
              help="auto: mlp for toys, dcgan for images.")
@click.option("--preset", type=click.Choice(list(PRESETS)), default="paper", show_default=True,
              help="paper: the papers' defaults. toy (wgan-gp only): --gp-lambda 0.1 --beta1 0.5 --batch-size 256 "
                   "--lr-decay linear, what trains WGAN-GP on the 2-D toys in 5,000 steps. Explicit options win.")
@click.option("--size", type=click.Choice(["32", "64"]), default="32", show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="[default: the algorithm's; 256 under --preset toy]")
@click.option("--lr", type=float, default=None, help="[default: the algorithm's]")
@click.option("--lr-decay", type=click.Choice(["none", "linear"]), default=None,
              help="linear: decay both learning rates to 0 over --steps (the WGAN-GP authors' CIFAR code).  "
                   "[default: none; linear under --preset toy]")
@click.option("--beta1", type=float, default=None, help="Adam beta1.  [default: the algorithm's; 0.5 under --preset toy]")
@click.option("--beta2", type=float, default=None, help="Adam beta2.  [default: the algorithm's]")
@click.option("--n-critic", type=click.IntRange(min=1), default=None, help="[default: 5 for WGANs, 1 for GANs]")
@click.option("--gp-lambda", type=float, default=None, help="WGAN-GP penalty weight.  [default: 10; 0.1 under --preset toy]")
@click.option("--clip", type=float, default=0.01, show_default=True, help="WGAN weight clipping c.")
@click.option("--spectral-norm", is_flag=True, help="Spectral normalisation in the discriminator/critic.")
@click.option("--batch-norm/--no-batch-norm", default=None,
              help="Batch norm in the DCGAN discriminator [default: on, off for WGAN-GP].")
@click.option("--z-dim", type=click.IntRange(min=1), default=None, help="[default: 2 for toys, 100 for images]")
@click.option("--eval-every", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--eval-samples", type=click.IntRange(min=10), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="auto", show_default=True,
              help="auto: the GPU when present for image runs, the CPU for the 2-D toys; or cpu, cuda, cuda:N.")
@click.option("--weights", type=click.Path(dir_okay=False), default=None,
              help="Inception weights, for FID/KID/IS curves of image runs.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint, with the "
              "options it was started with (config.json); options given again must match, except a larger --steps.")
def train(beta1, beta2, resume, **options):
    """Train a reference GAN / WGAN and log its metric curves (curves.csv, samples/, checkpoints).

    Defaults follow the papers (see docs/training.md). Stop it at any time;
    `ganmetrics train --out RUN --resume` continues it from the last evaluation.

    On the 2-D toys WGAN-GP with the paper's Adam beta1 = 0 converges for some seeds only (at
    5,000 steps 1 seed of 5 covers all 8 modes, loosely). --preset toy takes the authors' toy
    script settings (--gp-lambda 0.1 --beta1 0.5 --batch-size 256) plus --lr-decay linear, and
    the generator settles on the modes (8/8 modes, 80%+ high-quality samples at 5,000 steps
    in 5 seeds of 5: docs/training.md).

    \b
    Examples:
      ganmetrics train --algo wgan-gp --data 8gaussians --steps 5000 --out runs/wgangp-8g
      ganmetrics train --algo wgan-gp --data 8gaussians --preset toy --out runs/wgangp-8g-toy
      ganmetrics train --algo wgan --data shapes32 --arch dcgan --steps 20000 --out runs/wgan-shapes
    """
    ctx = click.get_current_context()
    given = {name for name in ctx.params if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT}
    options["size"] = int(options["size"])
    saved = run_config(options["out"]) if resume else None
    if saved:  # continue with the run's own settings; options given now override them (and are checked)
        fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"out"}
        options = {**{k: v for k, v in saved.items() if k in fields},
                   **{k: v for k, v in options.items() if k in given or k == "out"}}
    elif resume and (options["algo"] is None or options["data"] is None):
        raise InputError(f"--resume: {display_name(options['out'])} holds no run to continue (no config.json); "
                         "to start one there, give --algo and --data")
    elif options["algo"] is None or options["data"] is None:
        raise click.UsageError("--algo and --data are required (only --resume of an existing run can omit them)")
    if beta1 is not None or beta2 is not None:  # a beta not given: the run's, else resolved() fills it in
        run_beta1, run_beta2 = options.get("betas") or (None, None)
        options["betas"] = (run_beta1 if beta1 is None else beta1, run_beta2 if beta2 is None else beta2)
    try:
        run_training(TrainConfig(**options), resume=resume)
    except KeyboardInterrupt:
        raise click.ClickException(f"interrupted; continue with: ganmetrics train --out {options['out']} --resume") from None
    click.echo(f"done: {display_name(Path(options['out']) / 'curves.csv')}", err=True)


@main.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="curves.png", show_default=True)
def curves(runs, output):
    """Plot the curves of one or several training runs side by side (PNG).

    \b
    Example:
      ganmetrics curves runs/wgangp-8g runs/gan-8g -o curves.png
    """
    check_writable(output)
    plot_curves(load_curves(list(runs)), Path(output))
    click.echo(f"wrote {display_name(output)}", err=True)
