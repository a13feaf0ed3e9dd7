"""ganmetrics: evaluation metrics for generative image models.

>>> import ganmetrics
>>> ganmetrics.fid("real/", "fake/")                 # folders, arrays, stats files, tensors
>>> ganmetrics.evaluate("real/", "fake/", metrics=["fid", "is", "kid", "prdc"], ci=0.95)
>>> ganmetrics.frechet_distance(mu1, sigma1, mu2, sigma2)
>>> ganmetrics.inception_score(logits, splits=10)
"""
__version__ = "0.1.0"

from .errors import GanmetricsError, IncompatibleStatsError, InputError, WeightsError  # noqa: E402
from .metrics import (density_coverage, frechet_distance, inception_score, kid,  # noqa: E402
                      precision_recall)
from .result import Result  # noqa: E402
from .stats import GaussianStats  # noqa: E402
from .evaluate import compute_stats, evaluate, extract_features, fid  # noqa: E402
from .stateful import FID, KID, InceptionScore  # noqa: E402

__all__ = ["__version__", "fid", "evaluate", "compute_stats", "extract_features", "frechet_distance",
           "inception_score", "kid", "precision_recall", "density_coverage", "GaussianStats", "Result",
           "FID", "KID", "InceptionScore",
           "GanmetricsError", "InputError", "WeightsError", "IncompatibleStatsError"]
