"""``ganmetrics gate``: a CI quality gate (exit 0 pass, 1 fail, 2 error)."""
from __future__ import annotations

import os
import sys

import click

import ganmetrics
from ganmetrics.evaluate import ExtractorOptions
from ganmetrics.report import gate as gates
from ganmetrics.errors import one_line

from .main import main


@main.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="Gate config (TOML): [inputs], [[threshold]], [baseline] + [[regression]], [samples].")
@click.option("--junit", type=click.Path(dir_okay=False), default=None, help="Also write a JUnit XML report here.")
@click.option("--weights", type=click.Path(dir_okay=False), default=None, help="Inception weights file.")
@click.option("--device", default="auto", show_default=True)
@click.option("--workers", type=click.IntRange(min=0), default=None)
def gate(config_path, junit, weights, device, workers):
    """Check generated samples against thresholds and a baseline; exit 0 pass, 1 fail, 2 error.

    One line per check on stdout; with --junit a JUnit XML file; under GitHub Actions
    (GITHUB_ACTIONS=true) failed checks are also printed as ::error annotations. With
    'ci = 0.95' in [inputs] checks judge the bootstrap interval, so noise alone does not fail
    the gate (docs/gate.md).

    \b
    Example:
      ganmetrics gate --config ganmetrics.toml --junit gate.xml
    """
    config = gates.load_config(config_path)
    inputs = config["inputs"]
    base = os.path.dirname(os.path.abspath(config_path))
    path = lambda p: p if os.path.isabs(p) else os.path.join(base, p)  # noqa: E731  relative to the config
    if "ref" in inputs:
        from ganmetrics.refs import load_reference
        real = load_reference(inputs["ref"], inputs.get("trust_first_use", False))
    else:
        real = path(inputs["real"])
    baseline = gates.load_baseline(path(config["baseline"]["file"])) if "baseline" in config else None
    opts = ExtractorOptions(weights=weights or inputs.get("weights"), device=device, workers=workers,
                            resize=inputs.get("resize", "tf1"))
    results = ganmetrics.evaluate(real, path(inputs["fake"]), inputs.get("metrics", ["fid"]), ci=inputs.get("ci"),
                                  n_boot=inputs.get("n_boot", 100), seed=inputs.get("seed", 2020),
                                  kid_subsets=inputs.get("kid_subsets", 100),
                                  kid_subset_size=inputs.get("kid_subset_size", 1000), opts=opts)
    checks = gates.run_checks(config, results, baseline)
    for c in checks:
        click.echo(f"{'PASS' if c.passed else 'FAIL'} {c.name}: {one_line(c.message)}")
    if junit:
        gates.write_junit(junit, checks)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in gates.github_annotations(checks):
            click.echo(line)
    failed = sum(not c.passed for c in checks)
    click.echo(f"gate: {len(checks) - failed} passed, {failed} failed", err=True)
    sys.exit(1 if failed else 0)
