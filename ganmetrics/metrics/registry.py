"""The metric registry: one ``MetricSpec`` per metric, read by ``evaluate``, ``compare``, the
gate, the in-loop metrics, the trainers' curves and every renderer.

A spec says what a metric needs (which network outputs: ``features``, ``logits``; a reference
input or not; whether the reference may be Gaussian statistics), its parameters with their
defaults, how it computes an ``Estimate`` (value, spread, metadata, and a ``replicate`` function
on index arrays that the interval code resamples), whether lower is better, and its label and
number format. Adding a metric = one pure math module + one ``register_metric(MetricSpec(...))``;
nothing in ``evaluate``, ``compare``, the gate, the renderers or the CLI changes.

Groups name several metrics at once: ``prdc`` = precision, recall, density, coverage.
"""
from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from ..config import DEFAULTS
from ..errors import InputError
from ..stats import GaussianStats
from .frechet import METHODS as SQRTM_METHODS
from .frechet import (frechet_distance_info, frechet_distance_of_features_info, frechet_distance_to_features,
                      frechet_distance_to_features_info)
from .inception_score import inception_score
from .infinity import POINTS, fid_infinity, is_infinity
from .kid import kid
from .mmd import CMMD_SIGMA, cmmd
from .prdc import prdc_indicators, prdc_resampler


@dataclass
class Estimate:
    """What a metric's ``compute`` returns.

    ``value``: the point estimate; ``std``: a spread over splits/subsets where the metric defines
    one (None otherwise); ``metadata``: the parameters that produced it. ``replicate(*idx)``
    recomputes the statistic on index arrays into the inputs named by ``sides`` (``"a"`` the
    reference, ``"b"`` the evaluated input), in that order: the bootstrap, the paired comparison
    and the gate resample through it. ``replicate`` None: no interval can be computed.
    """

    value: float
    std: float | None = None
    metadata: dict = field(default_factory=dict)
    sides: tuple[str, ...] = ()
    replicate: Callable[..., float] | None = None


@dataclass(frozen=True)
class MetricSpec:
    """One metric. ``compute(a, b, params, ctx) -> Estimate`` where ``a`` is the reference
    (a ``FeatureSet``, or ``GaussianStats`` when ``stats_ok``; None for a single-input metric),
    ``b`` the evaluated ``FeatureSet``, ``params`` a dict with every name of ``params`` filled
    in, and ``ctx`` a ``Context`` (device, and a dict to share work between metrics of one
    evaluation, e.g. the k-NN balls of precision/recall/density/coverage)."""

    name: str
    compute: Callable[..., Estimate]
    label: str = ""
    needs: tuple[str, ...] = ("features",)   # network outputs, by role
    pair: bool = True                        # needs a reference input a
    stats_ok: bool = False                   # a may be Gaussian statistics (mu, sigma)
    params: Mapping[str, Any] = field(default_factory=dict)   # name -> default
    lower_is_better: bool = True
    decimals: int = 4
    group: str | None = None                 # e.g. "prdc"
    interval: str = "half"                   # metrics/bootstrap.py: "two-size", "half", "split", "bootstrap", "closed-form"
    description: str = ""

    def fmt(self, v: float) -> str:
        return f"{v:.{self.decimals}f}"


@dataclass
class Context:
    """What a metric's ``compute`` may use besides its inputs: the device, a dict shared by the
    metrics of one evaluation (e.g. the four k-NN metrics' one pass), and whether the caller
    will ask for intervals (then a metric may compute its estimate from what its replicates
    keep: the k-NN metrics read it off their resampler instead of a second distance pass)."""
    device: Any = "cpu"
    shared: dict = field(default_factory=dict)
    intervals: bool = False


