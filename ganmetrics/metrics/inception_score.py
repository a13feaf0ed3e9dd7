"""Inception Score (Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016).

    IS = exp( E_x KL( p(y|x) || p(y) ) ),   p(y) = E_x p(y|x),

computed as in the original TensorFlow code (openai/improved-gan, inception_score.py): the
samples are cut into ``splits`` consecutive parts (``[i*N//splits, (i+1)*N//splits)``), p(y) is
the mean prediction *within* each part, and the result is the mean and the population standard
deviation (ddof=0) of the per-part scores.

Order. The original splits the samples in the order it is given them (file order). Generated
samples are often saved class by class or seed by seed, and then every part holds one class:
p(y) collapses onto it and the score drops towards 1 (40 images in 4 classes: 1.02 sorted,
3.06 shuffled). So by default (``order="random"``) the rows are first put in a canonical order
that depends only on their content (sorted by a fixed projection of p(y|x), so that renaming
or reordering the files cannot change the result) and then permuted with ``numpy.random.RandomState(seed)``; the
seed is recorded in the Result. ``order="file"`` keeps the given order (the original code, and
torch-fidelity with ``samples_shuffle=False``).
The original takes p(y|x) = softmax(pool3 · W) without the classifier's bias ("unbiased
logits" in torch-fidelity's words); the extractor provides those as ``logits_unbiased``.

Differences of the peers (documented in docs/metrics.md): torch-fidelity shuffles the samples
in file order with seed 2020 before splitting; torchmetrics shuffles without a seed and uses the
unbiased std. With ``samples_shuffle=False`` torch-fidelity equals ``order="file"``.
"""
from __future__ import annotations

import numpy as np
from scipy.special import log_softmax

from ..errors import InputError
from ._checks import as_features
from .kid import DEFAULT_SEED

ORDERS = ("random", "file")


def inception_score(logits_or_probs, splits: int = 10, kind: str = "auto", *, order: str = "random",
                    seed: int = DEFAULT_SEED) -> tuple[float, float]:
    """Mean and std over ``splits`` of exp(E KL(p(y|x) || p(y))).

    ``logits_or_probs``: N x C. ``kind="auto"`` treats rows that are non-negative and sum to 1
    as probabilities, anything else as logits; pass ``"logits"`` or ``"probs"`` to be explicit.
    ``order``: ``"random"`` (default) splits after a seeded permutation of a content-defined
    order, so the value does not depend on file names; ``"file"`` splits in the given order,
    as the original code does. Raises ``InputError`` for fewer samples than splits.
    """
    x = as_features(logits_or_probs, "logits/probabilities")
    n, c = x.shape
    if order not in ORDERS:
        raise InputError(f"order={order!r}: use 'random' (seeded, independent of file order) or 'file'")
    if c < 2:
        raise InputError(f"Inception Score needs predictions over at least 2 classes, got {c}")
    if splits < 1 or n < splits:
        raise InputError(f"Inception Score with {splits} splits needs at least {max(splits, 1)} samples, got {n}")
    if kind == "auto":
        kind = "probs" if (x >= 0).all() and np.allclose(x.sum(1), 1, atol=1e-6) else "logits"
    if kind == "logits":
        log_p = log_softmax(x, axis=1)
        p = np.exp(log_p)
    elif kind == "probs":
        if (x < 0).any() or not np.allclose(x.sum(1), 1, atol=1e-4):
            raise InputError("probabilities must be non-negative and each row must sum to 1")
        p = x / x.sum(1, keepdims=True)
        with np.errstate(divide="ignore"):
            log_p = np.log(p)
    else:
        raise InputError(f"kind={kind!r}: use 'auto', 'logits' or 'probs'")
    if order == "random":
        perm = canonical_permutation(p, seed)
        p, log_p = p[perm], log_p[perm]
    scores = []
    for i in range(splits):
        lo, hi = i * n // splits, (i + 1) * n // splits
        part, log_part = p[lo:hi], log_p[lo:hi]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_py = np.log(part.mean(0, keepdims=True))
            kl = np.where(part > 0, part * (log_part - log_py), 0.0)  # 0 log 0 = 0
        scores.append(np.exp(kl.sum(1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def canonical_permutation(p: np.ndarray, seed: int) -> np.ndarray:
    """Row indices: the rows of ``p`` (N x C) sorted by a fixed random projection of their
    values (an order that depends on the content only, not on how the rows arrived; identical
    rows are interchangeable), then permuted by ``numpy.random.RandomState(seed).permutation``."""
    key = p @ np.random.RandomState(0).standard_normal(p.shape[1])
    by_content = np.argsort(key, kind="stable")
    return by_content[np.random.RandomState(seed).permutation(len(p))]
