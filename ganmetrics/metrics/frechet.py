"""Fréchet distance between two Gaussians (the FID of Heusel et al., NeurIPS 2017).

    d^2 = ||mu1 - mu2||^2 + Tr(sigma1) + Tr(sigma2) - 2 Tr( (sigma1 sigma2)^{1/2} )

Tr((Σ1 Σ2)^½) is computed by the symmetric Cholesky form when both covariances are positive
definite (the usual case, N > d), from the eigenvalues of Σ1 Σ2 when one is singular, or with
``scipy.linalg.sqrtm`` exactly as TTUR and pytorch-fid do (``method="scipy"``); see
``frechet_distance``. ``frechet_distance_info`` also says which route ran.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from ..config import DEFAULTS, SQRTM_METHODS
from ..errors import InputError


METHODS = SQRTM_METHODS  # ("auto", "cholesky", "lowrank", "eigvals", "scipy", "eigh")
DEFAULT_METHOD = DEFAULTS.sqrtm  # "auto"

#: a Cholesky pivot L_ii² below this fraction of the largest variance counts as zero: the
#: covariance is treated as singular (rank-deficient statistics, N <= d, have pivots of
#: rounding size, 1e-13 or less; full-rank pool3 covariances have pivots far above 1e-10).
PD_PIVOT_TOL = 1e-10
#: a negative distance down to this fraction of Tr(Σ1) + Tr(Σ2) is rounding and reported as 0
NEGATIVE_TOL = 1e-6
#: entries above this make Σ1 Σ2 (d² terms of size |Σ|²) overflow float64
_OVERFLOW = float(np.sqrt(np.finfo(np.float64).max)) / 1e3


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6, imag_tol: float = 1e-3,
                     method: str = DEFAULT_METHOD, n1: int | None = None, n2: int | None = None,
                     device=None) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (vectors of d, d x d matrices,
    in squared feature units). See ``frechet_distance_info`` for the arguments and routes."""
    return frechet_distance_info(mu1, sigma1, mu2, sigma2, eps, imag_tol, method, n1, n2, device)[0]