_SPECS: dict[str, MetricSpec] = {}
_GROUPS: dict[str, tuple[str, ...]] = {}
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def register_metric(spec: MetricSpec, *, replace: bool = False) -> MetricSpec:
    """Add a metric to ``evaluate``, ``compare``, the gate, the renderers and ``--metrics``.

    Raises ``InputError`` for a malformed or taken name (unless ``replace``), or needs other
    than the roles ``features`` / ``logits``."""
    if not _NAME.fullmatch(spec.name or ""):
        raise InputError(f"metric name {spec.name!r}: use lower-case letters, digits and _")
    if (spec.name in _SPECS or spec.name in _GROUPS) and not replace:
        raise InputError(f"metric {spec.name!r} is already registered (pass replace=True to override it)")
    if not set(spec.needs) <= {"features", "logits"}:
        raise InputError(f"metric {spec.name!r}: needs must be among features, logits, got {spec.needs}")
    _SPECS[spec.name] = spec
    if spec.group:
        _GROUPS[spec.group] = tuple(dict.fromkeys((*_GROUPS.get(spec.group, ()), spec.name)))
    return spec


def get_metric(name: str) -> MetricSpec:
    if name not in _SPECS:
        raise InputError(f"unknown metric {name!r}; choose from {', '.join(metric_names(groups=True))}")
    return _SPECS[name]


def metric_names(groups: bool = False) -> list[str]:
    """Registered metric names (with the group names such as ``prdc`` when ``groups``)."""
    return [*_SPECS, *(_GROUPS if groups else ())]


def expand(metrics) -> list[str]:
    """Group names stand for their members (``prdc`` -> precision, recall, density, coverage);
    duplicates dropped, order kept. Raises ``InputError`` naming any unknown metric."""
    if isinstance(metrics, str):
        metrics = [m for m in metrics.split(",") if m]
    out: list[str] = []
    unknown = []
    for m in metrics:
        if m in _GROUPS:
            out.extend(_GROUPS[m])
        elif m in _SPECS:
            out.append(m)
        else:
            unknown.append(m)
    if unknown:
        raise InputError(f"unknown metric(s) {', '.join(map(str, unknown))}; choose from "
                         f"{', '.join(metric_names(groups=True))}")
    return list(dict.fromkeys(out))


def param_defaults(specs) -> dict[str, Any]:
    """Every parameter the given specs take, with its default."""
    out: dict[str, Any] = {}
    for spec in specs:
        out.update(spec.params)
    return out


# --- result keys: how a number is named in JSON/CSV, compare tables and gate configs ------------------

def result_key(metric: str, space: str | None, spaces) -> str:
    """The name of ``metric`` computed in feature space ``space`` among the run's ``spaces``: the
    metric's own name, except when the run spans several spaces (``--features A,B``), where the
    ones outside Inception space are suffixed by their space: ``fid_dinov2-vitl14`` (FD_DINOv2),
    ``cmmd_clip-vitl14-336``. A single-space run keeps the plain name (its metadata names the space)."""
    if space and space != DEFAULTS.features and len(set(spaces)) > 1:
        key = f"{metric}_{space}"
        if split_key(key) != (metric, space):  # e.g. FID in a space named "inf" would read as fid_inf
            raise InputError(f"feature space {space!r}: {metric} in it would be named {key!r}, which is (or "
                             f"extends) the metric {split_key(key)[0]!r}; register the network under another name")
        return key
    return metric


def keyed(results) -> dict:
    """``{result_key: result}`` for a list of ``Result`` (their ``metadata["extractor"]`` is the space)."""
    spaces = [r.metadata.get("extractor") for r in results]
    return {result_key(r.metric, r.metadata.get("extractor"), spaces): r for r in results}


def split_key(key: str) -> tuple[str, str | None]:
    """``"fid_dinov2-vitl14"`` -> ``("fid", "dinov2-vitl14")``, ``"is_inf_clip-vitb32"`` ->
    ``("is_inf", "clip-vitb32")`` (the longest registered name that prefixes the key); a plain
    metric name -> ``(name, None)``."""
    if key in _SPECS:
        return key, None
    for base in sorted(_SPECS, key=len, reverse=True):
        if key.startswith(base + "_") and len(key) > len(base) + 1:
            return base, key[len(base) + 1:]
    return key, None


def lower_is_better(name: str) -> bool:
    """Of a metric or a result key (``fid_dinov2-vitl14``)."""
    return get_metric(split_key(name)[0]).lower_is_better


def label(name: str) -> str:
    """A metric's label (``FID``); for a result key outside Inception space ``FD_<space>`` for the
    Fréchet distance (the FD_DINOv2 of Stein et al. 2023, never called FID) and ``KID [space]`` else."""
    base, space = split_key(name)
    if space is not None:
        if base in ("fid", "fid_inf"):
            return f"FD_{space}" if base == "fid" else f"FD_inf [{space}]"
        return f"{_SPECS[base].label} [{space}]"
    return _SPECS[name].label if name in _SPECS else name


