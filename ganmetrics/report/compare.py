"""Compare several generators against one reference: values, intervals, ranks, significance.

Each input (a sample folder, an image array, or a generator checkpoint sampled on the fly) is
run through the extractor once, with the feature cache on by default, so that adding an input
to a comparison recomputes only that input. Point values come from ``ganmetrics.evaluate``
(the same code and defaults as ``ganmetrics eval``).

Intervals and significance come from one *paired* percentile bootstrap (Efron & Tibshirani
1993): every replicate resamples the reference once and each input once, and recomputes every
metric for every input on that same reference resample. The interval of an input is the
percentiles of its replicates; the best input (by point value) is *significantly better* than
another when the ``ci``-level interval of their paired difference excludes 0, and the
two-sided bootstrap p-value is 2·min(share of differences ≤ 0, share ≥ 0), floored at
2/(n_boot + 1). Precision/recall/density/coverage resample their per-sample terms with the
k-NN manifolds fixed (as ``evaluate`` does). With a statistics file as the reference only FID
is available and only the inputs are resampled.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import InputError
from ..evaluate import ExtractorOptions, FeatureSet, evaluate, extract_features, fid_of_features
from ..metrics.frechet import frechet_distance_to_features
from ..metrics.inception_score import inception_score
from ..metrics.kid import DEFAULT_SEED, kid
from ..metrics.prdc import prdc_indicators
from ..result import LOWER_IS_BETTER
from ..sampling import step_from_name
from ..sources import open_images, preview_images
from ..stats import GaussianStats, is_stats_file

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")
PRDC = ("precision", "recall", "density", "coverage")


@dataclass
class SamplerOptions:
    """How checkpoint inputs are sampled (see ``ganmetrics.sampling``)."""

    n: int = 10000
    seed: int = 0
    factory: str | None = None
    kwargs: dict | str | None = None
    z_dim: int | None = None
    key: str | None = None
    truncation: float | None = None
    output_range: str = "-1,1"
    trust: bool = False
    batch_size: int = 250


@dataclass
class Comparison:
    """One row per input in ``table``; ``replicates[metric]`` is inputs x n_boot (with ``ci``)."""

    table: pd.DataFrame
    metrics: list[str]
    replicates: dict[str, np.ndarray] = field(default_factory=dict)
    previews: dict[str, np.ndarray] = field(default_factory=dict)  # name -> uint8 K x 3 x H x W
    metadata: dict = field(default_factory=dict)

    @property
    def best(self) -> dict[str, str]:
        """The best input's name per metric."""
        return {m: self.table.loc[self.table[f"{m}_rank"] == 1, "name"].iloc[0] for m in self.metrics}


@dataclass
class _Input:
    name: str
    features: FeatureSet
    step: int | None
    preview: np.ndarray


def expand(metrics) -> list[str]:
    """``prdc`` stands for its four metrics."""
    out: list[str] = []
    for m in metrics:
        out.extend(PRDC if m == "prdc" else [m])
    return list(dict.fromkeys(out))


def _load_input(x, name: str, opts: ExtractorOptions, cache: bool, sampler: SamplerOptions) -> _Input:
    step = None
    if isinstance(x, (str, os.PathLike)) and Path(x).suffix.lower() in CHECKPOINT_SUFFIXES:
        from ..sampling import load_generator, sample
        generator = load_generator(x, sampler.factory, sampler.kwargs, sampler.z_dim, sampler.key, sampler.trust,
                                   str(opts.extractor.device))
        images = sample(generator, sampler.n, sampler.seed, sampler.truncation, sampler.batch_size,
                        sampler.output_range)
        step, x = generator.step, images
    elif isinstance(x, (str, os.PathLike)):
        if is_stats_file(x):
            raise InputError(f"{x}: a statistics file cannot be compared (its samples are needed); give the images")
        step = step_from_name(x)
    source = open_images(x, name, opts.root, opts.download)
    features = extract_features(source.array if source.files is None else x, opts, cache, name=name)
    return _Input(name, features, step, preview_images(source, 16))


