"""The package's exception types. Every message names the culprit (a file, an argument).

The CLI turns any ``GanmetricsError`` into one line on stderr and exit code 2.
"""


class GanmetricsError(Exception):
    """Base class: a problem the user can fix (bad input, missing weights, ...)."""


class InputError(GanmetricsError, ValueError):
    """An input (folder, image, array file, stats file, argument) cannot be used."""


class WeightsError(GanmetricsError):
    """Model weights are missing, corrupt, or fail their hash check."""


class IncompatibleStatsError(GanmetricsError):
    """Two statistics were produced by different extractors or preprocessing."""


class DownloadError(GanmetricsError):
    """A file could not be downloaded, or its hash did not match."""


class ReferenceStatsError(GanmetricsError):
    """A named reference cannot be used: unknown, untrusted, offline, or a hash mismatch."""
