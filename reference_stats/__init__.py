"""Installed as ``ganmetrics.reference_stats``: the manifest of known reference statistics."""
