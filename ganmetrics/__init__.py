"""ganmetrics: evaluation metrics for generative image models.

>>> import ganmetrics
>>> ganmetrics.fid("real/", "fake/")                 # folders, arrays, stats files, tensors
>>> ganmetrics.frechet_distance(mu1, sigma1, mu2, sigma2)
"""
__version__ = "0.1.0"

from .errors import GanmetricsError, IncompatibleStatsError, InputError, WeightsError  # noqa: E402
from .metrics import frechet_distance  # noqa: E402
from .result import Result  # noqa: E402
from .stats import GaussianStats  # noqa: E402
from .evaluate import compute_stats, fid  # noqa: E402

__all__ = ["__version__", "fid", "compute_stats", "frechet_distance", "GaussianStats", "Result",
           "GanmetricsError", "InputError", "WeightsError", "IncompatibleStatsError"]
