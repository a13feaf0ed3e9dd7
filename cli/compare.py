"""``ganmetrics compare`` (checkpoint comparison reports) and ``ganmetrics budget`` (expected best
score at equal budget)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ganmetrics.config import DEFAULTS
from ganmetrics.errors import InputError, display_name
from ganmetrics.io import atomic_write, check_writable, to_json

from .options import (apply, extractor_options, kid_options, output_option, parse_metrics, prdc_options,
                      splits_option, sqrtm_option)
from .sample import generator_options

if TYPE_CHECKING:   # named for type checkers only: importing it loads torch
    from ganmetrics.features.runner import FeatureRunner


def _reference(ref: str, trust_first_use: bool):
    """A path or dataset name as is; otherwise a name from the reference manifest."""
    from ganmetrics.inputs import datasets
    from ganmetrics.refs import load_manifest, load_reference
    if os.path.exists(ref) or datasets.parse_spec(ref) is not None:
        return ref
    if ref in load_manifest():
        return load_reference(ref, trust_first_use)
    raise InputError(f"--ref {ref}: no such file or folder, and not a reference name (see 'ganmetrics refs list')")


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--ref", "reference", required=True, metavar="REF",
              help="Reference: image folder/array, statistics .npz (FID, FID_inf, and IS/IS_inf which ignore the "
                   "reference), dataset name (cifar10:train) or reference name (ganmetrics refs list).")
@click.option("--trust-first-use", is_flag=True, help="See 'ganmetrics refs fetch'.")
@click.option("--metrics", default="fid", show_default=True, callback=parse_metrics,
              help="Comma-separated: fid, is, kid, prdc, cmmd, fid_inf, is_inf, or any registered metric.")
@click.option("--names", default=None, help="Comma-separated row names [default: the input file/folder names].")
@click.option("--ci", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95, show_default=True,
              help="Level of the paired-bootstrap intervals and significance tests.")
@click.option("--no-ci", is_flag=True, help="Point values and ranks only (no bootstrap).")
@click.option("--n-boot", type=click.IntRange(min=2), default=DEFAULTS.n_boot, show_default=True,
              help="Bootstrap resamples (each recomputes every metric of every input; precision/recall/"
                   "density/coverage: at least 10, one cut per two, each cut two halves and four quarters: "
                   "3x the k-NN passes).")
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True,
              help="Seed of KID subsets, the bootstrap and the FID_inf/IS_inf subsets.")
@splits_option
@apply(kid_options)
@apply(prdc_options)
@click.option("--no-cache", is_flag=True, help="Do not reuse or keep extracted features.")
@click.option("--force", is_flag=True, help="FID: compare statistics even if extractor/weights/resize differ.")
@sqrtm_option
@click.option("--n", "n_samples", type=click.IntRange(min=2), default=10000, show_default=True,
              help="Checkpoint inputs: images sampled on the fly.")
@click.option("--sample-seed", type=int, default=0, show_default=True, help="Checkpoint inputs: latent seed.")
@generator_options
@output_option(dir_okay=True, file_okay=False,
               help="Report folder: report.html, report.md, results.csv, results.json, grids/, plots/.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of a table.")
@extractor_options
def compare(inputs, reference, trust_first_use, metrics, names, ci, no_ci, n_boot, seed, splits, subsets,
            subset_size, k_pr, k_dc, no_cache, force, sqrtm, n_samples, sample_seed, factory, factory_kwargs, key,
            z_dim, truncation, output_range, trust_checkpoint, output, as_json, runner: FeatureRunner):
    """Compare sample sets or checkpoints against one reference: values with bootstrap intervals,
    ranks, and whether the best is significantly better than each other input.

    INPUT: image folders, .npy/.npz image arrays, or generator checkpoints (.pt/.pth/.ckpt,
    sampled on the fly with --n and the generator options of 'ganmetrics sample'). Names with
    a number (samples/010000/, ckpt_0010000.pt) give the training step, and the report then
    plots the metrics against it. Features are cached (keyed by content, weights and
    preprocessing): adding one input to a report extracts only that input.

    \b
    Examples:
      ganmetrics compare samples/*/ --ref real.npz -o report/
      ganmetrics compare samples/*/ --ref real/ --metrics fid,kid,prdc --ci 0.95 -o report/
      ganmetrics compare runs/wgan/ckpt_*.pt --ref shapes32:test --n 2000 --metrics fid,kid -o report/
    """
    from ganmetrics.report.compare import SamplerOptions, compare as run_compare   # torch: only when it runs
    from ganmetrics.report.render import records, render_text, write_report
    out = output
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        check_writable(Path(out) / "report.html")
    sampler = SamplerOptions(n_samples, sample_seed, factory, factory_kwargs, z_dim, key, truncation, output_range,
                             trust_checkpoint)
    quiet = not runner.extraction.progress
    result = run_compare(list(inputs), _reference(reference, trust_first_use), metrics,
                         names=names.split(",") if names else None, ci=None if no_ci else ci, n_boot=n_boot,
                         seed=seed, splits=splits, kid_subsets=subsets, kid_subset_size=subset_size, k_pr=k_pr,
                         k_dc=k_dc, cache=not no_cache, force=force, sqrtm=sqrtm, sampler=sampler, runner=runner,
                         progress=None if quiet else (lambda m: click.echo(m, err=True)))
    if as_json:
        click.echo(to_json({"metadata": result.metadata, "results": records(result)}))
    else:
        click.echo(render_text(result))
    if out is not None:
        write_report(result, out)
        click.echo(f"report written to {display_name(Path(out) / 'report.html')}", err=True)


@click.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUNS.csv...")
@click.option("--metric", default="fid", show_default=True, help="Column with each run's score.")
@click.option("--by", default="model", show_default=True, help="Column naming each run's model.")
@click.option("--max-budget", type=click.IntRange(min=1), default=None,
              help="Largest budget plotted [default: the most runs of any model].")
@click.option("--ci", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95, show_default=True,
              help="Level of the bootstrap band.")
@click.option("--n-boot", type=click.IntRange(min=2), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--higher-is-better", is_flag=True, help="For a score column that is not a known metric.")
@output_option(help="Plot (PNG).")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), default=None, help="Curves as CSV.")
def budget(runs, metric, by, max_budget, ci, n_boot, seed, higher_is_better, output, csv_out):
    """Expected best score against the number of runs per model (Lucic et al. 2018), so that
    models are compared at equal budget rather than by their single best run.

    RUNS: CSV files (or results.json files) with one row per run, a column naming the model
    (--by) and one with its score (--metric), e.g. the results.csv of 'ganmetrics compare'
    with a model column added, or 'ganmetrics eval --csv' rows.

    \b
    Example:
      ganmetrics budget sweep.csv --metric fid --by model -o budget.png
    """
    from ganmetrics.metrics import registry
    from ganmetrics.report.budget import budget_table, read_runs
    from ganmetrics.report.plots import budget_png
    out = output
    for path in (out, csv_out):
        if path:
            check_writable(path)
    lower = (registry.lower_is_better(metric) if metric in registry.metric_names() else True) and not higher_is_better
    table = budget_table(read_runs(runs), metric, by, max_budget, lower, ci, n_boot, seed, source=", ".join(runs))
    click.echo(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if csv_out:
        with atomic_write(csv_out, "w") as f:
            table.to_csv(f, index=False)
    if out:
        with atomic_write(out) as f:
            f.write(budget_png(table, metric, by, ci))
