"""The click front end, installed as ``ganmetrics.cli``: one small module per command group.
Each command parses options, calls the public API, and formats the Result."""
from .main import main

__all__ = ["main"]
