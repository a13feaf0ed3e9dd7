"""``ganmetrics sample``: images from a generator checkpoint, as PNGs or an .npz."""
from __future__ import annotations

import sys

import click
from tqdm import tqdm

from ganmetrics.config import OUTPUT_RANGES, STATE_DICT_KEYS
from ganmetrics.errors import display_name

from .options import output_option


def generator_options(f):
    """The options that name a generator: shared by ``sample`` and ``compare``."""
    options = [
        click.option("--generator", "factory", metavar="MODULE:FUNCTION", default=None,
                     help="Factory returning the generator nn.Module (imported with the working directory on "
                          "the path). Not needed for checkpoints of 'ganmetrics train'."),
        click.option("--kwargs", "factory_kwargs", metavar="JSON", default=None,
                     help="Keyword arguments for the factory, as a JSON object."),
        click.option("--key", default=None, help="Key of the state dict inside the checkpoint "
                                                 f"[default: try {', '.join(STATE_DICT_KEYS)}]."),
        click.option("--z-dim", type=click.IntRange(min=1), default=None,
                     help="Latent dimension [default: the trainer config, or the module's z_dim/latent_dim]."),
        click.option("--truncation", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Truncation trick: redraw latent entries beyond ±T (BigGAN)."),
        click.option("--output-range", type=click.Choice(list(OUTPUT_RANGES)), default="-1,1",
                     show_default=True, help="Value range of the generator's output (tanh: -1,1)."),
        click.option("--trust-checkpoint", is_flag=True,
                     help="Allow checkpoints that need arbitrary unpickling (e.g. torch.save(model)). "
                          "Unpickling runs code named in the file: only for files you trust."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@click.command()
@click.option("--checkpoint", required=True, type=click.Path(dir_okay=False), help="Generator checkpoint (.pt).")
@generator_options
@click.option("--n", "n", type=click.IntRange(min=1), default=10000, show_default=True, help="Images to generate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the latents.")
@click.option("--batch-size", type=click.IntRange(min=1), default=250, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@output_option(required=True, dir_okay=True, help="A new (or empty) folder for PNGs, or a file ending in .npz.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def sample(checkpoint, factory, factory_kwargs, key, z_dim, truncation, output_range, trust_checkpoint, n, seed,
           batch_size, device, output, quiet):
    """Generate --n images from a generator checkpoint into a PNG folder or an .npz.

    The checkpoint is loaded with torch.load(weights_only=True): tensors only, nothing in it
    runs. Checkpoints of 'ganmetrics train' need no --generator.

    \b
    Examples:
      ganmetrics sample --checkpoint runs/wgan-shapes/ckpt_0020000.pt --n 10000 -o samples/020000/
      ganmetrics sample --generator mypkg.models:make_generator --kwargs '{"z_dim": 128}' \\
          --checkpoint ckpt_010000.pt --n 10000 --truncation 1.0 -o samples/010000.npz
    """
    from ganmetrics.config import resolve_device
    from ganmetrics import generators as sampling   # torch: only when sampling
    out_path = sampling.check_output(output)  # before any work
    generator = sampling.load_generator(checkpoint, factory, factory_kwargs, z_dim, key, trust_checkpoint,
                                        str(resolve_device(device)))
    with tqdm(total=n, desc="sampling", unit="img", file=sys.stderr, leave=False,
              disable=quiet or not sys.stderr.isatty()) as bar:
        images = sampling.sample(generator, n, seed, truncation, batch_size, output_range, bar)
    sampling.save_samples(images, out_path)
    click.echo(f"wrote {n} images {images.shape[3]}x{images.shape[2]} to {display_name(out_path)}")
