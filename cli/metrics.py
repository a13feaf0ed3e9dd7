"""``ganmetrics is``, ``kid``, ``prdc`` and ``eval``: every metric from one extraction per input."""
from __future__ import annotations

import click

import ganmetrics
from ganmetrics.evaluate import METRICS, ExtractorOptions
from ganmetrics.metrics.kid import DEFAULT_SEED

from .common import extractor_options, ref_options, resolve_inputs, sqrtm_option
from .main import main
from .output import echo_results, output_options

seed_option = click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
                           help="Seed of every random choice (KID subsets, bootstrap).")
cache_option = click.option("--cache", is_flag=True,
                            help="Reuse and keep extracted features in the cache folder (keyed by the input's "
                                 "files, weights and preprocessing).")
splits_option = click.option("--splits", type=click.IntRange(min=1), default=10, show_default=True,
                             help="IS: number of consecutive splits (original code: 10).")
is_order_option = click.option("--is-order", type=click.Choice(["random", "file"]), default="random",
                               show_default=True,
                               help="IS: split after a --seed permutation (the value cannot depend on file "
                                    "names), or in file order as the original code.")
kid_options = [
    click.option("--subsets", type=click.IntRange(min=1), default=100, show_default=True, help="KID: subsets."),
    click.option("--subset-size", type=click.IntRange(min=2), default=1000, show_default=True,
                 help="KID: samples per subset (capped at the smaller input, with a warning)."),
]
prdc_options = [
    click.option("--k-pr", type=click.IntRange(min=1), default=3, show_default=True,
                 help="Precision/recall: k of the k-NN balls."),
    click.option("--k-dc", type=click.IntRange(min=1), default=5, show_default=True,
                 help="Density/coverage: k of the k-NN balls."),
]
ci_options = [
    click.option("--ci", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
                 help="Add a percentile bootstrap interval at this level, e.g. 0.95 (costs --n-boot times "
                      "the metric)."),
    click.option("--n-boot", type=click.IntRange(min=2), default=100, show_default=True,
                 help="Bootstrap resamples for --ci."),
]


def apply(options):
    def decorator(f):
        for option in reversed(options):
            f = option(f)
        return f
    return decorator


@main.command("is")
@click.argument("path")
@splits_option
@is_order_option
@apply(ci_options)
@seed_option
@cache_option
@extractor_options
@output_options
def inception_score(path, splits, is_order, ci, n_boot, seed, cache, opts: ExtractorOptions, output):
    """Inception Score of the images in PATH: mean ± std over --splits.

    As in the original code: softmax of the bias-free 1008-way logits, consecutive splits,
    population std; the splits are cut after a --seed permutation (--is-order file: in file
    order, as the original).

    \b
    Example:
      ganmetrics is fake/               # IS: 8.1234 ± 0.0912
    """
    results = ganmetrics.evaluate(path, None, ["is"], splits=splits, ci=ci, n_boot=n_boot, seed=seed,
                                  cache=cache, is_order=is_order, opts=opts)
    echo_results(results, output)


@main.command()
@click.argument("a")
@click.argument("b")
@apply(kid_options)
@apply(ci_options)
@seed_option
@cache_option
@extractor_options
@output_options
def kid(a, b, subsets, subset_size, ci, n_boot, seed, cache, opts: ExtractorOptions, output):
    """Kernel Inception Distance between A (real) and B: unbiased MMD² with the cubic kernel
    (x·y/d + 1)³, mean ± std over random subsets.

    \b
    Example:
      ganmetrics kid real/ fake/        # KID: 0.012345 ± 0.000456
    """
    results = ganmetrics.evaluate(a, b, ["kid"], kid_subsets=subsets, kid_subset_size=subset_size, ci=ci,
                                  n_boot=n_boot, seed=seed, cache=cache, opts=opts)
    echo_results(results, output)


@main.command()
@click.argument("a")
@click.argument("b")
@apply(prdc_options)
@apply(ci_options)
@seed_option
@cache_option
@extractor_options
@output_options
def prdc(a, b, k_pr, k_dc, ci, n_boot, seed, cache, opts: ExtractorOptions, output):
    """Precision, recall (k-NN manifolds, --k-pr), density and coverage (--k-dc) of B against A (real).

    \b
    Example:
      ganmetrics prdc real/ fake/ --ci 0.95
    """
    results = ganmetrics.evaluate(a, b, ["prdc"], k_pr=k_pr, k_dc=k_dc, ci=ci, n_boot=n_boot, seed=seed,
                                  cache=cache, opts=opts)
    echo_results(results, output)


def parse_metrics(ctx, param, value: str) -> list[str]:
    names = [m.strip().lower() for m in value.split(",") if m.strip()]
    bad = [m for m in names if m not in METRICS]
    if bad or not names:
        raise click.BadParameter(f"unknown metric(s) {', '.join(bad) or '(none)'}; choose from {','.join(METRICS)}")
    return names


@main.command("eval")
@click.argument("inputs", nargs=-1, metavar="A B")
@ref_options
@click.option("--metrics", default="fid,is,kid,prdc", show_default=True, callback=parse_metrics,
              help="Comma-separated: fid, is (on B), kid, prdc.")
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
def eval_command(inputs, ref, trust_first_use, metrics, splits, is_order, subsets, subset_size, k_pr, k_dc, ci, n_boot, seed,
                 cache, force, sqrtm, opts: ExtractorOptions, output):
    """Every requested metric between A (real) and B (generated) from one extraction per input.

    \b
    Examples:
      ganmetrics eval real/ fake/
      ganmetrics eval real/ fake/ --metrics fid,is,kid,prdc --ci 0.95 --json
      ganmetrics eval real/ fake/ --cache --csv >> results.csv
      ganmetrics eval --ref cifar10-train fake/ --metrics fid
    """
    a, b = resolve_inputs(inputs, ref, trust_first_use)
    results = ganmetrics.evaluate(a, b, metrics, splits=splits, kid_subsets=subsets, kid_subset_size=subset_size,
                                  k_pr=k_pr, k_dc=k_dc, ci=ci, n_boot=n_boot, seed=seed, cache=cache,
                                  force=force, sqrtm=sqrtm, is_order=is_order, opts=opts)
    echo_results(results, output)