def default_names(inputs) -> list[str]:
    """Folder or file names; their parent folders are added where names collide."""
    paths = [Path(str(x).rstrip("/")) if isinstance(x, (str, os.PathLike)) else None for x in inputs]
    names = [p.stem if p is not None and p.suffix else (p.name if p is not None else f"input{i}")
             for i, p in enumerate(paths)]
    if len(set(names)) < len(names):
        names = [f"{p.parent.name}/{n}" if p is not None else n for p, n in zip(paths, names)]
    if len(set(names)) < len(names):
        names = [str(p) if p is not None else n for p, n in zip(paths, names)]
    return names


def compare(inputs, reference, metrics=("fid",), *, names=None, ci: float | None = 0.95, n_boot: int = 100,
            seed: int = DEFAULT_SEED, splits: int = 10, kid_subsets: int = 100, kid_subset_size: int = 1000,
            k_pr: int = 3, k_dc: int = 5, cache: bool = True, force: bool = False, sqrtm: str = "eigvals",
            sampler: SamplerOptions | None = None, opts: ExtractorOptions | None = None, progress=None) -> Comparison:
    """Evaluate every input against ``reference`` and rank them (see the module docstring).

    ``inputs``: folders, ``.npy``/``.npz`` arrays, in-memory arrays, or checkpoints (``.pt``,
    sampled with ``sampler``). ``reference``: images, or a statistics file / ``GaussianStats``
    (FID only). ``progress``: an optional callable(message) for status lines.
    """
    inputs = list(inputs)
    if not inputs:
        raise InputError("compare needs at least one input")
    names = list(names) if names is not None else default_names(inputs)
    if len(names) != len(inputs) or len(set(names)) != len(names):
        raise InputError(f"--names: need {len(inputs)} distinct names, got {names}")
    wanted = expand(metrics)
    unknown = [m for m in wanted if m not in LOWER_IS_BETTER]
    if unknown:
        raise InputError(f"unknown metric(s) {', '.join(unknown)}; choose from fid, is, kid, prdc")
    opts = opts or ExtractorOptions()
    sampler = sampler or SamplerOptions()
    say = progress or (lambda message: None)

    stats_ref = reference if isinstance(reference, GaussianStats) else (
        GaussianStats.load(reference) if isinstance(reference, (str, os.PathLike)) and is_stats_file(reference)
        else None)
    if stats_ref is not None and wanted != ["fid"]:
        raise InputError(f"{stats_ref.label}: a statistics file supports FID only; give reference images for "
                         f"{', '.join(m for m in wanted if m != 'fid')}")
    if stats_ref is None:
        say("reference: extracting features")
        ref = extract_features(reference, opts, cache,
                               name=str(reference) if isinstance(reference, (str, os.PathLike)) else "reference")
    else:
        ref = stats_ref
    entries = []
    for x, name in zip(inputs, names):
        say(f"{name}: extracting features")
        entries.append(_load_input(x, name, opts, cache, sampler))

    rows = []
    per_metric = [m if m not in PRDC else "prdc" for m in wanted]
    for e in entries:
        results = evaluate(ref, e.features, list(dict.fromkeys(per_metric)), ci=None, seed=seed, splits=splits,
                           kid_subsets=kid_subsets, kid_subset_size=kid_subset_size, k_pr=k_pr, k_dc=k_dc,
                           force=force, sqrtm=sqrtm, opts=opts)
        row = {"name": e.name, "step": e.step, "n": len(e.features.pool3)}
        for r in results:
            row[r.metric] = r.value
            if r.std is not None:
                row[f"{r.metric}_std"] = r.std
        rows.append(row)
    table = pd.DataFrame(rows)
    table["step"] = table["step"].astype("Int64")  # integers, <NA> where unknown

    replicates = {}
    if ci is not None and len(entries):
        say(f"bootstrap: {n_boot} paired resamples")
        replicates = _paired_bootstrap(ref, entries, wanted, n_boot, seed, splits, kid_subsets, kid_subset_size,
                                       k_pr, k_dc, opts.device)
    for m in wanted:
        lower = LOWER_IS_BETTER[m]
        table[f"{m}_rank"] = table[m].rank(method="min", ascending=lower).astype(int)
        if m in replicates:
            lo, hi = np.quantile(replicates[m], [(1 - ci) / 2, (1 + ci) / 2], axis=1)
            table[f"{m}_ci_low"], table[f"{m}_ci_high"] = lo, hi
            best = int(np.argmin(table[f"{m}_rank"].to_numpy()))
            p, significant = [], []
            for k in range(len(entries)):
                if k == best:
                    p.append(np.nan)
                    significant.append(pd.NA)
                    continue
                diff = replicates[m][k] - replicates[m][best]
                diff = diff if lower else -diff  # > 0: the best is better in this replicate
                share = min((diff <= 0).mean(), (diff >= 0).mean())
                p.append(min(1.0, max(2 * share, 2 / (n_boot + 1))))
                significant.append(bool(np.quantile(diff, (1 - ci) / 2) > 0))
            table[f"{m}_p_vs_best"] = p
            table[f"{m}_best_is_better"] = pd.array(significant, dtype="boolean")
    meta = {**entries[0].features.metadata, "ganmetrics_version": __version__, "metrics": wanted, "seed": seed,
            "reference": getattr(ref, "name", None) or getattr(ref, "label", None), "n_reference": ref_n(ref)}
    meta.pop("source", None)
    if ci is not None:
        meta.update(ci=ci, n_boot=n_boot)
    if any(isinstance(x, (str, os.PathLike)) and Path(x).suffix.lower() in CHECKPOINT_SUFFIXES for x in inputs):
        meta["sampler"] = {k: v for k, v in vars(sampler).items() if k != "trust"}
    return Comparison(table, wanted, replicates, {e.name: e.preview for e in entries}, meta)


