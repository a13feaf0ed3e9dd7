"""Formatting Results: a human table, one JSON object, or one CSV row (with a header). Labels
and number formats come from the metric registry; every command prints the same shape."""
from __future__ import annotations

import csv
import functools
import io

import click

from ganmetrics.io import to_json
from ganmetrics.config import DEFAULTS
from ganmetrics.result import Result


def _scalar(v) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def _registry():
    from ganmetrics.metrics import registry  # here, not at the top: it imports torch, and --help must not
    return registry


def result_key(r: Result, results: list[Result]) -> str:
    """``registry.result_key`` of ``r`` among ``results`` (``fid_dinov2-vitl14`` when they span several spaces)."""
    return _registry().result_key(r.metric, r.metadata.get("extractor"), [x.metadata.get("extractor") for x in results])


def flat(results: list[Result]) -> dict:
    """One flat mapping: metric values, ``<metric>_std``, ``<metric>_ci_low/high``, ``n_<side>``,
    then the metadata: keys on which every result agrees as they are, the others prefixed by
    their metric (``precision_k``, ``density_k``; ``result_key`` when several feature spaces)."""
    row: dict = {}
    for r in results:
        m = result_key(r, results)
        row[m] = r.value
        if r.std is not None:
            row[f"{m}_std"] = r.std
        elif r.metadata.get("std_undefined"):
            row[f"{m}_std"] = None  # null in JSON: the spread cannot be estimated from these samples
        if r.interval is not None:
            row[f"{m}_ci_low"], row[f"{m}_ci_high"] = r.interval
    for r in results:
        for side, n in r.n.items():
            row.setdefault(f"n_{side}", n)
    keys = list(dict.fromkeys(k for r in results for k, v in r.metadata.items() if _scalar(v)))
    for key in keys:
        values = [r.metadata.get(key) for r in results]
        if all(v == values[0] for v in values) and all(key in r.metadata for r in results):
            row.setdefault(key, values[0])
        else:
            for r in results:
                if key in r.metadata:
                    row[f"{result_key(r, results)}_{key}"] = r.metadata[key]
    return row


def echo_results(results: list[Result], output: str) -> None:
    if output == "json":
        click.echo(to_json(flat(results)))
    elif output == "csv":
        row = flat(results)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(row), lineterminator="\n")
        if _header_wanted():
            writer.writeheader()
        writer.writerow(row)
        click.echo(buf.getvalue(), nl=False)
    else:
        click.echo(table(results))


def display_label(r: Result, results: list[Result] | None = None) -> str:
    """The metric's label; the Fréchet distance outside Inception space reads FD_<space>
    (e.g. FD_dinov2-vitl14, the FD_DINOv2 of Stein et al. 2023), so no one mistakes it for FID;
    with several spaces in ``results`` the other metrics outside Inception space read ``KID [space]``."""
    space = r.metadata.get("extractor")
    if r.metric == "fid" and space and space != DEFAULTS.features:
        return f"FD_{space}"
    return _registry().label(result_key(r, results) if results else r.metric)


def table(results: list[Result]) -> str:
    lines = []
    width = max((len(display_label(r, results)) + 2 for r in results), default=0)
    for r in results:
        fmt = _registry().fmt
        text = f"{display_label(r, results) + ':':<{width}}{fmt(r.metric, r.value)}"
        if r.std is not None:
            text += f" ± {fmt(r.metric, r.std)}"
        elif r.metadata.get("std_undefined"):
            text += f" ± n/a ({r.metadata['std_undefined']}: std undefined)"
        if r.interval is not None:
            level = r.metadata.get("ci", 0.95)
            text += f"   {level:.0%} CI [{fmt(r.metric, r.interval[0])}, {fmt(r.metric, r.interval[1])}]"
        lines.append(text)
    return "\n".join(lines)


_NO_HEADER = "ganmetrics.csv_no_header"


def _header_wanted() -> bool:
    ctx = click.get_current_context(silent=True)
    return not (ctx is not None and ctx.meta.get(_NO_HEADER))


def _remember_no_header(ctx: click.Context, param, value: bool) -> None:
    ctx.meta[_NO_HEADER] = value


def output_options(f):
    """--json, --csv and --no-header (one row without the header line, so that
    ``--csv --no-header >> results.csv`` appends rows that read back as numbers)."""
    @functools.wraps(f)
    def checked(*args, **kwargs):
        if _header_wanted() is False and kwargs.get("output") != "csv":
            raise click.UsageError("--no-header applies to --csv only")
        return f(*args, **kwargs)

    checked = click.option("--no-header", is_flag=True, expose_value=False, callback=_remember_no_header,
                           help="With --csv: print the row only, to append to an existing CSV file.")(checked)
    checked = click.option("--csv", "output", flag_value="csv", help="Print a CSV header and one row.")(checked)
    checked = click.option("--json", "output", flag_value="json", help="Print one JSON object.")(checked)
    return checked
