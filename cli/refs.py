"""``ganmetrics refs``: the registry of known reference statistics."""
from __future__ import annotations

import click

from ganmetrics.io import to_json


@click.group()
def refs():
    """Known reference statistics (reference_stats/manifest.toml): list and fetch them."""


@refs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def list_refs(as_json):
    """Name, dataset, split, resolution, N, extractor, resize mode and source of every reference."""
    from ganmetrics import refs as registry
    manifest = registry.load_manifest()
    if as_json:
        click.echo(to_json([vars(r) for r in manifest.values()]))
        return
    header = ("name", "dataset", "split", "res", "N", "resize", "source", "sha256")
    rows = [(r.name, r.dataset, r.split, r.resolution, str(r.n or "?"), r.resize, r.source,
             "yes" if r.sha256 else "first use") for r in manifest.values()]
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    for row in (header, *rows):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


@refs.command()
@click.argument("name")
@click.option("--trust-first-use", is_flag=True,
              help="Fetch even without a published sha256, recording the hash seen.")
def fetch(name, trust_first_use):
    """Download NAME into the cache (verified, atomic) and print its local path."""
    from ganmetrics import refs as registry
    click.echo(registry.resolve(name, trust_first_use))
