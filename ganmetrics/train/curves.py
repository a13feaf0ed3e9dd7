"""Plot the metric curves of one or several runs (their ``curves.csv``) against the step."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io import atomic_write

PANELS = [("d_loss", "discriminator / critic loss"), ("g_loss", "generator loss"),
          ("w1_exact", "exact W1 to real samples"), ("w1_critic", "held-out critic W1 estimate"),
          ("js_discriminator", "held-out discriminator JS estimate"), ("modes", "modes covered"),
          ("hq", "share of high-quality samples"), ("fid", "FID"), ("kid", "KID"),
          ("is", "Inception Score")]


def load_curves(runs: list[str]) -> dict[str, pd.DataFrame]:
    curves = {}
    for run in runs:
        path = Path(run) / "curves.csv"
        if not path.is_file():
            raise InputError(f"{run}: no curves.csv (is it a training run folder?)")
        curves[Path(run).name or str(run)] = pd.read_csv(path)
    return curves


def plot_curves(curves: dict[str, pd.DataFrame], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [(c, t) for c, t in PANELS if any(c in df for df in curves.values())]
    cols = 3
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, (column, title) in zip(axes.flat, panels):
        for name, df in curves.items():
            if column in df:
                ax.plot(df["step"], df[column], marker=".", label=name)
        ax.set(title=title, xlabel="step")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)
