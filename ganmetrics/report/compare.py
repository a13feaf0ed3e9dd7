"""Compare several generators against one reference: values, intervals, ranks, significance.

Each input (a sample folder, an image array, or a generator checkpoint sampled on the fly) is
run through the extractor once, with the feature cache on by default, so that adding an input
to a comparison recomputes only that input. Point values come from ``ganmetrics.evaluate``
(the same code and defaults as ``ganmetrics eval``).

Intervals and significance come from *paired* subsampling replicates
(``ganmetrics.metrics.bootstrap``, two-size scheme): every replicate draws half (then, in a
second set, a quarter) of the reference and of each input without replacement, and
recomputes every metric for every input on that same reference subsample. An input's interval
is for E[metric at its N] and lies around its estimate (the pivotal interval of its half-sample
replicates, rescaled to N; KID's is the closed-form jackknife one, as in ``evaluate``). The best input (by point value) is *significantly better* than another when the
``ci``-level interval of their difference, from the paired replicates of the difference
(``difference_test``), excludes 0; p is the two-sided share of centred paired differences at
least as large as the observed one, floored at 2/(n_boot + 1). Precision/recall/density/coverage
recompute their k-NN manifolds on every resample, cut into two halves and four quarters
(scheme "split"): their interval, and the test of their difference, is Student's t with the
variance extrapolated to N from the halves and quarters of the paired replicates
(``split_variance_at_n``). With a statistics file as the reference only FID
is available and only the inputs are resampled.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from .._version import __version__
from ..config import DEFAULTS
from ..errors import InputError
from ..evaluation import check_replicates, estimates, evaluate_space, make_runner, progress_enabled
from ..features.runner import FeatureRunner, FeatureSet, extract_features
from ..generators import load_generator, sample, step_from_name
from ..inputs.sources import preview_images
from ..metrics import registry
from ..metrics.bootstrap import (BOUNDS, centered_interval, difference_test, kid_interval, split_piece,
                                 split_interval, split_replicates, two_size_scale)
from ..refs import load_stats
from ..stats import GaussianStats, is_stats_file

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")


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
    """One row per input in ``table``; ``replicates[metric]`` is inputs x n_boot (with ``ci``), for
    precision/recall/density/coverage inputs x ``split_replicates(n_boot)``: per cut two halves,
    then four quarters (``bootstrap.split_piece``), not interchangeable."""

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


expand = registry.expand  # groups (prdc) stand for their members


def _load_input(x, name: str, runner: FeatureRunner, cache: bool, sampler: SamplerOptions) -> _Input:
    step = None
    if isinstance(x, (str, os.PathLike)) and Path(x).suffix.lower() in CHECKPOINT_SUFFIXES:
        generator = load_generator(x, sampler.factory, sampler.kwargs, sampler.z_dim, sampler.key, sampler.trust,
                                   str(runner.device))
        images = sample(generator, sampler.n, sampler.seed, sampler.truncation, sampler.batch_size,
                        sampler.output_range)
        step, x = generator.step, images
    elif isinstance(x, (str, os.PathLike)):
        if is_stats_file(x):
            raise InputError(f"{x}: a statistics file cannot be compared (its samples are needed); give the images")
        step = step_from_name(x)
    source = runner.open(x, name)
    features = extract_features(source.array if source.files is None else x, runner, cache, name=name)
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


def compare(inputs, reference, metrics=("fid",), *, names=None, ci: float | None = 0.95,
            n_boot: int = DEFAULTS.n_boot, seed: int = DEFAULTS.seed, cache: bool = True, force: bool = False,
            sampler: SamplerOptions | None = None, runner: FeatureRunner | None = None, progress=None,
            **settings) -> Comparison:
    """Evaluate every input against ``reference`` and rank them (see the module docstring).

    ``inputs``: folders, ``.npy``/``.npz`` arrays, in-memory arrays, or checkpoints (``.pt``,
    sampled with ``sampler``). ``reference``: images, or a statistics file / ``GaussianStats``
    (metrics that accept statistics only: FID). ``progress``: an optional callable(message) for
    status lines. ``settings``: metric parameters (``splits``, ``kid_subsets``, ``k_pr``, ``sqrtm``,
    ...) and ``Extraction``/``InputPolicy`` fields, as for ``ganmetrics.evaluate``.
    """
    inputs = list(inputs)
    if not inputs:
        raise InputError("compare needs at least one input")
    names = list(names) if names is not None else default_names(inputs)
    if len(names) != len(inputs) or len(set(names)) != len(names):
        raise InputError(f"--names: need {len(inputs)} distinct names, got {names}")
    wanted = expand(metrics)
    specs = [registry.get_metric(m) for m in wanted]
    check_replicates(specs, ci, n_boot)
    runner, params = make_runner(runner, **settings)
    params = {**registry.param_defaults(specs), **params, "seed": seed}
    sampler = sampler or SamplerOptions()
    say = progress or (lambda message: None)

    stats_ref = reference if isinstance(reference, GaussianStats) else (
        load_stats(reference) if isinstance(reference, (str, os.PathLike)) and is_stats_file(reference)
        else None)
    if stats_ref is not None and not all(s.stats_ok or not s.pair for s in specs):  # IS ignores the reference
        raise InputError(f"{stats_ref.label}: a statistics file supports "
                         f"{', '.join(registry.label(m) for m in registry.stats_metrics())} only; give reference "
                         f"images for {', '.join(s.name for s in specs if s.pair and not s.stats_ok)}")
    if stats_ref is None:
        say("reference: extracting features")
        ref = extract_features(reference, runner, cache,
                               name=str(reference) if isinstance(reference, (str, os.PathLike)) else "reference")
    else:
        ref = stats_ref
    entries = []
    for x, name in zip(inputs, names):
        say(f"{name}: extracting features")
        entries.append(_load_input(x, name, runner, cache, sampler))

    table, replicates = pd.DataFrame({"name": [e.name for e in entries], "step": [e.step for e in entries],
                                      "n": [len(e.features) for e in entries]}), {}
    table["step"] = table["step"].astype("Int64")  # integers, <NA> where unknown
    keys = []
    for space, ref_s, feats in _spaces(runner, ref, [e.features for e in entries]):
        entries_s = [dataclasses.replace(e, features=f) for e, f in zip(entries, feats)]
        todo = [s for s in specs if all(r in feats[0].outputs for r in s.needs)] if space else specs
        key = {s.name: registry.result_key(s.name, space, [space, None]) for s in todo}
        cols, reps = _score(ref_s, entries_s, todo, key, params, ci, n_boot, seed, runner, force, say)
        table = pd.concat([table, cols], axis=1)
        replicates.update(reps)
        keys += list(key.values())
    missing = [s.name for s in specs if not any(registry.split_key(k)[0] == s.name for k in keys)]
    if missing:
        raise InputError(f"{', '.join(missing)}: no feature space among {runner.extraction.features} has the outputs "
                         "it needs")
    wanted = keys
    meta = {**entries[0].features.metadata, "ganmetrics_version": __version__, "metrics": wanted, "seed": seed,
            "reference": getattr(ref, "name", None) or getattr(ref, "label", None), "n_reference": ref_n(ref)}
    meta.pop("source", None)
    if ci is not None:
        meta.update(ci=ci, n_boot=n_boot)
    if any(isinstance(x, (str, os.PathLike)) and Path(x).suffix.lower() in CHECKPOINT_SUFFIXES for x in inputs):
        meta["sampler"] = {k: v for k, v in vars(sampler).items() if k != "trust"}
    return Comparison(table, wanted, replicates, {e.name: e.preview for e in entries}, meta)


def _spaces(runner: FeatureRunner, ref, feature_sets):
    """[(space, reference, [input FeatureSets])]: one item with space None for a single feature
    space; one per space for ``--features A,B`` (one decode pass, ``features/multi.py``)."""
    if "," not in runner.extraction.features:
        return [(None, ref, feature_sets)]
    if isinstance(ref, GaussianStats):
        raise InputError(f"{ref.label}: a statistics file holds one feature space; with --features "
                         f"{runner.extraction.features} give the reference images")
    ext = runner.extractor

    def parts(fs):
        return [FeatureSet(fs.name, outs, {**fs.metadata, **meta}) for meta, outs in ext.split(fs.outputs)]
    per_input = [parts(fs) for fs in feature_sets]
    return [(part.name, ref_part, [p[k] for p in per_input])
            for k, (part, ref_part) in enumerate(zip(ext.parts, parts(ref)))]


def _score(ref, entries, specs, names, params, ci, n_boot, seed, runner, force, say):
    """Values, ranks, intervals and significance of every metric in ``specs`` for every input, as
    columns named by ``names[metric]`` (the result keys), and the paired replicates by that name."""
    wanted = [s.name for s in specs]
    rows = []
    for e in entries:
        results = evaluate_space(specs, ref, e.features, params, runner, None, n_boot, seed, force)
        row = {}
        for r in results:
            row[r.metric] = r.value
            if r.std is not None:
                row[f"{r.metric}_std"] = r.std
        rows.append(row)
    table = pd.DataFrame(rows)

    replicates = {}
    if ci is not None and len(entries):
        say(f"bootstrap: {n_boot} paired resamples" + (" (precision/recall/density/coverage: "
            f"{(n_boot + 1) // 2} cuts into halves and quarters)" if any(s.interval == "split" for s in specs) else ""))
        cut = [s for s in specs if s.interval == "split"]     # cuts into halves and quarters
        show = progress_enabled(runner)
        replicates = _paired_bootstrap(ref, entries, [s for s in specs if s not in cut], params, n_boot, seed,
                                       runner.device, progress=show)
        if cut:
            replicates.update(_paired_bootstrap(ref, entries, cut, params, split_replicates(n_boot), seed,
                                                runner.device, split=True, progress=show))
        two_size = [s for s in specs if s.interval == "two-size"]  # only they need the quarter-samples
        quarters = _paired_bootstrap(ref, entries, two_size, params, n_boot, seed + 1, runner.device, part=4,
                                     progress=show) if two_size else {}
    for m in wanted:
        lower = registry.lower_is_better(m)
        table[f"{m}_rank"] = table[m].rank(method="min", ascending=lower).astype(int)
        if m in replicates:
            values = table[m].to_numpy(dtype=float)
            if m == "kid":
                iv = [kid_interval(ref.features, e.features.features, v, sd if pd.notna(sd) else None,
                                   params["kid_subsets"], ci)
                      for e, v, sd in zip(entries, values, table.get("kid_std", pd.Series([None] * len(entries))))]
            elif registry.get_metric(m).interval == "split":
                iv = [split_interval(v, reps, ci, BOUNDS.get(m, (-np.inf, np.inf)))
                      for v, reps in zip(values, replicates[m])]
            else:
                two = registry.get_metric(m).interval == "two-size" and m in quarters
                iv = [centered_interval(v, reps, ci, BOUNDS.get(m, (-np.inf, np.inf)),
                                        scale=two_size_scale(reps, q) if two else 1.0)
                      for v, reps, q in zip(values, replicates[m], quarters.get(m, [None] * len(values)))]
            table[f"{m}_ci_low"], table[f"{m}_ci_high"] = [x[0] for x in iv], [x[1] for x in iv]
            best = int(np.argmin(table[f"{m}_rank"].to_numpy()))
            p, significant = [], []
            for k in range(len(entries)):
                if k == best:
                    p.append(np.nan)
                    significant.append(pd.NA)
                    continue
                sign = 1 if lower else -1  # > 0: the best is better
                # the difference's spread from the paired half-samples, not rescaled: the two-size
                # rescaling false-alarmed in bench_coverage.py (docs/compare.md), half-sampling is conservative
                in_pairs = registry.get_metric(m).interval == "split"
                (lo, _), pk = difference_test(sign * (values[k] - values[best]), ci, split=in_pairs,
                                             diff_replicates=sign * (replicates[m][k] - replicates[m][best]))
                p.append(pk if in_pairs else max(pk, 2 / (n_boot + 1)))
                significant.append(bool(lo > 0) if np.isfinite(pk) else pd.NA)
            table[f"{m}_p_vs_best"] = p
            table[f"{m}_best_is_better"] = pd.array(significant, dtype="boolean")
    suffixes = ("", "_std", "_rank", "_ci_low", "_ci_high", "_p_vs_best", "_best_is_better")
    table = table.rename(columns={m + x: names[m] + x for m in wanted for x in suffixes})
    return table, {names[m]: v for m, v in replicates.items()}


def ref_n(ref) -> int:
    return int(ref.n) if isinstance(ref, GaussianStats) else len(ref)


def _paired_bootstrap(ref, entries, specs, params, n_boot, seed, device, part: int = 2,
                      split: bool = False, progress: bool = False) -> dict[str, np.ndarray]:
    """inputs x n_boot subsampling replicates of every metric (1/``part`` of each set, drawn without
    replacement), each on one shared reference subsample (through each metric's
    ``Estimate.replicate``; see ``metrics/registry.py``). ``split``: cuts into two halves and four
    quarters (``bootstrap.split_piece``), the same piece of every set in one replicate
    (``bootstrap.split_variance_at_n``).
    ``progress``: a bar on stderr over the replicates."""
    stats_ref = isinstance(ref, GaussianStats)
    ctx = registry.Context(device=device, intervals=True)
    ests = [estimates(specs, ref, e.features, params, ctx) for e in entries]
    out = {s.name: np.empty((len(entries), n_boot)) for s in specs}
    rng = np.random.default_rng(seed)

    cuts: dict = {}

    def sub(n, key, r):
        return split_piece(rng, cuts, key, n, r) if split else np.sort(rng.permutation(n)[: n // part])

    undefined: dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the KID subset-size cap warns once per replicate otherwise
        bar = tqdm(range(n_boot), desc=f"paired replicates of {', '.join(s.name for s in specs)}", unit="replicate",
                   file=sys.stderr, disable=not progress or not specs, leave=False, dynamic_ncols=True)
        for r in bar:
            ia = None if stats_ref else sub(len(ref), -1, r)
            for k, e in enumerate(entries):
                ib = sub(len(e.features), k, r)
                for spec in specs:
                    if spec.name in undefined:
                        continue
                    est = ests[k][spec.name]
                    try:
                        out[spec.name][k, r] = est.replicate(*(ia if side == "a" else ib for side in est.sides))
                    except InputError as err:  # e.g. half-samples smaller than k + 1 for the k-NN metrics
                        undefined[spec.name] = str(err)
    for name, why in undefined.items():  # no interval rather than a wrong one
        del out[name]
        warnings.warn(f"{name}: no interval or significance at this sample size (a resample fails: {why})")
    return out


__all__ = ["compare", "Comparison", "SamplerOptions", "expand", "default_names"]
