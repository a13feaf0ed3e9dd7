"""What every command shares: the extractor options, output formatting, and error handling."""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import warnings

import click

from ganmetrics import distributed
from ganmetrics.errors import GanmetricsError, one_line
from ganmetrics.evaluate import ExtractorOptions
from ganmetrics.io import to_json
from ganmetrics.metrics.frechet import DEFAULT_METHOD, METHODS
from ganmetrics.preprocess import DEFAULT_RESIZE, RESIZE_MODES


class UserError(click.ClickException):
    """A problem with the user's input: one line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"Error: {one_line(self.format_message())}", err=True)


class Group(click.Group):
    """Turns the package's own errors into ``UserError`` and warnings into one line each."""

    def invoke(self, ctx):
        warnings.showwarning = _one_line_warning
        try:
            return super().invoke(ctx)
        except GanmetricsError as e:
            raise UserError(str(e)) from None
        except MemoryError:
            raise UserError("out of memory; lower --batch-size or --workers") from None


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(f"Warning: {one_line(message)}", err=True)


def extractor_options(f):
    """--weights --device --batch-size --workers --resize --quiet, turned into an ``opts`` argument."""
    @click.option("--weights", type=click.Path(dir_okay=False), default=None,
                  help="Inception weights file (pytorch-fid's pt_inception-2015-12-05-6726825d.pth). "
                       "Default: $GANMETRICS_INCEPTION_WEIGHTS, then the cache, then a verified download.")
    @click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
    @click.option("--batch-size", type=click.IntRange(min=1), default=50, show_default=True,
                  help="Images per forward pass.")
    @click.option("--workers", type=click.IntRange(min=0), default=None,
                  help="Image-decoding worker processes [default: min(4, CPU count)].")
    @click.option("--resize", type=click.Choice(RESIZE_MODES), default=DEFAULT_RESIZE, show_default=True,
                  help="tf1: TensorFlow-1 bilinear resize as in TTUR's original code (paper numbers); "
                       "pytorch-fid: torch bilinear as in pytorch-fid.")
    @click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
    @click.option("--root", type=click.Path(file_okay=False), default=None,
                  help="Folder of torchvision dataset copies, for inputs named like cifar10:train, mnist:test.")
    @click.option("--download", is_flag=True, help="Let torchvision download a named dataset into --root.")
    @click.option("--skip-invalid", is_flag=True,
                  help="Skip unreadable images (counted and reported) instead of stopping at the first.")
    @click.option("--max-invalid", type=click.FloatRange(0, 1), default=0.01, show_default=True,
                  help="With --skip-invalid: the largest share of unreadable images tolerated.")
    @click.option("--max-pixels", type=click.IntRange(min=0), default=None,
                  help="Refuse images larger than this many pixels (decompression bombs) [default: Pillow's "
                       "limit, about 89 million]; 0 lifts the limit.")
    @click.option("--channels-last/--no-channels-last", default=True, show_default=True,
                  help="Run the network's convolutions in NHWC layout: about 1.7x faster on a CPU; the "
                       "features differ from NCHW's (pytorch-fid, torch-fidelity) by float32 rounding, "
                       "about 1e-6 relative. --no-channels-last for bit-level parity with them.")
    @functools.wraps(f)
    def wrapper(*args, weights, device, batch_size, workers, resize, quiet, root, download, skip_invalid,
                max_invalid, max_pixels, channels_last, **kwargs):
        opts = ExtractorOptions(weights=weights, device=device, resize=resize, batch_size=batch_size,
                                workers=workers, progress=not quiet and sys.stderr.isatty(), root=root,
                                download=download, skip_invalid=skip_invalid, max_invalid=max_invalid,
                                max_pixels=max_pixels, channels_last=channels_last)
        if not distributed.is_main():  # under torchrun only rank 0 prints
            with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
                return f(*args, opts=opts, **kwargs)
        return f(*args, opts=opts, **kwargs)
    return wrapper


def emit_json(obj) -> None:
    click.echo(to_json(obj))


def sqrtm_option(f):
    return click.option("--sqrtm", type=click.Choice(METHODS), default=DEFAULT_METHOD, show_default=True,
                        help="How FID computes Tr((Σa Σb)^½): eigvals (exact, ~4x faster), scipy "
                             "(scipy.linalg.sqrtm, as TTUR/pytorch-fid), eigh (symmetric form, comparison only).")(f)


def ref_options(f):
    f = click.option("--trust-first-use", is_flag=True,
                     help="Allow fetching a reference whose manifest entry has no sha256; the hash seen is "
                          "recorded and enforced from then on.")(f)
    f = click.option("--ref", metavar="NAME", default=None,
                     help="Use the named reference statistics as A (see 'ganmetrics refs list').")(f)
    return f


def resolve_inputs(inputs: tuple[str, ...], ref: str | None, trust_first_use: bool):
    """(A, B) from the positional inputs, A being the reference's statistics when --ref is given."""
    if ref is not None:
        if len(inputs) != 1:
            raise click.UsageError(f"with --ref, give exactly one input (B), got {len(inputs)}")
        from ganmetrics.refs import load_reference
        return load_reference(ref, trust_first_use), inputs[0]
    if len(inputs) != 2:
        raise click.UsageError(f"expected two inputs A B (or --ref NAME B), got {len(inputs)}")
    return inputs
