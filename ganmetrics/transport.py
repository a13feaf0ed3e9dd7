"""W1 between two inputs (images, features or vectors), with the same-distribution baseline:
what ``ganmetrics wasserstein`` prints, callable from Python.

W1 on high-dimensional samples is dominated by small-sample bias, so the same estimate between
two random halves of A is computed beside it: only the excess over that baseline measures a
difference between A and B (Arjovsky et al. 2017 estimate W1 with a critic; see
docs/wasserstein.md for the methods and their validation against exact optimal transport).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .config import W1_METHODS, resolve_device
from .errors import InputError
from .features.runner import FeatureRunner, extract_features
from .inputs.sources import read_all
from .io import load_npy
from .metrics.critic import wasserstein_critic
from .metrics.wasserstein import wasserstein_exact, wasserstein_sliced

METHODS = W1_METHODS
SPACES = ("features", "pixels")


def load_samples(x, on: str = "features", runner: FeatureRunner | None = None) -> tuple[np.ndarray, str]:
    """Samples as float arrays, and what they are: an ``.npy`` of N x d vectors (or a 2-D array)
    as is (``"vectors"``); other inputs -> the network's ``features`` (N x d, ``on="features"``)
    or pixels scaled to [-1, 1] (N x C x H x W, ``on="pixels"``)."""
    if on not in SPACES:
        raise InputError(f"--on {on}: choose from {', '.join(SPACES)}")
    if isinstance(x, np.ndarray) and x.ndim == 2:
        arr = x
    elif isinstance(x, (str, Path)) and Path(x).suffix.lower() == ".npy" and Path(x).is_file():
        arr = load_npy(x)
    else:
        arr = None
    if arr is not None and arr.ndim == 2:
        if arr.dtype.kind not in "iuf":
            raise InputError(f"{x if isinstance(x, (str, Path)) else 'array'}: expected numeric vectors, "
                             f"got dtype {arr.dtype}")
        return arr.astype(np.float64), "vectors"
    runner = runner or FeatureRunner()
    if on == "features":
        return extract_features(x, runner).features.astype(np.float64), "features"
    return read_all(runner.open(x), runner.workers).astype(np.float32) / 127.5 - 1, "pixels"


def estimate_w1(x: np.ndarray, y: np.ndarray, method: str = "critic-gp", steps: int = 3000, seed: int = 0,
                ci: float | None = None, device="cpu") -> dict:
    """W1 between two sample arrays by ``method``: ``exact`` (optimal transport; small samples),
    ``sliced`` (random projections; a lower bound), ``critic-gp`` / ``critic-clip`` (held-out
    critic, WGAN-GP / WGAN). Returns ``{"w1": ...}`` plus, for a critic, its Lipschitz constant,
    W1/L, the steps run and, with ``ci``, ``ci_low``/``ci_high``."""
    if method not in METHODS:
        raise InputError(f"--method {method}: choose from {', '.join(METHODS)}")
    if method == "exact":
        return {"w1": wasserstein_exact(x.reshape(len(x), -1), y.reshape(len(y), -1)).value}
    if method == "sliced":
        return {"w1": wasserstein_sliced(x.reshape(len(x), -1), y.reshape(len(y), -1), seed=seed)}
    est = wasserstein_critic(x, y, method=method.split("-")[1], steps=steps, seed=seed, ci=ci, device=device)
    out = {"w1": est.value, "lipschitz": est.lipschitz, "normalized": est.normalized, "steps": est.steps}
    if est.interval is not None:
        out["ci_low"], out["ci_high"] = est.interval
    return out


def wasserstein_with_baseline(a, b, *, on: str = "features", method: str = "critic-gp", steps: int = 3000,
                              seed: int = 0, ci: float | None = None, baseline: bool = True,
                              runner: FeatureRunner | None = None, device=None) -> dict:
    """W1 between inputs ``a`` (real) and ``b``, and (``baseline``) the same estimate between two
    random halves of ``a`` (seeded). Inputs: anything ``load_samples`` takes. ``device``: where
    a critic trains (default: the CPU; critics on toy and feature data are small). Returns a
    dict: method, on, n_a, n_b, w1, [lipschitz, normalized, steps, ci_low, ci_high], [baseline].
    Raises ``InputError`` when the two inputs' dimensions differ."""
    runner = runner or FeatureRunner()
    (x, kind), (y, _) = load_samples(a, on, runner), load_samples(b, on, runner)
    if x.shape[1:] != y.shape[1:]:
        raise InputError(f"{a if isinstance(a, (str, Path)) else 'A'} and {b if isinstance(b, (str, Path)) else 'B'} "
                         f"have different dimensions: {x.shape[1:]} and {y.shape[1:]}")
    dev = "cpu" if device is None else str(resolve_device(device))
    result = {"method": method, "on": kind, "n_a": len(x), "n_b": len(y), **estimate_w1(x, y, method, steps, seed, ci, dev)}
    if baseline:
        perm = np.random.default_rng(seed).permutation(len(x))
        half = len(x) // 2
        result["baseline"] = estimate_w1(x[perm[:half]], x[perm[half:2 * half]], method, steps, seed, None, dev)["w1"]
    return result


__all__ = ["wasserstein_with_baseline", "estimate_w1", "load_samples", "METHODS"]
