"""Pure metric functions on arrays: no I/O, no printing."""
from .frechet import frechet_distance

__all__ = ["frechet_distance"]
