"""ganmetrics: evaluation metrics for generative image models.

>>> import ganmetrics
>>> ganmetrics.fid("real/", "fake/")                 # folders, arrays, stats files, tensors
>>> ganmetrics.evaluate("real/", "fake/", metrics=["fid", "is", "kid", "prdc"], ci=0.95)
>>> ganmetrics.frechet_distance(mu1, sigma1, mu2, sigma2)
>>> ganmetrics.inception_score(logits, splits=10)

The names below are loaded on first use (PEP 562), so that ``import ganmetrics`` (and with it
``ganmetrics --version`` and ``--help``) does not import torch.
"""
from __future__ import annotations

import importlib

from ._version import __version__

#: public name -> the module that defines it
_EXPORTS = {
    # one extraction, every metric; the short API
    "fid": "evaluation", "evaluate": "evaluation", "compute_stats": "evaluation", "extract_features": "evaluation",
    "FeatureSet": "features.runner",
    # metric functions (pure, on arrays)
    "frechet_distance": "metrics.frechet", "inception_score": "metrics.inception_score", "kid": "metrics.kid",
    "cmmd": "metrics.mmd",
    "precision_recall": "metrics.prdc", "density_coverage": "metrics.prdc",
    "wasserstein_exact": "metrics.wasserstein", "wasserstein_sliced": "metrics.wasserstein",
    "wasserstein_1d": "metrics.wasserstein", "wasserstein_critic": "metrics.critic",
    "js_discriminator": "metrics.critic", "wasserstein_with_baseline": "transport",
    # registries
    "register_metric": "metrics.registry", "get_metric": "metrics.registry", "MetricSpec": "metrics.registry",
    "Estimate": "metrics.registry", "metric_names": "metrics.registry",
    "register_extractor": "features.registry", "get_extractor": "features.registry",
    "extractor_names": "features.registry", "Extractor": "features.base",
    # comparisons and gates
    "compare": "report.compare", "Comparison": "report.compare", "run_gate": "report.gate",
    "load_gate_config": "report.gate", "GateReport": "report.gate",
    # in-loop metrics
    "FID": "streaming", "KID": "streaming", "InceptionScore": "streaming", "StreamingMetric": "streaming",
    # types, settings, errors
    "Result": "result", "GaussianStats": "stats", "Extraction": "config", "InputPolicy": "config",
    "DEFAULTS": "config", "resolve_device": "config",
    "GanmetricsError": "errors", "InputError": "errors", "WeightsError": "errors",
    "IncompatibleStatsError": "errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ganmetrics' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # next time: a plain attribute
    return value


def __dir__():
    return sorted(__all__)
