"""``ganmetrics is``, ``kid``, ``prdc`` and ``eval``: every metric from one extraction per input."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

import ganmetrics

from .options import (apply, cache_option, ci_options, extractor_options, kid_options, parse_metrics, prdc_options,
                      is_order_option, ref_options, resolve_inputs, seed_option, splits_option, sqrtm_option)
from .output import echo_results, output_options

if TYPE_CHECKING:  # the runner imports torch; a command's --help must not
    from ganmetrics.features.runner import FeatureRunner


@click.command("is")
@click.argument("path")
@splits_option
@is_order_option
@apply(ci_options)
@seed_option
@cache_option
@extractor_options
@output_options
def inception_score(path, splits, is_order, ci, n_boot, seed, cache, runner: FeatureRunner, output):
    """Inception Score of the images in PATH: mean ± std over --splits.

    As in the original code: softmax of the bias-free 1008-way logits, consecutive splits,
    population std; the splits are cut after a --seed permutation (--is-order file: in file
    order, as the original).

    \b
    Example:
      ganmetrics is fake/               # IS: 8.1234 ± 0.0912
    """
    results = ganmetrics.evaluate(path, None, ["is"], splits=splits, is_order=is_order, ci=ci, n_boot=n_boot,
                                  seed=seed, cache=cache, runner=runner)
    echo_results(results, output)


@click.command()
@click.argument("a")
@click.argument("b")
@apply(kid_options)
@apply(ci_options)
@seed_option
@cache_option
@extractor_options
@output_options
def kid(a, b, subsets, subset_size, ci, n_boot, seed, cache, runner: FeatureRunner, output):
    """Kernel Inception Distance between A (real) and B: unbiased MMD² with the cubic kernel
    (x·y/d + 1)³, mean ± std over random subsets.

    \b
    Example:
      ganmetrics kid real/ fake/        # KID: 0.012345 ± 0.000456
    """
    results = ganmetrics.evaluate(a, b, ["kid"], kid_subsets=subsets, kid_subset_size=subset_size, ci=ci,
                                  n_boot=n_boot, seed=seed, cache=cache, runner=runner)
    echo_results(results, output)


@click.command()
@click.argument("a")
@click.argument("b")
@apply(prdc_options)
@apply(ci_options)
@seed_option
@cache_option
@extractor_options
@output_options
def prdc(a, b, k_pr, k_dc, ci, n_boot, seed, cache, runner: FeatureRunner, output):
    """Precision, recall (k-NN manifolds, --k-pr), density and coverage (--k-dc) of B against A (real).

    \b
    Example:
      ganmetrics prdc real/ fake/ --ci 0.95
    """
    results = ganmetrics.evaluate(a, b, ["prdc"], k_pr=k_pr, k_dc=k_dc, ci=ci, n_boot=n_boot, seed=seed,
                                  cache=cache, runner=runner)
    echo_results(results, output)


@click.command("eval")
@click.argument("inputs", nargs=-1, metavar="A B")
@ref_options
@click.option("--metrics", default="fid,is,kid,prdc", show_default=True, callback=parse_metrics,
              help="Comma-separated metric names: fid, is (on B), kid, prdc (= precision, recall, density, "
                   "coverage), cmmd, fid_inf and is_inf (extrapolated to N -> infinity, Chong & Forsyth 2020; "
                   "at least 20 samples), or any registered metric.")
@splits_option
@is_order_option
@apply(kid_options)
@apply(prdc_options)
@apply(ci_options)
@seed_option
@cache_option
@click.option("--force", is_flag=True, help="FID: compare statistics even if extractor/weights/resize differ.")
@sqrtm_option
@extractor_options
@output_options
def eval_command(inputs, ref, trust_first_use, metrics, splits, is_order, subsets, subset_size, k_pr, k_dc, ci, n_boot,
                 seed, cache, force, sqrtm, runner: FeatureRunner, output):
    """Every requested metric between A (real) and B (generated) from one extraction per input.

    \b
    Examples:
      ganmetrics eval real/ fake/
      ganmetrics eval real/ fake/ --metrics fid,is,kid,prdc --ci 0.95 --json
      ganmetrics eval real/ fake/ --cache --csv > results.csv              first run: header + row
      ganmetrics eval real/ fake2/ --cache --csv --no-header >> results.csv    later runs: rows only
      ganmetrics eval --ref cifar10-train fake/ --metrics fid
    """
    a, b = resolve_inputs(inputs, ref, trust_first_use)
    results = ganmetrics.evaluate(a, b, metrics, splits=splits, kid_subsets=subsets, kid_subset_size=subset_size,
                                  k_pr=k_pr, k_dc=k_dc, ci=ci, n_boot=n_boot, seed=seed, cache=cache,
                                  force=force, sqrtm=sqrtm, is_order=is_order, runner=runner)
    echo_results(results, output)
