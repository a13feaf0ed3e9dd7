"""Fréchet distance between two Gaussians (the FID of Heusel et al., NeurIPS 2017).

    d^2 = ||mu1 - mu2||^2 + Tr(sigma1) + Tr(sigma2) - 2 Tr( (sigma1 sigma2)^{1/2} )

The trace of the matrix square root is computed from the eigenvalues of Σ1 Σ2 by default, or
with ``scipy.linalg.sqrtm`` exactly as TTUR and pytorch-fid do (``method="scipy"``); see
``frechet_distance``.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from ..errors import InputError


METHODS = ("eigvals", "scipy", "eigh")
DEFAULT_METHOD = "eigvals"


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6, imag_tol: float = 1e-3,
                     method: str = DEFAULT_METHOD) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    ``method`` computes Tr((Σ1 Σ2)^½):

    * ``"eigvals"`` (default): Σ_i sqrt(λ_i(Σ1 Σ2)). The eigenvalues of a product of two PSD
      matrices are real and non-negative; rounding noise (tiny negative or complex values) is
      removed by taking the real part of the complex square root. Agrees with ``"scipy"`` to
      1e-8 relative on 2048-d statistics, rank-deficient ones included, and is about 4x faster
      (benchmarks/bench_frechet.py).
    * ``"scipy"``: ``scipy.linalg.sqrtm(Σ1 Σ2)``, the TTUR / pytorch-fid computation, with their
      safeguards: a non-finite square root is retried with ``eps * I`` added to both
      covariances; an imaginary diagonal above ``imag_tol`` is an error.
    * ``"eigh"``: the symmetric form Σ_i sqrt(λ_i(Σ1^½ Σ2 Σ1^½)) with Σ1^½ from ``eigh``. Fastest,
      but clipping the negative rounding eigenvalues of a singular Σ1 shifts the result (by
      about 1e-5 relative when N < d); offered for comparison only.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape:
        raise InputError(f"mean vectors have different dimensions: {mu1.shape[0]} and {mu2.shape[0]}")
    if sigma1.shape != sigma2.shape or sigma1.shape != (mu1.shape[0],) * 2:
        raise InputError(f"covariances must be {mu1.shape[0]} x {mu1.shape[0]}, got {sigma1.shape} and {sigma2.shape}")
    for name, a in (("mu1", mu1), ("sigma1", sigma1), ("mu2", mu2), ("sigma2", sigma2)):
        if not np.isfinite(a).all():
            raise InputError(f"{name} contains NaN or infinite values")
    if method not in METHODS:
        raise InputError(f"method={method!r}: use one of {', '.join(METHODS)}")
    diff = mu1 - mu2
    tr_covmean = {"eigvals": _trace_sqrt_eigvals, "scipy": _trace_sqrt_scipy, "eigh": _trace_sqrt_eigh}[method](
        sigma1, sigma2, eps, imag_tol)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean)


def _trace_sqrt_eigvals(sigma1, sigma2, eps, imag_tol) -> float:
    eig = np.linalg.eigvals(sigma1 @ sigma2).astype(complex)
    return float(np.sqrt(eig).real.sum())


def _trace_sqrt_eigh(sigma1, sigma2, eps, imag_tol) -> float:
    w, v = np.linalg.eigh(sigma1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ sigma2 @ root1), 0, None)).sum())


def _trace_sqrt_scipy(sigma1, sigma2, eps, imag_tol) -> float:
    covmean = _sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        warnings.warn(f"FID: singular product of covariances; adding {eps:g} to their diagonals")
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = _sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        largest = np.max(np.abs(np.diagonal(covmean).imag))
        if largest > imag_tol:
            raise InputError(f"FID: the matrix square root has an imaginary component of {largest:.3g} "
                             f"(tolerance {imag_tol:g}); the covariances are numerically unusable")
        covmean = covmean.real
    return float(np.trace(covmean))


def _sqrtm(a: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        # scipy warns about singular matrices; non-finite output is handled by the caller.
        warnings.simplefilter("ignore")
        return linalg.sqrtm(a)
