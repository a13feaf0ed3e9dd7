"""The short API a reader starts from: inputs -> features (once per input) -> every requested
metric of the registry -> ``Result``s.

>>> ganmetrics.fid("real/", "fake/")
>>> ganmetrics.evaluate("real/", "fake/", ["fid", "kid", "prdc"], ci=0.95)

Every function takes the extraction settings either as an ``Extraction`` / ``InputPolicy`` or
as keywords of the same names (``weights=``, ``device=``, ``resize=``, ``features=``, ``root=``,
``skip_invalid=``, ...), and the metric parameters as keywords (``splits=``, ``kid_subsets=``,
``k_pr=``, ``sqrtm=``, ...; defaults in ``ganmetrics.config.DEFAULTS``). A ``runner=`` (a
``FeatureRunner``) reuses a loaded network across calls.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import warnings

import numpy as np
from tqdm import tqdm

from . import distributed
from ._version import __version__
from .config import DEFAULTS, Extraction, InputPolicy
from .errors import IncompatibleStatsError, InputError, display_name
from .features.runner import FeatureRunner, FeatureSet, extract_features
from .inputs.sources import ImageSource
from .metrics import registry
from .metrics.bootstrap import BOUNDS, METHODS, SPLIT_PIECES, kid_interval, resampled_interval, split_replicates
from .result import Result
from .metrics._checks import warn_if_duplicate_dominated
from .refs import load_stats
from .stats import GaussianStats, assume_protocol, is_stats_file

#: metadata keys that must agree between two statistics or feature sets before they are compared
COMPAT_KEYS = ("extractor", "resize", "weights_sha256")

_EXTRACTION_FIELDS = {f.name for f in dataclasses.fields(Extraction)}
_POLICY_FIELDS = {f.name for f in dataclasses.fields(InputPolicy)}


def make_runner(runner: FeatureRunner | None = None, extraction: Extraction | None = None,
                policy: InputPolicy | None = None, **kwargs) -> tuple[FeatureRunner, dict]:
    """A ``FeatureRunner`` from a given one, settings objects, or keywords; returns it and the
    keywords that were not extraction or input settings (the metric parameters)."""
    ext_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in _EXTRACTION_FIELDS}
    pol_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in _POLICY_FIELDS}
    if runner is not None:
        if ext_kw or pol_kw or extraction or policy:
            raise InputError("give either runner= or extraction settings, not both")
        return runner, kwargs
    extraction = (extraction or Extraction()).replace(**ext_kw)
    policy = (policy or InputPolicy()).replace(**pol_kw)
    return FeatureRunner(extraction, policy), kwargs


def _is_path(x) -> bool:
    return isinstance(x, (str, os.PathLike))


# ----------------------------------------------------------------------------- statistics


def image_stats(source: ImageSource, runner: FeatureRunner) -> GaussianStats:
    """Streaming statistics of the ``features`` output of an image source (memory independent
    of N), reduced over torch.distributed ranks when they are active."""
    if len(source) < 2:
        raise InputError(f"{source.name}: {len(source)} image; statistics need at least 2 (and FID far more)")
    ext = runner.extractor
    out, dim = ext.output_for("features"), ext.dim("features")
    stats = GaussianStats(dim, {**ext.metadata(), "source": source.name, "ganmetrics_version": __version__},
                          device=ext.device)
    for feats in runner.run(distributed.shard(source)):
        stats.update(feats[out])
    stats.metadata["skipped"] = len(source.skipped)
    read = len(source) - len(source.skipped)  # the images read, not the files listed
    if read < dim:
        warnings.warn(f"{display_name(source.name)}: {read} images < {dim} feature dimensions: the "
                      "covariance is rank-deficient and FID depends strongly on the number of images (use "
                      "10,000+ images to compare with published numbers)")
    return distributed.reduce_stats(stats)


def load_stats_or_images(x, runner: FeatureRunner, name: str | None = None) -> GaussianStats:
    """A GaussianStats, a stats ``.npz`` file, or any image input -> GaussianStats."""
    if isinstance(x, GaussianStats):
        return x
    if _is_path(x) and is_stats_file(x):
        return load_stats(x)
    return image_stats(runner.open(x, name), runner)


def compute_stats(x, *, runner: FeatureRunner | None = None, extraction: Extraction | None = None,
                  policy: InputPolicy | None = None, **settings) -> GaussianStats:
    """Feature statistics (mu, sigma, n + metadata) of a folder or image array: what
    ``ganmetrics stats`` saves. ``settings``: ``Extraction`` / ``InputPolicy`` fields."""
    runner, rest = make_runner(runner, extraction, policy, **settings)
    _no_params(rest)
    if _is_path(x) and is_stats_file(x):
        raise InputError(f"{x}: is already a statistics file")
    return image_stats(runner.open(x), runner)


def check_compatible(a, b, force: bool = False) -> None:
    """Refuse to compare statistics or features produced in different feature spaces
    (extractor, weights or preprocessing): ``IncompatibleStatsError`` naming both sides."""
    da = a.dim if isinstance(a, GaussianStats) else a.features.shape[1]
    db = b.dim if isinstance(b, GaussianStats) else b.features.shape[1]
    la, lb = _label(a), _label(b)
    assume_protocol(a, b)  # a statistics file without metadata: say what is assumed, record it
    ma, mb = a.metadata, b.metadata
    if da != db:
        raise InputError(f"{la} has {da}-d statistics but {lb} has {db}-d; they cannot be compared")
    if not force:
        for key in COMPAT_KEYS:
            va, vb = ma.get(key), mb.get(key)
            if va is not None and vb is not None and va != vb:
                hint = " (pass --resize accordingly)" if key == "resize" else ""
                raise IncompatibleStatsError(
                    f"{la} has {key}={va} but {lb} has {key}={vb}{hint}; the comparison would be meaningless "
                    "(--force overrides)")


def _label(x) -> str:
    return x.label if isinstance(x, GaussianStats) else x.name


def _no_params(rest: dict) -> None:
    if rest:
        raise InputError(f"unexpected option(s): {', '.join(rest)}")


def fid(a, b, *, force: bool = False, sqrtm: str = DEFAULTS.sqrtm, runner: FeatureRunner | None = None,
        extraction: Extraction | None = None, policy: InputPolicy | None = None, **settings) -> Result:
    """FID (Heusel et al. 2017) between two inputs, each a folder, an ``.npy``/``.npz`` image
    array, a stats file, a uint8 or [0, 1] float array/tensor, or a ``GaussianStats``; images
    are reduced to streaming statistics (memory independent of N).

    Statistics from another feature space (network, weights or resize mode) are refused
    (``IncompatibleStatsError``) unless ``force=True``. ``sqrtm`` picks how Tr((Σa Σb)^½) is
    computed (see ``frechet_distance``). ``settings``: ``Extraction``/``InputPolicy`` fields, e.g.
    ``weights=``, ``device=``, ``resize=``, ``channels_last=False`` (NCHW, the peers' layout).

    >>> ganmetrics.fid("real/", "fake/").value
    """
    runner, rest = make_runner(runner, extraction, policy, **settings)
    _no_params(rest)
    sa = load_stats_or_images(a, runner, name=None if _is_path(a) else "a")
    sb = load_stats_or_images(b, runner, name=None if _is_path(b) else "b")
    check_compatible(sa, sb, force)
    est = registry.get_metric("fid").compute(sa, sb, {"sqrtm": sqrtm}, registry.Context(runner.extraction.device))
    meta = {k: sa.metadata.get(k, sb.metadata.get(k)) for k in (*COMPAT_KEYS, "layout", "tf32", "standard_weights")}
    meta.update({f"protocol_assumed_{k}": x.metadata["protocol_assumed"] for k, x in (("a", sa), ("b", sb))
                 if "protocol_assumed" in x.metadata})
    meta.update(est.metadata)  # sqrtm_route (what ran), fid_raw (a rounding-level negative reported as 0)
    meta.update(a=sa.label, b=sb.label, sqrtm=sqrtm, skipped_a=sa.metadata.get("skipped", 0),
                skipped_b=sb.metadata.get("skipped", 0), ganmetrics_version=__version__)
    return Result("fid", est.value, n={"a": sa.n or None, "b": sb.n or None}, metadata=meta)


# ----------------------------------------------------------------------------- one-pass evaluation


def estimates(specs, a, b, params: dict, ctx: registry.Context) -> dict[str, registry.Estimate]:
    """Every spec's ``Estimate`` on the reference ``a`` and evaluated ``b`` (``FeatureSet``s;
    ``a`` may be ``GaussianStats`` for specs that take statistics)."""
    out = {}
    for spec in specs:
        target_a = a if spec.pair else None
        target_b = b if b is not None else a
        out[spec.name] = spec.compute(target_a, target_b, {k: params[k] for k in spec.params}, ctx)
    return out


def _n(spec, a, b) -> dict:
    if not spec.pair:
        return {"b" if b is not None else "a": len(b if b is not None else a)}
    n_a = (a.n or None) if isinstance(a, GaussianStats) else len(a)
    return {"a": n_a, "b": len(b)}


def evaluate(a, b=None, metrics=("fid",), *, ci: float | None = None, n_boot: int = DEFAULTS.n_boot,
             seed: int = DEFAULTS.seed, cache: bool = False, force: bool = False,
             runner: FeatureRunner | None = None, extraction: Extraction | None = None,
             policy: InputPolicy | None = None, **settings) -> list[Result]:
    """Every requested metric from one extraction per input.

    ``a`` is the reference (real) input, ``b`` the evaluated (generated) one; single-input
    metrics (the Inception Score) use ``b`` (``a`` when ``b`` is None). ``metrics``: names or
    groups of the registry (``fid``, ``is``, ``kid``, ``prdc``, ``precision``, ... and any
    registered one). ``ci`` (e.g. 0.95) adds an interval for E[metric at these N] that contains the estimate
    (``n_boot`` subsampling replicates; KID: closed form; docs/metrics.md) to
    every metric. ``a`` may be a statistics file / ``GaussianStats`` when every metric accepts
    statistics (FID, FID_inf; IS ignores ``a``); intervals then resample ``b`` only (the reference
    is fixed, as in the published protocols' precomputed statistics). ``settings``: metric
    parameters (``splits``, ``kid_subsets``, ``kid_subset_size``, ``k_pr``, ``k_dc``, ``sqrtm``, any
    a registered metric declares) and ``Extraction``/``InputPolicy`` fields. Returns one ``Result`` per metric, in order.
    """
    specs = [registry.get_metric(m) for m in registry.expand(metrics)]
    if b is None and any(s.pair for s in specs):
        raise InputError("two inputs are needed for " + ", ".join(s.name for s in specs if s.pair))
    check_replicates(specs, ci, n_boot)
    runner, rest = make_runner(runner, extraction, policy, **settings)
    params = {**registry.param_defaults(specs), "seed": seed}
    known = registry.param_defaults(registry.get_metric(m) for m in registry.metric_names())
    unknown = [k for k in rest if k not in known]
    if unknown:  # a parameter of a metric not requested is ignored; one of no metric is a typo
        raise InputError(f"unexpected option(s) {', '.join(unknown)}; metric parameters are: {', '.join(known)}")
    params.update({k: v for k, v in rest.items() if k in params})

    # a statistics file as the reference: FID and FID_inf only; their intervals resample ``b`` alone
    needs_a_features = b is None or any(s.pair and not s.stats_ok for s in specs)
    fa = None
    if isinstance(a, GaussianStats) or (_is_path(a) and is_stats_file(a)):
        if needs_a_features:
            what = [s.name for s in specs if s.pair and not s.stats_ok] or ["this metric"]
            raise InputError(f"{_label(a) if isinstance(a, GaussianStats) else a}: holds only statistics (mu, sigma); "
                             f"{', '.join(what)} {'needs' if len(what) == 1 else 'need'} the images")
        fa = a if isinstance(a, GaussianStats) else load_stats(a)
    else:
        fa = extract_features(a, runner, cache)
    fb = extract_features(b, runner, cache) if b is not None else None
    spaces = _split_spaces(runner, fa, fb)
    results = []
    for sa, sb in spaces:
        todo = specs if len(spaces) == 1 else [s for s in specs if all(r in (sb if sb is not None else sa).outputs for r in s.needs)]
        results += evaluate_space(todo, sa, sb, params, runner, ci, n_boot, seed, force)
    missing = [s.name for s in specs if not any(r.metric == s.name for r in results)]
    if missing:
        raise InputError(f"{', '.join(missing)}: no feature space among {runner.extraction.features} has the outputs "
                         "it needs")
    return results


def _split_spaces(runner: FeatureRunner, fa, fb) -> list[tuple]:
    """[(a, b)] for one feature space; one pair per space for ``--features A,B,...`` (one decode
    pass, see ``features/multi.py``)."""
    if "," not in runner.extraction.features:
        return [(fa, fb)]
    if isinstance(fa, GaussianStats):
        raise InputError(f"{_label(fa)}: a statistics file holds one feature space; with --features "
                         f"{runner.extraction.features} give the images")
    ext = runner.extractor

    def parts(fs):
        if fs is None:
            return [None] * len(ext.parts)
        return [FeatureSet(fs.name, outs, {**fs.metadata, **meta}) for meta, outs in ext.split(fs.outputs)]
    return list(zip(parts(fa), parts(fb)))


def check_replicates(specs, ci, n_boot) -> None:
    """Refuse, before any extraction, an ``n_boot`` too small for a requested interval (the split
    scheme of P/R/D/C needs ``bootstrap.MIN_SPLIT_REPS``). Errors: InputError."""
    if ci is not None and any(s.interval == "split" for s in specs):
        split_replicates(n_boot)


def evaluate_space(specs, fa, fb, params, runner, ci, n_boot, seed, force) -> list[Result]:
    """Results of ``specs`` on features of ONE space: ``fa`` (FeatureSet or GaussianStats) against
    ``fb`` (FeatureSet, or None for single-set metrics), after ``check_compatible``; ``params``:
    every metric parameter; ``runner`` gives the device. ``evaluate`` and ``compare`` call it per space."""
    if fb is not None:
        check_compatible(fa, fb, force)
    for fs in (fa, fb):
        if isinstance(fs, FeatureSet):
            for role, x in fs.outputs.items():  # name the input, not just "features contain NaN"
                bad = int((~np.isfinite(x)).any(axis=1).sum()) if np.ndim(x) == 2 else 0
                if bad:
                    raise InputError(f"{fs.name}: the {role} of {bad} of {len(x)} samples are NaN or infinite (the "
                                     f"network {fs.metadata.get('extractor')!r} produced them; check those images)")
            warn_if_duplicate_dominated(fs.name, fs.features)  # a set of copies: k-NN metrics would measure rounding
    for spec in specs:
        for role in spec.needs:
            for fs in (fb if fb is not None else fa, fa if spec.pair else None):
                if isinstance(fs, FeatureSet) and role not in fs.outputs:
                    raise InputError(f"{spec.name}: needs {role!r} outputs, which the features "
                                     f"{fs.metadata.get('extractor')!r} do not have")
    ctx = registry.Context(device=runner.device, intervals=ci is not None)
    ests = estimates(specs, fa, fb, params, ctx)

    meta = {**(fb if fb is not None else fa).metadata, "seed": seed, "ganmetrics_version": __version__}
    meta.pop("source", None)
    if isinstance(fa, GaussianStats) and "protocol_assumed" in fa.metadata:
        meta["protocol_assumed_a"] = fa.metadata["protocol_assumed"]
    meta.pop("protocol_assumed", None)
    if ci is not None:
        meta.update(ci=ci, n_boot=n_boot)
    results = []
    for spec in specs:
        est = ests[spec.name]
        interval = None
        if ci is not None:
            interval = interval_of(est, spec, fa, fb, ci, n_boot, seed, progress_enabled(runner))
        results.append(Result(spec.name, est.value, _n(spec, fa, fb), est.std, interval, {**meta, **est.metadata}))
    return results


def progress_enabled(runner) -> bool:
    """Whether to draw progress bars: the runner's ``Extraction.progress`` (the CLI sets it on a
    terminal without ``--quiet``), on the main rank only."""
    extraction = getattr(runner, "extraction", None)
    return bool(getattr(extraction, "progress", False)) and distributed.is_main()


def interval_of(est: registry.Estimate, spec, a, b, ci: float, n_boot: int, seed: int, progress: bool = False):
    """The ``ci``-level interval for E[metric at these N] around the estimate (see
    ``metrics/bootstrap.py``): KID's closed-form jackknife interval, else the subsampling scheme
    ``spec.interval`` ("two-size", "half", "split" or "bootstrap") through ``est.replicate``.
    ``progress``: a bar on stderr over the replicates (100 FIDs on 2048-d features take minutes
    on a CPU)."""
    if spec.interval == "closed-form" and spec.name == "kid" and a is not None and b is not None:
        return kid_interval(a.features, b.features, est.value, est.std, est.metadata.get("subsets", 1), ci)
    if est.replicate is None:
        return None
    sizes = []
    for side in est.sides:
        x = (a if spec.pair or b is None else b) if side == "a" else (b if b is not None else a)
        sizes.append(len(x))
    scheme = spec.interval if spec.interval in ("two-size", "half", "split", "bootstrap") else \
        METHODS.get(spec.name, "half")
    total = {"two-size": 2 * n_boot, "split": SPLIT_PIECES * ((n_boot + 1) // 2)}.get(scheme, n_boot)
    bar = tqdm(total=total, desc=f"{spec.name} {ci:.0%} interval", unit="replicate", file=sys.stderr,
               disable=not progress, leave=False, dynamic_ncols=True)

    def counted(*rows):
        value = est.replicate(*rows)
        bar.update()
        return value
    try:
        with bar:
            return resampled_interval(counted, sizes, est.value, n_boot, ci, seed, scheme,
                                      BOUNDS.get(spec.name, (-float("inf"), float("inf"))))[0]
    except InputError as err:  # e.g. half-samples smaller than k + 1 for the k-NN metrics
        part = {"bootstrap": 1, "split": 4}.get(scheme, 2)   # split: its quarters are the smallest
        rows = " and ".join(str(n // part) for n in sizes)
        warnings.warn(f"{spec.name}: no interval at this sample size (its resamples of {rows} rows are too small: "
                      f"{err})")
        return None


__all__ = ["fid", "compute_stats", "evaluate", "extract_features", "estimates", "check_compatible", "make_runner",
           "image_stats", "load_stats_or_images", "FeatureSet", "FeatureRunner", "COMPAT_KEYS"]
