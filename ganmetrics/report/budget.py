"""Budget-aware comparison of models (Lucic, Kurach, Michalski, Gelly, Bousquet, "Are GANs
Created Equal? A Large-Scale Study", NeurIPS 2018, section 5 and figure 4).

A model's single best run says more about how many runs were tried than about the model.
Instead compare the *expected best* score among ``k`` runs, for each budget ``k``: with the
observed scores sorted from best to worst, x_(1), ..., x_(n), and ``k`` runs drawn with
replacement from them,

    E[best of k] = Σ_i x_(i) · [ ((n - i + 1)/n)^k - ((n - i)/n)^k ],

the probability that the best of the k draws is the i-th best observed score. k = 1 gives the
mean score; k -> ∞ the best one. Bands: percentile bootstrap over the runs (resample the n
scores with replacement, recompute the curve).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, display_name
from ..metrics.bootstrap import QUANTILE


def expected_best(scores, budget: int, lower_is_better: bool = True) -> float:
    """Expected best of ``budget`` runs drawn with replacement from ``scores`` (closed form)."""
    x = np.sort(np.asarray(scores, np.float64))
    if not lower_is_better:
        x = x[::-1]
    n = len(x)
    if n == 0 or not np.isfinite(x).all():
        raise InputError("expected best: needs at least one finite score")
    if budget < 1:
        raise InputError(f"budget must be at least 1, got {budget}")
    i = np.arange(1, n + 1)
    weights = ((n - i + 1) / n) ** budget - ((n - i) / n) ** budget
    return float(weights @ x)


def expected_best_curve(scores, budgets, lower_is_better: bool = True, level: float | None = 0.95,
                        n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Columns budget, expected_best and, with ``level``, ci_low / ci_high (bootstrap over runs)."""
    scores = np.asarray(scores, np.float64)
    budgets = [int(k) for k in budgets]
    curve = pd.DataFrame({"budget": budgets,
                          "expected_best": [expected_best(scores, k, lower_is_better) for k in budgets]})
    if level is not None and len(scores) > 1:
        rng = np.random.default_rng(seed)
        reps = np.array([[expected_best(s, k, lower_is_better) for k in budgets]
                         for s in (scores[rng.integers(0, len(scores), len(scores))] for _ in range(n_boot))])
        curve["ci_low"], curve["ci_high"] = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2], axis=0,
                                                            method=QUANTILE)
    return curve


def budget_table(runs: pd.DataFrame, metric: str, by: str, max_budget: int | None = None,
                 lower_is_better: bool = True, level: float | None = 0.95, n_boot: int = 1000,
                 seed: int = 0, source: str = "runs table") -> pd.DataFrame:
    """One expected-best curve per group of ``runs`` (one row per run, columns ``by`` and ``metric``).

    ``source`` names the table in messages (the CLI passes the file names). Missing, non-numeric
    or infinite scores are refused, naming the file, the column and the groups."""
    for column in (by, metric):
        if column not in runs:
            raise InputError(f"no column {column!r} in the runs table (columns: {', '.join(map(str, runs.columns))})")
    values = pd.to_numeric(runs[metric], errors="coerce")
    if values.isna().any():
        bad = runs.loc[values.isna(), by].tolist()[:3]
        raise InputError(f"{display_name(source)}: column {metric!r} has missing or non-numeric values "
                         f"(groups {bad})")
    infinite = ~np.isfinite(values.to_numpy(np.float64))
    if infinite.any():
        rows = np.flatnonzero(infinite)
        groups = list(dict.fromkeys(runs[by].iloc[rows].tolist()))[:3]
        raise InputError(f"{display_name(source)}: column {metric!r} has {infinite.sum()} infinite value(s) "
                         f"(group(s) {', '.join(map(str, groups))}; row(s) {', '.join(str(r + 1) for r in rows[:5])}); "
                         "a diverged run has no score to rank: remove it or give it a finite one")
    biggest = max_budget or int(runs.groupby(by).size().max())
    budgets = sorted(set(range(1, min(10, biggest) + 1)) | {biggest} |  # 1..10, then 20, 50, 100, 200, ...
                     {m * 10 ** e for e in range(1, 7) for m in (1, 2, 5) if m * 10 ** e <= biggest})
    curves = []
    for group, g in runs.assign(**{metric: values}).groupby(by, sort=False):
        c = expected_best_curve(g[metric].to_numpy(), budgets, lower_is_better, level, n_boot, seed)
        c.insert(0, by, group)
        c.insert(1, "runs", len(g))
        curves.append(c)
    return pd.concat(curves, ignore_index=True)


def read_runs(paths) -> pd.DataFrame:
    """One table of runs from CSV files and/or results.json files (``ganmetrics compare`` writes
    ``{"results": [...]}``); ``InputError`` names a missing or unreadable file."""
    frames = []
    for p in paths:
        path = Path(p)
        try:
            if path.suffix == ".json":
                data = json.loads(path.read_text())
                frames.append(pd.DataFrame(data["results"] if isinstance(data, dict) and "results" in data else data))
            else:
                frames.append(pd.read_csv(path))
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except (ValueError, KeyError, pd.errors.ParserError) as e:
            raise InputError(f"{path}: not a runs table ({str(e).splitlines()[0][:100]})") from None
    return pd.concat(frames, ignore_index=True)