def fmt(name: str, v: float) -> str:
    base = split_key(name)[0]
    return _SPECS[base].fmt(v) if base in _SPECS else f"{v:.4f}"


# ----------------------------------------------------------------------------- the built-in metrics


def fid_of_features(x1: np.ndarray, x2: np.ndarray) -> float:
    """FID of two feature matrices by the cheapest exact route (see
    ``frechet_distance_of_features_info``): the small-sample forms while a set has at most d
    rows (bootstraps of small sets), else the d x d covariances."""
    return frechet_distance_of_features_info(x1, x2)[0]


def _gpu(ctx) -> Any:
    """The Context's device when it is a GPU (the Fréchet step then runs there in float64)."""
    import torch
    if not torch.cuda.is_available():
        return None
    try:
        dev = torch.device("cuda" if str(ctx.device) == "auto" else ctx.device)
    except (RuntimeError, TypeError):
        return None
    return dev if dev.type == "cuda" else None


def _stats_of(x) -> GaussianStats:
    if isinstance(x, GaussianStats):
        return x
    return GaussianStats(x.features.shape[1], x.metadata).update(x.features)


def _fid(a, b, params, ctx) -> Estimate:
    """FID (Heusel et al. 2017, eq. 6): ||mu_a - mu_b||² + Tr(Σa + Σb - 2 (Σa Σb)^½).
    ``sqrtm="features"``: the exact route on the feature matrices (``fid_of_features``); the
    default ``"auto"`` takes it too when a feature matrix at hand has at most d rows (its
    covariance is singular). The metadata records ``sqrtm_route`` (what ran) and ``fid_raw``, the
    value before a rounding-level negative is reported as 0 (equal to the value otherwise; see
    ``frechet_distance_info``)."""
    sqrtm, device = params["sqrtm"], _gpu(ctx)
    feats_b = not isinstance(b, GaussianStats)
    small = feats_b and (len(b.features) <= b.features.shape[1] or
                         (not isinstance(a, GaussianStats) and len(a.features) <= a.features.shape[1]))
    if sqrtm == "features" or (sqrtm == DEFAULTS.sqrtm and small):
        if isinstance(a, GaussianStats):
            value, info = frechet_distance_to_features_info(a.mu, a.sigma, b.features.astype(np.float64), device)
        else:
            value, info = frechet_distance_of_features_info(a.features.astype(np.float64),
                                                            b.features.astype(np.float64), device)
    else:
        sa, sb = _stats_of(a), _stats_of(b)
        value, info = frechet_distance_info(sa.mu, sa.sigma, sb.mu, sb.sigma, method=sqrtm, n1=sa.n or None,
                                            n2=sb.n or None, device=device)
    info = {"sqrtm": sqrtm, **{k: v for k, v in info.items() if k != "sqrtm"}}
    info.setdefault("fid_raw", value)  # always present, so appended CSV rows keep one set of columns
    if isinstance(b, GaussianStats):  # statistics on both sides: nothing to resample
        return Estimate(value, metadata=info)
    fb = b.features
    if isinstance(a, GaussianStats):
        return Estimate(value, metadata=info, sides=("b",),
                        replicate=lambda ib: frechet_distance_to_features(a.mu, a.sigma, fb[ib], device))
    fa = a.features
    return Estimate(value, metadata=info, sides=("a", "b"),
                    replicate=lambda ia, ib: fid_of_features(fa[ia], fb[ib]))


def _is(a, b, params, ctx) -> Estimate:
    """Inception Score (Salimans et al. 2016): exp(E_x KL(p(y|x) || p(y))), mean ± std over splits
    cut after a seeded permutation (``is_order="random"``) or in file order (``"file"``)."""
    logits, splits = b.logits, params["splits"]
    kw = dict(order=params["is_order"], seed=params["seed"])
    mean, std = inception_score(logits, splits, **kw)
    return Estimate(mean, std, {"splits": splits, "order": kw["order"]}, sides=("b",),
                    replicate=lambda i: inception_score(logits[i], splits, **kw)[0])