def frechet_distance_info(mu1, sigma1, mu2, sigma2, eps: float = 1e-6, imag_tol: float = 1e-3,
                          method: str = DEFAULT_METHOD, n1: int | None = None, n2: int | None = None,
                          device=None) -> tuple[float, dict]:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), and how it was computed.

    ``mu1``, ``mu2``: vectors of d; ``sigma1``, ``sigma2``: symmetric PSD d x d (float64 is used
    throughout). ``n1``, ``n2`` (optional): the sample counts behind the covariances; a
    covariance of n <= d samples is singular by construction and skips the Cholesky attempt.

    ``method`` computes Tr((Σ1 Σ2)^½):

    * ``"auto"`` (default): ``"cholesky"`` when both covariances are positive definite,
      ``"lowrank"`` when one is singular (a sample count n <= d, or a failed Cholesky).
    * ``"cholesky"``: Σ1 = L Lᵀ, and Σ1 Σ2 = L (Lᵀ Σ2) is similar to the symmetric PSD Lᵀ Σ2 L,
      so Tr((Σ1 Σ2)^½) = Σ_i sqrt(λ_i(Lᵀ Σ2 L)), with Lᵀ Σ2 L = Bᵀ B, B = L2ᵀ L (Σ2 = L2 L2ᵀ;
      on the CPU B by ``dtrmm``, Bᵀ B by ``dsyrk``, eigenvalues by ``dsyevd``). Needs only Cholesky and a
      symmetric eigensolver (no non-symmetric ``eig``), runs in float64 on ``device`` (a torch
      device; default CPU). Refused (``InputError``) when a covariance is singular (a Cholesky
      pivot below ``PD_PIVOT_TOL`` of the largest variance), where clipping rounding-level
      eigenvalues would shift the result. Agrees with scipy's sqrtm to 1e-12 relative on
      full-rank 2048-d statistics and is >10x faster (benchmarks/bench_frechet.py).
    * ``"lowrank"``: the covariance of lower rank r (at most n - 1 for n samples) is written
      Σa = U Uᵀ (d x r) by pivoted Cholesky (LAPACK ``dpstrf``, which stops at pivots below
      ``PD_PIVOT_TOL`` of the largest variance), and Tr((Σa Σb)^½) = Σ_i sqrt(λ_i(Uᵀ Σb U)),
      an r x r symmetric problem; CPU only. The d - r rounding-level eigenvalues of a singular
      Σa (true value 0) never enter: a set against itself gives 0 to rounding, and the value
      agrees with the exact feature-matrix form (``frechet_distance_features``) to about
      1e-12 relative, where ``"eigvals"`` and ``"scipy"`` are off by about 1e-6 (the square
      roots of rounding-level eigenvalues of the singular Σa Σb add up).
    * ``"eigvals"``: Σ_i sqrt(λ_i(Σ1 Σ2)) from ``numpy.linalg.eigvals`` (always on the CPU). The
      eigenvalues of a product of two PSD matrices are real and non-negative; rounding noise
      (tiny negative or complex values) is removed by taking the real part of the complex
      square root. Agrees with ``"scipy"`` to 1e-8 relative, rank-deficient statistics included
      (both share the ~1e-6 bias of singular statistics described under ``"lowrank"``).
    * ``"scipy"``: ``scipy.linalg.sqrtm(Σ1 Σ2)``, the TTUR / pytorch-fid computation, with their
      safeguards: a non-finite square root is retried with ``eps * I`` added to both
      covariances; an imaginary diagonal above ``imag_tol`` is an error.
    * ``"eigh"``: Σ_i sqrt(λ_i(Σ1^½ Σ2 Σ1^½)) with Σ1^½ from ``eigh``; drifts by about 1e-6
      relative when N < d; offered for comparison only.

    A set against itself has distance 0, but rounding can make the computed value slightly
    negative. A negative value down to ``NEGATIVE_TOL`` (1e-6) of Tr(Σ1) + Tr(Σ2) is returned
    as 0.0 and the raw value is kept in the info as ``fid_raw``; anything more negative is an
    ``InputError`` naming the cause (a covariance that is not PSD, or numerically unusable).
    Values whose products overflow float64 (|Σ| above ~1e151, |mu| above ~1e153) are an
    ``InputError`` too, never ``inf``.

    Returns ``(value, info)``; info holds ``sqrtm`` (the method asked for), ``sqrtm_route``
    (the one that ran: cholesky, eigvals, scipy or eigh), ``sqrtm_device`` for the Cholesky
    route, and ``fid_raw`` when a rounding-level negative was reported as 0.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.ndim != 1 or mu1.shape != mu2.shape:
        raise InputError(f"mean vectors have different dimensions: {mu1.shape} and {mu2.shape}")
    d = mu1.shape[0]
    if sigma1.shape != sigma2.shape or sigma1.shape != (d, d):
        raise InputError(f"covariances must be {d} x {d}, got {sigma1.shape} and {sigma2.shape}")
    for name, a in (("mu1", mu1), ("sigma1", sigma1), ("mu2", mu2), ("sigma2", sigma2)):
        if not np.isfinite(a).all():
            raise InputError(f"{name} contains NaN or infinite values")
    if method not in METHODS:
        raise InputError(f"method={method!r}: use one of {', '.join(METHODS)}")
    for name, a, limit in (("sigma1", sigma1, _OVERFLOW), ("sigma2", sigma2, _OVERFLOW),
                           ("mu1", mu1, _OVERFLOW * 10), ("mu2", mu2, _OVERFLOW * 10)):
        largest = float(np.abs(a).max()) if a.size else 0.0
        if largest > limit:
            raise InputError(f"{name} has values up to {largest:.3g}: the Fréchet distance would overflow "
                             f"float64 (limit about {limit:.0e}); these are not feature statistics")
    info: dict = {"sqrtm": method}
    diff = mu1 - mu2
    traces = float(np.trace(sigma1) + np.trace(sigma2))
    route = method
    tr_covmean = None
    if method == "lowrank" or (method == "auto" and _known_singular(d, n1, n2)):
        tr_covmean = _trace_sqrt_lowrank(sigma1, sigma2, n1, n2)
        route = "lowrank"
    elif method in ("auto", "cholesky"):
        singular = _known_singular(d, n1, n2)
        if singular is None:
            tr_covmean, singular = _trace_sqrt_cholesky(sigma1, sigma2, device)
        if tr_covmean is not None:
            route = "cholesky"
            info["sqrtm_device"] = str(_torch_device(device))
        elif method == "cholesky":
            raise InputError(f"method='cholesky' needs positive definite covariances, but {singular} is "
                             "singular (fewer samples than dimensions?); use method='auto' or 'eigvals'")
        else:
            tr_covmean, route = _trace_sqrt_lowrank(sigma1, sigma2, n1, n2), "lowrank"
    if tr_covmean is None:
        tr_covmean = {"eigvals": _trace_sqrt_eigvals, "scipy": _trace_sqrt_scipy, "eigh": _trace_sqrt_eigh}[route](
            sigma1, sigma2, eps, imag_tol)
    info["sqrtm_route"] = route
    raw = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean)  # the order of before
    if not np.isfinite(raw):
        raise InputError("the Fréchet distance overflows float64 (||mu1 - mu2||² or the traces are too large); "
                         "these are not feature statistics")
    return _nonnegative(raw, traces, sigma1, sigma2, info), info


