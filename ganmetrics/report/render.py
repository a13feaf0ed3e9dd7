"""A Comparison -> report.html (self-contained), report.md, results.csv, results.json.

Everything is rendered in memory first and then written file by file through the atomic-write
helper, so an interrupted run leaves each file either as it was or complete.
"""
from __future__ import annotations

import base64
import datetime
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import display_name
from ..io import atomic_write, to_json
from ..config import DEFAULTS
from ..metrics import registry
from .compare import Comparison
from .plots import grid_png, metric_vs_step_png

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th { background: #f3f3f3; } td.name { text-align: left; font-family: monospace; }
tr.best td { background: #eef8ee; }
.grids { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; } figcaption { font-family: monospace; font-size: 0.9em; }
.meta { font-size: 0.85em; color: #555; }
img { max-width: 100%; }
"""


def fmt(metric: str, v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    return registry.fmt(metric, v)


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_") or "input"


def _cells(cmp: Comparison, row) -> list[str]:
    """value [low, high] and the significance mark for each metric of one row."""
    cells = []
    for m in cmp.metrics:
        text = fmt(m, row[m])
        if f"{m}_ci_low" in row:
            text += f" [{fmt(m, row[f'{m}_ci_low'])}, {fmt(m, row[f'{m}_ci_high'])}]"
        if row[f"{m}_rank"] == 1:
            text += " (best)"
        elif f"{m}_p_vs_best" in row:
            mark = "*" if row[f"{m}_best_is_better"] is True else ""
            pv = row[f"{m}_p_vs_best"]
            text += (" p=n/a" if pd.isna(pv) else " p<0.001" if pv < 0.001 else f" p={pv:.3f}") + mark
        cells.append(text)
    return cells


def _label(cmp: Comparison, m: str) -> str:
    """The column's label: FD_<space> for the Fréchet distance outside Inception space (one space
    or several), ``KID [space]`` for the other metrics of a non-Inception space among several."""
    space = cmp.metadata.get("extractor")
    if m == "fid" and space and space != DEFAULTS.features and "," not in space:
        return f"FD_{space}"
    return registry.label(m)


def _headers(cmp: Comparison) -> list[str]:
    return ["rank", "name", "step", "n"] + [f"{_label(cmp, m)} {'↓' if registry.lower_is_better(m) else '↑'}"
                                          for m in cmp.metrics]


def _rows(cmp: Comparison) -> list[tuple[list[str], bool]]:
    main = cmp.metrics[0]
    rows = []
    for _, row in cmp.table.sort_values(f"{main}_rank", kind="stable").iterrows():
        step = "" if pd.isna(row["step"]) else str(int(row["step"]))
        rows.append(([str(row[f"{main}_rank"]), display_name(row["name"]), step, str(row["n"])] + _cells(cmp, row),
                     row[f"{main}_rank"] == 1))
    return rows


def _legend(cmp: Comparison) -> str:
    meta = cmp.metadata
    if "ci" not in meta:
        return "Ranked by the first metric. No intervals (run with --ci)."
    return (f"Ranked by the first metric. Brackets: {meta['ci']:.0%} paired-bootstrap intervals "
            f"({meta['n_boot']} resamples). p: two-sided bootstrap p-value of the difference to the best; "
            f"*: the best is significantly better (its {meta['ci']:.0%} interval of the difference excludes 0).")


def _meta_lines(cmp: Comparison) -> list[str]:
    m = cmp.metadata
    keys = ("reference", "n_reference", "extractor", "resize", "weights_sha256", "seed", "ci", "n_boot",
            "ganmetrics_version")
    return [f"{k}: {m[k]}" for k in keys if m.get(k) is not None] + [f"generated: {m.get('created', '')}"]


def _has_steps(cmp: Comparison) -> bool:
    return len(cmp.table) > 1 and not cmp.table["step"].isna().any()


def render_html(cmp: Comparison, step_png: bytes | None, grids: dict[str, bytes]) -> str:
    def img(data: bytes, alt: str) -> str:
        return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _headers(cmp))
    body = []
    for cells, best in _rows(cmp):
        tds = "".join(f'<td class="name">{html.escape(c)}</td>' if i == 1 else f"<td>{html.escape(c)}</td>"
                      for i, c in enumerate(cells))
        body.append(f'<tr{" class=best" if best else ""}>{tds}</tr>')
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>ganmetrics comparison</title>", f"<style>{CSS}</style></head><body>",
             "<h1>ganmetrics comparison</h1>",
             f'<table id="results"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>',
             f"<p>{html.escape(_legend(cmp))}</p>"]
    if step_png is not None:
        parts += ["<h2>Metrics against training step</h2>", img(step_png, "metrics against step")]
    parts.append('<h2>Samples</h2><div class="grids">')
    for name, data in grids.items():
        parts.append(f"<figure>{img(data, 'samples of ' + name)}<figcaption>{html.escape(name)}</figcaption></figure>")
    parts.append("</div>")
    parts.append('<h2>Provenance</h2><ul class="meta">' +
                 "".join(f"<li>{html.escape(line)}</li>" for line in _meta_lines(cmp)) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render_text(cmp: Comparison) -> str:
    """The ranked table as aligned text, one line per input (what the CLI prints)."""
    rows = [_headers(cmp)] + [cells for cells, _ in _rows(cmp)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i == 1 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in rows)


def render_markdown(cmp: Comparison, step_file: str | None, grid_files: dict[str, str]) -> str:
    headers = _headers(cmp)
    lines = ["# ganmetrics comparison", "", "| " + " | ".join(headers) + " |",
             "|" + "|".join("---" if i == 1 else "---:" for i in range(len(headers))) + "|"]
    for cells, best in _rows(cmp):
        cells = [c.replace("|", "\\|") for c in cells]
        if best:
            cells[1] = f"**{cells[1]}**"
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", _legend(cmp), ""]
    if step_file:
        lines += ["## Metrics against training step", "", f"![metrics against step]({step_file})", ""]
    lines += ["## Samples", ""] + [f"![{name}]({f}) `{name}`  " for name, f in grid_files.items()]
    lines += ["", "## Provenance", ""] + [f"- {line}" for line in _meta_lines(cmp)] + [""]
    return "\n".join(lines)


def records(cmp: Comparison) -> list[dict]:
    t = cmp.table.astype(object).where(cmp.table.notna(), None)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in t.to_dict(orient="records")]


def write_report(cmp: Comparison, out: str | Path) -> list[Path]:
    """Write the report files into the folder ``out``; returns their paths."""
    out = Path(out)
    cmp.metadata.setdefault("created", datetime.datetime.now().isoformat(timespec="seconds"))
    step_png = metric_vs_step_png(cmp.table, cmp.metrics) if _has_steps(cmp) else None
    grids = {name: grid_png(images, columns=4) for name, images in cmp.previews.items() if len(images)}
    grid_files = {name: f"grids/{_slug(name)}.png" for name in grids}
    files: dict[str, bytes] = {f: grids[name] for name, f in grid_files.items()}
    if step_png is not None:
        files["plots/metrics_vs_step.png"] = step_png
    files["results.csv"] = cmp.table.to_csv(index=False).encode()
    files["results.json"] = (to_json({"metadata": cmp.metadata, "results": records(cmp)}) + "\n").encode()
    files["report.md"] = render_markdown(cmp, "plots/metrics_vs_step.png" if step_png else None, grid_files).encode()
    files["report.html"] = render_html(cmp, step_png, grids).encode()
    for sub in ("grids", "plots"):
        if any(f.startswith(sub + "/") for f in files):
            (out / sub).mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():  # report.html last: it is the file people open
        with atomic_write(out / name) as f:
            f.write(data)
        written.append(out / name)
    return written

