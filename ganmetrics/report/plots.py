"""Figures for reports, as PNG bytes (matplotlib's Agg backend; no display needed)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from ..metrics import registry


def _lower(metric: str) -> bool:
    """Lower is better for a registered metric that says so, and for unknown score columns."""
    return registry.get_metric(metric).lower_is_better if metric in registry.metric_names() else True


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def figure_png(fig, dpi: int = 90) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def grid_image(images: np.ndarray, columns: int | None = None) -> np.ndarray:
    """uint8 N x 3 x H x W -> one H' x W' x 3 canvas, row-major, black where empty."""
    n = len(images)
    cols = columns or max(1, int(np.ceil(np.sqrt(n))))
    rows = max(1, int(np.ceil(n / cols)))
    h, w = images.shape[2:] if n else (8, 8)
    canvas = np.zeros((rows * h, cols * w, 3), dtype=np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        canvas[r * h:(r + 1) * h, c * w:(c + 1) * w] = img.transpose(1, 2, 0)
    return canvas


def grid_png(images: np.ndarray, columns: int | None = None, min_width: int = 256) -> bytes:
    """A sample grid as PNG bytes, upscaled (nearest) so small images stay visible."""
    from PIL import Image
    canvas = Image.fromarray(grid_image(images, columns))
    scale = max(1, int(np.ceil(min_width / canvas.width)))
    if scale > 1:
        canvas = canvas.resize((canvas.width * scale, canvas.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    canvas.save(buf, format="PNG")
    return buf.getvalue()


def metric_vs_step_png(table: pd.DataFrame, metrics: list[str]) -> bytes:
    """One panel per metric: value against training step, with the interval as error bars."""
    plt = _pyplot()
    t = table.sort_values("step")
    cols = min(4, len(metrics))
    rows = -(-len(metrics) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    for ax, m in zip(axes.flat, metrics):
        x, y = t["step"].to_numpy(float), t[m].to_numpy(float)
        if f"{m}_ci_low" in t:
            err = np.vstack([y - t[f"{m}_ci_low"].to_numpy(float), t[f"{m}_ci_high"].to_numpy(float) - y])
            ax.errorbar(x, y, yerr=np.clip(err, 0, None), marker="o", capsize=3)
        else:
            ax.plot(x, y, marker="o")
        arrow = "↓" if _lower(m) else "↑"
        ax.set(xlabel="step", title=f"{registry.label(m)} {arrow}")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return figure_png(fig)


def budget_png(curves: pd.DataFrame, metric: str, by: str, level: float | None) -> bytes:
    """Expected best ``metric`` against the number of runs, one line (and band) per group."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for group, c in curves.groupby(by, sort=False):
        line, = ax.plot(c["budget"], c["expected_best"], marker=".", label=str(group))
        if "ci_low" in c:
            ax.fill_between(c["budget"], c["ci_low"], c["ci_high"], color=line.get_color(), alpha=0.2)
    best = "lowest" if _lower(metric) else "highest"
    band = f" ({level:.0%} bootstrap band)" if level else ""
    ax.set(xlabel="budget: number of runs", ylabel=f"expected {best} {registry.label(metric)}",
           title=f"Expected best {registry.label(metric)} at equal budget{band}")
    ax.set_xscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return figure_png(fig)