def _known_singular(d: int, n1, n2) -> str | None:
    """'sigma1' / 'sigma2' when a sample count shows the covariance is singular (n <= d)."""
    for name, n in (("sigma1", n1), ("sigma2", n2)):
        if n is not None and 0 < n <= d:
            return name
    return None


def _nonnegative(raw: float, traces: float, sigma1, sigma2, info: dict) -> float:
    """0 for a rounding-level negative distance (raw value kept in ``info``); an error below that."""
    if raw >= 0:
        return raw
    if raw >= -NEGATIVE_TOL * traces:
        info["fid_raw"] = raw
        return 0.0
    culprit = ""
    for name, s in (("sigma1", sigma1), ("sigma2", sigma2)):
        if s is None:
            continue
        eig = np.linalg.eigvalsh((s + s.T) / 2)
        if eig[0] < -NEGATIVE_TOL * max(eig[-1], 0.0):
            culprit = (f": {name} is not a covariance matrix (not positive semi-definite: smallest eigenvalue "
                       f"{eig[0]:.3g}, largest {eig[-1]:.3g})")
            break
    raise InputError(f"the Fréchet distance came out negative ({raw:.6g}, beyond rounding: the tolerance is "
                     f"{NEGATIVE_TOL:g} x (Tr Σ1 + Tr Σ2) = {NEGATIVE_TOL * traces:.3g})"
                     + (culprit or "; the covariances are numerically unusable"))


def _low_rank_factor(sigma, n) -> np.ndarray:
    """U (d x r) with Σ = U Uᵀ up to rounding, from the pivoted Cholesky factorisation (LAPACK
    ``dpstrf``, O(d² r)): pivots below PD_PIVOT_TOL of the largest variance end it, and a
    covariance of n samples keeps at most n - 1 columns (its rank)."""
    sigma = (sigma + sigma.T) / 2
    largest = float(np.diagonal(sigma).max())
    if largest <= 0:
        return np.zeros((sigma.shape[0], 0))
    c, piv, rank, info = lapack.dpstrf(sigma, tol=PD_PIVOT_TOL * largest, lower=1)
    if info < 0:
        raise InputError(f"pivoted Cholesky failed (LAPACK dpstrf info={info})")
    rank = min(int(rank), n - 1) if n else int(rank)
    u = np.empty((sigma.shape[0], rank))
    u[piv - 1] = np.tril(c)[:, :rank]
    return u


def _trace_sqrt_lowrank(sigma1, sigma2, n1, n2) -> float:
    """Tr((Σ1 Σ2)^½) = Σ sqrt(λ(Uᵀ Σb U)) with the lower-rank covariance Σa = U Uᵀ."""
    u1, u2 = _low_rank_factor(sigma1, n1), _low_rank_factor(sigma2, n2)
    u, sb = (u1, sigma2) if u1.shape[1] <= u2.shape[1] else (u2, sigma1)
    m = u.T @ sb @ u
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum())


def _torch_device(device):
    import torch
    return torch.device(device if device is not None else "cpu")


def _trace_sqrt_cholesky(sigma1, sigma2, device) -> tuple[float | None, str | None]:
    """Tr((Σ1 Σ2)^½) = Σ sqrt(λ(L1ᵀ Σ2 L1)) with Σ1 = L1 L1ᵀ, in float64 on ``device``.

    Returns (value, None), or (None, 'sigma1' / 'sigma2') when that covariance is not
    numerically positive definite (Cholesky fails or a pivot is below PD_PIVOT_TOL)."""
    import torch
    dev = _torch_device(device)
    chol = []
    for name, s in (("sigma1", sigma1), ("sigma2", sigma2)):
        t = torch.as_tensor(s, dtype=torch.float64).to(dev)
        t = (t + t.T) / 2
        low, fail = torch.linalg.cholesky_ex(t)
        pivots = torch.diagonal(low) ** 2
        if int(fail) != 0 or not bool(pivots.min() > PD_PIVOT_TOL * torch.diagonal(t).max()):
            return None, name
        chol.append((t, low))
    (_, l1), (_, l2) = chol
    if dev.type == "cpu":
        return float(np.sqrt(np.clip(_gram_eigvals_cpu(l1.numpy(), l2.numpy()), 0, None)).sum()), None
    b = l2.T @ l1                      # Lᵀ Σ2 L = (L2ᵀ L1)ᵀ (L2ᵀ L1)
    eig = torch.linalg.eigvalsh(b.T @ b)
    return float(eig.clamp_min(0).sqrt().sum()), None


