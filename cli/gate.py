"""``ganmetrics gate``: a CI quality gate (exit 0 pass, 1 fail, 2 error)."""
from __future__ import annotations

import os
import sys

import click

from ganmetrics.config import DEFAULTS
from ganmetrics.errors import one_line


@click.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="Gate config (TOML): [inputs], [[threshold]], [baseline] + [[regression]], [samples].")
@click.option("--junit", type=click.Path(dir_okay=False), default=None, help="Also write a JUnit XML report here.")
@click.option("--weights", type=click.Path(dir_okay=False), default=None, help="Inception weights file.")
@click.option("--device", default=DEFAULTS.device, show_default=True)
@click.option("--workers", type=click.IntRange(min=0), default=None)
def gate(config_path, junit, weights, device, workers):
    """Check generated samples against thresholds and a baseline; exit 0 pass, 1 fail, 2 error.

    One line per check on stdout; with --junit a JUnit XML file; under GitHub Actions
    (GITHUB_ACTIONS=true) failed checks are also printed as ::error annotations. With
    'ci = 0.95' in [inputs] thresholds judge the metric's interval and regressions the interval
    of the difference to the baseline, so noise alone does not fail the gate (docs/gate.md).

    \b
    Example:
      ganmetrics gate --config ganmetrics.toml --junit gate.xml
    """
    from ganmetrics.report import gate as gates   # torch: only when the gate runs
    report = gates.run_gate(config_path, weights=weights, device=device, workers=workers, junit=junit)
    for c in report.checks:
        click.echo(f"{'PASS' if c.passed else 'FAIL'} {c.name}: {one_line(c.message)}")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in gates.github_annotations(report.checks):
            click.echo(line)
    failed = sum(not c.passed for c in report.checks)
    click.echo(f"gate: {len(report.checks) - failed} passed, {failed} failed", err=True)
    sys.exit(report.exit_code)
