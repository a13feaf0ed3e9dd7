"""Every option two commands share, its default read from ``ganmetrics.config.DEFAULTS``, and
the error handling of the whole CLI (package errors and usage errors -> one line, exit 2).

Imported by ``ganmetrics --help`` itself: nothing here imports torch at module level.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import warnings

import click

from ganmetrics.config import DEFAULTS, RESIZE_MODES, SQRTM_METHODS, Extraction, InputPolicy
from ganmetrics.errors import GanmetricsError, one_line


class UserError(click.ClickException):
    """A problem with the user's input: one line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"Error: {one_line(self.format_message())}", err=True)


class Group(click.Group):
    """Turns the package's own errors into ``UserError``, usage errors into one line (not click's
    three-line usage block), and warnings into one line each."""

    def invoke(self, ctx):
        warnings.showwarning = _one_line_warning
        try:
            return super().invoke(ctx)
        except GanmetricsError as e:
            raise UserError(str(e)) from None
        except MemoryError:
            raise UserError("out of memory; lower --batch-size or --workers") from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            hint = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            click.echo(f"Error: {one_line(e.format_message())}{hint}", err=True)
            sys.exit(2)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(f"Warning: {one_line(message)}", err=True)


class Finite(click.ParamType):
    """A finite float, optionally bounded (``min_open``/``max_open`` exclude the bound): NaN,
    inf and out-of-range values are refused by name before any work starts."""

    name = "number"

    def __init__(self, min: float | None = None, max: float | None = None, min_open: bool = False,
                 max_open: bool = False):
        self.min, self.max, self.min_open, self.max_open = min, max, min_open, max_open

    def convert(self, value, param, ctx):
        import math
        try:
            v = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        low_bad = self.min is not None and (v <= self.min if self.min_open else v < self.min)
        high_bad = self.max is not None and (v >= self.max if self.max_open else v > self.max)
        if low_bad or high_bad:
            lo = "" if self.min is None else f"{'(' if self.min_open else '['}{self.min}"
            hi = "" if self.max is None else f"{self.max}{')' if self.max_open else ']'}"
            self.fail(f"{value} is not in {lo or '(-inf'}, {hi or 'inf)'}", param, ctx)
        return v


def apply(options):
    """Apply a list of click options as one decorator."""
    def decorator(f):
        for option in reversed(options):
            f = option(f)
        return f
    return decorator


def extractor_options(f):
    """--features --weights --device --batch-size --workers --resize --quiet and the input policy,
    turned into a ``runner`` argument (a ``FeatureRunner``; the network loads on first use)."""
    @click.option("--features", default=DEFAULTS.features, show_default=True, metavar="NAME|MODULE:FUNCTION",
                  help="Feature network: a registered name, or a factory module:function returning an Extractor "
                       "(imported with the working directory on the path; see docs/architecture.md).")
    @click.option("--weights", type=click.Path(dir_okay=False), default=None,
                  help="Weights file: PATH for the one network, or NAME=PATH[,NAME=PATH] per network (e.g. "
                       "dinov2-vitl14=dinov2_vitl14_pretrain.pth). Default per network: its $GANMETRICS_*_WEIGHTS "
                       "variable, then the cache, then a verified download (ganmetrics/features/weights.py MANIFEST).")
    @click.option("--device", default=DEFAULTS.device, show_default=True, help="auto, cpu, cuda or cuda:N.")
    @click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULTS.batch_size, show_default=True,
                  help="Images per forward pass.")
    @click.option("--workers", type=click.IntRange(min=0), default=None,
                  help="Image-decoding worker processes [default: min(4, CPU count)].")
    @click.option("--resize", type=click.Choice(RESIZE_MODES), default=DEFAULTS.resize, show_default=True,
                  help="tf1: TensorFlow-1 bilinear resize as in TTUR's original code (paper numbers); "
                       "pytorch-fid: torch bilinear as in pytorch-fid; clean: clean-fid's PIL bicubic (antialiased).")
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
                  help="The fast path: NHWC convolutions with the Inception batch norms folded into them "
                       "(and CPU micro-batches), 2x the peers' network speed on a CPU (measured); the features "
                       "differ from the peers' (pytorch-fid, torch-fidelity: NCHW, unfused) by float32 rounding, "
                       "about 1e-6 relative. "
                       "--no-channels-last runs their exact op sequence, for bit-level parity.")
    @click.option("--tf32", is_flag=True,
                  help="Let GPU convolutions and matmuls run in TF32 (Ampere and newer): faster, but features "
                       "move by about 1e-3 relative. Default: full float32 (recorded in the metadata).")
    @functools.wraps(f)
    def wrapper(*args, features, weights, device, batch_size, workers, resize, quiet, root, download, skip_invalid,
                max_invalid, max_pixels, channels_last, tf32, **kwargs):
        # imported here, not at the top: `ganmetrics --help` must not import torch (start-up time)
        from ganmetrics import distributed
        from ganmetrics.features.runner import FeatureRunner
        if distributed.launched():  # under torchrun: the entry point joins the process group
            device = distributed.init_from_env(device)
        extraction = Extraction(features=features, weights=weights, device=device, resize=resize,
                                batch_size=batch_size, workers=workers, progress=not quiet and sys.stderr.isatty(),
                                channels_last=channels_last, tf32=tf32)
        policy = InputPolicy(root=root, download=download, skip_invalid=skip_invalid, max_invalid=max_invalid,
                             max_pixels=max_pixels)
        runner = FeatureRunner(extraction, policy)
        if not distributed.is_main():  # under torchrun only rank 0 prints
            with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
                return f(*args, runner=runner, **kwargs)
        return f(*args, runner=runner, **kwargs)
    return wrapper