def _gram_eigvals_cpu(l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    """Eigenvalues of Bᵀ B with B = L2ᵀ L1 (both lower-triangular Cholesky factors), on the CPU.

    BLAS ``dtrmm`` forms B using L2's triangle (n³ flops instead of a general product's 2n³),
    ``dsyrk`` forms the upper triangle of Bᵀ B (n³ instead of 2n³), and LAPACK's divide-and-conquer
    ``dsyevd`` (values only) solves it: about 1.3x faster end to end than Lᵀ Σ2 L by two general
    products and torch's ``eigvalsh`` (benchmarks/bench_frechet.py)."""
    from scipy.linalg import blas, eigh
    l1, l2 = np.asfortranarray(l1), np.asfortranarray(l2)
    b = blas.dtrmm(1.0, l2, l1, side=0, lower=1, trans_a=1)        # L2ᵀ L1
    gram = blas.dsyrk(1.0, b, trans=1, lower=0)                    # upper triangle of Bᵀ B
    return eigh(gram, lower=False, eigvals_only=True, driver="evd", check_finite=False, overwrite_a=True)


def frechet_distance_features(features1, features2) -> float:
    """Fréchet distance between the Gaussians fitted to two feature matrices (N1 x d, N2 x d);
    see ``frechet_distance_features_info``."""
    return frechet_distance_features_info(features1, features2)[0]


def frechet_distance_features_info(features1, features2) -> tuple[float, dict]:
    """Fréchet distance between the Gaussians fitted to two feature matrices (N1 x d, N2 x d),
    exact and fast when the sample counts are below the dimension (small sets, bootstrap
    replicates), and its info (``sqrtm_route="features"``; ``fid_raw`` as in
    ``frechet_distance_info``).

    With centred features A = (X1 - mu1)/sqrt(N1 - 1) and B = (X2 - mu2)/sqrt(N2 - 1), Σ1 = AᵀA
    and Σ2 = BᵀB, and the non-zero eigenvalues of Σ1 Σ2 = Aᵀ(A Bᵀ B) equal those of
    (A Bᵀ)(A Bᵀ)ᵀ, so Tr((Σ1 Σ2)^½) is the nuclear norm (sum of singular values) of the
    N1 x N2 matrix A Bᵀ. Cost O(N1 N2 d) instead of O(d³); no rounding-level eigenvalues of the
    singular d x d product, so a set against itself gives 0 to float64 rounding (about 1e-13
    relative; a rounding-level negative is reported as 0.0). Equal to ``frechet_distance`` on the
    sample mean and covariance (ddof 1) up to rounding.
    """
    x1, x2 = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    if x1.ndim != 2 or x2.ndim != 2 or x1.shape[1] != x2.shape[1]:
        raise InputError(f"feature matrices must be N x d with the same d, got {x1.shape} and {x2.shape}")
    if len(x1) < 2 or len(x2) < 2:
        raise InputError(f"a covariance needs at least 2 samples, got {len(x1)} and {len(x2)}")
    if not (np.isfinite(x1).all() and np.isfinite(x2).all()):
        raise InputError("features contain NaN or infinite values")
    mu1, mu2 = x1.mean(0), x2.mean(0)
    a = (x1 - mu1) / np.sqrt(len(x1) - 1)
    b = (x2 - mu2) / np.sqrt(len(x2) - 1)
    tr_covmean = np.linalg.svd(a @ b.T, compute_uv=False).sum()
    diff = mu1 - mu2
    traces = float(np.einsum("ij,ij->", a, a) + np.einsum("ij,ij->", b, b))
    raw = float(diff @ diff + np.einsum("ij,ij->", a, a) + np.einsum("ij,ij->", b, b) - 2 * tr_covmean)
    if not np.isfinite(raw):
        raise InputError("the Fréchet distance of these features overflows float64; they are not network features")
    info: dict = {"sqrtm_route": "features"}
    return _nonnegative(raw, traces, None, None, info), info


def frechet_distance_to_features(mu1, sigma1, features2, device=None) -> float:
    """Fréchet distance between N(mu1, sigma1) (e.g. reference statistics) and the Gaussian
    fitted to a feature matrix (N2 x d); see ``frechet_distance_to_features_info``."""
    return frechet_distance_to_features_info(mu1, sigma1, features2, device)[0]


def frechet_distance_to_features_info(mu1, sigma1, features2, device=None) -> tuple[float, dict]:
    """Fréchet distance between N(mu1, sigma1) (e.g. reference statistics) and the Gaussian
    fitted to a feature matrix (N2 x d), exact and fast when N2 <= d, and its info.

    With B = (X2 - mu2)/sqrt(N2 - 1), Σ2 = BᵀB and the non-zero eigenvalues of Σ1 Σ2 are
    those of the symmetric PSD N2 x N2 matrix B Σ1 Bᵀ, so Tr((Σ1 Σ2)^½) = Σ sqrt(λ(B Σ1 Bᵀ))
    (``sqrtm_route="features"``). For N2 > d this is ``frechet_distance_info`` on the sample
    covariance, which is computed on ``device`` (float64; a torch device, None: numpy on the
    CPU) when one is given. A rounding-level negative is reported as 0.0, as in
    ``frechet_distance_info``.
    """
    x2 = np.asarray(features2, np.float64)
    mu1, sigma1 = np.asarray(mu1, np.float64), np.asarray(sigma1, np.float64)
    if x2.ndim != 2 or len(x2) < 2 or mu1.shape != (x2.shape[1],) or sigma1.shape != (x2.shape[1],) * 2:
        raise InputError(f"statistics of dimension {mu1.shape} do not fit features of shape {x2.shape}")
    if not np.isfinite(x2).all():
        raise InputError("features contain NaN or infinite values")
    if len(x2) > x2.shape[1] and device is not None:   # N2 x d² multiply-adds: the step's cost on a GPU's terms
        import torch
        t = torch.from_numpy(x2).to(_torch_device(device))
        mu2_t = t.mean(0)
        t = t - mu2_t
        sigma2 = (t.T @ t / (len(x2) - 1)).cpu().numpy()
        return frechet_distance_info(mu1, sigma1, mu2_t.cpu().numpy(), sigma2, n2=len(x2), device=device)
    mu2 = x2.mean(0)
    b = (x2 - mu2) / np.sqrt(len(x2) - 1)
    if len(x2) > x2.shape[1]:
        return frechet_distance_info(mu1, sigma1, mu2, b.T @ b, n2=len(x2), device=device)
    eig = np.linalg.eigvalsh(b @ sigma1 @ b.T)
    diff = mu1 - mu2
    traces = float(np.trace(sigma1) + np.einsum("ij,ij->", b, b))
    raw = float(diff @ diff + np.trace(sigma1) + np.einsum("ij,ij->", b, b) - 2 * np.sqrt(np.clip(eig, 0, None)).sum())
    if not np.isfinite(raw):
        raise InputError("the Fréchet distance overflows float64; these are not feature statistics")
    info: dict = {"sqrtm_route": "features"}
    return _nonnegative(raw, traces, sigma1, None, info), info


def frechet_distance_of_features_info(features1, features2, device=None) -> tuple[float, dict]:
    """The Fréchet distance of two feature matrices (N1 x d, N2 x d) by the cheapest exact route,
    and its info: both N <= d: the N1 x N2 nuclear-norm form (``frechet_distance_features_info``);
    one N <= d: the symmetric N x N form against the other's covariance
    (``frechet_distance_to_features_info``); both N > d: ``frechet_distance_info`` on the sample
    covariances (the Cholesky route). Exact in every case: no rounding-level eigenvalues of a
    singular covariance enter, so a set against itself gives 0 to rounding.
    """
    x1, x2 = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    if x1.ndim != 2 or x2.ndim != 2 or x1.shape[1] != x2.shape[1]:
        raise InputError(f"feature matrices must be N x d with the same d, got {x1.shape} and {x2.shape}")
    d = x1.shape[1]
    if max(len(x1), len(x2)) <= d:
        return frechet_distance_features_info(x1, x2)
    if min(len(x1), len(x2)) <= d:  # the distance is symmetric: the small set goes in as features
        big, small = (x1, x2) if len(x1) > len(x2) else (x2, x1)
        if not np.isfinite(big).all():
            raise InputError("features contain NaN or infinite values")
        return frechet_distance_to_features_info(big.mean(0), np.cov(big, rowvar=False), small, device)
    if not (np.isfinite(x1).all() and np.isfinite(x2).all()):
        raise InputError("features contain NaN or infinite values")
    return frechet_distance_info(x1.mean(0), np.cov(x1, rowvar=False), x2.mean(0), np.cov(x2, rowvar=False),
                                 n1=len(x1), n2=len(x2), device=device)


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