def _kid(a, b, params, ctx) -> Estimate:
    """KID (Bińkowski et al. 2018): unbiased MMD² with the cubic polynomial kernel, mean ± std
    over subsets."""
    fa, fb = a.features, b.features
    kw = dict(subsets=params["kid_subsets"], subset_size=params["kid_subset_size"], seed=params["seed"])
    mean, std = kid(fa, fb, **kw)
    m = min(kw["subset_size"], len(fa), len(fb))
    spread = {} if std is not None else {"std_undefined": f"subsets of {m} cover a whole sample"}
    return Estimate(mean, std, {"subsets": kw["subsets"], "subset_size": m, **spread},
                    sides=("a", "b"), replicate=lambda ia, ib: kid(fa[ia], fb[ib], ids_a=ia, ids_b=ib, **kw)[0])


def _prdc(which: str):
    """Precision/recall (Kynkäänniemi et al. 2019, k_pr) and density/coverage (Naeem et al.
    2020, k_dc). Their intervals recompute the k-NN manifolds on halves and quarters of random
    cuts (``replicate``; bootstrap.py, scheme "split"); keeping the manifolds fixed and resampling the per-sample
    indicators ignored the manifolds' own variability and under-covered (docs/metrics.md). One
    k-NN pass gives all four, so the four metrics share each pass, the replicates' included
    (memoised by the resample's indices: the intervals draw the same resamples for each)."""
    k_name = "k_pr" if which in ("precision", "recall") else "k_dc"

    def compute(a, b, params, ctx) -> Estimate:
        key = ("prdc", id(a), id(b), params["k_pr"], params["k_dc"])
        fa, fb, device = a.features, b.features, ctx.device
        memo = ctx.shared.setdefault(key + ("replicates",), {})

        def resampler():   # the whole samples' distances, once, kept for the replicates
            if "resample" not in memo:
                memo["resample"] = prdc_resampler(fa, fb, params["k_pr"], params["k_dc"], device)
            return memo["resample"]
        if key not in ctx.shared:    # with intervals to come, the estimate is the resampler's on every row
            ctx.shared[key] = (resampler()(np.arange(len(fa)), np.arange(len(fb))) if ctx.intervals else
                               prdc_indicators(fa, fb, params["k_pr"], params["k_dc"], device))
        per_sample = ctx.shared[key][which]

        def replicate(ia, ib):
            rows = hashlib.blake2b(np.ascontiguousarray(ia).tobytes() + b"|"
                                   + np.ascontiguousarray(ib).tobytes()).digest()
            if rows not in memo:
                memo[rows] = {m: float(v.mean()) for m, v in resampler()(ia, ib).items()}
            return memo[rows][which]
        return Estimate(float(per_sample.mean()), None, {"k": params[k_name]}, sides=("a", "b"), replicate=replicate)
    return compute


register_metric(MetricSpec("fid", _fid, "FID", stats_ok=True, params={"sqrtm": DEFAULTS.sqrtm}, interval="half",
                           description="Fréchet distance between Gaussians fitted to the features"))
register_metric(MetricSpec("is", _is, "IS", needs=("logits",), pair=False,
                           params={"splits": DEFAULTS.splits, "is_order": DEFAULTS.is_order, "seed": DEFAULTS.seed},
                           interval="bootstrap",
                           lower_is_better=False, description="Inception Score of the evaluated input"))
register_metric(MetricSpec("kid", _kid, "KID", params={"kid_subsets": DEFAULTS.kid_subsets,
                                                       "kid_subset_size": DEFAULTS.kid_subset_size,
                                                       "seed": DEFAULTS.seed},
                           decimals=6, interval="closed-form",
                           description="Kernel Inception Distance (unbiased MMD², cubic kernel)"))
for _name in ("precision", "recall", "density", "coverage"):
    register_metric(MetricSpec(_name, _prdc(_name), _name, params={"k_pr": DEFAULTS.k_pr, "k_dc": DEFAULTS.k_dc},
                               lower_is_better=False, group="prdc", interval="split"))

