"""Formatting Results: a human table, one JSON object, or one CSV row (with a header)."""
from __future__ import annotations

import csv
import io

import click

from ganmetrics.io import to_json
from ganmetrics.result import Result

LABELS = {"fid": "FID", "is": "IS", "kid": "KID", "precision": "precision", "recall": "recall",
          "density": "density", "coverage": "coverage"}
DECIMALS = {"kid": 6}


def fmt(name: str, v: float) -> str:
    return f"{v:.{DECIMALS.get(name, 4)}f}"


def flat(results: list[Result]) -> dict:
    """One flat mapping: metric values, `<metric>_std`, `<metric>_ci_low/high`, counts, provenance."""
    row: dict = {}
    for r in results:
        row[r.metric] = r.value
        if r.std is not None:
            row[f"{r.metric}_std"] = r.std
        if r.interval is not None:
            row[f"{r.metric}_ci_low"], row[f"{r.metric}_ci_high"] = r.interval
    for r in results:
        for side, n in r.n.items():
            row.setdefault(f"n_{side}", n)
    meta = results[0].metadata if results else {}
    for key in ("extractor", "resize", "weights_sha256", "standard_weights", "layout", "seed", "ci", "n_boot",
                "ganmetrics_version"):
        if key in meta:
            row[key] = meta[key]
    return row


def echo_results(results: list[Result], output: str) -> None:
    if output == "json":
        click.echo(to_json(flat(results)))
    elif output == "csv":
        row = flat(results)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(row), lineterminator="\n")
        writer.writeheader()
        writer.writerow(row)
        click.echo(buf.getvalue(), nl=False)
    else:
        click.echo(table(results))


def table(results: list[Result]) -> str:
    lines = []
    for r in results:
        text = f"{LABELS.get(r.metric, r.metric) + ':':<11}{fmt(r.metric, r.value)}"
        if r.std is not None:
            text += f" ± {fmt(r.metric, r.std)}"
        if r.interval is not None:
            level = r.metadata.get("ci", 0.95)
            text += f"   {level:.0%} CI [{fmt(r.metric, r.interval[0])}, {fmt(r.metric, r.interval[1])}]"
        lines.append(text)
    return "\n".join(lines)


def output_options(f):
    f = click.option("--csv", "output", flag_value="csv", help="Print a CSV header and one row.")(f)
    f = click.option("--json", "output", flag_value="json", help="Print one JSON object.")(f)
    return f
