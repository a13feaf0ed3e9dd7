"""Fréchet distance between two Gaussians (the FID of Heusel et al., NeurIPS 2017).

    d^2 = ||mu1 - mu2||^2 + Tr(sigma1) + Tr(sigma2) - 2 Tr( (sigma1 sigma2)^{1/2} )

The matrix square root is ``scipy.linalg.sqrtm`` of the product, as in TTUR and pytorch-fid,
with their safeguards: a non-finite square root (singular product) is retried with
``eps * I`` added to both covariances, and an imaginary part whose largest diagonal entry
exceeds ``imag_tol`` is an error (otherwise the real part is used).
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from ..errors import InputError


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6, imag_tol: float = 1e-3,
                     method: str = "sqrtm") -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    ``method="sqrtm"`` (default) is the reference computation above. ``method="eigvals"`` uses
    Tr((Σ1 Σ2)^½) = Σ_i sqrt(λ_i(Σ1 Σ2)) (the eigenvalues of a product of two PSD matrices are
    real and non-negative; rounding noise is removed by taking the real part of the complex
    square root, as torch-fidelity does); about 4x faster at d = 2048, used for bootstrap
    replicates.
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

    diff = mu1 - mu2
    if method == "eigvals":
        eig = np.linalg.eigvals(sigma1 @ sigma2).astype(complex)
        return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.sqrt(eig).real.sum())
    if method != "sqrtm":
        raise InputError(f"method={method!r}: use 'sqrtm' or 'eigvals'")
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
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def _sqrtm(a: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        # scipy warns about singular matrices; non-finite output is handled by the caller.
        warnings.simplefilter("ignore")
        return linalg.sqrtm(a)
