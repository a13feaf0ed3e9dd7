"""``ganmetrics``: the command group. Commands live in their own modules and register here."""
import click

from ganmetrics import __version__

from .common import Group


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ganmetrics")
def main():
    """Evaluate generative image models: FID and friends, with the standard Inception-v3.

    \b
    Examples:
      ganmetrics fid real/ fake/                 FID between two image folders
      ganmetrics stats real/ -o real.npz         save reference statistics once
      ganmetrics fid real.npz fake/ --json       reuse them; machine-readable output

    Inputs may be image folders (searched recursively), .npy/.npz image arrays, or .npz
    statistics files (ours, TTUR's, pytorch-fid's or clean-fid's). Bad input exits with code 2
    and a one-line message.
    """


from . import (compare as _compare, fid as _fid, gate as _gate, metrics as _metrics, refs as _refs,  # noqa: E402,F401
               sample as _sample, train as _train, wasserstein as _wasserstein)
