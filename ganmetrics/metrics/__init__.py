"""Pure metric functions on arrays: no I/O, no printing."""
from .bootstrap import bootstrap_interval
from .frechet import frechet_distance, frechet_distance_features, frechet_distance_info
from .inception_score import inception_score
from .kid import kid
from .mmd import cmmd
from .prdc import density_coverage, precision_recall

__all__ = ["frechet_distance", "frechet_distance_features", "frechet_distance_info", "inception_score", "kid", "cmmd",
           "precision_recall", "density_coverage",
           "bootstrap_interval"]