def ref_n(ref) -> int:
    return int(ref.n) if isinstance(ref, GaussianStats) else len(ref.pool3)


def _paired_bootstrap(ref, entries, wanted, n_boot, seed, splits, kid_subsets, kid_subset_size, k_pr, k_dc,
                      device) -> dict[str, np.ndarray]:
    """inputs x n_boot replicates of every metric, each replicate on one shared reference resample."""
    stats_ref = isinstance(ref, GaussianStats)
    indicators = [prdc_indicators(ref.pool3, e.features.pool3, k_pr, k_dc, device) if set(PRDC) & set(wanted)
                  else None for e in entries]
    out = {m: np.empty((len(entries), n_boot)) for m in wanted}
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the KID subset-size cap warns once per replicate otherwise
        for r in range(n_boot):
            ia = None if stats_ref else rng.integers(0, len(ref.pool3), len(ref.pool3))
            for k, e in enumerate(entries):
                fb = e.features.pool3
                ib = rng.integers(0, len(fb), len(fb))
                if "fid" in out:
                    out["fid"][k, r] = (frechet_distance_to_features(ref.mu, ref.sigma, fb[ib]) if stats_ref
                                        else fid_of_features(ref.pool3[ia], fb[ib]))
                if "kid" in out:
                    out["kid"][k, r] = kid(ref.pool3[ia], fb[ib], kid_subsets, kid_subset_size, seed=seed,
                                           ids_a=ia, ids_b=ib)[0]
                if "is" in out:
                    out["is"][k, r] = inception_score(e.features.logits_unbiased[ib], splits, seed=seed)[0]
                for m in PRDC:
                    if m in out:  # precision, density: per generated sample; recall, coverage: per real one
                        out[m][k, r] = indicators[k][m][ib if m in ("precision", "density") else ia].mean()
    return out


__all__ = ["compare", "Comparison", "SamplerOptions", "expand", "default_names"]