def _cmmd(a, b, params, ctx) -> Estimate:
    """CMMD (Jayasumana et al., CVPR 2024): 1000 x the V-statistic MMD² with a Gaussian kernel,
    sigma = 10, on the features (CLIP ViT-L/14@336 embeddings for the published protocol:
    ``--features clip-vitl14-336``). The bootstrap resamples both sets."""
    fa, fb, sigma = a.features, b.features, params["cmmd_sigma"]
    return Estimate(cmmd(fa, fb, sigma), metadata={"sigma": sigma, "scale": 1000.0, "estimator": "V-statistic"},
                    sides=("a", "b"), replicate=lambda ia, ib: cmmd(fa[ia], fb[ib], sigma))


register_metric(MetricSpec("cmmd", _cmmd, "CMMD", params={"cmmd_sigma": CMMD_SIGMA}, decimals=4,
                           description="CLIP MMD: Gaussian-kernel MMD² x 1000 (sigma 10), best on clip-vitl14-336"))


@contextmanager
def _naming(metric: str, b):
    """Prefix an InputError with the metric and the input it concerns."""
    try:
        yield
    except InputError as err:
        raise InputError(f"{metric} of {b.label}: {err}") from None


def _fid_inf(a, b, params, ctx) -> Estimate:
    """FID_inf (Chong & Forsyth, CVPR 2020): FID of 15 subsets of the evaluated set (sizes N/10 ..
    N) against the whole reference's statistics, extrapolated linearly in 1/N to N -> infinity
    (``metrics/infinity.py``; the authors' ``calculate_FID_infinity``). May be negative. Its
    interval (half-sampling) costs 15 FIDs per replicate."""
    seed, fb, device = params["seed"], b.features, _gpu(ctx)
    ref = _stats_of(a)
    with _naming("fid_inf", b):
        value, slope = fid_infinity(ref.mu, ref.sigma, fb, POINTS, seed, device)
    meta = {"points": POINTS, "smallest": int(len(fb) // 10), "slope": slope,
            "estimates": "N -> infinity (Chong & Forsyth 2020)"}
    if isinstance(a, GaussianStats):
        return Estimate(value, metadata=meta, sides=("b",),
                        replicate=lambda ib: fid_infinity(ref.mu, ref.sigma, fb[ib], POINTS, seed, device)[0])
    fa = a.features

    def replicate(ia, ib):
        r = GaussianStats(fa.shape[1], a.metadata).update(fa[ia])
        return fid_infinity(r.mu, r.sigma, fb[ib], POINTS, seed, device)[0]
    return Estimate(value, metadata=meta, sides=("a", "b"), replicate=replicate)


def _is_inf(a, b, params, ctx) -> Estimate:
    """IS_inf (Chong & Forsyth, CVPR 2020): IS with one split on 15 subsets (sizes N/10 .. N),
    extrapolated linearly in 1/N (the authors' ``calculate_IS_infinity``)."""
    logits, seed = b.logits, params["seed"]
    with _naming("is_inf", b):
        value, slope = is_infinity(logits, POINTS, seed)
    return Estimate(value, metadata={"points": POINTS, "smallest": int(len(logits) // 10), "slope": slope,
                                     "estimates": "N -> infinity (Chong & Forsyth 2020)"},
                    sides=("b",), replicate=lambda i: is_infinity(logits[i], POINTS, seed)[0])


register_metric(MetricSpec("fid_inf", _fid_inf, "FID_inf", stats_ok=True, params={"seed": DEFAULTS.seed},
                           interval="half", description="FID extrapolated to N -> infinity (Chong & Forsyth 2020)"))
register_metric(MetricSpec("is_inf", _is_inf, "IS_inf", needs=("logits",), pair=False,
                           params={"seed": DEFAULTS.seed}, interval="half", lower_is_better=False,
                           description="IS (one split) extrapolated to N -> infinity (Chong & Forsyth 2020)"))

SQRTM_CHOICES = (*SQRTM_METHODS, "features")

__all__ = ["MetricSpec", "Estimate", "Context", "register_metric", "get_metric", "metric_names", "expand",
           "param_defaults", "lower_is_better", "label", "fmt", "fid_of_features", "SQRTM_CHOICES"]


def stats_metrics() -> list[str]:
    """The metrics that accept Gaussian statistics as their reference."""
    return [n for n, s in _SPECS.items() if s.stats_ok]
