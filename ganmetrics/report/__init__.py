"""Reports and CI quality gates built on the metrics."""