def emit_json(obj) -> None:
    from ganmetrics.io import to_json  # here: numpy is not needed for --help
    click.echo(to_json(obj))


def sqrtm_option(f):
    return click.option("--sqrtm", type=click.Choice(SQRTM_METHODS), default=DEFAULTS.sqrtm, show_default=True,
                        help="How FID computes Tr((Σa Σb)^½): auto (cholesky when both covariances are positive "
                             "definite, else the exact lowrank form; the route that ran is in --json), cholesky, "
                             "lowrank, eigvals (the former default), scipy (scipy.linalg.sqrtm, as TTUR/pytorch-fid), "
                             "eigh (comparison only).")(f)


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


def output_option(required: bool = False, default=None, dir_okay: bool = False, file_okay: bool = True,
                  help: str = ""):
    """``-o/--output``: the one name every command uses for where it writes (``--out`` is
    accepted as an alias)."""
    return click.option("-o", "--output", "--out", "output", required=required, default=default,
                        show_default=default is not None,
                        type=click.Path(dir_okay=dir_okay, file_okay=file_okay), help=help)


# ----------------------------------------------------------------------------- metric options

seed_option = click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True,
                           help="Seed of every random choice (KID subsets, IS split permutation, bootstrap, "
                                "FID_inf/IS_inf subsets).")
cache_option = click.option("--cache", is_flag=True,
                            help="Reuse and keep extracted features in the cache folder (keyed by the input's "
                                 "content, the feature network, its weights and preprocessing).")
splits_option = click.option("--splits", type=click.IntRange(min=1), default=DEFAULTS.splits, show_default=True,
                             help="IS: number of splits (original code: 10).")
is_order_option = click.option("--is-order", type=click.Choice(["random", "file"]), default=DEFAULTS.is_order,
                               show_default=True,
                               help="IS: split after a --seed permutation (the value cannot depend on file "
                                    "names), or in file order as the original code.")
kid_options = [
    click.option("--subsets", type=click.IntRange(min=1), default=DEFAULTS.kid_subsets, show_default=True,
                 help="KID: subsets."),
    click.option("--subset-size", type=click.IntRange(min=2), default=DEFAULTS.kid_subset_size, show_default=True,
                 help="KID: samples per subset (capped at the smaller input, with a warning)."),
]
prdc_options = [
    click.option("--k-pr", type=click.IntRange(min=1), default=DEFAULTS.k_pr, show_default=True,
                 help="Precision/recall: k of the k-NN balls."),
    click.option("--k-dc", type=click.IntRange(min=1), default=DEFAULTS.k_dc, show_default=True,
                 help="Density/coverage: k of the k-NN balls."),
]
ci_options = [
    click.option("--ci", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
                 help="Add an interval at this level, e.g. 0.95, for the metric's expectation at these "
                      "sample sizes; it contains the estimate (resampling: --n-boot times the metric on half "
                      "the rows, P/R/D/C on both halves and four quarters of --n-boot/2 random cuts, IS on all rows "
                      "drawn with replacement, FID_inf/IS_inf 15 metrics each time; KID: closed form). Against a "
                      "statistics file only the evaluated set is resampled. Measured coverage: docs/coverage.md."),
    click.option("--n-boot", type=click.IntRange(min=2), default=DEFAULTS.n_boot, show_default=True,
                 help="Resampling replicates for --ci (precision/recall/density/coverage: at least 10, "
                      "one cut per two, each cut two halves and four quarters: 300 metric passes for 100)."),
]


def parse_metrics(ctx, param, value: str) -> list[str]:
    """``--metrics fid,kid,prdc`` -> names of the registry (groups expanded later)."""
    from ganmetrics.metrics import registry  # here: the registry imports torch (start-up time)
    names = [m.strip().lower() for m in value.split(",") if m.strip()]
    known = registry.metric_names(groups=True)
    bad = [m for m in names if m not in known]
    if bad or not names:
        raise click.BadParameter(f"unknown metric(s) {', '.join(bad) or '(none)'}; choose from {','.join(known)}")
    return names
