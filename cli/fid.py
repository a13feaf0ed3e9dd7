"""``ganmetrics fid`` and ``ganmetrics stats``."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

import ganmetrics
from ganmetrics.io import check_writable
from ganmetrics.errors import display_name

from .options import extractor_options, output_option, ref_options, resolve_inputs, sqrtm_option
from .output import echo_results, output_options

if TYPE_CHECKING:  # the runner imports torch; a command's --help must not
    from ganmetrics.features.runner import FeatureRunner


@click.command()
@click.argument("inputs", nargs=-1, metavar="A B")
@ref_options
@extractor_options
@output_options
@click.option("--force", is_flag=True,
              help="Compare statistics even if their extractor, weights or resize mode differ.")
@sqrtm_option
def fid(inputs, ref, trust_first_use, runner: FeatureRunner, output: str, force: bool, sqrtm: str):
    """Fréchet Inception Distance between A and B (or between --ref NAME and B).

    A and B are image folders, .npy/.npz image arrays, or .npz statistics files (from
    'ganmetrics stats', TTUR, pytorch-fid or clean-fid). Statistics made with a different
    extractor, weights or --resize mode are refused unless --force is given.

    \b
    Examples:
      ganmetrics fid real/ fake/
      ganmetrics fid real.npz fake/ --json
      ganmetrics fid --ref cifar10-train fake/
      ganmetrics fid real/ fake/ --resize pytorch-fid --weights pt_inception-2015-12-05-6726825d.pth
    """
    a, b = resolve_inputs(inputs, ref, trust_first_use)
    result = ganmetrics.fid(a, b, force=force, sqrtm=sqrtm, runner=runner)
    echo_results([result], output)


@click.command()
@click.argument("path")
@output_option(required=True, help="Where to write the .npz (mu, sigma, n, metadata); written atomically.")
@extractor_options
def stats(path: str, output: str, runner: FeatureRunner):
    """Save the feature statistics of PATH (a folder or image array) to an .npz.

    The file holds 'mu' and 'sigma' (the keys TTUR and pytorch-fid use), 'n', and the
    metadata that produced it (extractor, weights sha256, resize mode, package version).

    \b
    Example:
      ganmetrics stats real/ -o real.npz && ganmetrics fid real.npz fake/
    """
    check_writable(output)  # before the long part, not after it
    result = ganmetrics.compute_stats(path, runner=runner)
    from ganmetrics import distributed
    if distributed.is_main():  # under torchrun every rank holds the reduced statistics; one writes
        result.save(output)
        click.echo(f"wrote {display_name(output)} (n={result.n}, d={result.dim})", err=True)
